#include "scenarios/include.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {
namespace {

using json = nlohmann::json;
constexpr int kMaxIncludeDepth = 16;

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

// `chain`: the canonical paths of the files including this one, outermost first.
json load(const std::string& path, std::vector<std::string>& chain, const std::string& key) {
  const std::string real = canonical(path);
  for (const std::string& c : chain)
    if (c == real)
      throw ScenarioError(key, printable(path, 1024) + " includes itself (through " +
                                   std::to_string(chain.size()) + " file(s)); includes cannot form a cycle");
  require(static_cast<int>(chain.size()) < kMaxIncludeDepth, key,
          "more than " + std::to_string(kMaxIncludeDepth) + " levels of includes");
  json raw;
  try {
    raw = load_scenario_file(path);
  } catch (const ScenarioError& e) {
    if (chain.empty()) throw;
    throw ScenarioError(key, e.what());
  }
  if (!raw.is_object() || !raw.contains("include")) return raw;
  const json inc = raw["include"];
  raw.erase("include");
  const std::string here = chain.empty() ? "include" : printable(path, 1024) + ": include";
  std::vector<std::string> paths;
  if (inc.is_string()) {
    paths.push_back(inc.get<std::string>());
  } else {
    require(inc.is_array(), here, "expected a path or an array of paths, got " + type_of(inc));
    for (const json& p : inc) {
      require(p.is_string(), here, "expected a path or an array of paths; an element is " + type_of(p));
      paths.push_back(p.get<std::string>());
    }
  }
  chain.push_back(real);
  json merged = json::object();
  for (const std::string& p : paths) {
    require(!p.empty(), here, "an empty path");
    const std::string full = p[0] == '/' ? p : dir_of(path) + "/" + p;
    json part = load(full, chain, here);
    require(part.is_object(), here, printable(p, 1024) + ": expected a scenario object, got " + type_of(part));
    merged = merge_fragment(merged, part);
  }
  chain.pop_back();
  return merge_fragment(merged, raw);
}

}  // namespace

json merge_fragment(const json& base, const json& top) {
  if (!base.is_object() || !top.is_object()) return top;
  json out = base;
  for (const auto& item : top.items()) {
    auto it = out.find(item.key());
    if (it != out.end() && item.key() != "calibration" && it->is_object() && item.value().is_object())
      *it = merge_fragment(*it, item.value());
    else
      out[item.key()] = item.value();
  }
  return out;
}

json load_scenario_with_includes(const std::string& path) {
  std::vector<std::string> chain;
  return load(path, chain, "include");
}

void apply_costs_fragment(json& raw, const std::string& path, const std::string& option) {
  const std::string key = option + " " + printable(path, 1024);
  json frag;
  try {
    frag = load_scenario_with_includes(path);
  } catch (const ScenarioError& e) {
    throw ScenarioError(key, e.what());
  }
  require(frag.is_object(), key, "expected a fragment object with \"costs\", got " + type_of(frag));
  static const std::vector<std::string> allowed = {"costs", "machine", "calibration"};
  for (const auto& item : frag.items())
    require(std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end(), key,
            "unknown key " + in_quotes(printable(item.key(), 200)) +
                " (a costs fragment holds costs, machine and calibration)" + did_you_mean(item.key(), allowed));
  require(frag.contains("costs") && frag["costs"].is_object(), key,
          "no \"costs\" object: not a fragment forksim calibrate wrote");
  // Checked alone first, so that its errors name the fragment's keys.
  try {
    parse_scenario(frag);
  } catch (const ScenarioError& e) {
    throw ScenarioError(key, e.what());
  }
  if (!raw.is_object()) return;  // parse_scenario says what the scenario is instead
  if (!raw.contains("costs") || !raw["costs"].is_object()) raw["costs"] = json::object();
  for (const auto& item : frag["costs"].items()) raw["costs"][item.key()] = item.value();
  if (frag.contains("calibration")) raw["calibration"] = frag["calibration"];
}

}  // namespace forksim
