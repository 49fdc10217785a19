// What both fuzz targets check of a scenario that parsed: written back as
// JSON text and read again it is the same scenario (the README's promise
// parse_scenario(to_json(s)) == s, through the text a report carries).
// Aborts otherwise, so that libFuzzer records the input.
#pragma once
#include <cstdio>
#include <cstdlib>

#include "scenarios/scenario.hpp"

namespace forksim::fuzz {

inline void check_round_trip(const Scenario& s) {
  nlohmann::json once = s.to_json();
  nlohmann::json twice = parse_scenario(parse_scenario_text(once.dump(), "round trip")).to_json();
  if (twice != once) {
    std::fprintf(stderr, "round trip differs:\n%s\n%s\n", once.dump().c_str(), twice.dump().c_str());
    std::abort();
  }
}

}  // namespace forksim::fuzz
