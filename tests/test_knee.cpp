// Kneedle (analysis/knee.hpp) on curves whose knee is known exactly.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "analysis/knee.hpp"

using forksim::CurveShape;
using forksim::find_knee;
using forksim::Knee;
using forksim::KneeOptions;

namespace {

std::vector<double> range(double lo, double hi, double step) {
  std::vector<double> v;
  for (int i = 0; lo + i * step <= hi + 1e-9; ++i) v.push_back(lo + i * step);
  return v;
}

// Kneedle on f sampled at 1, 2, ..., 20.
Knee knee_on_1_to_20(double (*f)(double)) {
  std::vector<double> x = range(1, 20, 1), y;
  for (double v : x) y.push_back(f(v));
  return find_knee(x, y);
}

}  // namespace

// y = min(x, 10) on 1..20: scaled, d(x) = (min(x,10) - 1)/9 - (x - 1)/19,
// largest at x = 10 (10/19 against 8/9 - 8/19 at 9 and 1 - 10/19 at 11);
// it then falls to 0 at x = 20, below the threshold 10/19 - 1/19.
TEST_CASE("Kneedle finds the corner of a saturating line", "[knee]") {
  Knee k = knee_on_1_to_20([](double v) { return std::min(v, 10.0); });
  REQUIRE(k.found);
  CHECK(k.x == 10);
  CHECK(k.y == 10);
  CHECK(k.index == 9);
  CHECK(k.shape == CurveShape::ConcaveIncreasing);
  CHECK(k.difference == Approx(10.0 / 19));
}

// y = 1 - exp(-x/tau) on [0, X]: with both axes scaled, d(x) = y(x)/y(X) -
// x/X, and d'(x) = 0 at x* = tau ln(X / (tau (1 - exp(-X/tau)))), which is
// 4.6053 for tau = 2, X = 20. Sampled every 0.05, the discrete maximum is
// the sample nearest x* (d is smooth and its second derivative at x* is
// -1/(tau X (1 - e^{-X/tau})) != 0), so within half a step.
TEST_CASE("Kneedle puts the knee of 1 - exp(-x/tau) where the closed form says", "[knee]") {
  const double tau = 2, X = 20, step = 0.05;
  const double xstar = tau * std::log(X / (tau * (1 - std::exp(-X / tau))));
  CHECK(xstar == Approx(4.6053).epsilon(1e-4));
  std::vector<double> x = range(0, X, step), y;
  for (double v : x) y.push_back(1 - std::exp(-v / tau));
  Knee k = find_knee(x, y);
  REQUIRE(k.found);
  CHECK(std::abs(k.x - xstar) <= step / 2 + 1e-9);
  CHECK(k.y == Approx(1 - std::exp(-k.x / tau)));
}

// Latency against load is convex increasing: y = max(x, 10) on 1..20 is
// reflected in x and y, and its corner at 10 is the knee (d = 9/19 there,
// 8/19 at 9 and 10/19 - 1/10 at 11).
TEST_CASE("Kneedle finds the knee of a convex increasing curve, its shape detected", "[knee]") {
  Knee k = knee_on_1_to_20([](double v) { return std::max(v, 10.0); });
  REQUIRE(k.found);
  CHECK(k.x == 10);
  CHECK(k.shape == CurveShape::ConvexIncreasing);
  CHECK(k.difference == Approx(9.0 / 19));
  // Told the wrong shape, the reflected curve lies under its chord: no bend.
  std::vector<double> x = range(1, 20, 1), y;
  for (double v : x) y.push_back(std::max(v, 10.0));
  KneeOptions wrong;
  wrong.shape = CurveShape::ConcaveIncreasing;
  CHECK_FALSE(find_knee(x, y, wrong).found);
}

// y = 20 - min(x, 10) falls to 10 and stays: convex decreasing, reflected
// in y, with its corner at 10.
TEST_CASE("Kneedle finds the knee of a decreasing curve", "[knee]") {
  Knee k = knee_on_1_to_20([](double v) { return 20 - std::min(v, 10.0); });
  REQUIRE(k.found);
  CHECK(k.x == 10);
  CHECK(k.shape == CurveShape::ConvexDecreasing);
}

TEST_CASE("Kneedle finds no knee on a line, a flat curve or too few points", "[knee]") {
  std::vector<double> x = range(1, 20, 1), line, flat(x.size(), 3.0);
  for (double v : x) line.push_back(5 + 2.5 * v);
  Knee k = find_knee(x, line);
  CHECK_FALSE(k.found);
  CHECK(k.reason ==
        "no bend: the curve is a straight line or not concave increasing (the difference "
        "curve never rises above 0)");
  CHECK(find_knee(x, flat).reason == "the curve is flat");
  CHECK(find_knee({1, 2}, {1, 2}).reason == "a knee needs at least 3 points, got 2");
  CHECK(find_knee({1, 3, 2}, {1, 2, 3}).reason == "the x values are not strictly increasing");
  CHECK(find_knee({1, 2, 3}, {1, 2}).reason == "x and y differ in length");
}

// A curve that bends gently: y = sqrt(x) on 1..5 has its largest d at
// x = 3 (0.0922 against 0.0851 at 2 and 0.0590 at 4), and the fall to 0 at
// 5 is below d_max - S/4 only for S < 0.369, so S = 1 (the default) finds
// no knee and S = 0.3 finds it at 3.
TEST_CASE("Kneedle's sensitivity decides whether a weak bend is a knee", "[knee]") {
  std::vector<double> x = {1, 2, 3, 4, 5}, y;
  for (double v : x) y.push_back(std::sqrt(v));
  Knee strict = find_knee(x, y);
  CHECK_FALSE(strict.found);
  CHECK(strict.reason.rfind("the curve has not levelled off within the range", 0) == 0);
  KneeOptions loose;
  loose.sensitivity = 0.3;
  Knee k = find_knee(x, y, loose);
  REQUIRE(k.found);
  CHECK(k.x == 3);
}
