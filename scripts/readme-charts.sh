#!/usr/bin/env bash
# Regenerates the README's charts, docs/images/KIND.png, one chart of each
# kind of report: builds forksim (Release), makes fresh results (the README's
# examples), turns each into HTML with `forksim report`, cuts the chart out of
# the page into a page of its own (the report's style, the chart drawn 800 px
# wide, its data table hidden) and screenshots it in headless Chromium with
# tests/render_check.py, which checks it as the render test does.
#   scripts/readme-charts.sh            # all of them (about a minute on 2 cores)
#   scripts/readme-charts.sh run sweep  # only those kinds
# Kinds and their chart: run (latency-percentiles, the default scenario),
# bomb (ts-failures, fork-bomb), service (service-latency, db-snapshot),
# replicated (replicated-metrics, the default scenario x5), sweep (the first
# sweep chart, throughput with knee and USL fit: the README's ncpus sweep).
# Each PNG is about 800x450; optipng shrinks it when it is installed.
# FORKSIM=path/to/forksim uses that binary instead of building build/forksim.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
forksim="${FORKSIM:-}"
if [ -z "$forksim" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)" --target forksim >&2
  forksim=build/forksim
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(run bomb service replicated sweep)

for kind in "${kinds[@]}"; do
  case "$kind" in
    run) make=(run); chart=latency-percentiles ;;
    bomb) make=(run fork-bomb); chart=ts-failures ;;
    service) make=(run db-snapshot); chart=service-latency ;;
    replicated) make=(run --replications 5); chart=replicated-metrics ;;
    sweep)
      make=(sweep --vary machine.ncpus=2:64:x2 --set workload.parents=256 --set workload.think_s=0
            --set workload.child.lifetime_s=0 --set duration_s=2 --replications 3
            --slo 'paths.fork1.latency_s.p99<=0.008')
      chart='sweep-*' ;;
    *) echo "readme-charts: unknown kind '$kind' (run bomb service replicated sweep)" >&2; exit 2 ;;
  esac
  echo "readme-charts: $kind: forksim ${make[*]}" >&2
  "$forksim" "${make[@]}" -q -o "$out/$kind.json"
  "$forksim" report "$out/$kind.json" -o "$out/$kind.html"
  # The chart alone: the first figure whose NAME matches, with the report's <style>.
  python3 - "$out/$kind.html" "$chart" "$out/$kind-chart.html" <<'EOF'
import fnmatch, re, sys
page, pattern, dest = sys.argv[1:]
text = open(page, encoding="utf-8").read()
figures = [m for m in re.finditer(r'<figure class="chart" id="chart-([^"]+)".*?</figure>', text, re.S)
           if fnmatch.fnmatchcase(m.group(1), pattern)]
if not figures:
    sys.exit("readme-charts: %s has no chart %s" % (page, pattern))
style = re.search(r"<style>.*?</style>", text, re.S)
open(dest, "w", encoding="utf-8").write(
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>chart-%s</title>\n%s\n'
    "<style>body { margin: 0; background: #fff; } figure.chart { margin: 0; padding: 12px; "
    "width: 776px; } figure.chart svg { width: 776px; height: auto; } "
    "figure.chart table.chart-data { display: none; }</style>\n</head><body>\n%s\n</body></html>\n"
    % (figures[0].group(1), style.group(0) if style else "", figures[0].group(0)))
EOF
  python3 tests/render_check.py "$out/$kind-chart.html" --expect-charts "$chart" --expect-sections '' \
    --clip figure.chart --width 800 --height 450 --screenshot "$out/$kind.png" --profile-parent "$out"
  if command -v optipng >/dev/null; then optipng -quiet -o2 "$out/$kind.png"; fi
  mkdir -p docs/images
  mv "$out/$kind.png" "docs/images/$kind.png"  # only a chart that passed the check
done
