// What the commands share in reading their options: --set/--unset in
// command-line order, boost's parse with "did you mean", the scenario
// argument, and the budget options' values.
#pragma once
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace forksim {

extern const char* const kScenarioHelp;

// Bad usage: exit 2 with the message.
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --set, --unset and --help, for --help's listing; take_edits() reads the first two.
void add_scenario_options(boost::program_options::options_description& d);

// One --set or --unset, in command-line order.
struct Edit {
  bool unset;
  std::string text;
};

// Takes every --set and --unset (and its value) out of args, in order.
std::vector<Edit> take_edits(std::vector<std::string>& args);

// Parses a command's options, the first `npositional` positional arguments
// going to `positional`; --set and --unset go to `edits`. Returns false when --help
// was asked (and printed).
bool parse(std::vector<std::string> args, const boost::program_options::options_description& d,
           const char* positional, std::ostream& out, boost::program_options::variables_map& vm,
           std::vector<Edit>& edits, const char* help_note = "", int npositional = 1);

// --costs FILE (run, sweep, validate): a calibration fragment's costs over
// the scenario's (scenarios/include.hpp apply_costs_fragment).
void add_costs_fragment_option(boost::program_options::options_description& d);

// The scenario argument (a file, a library name, or the built-in default
// when absent), then with `costs_fragment` the --costs file, then the
// edits applied; not yet resolved.
nlohmann::json load_raw(const boost::program_options::variables_map& vm, const std::vector<Edit>& edits,
                        bool costs_fragment = false);

// A budget option's value: a finite number >= 0, all of the text.
double budget_value(const boost::program_options::variables_map& vm, const std::string& name,
                    double absent);

// An option's count: an integer from 1 to 100000, all of the text; `absent`
// when the option is not given.
long positive_integer(const boost::program_options::variables_map& vm, const std::string& name,
                      long absent);
// The same for any range [lo, hi].
long integer_option(const boost::program_options::variables_map& vm, const std::string& name, long absent,
                    long lo, long hi);

}  // namespace forksim
