// forksim's command line: run, validate, explain. Returns the exit status:
// 0 success, 2 bad input or usage (the message names the key or argument)
// or an -o that cannot take the report, 1 internal failure, 3 stopped by a
// budget, 128 + the signal (130, 143) stopped by SIGINT/SIGTERM.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace forksim {

int cli_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace forksim
