#include "cli/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "scenarios/json_text.hpp"

namespace forksim {
namespace {

constexpr std::size_t kMaxResultDepth = 256;

}  // namespace

namespace {

using Callback = nlohmann::json::parser_callback_t;

// The text of the regular file at path (its name made printable as `name`).
std::string read_text(const std::string& path, const std::string& name) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw ResultFileError(name + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ResultFileError(name + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw ResultFileError(name + ": cannot read it");
  return text.str();
}

// The file's JSON through `inner` (when given), nesting bounded.
nlohmann::json parse_file(const std::string& path, const Callback& inner) {
  const std::string name = printable(path, 200);
  const std::string text = read_text(path, name);
  auto cb = [&inner](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (static_cast<std::size_t>(depth) > kMaxResultDepth)
      throw ResultFileError("nested deeper than " + std::to_string(kMaxResultDepth) + " levels");
    return inner ? inner(depth, event, parsed) : true;
  };
  try {
    return nlohmann::json::parse(text, cb);
  } catch (const nlohmann::json::exception& e) {
    throw ResultFileError(name + ": not JSON (" + printable(e.what(), 200) + ")");
  } catch (const ResultFileError& e) {
    throw ResultFileError(name + ": " + e.what());
  }
}

}  // namespace

nlohmann::json read_result_file(const std::string& path) { return parse_file(path, {}); }

nlohmann::json read_result_outline(const std::string& path) {
  return parse_file(path, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) { return depth <= 1; });
}

nlohmann::json read_sweep_file(const std::string& path, PointStore& store, std::vector<std::size_t>& slots) {
  using Event = nlohmann::json::parse_event_t;
  std::string top_key;
  bool in_points = false;  // inside the top-level "points" array
  slots.clear();
  return parse_file(path, [&](int depth, Event event, nlohmann::json& parsed) {
    if (depth == 1 && event == Event::key) {
      top_key = parsed.get<std::string>();
      in_points = false;
      if (top_key == "points") slots.clear();  // a key given twice: the last one counts
    } else if (depth == 1 && event == Event::array_start) {
      in_points = top_key == "points";
    } else if (depth == 2 && in_points) {
      // A whole element of the points: an object is a point, to the store.
      if (event == Event::object_end) {
        slots.push_back(store.add(parsed));
        parsed.erase("runs");
      } else if (event == Event::value || event == Event::array_end) {
        slots.push_back(kNoSlot);
      }
    }
    return true;
  });
}

}  // namespace forksim
