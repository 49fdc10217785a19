#include "cli/compare_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <regex>
#include <vector>

#include "analysis/compare.hpp"
#include "scenarios/json_text.hpp"

namespace forksim {
namespace {

using nlohmann::json;

std::string number_text(double x, const char* fmt = "%.6g") {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

// "seed 7", "seeds 1..5", "seeds 3, 9, 4"
std::string seeds_text(const json& seeds) {
  if (seeds.size() == 1) return "seed " + seeds[0].dump();
  bool consecutive = true;
  for (std::size_t i = 1; i < seeds.size(); ++i)
    consecutive = consecutive && seeds[i].get<uint64_t>() == seeds[i - 1].get<uint64_t>() + 1;
  if (consecutive) return "seeds " + seeds.front().dump() + ".." + seeds.back().dump();
  std::string s = "seeds ";
  for (std::size_t i = 0; i < seeds.size() && i < 6; ++i) {
    if (i) s += ", ";
    s += seeds[i].dump();
  }
  return s + (seeds.size() > 6 ? ", ..." : "");
}

std::string side_text(const json& side, const std::string& file) {
  std::string s = printable(file, 200) + " (" + side["kind"].get<std::string>();
  if (side.contains("runs")) {
    std::size_t n = side["runs"];
    if (n > 1) s += ", " + std::to_string(n) + " runs";
    s += ", " + seeds_text(side["seeds"]);
  } else {
    s += ", " + side["points"].dump() + " points";
  }
  return s + ")";
}

struct Row {
  std::string name;
  const json* m;
  // 0 significant, 1 differs without an interval to judge it (single
  // runs), 2 the others.
  int rank;
  double magnitude;  // |rel|, or -1 when there is none
};

std::string verdict(const json& m) {
  if (!m["interval"].is_null())
    return m["significant"].get<bool>() ? "significant" : "not significant";
  return m["diff"].get<double>() == 0 ? "identical" : "no interval";
}

std::string bounds_text(const json& m) {
  const json& iv = m["interval"];
  if (iv.is_null()) return "-";
  std::string s = "[";
  s += number_text(iv["lo"].get<double>(), "%.4g");
  s += ", ";
  s += number_text(iv["hi"].get<double>(), "%.4g");
  return s + "]";
}

// One comparison of runs (a whole run comparison or a sweep point's).
void print_table(std::ostream& out, const json& c, bool all) {
  std::vector<Row> rows;
  std::size_t significant = 0, total = c["metrics"].size();
  for (auto it = c["metrics"].begin(); it != c["metrics"].end(); ++it) {
    const json& m = *it;
    bool sig = m["significant"].get<bool>();
    significant += sig;
    if (!all && !is_main_metric(it.key())) continue;
    int rank = sig ? 0 : m["interval"].is_null() && m["diff"].get<double>() != 0 ? 1 : 2;
    const json& rel = m["rel"];
    rows.push_back({it.key(), &m, rank, rel.is_number() ? std::fabs(rel.get<double>()) : -1});
  }
  // The differences first, largest relative change first; the rest by name.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
    if (x.rank != y.rank) return x.rank < y.rank;
    return x.rank < 2 && x.magnitude > y.magnitude;
  });
  out << "test: " << c["test"].get<std::string>() << "; " << significant << " of " << total
      << " metrics differ significantly";
  out << (all ? "" : "; the main figures (--all: every metric)") << "\n";
  std::vector<std::vector<std::string>> cells = {
      {"metric", "A", "B", "diff", "rel %", "95% interval", "verdict"}};
  for (const Row& r : rows) {
    const json& m = *r.m;
    cells.push_back({printable(r.name, 200), number_text(m["a"].get<double>()), number_text(m["b"].get<double>()),
                     number_text(m["diff"].get<double>()),
                     m["rel"].is_number() ? number_text(100 * m["rel"].get<double>(), "%+.2f") : "-",
                     bounds_text(m), verdict(m)});
  }
  std::vector<std::size_t> w(cells[0].size(), 0);
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], row[i].size());
  for (const auto& row : cells) {
    out << "  " << std::left << std::setw(static_cast<int>(w[0])) << row[0];
    for (std::size_t i = 1; i + 1 < row.size(); ++i)
      out << "  " << std::right << std::setw(static_cast<int>(w[i])) << row[i];
    out << "  " << row.back() << "\n";
  }
  if (!c["not_compared"].empty())
    out << "  not compared: " << c["not_compared"].size()
        << " metrics not in every run of both (--json says which)\n";
}

}  // namespace

bool is_main_metric(const std::string& name) {
  static const std::regex main(
      R"(throughput\.(forks|failures)_per_s)"
      R"(|paths\.[^.]+\.(forks_per_s|latency_s\.p50|latency_s\.p99|failures\.[^.]+))"
      R"(|(requests\.latency_s|response_s)\.(p50|p99))"
      R"(|cpu\.utilization|locks\.[^.]+\.utilization)");
  return std::regex_match(name, main);
}

void print_comparison(std::ostream& out, const json& c, bool all, const std::string& file_a,
                      const std::string& file_b) {
  out << "A: " << side_text(c["a"], file_a) << "\nB: " << side_text(c["b"], file_b) << "\n";
  if (c["a"]["scenario_hash"] != c["b"]["scenario_hash"] && !c["a"]["scenario_hash"].is_null() &&
      !c["b"]["scenario_hash"].is_null())
    out << "(the scenarios differ: scenario_hash " << c["a"]["scenario_hash"].get<std::string>()
        << " and " << c["b"]["scenario_hash"].get<std::string>() << ")\n";
  if (!c.contains("points")) {
    print_table(out, c, all);
    return;
  }
  for (const json& p : c["points"]) {
    out << "\npoint " << printable(point_name(p["overrides"]), 200) << "\n";
    print_table(out, p, all);
  }
  for (const auto& [key, who] : {std::pair{"points_only_in_a", "A"}, std::pair{"points_only_in_b", "B"}})
    for (const json& o : c[key]) out << "\nonly in " << who << ": point " << printable(point_name(o), 200) << "\n";
}

}  // namespace forksim
