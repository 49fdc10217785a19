#include "analysis/html_report.hpp"

#include <sstream>

#include "analysis/json_lookup.hpp"
#include "analysis/report_charts.hpp"
#include "analysis/svg_chart.hpp"

using nlohmann::json;

namespace forksim {
namespace {

// Small and plain: the page must read the same printed, with scripts off,
// and in a review's screenshot.
constexpr const char* kStyle = R"(
body { font: 14px/1.45 sans-serif; color: #222; max-width: 980px; margin: 0 auto; padding: 0 16px 40px; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; }
.kind { color: #555; margin: 0; }
.question { font-style: italic; max-width: 820px; }
.warning { background: #fff4d6; border-left: 4px solid #e0a100; padding: 6px 10px; }
table { border-collapse: collapse; font-size: 12px; margin: 6px 0 12px; }
th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
table.chart-data { display: block; max-height: 22em; overflow-y: auto; width: max-content; max-width: 100%; }
figure.chart { margin: 18px 0 26px; }
figure.chart svg { width: 100%; max-width: 720px; height: auto; display: block; }
figcaption { font-size: 13px; color: #333; max-width: 720px; margin: 4px 0; }
svg text { font: 11px sans-serif; fill: #222; }
svg .axis-label { font-size: 12px; }
svg .axis line, svg .axis-line { stroke: #444; }
svg .axis line.grid { stroke: #e4e4e4; }
svg polyline.mark { fill: none; stroke-width: 2; }
svg polygon.band { opacity: 0.18; stroke: none; }
svg .band.whisker, svg g.band line { stroke-width: 1.5; }
svg .marker line { stroke: #555; stroke-dasharray: 4 3; }
svg .threshold line { stroke: #b00; stroke-dasharray: 7 4; stroke-width: 1.5; }
svg .threshold text { fill: #b00; }
svg .marker text, svg .threshold text { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
pre { background: #f7f7f7; padding: 8px; font-size: 12px; overflow-x: auto; max-height: 40em; }
)";

std::string esc(const std::string& s) { return xml_escape(s); }

std::string pretty(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

std::string num_or_na(const std::optional<double>& v, int digits = 6) {
  return v ? format_number(*v, digits) : std::string("n/a");
}

std::string table_html(const std::vector<std::vector<std::string>>& rows, const std::string& cls) {
  if (rows.empty()) return "";
  std::ostringstream o;
  o << "<table" << (cls.empty() ? "" : " class=\"" + cls + "\"") << ">";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const char* cell = i == 0 ? "th" : "td";
    if (i == 0) o << "<thead>";
    if (i == 1) o << "<tbody>";
    o << "<tr>";
    for (const std::string& c : rows[i]) o << "<" << cell << ">" << esc(c) << "</" << cell << ">";
    o << "</tr>";
    if (i == 0) o << "</thead>";
  }
  if (rows.size() > 1) o << "</tbody>";
  o << "</table>";
  return o.str();
}

std::string figure_html(const ChartFigure& f) {
  std::ostringstream o;
  o << "<figure class=\"chart\" id=\"chart-" << esc(f.id) << "\">" << svg_chart(f.chart) << "<figcaption><strong>"
    << esc(f.heading) << ".</strong> " << esc(f.caption) << "</figcaption>"
    << table_html(chart_table(f), "chart-data") << "</figure>";
  return o.str();
}

// "12345 +/- 12.3" from a replicated metric, the value alone from a run's.
// Latencies in their unit, fractions in percent.
std::string figure_text(const Figures& figures, const std::string& key, const json* metrics) {
  auto f = figures(key);
  if (!f) return "";
  const bool seconds = key.find("latency_s") != std::string::npos || key.find("response_s") != std::string::npos;
  const bool fraction = key.find("utilization") != std::string::npos;
  auto text = [&](double v, int digits) {
    return seconds ? format_seconds(v, digits) : fraction ? format_number(v * 100, digits) + "%" : format_number(v, digits);
  };
  // Four significant digits: a headline is read, not computed from (the
  // tables under the charts and the JSON keep the rest).
  std::string s = text(f->value, 4);
  // The metrics' names are dotted: looked up whole, not as a path.
  if (metrics && metrics->is_object() && metrics->contains(key))
    if (auto h = number_at((*metrics)[key], "half_width")) s += " \xC2\xB1 " + text(*h, 3);
  return s;
}

// The headline figures of a run or a replicated run, as table rows.
std::vector<std::vector<std::string>> headline_rows(const json& shape, const Figures& figures,
                                                    const json* metrics) {
  std::vector<std::vector<std::string>> rows = {{"figure", metrics ? "mean \xC2\xB1 95% half-width" : "value"}};
  auto add = [&](const std::string& label, const std::string& key) {
    std::string v = figure_text(figures, key, metrics);
    if (!v.empty()) rows.push_back({label, v});
  };
  add("forks per second", "throughput.forks_per_s");
  if (auto f = figures("throughput.failures_per_s"); f && f->value > 0)
    add("failed forks per second", "throughput.failures_per_s");
  for (const auto& [path, body] : object_at(shape, "paths").items()) {
    add(path + " latency p50", "paths." + path + ".latency_s.p50");
    add(path + " latency p99", "paths." + path + ".latency_s.p99");
  }
  // What a composite machine's groups measure of their own: a service's
  // requests, root's probe, an interactive user's response.
  std::vector<std::pair<std::string, std::string>> units = {{"", ""}};
  for (const auto& [g, body] : object_at(shape, "groups").items()) units.push_back({g + ": ", "groups." + g + "."});
  for (const auto& [who, prefix] : units) {
    add(who + "request latency p99", prefix + "requests.latency_s.p99");
    add(who + "near a fork, request latency p99", prefix + "requests.near_fork.latency_s.p99");
    add(who + "admin probe's fork latency, mean", prefix + "admin_probe.latency_s.mean");
    add(who + "admin probe's fork latency, max", prefix + "admin_probe.latency_s.max");
    add(who + "response time p90", prefix + "response_s.p90");
  }
  add("CPU utilization", "cpu.utilization");
  add("pidlock utilization", "locks.pidlock.utilization");
  add("most processes", "processes.nproc_max");
  add("measurement window (s)", "window.length_s");
  return rows;
}

std::string shown_scenario_name(const json& result) {
  std::string n = text_at(result, "scenario.name");
  return n.empty() ? "(unnamed scenario)" : n;
}

std::string header_html(const json& result, const std::string& kind_line, const std::string& body,
                        const HtmlExtras& extras) {
  std::ostringstream o;
  o << "<header><h1>forksim report: " << esc(shown_scenario_name(result)) << "</h1><p class=\"kind\">"
    << esc(kind_line) << "</p>";
  const std::string q = text_at(result, "scenario.description");
  if (!q.empty()) o << "<p class=\"question\">" << esc(q) << "</p>";
  if (const json* c = at_key(result, "complete"); c && c->is_boolean() && !c->get<bool>()) {
    std::string why = text_at(result, "incomplete_reason");
    o << "<p class=\"warning\">This result is incomplete" << (why.empty() ? "" : ": " + esc(why))
      << ". Its figures cover only what ran.</p>";
  }
  o << body;
  if (!extras.estimated_costs.empty())
    o << "<p class=\"warning\">The answer rests on " << extras.estimated_costs.size()
      << " step costs that are estimates (a guess, or a share or remainder of a measurement), not "
         "measurements: see <em>Estimated costs</em> below.</p>";
  o << "</header>";
  return o.str();
}

std::string costs_section(const HtmlExtras& extras) {
  std::ostringstream o;
  o << "<section id=\"estimated-costs\"><h2>Estimated costs</h2>";
  if (extras.estimated_costs.empty()) {
    o << "<p>None: every step cost the model charged is measured, or set by the scenario.</p>";
  } else {
    o << "<p>The default step costs that are estimates and that the scenario does not set; the answer "
         "is only as good as they are (<code>forksim sensitivity</code> says how much each one moves "
         "it).</p>";
    std::vector<std::vector<std::string>> rows = {{"step", "cost (ns)", "basis"}};
    for (const EstimatedCost& c : extras.estimated_costs)
      rows.push_back({c.name, format_number(c.cost_ns, 6), c.basis});
    o << table_html(rows, "estimated-costs");
  }
  o << "</section>";
  return o.str();
}

std::string closing_sections(const json& result, const HtmlExtras& extras) {
  std::ostringstream o;
  o << costs_section(extras);
  o << "<section id=\"scenario\"><h2>Scenario</h2><p>As the run resolved it, every default filled in.</p><pre>"
    << esc(pretty(result.contains("scenario") ? result["scenario"] : json(nullptr))) << "</pre></section>";
  o << "<section id=\"manifest\"><h2>Manifest</h2><p>What made this result.</p><pre>"
    << esc(pretty(result.contains("manifest") ? result["manifest"] : json(nullptr))) << "</pre></section>";
  return o.str();
}

std::string charts_html(const std::vector<ChartFigure>& figures) {
  std::ostringstream o;
  o << "<section id=\"charts\"><h2>Charts</h2>";
  for (const ChartFigure& f : figures) o << figure_html(f);
  o << "</section>";
  return o.str();
}

std::string run_page(const json& r, const HtmlExtras& extras) {
  const Figures figures = [&r](const std::string& k) { return report_figure(r, k); };
  std::string kind = "run report, seed " + num_or_na(number_at(r, "seed"), 20) + ", " +
                     num_or_na(number_at(r, "sim_time_s")) + " s simulated";
  std::vector<ChartFigure> charts = run_charts(r, figures, false);
  for (ChartFigure& f : timeseries_charts(r, "")) charts.push_back(std::move(f));
  return header_html(r, kind, table_html(headline_rows(r, figures, nullptr), "headline"), extras) +
         charts_html(charts) + closing_sections(r, extras);
}

std::string replicated_page(const json& r, const HtmlExtras& extras) {
  const json& metrics = object_at(r, "metrics");
  const Figures figures = [&metrics](const std::string& k) { return metrics_figure(metrics, k); };
  const json* runs = at_key(r, "runs");
  const json& first = runs && runs->is_array() && !runs->empty() ? (*runs)[0] : object_at(r, "none");
  std::string kind = "replicated run: " + num_or_na(number_at(r, "replications.n")) + " replications";
  const std::string stopped = text_at(r, "replications.stopped.reason");
  if (!stopped.empty()) kind += ", stopped: " + stopped;
  std::vector<ChartFigure> charts = replicated_charts(r);
  for (ChartFigure& f : run_charts(first, figures, true)) charts.push_back(std::move(f));
  const std::string seed = num_or_na(number_at(first, "seed"), 20);
  for (ChartFigure& f : timeseries_charts(first, "replication 0 (seed " + seed + ") alone"))
    charts.push_back(std::move(f));
  return header_html(r, kind, table_html(headline_rows(first, figures, &metrics), "headline"), extras) +
         charts_html(charts) + closing_sections(r, extras);
}

std::string sweep_page(const json& r, const HtmlExtras& extras) {
  std::ostringstream body;
  std::vector<std::vector<std::string>> rows = {{"varied", "values"}};
  if (const json* vary = at_key(r, "sweep.vary"); vary && vary->is_array())
    for (const json& v : *vary) {
      std::string values;
      if (v.is_object() && v.contains("values") && v["values"].is_array())
        for (const json& x : v["values"])
          values += (values.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
      rows.push_back({v.is_object() ? v.value("key", "") : "", values});
    }
  body << table_html(rows, "headline");
  body << "<ul class=\"answers\">";
  const json& knee = object_at(r, "knee");
  if (!knee.empty()) {
    body << "<li>Knee of " << esc(text_at(knee, "metric")) << ": ";
    if (knee.value("found", false))
      body << esc(text_at(knee, "key")) << " = " << esc(num_or_na(number_at(knee, "x"))) << " ("
           << esc(num_or_na(number_at(knee, "y"))) << ")";
    else
      body << "none (" << esc(text_at(knee, "reason")) << ")";
    body << "</li>";
  }
  const json& usl = object_at(r, "usl");
  if (!usl.empty()) {
    body << "<li>USL fit of " << esc(text_at(usl, "metric")) << ": ";
    if (number_at(usl, "sigma"))
      body << "sigma " << esc(num_or_na(number_at(usl, "sigma"), 4)) << ", kappa " << esc(num_or_na(number_at(usl, "kappa"), 4))
           << ", R\xC2\xB2 " << esc(num_or_na(number_at(usl, "r2"), 4))
           << (number_at(usl, "peak_ncpus") ? "; peak " + esc(num_or_na(number_at(usl, "peak_throughput"))) + " at " +
                                                  esc(num_or_na(number_at(usl, "peak_ncpus"), 3)) + " CPUs"
                                            : std::string("; no peak"));
    else
      body << "none (" << esc(text_at(usl, "reason")) << ")";
    body << "</li>";
  }
  const json& slo = object_at(r, "slo");
  if (!slo.empty()) {
    body << "<li>SLO " << esc(text_at(slo, "objective")) << ": ";
    if (auto a = number_at(slo, "answer"))
      body << "the highest " << esc(text_at(slo, "key")) << " meeting it with 95% confidence is "
           << esc(format_number(*a, 6));
    else
      body << "no " << esc(text_at(slo, "key")) << " in the range meets it with 95% confidence";
    body << " (" << esc(text_at(slo, "reason")) << ")</li>";
  }
  body << "</ul>";
  const json* points = at_key(r, "points");
  const std::size_t n = points && points->is_array() ? points->size() : 0;
  std::string kind = "sweep: " + std::to_string(n) + " points, " + num_or_na(number_at(r, "sweep.replications")) +
                     " replications each";
  return header_html(r, kind, body.str(), extras) + charts_html(sweep_charts(r)) + closing_sections(r, extras);
}

std::string interval_cell(const json& iv) {
  auto lo = number_at(iv, "lo"), hi = number_at(iv, "hi");
  return lo && hi ? "[" + format_number(*lo, 4) + ", " + format_number(*hi, 4) + "]" : "n/a";
}

std::string sensitivity_page(const json& r, const HtmlExtras& extras) {
  std::ostringstream body;
  body << "<p>Elasticity of " << esc(text_at(r, "metric")) << " to each step cost (each cost times 1 \xE2\x88\x93 "
       << esc(num_or_na(number_at(r, "delta"), 3)) << "), baseline " << esc(num_or_na(number_at(r, "baseline.mean")))
       << " " << esc(interval_cell(object_at(r, "baseline"))) << ".</p>";
  std::vector<std::vector<std::string>> rows = {
      {"rank", "cost", "basis", "cost (ns)", "elasticity", "95% interval"}};
  if (const json* costs = at_key(r, "costs"); costs && costs->is_array())
    for (std::size_t i = 0; i < costs->size(); ++i) {
      const json& c = (*costs)[i];
      const json& e = object_at(c, "elasticity");
      std::string basis = text_at(c, "basis");
      if (const json* set = at_key(c, "set_by_scenario"); set && set->is_boolean() && set->get<bool>()) basis += "*";
      rows.push_back({std::to_string(i + 1), text_at(c, "cost"), basis, num_or_na(number_at(c, "cost_ns")),
                      num_or_na(number_at(e, "mean"), 4), interval_cell(e)});
    }
  std::string kind = "sensitivity: " + num_or_na(number_at(r, "replications")) + " replications a cost";
  return header_html(r, kind, body.str(), extras) + "<section id=\"tables\"><h2>Elasticities</h2>" +
         table_html(rows, "sensitivity") +
         "<p>basis: where the default cost comes from; * the scenario sets this cost.</p></section>" +
         closing_sections(r, extras);
}

std::vector<std::vector<std::string>> comparison_rows(const json& metrics) {
  std::vector<std::vector<std::string>> rows = {{"metric", "A", "B", "B - A", "relative", "95% interval", "significant"}};
  for (const auto& [name, m] : metrics.items()) {
    const json* sig = at_key(m, "significant");
    rows.push_back({name, num_or_na(number_at(m, "a")), num_or_na(number_at(m, "b")), num_or_na(number_at(m, "diff")),
                    number_at(m, "rel") ? format_number(*number_at(m, "rel") * 100, 3) + "%" : "n/a",
                    interval_cell(object_at(m, "interval")),
                    sig && sig->is_boolean() && sig->get<bool>() ? "yes" : "no"});
  }
  return rows;
}

std::string compare_page(const json& r, const HtmlExtras& extras) {
  std::ostringstream body;
  body << "<p>A: " << esc(text_at(r, "a.file")) << " (" << esc(text_at(r, "a.kind")) << "); B: "
       << esc(text_at(r, "b.file")) << " (" << esc(text_at(r, "b.kind")) << ").</p>";
  std::ostringstream tables;
  tables << "<section id=\"tables\"><h2>Differences</h2>";
  if (r.contains("metrics")) {
    tables << "<p>Test: " << esc(text_at(r, "test")) << ".</p>" << table_html(comparison_rows(object_at(r, "metrics")), "compare");
  }
  if (const json* points = at_key(r, "points"); points && points->is_array())
    for (const json& p : *points) {
      tables << "<h3>" << esc(pretty(object_at(p, "overrides"))) << "</h3><p>Test: " << esc(text_at(p, "test"))
             << ".</p>" << table_html(comparison_rows(object_at(p, "metrics")), "compare");
    }
  tables << "</section>";
  return header_html(r, "comparison of two results, B against A", body.str(), extras) + tables.str() +
         closing_sections(r, extras);
}

}  // namespace

std::string html_report(const json& result, const HtmlExtras& extras) {
  const std::string kind = text_at(result, "kind");
  std::string page;
  if (kind == "replicated")
    page = replicated_page(result, extras);
  else if (kind == "sweep")
    page = sweep_page(result, extras);
  else if (kind == "sensitivity")
    page = sensitivity_page(result, extras);
  else if (kind == "compare")
    page = compare_page(result, extras);
  else
    page = run_page(result, extras);
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>forksim report: " +
         esc(shown_scenario_name(result)) + "</title><style>" + kStyle + "</style></head><body>" + page +
         "</body></html>\n";
}

}  // namespace forksim
