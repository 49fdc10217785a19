// MSER-5: where a simulation's output series stops being its warm-up.
//
// The Marginal Standard Error Rule (White 1997; MSER-5 batches the series
// into means of 5 first, as JMT does) picks the cut d, in batches, that
// minimises
//     MSER(d) = sum_{j >= d} (Y_j - mean_{j >= d} Y)^2 / (k - d)^2
// over the k batch means Y_j, for d over the first half (d <= k / 2): the
// squared standard error of the mean of what is kept. Cutting a transient
// shrinks the deviations faster than it shrinks the count; cutting
// stationary data does not, so a series with no transient cuts near 0.
// Ties go to the smaller cut. A leftover partial batch at the end is not
// used. Pure: the same series gives the same cut.
#pragma once
#include <cstddef>
#include <vector>

namespace forksim {

struct MserResult {
  std::size_t cut_batches = 0;  // d
  std::size_t cut_index = 0;    // d * batch: the first sample kept
  double cut_s = 0;             // cut_index * period_s
  double statistic = 0;         // MSER(d) at the chosen d
  std::size_t batches = 0;      // k
};

// `x`: the series, sample i standing for [i * period_s, (i + 1) * period_s).
// Throws std::invalid_argument when it gives fewer than 2 batches or holds a
// value that is not finite.
MserResult mser(const std::vector<double>& x, double period_s, std::size_t batch = 5);

}  // namespace forksim
