#include "analysis/order_statistics.hpp"

#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <stdexcept>

namespace forksim {

namespace {

void check(double p, double level) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("quantile must be in (0, 1)");
  if (!(level > 0 && level < 1)) throw std::invalid_argument("confidence level must be in (0, 1)");
}

// The smallest k in [lo, hi] with pred(k), or hi + 1 when none; pred is
// monotone (false then true), as a cdf's comparison with a bound is.
template <class Pred>
uint64_t first_true(uint64_t lo, uint64_t hi, Pred pred) {
  uint64_t end = hi + 1;
  while (lo < end) {
    uint64_t mid = lo + (end - lo) / 2;
    if (pred(mid)) end = mid;
    else lo = mid + 1;
  }
  return lo;
}

}  // namespace

std::optional<RankInterval> quantile_rank_interval(uint64_t n, double p, double level) {
  check(p, level);
  if (n == 0) return std::nullopt;
  const double tail = (1 - level) / 2;
  const boost::math::binomial_distribution<double> b(static_cast<double>(n), p);
  auto cdf = [&b](uint64_t k) { return boost::math::cdf(b, static_cast<double>(k)); };
  // l - 1 is the largest k with P(B <= k) <= tail, so that P(B < l) <=
  // tail: l is the first k whose cdf exceeds the tail. The sample's lowest
  // rank (l = 1) needs P(B = 0) <= tail.
  const uint64_t lower = first_true(0, n - 1, [&](uint64_t k) { return cdf(k) > tail; });
  if (lower == 0) return std::nullopt;
  // u - 1 is the smallest k with P(B <= k) >= 1 - tail: P(B >= u) <= tail.
  // The highest rank (u = n) needs P(B <= n - 1) >= 1 - tail.
  const uint64_t k_hi = first_true(0, n - 1, [&](uint64_t k) { return cdf(k) >= 1 - tail; });
  if (k_hi > n - 1) return std::nullopt;
  return RankInterval{lower, k_hi + 1};
}

uint64_t min_samples_for_interval(double p, double level) {
  check(p, level);
  // Both ends exist once (1-p)^n <= tail and p^n <= tail: from the
  // closed form, then stepped to the exact integer the binomial gives.
  const double tail = (1 - level) / 2;
  const double worst = std::max(p, 1 - p);
  auto n = static_cast<uint64_t>(std::max(1.0, std::floor(std::log(tail) / std::log(worst)) - 1));
  while (!quantile_rank_interval(n, p, level)) ++n;
  while (n > 1 && quantile_rank_interval(n - 1, p, level)) --n;
  return n;
}

}  // namespace forksim
