#include "cli/point_runner_pool.hpp"

#include <chrono>
#include <csignal>

#include "analysis/report.hpp"
#include "cli/interrupt.hpp"
#include "driver/child_pool.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/workload.hpp"

namespace forksim {

std::string describe_point(const PointRequest& r) {
  if (r.sets.empty()) return "the base scenario";
  std::string s;
  for (const auto& a : r.sets) s += (s.empty() ? "" : ", ") + a;
  return s;
}

namespace {

nlohmann::json scenario_at(const nlohmann::json& base, const PointRequest& r, uint64_t seed) {
  nlohmann::json raw = base;
  for (const auto& a : r.sets) apply_override(raw, a);
  raw["seed"] = seed;
  return raw;
}

// One run, in the child: the report as `forksim run` writes it. The
// child does not keep the parent's handlers (which only record a signal
// for a monitor this run does not have): a terminal's Ctrl-C, sent to the
// whole process group, ends it at once, and the parent, woken, stops.
nlohmann::json run_one(const nlohmann::json& raw) {
  for (int sig : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler != SIG_IGN) signal(sig, SIG_DFL);
  }
  Scenario s = parse_scenario(raw);
  auto t0 = std::chrono::steady_clock::now();
  Probes p = run_scenario(s);
  RunInfo info;
  info.scenario = s.to_json();
  info.seed = s.seed;
  info.sim_time_s = p.sim_time_s;
  info.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return make_report(info, p);
}

constexpr int kStopped = 3;

}  // namespace

PointRunner pool_point_runner(nlohmann::json base, int jobs) {
  return [base = std::move(base), jobs](const std::vector<PointRequest>& batch) {
    struct Job {
      std::size_t point, rep;
      nlohmann::json raw;
    };
    std::vector<Job> todo;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      for (std::size_t j = 0; j < batch[i].seeds.size(); ++j) {
        nlohmann::json raw;
        try {
          raw = scenario_at(base, batch[i], batch[i].seeds[j]);
          if (j == 0) parse_scenario(raw);  // the seed alone cannot make a point invalid
        } catch (const ScenarioError& e) {
          throw ScenarioError("point " + describe_point(batch[i]), e.what());
        }
        todo.push_back({i, j, std::move(raw)});
      }
    }
    std::vector<std::vector<nlohmann::json>> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) out[i].resize(batch[i].seeds.size());
    ChildPool pool(jobs);
    std::size_t next = 0, done = 0;
    while (done < todo.size()) {
      while (next < todo.size() && !pool.full()) {
        const nlohmann::json raw = todo[next].raw;
        pool.start(next, [raw] { return run_one(raw); },
                   [](const nlohmann::json& r) { return r.value("complete", true) ? 0 : kStopped; });
        ++next;
      }
      std::optional<ChildOutcome> o = pool.wait_one(true);
      if (int sig = interrupt_signal())
        throw RunInterrupted(interrupt_reason(sig), sig);  // the pool's destructor kills the children
      if (!o) continue;
      const Job& job = todo[o->id];
      const PointRequest& r = batch[job.point];
      const std::string where =
          "point " + describe_point(r) + " at seed " + std::to_string(r.seeds[job.rep]);
      if (o->status == kStopped && o->result)
        throw RunStopped(where + " stopped early: " + o->result->value("incomplete_reason", "?"));
      if (o->status != 0 || !o->result) throw std::runtime_error(where + " failed: " + o->error);
      out[job.point][job.rep] = std::move(*o->result);
      ++done;
    }
    return out;
  };
}

}  // namespace forksim
