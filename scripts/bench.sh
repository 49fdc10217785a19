#!/usr/bin/env bash
# Installs what is missing, builds forksim and its benchmark (Release), and
# runs the benchmark suite. Arguments go to forksim_bench, e.g.
#   scripts/bench.sh closed_8cpu bomb_30k --runs 3 --json bench.json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target forksim forksim_bench
exec ./build/forksim_bench "$@"
