// The HTML report: its charts built from hand-made results whose figures
// are known (analysis/report_charts.hpp), the page's contract
// (analysis/html_report.hpp, ISSUE13_DESIGN.md), and `forksim report` on
// real results and on bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "analysis/html_report.hpp"
#include "analysis/report_charts.hpp"
#include "cli/report_command.hpp"
#include "tests/support.hpp"

using namespace forksim;
using namespace forksim::test;
using Catch::Detail::Approx;
using nlohmann::json;

namespace {

json hand_run() {
  return json::parse(R"({
    "schema_version": 3, "seed": 1, "sim_time_s": 2, "wall_time_s": 0.1, "complete": true,
    "scenario": {"name": "</title><script>alert(1)</script>", "description": "How <fast>?", "seed": 1,
                 "costs": {"as_dup": 1000}, "tunables": {"max_nprocs": 100, "maxuprc": 90}},
    "manifest": {"git_commit": "abc", "command_line": ["forksim", "run"]},
    "window": {"start_s": 0.5, "end_s": 2, "length_s": 1.5},
    "paths": {"fork1": {"latency_s": {"count": 10, "mean": 1e-4, "p50": 9e-5, "p90": 1.1e-4, "p99": 1.5e-4,
                                      "max": 2e-4, "ci": {"p50": [8e-5, 1e-4]}}}},
    "throughput": {"forks_per_s": 1000, "failures_per_s": 0},
    "locks": {"pidlock": {"utilization": 0.2, "utilization_max": 0.2, "instances": 1, "wait_mean_s": 2e-6,
                          "wait_max_s": 5e-4, "contended": 3},
              "p_lock": {"utilization": 0.01, "utilization_max": 0.05, "instances": 10, "wait_mean_s": 0,
                         "wait_max_s": 0, "contended": 0}},
    "cpu": {"ncpus": 4, "utilization": 0.5},
    "timeseries": {"period_s": 0.5, "t_s": [0, 0.5, 1, 1.5, 2], "nproc": [1, 5, 9, 9, 3],
                   "failures_per_s": [0, 2, 4, 0, 0], "fork_fail_pending": [0, 1, 2, 0, 0],
                   "forks_per_s": [0, 10, 10, 10, 10], "cpu_utilization": [0, 0.4, 0.5, 0.6, 0.5],
                   "admin_latency_s": [null, 0.01, null, 2.0, null]}
  })");
}

const ChartFigure& find(const std::vector<ChartFigure>& v, const std::string& id) {
  for (const ChartFigure& f : v)
    if (f.id == id) return f;
  FAIL("no chart " << id);
  throw std::logic_error("unreachable");
}

std::vector<std::string> ids(const std::vector<ChartFigure>& v) {
  std::vector<std::string> out;
  for (const ChartFigure& f : v) out.push_back(f.id);
  return out;
}

const Series& series(const ChartFigure& f, const std::string& name) {
  for (const Series& s : f.chart.series)
    if (s.name == name) return s;
  FAIL("no series " << name << " in " << f.id);
  throw std::logic_error("unreachable");
}

