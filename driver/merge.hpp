// `forksim merge OUT.json SHARD...`: the shards of one sweep (`forksim
// sweep --shard I/N`, driver/shard.hpp) put back together into the result
// the whole sweep gives: its points in index order, the seeds of the
// longest point, "complete" and "failed_points" from the shards. The
// caller adds the manifest and the capacity answers (knee, USL).
//
// Refused, by a MergeError naming the file(s) and what is wrong, before
// anything is combined: a file that is not a shard (not a sweep result, or
// one without its "shard" object, or a malformed one); shards of different
// N; shards of different sweeps (the first field of their definitions that
// differs is named); a shard given twice; a point in two shards; points in
// no shard (named, with the shards not given or stopped before them).
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver/point_store.hpp"

namespace forksim {

struct MergeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A shard's result as read_sweep_file (cli/result_file.hpp) gives it: its
// points are digests (driver/point_store.hpp), each one's whole point in
// the store at the slot of the same position.
struct ShardFile {
  std::string name;  // names the file in messages
  nlohmann::json result;
  std::vector<std::size_t> slots;
};

// The sweep a result belongs to (design: the sweep's definition), read
// from the result: {"vary", "zip", "replications", "precision" of its
// "sweep" object, "seeds" (the stop rule's most, from the base scenario's
// seed), "scenario_hash" of its base scenario, "forksim_version" and
// "git_commit" of its manifest}: sweep_definition(plan, opt)'s fields but
// "level", which no result records (it is always 0.95). Two shards merge
// only when theirs are equal. Throws MergeError (not a sweep result) when
// a field is missing or mistyped.
nlohmann::json result_definition(const nlohmann::json& result, const std::string& name);

struct Merged {
  nlohmann::json result;  // without "manifest", "knee", "usl"; its points digests
  std::vector<std::size_t> slots;  // the store's slot of each of them, for write_result
  // Each shard's provenance, in shard order: {"index", "command_line", and
  // "host" when its manifest has one}, for the merged manifest.
  nlohmann::json shards = nlohmann::json::array();
};

// The files' points are moved into the merged result (their digests are
// much of the memory a large merge takes).
Merged merge_shards(std::vector<ShardFile>& files, const PointStore& store);

}  // namespace forksim
