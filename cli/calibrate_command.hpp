// `forksim calibrate`: measures the host (calibrate/host_bench.hpp), fits
// the model's size-dependent and base costs to the figures
// (cli/calibration_model.hpp) and writes a scenario fragment: `costs`,
// `machine` and `calibration` (the provenance: host, kernel, date, the
// figures, the fit). `--check FRAGMENT` measures cases the fit did not use
// and sets each beside the calibrated model's replicated prediction.
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace forksim {

int cmd_calibrate(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
                  std::ostream& out, std::ostream& err);

}  // namespace forksim
