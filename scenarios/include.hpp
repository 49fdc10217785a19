// Fragments a scenario file takes in: its "include" key (a path, or an
// array of paths, each relative to the directory of the file that names
// it) and the command line's --costs FILE.
//
// An included file is read as a scenario file (scenarios/scenario.hpp
// load_scenario_file), its own includes first; the includes merge in order
// and the including file's own keys go over them: objects key by key (so a
// fragment's `costs` and `machine` fill what the scenario leaves out), any
// other value, and `calibration` (one provenance, never a mix), replaced
// whole. A missing or unreadable include, one that is not a path or a
// list of them, a cycle (a file that includes itself through any chain)
// or more than 16 levels are ScenarioErrors whose key is "include" (for a
// nested file: "FILE: include").
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace forksim {

// The file at `path` with its includes merged in, "include" removed.
nlohmann::json load_scenario_with_includes(const std::string& path);

// `top` over `base`, as above.
nlohmann::json merge_fragment(const nlohmann::json& base, const nlohmann::json& top);

// --costs FILE: a calibration fragment (a scenario file holding `costs`,
// and optionally `machine`, `calibration` and its own includes, nothing
// else). Its costs go over raw's, step by step, and its calibration
// replaces raw's; its machine is not applied (the scenario's machine is
// the question; `include` takes the fragment's machine where the scenario
// sets none). Errors name `option` ("--costs") and the file.
void apply_costs_fragment(nlohmann::json& raw, const std::string& path, const std::string& option = "--costs");

}  // namespace forksim
