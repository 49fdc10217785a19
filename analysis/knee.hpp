// The knee of a curve by Kneedle (Satopaa, Albrecht, Irwin and Raghavan,
// "Finding a 'Kneedle' in a Haystack", ICDCS workshops 2011), offline form.
//
// Both axes are scaled to [0, 1]; the curve is reflected so that it becomes
// concave increasing (throughput against load already is; a convex one,
// such as latency against load, is reflected in y, a decreasing one in x);
// the difference curve d = y - x is then the curve's height above its
// chord, and the knee is the point where d is largest. As the paper asks,
// that maximum counts as a knee only if d later falls below the threshold
// d_max - S / (n - 1) (S: sensitivity; 1 / (n - 1) is the mean spacing of
// the scaled x): a curve still rising at its last point has no knee in the
// range. No smoothing: the points are means over replications already.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace forksim {

enum class CurveShape { Auto, ConcaveIncreasing, ConcaveDecreasing, ConvexIncreasing, ConvexDecreasing };
const char* curve_shape_name(CurveShape s);  // "concave increasing", ...

struct KneeOptions {
  double sensitivity = 1.0;  // S of the paper, >= 0: larger waits for a clearer bend
  // Auto: increasing when y ends above where it starts; concave when the
  // scaled curve lies above its chord on average.
  CurveShape shape = CurveShape::Auto;
};

struct Knee {
  bool found = false;
  std::string reason;  // why not, when not found
  double x = 0, y = 0;
  std::size_t index = 0;  // into the input
  CurveShape shape = CurveShape::Auto;  // as used (never Auto once decided)
  double difference = 0;  // d at the knee, in scaled units
};

// x strictly increasing, y the same length (else not found, with why);
// fewer than 3 points, a flat or straight curve, or one whose bend is not
// followed by the threshold's drop: not found.
Knee find_knee(const std::vector<double>& x, const std::vector<double>& y,
               const KneeOptions& opt = {});

}  // namespace forksim
