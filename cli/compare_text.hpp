// `forksim compare`'s table for a person, from the comparison JSON
// (analysis/compare.hpp): one row a metric (metric, A, B, diff, rel %, the
// interval of B - A, verdict), the significant differences first, then
// those that single runs cannot judge, each largest relative change first,
// then the others by name; per matched point for sweeps, and the points
// only one side has.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace forksim {

// The figures the table shows without --all: throughput, each path's
// forks/s, failures and latency p50/p99, request and response latency
// p50/p99, CPU and lock utilization.
bool is_main_metric(const std::string& name);

void print_comparison(std::ostream& out, const nlohmann::json& comparison, bool all,
                      const std::string& file_a, const std::string& file_b);

}  // namespace forksim
