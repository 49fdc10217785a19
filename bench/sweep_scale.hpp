// forksim_bench --sweep-scale: issue 14's scale targets, measured from
// outside. 1,000 points x 5 replications of a short scenario
// (bench/cases/sweep_scale.json) run three ways: one `forksim sweep
// --jobs 2`; four shards (`--shard I/4 --jobs 1`, two at a time) put
// together by `forksim merge`; and `mpirun -np 3 --oversubscribe forksim
// sweep --mpi` when the binary has --mpi (skipped, saying so, otherwise).
// For each: the overhead per point beyond the simulation itself, against
// 20 ms, and the result's write time and the peak RSS, against 5 s and
// 500 MB.
#pragma once
#include <string>

namespace bench {

// Prints one line per figure and target (PASS/FAIL); returns 0 when every
// variant ran and gave the whole result, 1 otherwise (a missed target is
// not a failure, as for the other cases).
int sweep_scale(const std::string& forksim, const std::string& cases_dir);

// forksim_bench --sweep-speed (issue 16): 200 points of the default
// scenario at 2 simulated seconds through `forksim sweep --jobs 2` (its
// default replications): points per minute and the overhead per point
// computed as sweep_scale's. Returns 0 when the sweep gave its whole result.
int sweep_speed(const std::string& forksim);

}  // namespace bench
