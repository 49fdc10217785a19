#include "driver/vary.hpp"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <regex>
#include <set>

#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

using nlohmann::json;

namespace forksim {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& why) { throw ScenarioError(key, why); }

// Splits at the commas outside quotes and brackets.
std::vector<std::string> split_top_level(const std::string& s) {
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      escaped = !escaped && c == '\\';
      if (c == '"' && !escaped) in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      items.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  items.push_back(cur);
  return items;
}

bool is_integer_text(const std::string& t) { return t.find_first_of(".eE") == std::string::npos; }

// Digits after the point of a number written without an exponent (with
// one: -1, round to 15 significant digits instead).
int decimals(const std::string& t) {
  if (t.find_first_of("eE") != std::string::npos) return -1;
  auto dot = t.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(t.size() - dot - 1);
}

double round_to(double x, int decimals) {
  if (decimals < 0 || decimals > 15) {
    char b[40];
    std::snprintf(b, sizeof b, "%.15g", x);
    return std::strtod(b, nullptr);
  }
  double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

double number(const std::string& t) { return std::strtod(t.c_str(), nullptr); }

void check_count(const std::string& key, double count) {
  if (!(count <= static_cast<double>(kMaxSweepPoints)))
    fail(key, "the range has more than " + std::to_string(kMaxSweepPoints) + " values");
}

std::vector<json> arithmetic(const std::string& key, const std::string& a, const std::string& b,
                             const std::string& step) {
  double x0 = number(a), x1 = number(b), dx = number(step);
  if (dx == 0) fail(key, "the range's step is 0");
  double span = (x1 - x0) / dx;
  if (span < 0) fail(key, "the range's step " + step + " goes away from its end " + b);
  // A step that lands on the end within rounding includes it.
  double count = std::floor(span * (1 + 1e-12) + 1e-9) + 1;
  check_count(key, count);
  std::vector<json> v;
  const bool ints = is_integer_text(a) && is_integer_text(step);
  const int d = decimals(a) < 0 || decimals(step) < 0 ? -1 : std::max(decimals(a), decimals(step));
  for (int64_t k = 0; k < static_cast<int64_t>(count); ++k) {
    if (ints) v.push_back(static_cast<int64_t>(std::llround(x0)) + k * static_cast<int64_t>(std::llround(dx)));
    else v.push_back(round_to(x0 + static_cast<double>(k) * dx, d));
  }
  return v;
}

std::vector<json> geometric(const std::string& key, const std::string& a, const std::string& b,
                            const std::string& factor) {
  double x0 = number(a), x1 = number(b), f = number(factor);
  if (!(x0 > 0 && x1 > 0)) fail(key, "a geometric range needs a start and an end > 0");
  if (!(f > 0) || f == 1) fail(key, "a geometric range's factor must be > 0 and not 1, got x" + factor);
  if ((f > 1) != (x1 >= x0) && x1 != x0) fail(key, "the range's factor x" + factor + " goes away from its end " + b);
  double count = std::floor(std::log(x1 / x0) / std::log(f) * (1 + 1e-12) + 1e-9) + 1;
  check_count(key, count);
  std::vector<json> v;
  const bool ints = is_integer_text(a) && is_integer_text(factor);
  for (int64_t k = 0; k < static_cast<int64_t>(count); ++k) {
    double x = x0 * std::pow(f, static_cast<double>(k));
    if (ints && x < 9e15) v.push_back(static_cast<int64_t>(std::llround(x)));
    else v.push_back(round_to(x, -1));
  }
  return v;
}

}  // namespace

Vary parse_vary(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("--vary", "expected KEY=LIST (1,2,4 or 100:2000:100 or 1:64:x2), got " + in_quotes(arg));
  Vary v;
  v.key = arg.substr(0, eq);
  const std::string list = arg.substr(eq + 1);
  {
    json probe = json::object();  // the key's syntax, checked as --set checks it
    apply_override(probe, v.key + "=0");
  }
  if (v.key == "seed")
    fail("seed", "is not varied: replication i runs with seed + i at every point; "
                 "--replications sets how many");
  if (list.empty()) fail(v.key, "--vary gives no values");
  static const std::string num = R"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)";
  static const std::regex range("^(" + num + "):(" + num + "):(x?)(" + num + ")$");
  std::smatch m;
  if (std::regex_match(list, m, range)) {
    v.values = m[3].length() ? geometric(v.key, m[1], m[2], m[4]) : arithmetic(v.key, m[1], m[2], m[4]);
    for (const json& x : v.values) v.sets.push_back(v.key + "=" + x.dump());
    return v;
  }
  std::vector<std::string> items = split_top_level(list);
  if (items.size() > kMaxSweepPoints)
    fail(v.key, "--vary has more than " + std::to_string(kMaxSweepPoints) + " values");
  for (const std::string& item : items) {
    if (item.empty()) fail(v.key, "--vary has an empty value in " + in_quotes(list));
    // Read as --set reads a value, so that a point means what --set would.
    json holder = json::object();
    try {
      apply_override(holder, "v=" + item);
    } catch (const ScenarioError& e) {
      fail(v.key, e.reason());
    }
    v.values.push_back(holder["v"]);
    v.sets.push_back(v.key + "=" + item);
  }
  return v;
}

std::vector<SweepPoint> sweep_points(const std::vector<Vary>& vary, bool zip) {
  if (vary.empty()) fail("--vary", "a sweep needs at least one --vary KEY=LIST");
  std::set<std::string> keys;
  for (const Vary& v : vary)
    if (!keys.insert(v.key).second) fail(v.key, "is varied twice (one --vary per key)");
  std::vector<SweepPoint> points;
  if (zip) {
    for (const Vary& v : vary)
      if (v.values.size() != vary[0].values.size())
        fail("--zip", "the lists must be equally long: " + vary[0].key + " has " +
                          std::to_string(vary[0].values.size()) + " values, " + v.key + " has " +
                          std::to_string(v.values.size()));
    for (std::size_t i = 0; i < vary[0].values.size(); ++i) {
      SweepPoint p;
      for (const Vary& v : vary) {
        p.overrides[v.key] = v.values[i];
        p.sets.push_back(v.sets[i]);
      }
      points.push_back(std::move(p));
    }
    return points;
  }
  double total = 1;
  for (const Vary& v : vary) total *= static_cast<double>(v.values.size());
  if (total > static_cast<double>(kMaxSweepPoints))
  {
    char b[40];
    std::snprintf(b, sizeof b, "%.0f", total);
    fail("--vary", std::string("the sweep has ") + b + " points, more than " +
                       std::to_string(kMaxSweepPoints));
  }
  std::vector<std::size_t> idx(vary.size(), 0);
  for (std::size_t n = 0; n < static_cast<std::size_t>(total); ++n) {
    SweepPoint p;
    for (std::size_t k = 0; k < vary.size(); ++k) {
      p.overrides[vary[k].key] = vary[k].values[idx[k]];
      p.sets.push_back(vary[k].sets[idx[k]]);
    }
    points.push_back(std::move(p));
    for (std::size_t k = vary.size(); k-- > 0;) {  // the last key fastest
      if (++idx[k] < vary[k].values.size()) break;
      idx[k] = 0;
    }
  }
  return points;
}

std::string point_label(std::size_t index, const SweepPoint& p) {
  std::string s = "point " + std::to_string(index) + " (";
  for (std::size_t i = 0; i < p.sets.size(); ++i) s += (i ? ", " : "") + printable(p.sets[i], 80);
  return s + ")";
}

}  // namespace forksim
