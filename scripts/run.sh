#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default scenario.
# Extra arguments go to `forksim run`, e.g. scripts/run.sh -o report.json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target forksim
exec ./build/forksim run "$@"
