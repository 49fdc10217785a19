// What the command line gives the driver for a replicated run, a sweep or
// a replay: the closure that runs one scenario in a child (run_one under
// the child's share of the budgets), the interrupt flag, and a progress
// line on stderr. The children inherit the InterruptGuard's handlers, so a
// ^C at the terminal stops each child as it stops a plain run.
#pragma once
#include <chrono>
#include <memory>
#include <ostream>

#include "cli/run_one.hpp"
#include "driver/experiment.hpp"

namespace forksim {

// `per_child`: each child's budgets (run_budgets with the jobs). Its
// --max-wall-s is the whole command's: a child gets what is left of it
// when it starts. `progress`: draw the progress line on err.
ExperimentContext experiment_context(const RunBudgets& per_child, int jobs, bool progress,
                                     std::ostream& err);

// Ends the progress line the context drew, if any.
void end_progress(std::ostream& err);

// --jobs when given (an integer >= 1), else the CPUs this process may use;
// never more than `needed`.
int jobs_option(const boost::program_options::variables_map& vm, std::size_t needed);

}  // namespace forksim
