// A latency histogram in bounded memory.
//
// Values (seconds, >= 0) fall into logarithmic buckets, each 2% wide, as
// HdrHistogram does. The sample of a given rank is placed by interpolation
// within its bucket: the bucket's samples are taken as spread evenly over
// the bucket (narrowed to [min, max]), so the answer moves with the rank
// and with the samples instead of snapping to one value per bucket (which
// made different seeds print the same p99). It lies in the right bucket, so
// within 2% of the exact sample; the lowest and highest ranks are min and
// max exactly, and a sample of one repeated value gives that value. Count,
// sum (so the mean), min and max are exact. Values below 1 ns are counted
// in a bucket of their own and reported as min. Memory is a few kilobytes
// whatever the number of samples.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace forksim {

class Histogram {
 public:
  // The bucket width: the most a rank's value can be off by, relatively.
  static constexpr double kRelativeError = 0.02;

  void record(double v);
  void merge(const Histogram& other);
  void clear();

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / count_ : 0; }
  double min() const { return count_ ? min_ : 0; }
  double max() const { return count_ ? max_ : 0; }
  // q in [0, 1]; 0 when empty. The sample of rank ceil(q * count) (the
  // smallest v with a fraction q of the samples <= v), within
  // kRelativeError; quantile(0) is min() and quantile(1) max() exactly.
  double quantile(double q) const;
  // The sample of 1-based rank r (clamped to [1, count]); 0 when empty.
  double value_at_rank(uint64_t r) const;
  // Buckets allocated so far: the memory bound, for tests.
  size_t bucket_count() const { return buckets_.size(); }

 private:
  std::vector<uint64_t> buckets_;  // grown on demand
  uint64_t zero_ = 0;              // samples below 1 ns
  uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace forksim
