#include "cli/manifest.hpp"

#include <boost/version.hpp>
#include <xbt/base.h>  // simgrid/version.h uses its macros without including it
#include <simgrid/version.h>

#include "analysis/report.hpp"
#include "analysis/scenario_hash.hpp"
#include "generated/git_commit.hpp"

namespace forksim {
namespace {

std::string simgrid_version() {
  // The library's own version rather than the headers': a result names what ran.
  int major = 0, minor = 0, patch = 0;
  sg_version_get(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
         "." + std::to_string(BOOST_VERSION % 100);
}

}  // namespace

nlohmann::json make_manifest(const nlohmann::json& resolved_scenario,
                             const std::vector<uint64_t>& seeds,
                             const std::vector<std::string>& command_line) {
  const std::string commit = FORKSIM_GIT_COMMIT;
  nlohmann::json m = {{"forksim_version", kForksimVersion},
          {"git_commit", commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(commit)},
          {"simgrid_version", simgrid_version()},
          {"boost_version", boost_version()},
          {"scenario_hash", scenario_hash(resolved_scenario)},
          {"seeds", seeds},
          {"command_line", command_line}};
  // Whose costs the result ran on (scenarios/calibration_key.hpp).
  if (resolved_scenario.is_object() && resolved_scenario.contains("calibration"))
    m["calibration"] = resolved_scenario["calibration"];
  return m;
}

}  // namespace forksim
