// A time or cost that is either fixed or drawn from a distribution.
//
// Scenarios write these as a number (fixed) or as
//   {"dist": "exponential", "mean": x}
//   {"dist": "uniform", "min": a, "max": b}
//   {"dist": "lognormal", "mean": x, "cv": c}
// Sampling uses forksim's own inverse-transform / Box-Muller code over a
// 64-bit Mersenne Twister, not <random>'s distributions, whose algorithms
// the standard leaves to the library: the same seed gives the same run on
// any standard library. Each purpose seeds its own (sim/streams.hpp).
#pragma once
#include <cstdint>
#include <random>
#include <string>

namespace forksim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform01();  // in (0, 1), never 0 nor 1
  double exponential(double mean) ;
  double normal();     // standard normal
 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0;
};

struct Dist {
  enum class Kind { Fixed, Exponential, Uniform, Lognormal };
  Kind kind = Kind::Fixed;
  double a = 0;  // Fixed: value; Exponential, Lognormal: mean; Uniform: min
  double b = 0;  // Uniform: max; Lognormal: coefficient of variation

  static Dist fixed(double v) { return {Kind::Fixed, v, 0}; }
  static Dist exponential(double mean) { return {Kind::Exponential, mean, 0}; }
  static Dist uniform(double lo, double hi) { return {Kind::Uniform, lo, hi}; }
  static Dist lognormal(double mean, double cv) { return {Kind::Lognormal, mean, cv}; }

  double mean() const;
  bool is_zero() const { return kind == Kind::Fixed && a == 0; }
  // Fixed values cost no random draw.
  double sample(Rng& rng) const;
  std::string describe() const;  // "12000", "exp(mean 5)", ...
};

}  // namespace forksim
