// MSER-5 on synthetic series whose transient is known: it must cut at the
// transient's end within one batch, and cut a stationary series near 0.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "analysis/mser.hpp"

using forksim::mser;

namespace {

// Standard normal noise from our own Box-Muller over mt19937_64, the same
// on every standard library.
std::vector<double> noise(std::size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  auto u = [&] { return (static_cast<double>(gen() >> 11) + 0.5) / 9007199254740992.0; };
  std::vector<double> v(n);
  for (double& x : v) x = std::sqrt(-2 * std::log(u())) * std::cos(2 * std::acos(-1.0) * u());
  return v;
}

}  // namespace

TEST_CASE("MSER-5 cuts a step transient at its end, within a batch", "[mser]") {
  // 500 samples, the first 30% (150) three standard deviations high, over
  // 40 seeds. MSER-5 never keeps any of the transient; it cuts within one
  // batch of its end in 32 of them. The rest cut later: past the
  // transient, dropping a batch whose squared deviation exceeds about
  // twice the batches' variance lowers the statistic (a chance of 16% for
  // each), so a run of such batches extends the cut. That overshoot is the
  // rule's own (checked against a brute-force evaluation of it), and costs
  // only part of the stationary data.
  int within_a_batch = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    std::vector<double> x = noise(500, seed);
    for (std::size_t i = 0; i < 150; ++i) x[i] += 3;
    for (double& v : x) v += 100;  // a rate's level: nothing depends on it
    auto r = mser(x, 0.1);
    CHECK(r.batches == 100);
    CHECK(r.cut_index >= 150);
    CHECK(r.cut_index <= 250);  // the first half: d <= 50 batches
    CHECK(r.cut_s == Approx(r.cut_index * 0.1));
    CHECK(r.cut_index == 5 * r.cut_batches);
    CHECK(r.statistic > 0);
    if (r.cut_index <= 155) ++within_a_batch;
  }
  CHECK(within_a_batch == 32);
}

TEST_CASE("MSER-5 cuts an exponential decay where it sinks into the noise", "[mser]") {
  // 10 e^(-i/30): below the noise's 1 by sample 69, below a batch mean's
  // standard error (1/sqrt(5) = 0.45) by 93; by 30% of 500 it is 0.07.
  for (uint64_t seed : {11, 12, 13}) {
    INFO("seed " << seed);
    std::vector<double> x = noise(500, seed);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += 10 * std::exp(-static_cast<double>(i) / 30);
    auto r = mser(x, 1.0);
    CHECK(r.cut_index >= 60);
    CHECK(r.cut_index <= 155);
  }
}

TEST_CASE("MSER-5 on a stationary series cuts at or near 0", "[mser]") {
  for (uint64_t seed : {21, 22, 23, 24, 25}) {
    INFO("seed " << seed);
    auto r = mser(noise(500, seed), 0.1);
    CHECK(r.cut_batches <= 5);
  }
  // A constant series: every cut's statistic is 0, the tie goes to 0.
  auto c = mser(std::vector<double>(50, 7.0), 0.1);
  CHECK(c.cut_index == 0);
  CHECK(c.statistic == 0);
  CHECK(c.batches == 10);
}

TEST_CASE("MSER-5 statistic is the squared standard error of what it keeps", "[mser]") {
  // Batches of 1 over 0 0 4 6 8 10: a hand computation. d = 0: mean 14/3,
  // squares 21.78+21.78+0.44+1.78+11.11+28.44 = 85.33, / 36 = 2.370; d = 1:
  // mean 5.6, 31.36+2.56+0.16+5.76+19.36 = 59.2, / 25 = 2.368; d = 2: mean
  // 7, 9+1+1+9 = 20, / 16 = 1.25; d = 3: mean 8, 4+0+4 = 8, / 9 = 0.889.
  auto r = mser({0, 0, 4, 6, 8, 10}, 1.0, 1);
  CHECK(r.cut_batches == 3);
  CHECK(r.statistic == Approx(8.0 / 9));
  CHECK(r.batches == 6);
  // The leftover partial batch (sample 10) is not used.
  CHECK(mser({1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 99}, 1.0).batches == 2);
}

TEST_CASE("MSER-5 refuses series it cannot batch", "[mser]") {
  CHECK_THROWS_AS(mser(std::vector<double>(9, 1.0), 0.1), std::invalid_argument);
  CHECK_THROWS_AS(mser({1, 2, NAN, 4, 5, 6, 7, 8, 9, 10}, 0.1), std::invalid_argument);
  CHECK_THROWS_AS(mser(std::vector<double>(10, 1.0), 0.1, 0), std::invalid_argument);
}
