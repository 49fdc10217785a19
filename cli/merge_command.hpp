// `forksim merge OUT.json SHARD... [--knee-metric M] [--csv FILE] [-q]`:
// the shards of one sweep (`forksim sweep --shard I/N`) combined into the
// result the whole sweep gives (driver/merge.hpp), with its knee and USL
// (driver/capacity.hpp) and a manifest naming the merge's command line and
// each shard's. Bad or mismatched shards: exit 2, nothing written; a merged
// sweep with failed points: written, exit 3, as the sweep would.
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace forksim {

int cmd_merge(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
              std::ostream& out, std::ostream& err);

}  // namespace forksim
