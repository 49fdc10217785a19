#include "cli/lockstat_options.hpp"

#include "cli/options.hpp"

namespace po = boost::program_options;

namespace forksim {

void add_lockstat_options(po::options_description& d, const char* lockstat_help) {
  d.add_options()
      ("lockstat", lockstat_help)
      ("lockstat-hold", "add lockstat -H's hold-time section (implies --lockstat)")
      ("lockstat-top", po::value<std::string>()->value_name("N"),
       "only the N most frequent rows of each lockstat section, as lockstat -D N; "
       "N from 1 (implies --lockstat)");
}

std::optional<LockstatOptions> lockstat_option(const po::variables_map& vm) {
  if (!vm.count("lockstat") && !vm.count("lockstat-hold") && !vm.count("lockstat-top"))
    return std::nullopt;
  LockstatOptions o;
  o.hold = vm.count("lockstat-hold") > 0;
  if (vm.count("lockstat-top")) o.top = static_cast<std::size_t>(positive_integer(vm, "lockstat-top", 0));
  return o;
}

}  // namespace forksim
