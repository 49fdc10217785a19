#!/usr/bin/env bash
# Makes a small result of one KIND with forksim, turns it into HTML with
# `forksim report`, and renders that in headless Chromium (tests/render_check.py)
# expecting the charts ISSUE13_DESIGN.md's HTML contract names for the kind.
#   tests/render_report.sh KIND [BUILD_DIR]     KIND: run replicated sweep bomb service
# Uses BUILD_DIR/forksim (default: build/; $FORKSIM names another binary);
# the result, the page and the throwaway browser profile go to
# BUILD_DIR/render-work/KIND/, the screenshot to BUILD_DIR/artifacts/KIND.png. Each kind takes a few seconds. Exit 0
# pass, 1 fail, 2 usage, 77 (a skip) when Chromium cannot start.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kind="${1:-}"
build="$(cd "${2:-$here/../build}" && pwd)"
forksim="${FORKSIM:-$build/forksim}"
work="$build/render-work/$kind"
result="$work/result.json"
page="$work/report.html"

# The run charts every run report has, and the time series of one with more
# than one sample.
run_charts=latency-percentiles,lock-utilization,lock-wait,cpu
ts_charts=ts-nproc,ts-failures,ts-fork-fail-pending
short=(--set duration_s=1 --set warmup_s=0.2)
expect_in=()
case "$kind" in
  run)
    make=(run -q "${short[@]}")
    charts="$run_charts,$ts_charts" ;;
  bomb)  # 10 s: root's probe gets a fork through and the victim's work is late
    make=(run fork-bomb -q --set duration_s=10)
    charts="$run_charts,$ts_charts,ts-admin-latency,ts-response" ;;
  service)  # a fork every second in each group, a light request load
    make=(run db-snapshot -q --set duration_s=3 --set warmup_s=0.5)
    for g in fork1 forkall small; do
      make+=(--set "workload.groups.$g.fork_every_s=1" --set "workload.groups.$g.rate_per_s=2000")
    done
    charts="$run_charts,$ts_charts,service-latency" ;;
  replicated)
    make=(run -q --replications 3 "${short[@]}")
    charts=replicated-metrics
    expect_in=(--expect-in replicated-metrics=.band) ;;
  sweep)  # 8 parents saturate at 8 CPUs: a knee, an SLO answer (32) and a USL fit
    make=(sweep -q --vary machine.ncpus=2,8,32 --set workload.parents=8 --set workload.think_s=0
          --set workload.child.lifetime_s=0 --set duration_s=0.5 --set warmup_s=0.1
          --replications 2 --slo 'paths.fork1.latency_s.p99<=0.008')
    charts='sweep-*'
    expect_in=(--expect-in 'sweep-*=.band' --expect-in 'sweep-*throughput*=.mark.usl') ;;
  *)
    echo "usage: tests/render_report.sh run|replicated|sweep|bomb|service [BUILD_DIR]" >&2
    exit 2 ;;
esac

if [ ! -x "$forksim" ]; then
  echo "render_report: $forksim not built" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
if ! "$forksim" "${make[@]}" -o "$result"; then
  echo "render_report: forksim ${make[*]} failed" >&2
  exit 1
fi
if ! "$forksim" report "$result" -o "$page"; then
  echo "render_report: forksim report $result failed" >&2
  exit 1
fi
# The page is a pure function of the result: a second rendering is the same.
"$forksim" report "$result" -o "$work/again.html"
if ! cmp -s "$page" "$work/again.html"; then
  echo "render_report: forksim report gave two different pages for $result" >&2
  exit 1
fi
exec python3 "$here/render_check.py" "$page" --expect-charts "$charts" "${expect_in[@]}" \
  --screenshot "$build/artifacts/$kind.png" --profile-parent "$work"
