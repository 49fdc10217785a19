// Reading a result file that forksim wrote (a run report, a replicated run,
// a sweep) for compare and replay.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver/point_store.hpp"

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

// The same with every value below the top level emptied: which keys a
// result has, without the memory of its tree.
nlohmann::json read_result_outline(const std::string& path);

// A sweep result (or any JSON) whose top-level "points" elements are kept
// in `store` as they are read, so that the tree of their runs is never
// whole in memory: the points in the JSON returned are digests (the point
// without "runs"), and slots[i] is points[i]'s slot in the store
// (kNoSlot for an element that is not an object).
constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);
nlohmann::json read_sweep_file(const std::string& path, PointStore& store, std::vector<std::size_t>& slots);

}  // namespace forksim
