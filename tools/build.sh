#!/bin/bash
# Installs missing dependencies and builds the release tree into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake --preset release >/dev/null
cmake --build build -j"$(nproc)"
