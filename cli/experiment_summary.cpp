#include "cli/experiment_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <string>
#include <utility>
#include <vector>

using nlohmann::json;

namespace forksim {
namespace {

// The figures a summary shows, when the run has them.
bool is_main(const std::string& key) {
  static const std::regex main_re(
      R"(throughput\.forks_per_s|paths\.[a-z_0-9]+\.latency_s\.(mean|p99)|requests\.latency_s\.(mean|p99)|cpu\.utilization|locks\.pidlock\.utilization)");
  return std::regex_match(key, main_re);
}

std::string num(double x, const char* fmt = "%.6g") {
  char b[40];
  std::snprintf(b, sizeof b, fmt, x);
  return b;
}

std::string percent(const json& x) {
  char b[40];
  std::snprintf(b, sizeof b, "%.3g%%", 100 * x.get<double>());
  return b;
}

// "12345 +/- 123 (1.0%)", or the mean alone without a half-width.
std::string interval_text(const json& iv) {
  std::string s = num(iv.at("mean").get<double>());
  if (iv.at("half_width").is_null()) return s + " (one replication: no interval)";
  s += " +/- " + num(iv.at("half_width").get<double>(), "%.3g");
  if (!iv.at("rel_half_width").is_null()) s += " (" + percent(iv.at("rel_half_width")) + ")";
  return s;
}

std::string stopped_text(const json& rep) {
  const json& st = rep.at("stopped");
  std::string s = "stopped: " + st.at("reason").get<std::string>();
  if (st.contains("metric")) {
    s += " (" + st.at("metric").get<std::string>() + " relative half-width ";
    s += st.at("rel_half_width").is_null() ? std::string("n/a") : percent(st.at("rel_half_width"));
    s += ", target " + percent(st.at("target")) + ")";
  }
  return s;
}

// "1, 4, 7": a JSON array's elements.
std::string join_json(const json& a) {
  std::string s;
  for (const json& x : a) s += (s.empty() ? "" : ", ") + x.dump();
  return s;
}

}  // namespace

void print_replicated_summary(std::ostream& out, const json& result) {
  const json& rep = result.at("replications");
  const json& seeds = rep.at("seeds");
  out << "replications: " << rep.at("n").get<std::size_t>();
  if (!seeds.empty())
    out << " (seeds " << seeds.front().get<uint64_t>() << " to " << seeds.back().get<uint64_t>() << ")";
  out << ", " << rep.at("jobs").get<int>() << " at a time; " << stopped_text(rep) << "\n";
  std::string precision = rep.at("stopped").value("metric", "");
  out << "mean +/- 95% half-width (relative):\n";
  for (const auto& [key, iv] : result.at("metrics").items())
    if (is_main(key) || key == precision) out << "  " << key << ": " << interval_text(iv) << "\n";
}

void print_sweep_summary(std::ostream& out, const json& sweep) {
  const json& def = sweep.at("sweep");
  std::string metric = "throughput.forks_per_s";
  if (!def.at("precision").is_null()) metric = def.at("precision").at("metric");
  const json& failed = sweep.value("failed_points", json::array());
  out << "sweep: " << sweep.at("points").size() - failed.size() << " of "
      << def.at("points").get<std::size_t>() << " points";
  if (!failed.empty()) out << " (" << failed.size() << " failed: points " << join_json(failed) << ")";
  out << "; " << metric << ", mean +/- 95% half-width:\n";
  for (const json& p : sweep.at("points")) {
    if (p.contains("failed")) {
      out << "  point " << p.at("index").dump() << ": FAILED (" << p["failed"].at("message").get<std::string>()
          << ")\n";
      continue;
    }
    std::string sets;
    for (const json& s : p.at("sets")) {
      if (!sets.empty()) sets += " ";
      sets += s.get<std::string>();
    }
    out << "  " << sets << ": ";
    const json& m = p.at("metrics");
    out << (m.contains(metric) ? interval_text(m.at(metric)) : std::string("n/a")) << "\n";
  }
  print_capacity_answers(out, sweep);
}

void print_capacity_answers(std::ostream& out, const json& sweep) {
  if (sweep.contains("knee")) {
    const json& k = sweep["knee"];
    out << "knee of " << k.value("metric", "") << " (" << k.at("method").get<std::string>() << "): ";
    if (!k.value("found", false)) {
      out << "none: " << k.value("reason", "") << "\n";
    } else {
      out << k.at("key").get<std::string>() << "=" << num(k.at("x").get<double>()) << " ("
          << num(k.at("y").get<double>()) << ")";
      if (k.contains("bottleneck") && k["bottleneck"].is_object()) {
        const json& b = k["bottleneck"];
        out << "; busiest there: " << b.at("resource").get<std::string>() << " at " << percent(b.at("utilization"));
        if (b.contains("cpu_spinning")) {  // busy CPUs that are a lock's queue
          out << " (" << percent(b["cpu_spinning"].at("total")) << " of it spinning on locks:";
          std::vector<std::pair<double, std::string>> by;
          for (const auto& [name, f] : b["cpu_spinning"].at("by_lock").items()) by.push_back({-f.get<double>(), name});
          std::sort(by.begin(), by.end());
          for (std::size_t i = 0; i < by.size() && i < 2; ++i)
            out << (i ? ", " : " ") << by[i].second << " " << percent(json(-by[i].first));
          out << ")";
        }
      }
      out << "\n";
    }
  }
  if (sweep.contains("usl")) {
    const json& u = sweep["usl"];
    if (u.value("fitted", true)) {
      out << "USL fit: sigma " << num(u.at("sigma").get<double>(), "%.4g") << ", kappa "
          << num(u.at("kappa").get<double>(), "%.4g") << ", R^2 " << num(u.at("r2").get<double>(), "%.4f");
      if (u.at("peak_ncpus").is_number())
        out << "; peak " << num(u.at("peak_throughput").get<double>()) << " at "
            << num(u.at("peak_ncpus").get<double>(), "%.3g") << " CPUs";
      else
        out << "; no peak (kappa 0)";
      out << "\n";
    } else {
      out << "USL fit: none: " << u.value("reason", "") << "\n";
    }
  }
  if (sweep.contains("slo")) {
    const json& o = sweep["slo"];
    // A load's answer is the highest meeting value, a resource's the lowest.
    const bool resource = o.value("direction", "harder") == "easier";
    const std::string key = o.at("key").get<std::string>();
    out << "SLO " << o.at("objective").get<std::string>() << ": ";
    if (o.at("answer").is_number())
      out << (resource ? "lowest " : "highest ") << key << " meeting it with 95% confidence: "
          << num(o.at("answer").get<double>());
    else
      out << "no " << (resource ? key : std::string("load")) << " in the range meets it with 95% confidence";
    const char* edge = resource ? "highest_failing" : "lowest_failing";
    if (o.contains(edge) && o.at(edge).is_number())
      out << " (the " << (resource ? "highest" : "lowest") << " failing: " << num(o.at(edge).get<double>()) << ")";
    out << "; " << o.value("reason", "") << "\n";
  }
}

}  // namespace forksim
