// The fingerprint of a resolved scenario that a result's manifest carries,
// so that two results can be told to come from the same scenario without
// comparing the scenarios key by key.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace forksim {

// FNV-1a, 64 bits (Fowler, Noll, Vo): not a cryptographic hash, enough to
// tell scenarios apart.
uint64_t fnv1a64(std::string_view bytes);

// fnv1a64 of the scenario's compact dump() as 16 lower-case hex digits. The
// dump's keys are sorted, so equal scenarios hash equally whatever order
// their file gave the keys in.
std::string scenario_hash(const nlohmann::json& resolved_scenario);

}  // namespace forksim
