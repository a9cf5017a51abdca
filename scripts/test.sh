#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds every product (the CLI tests run the real
# openclaw executable) and runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift build --build-tests
swift test --skip-build
