#include "analysis/scenario_hash.hpp"

#include <cstdio>

namespace forksim {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;  // the 64-bit offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;  // the 64-bit FNV prime
  }
  return h;
}

std::string scenario_hash(const nlohmann::json& resolved_scenario) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(fnv1a64(resolved_scenario.dump())));
  return buf;
}

}  // namespace forksim
