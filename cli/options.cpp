#include "cli/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "scenarios/include.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/library.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {

const char* const kScenarioHelp =
    "scenario file, or a library scenario's name (`forksim list`); default: the built-in one";

// Options every scenario-reading command shares. --set and --unset are
// listed here for --help; take_edits() reads them.
void add_scenario_options(po::options_description& d) {
  d.add_options()
      ("set", po::value<std::vector<std::string>>(),
       "override a scenario value by its dotted path: --set machine.ncpus=16; an object "
       "replaces the whole object: --set 'workload={\"type\": \"open\"}' (repeatable)")
      ("unset", po::value<std::vector<std::string>>(),
       "remove a key from the scenario, so that its default applies: --unset warmup_s "
       "(repeatable, in order with --set)")
      ("help,h", "this help");
}

// Takes every --set and --unset (and its value) out of args, in order.
// Boost's parser erases each token it consumes from the front of its vector,
// quadratic in the number of arguments (20,000 --set took 13.6 s); this pass
// is linear, and boost sees only the other options.
std::vector<Edit> take_edits(std::vector<std::string>& args) {
  std::vector<Edit> edits;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {  // the end of options: the rest is positional
      rest.insert(rest.end(), args.begin() + i, args.end());
      break;
    }
    bool taken = false;
    for (const auto& [name, unset] : {std::pair{std::string("--set"), false},
                                      std::pair{std::string("--unset"), true}}) {
      if (a == name) {
        if (i + 1 == args.size()) throw Usage("the required argument for option '" + name + "' is missing");
        edits.push_back({unset, args[++i]});
        taken = true;
      } else if (a.compare(0, name.size() + 1, name + "=") == 0) {
        edits.push_back({unset, a.substr(name.size() + 1)});
        taken = true;
      }
    }
    if (!taken) rest.push_back(a);
  }
  args = std::move(rest);
  return edits;
}

// Parses a command's options, the first positional argument going to
// `positional`; --set and --unset go to `edits`. Returns false when --help
// was asked (and printed).
bool parse(std::vector<std::string> args, const po::options_description& d,
           const char* positional, std::ostream& out, po::variables_map& vm,
           std::vector<Edit>& edits, const char* help_note, int npositional) {
  po::positional_options_description pos;
  pos.add(positional, npositional);
  edits = take_edits(args);
  // No guessing of abbreviations: "--se" must not be taken for an option.
  int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  try {
    po::store(po::command_line_parser(args).options(d).positional(pos).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::vector<std::string> names;
    for (const auto& o : d.options()) names.push_back("--" + o->long_name());
    throw Usage(printable(e.what(), 200) + did_you_mean(e.get_option_name(), names));
  } catch (const po::error& e) {
    throw Usage(printable(e.what(), 200));
  }
  if (!vm.count("help")) return true;
  out << d << help_note;
  return false;
}

void add_costs_fragment_option(po::options_description& d) {
  d.add_options()("costs", po::value<std::string>(),
                  "a fragment `forksim calibrate` wrote: its costs over the scenario's, its "
                  "provenance into the manifest (before --set and --unset)");
}

json load_raw(const po::variables_map& vm, const std::vector<Edit>& edits, bool costs_fragment) {
  json raw = json::object();
  if (vm.count("scenario")) raw = resolve_scenario_arg(vm["scenario"].as<std::string>());
  if (costs_fragment && vm.count("costs")) apply_costs_fragment(raw, vm["costs"].as<std::string>());
  for (const Edit& e : edits) e.unset ? apply_unset(raw, e.text) : apply_override(raw, e.text);
  return raw;
}

// A budget option's value: a finite number >= 0, all of the text ("nan",
// "inf", "-1" and "5s" are refused, not read as no limit).
double budget_value(const po::variables_map& vm, const std::string& name, double absent) {
  if (!vm.count(name)) return absent;
  const std::string& text = vm[name].as<std::string>();
  char* end = nullptr;
  double x = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(x) || x < 0)
    throw Usage("--" + name + " must be a number >= 0 (0: no limit), got '" + printable(text) + "'");
  return x;
}

long integer_option(const po::variables_map& vm, const std::string& name, long absent, long lo, long hi) {
  if (!vm.count(name)) return absent;
  const std::string& text = vm[name].as<std::string>();
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < lo || v > hi)
    throw Usage("--" + name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                ", got '" + printable(text) + "'");
  return v;
}

long positive_integer(const po::variables_map& vm, const std::string& name, long absent) {
  return integer_option(vm, name, absent, 1, 100000);
}

}  // namespace forksim
