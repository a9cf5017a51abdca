#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds every product (the CLI tests run the real
# openclaw executable) and runs all tests.
#
# Two runs of one build: the in-process async tests first (the runtime's, and the gateway's, which
# serve a live gateway in the test process), then everything else. The CLI tests wait for child
# processes on Swift's cooperative threads (two on two cores), which would stall the in-process
# fake provider and gateway those tests talk to if both ran at once. The stall
# measurement (ConcurrencyStallTests) runs alone: it measures how late the concurrency threads are.
# So do the replication tests (two gateways, Litestream and moto's S3 server): they time leases.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift build --build-tests
swift test --skip-build --filter 'RuntimeTests|GatewayTests' --skip ConcurrencyStallTests
swift test --skip-build --filter ConcurrencyStallTests
swift test --skip-build --filter ReplicationTests
swift test --skip-build --skip 'RuntimeTests|GatewayTests|ReplicationTests'
