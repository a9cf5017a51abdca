#!/usr/bin/env bash
# The main job on the embedded default state (state in $OPENCLAW_STATE_DIR, default ~/.openclaw):
# build openclaw, import the sample workspace into agent main's workspace and show it, run the
# agent on it, then mount the workspace read-only (with /dev/fuse) and read it with ls and grep. With OPENAI_API_KEY or ANTHROPIC_API_KEY set, the agent calls that provider;
# otherwise (or with OPENCLAW_DEMO=local) it calls a scripted local model on 127.0.0.1, so the
# whole loop (model turns, VFS tools, transcript) runs on a machine without network or keys.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift build -c release --product openclaw
swift build -c release --product openclaw-bench
bin="$(swift build -c release --show-bin-path)"
openclaw="$bin/openclaw"

step() { printf '\n$ openclaw %s\n' "$*"; "$openclaw" "$@"; }
step vfs import examples/sample-workspace /sample
step vfs ls -l /sample
step vfs ls -R /sample
step vfs cat /sample/README.md
step vfs du /sample
step vfs stat /sample/src/lib/words.txt

message="Look through /sample: find the Markdown files, search for TODO or FIXME markers, and write a short summary to /sample/NOTES-from-agent.md."
if [[ "${OPENCLAW_DEMO:-}" != local && -n "${ANTHROPIC_API_KEY:-}" ]]; then
    step models providers set anthropic --api anthropic-messages --base-url https://api.anthropic.com --model "${OPENCLAW_MODEL:-claude-3-5-haiku-latest}" --max-tokens 1024
    step agent -m "$message" --model "anthropic/${OPENCLAW_MODEL:-claude-3-5-haiku-latest}"
elif [[ "${OPENCLAW_DEMO:-}" != local && -n "${OPENAI_API_KEY:-}" ]]; then
    step models providers set openai --api openai-completions --base-url https://api.openai.com/v1 --model "${OPENCLAW_MODEL:-gpt-4o-mini}" --max-tokens 1024
    step agent -m "$message" --model "openai/${OPENCLAW_MODEL:-gpt-4o-mini}"
else
    printf '\nNo OPENAI_API_KEY or ANTHROPIC_API_KEY: the agent talks to a scripted local model (openclaw-bench demo-provider).\n'
    fifo="$(mktemp -u)"; mkfifo "$fifo"
    "$bin/openclaw-bench" demo-provider --root /sample > "$fifo" &
    demo=$!
    trap 'kill "$demo" 2>/dev/null || true; rm -f "$fifo"' EXIT
    read -r url < "$fifo"
    step models providers set demo --api openai-completions --base-url "$url/v1" --model scripted
    DEMO_API_KEY=local-demo-key step agent -m "$message" --model demo/scripted
    step models providers rm demo
fi
step vfs cat /sample/NOTES-from-agent.md

# The first use of the mount: ordinary tools reading the agent's workspace, read-only.
if [[ -c /dev/fuse ]]; then
    mnt="$(mktemp -d)"
    step vfs mount "$mnt" --ns workspace --background
    shown() { printf '\n$ %s\n' "$*"; "$@"; }
    printf '\n$ cd %s\n' "$mnt"
    (cd "$mnt" && shown ls -l sample && { shown grep -rn TODO sample || true; })
    step vfs umount "$mnt"
    rmdir "$mnt"
else
    printf '\nNo /dev/fuse here: skipping the read-only mount of the workspace (openclaw vfs mount).\n'
fi
step sessions show main --tail 12
step sessions list
step doctor
