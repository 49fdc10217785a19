// Order-statistic intervals for a quantile: the ranks against the exact
// binomial (computed by hand in rational arithmetic: P(B <= 39) = 0.0176 and
// P(B <= 40) = 0.0284 for binomial(100, 1/2), so l = 40; P(B <= 59) =
// 0.9716, P(B <= 60) = 0.9824, so u = 61, the figures of the usual table),
// and the smallest samples each percentile needs.
#include <catch2/catch.hpp>

#include "analysis/order_statistics.hpp"

using forksim::min_samples_for_interval;
using forksim::quantile_rank_interval;

namespace {
void check_ranks(uint64_t n, double p, uint64_t lower, uint64_t upper) {
  INFO("n = " << n << ", p = " << p);
  auto r = quantile_rank_interval(n, p);
  REQUIRE(r);
  CHECK(r->lower == lower);
  CHECK(r->upper == upper);
}
}  // namespace

TEST_CASE("order-statistic ranks match the exact binomial", "[order_statistics]") {
  check_ranks(100, 0.5, 40, 61);
  check_ranks(20, 0.5, 6, 15);
  check_ranks(6, 0.5, 1, 6);      // P(B = 0) = 1/64 <= 2.5%: the extremes
  check_ranks(36, 0.9, 29, 36);
  check_ranks(368, 0.99, 360, 368);
  check_ranks(400, 0.99, 392, 400);
  check_ranks(1000, 0.99, 983, 997);
}

TEST_CASE("too few samples: no interval below each percentile's threshold", "[order_statistics]") {
  // (1 - p)^n <= 2.5% and p^n <= 2.5%: n >= log(0.025) / log(max(p, 1 - p)),
  // 5.32, 35.01, 367.04 and 3687.03, so 6, 36, 368 and 3,688.
  CHECK(min_samples_for_interval(0.5) == 6);
  CHECK(min_samples_for_interval(0.9) == 36);
  CHECK(min_samples_for_interval(0.99) == 368);
  CHECK(min_samples_for_interval(0.999) == 3688);
  CHECK_FALSE(quantile_rank_interval(5, 0.5));
  CHECK_FALSE(quantile_rank_interval(35, 0.9));
  CHECK_FALSE(quantile_rank_interval(367, 0.99));
  CHECK_FALSE(quantile_rank_interval(3687, 0.999));
  CHECK(quantile_rank_interval(3688, 0.999));
  CHECK_FALSE(quantile_rank_interval(0, 0.5));
  // A low quantile runs out at the bottom end, symmetrically.
  CHECK(min_samples_for_interval(0.01) == 368);
  CHECK_THROWS_AS(quantile_rank_interval(10, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(min_samples_for_interval(0.5, 1.0), std::invalid_argument);
}

TEST_CASE("order-statistic ranks for a large sample stay near n p", "[order_statistics]") {
  // Normal approximation: n p -/+ 1.96 sqrt(n p (1 - p)) = 990,000 -/+ 195.
  auto r = quantile_rank_interval(1000000, 0.99);
  REQUIRE(r);
  CHECK(r->lower >= 989803);
  CHECK(r->lower <= 989807);
  CHECK(r->upper >= 990194);
  CHECK(r->upper <= 990198);
}
