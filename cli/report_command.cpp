#include "cli/report_command.hpp"

#include <boost/program_options.hpp>
#include <set>

#include "analysis/compare.hpp"
#include "analysis/json_lookup.hpp"
#include "cli/lockstat_options.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/result_file.hpp"
#include "models/steps.hpp"
#include "scenarios/json_text.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// A sensitivity or compare result has no runs to check; the keys its page
// reads must be there, of their type.
void check_table_result(const json& r, const std::string& kind) {
  auto need = [&](const char* key, bool ok) {
    if (!ok)
      throw CompareError("not a forksim result: a " + kind + " result needs \"" + key + "\" (" +
                         (kind == "sensitivity" ? "forksim sensitivity -o" : "forksim compare --json") +
                         " writes one)");
  };
  if (kind == "sensitivity") {
    need("metric", r.contains("metric") && r["metric"].is_string());
    need("costs", r.contains("costs") && r["costs"].is_array());
  } else {
    need("a", r.contains("a") && r["a"].is_object());
    need("b", r.contains("b") && r["b"].is_object());
    need("metrics", (r.contains("metrics") && r["metrics"].is_object()) ||
                        (r.contains("points") && r["points"].is_array()));
  }
}

}  // namespace

std::vector<EstimatedCost> estimated_costs(const json& result) {
  const json& costs = object_at(result, "scenario.costs");
  if (costs.contains("*")) return {};
  std::set<std::string> varied;
  if (const json* vary = at_key(result, "sweep.vary"); vary && vary->is_array())
    for (const json& v : *vary)
      if (v.is_object() && v.contains("key") && v["key"].is_string()) {
        const std::string key = v["key"].get<std::string>();
        if (starts_with(key, "costs.")) varied.insert(key.substr(6, key.find('.', 6) - 6));
      }
  std::vector<EstimatedCost> out;
  for (const StepInfo& st : step_catalogue()) {
    const std::string basis = st.basis;
    if (!starts_with(basis, "guess:") && !starts_with(basis, "share:") && !starts_with(basis, "remainder:"))
      continue;
    if (costs.contains(st.name) || varied.count(st.name) || st.cost_ns == 0) continue;
    out.push_back({st.name, st.cost_ns, basis});
  }
  return out;
}

int cmd_report(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description d("forksim report RESULT.json -o REPORT.html");
  d.add_options()
      ("result", po::value<std::string>(),
       "a forksim result: a run report, a replicated run, a sweep (charts), or a sensitivity or "
       "compare --json result (tables)")
      ("output,o", po::value<std::string>(),
       "write the HTML page here (\"-\": stdout); required, except with --lockstat")
      ("help,h", "this help");
  add_lockstat_options(d, "instead of the page, the locks of one run as illumos lockstat(8) prints them, "
                          "on stdout (or to -o): the run report itself, or a replicated run's "
                          "replication --run I, or a sweep's point --point P's");
  d.add_options()
      ("run", po::value<std::string>()->value_name("I"),
       "with --lockstat: which replication (from 0; default 0)")
      ("point", po::value<std::string>()->value_name("P"),
       "with --lockstat: which sweep point (from 0; default 0)");
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "result", out, vm, edits,
             "\nOne self-contained HTML file: inline SVG charts and CSS, no script, no external file.\n"))
    return 0;
  if (!edits.empty()) throw Usage("takes no --set or --unset");
  if (!vm.count("result")) throw Usage("needs a result: forksim report RESULT.json -o REPORT.html");
  const std::optional<LockstatOptions> lockstat = lockstat_option(vm);
  if (!lockstat && !vm.count("output"))
    throw Usage("-o is required: the HTML file to write (\"-o -\" for stdout)");
  for (const char* o : {"run", "point"})
    if (!lockstat && vm.count(o)) throw Usage(std::string("--") + o + " goes with --lockstat");
  auto index = [&](const char* o) { return static_cast<std::size_t>(integer_option(vm, o, 0, 0, 1000000)); };
  const std::size_t run = index("run"), point = index("point");
  const std::string file = vm["result"].as<std::string>();
  // Checked first, so that a bad -o costs no reading; nothing is written
  // before the page is whole.
  OutputFile output(vm.count("output") ? vm["output"].as<std::string>() : "-");
  const json result = read_result_file(file);
  const std::string kind = text_at(result, "kind");
  try {
    if (kind == "sensitivity" || kind == "compare")
      check_table_result(result, kind);
    else
      result_kind(result);
  } catch (const CompareError& e) {
    throw Usage(printable(file, 200) + ": " + e.what());
  }
  if (lockstat) {
    try {
      output.write(lockstat_text(lockstat_run(result, run, point), *lockstat), out);
    } catch (const LockstatError& e) {
      throw Usage(printable(file, 200) + ": " + e.what());
    }
    return 0;
  }
  output.write(html_report(result, {estimated_costs(result)}), out);
  return 0;
}

}  // namespace forksim
