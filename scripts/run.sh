#!/usr/bin/env bash
# The main job on the embedded default state: build openclaw, import the sample workspace into the
# default agent's workspace (state in $OPENCLAW_STATE_DIR, default ~/.openclaw) and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift build -c release --product openclaw
openclaw="$(swift build -c release --show-bin-path)/openclaw"

step() { printf '\n$ openclaw %s\n' "$*"; "$openclaw" "$@"; }
step vfs import examples/sample-workspace /sample
step vfs ls -l /sample
step vfs ls -R /sample
step vfs cat /sample/README.md
step vfs du /sample
step vfs stat /sample/src/lib/words.txt
