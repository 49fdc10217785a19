#!/usr/bin/env bash
# Regenerates the figures of README.md: builds forksim (Release), runs the
# knee example (256 shells, fork + exit + wait, default costs) at 4 to 64
# CPUs, one process per point, and prints the README's markdown table.
#   scripts/readme-figures.sh           # prints the table
#   scripts/readme-figures.sh --check   # exits 1 if README.md's table differs
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: scripts/readme-figures.sh [--check]" >&2; exit 2 ;;
esac
bash scripts/setup.sh jq
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target forksim >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export LC_ALL=C  # a decimal point, whatever the user's locale

# 81147.5 -> 81,148
thousands() { printf '%.0f' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
# Two decimals below 1, one above: 0.05, 1.5, 46.1.
short() { awk -v x="$1" 'BEGIN { printf(x < 1 ? "%.2f" : "%.1f", x) }'; }

header="| CPUs | forks/s | vs. half the CPUs | pidlock utilization | pidlock spin CPU (s per s) |"
table() {
  echo "$header"
  echo "|---:|---:|---:|---:|---:|"
  prev=""
  for n in 4 8 16 32 64; do
    build/forksim run --quiet -o "$out/knee-$n.json" --set machine.ncpus="$n" \
      --set workload.parents=256 --set workload.think_s=0 --set workload.child.lifetime_s=0 \
      --set duration_s=0.6 --set warmup_s=0.2
    read -r complete forks util spin < <(jq -r '[.complete, .throughput.forks_per_s,
        .locks.pidlock.utilization, .locks.pidlock.spin_cpu_s / .window.length_s] | @tsv' \
        "$out/knee-$n.json")
    if [ "$complete" != true ]; then
      echo "readme-figures: the run at $n CPUs did not complete" >&2
      exit 1
    fi
    gain=""
    [ -n "$prev" ] && gain=$(awk -v a="$forks" -v b="$prev" 'BEGIN { printf("%+.0f%%", (a / b - 1) * 100) }')
    echo "| $n | $(thousands "$forks") | $gain | $(short "$util") | $(short "$spin") |"
    prev=$forks
  done
}

if ! $check; then
  table
  exit 0
fi
# The README's table: from its header line to the first line that is not a row.
awk -v h="$header" '$0 == h { on = 1 } on && !/^\|/ { exit } on' README.md > "$out/readme.md"
table > "$out/now.md"
if ! diff -u --label README.md --label now "$out/readme.md" "$out/now.md" >&2; then
  echo "readme-figures: README.md's knee table is stale; run scripts/readme-figures.sh" >&2
  exit 1
fi
echo "readme-figures: README.md's knee table matches" >&2
