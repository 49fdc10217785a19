#include "scenarios/calibration_key.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {

nlohmann::json parse_calibration(const nlohmann::json& j) {
  const std::string k = "calibration";
  require(j.is_object(), k, "expected an object (the provenance forksim calibrate writes), got " + type_of(j));
  static const std::vector<std::string> known = {
      "host", "kernel", "system", "date", "ncpus", "physmem_mb", "own_anon_mb", "forksim_version",
      "git_commit", "quick", "plan", "figures", "fit", "note"};
  for (const auto& item : j.items())
    require(std::find(known.begin(), known.end(), item.key()) != known.end(), k + "." + printable(item.key()),
            "unknown key" + did_you_mean(item.key(), known));
  for (const char* s : {"host", "kernel", "date"}) {
    require(j.contains(s), k + "." + s, "missing: a calibration names the host, its kernel and the date");
    require(j[s].is_string(), k + "." + s, "expected a string, got " + type_of(j[s]));
  }
  if (j.contains("figures"))
    require(j["figures"].is_array(), k + ".figures", "expected an array, got " + type_of(j["figures"]));
  if (j.contains("fit")) require(j["fit"].is_object(), k + ".fit", "expected an object, got " + type_of(j["fit"]));
  return j;
}

}  // namespace forksim
