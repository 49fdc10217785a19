#include "analysis/mser.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace forksim {

MserResult mser(const std::vector<double>& x, double period_s, std::size_t batch) {
  if (batch == 0) throw std::invalid_argument("mser: batch must be >= 1");
  const std::size_t k = x.size() / batch;
  if (k < 2)
    throw std::invalid_argument("mser: " + std::to_string(x.size()) + " samples make fewer than 2 batches of " +
                                std::to_string(batch));
  std::vector<double> y(k);
  for (std::size_t j = 0; j < k; ++j) {
    double s = 0;
    for (std::size_t i = j * batch; i < (j + 1) * batch; ++i) {
      if (!std::isfinite(x[i])) throw std::invalid_argument("mser: sample " + std::to_string(i) + " is not finite");
      s += x[i];
    }
    y[j] = s / static_cast<double>(batch);
  }
  // The tails' means and sums of squared deviations, from the end back by
  // Welford's update: linear in k (a long run has millions of batches), and
  // stable where the plain sums of squares cancel on values that agree to
  // many digits.
  std::vector<double> ss(k);
  double mean = 0, m2 = 0;
  for (std::size_t j = k; j-- > 0;) {
    const double n = static_cast<double>(k - j);
    const double delta = y[j] - mean;
    mean += delta / n;
    m2 += delta * (y[j] - mean);
    ss[j] = m2;
  }
  MserResult best;
  best.batches = k;
  for (std::size_t d = 0; d <= k / 2; ++d) {
    const double m = static_cast<double>(k - d);
    const double stat = ss[d] / (m * m);
    if (d == 0 || stat < best.statistic) {
      best.cut_batches = d;
      best.statistic = stat;
    }
  }
  best.cut_index = best.cut_batches * batch;
  best.cut_s = static_cast<double>(best.cut_index) * period_s;
  return best;
}

}  // namespace forksim
