// `forksim sweep SCENARIO --vary KEY=LIST [--vary ...] [--zip]
// [--replications R] [--precision P ...] [--jobs N] -o FILE [--csv FILE]`:
// every point validated first, then run with common random numbers; the
// finished points go to FILE.partial.jsonl as they finish, the result to
// FILE (atomically) at the end, when the .partial.jsonl is removed.
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace forksim {

// `command_line` goes into the manifests.
int cmd_sweep(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
              std::ostream& out, std::ostream& err);

}  // namespace forksim
