// libFuzzer target: a sequence of command-line assignments on a base
// scenario. The input's lines are the arguments: "-KEY" is --unset KEY, any
// other line --set KEY=VALUE (malformed ones included); the first byte picks
// the base, the empty scenario or the default one resolved (every key
// present, so that --unset and --set of any key are reached). Outcomes as
// in fuzz_scenario.cpp.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const nlohmann::json resolved_default = forksim::Scenario{}.to_json();
  nlohmann::json j = data[0] & 1 ? resolved_default : nlohmann::json::object();
  try {
    while (!in.empty()) {
      size_t end = in.find('\n');
      std::string line(in.substr(0, end));
      in = end == std::string_view::npos ? std::string_view() : in.substr(end + 1);
      if (!line.empty() && line[0] == '-')
        forksim::apply_unset(j, line.substr(1));
      else
        forksim::apply_override(j, line);
    }
    forksim::fuzz::check_round_trip(forksim::parse_scenario(j));
  } catch (const forksim::ScenarioError&) {
  }
  return 0;
}
