// The lockstat options `run` and `report` share: --lockstat (described by
// the command: where the text goes differs), --lockstat-hold and
// --lockstat-top N, each of which implies --lockstat.
#pragma once
#include <boost/program_options.hpp>
#include <optional>

#include "analysis/lockstat.hpp"

namespace forksim {

void add_lockstat_options(boost::program_options::options_description& d, const char* lockstat_help);

// Read before anything runs, so that a bad value costs nothing; none when no
// lockstat option is given.
std::optional<LockstatOptions> lockstat_option(const boost::program_options::variables_map& vm);

}  // namespace forksim
