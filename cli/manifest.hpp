// The manifest every result forksim writes carries at its top level (run
// reports, and the replicated runs and sweeps made of them): what produced
// the result and from what, so that it can be traced and rerun.
//
//   forksim_version   this program's version
//   git_commit        the commit it was built from (read when CMake
//                     configured the build), null outside a git checkout
//   simgrid_version   the SimGrid library loaded, "3.32.0"
//   boost_version     the Boost headers built with, "1.74.0"
//   scenario_hash     analysis/scenario_hash.hpp of the resolved scenario
//   seeds             the seeds of the runs the result holds
//   command_line      ["forksim", arguments...]: the one field that differs
//                     between two invocations giving the same figures
//   calibration       the scenario's `calibration` (host, kernel, date,
//                     figures, fit) when its costs came from forksim
//                     calibrate; absent otherwise
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forksim {

nlohmann::json make_manifest(const nlohmann::json& resolved_scenario,
                             const std::vector<uint64_t>& seeds,
                             const std::vector<std::string>& command_line);

}  // namespace forksim
