#include "analysis/knee.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace forksim {

const char* curve_shape_name(CurveShape s) {
  switch (s) {
    case CurveShape::Auto: return "auto";
    case CurveShape::ConcaveIncreasing: return "concave increasing";
    case CurveShape::ConcaveDecreasing: return "concave decreasing";
    case CurveShape::ConvexIncreasing: return "convex increasing";
    case CurveShape::ConvexDecreasing: return "convex decreasing";
  }
  return "?";
}

namespace {

// A difference this small (in units of the scaled axes) is rounding, not a
// bend: the points lie on a line.
constexpr double kStraight = 1e-9;

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

Knee not_found(std::string reason) {
  Knee k;
  k.reason = std::move(reason);
  return k;
}

CurveShape detect(const std::vector<double>& xn, const std::vector<double>& yn) {
  const bool increasing = yn.back() >= yn.front();
  double above = 0;  // mean height of the curve over its chord
  for (std::size_t i = 0; i < xn.size(); ++i)
    above += yn[i] - (increasing ? xn[i] : 1 - xn[i]);
  const bool concave = above >= 0;
  if (increasing) return concave ? CurveShape::ConcaveIncreasing : CurveShape::ConvexIncreasing;
  return concave ? CurveShape::ConcaveDecreasing : CurveShape::ConvexDecreasing;
}

}  // namespace

Knee find_knee(const std::vector<double>& x, const std::vector<double>& y, const KneeOptions& opt) {
  const std::size_t n = x.size();
  if (y.size() != n) return not_found("x and y differ in length");
  if (n < 3) return not_found("a knee needs at least 3 points, got " + std::to_string(n));
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) return not_found("a value is not finite");
    if (i && !(x[i] > x[i - 1])) return not_found("the x values are not strictly increasing");
  }
  if (!(opt.sensitivity >= 0)) return not_found("the sensitivity must be >= 0");
  const auto [ylo, yhi] = std::minmax_element(y.begin(), y.end());
  if (*yhi == *ylo) return not_found("the curve is flat");

  std::vector<double> xn(n), yn(n);
  for (std::size_t i = 0; i < n; ++i) {
    xn[i] = (x[i] - x.front()) / (x.back() - x.front());
    yn[i] = (y[i] - *ylo) / (*yhi - *ylo);
  }
  const CurveShape shape = opt.shape == CurveShape::Auto ? detect(xn, yn) : opt.shape;
  // Reflect into concave increasing; the index of each point is unchanged.
  const bool flip_x = shape == CurveShape::ConcaveDecreasing || shape == CurveShape::ConvexIncreasing;
  const bool flip_y = shape == CurveShape::ConvexIncreasing || shape == CurveShape::ConvexDecreasing;
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = (flip_y ? 1 - yn[i] : yn[i]) - (flip_x ? 1 - xn[i] : xn[i]);

  const std::size_t k = std::max_element(d.begin(), d.end()) - d.begin();
  if (d[k] <= kStraight)
    return not_found(std::string("no bend: the curve is a straight line or not ") +
                     curve_shape_name(shape) + " (the difference curve never rises above 0)");
  const double threshold = d[k] - opt.sensitivity / static_cast<double>(n - 1);
  const bool drops = std::any_of(d.begin() + k + 1, d.end(), [&](double v) { return v < threshold; });
  if (!drops)
    return not_found("the curve has not levelled off within the range: the difference curve's "
                     "maximum is not followed by a drop below its threshold (sensitivity " +
                     number(opt.sensitivity) + ")");
  Knee r;
  r.found = true;
  r.x = x[k];
  r.y = y[k];
  r.index = k;
  r.shape = shape;
  r.difference = d[k];
  return r;
}

}  // namespace forksim
