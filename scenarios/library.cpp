#include "scenarios/library.hpp"

#include <sys/stat.h>

#include "scenarios/include.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {

const LibraryEntry* find_library_entry(std::string_view name) {
  for (const LibraryEntry& e : library_entries())
    if (name == e.name) return &e;
  return nullptr;
}

nlohmann::json resolve_scenario_arg(const std::string& arg) {
  // A path (a slash, or .json at the end) is always a file, so that a
  // missing one says "cannot open" and why. lstat, not access: a dangling
  // link or a FIFO is a file the user meant, and load_scenario_file gives
  // the reason it cannot be read.
  bool looks_like_path = arg.find('/') != std::string::npos ||
                         (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".json") == 0);
  struct stat st {};
  if (looks_like_path || ::lstat(arg.c_str(), &st) == 0) return load_scenario_with_includes(arg);
  if (const LibraryEntry* e = find_library_entry(arg))
    return parse_scenario_text(e->text, std::string("library scenario ") + e->name);
  std::vector<std::string> names;
  std::string list;
  for (const LibraryEntry& e : library_entries()) {
    names.push_back(e.name);
    list += std::string(list.empty() ? "" : ", ") + e.name;
  }
  throw ScenarioError(printable(arg, 1024), "no such file, and not a library scenario (" +
                                                list + ")" + did_you_mean(arg, names));
}

}  // namespace forksim
