// A latency histogram in bounded memory.
//
// Values (seconds, >= 0) fall into logarithmic buckets, each 2% wide, as
// HdrHistogram does: a quantile is reported as its bucket's midpoint in
// log space, so its relative error is at most 1%. Count, sum (so the mean),
// min and max are exact. Values below 1 ns are counted in a bucket of
// their own. Memory is a few kilobytes whatever the number of samples.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace forksim {

class Histogram {
 public:
  static constexpr double kRelativeError = 0.01;

  void record(double v);
  void merge(const Histogram& other);
  void clear();

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / count_ : 0; }
  double min() const { return count_ ? min_ : 0; }
  double max() const { return count_ ? max_ : 0; }
  // q in [0, 1]; 0 when empty. The value v such that a fraction q of the
  // samples are <= v, within kRelativeError; quantile(1) is max() exactly.
  double quantile(double q) const;
  // Buckets allocated so far: the memory bound, for tests.
  size_t bucket_count() const { return buckets_.size(); }

 private:
  std::vector<uint64_t> buckets_;  // grown on demand
  uint64_t zero_ = 0;              // samples below 1 ns
  uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace forksim