// The ids of the page's <figure class="chart">, in order, having checked
// each one's parts: one <svg role="img"> with marks, its caption, then its table.
std::vector<std::string> checked_figures(const std::string& page) {
  std::vector<std::string> out;
  // Found by plain search: std::regex matches recursively, character by
  // character, and a page's figure overflows the stack under ASan.
  const std::string open = "<figure class=\"chart\" id=\"chart-";
  for (auto at = page.find(open); at != std::string::npos; at = page.find(open, at + 1)) {
    const auto id_end = page.find("\">", at + open.size());
    const auto end = page.find("</figure>", at);
    REQUIRE(id_end != std::string::npos);
    REQUIRE(end != std::string::npos);
    const std::string id = page.substr(at + open.size(), id_end - at - open.size());
    const std::string body = page.substr(id_end + 2, end - id_end - 2);
    INFO(id);
    CHECK(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
    std::size_t svgs = 0;
    for (auto at = body.find("<svg"); at != std::string::npos; at = body.find("<svg", at + 1)) ++svgs;
    CHECK(svgs == 1);
    CHECK(body.rfind("<svg role=\"img\"", 0) == 0);
    CHECK(body.find("<title>") != std::string::npos);
    CHECK(body.find("class=\"mark") != std::string::npos);
    CHECK(body.find("class=\"axis") != std::string::npos);
    const auto cap = body.find("<figcaption>"), table = body.find("<table class=\"chart-data\">");
    CHECK(body.find("</svg>") < cap);
    CHECK(cap < table);
    CHECK(table != std::string::npos);
    out.push_back(id);
  }
  return out;
}

// What the contract forbids anywhere in the page.
void check_self_contained(const std::string& page) {
  for (const char* bad : {"<script", "http:", "https:", "src=", "href=", "@import"}) {
    INFO(bad);
    CHECK(page.find(bad) == std::string::npos);
  }
  CHECK(page.find("url(") == std::string::npos);
  std::size_t styles = 0;
  for (auto at = page.find("<style"); at != std::string::npos; at = page.find("<style", at + 1)) ++styles;
  CHECK(styles == 1);
}

json interval(double mean, double half) {
  return {{"mean", mean}, {"half_width", half}, {"lo", mean - half}, {"hi", mean + half}, {"n", 3},
          {"rel_half_width", half / mean}};
}

json hand_sweep() {
  json points = json::array();
  const double ncpus[] = {2, 4, 8, 16}, x[] = {1800, 3300, 5000, 5600}, p99[] = {0.03, 0.02, 0.008, 0.006};
  for (int i = 0; i < 4; ++i)
    points.push_back({{"index", i},
                      {"overrides", {{"machine.ncpus", ncpus[i]}}},
                      {"sets", {"machine.ncpus=" + std::to_string(int(ncpus[i]))}},
                      {"metrics",
                       {{"throughput.forks_per_s", interval(x[i], 50)},
                        {"paths.fork1.latency_s.p99", interval(p99[i], 0.001)},
                        {"cpu.utilization", interval(0.9, 0.01)}}},
                      {"runs", json::array()}});
  return {{"kind", "sweep"},
          {"scenario", {{"name", "ncpus"}, {"seed", 1}}},
          {"manifest", {{"git_commit", "abc"}}},
          {"sweep", {{"vary", {{{"key", "machine.ncpus"}, {"values", {2, 4, 8, 16}}}}}, {"replications", 3}}},
          {"points", points},
          {"knee", {{"found", true}, {"key", "machine.ncpus"}, {"x", 8}, {"y", 5000}, {"metric", "throughput.forks_per_s"},
                    {"method", "Kneedle"}, {"bottleneck", {{"resource", "cpu"}, {"utilization", 1.0}}}}},
          {"usl", {{"metric", "throughput.forks_per_s"}, {"lambda", 1000}, {"sigma", 0.05}, {"kappa", 0.001},
                   {"r2", 0.99}, {"peak_ncpus", 30.8}, {"peak_throughput", 9000}}},
          {"slo", {{"metric", "paths.fork1.latency_s.p99"}, {"objective", "paths.fork1.latency_s.p99<=0.01"},
                   {"key", "machine.ncpus"}, {"answer", 8}, {"reason", "decided"},
                   {"points", {{{"x", 6}, {"mean", 0.012}, {"half_width", 0.001}, {"n", 3}}}}}}};
}

}  // namespace

