#include "sim/dist.hpp"

#include <cmath>
#include <sstream>

namespace forksim {

double Rng::uniform01() {
  // 53 random bits, shifted by half a step so that neither 0 nor 1 comes out
  // (log(0) in the exponential would be -inf).
  return ((gen_() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double Rng::exponential(double mean) { return -mean * std::log(uniform01()); }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Marsaglia's polar method: exact, and no trigonometric functions whose
  // last bit could differ between libm versions.
  double u, v, s;
  do {
    u = 2 * uniform01() - 1;
    v = 2 * uniform01() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  double m = std::sqrt(-2 * std::log(s) / s);
  spare_ = v * m;
  has_spare_ = true;
  return u * m;
}

double Dist::mean() const {
  switch (kind) {
    case Kind::Fixed: return a;
    case Kind::Exponential: return a;
    case Kind::Uniform: return (a + b) / 2;
    case Kind::Lognormal: return a;
  }
  return a;
}

double Dist::sample(Rng& rng) const {
  switch (kind) {
    case Kind::Fixed: return a;
    case Kind::Exponential: return rng.exponential(a);
    case Kind::Uniform: return a + (b - a) * rng.uniform01();
    case Kind::Lognormal: {
      if (a == 0) return 0;
      // Parameters of the underlying normal from the mean and cv.
      double s2 = std::log1p(b * b);
      double mu = std::log(a) - s2 / 2;
      return std::exp(mu + std::sqrt(s2) * rng.normal());
    }
  }
  return a;
}

std::string Dist::describe() const {
  std::ostringstream o;
  switch (kind) {
    case Kind::Fixed: o << a; break;
    case Kind::Exponential: o << "exp(mean " << a << ")"; break;
    case Kind::Uniform: o << "uniform(" << a << ", " << b << ")"; break;
    case Kind::Lognormal: o << "lognormal(mean " << a << ", cv " << b << ")"; break;
  }
  return o.str();
}

}  // namespace forksim
