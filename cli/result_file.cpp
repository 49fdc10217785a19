#include "cli/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
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

// A pointer into the text being parsed that says how far the parser has
// read: nlohmann's parser takes one character at a time from its iterator
// and calls the callback as soon as a token ends, so at an object's
// object_start the '{' is the last character read, at its object_end the
// '}'. That is what lets a sweep's point be copied as its text.
struct TrackingIterator {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p = nullptr;
  const char** read_to = nullptr;
  reference operator*() const { return *p; }
  TrackingIterator& operator++() {
    *read_to = ++p;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator t = *this;
    ++*this;
    return t;
  }
  bool operator==(const TrackingIterator& o) const { return p == o.p; }
  bool operator!=(const TrackingIterator& o) const { return p != o.p; }
};

// The file's JSON through `inner` (when given), nesting bounded; while it
// runs, *read_to (when given) is the end of what the parser has read.
nlohmann::json parse_file(const std::string& path, const Callback& inner, const char** read_to = nullptr) {
  const std::string name = printable(path, 200);
  const std::string text = read_text(path, name);
  auto cb = [&inner](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (static_cast<std::size_t>(depth) > kMaxResultDepth)
      throw ResultFileError("nested deeper than " + std::to_string(kMaxResultDepth) + " levels");
    return inner ? inner(depth, event, parsed) : true;
  };
  try {
    if (!read_to) return nlohmann::json::parse(text, cb);
    *read_to = text.data();
    return nlohmann::json::parse(TrackingIterator{text.data(), read_to},
                                 TrackingIterator{text.data() + text.size(), read_to}, cb);
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
  // The point being read: where its text starts, and its runs.
  const char* read_to = nullptr;
  const char* point_at = nullptr;
  bool in_runs = false, runs_array = false;
  std::size_t runs = 0;
  slots.clear();
  return parse_file(
      path,
      [&](int depth, Event event, nlohmann::json& parsed) {
        if (depth == 1 && event == Event::key) {
          top_key = parsed.get<std::string>();
          in_points = false;
          if (top_key == "points") slots.clear();  // a key given twice: the last one counts
        } else if (depth == 1 && event == Event::array_start) {
          in_points = top_key == "points";
        } else if (depth == 2 && in_points) {
          // A whole element of the points: an object is a point, to the
          // store as its text (a result's points[i] is laid out as a
          // sweep's is, so it is copied, not parsed into a tree and laid
          // out again: most of a merge's time went there), and to the
          // result without its runs, which are never made a tree.
          if (event == Event::object_start) {
            point_at = read_to - 1;  // its '{'
            runs = 0;
            runs_array = in_runs = false;
          } else if (event == Event::object_end) {
            const std::size_t n = static_cast<std::size_t>(read_to - point_at);
            slots.push_back(store.add_text({point_at, n}, runs_array ? runs : 0, parsed.contains("failed")));
          } else if (event == Event::value || event == Event::array_end) {
            slots.push_back(kNoSlot);
          }
        } else if (depth == 3 && in_points && event == Event::key) {
          in_runs = parsed.get<std::string>() == "runs";
          if (in_runs) {
            runs = 0;  // a key given twice: the last one counts, as in a tree
            runs_array = false;
            return false;  // the key and its value left out of the tree
          }
        } else if (depth == 3 && in_runs) {
          runs_array = event == Event::array_start;
          if (event != Event::array_start && event != Event::object_start) in_runs = false;
        } else if (depth >= 4 && in_runs) {
          // Inside the runs: nothing kept, and nothing made (a value in a
          // container kept is made before it is dropped); the elements counted.
          if (depth == 4 && (event == Event::object_start || event == Event::array_start || event == Event::value))
            ++runs;
          return false;
        }
        return true;
      },
      &read_to);
}

}  // namespace forksim