TEST_CASE("a run's charts: latency percentiles with their intervals, locks, CPU, time series", "[html]") {
  const json r = hand_run();
  const Figures figures = [&r](const std::string& k) { return report_figure(r, k); };
  std::vector<ChartFigure> charts = run_charts(r, figures, false);
  for (ChartFigure& f : timeseries_charts(r, "")) charts.push_back(std::move(f));
  CHECK(ids(charts) == std::vector<std::string>{"latency-percentiles", "lock-utilization", "lock-wait", "cpu",
                                                "ts-nproc", "ts-failures", "ts-fork-fail-pending",
                                                "ts-admin-latency"});
  // Latency in microseconds (its largest, 200 us, is below a millisecond),
  // p50 with its order-statistic interval, the mean and max without.
  const ChartFigure& lat = find(charts, "latency-percentiles");
  CHECK(lat.y_unit == "\xC2\xB5s");
  const auto t = chart_table(lat);
  CHECK(t[0] == std::vector<std::string>{"statistic", "fork1 (\xC2\xB5s)", "fork1: 95% interval"});
  CHECK(t[1] == std::vector<std::string>{"mean", "100", ""});
  CHECK(t[2] == std::vector<std::string>{"p50", "90", "[80, 100]"});
  // No p999 in the report (too few samples): the chart and the table leave it out.
  REQUIRE(t.size() == 6);
  CHECK(lat.chart.x.categories == std::vector<std::string>{"mean", "p50", "p90", "p99", "max"});
  CHECK(t[5] == std::vector<std::string>{"max", "200", ""});
  // Locks by utilization, in percent; the per-process lock has its busiest instance too.
  const ChartFigure& util = find(charts, "lock-utilization");
  CHECK(util.chart.x.categories == std::vector<std::string>{"pidlock", "p_lock"});
  CHECK(series(util, "busiest instance").points[1].y == Approx(5));
  CHECK(series(util, "utilization (mean over its instances)").points[0].y == Approx(20));
  // Waits of 2 us and 50 us and zeros: a log axis, the zeros left out and said so.
  const ChartFigure& wait = find(charts, "lock-wait");
  CHECK(wait.chart.y.log);
  CHECK(wait.caption.find("2 values at or below 0 are not drawn on the log scale.") != std::string::npos);
  // CPU over time, in percent, with the window's mean and start.
  const ChartFigure& cpu = find(charts, "cpu");
  CHECK(cpu.chart.series[0].points[2].y == Approx(50));
  REQUIRE(cpu.chart.lines.size() == 1);
  CHECK(cpu.chart.lines[0].y == Approx(50));
  REQUIRE(cpu.chart.markers.size() == 1);
  CHECK(cpu.chart.markers[0].x == 0.5);
  // nproc (at most 9) far below its limits: they are named, not drawn...
  const ChartFigure& nproc = find(charts, "ts-nproc");
  CHECK(nproc.chart.lines.empty());
  CHECK(nproc.caption.find("not drawn (the processes stay below half of them): max_nprocs 100, maxuprc 90.") !=
        std::string::npos);
  // ... and drawn once the processes come within half of them.
  json full = r;
  full["timeseries"]["nproc"] = {1, 50, 90, 90, 3};
  const ChartFigure near = find(timeseries_charts(full, ""), "ts-nproc");
  REQUIRE(near.chart.lines.size() == 2);
  CHECK(near.chart.lines[0].y == 100);
  CHECK(near.chart.lines[1].y == 90);
  // The probe's latency: 10 ms and 2 s, a log axis in seconds, the gaps kept.
  const ChartFigure& admin = find(charts, "ts-admin-latency");
  CHECK(admin.y_unit == "s");
  CHECK(admin.chart.y.log);
  CHECK(admin.caption.find("log scale") != std::string::npos);
  CHECK(std::isnan(admin.chart.series[0].points[0].y));
  CHECK(admin.chart.series[0].points[3].y == 2.0);
  CHECK(admin.chart.series[0].style == SeriesStyle::LinePoints);
  // Linear axes from 0 say nothing about truncation.
  CHECK(nproc.caption.find("does not start at 0") == std::string::npos);
}

