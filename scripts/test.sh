#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest, in
# three builds, each in its own directory:
#   build/        Release, the suite as users build it;
#   build-asan/   ASan + UBSan (FORKSIM_SANITIZE), leak detection on, with
#                 assertions and without tail calls (see below), without
#                 the tests labelled "long", "render" or "mpi";
#   build-fuzz/   clang with libFuzzer: each fuzz target for FORKSIM_FUZZ_S
#                 seconds (default 60); skipped, saying so, without clang.
# FORKSIM_QUICK=1 runs the Release suite only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

# suite DIR TARGETS CTEST_ARGS CMAKE_ARGS...: configure, build TARGETS
# ("all" or a list), run the suite (CTEST_ARGS: "" for all of it).
suite() {
  local dir=$1 targets=$2 select=$3
  shift 3
  echo "== test.sh: $dir" >&2
  cmake -S . -B "$dir" "$@" >/dev/null
  TIMEFORMAT="== test.sh: $dir built in %R s (CPU %U s user, %S s sys)"
  # shellcheck disable=SC2086 # a list of targets, split on purpose
  time cmake --build "$dir" -j"$jobs" --target $targets
  TIMEFORMAT="== test.sh: $dir tested in %R s (CPU %U s user, %S s sys)"
  # shellcheck disable=SC2086
  time (cd "$dir" && ctest --output-on-failure -j"$jobs" $select)
}

suite build all "" -DCMAKE_BUILD_TYPE=Release
[ "${FORKSIM_QUICK:-0}" = 1 ] && exit 0

# Every sanitizer finding fails its test: UBSan aborts (-fno-sanitize-recover),
# ASan and LeakSanitizer exit non-zero.
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1
# What the suite runs, without the benchmark driver: the instrumented build
# is for the tests. ASan is built at -O1 without debug info (its reports
# still name the functions), the cheapest build it runs well in. Its flags
# replace Release's "-O3 -DNDEBUG", so assertions are on; and without
# sibling calls a coroutine's symmetric transfer nests a native frame, so
# the engine's chain bound (sim/coro.hpp), not the compiler, is what keeps
# its stack small. Those two were why a separate Debug (-O0) build ran the
# suite a third time; it cost about 190 s of a CI run and found nothing the
# ASan build does not.
# It leaves out the tests labelled "long" and "render" (CMakeLists.txt),
# which Release runs.
tested="forksim forksim_tests fuzz_scenario_replay fuzz_set_replay"
# ASan also leaves out the tests labelled "mpi": LeakSanitizer reports Open
# MPI 4.1's own allocations in MPI_Init that MPI_Finalize never frees
# (open-mpi/ompi issues 10048 and 6242), in modules it loads at run time,
# which no suppression names. The pool's logic is tested under ASan through
# a scripted RunPool (tests/test_run_pool.cpp); Release runs the mpi tests.
suite build-asan "$tested" "-LE long|render|mpi" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -fno-optimize-sibling-calls" -DFORKSIM_SANITIZE=ON

clang=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clang" ]; then
  echo "== test.sh: no clang++: the fuzz targets are skipped" >&2
  exit 0
fi
echo "== test.sh: build-fuzz" >&2
CXX=$clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=(fuzz_scenario fuzz_set)
TIMEFORMAT="== test.sh: build-fuzz built in %R s (CPU %U s user, %S s sys)"
time cmake --build build-fuzz -j"$jobs" --target "${targets[@]}"
# The fuzzers run side by side, one per core: a minute each in one minute.
pids=()
for t in "${targets[@]}"; do
  # New inputs go to a scratch corpus (the first directory), never into the
  # checked-in one; a crash input is written as build-fuzz/<target>-crash-*.
  work=build-fuzz/corpus-$t
  mkdir -p "$work"
  echo "== test.sh: $t for ${FORKSIM_FUZZ_S:-60} s" >&2
  "build-fuzz/$t" -max_total_time="${FORKSIM_FUZZ_S:-60}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/$t-" \
    "$work" "fuzz/corpus/$t" > "build-fuzz/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "== test.sh: ${targets[$i]} failed:" >&2
    status=1
  fi
  tail -n 20 "build-fuzz/${targets[$i]}.log" >&2
done
exit $status
