// What the commands of cli/ share to read their options: --set and --unset
// in command-line order, the scenario argument, and the usage error (exit
// 2) a bad option gets. Defined in cli/cli.cpp.
#pragma once
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace forksim {

// A bad option or option value: cli_main prints "forksim COMMAND: what" and exits 2.
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One --set or --unset, in command-line order.
struct Edit {
  bool unset;
  std::string text;
};

extern const char* kScenarioHelp;

// --set, --unset and --help, for a command's option list.
void add_scenario_options(boost::program_options::options_description& d);

// Parses a command's options, the first `npositional` positional arguments
// going to `positional`; --set and --unset go to `edits`. Returns false
// when --help was asked (and printed).
bool parse(std::vector<std::string> args, const boost::program_options::options_description& d,
           const char* positional, std::ostream& out, boost::program_options::variables_map& vm,
           std::vector<Edit>& edits, const char* help_note = "", int npositional = 1);

// The scenario argument (or the built-in default) with the edits applied.
nlohmann::json load_raw(const boost::program_options::variables_map& vm, const std::vector<Edit>& edits);

}  // namespace forksim