TEST_CASE("a run's page keeps the contract and escapes a hostile scenario name", "[html]") {
  const std::string page = html_report(hand_run(), {{{"pid_allocate", 250, "guess: a few cache lines"}}});
  check_self_contained(page);
  CHECK(checked_figures(page) == std::vector<std::string>{"latency-percentiles", "lock-utilization", "lock-wait",
                                                          "cpu", "ts-nproc", "ts-failures",
                                                          "ts-fork-fail-pending", "ts-admin-latency"});
  CHECK(page.find("<title>forksim report: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>") !=
        std::string::npos);
  CHECK(page.find("How &lt;fast&gt;?") != std::string::npos);
  // The estimated costs: flagged in the header, listed in their section;
  // then the scenario and the manifest, last.
  const auto flag = page.find("rests on 1 step costs that are estimates");
  const auto costs = page.find("<section id=\"estimated-costs\">");
  const auto scenario = page.find("<section id=\"scenario\">");
  const auto manifest = page.find("<section id=\"manifest\">");
  CHECK(flag < page.find("<figure"));
  CHECK(page.rfind("</figure>") < costs);
  CHECK(costs < scenario);
  CHECK(scenario < manifest);
  CHECK(page.find("<td>pid_allocate</td><td>250</td><td>guess: a few cache lines</td>", costs) != std::string::npos);
  CHECK(page.find("&quot;git_commit&quot;: &quot;abc&quot;", manifest) != std::string::npos);
}

TEST_CASE("a sweep charts each metric against the load with bands, the knee, the SLO and the USL", "[html]") {
  const json s = hand_sweep();
  const std::vector<ChartFigure> charts = sweep_charts(s);
  CHECK(ids(charts) == std::vector<std::string>{"sweep-throughput-forks-per-s", "sweep-paths-fork1-latency-s-p99",
                                                "sweep-cpu-utilization"});
  const ChartFigure& x = charts[0];
  // 2, 4, 8, 16: geometric, so a log axis ticked at the values swept.
  CHECK(x.chart.x.log);
  CHECK(x.chart.x.ticks == std::vector<double>{2, 4, 8, 16});
  const Series& mean = x.chart.series[0];
  REQUIRE(mean.points.size() == 4);
  CHECK(*mean.points[2].lo == 4950);
  CHECK(*mean.points[2].hi == 5050);
  // The USL curve: X(N) = 1000 N / (1 + 0.05 (N - 1) + 0.001 N (N - 1)).
  const Series& usl = series(x, "USL fit");
  CHECK(usl.mark_class == "usl");
  CHECK_FALSE(usl.in_table);
  CHECK(usl.points.front().x == 2);
  CHECK(usl.points.front().y == Approx(2000 / (1 + 0.05 + 0.002)));
  CHECK(usl.points.back().x == Approx(16));
  CHECK(usl.points.back().y == Approx(16000 / (1 + 0.05 * 15 + 0.001 * 16 * 15)));
  CHECK(*usl_at(s["usl"], 4) == Approx(4000 / (1 + 0.15 + 0.012)));
  CHECK_FALSE(usl_at(json::object(), 4));
  REQUIRE(x.chart.markers.size() == 1);
  CHECK(x.chart.markers[0].x == 8);
  CHECK(x.caption.find("busiest there: cpu at 100%") != std::string::npos);
  CHECK(x.caption.find("sigma 0.05, kappa 0.001") != std::string::npos);
  // The USL is a curve, not data: the table has the points alone.
  const auto table = chart_table(x);
  CHECK(table.size() == 5);
  CHECK(table[0] == std::vector<std::string>{"machine.ncpus", "mean (forks/s)", "mean: 95% interval"});
  CHECK(table[3] == std::vector<std::string>{"8", "5000", "[4950, 5050]"});
  // The SLO's bound (10 ms), its answer, and the point the search added.
  const ChartFigure& p99 = charts[1];
  CHECK(p99.y_unit == "ms");
  REQUIRE(p99.chart.lines.size() == 1);
  CHECK(p99.chart.lines[0].y == Approx(10));
  REQUIRE(p99.chart.markers.size() == 2);
  CHECK(p99.chart.markers[1].label == "SLO answer: 8");
  const Series& extra = series(p99, "SLO search points");
  REQUIRE(extra.points.size() == 1);
  CHECK(extra.points[0].x == 6);
  CHECK(extra.points[0].y == Approx(12));
  // The page: a USL mark, bands, the contract.
  const std::string page = html_report(s, {});
  check_self_contained(page);
  CHECK(checked_figures(page) == ids(charts));
  CHECK(page.find("class=\"mark usl line\"") != std::string::npos);
  CHECK(page.find("<polygon class=\"band\"") != std::string::npos);
  CHECK(page.find("None: every step cost") != std::string::npos);
}

