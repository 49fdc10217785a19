// The bottleneck (analysis/bottleneck.hpp): the busiest resource by name.
#include <catch2/catch.hpp>

#include "analysis/bottleneck.hpp"

using forksim::find_bottleneck;

// p_lock's sum over its instances (1.7) is no queue; its busiest instance
// (0.2) is what a waiter meets. pidlock has no _max: its one utilization.
TEST_CASE("the bottleneck is the busiest resource, a lock by its busiest instance", "[bottleneck]") {
  std::map<std::string, double> m = {{"cpu.utilization", 0.62},        {"cpu.busy_s", 9},
                                     {"locks.pidlock.utilization", 0.91}, {"locks.pidlock.hold_s.mean", 3},
                                     {"locks.p_lock.utilization", 1.7},   {"locks.p_lock.utilization_max", 0.2},
                                     {"throughput.forks_per_s", 5000}};
  auto b = find_bottleneck(m);
  REQUIRE(b);
  CHECK(b->resource == "pidlock");
  CHECK(b->utilization == 0.91);
  CHECK(b->utilizations == std::map<std::string, double>{{"cpu", 0.62}, {"pidlock", 0.91}, {"p_lock", 0.2}});
  CHECK(forksim::bottleneck_json(*b) == nlohmann::json{{"resource", "pidlock"}, {"utilization", 0.91}});

  m["cpu.utilization"] = 0.97;
  CHECK(find_bottleneck(m)->resource == "cpu");
  CHECK(forksim::bottleneck_json(*find_bottleneck(m)) == nlohmann::json{{"resource", "cpu"}, {"utilization", 0.97}});
  CHECK_FALSE(find_bottleneck({{"throughput.forks_per_s", 1}}));

  // Busy CPUs spinning on locks: 3 of the 9 busy CPU-seconds on pidlock,
  // 0.6 on p_lock, so 40% of the "CPU" bottleneck is locks' queues.
  m["locks.pidlock.spin_cpu_s"] = 3;
  m["locks.p_lock.spin_cpu_s"] = 0.6;
  m["locks.ct_lock.spin_cpu_s"] = 0;
  auto spun = find_bottleneck(m);
  CHECK(spun->cpu_spinning == std::map<std::string, double>{{"pidlock", 3.0 / 9}, {"p_lock", 0.6 / 9}});
  nlohmann::json j = forksim::bottleneck_json(*spun);
  CHECK(j["cpu_spinning"]["total"].get<double>() == Approx(0.4));
  CHECK(j["cpu_spinning"]["by_lock"]["pidlock"].get<double>() == Approx(1.0 / 3));
  // Not said where a lock is the bottleneck: there the spinning is its queue's.
  m["cpu.utilization"] = 0.5;
  CHECK_FALSE(forksim::bottleneck_json(*find_bottleneck(m)).contains("cpu_spinning"));
}
