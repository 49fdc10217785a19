// `forksim report RESULT.json -o report.html`: the HTML report of a result
// (analysis/html_report.hpp): a run report, a replicated run or a sweep with
// charts; a sensitivity or compare result as tables. `-o -` writes to
// stdout; -o is required otherwise. A file that is missing, not JSON or not
// a forksim result exits 2 naming why, with nothing written.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/html_report.hpp"

namespace forksim {

int cmd_report(const std::vector<std::string>& args, std::ostream& out);

// The default costs `result`'s answer rests on that are estimates: every
// catalogue step whose basis is a guess, a share or a remainder, unless
// the result's scenario sets it (its "costs", or "*" for all) or a sweep
// varies it (a --vary key costs.STEP).
std::vector<EstimatedCost> estimated_costs(const nlohmann::json& result);

}  // namespace forksim