TEST_CASE("a sweep over two keys charts the first, one series per value of the second", "[html]") {
  json points = json::array();
  for (int n : {2, 4})
    for (int p : {1, 8})
      points.push_back({{"overrides", {{"machine.ncpus", n}, {"workload.parents", p}}},
                        {"metrics", {{"throughput.forks_per_s", interval(100.0 * n * p, 5)}}}});
  const json s = {{"kind", "sweep"},
                  {"sweep", {{"vary", {{{"key", "machine.ncpus"}}, {{"key", "workload.parents"}}}}}},
                  {"points", points}};
  const auto charts = sweep_charts(s);
  REQUIRE(charts.size() == 1);
  const Chart& c = charts[0].chart;
  REQUIRE(c.series.size() == 2);
  CHECK(c.series[0].name == "workload.parents=1");
  CHECK(c.series[1].name == "workload.parents=8");
  CHECK(c.series[1].points[1].x == 4);
  CHECK(c.series[1].points[1].y == 3200);
  CHECK_FALSE(c.x.log);  // two values: no geometric sweep to speak of
  // A key of words is a categorical axis in the sweep's order.
  json words = s;
  words["sweep"]["vary"] = {{{"key", "kernel.fork_backoff"}}};
  words["points"] = {{{"overrides", {{"kernel.fork_backoff", "illumos"}}},
                      {"metrics", {{"throughput.forks_per_s", interval(10, 1)}}}},
                     {{"overrides", {{"kernel.fork_backoff", "none"}}},
                      {"metrics", {{"throughput.forks_per_s", interval(8, 1)}}}}};
  const auto cat = sweep_charts(words);
  REQUIRE(cat.size() == 1);
  CHECK(cat[0].chart.x.categories == std::vector<std::string>{"illumos", "none"});
  CHECK(cat[0].chart.series[0].style == SeriesStyle::Points);
}

TEST_CASE("a replicated run: each replication relative to the mean, and the run charts with intervals", "[html]") {
  json run0 = hand_run(), run1 = hand_run();
  run0["throughput"]["forks_per_s"] = 900;
  run1["throughput"]["forks_per_s"] = 1100;
  json metrics = {{"throughput.forks_per_s", interval(1000, 150)},
                  {"cpu.utilization", interval(0.5, 0.05)},
                  {"paths.fork1.latency_s.p50", interval(9e-5, 1e-5)},
                  {"locks.pidlock.utilization", interval(0.2, 0.02)}};
  const json r = {{"kind", "replicated"},
                  {"scenario", {{"name", "rep"}}},
                  {"replications", {{"n", 2}, {"seeds", {1, 2}}, {"stopped", {{"reason", "asked"}}}}},
                  {"metrics", metrics},
                  {"runs", {run0, run1}}};
  const auto charts = replicated_charts(r);
  REQUIRE(charts.size() == 1);
  const ChartFigure& f = charts[0];
  CHECK(f.id == "replicated-metrics");
  const auto& cats = f.chart.x.categories;
  const std::size_t i = std::find(cats.begin(), cats.end(), "throughput.forks_per_s") - cats.begin();
  REQUIRE(i < cats.size());
  std::vector<double> rel;
  for (const ChartPoint& p : f.chart.series[0].points)
    if (p.x == i) rel.push_back(p.y);
  CHECK(rel.size() == 2);
  CHECK(rel[0] == Approx(-10));
  CHECK(rel[1] == Approx(10));
  CHECK(*f.chart.series[1].points[i].hi == Approx(15));
  // Its table: the figures in their own units.
  CHECK(f.table[0][0] == "figure");
  const std::string page = html_report(r, {});
  check_self_contained(page);
  const auto figs = checked_figures(page);
  CHECK(figs.front() == "replicated-metrics");
  CHECK(std::find(figs.begin(), figs.end(), "latency-percentiles") != figs.end());
  CHECK(std::find(figs.begin(), figs.end(), "ts-nproc") != figs.end());
  CHECK(page.find("replication 0 (seed 1) alone") != std::string::npos);
  CHECK(page.find("1000 \xC2\xB1 150") != std::string::npos);
}

