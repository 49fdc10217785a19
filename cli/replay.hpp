// `forksim run --replay RESULT.json`: reruns a result from its own resolved
// scenario and seeds and says whether every figure (numeric_metrics) came
// out exactly the same, as it must: a run is a pure function of (scenario,
// seed). Prints "replay: N metrics match", or the metrics that differ
// (the first 20, both values), on `out`; notes on `err` when the result
// was made by another build or its scenario no longer resolves the same.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "scenarios/scenario.hpp"

namespace forksim {

// Runs one parsed scenario (its own seed) in this process and returns the
// report.
using RunHere = std::function<nlohmann::json(const Scenario&)>;

// 0 every metric matches, 1 some differ, 3 the rerun was stopped by a
// budget. Throws ResultFileError (cli/result_file.hpp) for a result that
// cannot be replayed, naming `file` and the key. Dispatches on the result's
// kind (analysis/compare.hpp result_kind): only a single run is rerun
// here; replicated runs and sweeps replay through the driver
// (cli/replay_experiment.hpp).
int replay_result(const nlohmann::json& result, const std::string& file, const RunHere& run,
                  std::ostream& out, std::ostream& err);

}  // namespace forksim
