// The summary a person reads of a replicated run or a sweep: the mean +/-
// the 95% half-width (and the relative half-width) of the main figures.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>

namespace forksim {

// The replications line (n, seeds, why it stopped) and the main figures.
void print_replicated_summary(std::ostream& out, const nlohmann::json& result);

// One line per point: its sets and its throughput (or precision metric);
// then the capacity answers.
void print_sweep_summary(std::ostream& out, const nlohmann::json& sweep);

// The sweep's knee (with the busiest resource there), USL fit and SLO
// answer, a line each, those it has.
void print_capacity_answers(std::ostream& out, const nlohmann::json& sweep);

}  // namespace forksim
