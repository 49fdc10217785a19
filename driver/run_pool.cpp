#include "driver/run_pool.hpp"

namespace forksim {
namespace {

class LocalRunPool : public RunPool {
 public:
  LocalRunPool(const Simulator& sim, int jobs) : sim_(sim), pool_(jobs, /*parse_results=*/false) {}
  int jobs() const override { return pool_.jobs(); }
  std::size_t running() const override { return pool_.running(); }
  void start(uint64_t id, const nlohmann::json& raw) override {
    Scenario sc = parse_scenario(raw);
    const Simulator& sim = sim_;
    pool_.start(id, [&sim, sc] { return sim.run(sc); }, sim.exit_status);
  }
  std::optional<ChildOutcome> wait_one(bool interruptible) override { return pool_.wait_one(interruptible); }
  void signal_all(int sig) override { pool_.signal_all(sig); }

 private:
  const Simulator& sim_;
  ChildPool pool_;
};

}  // namespace

std::unique_ptr<RunPool> local_run_pool(const Simulator& sim, int jobs) {
  return std::make_unique<LocalRunPool>(sim, jobs);
}

}  // namespace forksim