TEST_CASE("a service's request latency near and away from forks, on a log axis", "[html]") {
  json r = hand_run();
  r["groups"] = {{"db", {{"requests", {{"near_fork", {{"latency_s", {{"mean", 0.8}, {"p50", 0.85}, {"max", 1.2}}}}},
                                       {"away_from_fork", {{"latency_s", {{"mean", 0.004}, {"p50", 0.00036},
                                                                          {"ci", {{"p50", {0.00035, 0.00037}}}},
                                                                          {"max", 0.5}}}}}}}}}};
  const Figures figures = [&r](const std::string& k) { return report_figure(r, k); };
  const auto charts = run_charts(r, figures, false);
  const ChartFigure& f = find(charts, "service-latency");
  CHECK(f.chart.y.log);
  CHECK(f.y_unit == "s");
  CHECK(series(f, "db: near a fork").points.size() == 3);
  const Series& away = series(f, "db: away from forks");
  CHECK(*away.points[1].lo == 0.00035);
  // One colour a group, its requests away from forks hollow.
  CHECK(series(f, "db: near a fork").colour == away.colour);
  CHECK_FALSE(series(f, "db: near a fork").hollow);
  CHECK(away.hollow);
  CHECK(svg_chart(f.chart).find("fill=\"#fff\" stroke=\"#1f77b4\"") != std::string::npos);
  CHECK(f.caption.find("log scale: the y axis does not start at 0.") != std::string::npos);
}

TEST_CASE("a sensitivity and a comparison get pages of tables", "[html]") {
  const json sens = {{"kind", "sensitivity"},
                     {"metric", "throughput.forks_per_s"},
                     {"delta", 0.25},
                     {"baseline", interval(100, 1)},
                     {"scenario", {{"name", "s"}}},
                     {"costs", {{{"cost", "as_dup"}, {"basis", "remainder"}, {"set_by_scenario", true}, {"cost_ns", 37000},
                                 {"elasticity", interval(-0.5, 0.1)}}}}};
  const std::string page = html_report(sens, {});
  check_self_contained(page);
  CHECK(page.find("<figure") == std::string::npos);
  CHECK(page.find("<td>1</td><td>as_dup</td><td>remainder*</td><td>37,000</td><td>-0.5</td><td>[-0.6, -0.4]</td>") !=
        std::string::npos);
  const json cmp = {{"kind", "compare"},
                    {"a", {{"kind", "run"}, {"file", "a.json"}}},
                    {"b", {{"kind", "run"}, {"file", "b.json"}}},
                    {"test", "none (single runs)"},
                    {"metrics", {{"cpu.utilization", {{"a", 0.5}, {"b", 0.6}, {"diff", 0.1}, {"rel", 0.2},
                                                      {"interval", nullptr}, {"significant", false}}}}}};
  const std::string cpage = html_report(cmp, {});
  check_self_contained(cpage);
  CHECK(cpage.find("<td>cpu.utilization</td><td>0.5</td><td>0.6</td><td>0.1</td><td>20%</td><td>n/a</td><td>no</td>") !=
        std::string::npos);
}

