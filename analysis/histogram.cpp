#include "analysis/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace forksim {

namespace {

// Bucket i holds the values whose size in nanoseconds lies in
// [kBase^i, kBase^(i+1)), 2% wide. Working in nanoseconds keeps every
// index >= 0 (smaller values go to zero_), and 1 ns .. 1000 s takes about
// 1,400 buckets.
constexpr double kBase = 1 + Histogram::kRelativeError;
constexpr double kNsPerS = 1e9;

double log_base() {
  static const double v = std::log(kBase);
  return v;
}

size_t bucket_of(double ns) {
  return static_cast<size_t>(std::log(ns) / log_base());
}

double edge_s(size_t bucket) { return std::pow(kBase, static_cast<double>(bucket)) / kNsPerS; }

}  // namespace

void Histogram::record(double v) {
  // A negative, infinite or NaN latency is a bug in the model; failing
  // here points at it, where recording it would poison sum and max.
  if (!(v >= 0) || std::isinf(v))
    throw std::invalid_argument("Histogram::record: bad value " + std::to_string(v));

  min_ = count_ ? std::min(min_, v) : v;
  max_ = count_ ? std::max(max_, v) : v;
  ++count_;
  sum_ += v;

  const double ns = v * kNsPerS;
  if (ns < 1) {
    ++zero_;
    return;
  }
  const size_t i = bucket_of(ns);
  if (i >= buckets_.size()) buckets_.resize(i + 1, 0);
  ++buckets_[i];
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (size_t i = 0; i < other.buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  zero_ += other.zero_;
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = count_ ? std::max(max_, other.max_) : other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::clear() { *this = Histogram(); }

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;  // NaN too: the one answer that is surely in range
  if (q >= 1) return max_;
  return value_at_rank(static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
}

double Histogram::value_at_rank(uint64_t r) const {
  if (count_ == 0) return 0;
  if (r <= 1) return min_;
  if (r >= count_) return max_;
  uint64_t seen = zero_;
  if (seen >= r) return min_;  // below 1 ns: noise beside any latency
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const uint64_t k = buckets_[i];
    if (seen + k < r) {
      seen += k;
      continue;
    }
    // The j-th of the bucket's k samples sits at the middle of the j-th of
    // k equal slices of the bucket. Narrowing the bucket to [min, max]
    // makes the end buckets (and a sample of one value) exact.
    const double lo = std::max(edge_s(i), min_), hi = std::min(edge_s(i + 1), max_);
    const double j = static_cast<double>(r - seen);
    const double v = lo + (hi - lo) * (j - 0.5) / static_cast<double>(k);
    return std::clamp(v, min_, max_);
  }
  return max_;  // unreachable: the buckets hold count_ - zero_ samples
}

}  // namespace forksim
