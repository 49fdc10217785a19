#!/usr/bin/env bash
# Installs what is missing, builds forksim and its benchmark (Release), and
# runs the benchmark suite. Arguments go to forksim_bench, e.g.
#   scripts/bench.sh closed_8cpu bomb_30k --runs 3 --json bench.json
#   scripts/bench.sh --sweep-scale    # issue 14's 1,000 points x 5, three ways
#   scripts/bench.sh --sweep-speed    # issue 16's 200 points at 2 simulated s
#
# scripts/bench.sh --peers [--peers-dir DIR] [ARG...] times the peers'
# reference fork model instead (bench/peers_bench.py, whose arguments follow:
# --runs, --horizon, --parents, --json): forksim's engine beside the peer
# programs of DIR (default ../shared/peers), built here into build/peers/
# when g++, libsimgrid-dev and python3-simpy3 are at hand; this mode alone
# installs python3-simpy3. A peer that cannot be built or run is skipped,
# saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--peers" ]; then
  bash scripts/setup.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)" --target forksim forksim_bench
  exec ./build/forksim_bench "$@"
fi

shift
peers_dir=../shared/peers
if [ "${1:-}" = "--peers-dir" ]; then
  [ $# -ge 2 ] || { echo "bench: --peers-dir needs a directory" >&2; exit 2; }
  peers_dir=$2
  shift 2
fi
if [ ! -f "$peers_dir/fork_heap.cpp" ]; then
  echo "bench: no peer programs in $peers_dir (fork_heap.cpp missing); give --peers-dir DIR" >&2
  exit 2
fi
bash scripts/setup.sh python3-simpy3 ||
  echo "bench: python3-simpy3 could not be installed; the SimPy peer will be skipped" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target forksim_ref_fork
mkdir -p build/peers
rm -f build/peers/fork_heap build/peers/fork_sg  # never time a stale build
# The peers' own build lines (their README).
g++ -O2 -std=c++17 -o build/peers/fork_heap "$peers_dir/fork_heap.cpp" ||
  echo "bench: fork_heap did not build; skipped" >&2
g++ -O2 -std=c++17 -o build/peers/fork_sg "$peers_dir/fork_sg.cpp" -lsimgrid ||
  echo "bench: fork_sg did not build; skipped" >&2
exec python3 bench/peers_bench.py --forksim build/forksim_ref_fork --peers-bin build/peers \
  --peers-src "$peers_dir" "$@"
