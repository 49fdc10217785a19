// The scenario library (scenarios/library/*.json), built into the binary.
//
// Each entry is a scenario file by its name (the file's name without
// .json), whose `description` states the question it answers. A command's
// SCENARIO argument is a file when it has a slash, ends in .json or a file
// of that name exists, else a library name (resolve_scenario_arg); anything
// else is bad input that lists the library.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace forksim {

struct LibraryEntry {
  const char* name;
  const char* text;  // the file as it is in the repo
};

// In name order.
const std::vector<LibraryEntry>& library_entries();
const LibraryEntry* find_library_entry(std::string_view name);  // nullptr if none

// The raw scenario JSON for a SCENARIO argument: the file at `arg` if it is
// a path or one exists there, else the library scenario of that name. Throws
// ScenarioError (key: the argument) when it is neither, listing the names.
nlohmann::json resolve_scenario_arg(const std::string& arg);

}  // namespace forksim
