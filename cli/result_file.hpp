// Reading a result file that forksim wrote (a run report, a replicated run,
// a sweep) for compare and replay.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace forksim {

// A file that cannot be read or is not JSON; the message starts with the
// file's name and says why. (Whether the JSON is a forksim result is
// result_kind's question, analysis/compare.hpp.)
struct ResultFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The JSON of the regular file at `path`. Results hold every replication's
// report, so there is no size limit beyond memory; the nesting is bounded
// (a result nests about a dozen levels) so that hostile text cannot
// exhaust the stack.
nlohmann::json read_result_file(const std::string& path);

}  // namespace forksim
