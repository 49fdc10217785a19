#include "cli/experiment_setup.hpp"

#include <algorithm>
#include <iostream>

#include "cli/interrupt.hpp"
#include "cli/options.hpp"
#include "driver/child_pool.hpp"
#include "driver/progress.hpp"
#include "scenarios/json_text.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {

namespace {
bool progress_drawn = false;
}

ExperimentContext experiment_context(const RunBudgets& per_child, int jobs, bool progress,
                                     std::ostream& err) {
  ExperimentContext ctx;
  ctx.jobs = jobs;
  RunBudgets child = per_child;
  child.monitor.progress = false;  // one line for the whole experiment, the parent's
  const auto start = std::chrono::steady_clock::now();
  ctx.sim.run = [child, start](const Scenario& s) {
    RunBudgets b = child;
    if (b.monitor.max_wall_s > 0) {
      double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // Never 0, which would mean no limit.
      b.monitor.max_wall_s = std::max(b.monitor.max_wall_s - used, 1e-6);
    }
    return run_one(s, b, std::cerr);
  };
  ctx.sim.exit_status = [](const json& report) {
    if (int sig = interrupt_signal()) return 128 + sig;
    return report.value("complete", false) ? 0 : 3;
  };
  ctx.interrupted = [] { return interrupt_signal() != 0; };
  ctx.interrupt_signal = [] { return interrupt_signal(); };
  if (progress) {
    ctx.progress = [&err](const Progress& p) {
      err << "\r" << progress_line(p) << "\033[K" << std::flush;
      progress_drawn = true;
    };
  }
  return ctx;
}

void end_progress(std::ostream& err) {
  if (progress_drawn) err << "\n";
  progress_drawn = false;
}

int jobs_option(const po::variables_map& vm, std::size_t needed) {
  std::size_t most = std::max<std::size_t>(needed, 1);
  if (!vm.count("jobs")) return static_cast<int>(std::min<std::size_t>(available_cpus(), most));
  const std::string& text = vm["jobs"].as<std::string>();
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || n < 1 || n > 4096)
    throw Usage("--jobs must be an integer from 1 to 4096, got '" + printable(text) + "'");
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n), most));
}

}  // namespace forksim
