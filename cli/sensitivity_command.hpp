// `forksim sensitivity SCENARIO --metric M [--vary-costs 25%] [--costs a,b]
// [--replications R] [--jobs N] [-o OUT.json] [--quiet]`: the elasticity of
// the metric to each step cost (driver/sensitivity.hpp), ranked, each with
// its basis; a table on stdout, the JSON with -o.
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace forksim {

int cmd_sensitivity(const std::vector<std::string>& args,
                    const std::vector<std::string>& command_line, std::ostream& out,
                    std::ostream& err);

}  // namespace forksim
