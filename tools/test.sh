#!/bin/bash
# The whole test suite: unit, integration and conformance tests against the
# release build, again under AddressSanitizer + UndefinedBehaviorSanitizer
# (leak detection on), and the multi-threaded tests under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
jobs="$(nproc)"

echo "== layer check"
tools/check_layers.sh

echo "== release build"
cmake --preset release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" -LE hostile)

echo "== ASan + UBSan build"
cmake --preset asan >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j"$jobs" -LE interop)
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== ThreadSanitizer build"
cmake --preset tsan >/dev/null
cmake --build build-tsan -j"$jobs"
export TSAN_OPTIONS=halt_on_error=1
(cd build-tsan && ctest --output-on-failure -j"$jobs" -L tsan)