TEST_CASE("the estimated costs are the catalogue's guesses, shares and remainders the scenario leaves", "[html]") {
  json r = hand_run();
  auto names = [](const std::vector<EstimatedCost>& v) {
    std::set<std::string> s;
    for (const auto& c : v) s.insert(c.name);
    return s;
  };
  const auto with = estimated_costs(r);
  CHECK(!with.empty());
  for (const auto& c : with) {
    INFO(c.name << ": " << c.basis);
    CHECK((c.basis.rfind("guess:", 0) == 0 || c.basis.rfind("share:", 0) == 0 || c.basis.rfind("remainder:", 0) == 0));
    CHECK(c.cost_ns > 0);
  }
  // as_dup (a remainder) is set by the scenario; pid_allocate (a guess) is not.
  CHECK(names(with).count("as_dup") == 0);
  CHECK(names(with).count("pid_allocate") == 1);
  r["scenario"]["costs"] = json::object();
  CHECK(names(estimated_costs(r)).count("as_dup") == 1);
  // A sweep that varies a cost does not rest on its default.
  json s = hand_sweep();
  s["sweep"]["vary"] = {{{"key", "costs.pid_allocate"}}};
  CHECK(names(estimated_costs(s)).count("pid_allocate") == 0);
  r["scenario"]["costs"] = {{"*", 1}};
  CHECK(estimated_costs(r).empty());
}

// --- forksim report ----------------------------------------------------------

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const std::vector<std::string> kShortReport = {"--set", "duration_s=0.3", "--set", "warmup_s=0.1",
                                         "--set", "timeseries_s=0.05", "--set", "workload.parents=8"};

}  // namespace

