// The HTML report of a forksim result: one self-contained page (no script,
// no network, no external file; one inline <style>), its charts inline SVG
// (analysis/report_charts.hpp, analysis/svg_chart.hpp). Pure: the result's
// JSON in, the page's text out.
//
// Kinds: a run report, a replicated run, a sweep (charts); a sensitivity
// or compare result (tables only). The page: a header (the scenario's
// name, its question, the headline figures, a flag when estimated costs
// matter), the charts (each a <figure class="chart" id="chart-NAME">, its
// caption and a <table class="chart-data">), then <section
// id="estimated-costs">, <section id="scenario"> and <section
// id="manifest">. The contract is ISSUE13_DESIGN.md's "A: the HTML report".
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forksim {

// A default cost the result's answer rests on that is an estimate, not a
// measurement (its catalogue basis starts "guess:", "share:" or
// "remainder:") and that the scenario does not set itself.
struct EstimatedCost {
  std::string name;   // the step
  double cost_ns = 0; // its default
  std::string basis;  // the catalogue's basis, in full
};

// What analysis/ cannot know of the model; filled by the command line.
struct HtmlExtras {
  std::vector<EstimatedCost> estimated_costs;
};

// The page for `result`. Values missing from a result (a partial report)
// leave out what needs them; nothing here throws on a result's contents.
std::string html_report(const nlohmann::json& result, const HtmlExtras& extras);

}  // namespace forksim
