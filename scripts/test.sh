#!/usr/bin/env bash
# The whole test suite, as CI runs it: the Swift tests, then every fuzz
# target for 30 seconds under libFuzzer and AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift test
scripts/fuzz.sh --seconds "${LOGSCAN_FUZZ_SECONDS:-30}"