TEST_CASE("forksim report draws a run and a replicated run", "[html][cli]") {
  TempDir d;
  REQUIRE(run_cli(d, concat({"run", "-q", "-o", "r.json"}, kShortReport)).status == 0);
  Result r = run_cli(d, {"report", "r.json", "-o", "r.html"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  const std::string page = read_file(d / "r.html");
  check_self_contained(page);
  const auto ids = checked_figures(page);
  for (const char* id : {"latency-percentiles", "lock-utilization", "lock-wait", "cpu", "ts-nproc", "ts-failures",
                         "ts-fork-fail-pending"})
    CHECK(has(ids, id));
  CHECK(page.find("<section id=\"estimated-costs\">") != std::string::npos);
  // -o - writes the page to stdout.
  Result s = run_cli(d, {"report", "r.json", "-o", "-"});
  CHECK(s.status == 0);
  CHECK(s.out == page);

  REQUIRE(run_cli(d, concat({"run", "-q", "--replications", "2", "-o", "rep.json"}, kShortReport)).status == 0);
  Result rep = run_cli(d, {"report", "rep.json", "-o", "rep.html"});
  INFO(rep.err);
  REQUIRE(rep.status == 0);
  const std::string rpage = read_file(d / "rep.html");
  check_self_contained(rpage);
  const auto rids = checked_figures(rpage);
  CHECK(rids.front() == "replicated-metrics");
  CHECK(has(rids, "latency-percentiles"));
  CHECK(has(rids, "ts-nproc"));
}

TEST_CASE("forksim report draws a sweep with its USL fit, and a fork bomb's time series", "[html][cli]") {
  TempDir d;
  Result sw = run_cli(d, concat({"sweep", "--vary", "machine.ncpus=1,2,4,8", "--replications", "2", "--quiet",
                                 "-o", "s.json"},
                                kShortReport));
  INFO(sw.err);
  REQUIRE(sw.status == 0);
  Result r = run_cli(d, {"report", "s.json", "-o", "s.html"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string page = read_file(d / "s.html");
  check_self_contained(page);
  const auto ids = checked_figures(page);
  REQUIRE(!ids.empty());
  CHECK(ids.front() == "sweep-throughput-forks-per-s");
  CHECK(has(ids, "sweep-cpu-utilization"));
  CHECK(page.find("class=\"mark usl line\"") != std::string::npos);

  const std::string bomb = std::string(FORKSIM_SOURCE_DIR) + "/tests/fixtures/fork_bomb.json";
  REQUIRE(run_cli(d, {"run", bomb, "-q", "--set", "duration_s=1.5", "-o", "b.json"}).status == 0);
  Result b = run_cli(d, {"report", "b.json", "-o", "b.html"});
  INFO(b.err);
  REQUIRE(b.status == 0);
  const std::string bpage = read_file(d / "b.html");
  const auto bids = checked_figures(bpage);
  for (const char* id : {"ts-nproc", "ts-failures", "ts-fork-fail-pending", "ts-admin-latency"}) CHECK(has(bids, id));
}

TEST_CASE("forksim report draws a service's latency near and away from its forks", "[html][cli]") {
  TempDir d;
  write_text(d / "svc.json", R"({"name": "small-service", "duration_s": 1.5, "warmup_s": 0.25, "timeseries_s": 0.05,
    "machine": {"ncpus": 8},
    "workload": {"type": "service", "path": "fork1", "rate_per_s": 2000, "fork_every_s": 0.5,
                 "service_s": {"dist": "exponential", "mean": 0.0005},
                 "parent": {"lwps": 4, "resident_mb": 512, "reserved_mb": 512},
                 "child": {"lifetime_s": 0.2, "exec": false}}})");
  REQUIRE(run_cli(d, {"run", "svc.json", "-q", "-o", "r.json"}).status == 0);
  Result r = run_cli(d, {"report", "r.json", "-o", "r.html"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string page = read_file(d / "r.html");
  check_self_contained(page);
  const auto ids = checked_figures(page);
  CHECK(has(ids, "service-latency"));
  CHECK(has(ids, "ts-request-latency"));
  CHECK(page.find("near a fork") != std::string::npos);
}

TEST_CASE("forksim report refuses bad input with exit 2, naming why, and writes nothing", "[html][cli]") {
  TempDir d;
  write_text(d / "old.html", "old page\n");
  write_text(d / "text.json", "not json at all");
  write_text(d / "array.json", "[1, 2]");
  write_text(d / "kind.json", R"({"kind": "bogus"})");
  write_text(d / "sens.json", R"({"kind": "sensitivity", "costs": []})");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"report", "missing.json", "-o", "old.html"}, "forksim report: missing.json: No such file or directory"},
      {{"report", "text.json", "-o", "old.html"}, "forksim report: text.json: not JSON ("},
      {{"report", "array.json", "-o", "old.html"}, "forksim report: array.json: not a forksim result: a JSON array"},
      {{"report", "kind.json", "-o", "old.html"}, "forksim report: kind.json: not a forksim result: \"kind\" is \"bogus\""},
      {{"report", "sens.json", "-o", "old.html"},
       "forksim report: sens.json: not a forksim result: a sensitivity result needs \"metric\""},
      {{"report", "text.json"}, "forksim report: -o is required: the HTML file to write (\"-o -\" for stdout)"},
      {{"report", "-o", "x.html"}, "forksim report: needs a result: forksim report RESULT.json -o REPORT.html"},
      {{"report", "text.json", "-o", "no/such/dir/r.html"}, "forksim report: -o no/such/dir/r.html: "},
      {{"report", "text.json", "-o", "."}, "forksim report: -o .: "},
  };
  const std::set<std::string> before = names_in(d.path);
  for (const Case& c : cases) {
    Result r = run_cli(d, c.args);
    INFO(c.args[1] << ": " << r.err);
    CHECK(r.status == 2);
    CHECK(r.err.rfind(c.message, 0) == 0);
    CHECK(r.out.empty());
  }
  CHECK(names_in(d.path) == before);
  CHECK(read_file(d / "old.html") == "old page\n");
}
