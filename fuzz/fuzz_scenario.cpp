// libFuzzer target: any bytes as a scenario file. The expected outcomes are a
// scenario that round-trips (round_trip.hpp) or a ScenarioError; any other
// exception, a crash or a sanitizer finding is a defect.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    forksim::Scenario s = forksim::parse_scenario(forksim::parse_scenario_text(text, "fuzz"));
    forksim::fuzz::check_round_trip(s);
  } catch (const forksim::ScenarioError&) {
  }
  return 0;
}
