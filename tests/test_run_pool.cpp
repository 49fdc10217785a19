// The replication scheduler over a RunPool (driver/run_pool.hpp) other
// than the local one: the order it launches points in (largest expected
// cost first), and what a lost run (an MPI rank gone silent) does to its
// point and to the experiment. The pool here runs nothing: it answers each
// run at once from its seed, in the order started.
#include <catch2/catch.hpp>

#include <deque>

#include "driver/replicate.hpp"
#include "driver/run_pool.hpp"
#include "driver/shard.hpp"

using nlohmann::json;

namespace {

struct Started {
  uint64_t id;
  double duration_s;
  uint64_t seed;
};

class ScriptedPool : public forksim::RunPool {
 public:
  ScriptedPool(int jobs, std::vector<Started>* log, std::function<bool(const Started&)> lose)
      : jobs_(jobs), log_(log), lose_(std::move(lose)) {}
  int jobs() const override { return jobs_; }
  std::size_t running() const override { return queue_.size(); }
  void start(uint64_t id, const json& raw) override {
    Started s{id, raw.value("duration_s", 0.0), raw.at("seed").get<uint64_t>()};
    log_->push_back(s);
    queue_.push_back(s);
  }
  std::optional<forksim::ChildOutcome> wait_one(bool) override {
    if (queue_.empty()) return std::nullopt;
    Started s = queue_.front();
    queue_.pop_front();
    forksim::ChildOutcome o;
    o.id = s.id;
    if (lose_ && lose_(s)) {
      o.status = forksim::kRunLost;
      o.error = "rank 2 went silent";
      --jobs_;  // the rank is gone with its run
      return o;
    }
    o.result = json{{"complete", true}, {"x", static_cast<double>(s.seed)}};
    return o;
  }
  void signal_all(int) override {}

 private:
  int jobs_;
  std::vector<Started>* log_;
  std::function<bool(const Started&)> lose_;
  std::deque<Started> queue_;
};

forksim::PointSpec point(double duration_s, const std::string& label) {
  return {json{{"duration_s", duration_s}, {"seed", 1}}, label, forksim::replication_seeds(1, 2), 0};
}

forksim::ExperimentContext context(std::vector<Started>* log, int jobs,
                                   std::function<bool(const Started&)> lose = {}) {
  forksim::ExperimentContext c;
  c.jobs = jobs;
  c.make_pool = [=] { return std::make_unique<ScriptedPool>(jobs, log, lose); };
  return c;
}

}  // namespace

TEST_CASE("with runs at once the scheduler starts the largest points first, ties by index; one at a time, by index",
          "[replications][driver]") {
  // point_cost grows with the duration: 5 s > 3 s > 1 s = 1 s.
  CHECK(forksim::point_cost(forksim::parse_scenario(json{{"duration_s", 5.0}})) >
        forksim::point_cost(forksim::parse_scenario(json{{"duration_s", 3.0}})));
  std::vector<Started> log;
  forksim::StopRule two;
  two.replications = 2;
  const std::vector<forksim::PointSpec> points = {point(1, "a"), point(5, "b"), point(3, "c"), point(1, "d")};
  auto durations = [&log] {
    std::vector<double> d;
    for (const Started& s : log) d.push_back(s.duration_s);
    return d;
  };
  // One job: the order cannot change the wall time, so it stays the index's.
  REQUIRE(forksim::run_points(points, two, context(&log, 1)).status == 0);
  CHECK(durations() == std::vector<double>{1, 1, 5, 5, 3, 3, 1, 1});
  log.clear();
  forksim::Outcome o = forksim::run_points(points, two, context(&log, 2));
  REQUIRE(o.status == 0);
  CHECK(durations() == std::vector<double>{5, 5, 3, 3, 1, 1, 1, 1});
  // The two 1 s points: "a" (index 0) before "d" (index 3), seeds 1 then 2.
  CHECK(log[4].id < log[6].id);
  // Results stay by point, in seed order, whatever the launch order.
  REQUIRE(o.points.size() == 4);
  for (const forksim::PointResult& r : o.points) {
    CHECK(r.decided);
    CHECK(r.seeds == std::vector<uint64_t>{1, 2});
    CHECK(r.runs.at(1)["x"] == 2.0);
  }
  CHECK(o.lost.empty());
}

TEST_CASE("a lost run loses its point only: not handed on, the others decided, status 1 naming it",
          "[replications][driver]") {
  std::vector<Started> log;
  forksim::StopRule two;
  two.replications = 2;
  // The 3 s point's second run goes with its rank; one rank is left.
  auto lose = [](const Started& s) { return s.duration_s == 3 && s.seed == 2; };
  std::vector<std::size_t> handed;
  forksim::Outcome o = forksim::run_points(
      {point(1, "point 0 (a)"), point(3, "point 1 (b)"), point(2, "point 2 (c)")}, two, context(&log, 2, lose),
      [&](std::size_t p, const forksim::PointResult&) { handed.push_back(p); });
  CHECK(o.status == 1);
  CHECK(o.message == "rank 2 went silent; lost the runs of point 1 (b)");
  CHECK(o.lost == std::vector<std::size_t>{1});
  CHECK(handed == std::vector<std::size_t>{2, 0});  // by cost: 2 s, then 1 s
  CHECK_FALSE(o.points[1].decided);
  CHECK_FALSE(o.points[1].failed);
  CHECK(o.points[1].stopped.reason == "lost");
  CHECK(o.points[0].decided);
  CHECK(o.points[2].decided);
}

TEST_CASE("with every rank lost, the points not run are named with the lost ones", "[replications][driver]") {
  std::vector<Started> log;
  forksim::StopRule two;
  two.replications = 2;
  auto lose = [](const Started& s) { return s.duration_s == 3; };  // both runs, both ranks
  forksim::Outcome o = forksim::run_points({point(1, "point 0 (a)"), point(3, "point 1 (b)")}, two,
                                           context(&log, 2, lose));
  CHECK(o.status == 1);
  CHECK(o.message == "rank 2 went silent; lost the runs of point 1 (b); no worker left to run point 0 (a)");
  CHECK(o.lost == std::vector<std::size_t>{0, 1});
  CHECK(log.size() == 2);  // point 0 never started
}
