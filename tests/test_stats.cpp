// The interval arithmetic (analysis/stats.hpp) against figures computed by
// hand, with Student-t quantiles from the printed table (e.g. NIST/SEMATECH
// e-Handbook of Statistical Methods, table 1.3.6.7.2, upper 2.5% points).
#include <catch2/catch.hpp>

#include <cmath>

#include "analysis/stats.hpp"

using namespace forksim;
using Catch::Detail::Approx;
using nlohmann::json;

// The table prints three decimals: each quantile is within half of the last.
TEST_CASE("t quantiles are the table's", "[stats]") {
  CHECK(t_quantile(0.95, 1) == Approx(12.706).margin(5e-4));
  CHECK(t_quantile(0.95, 4) == Approx(2.776).margin(5e-4));
  CHECK(t_quantile(0.95, 9) == Approx(2.262).margin(5e-4));
  CHECK(t_quantile(0.95, 29) == Approx(2.045).margin(5e-4));
  CHECK(t_quantile(0.99, 4) == Approx(4.604).margin(5e-4));
  CHECK(t_quantile(0.90, 10) == Approx(1.812).margin(5e-4));
  CHECK_THROWS(t_quantile(1.0, 4));
  CHECK_THROWS(t_quantile(0.95, 0));
}

TEST_CASE("five replications: mean 11, sd 1.581, half-width 2.776 x 1.581 / sqrt 5", "[stats]") {
  Interval i = t_interval({10, 12, 9, 11, 13});
  CHECK(i.n == 5);
  CHECK(i.df == 4);
  CHECK(i.mean == Approx(11));
  CHECK(i.sd == Approx(std::sqrt(2.5)));
  REQUIRE(i.half_width);
  CHECK(*i.half_width == Approx(2.776 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(2e-4));
  CHECK(*i.lo() == Approx(11 - 1.963).epsilon(1e-3));
  CHECK(*i.rel_half_width() == Approx(1.963 / 11).epsilon(1e-3));
  CHECK(i.excludes_zero());
}

TEST_CASE("one replication has no interval, and a zero mean no relative width", "[stats]") {
  Interval one = t_interval({42});
  CHECK(one.mean == 42);
  CHECK_FALSE(one.half_width);
  CHECK_FALSE(one.excludes_zero());
  json j = interval_json(one);
  CHECK(j["half_width"].is_null());
  CHECK(j["lo"].is_null());
  Interval zero = t_interval({-1, 1, 0});
  CHECK(zero.half_width);
  CHECK_FALSE(zero.rel_half_width());
  Interval constant = t_interval({3, 3, 3});
  CHECK(*constant.half_width == 0);
  CHECK(*constant.rel_half_width() == 0);
}

TEST_CASE("a paired difference is the t interval of the differences", "[stats]") {
  // d = 0.5, 0.4, 0.6, 0.5, 0.5: mean 0.5, sd sqrt(0.005).
  Interval d = paired_difference({1, 2, 3, 4, 5}, {1.5, 2.4, 3.6, 4.5, 5.5});
  CHECK(d.mean == Approx(0.5));
  CHECK(*d.half_width == Approx(2.776 * std::sqrt(0.005) / std::sqrt(5.0)).epsilon(2e-4));
  CHECK(d.excludes_zero());
  CHECK_THROWS_AS(paired_difference({1, 2}, {1}), std::invalid_argument);
}

TEST_CASE("Welch's interval: equal spreads and sizes give 2(n - 1) degrees of freedom",
          "[stats]") {
  // Each mean's variance 2.5 / 5 = 0.5; se = 1; df = 1 / (0.25/4 + 0.25/4) = 8.
  Interval w = welch_difference({1, 2, 3, 4, 5}, {2, 3, 4, 5, 6});
  CHECK(w.mean == Approx(1));
  CHECK(w.df == Approx(8));
  CHECK(*w.half_width == Approx(2.306).epsilon(2e-4));
  CHECK_FALSE(w.excludes_zero());
  // Unequal: a = {1, 2, 3} (var 1, /3), b = {10, 20, 30, 40} (var 166.67, /4).
  // va = 0.3333, vb = 41.667; df = 42^2 / (0.3333^2/2 + 41.667^2/3) = 3.0479.
  Interval u = welch_difference({1, 2, 3}, {10, 20, 30, 40});
  CHECK(u.mean == Approx(23));
  CHECK(u.df == Approx(3.0479).epsilon(1e-4));
  CHECK(u.sd == Approx(std::sqrt(42.0)).epsilon(1e-9));
}

TEST_CASE("a report's numeric metrics leave out what describes the run", "[stats]") {
  json r = {{"schema_version", 2},
            {"seed", 7},
            {"wall_time_s", 0.4},
            {"scenario", {{"duration_s", 10}}},
            {"manifest", {{"seeds", {7}}}},
            {"complete", true},
            {"throughput", {{"forks_per_s", 5606.5}}},
            {"monitor", {{"wall_s", 3}, {"events", 10}}},
            {"paths", {{"fork1", {{"latency_s", {{"p99", 1e-4}, {"ci", {{"p99", {1, 2}}}}}}}}}},
            {"timeseries", {{"forks_per_s", {1, 2, 3}}}}};
  std::map<std::string, double> m = numeric_metrics(r);
  CHECK(m == std::map<std::string, double>{{"monitor.events", 10},
                                           {"paths.fork1.latency_s.p99", 1e-4},
                                           {"throughput.forks_per_s", 5606.5}});
}

TEST_CASE("a metric some replications lack is listed, not averaged over the rest", "[stats]") {
  json a = {{"x", 1.0}, {"p999", 5.0}}, b = {{"x", 3.0}};
  json s = summarise_metrics({a, b});
  CHECK(s["metrics"]["x"]["mean"] == 2.0);
  CHECK(s["metrics"]["x"]["n"] == 2);
  CHECK(s["metrics"]["x"]["half_width"].get<double>() ==
        Approx(12.706 * std::sqrt(2.0) / std::sqrt(2.0)).epsilon(1e-4));
  CHECK_FALSE(s["metrics"].contains("p999"));
  CHECK(s["partial"]["p999"] == 1);
}
