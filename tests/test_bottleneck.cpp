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
  CHECK_FALSE(find_bottleneck({{"throughput.forks_per_s", 1}}));
}
