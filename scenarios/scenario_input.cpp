// Raw scenario JSON from its sources: the file, then --set and --unset edits.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

namespace forksim {

using json = nlohmann::json;

namespace {

// The segments of a dotted key ("machine.ncpus"); `option` names the
// argument in errors. A malformed key is an error, never a guess.
std::vector<std::string> key_segments(const std::string& path, const std::string& option) {
  require(!path.empty(), option, "no key given");
  require(is_valid_utf8(path), option, "key " + in_quotes(path) + " is not valid UTF-8");
  std::vector<std::string> segments;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = path.find('.', start);
    segments.push_back(path.substr(start, dot - start));
    require(!segments.back().empty(), option, "empty segment in key " + in_quotes(path));
    if (dot == std::string::npos) return segments;
    start = dot + 1;
  }
}

// An element of an array on a key's way: the object whose "name" is
// `segment` (a composite workload's group: workload.groups.web.rate_per_s),
// or the one at that decimal index. An error if there is none.
json* element(json& array, const std::string& segment, const std::string& option,
              const std::string& walked) {
  for (json& e : array)
    if (e.is_object() && e.contains("name") && e["name"] == segment) return &e;
  if (!segment.empty() && segment.size() <= 6 &&
      segment.find_first_not_of("0123456789") == std::string::npos) {
    std::size_t i = std::stoul(segment);
    if (i < array.size()) return &array[i];
  }
  throw ScenarioError(option, printable(walked, 200) + " has no element named " +
                                  in_quotes(printable(segment, 200)) +
                                  " (a group is named by its \"name\", or by its index)");
}

// The object that holds the key's last segment. Absent (or null) objects on
// the way are made when `create` (--set), else mean the key cannot be there
// (nullptr). An array on the way is entered by an element's name or index.
// Anything else on the way is an error: the key cannot exist.
json* holder(json& j, const std::vector<std::string>& segments, bool create,
             const std::string& option, const std::string& path) {
  json* node = &j;
  std::string walked;
  for (std::size_t i = 0;; ++i) {
    if (node->is_null()) {
      if (!create) return nullptr;
      *node = json::object();
    }
    if (node->is_array() && i + 1 < segments.size() && !walked.empty()) {
      node = element(*node, segments[i], option, walked);
      walked += "." + segments[i];
      continue;
    }
    require(node->is_object(), option,
            "cannot " + option.substr(2) + " " + printable(path, 200) + ": " +
            (walked.empty() ? "the scenario" : printable(walked, 200)) + " is " +
            type_of(*node) + ", not an object");
    if (i + 1 == segments.size()) return node;
    auto it = node->find(segments[i]);
    if (it == node->end()) {
      if (!create) return nullptr;
      it = node->emplace(segments[i], nullptr).first;
    }
    node = &*it;
    walked += (walked.empty() ? "" : ".") + segments[i];
  }
}

// JSON when it reads as JSON (16, 1.5, true, {"dist": ...}); text that is
// not JSON at all is a string. JSON the format refuses (1e400, nesting too
// deep, a duplicate key) is an error at the key, as it would be in a file.
json parse_override_value(const std::string& text, const std::string& path) {
  try {
    return parse_json_text(text, "--set " + printable(path, 200), path);
  } catch (const JsonSyntaxError&) {
    require(is_valid_utf8(text), path,
            "the value " + in_quotes(text) + " is not valid UTF-8 (text that is not JSON is "
            "taken as a string, and a string must be UTF-8)");
    return json(text);
  }
}

struct Fd {
  int fd;
  ~Fd() { if (fd >= 0) ::close(fd); }
};

}  // namespace

void apply_override(json& j, const std::string& assignment) {
  const std::string kKey = "--set";
  auto eq = assignment.find('=');
  require(eq != std::string::npos, kKey, "expected KEY=VALUE, got " + in_quotes(assignment));
  std::string path = assignment.substr(0, eq);
  require(!path.empty(), kKey, "no key before '=' in " + in_quotes(assignment));
  std::vector<std::string> segments = key_segments(path, kKey);
  // The value first: a refused one leaves the scenario as it was.
  json value = parse_override_value(assignment.substr(eq + 1), path);
  (*holder(j, segments, true, kKey, path))[segments.back()] = std::move(value);
}

void apply_unset(json& j, const std::string& path) {
  const std::string kKey = "--unset";
  std::vector<std::string> segments = key_segments(path, kKey);
  if (json* h = holder(j, segments, false, kKey, path)) h->erase(segments.back());
}

json load_scenario_file(const std::string& path) {
  std::string shown = printable(path, 1024);
  // O_NONBLOCK: opening a FIFO with no writer must not wait for one.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) throw ScenarioError(shown, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    throw ScenarioError(shown, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw ScenarioError(shown, "is a directory, not a scenario file");
  require(S_ISREG(st.st_mode), shown,
          "not a regular file (a FIFO, socket or device); a scenario is read from a file");
  check_text_size(static_cast<std::size_t>(st.st_size), shown);
  // Read to the end, not to st_size: the file may grow meanwhile; one chunk
  // past the cap is enough to refuse it.
  std::string text;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ScenarioError(shown, std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    check_text_size(text.size(), shown);
  }
  return parse_scenario_text(text, shown);
}

}  // namespace forksim
