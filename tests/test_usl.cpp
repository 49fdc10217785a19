// The USL fit (analysis/usl.hpp) on throughputs made from known parameters.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "analysis/usl.hpp"

using forksim::fit_usl;
using forksim::UslFit;
using forksim::usl_throughput;

namespace {

const std::vector<double> kCpus = {1, 2, 4, 8, 16, 24, 32, 48, 64};

std::vector<double> curve(double lambda, double sigma, double kappa, double noise = 0) {
  std::vector<double> x;
  for (std::size_t i = 0; i < kCpus.size(); ++i) {
    // Deterministic "noise": a relative error of at most `noise`, its sign
    // and size varying from point to point without a trend.
    double e = noise * std::sin(2.3 * static_cast<double>(i) + 0.7);
    x.push_back(usl_throughput(lambda, sigma, kappa, kCpus[i]) * (1 + e));
  }
  return x;
}

}  // namespace

// Exact data: the least-squares optimum is the true parameters (zero
// residuals), so they come back to the solver's tolerance (1e-12 on the
// step); 1e-6 relative leaves room for the conditioning of kappa.
TEST_CASE("the USL fit recovers lambda, sigma and kappa from exact throughputs", "[usl]") {
  UslFit f = fit_usl(kCpus, curve(1000, 0.05, 0.002));
  CHECK(f.lambda == Approx(1000).epsilon(1e-6));
  CHECK(f.sigma == Approx(0.05).epsilon(1e-6));
  CHECK(f.kappa == Approx(0.002).epsilon(1e-6));
  CHECK(f.r2 == Approx(1).epsilon(1e-12));
  CHECK_FALSE(f.sigma_held);
  CHECK_FALSE(f.kappa_held);
  // N* = sqrt((1 - 0.05) / 0.002) = 21.794; X there = 1000 N* / (1 + 0.05
  // (N* - 1) + 0.002 N* (N* - 1)) = 7,397.7.
  REQUIRE(f.peak_n);
  CHECK(*f.peak_n == Approx(std::sqrt(0.95 / 0.002)).epsilon(1e-6));
  CHECK(*f.peak_x == Approx(usl_throughput(1000, 0.05, 0.002, std::sqrt(0.95 / 0.002))).epsilon(1e-6));
  CHECK(*f.peak_x == Approx(7397.65).epsilon(1e-5));
}

// 1% relative noise on each point. lambda is set mostly by the first points
// (X(1) = lambda), so an error of ~1% there moves it by about as much: 2%.
// sigma and kappa trade against each other over the middle of the curve;
// a 1% error in X moves the denominator 1 + sigma (N-1) + kappa N (N-1)
// by 1%, which at N = 64 (denominator 11.2) is 0.11 of it, split between
// sigma (weight 63) and kappa (weight 4032): about 0.002 in sigma and
// 3e-5 in kappa at most; the tolerances are several times that.
TEST_CASE("the USL fit recovers the parameters through 1% noise", "[usl]") {
  UslFit f = fit_usl(kCpus, curve(1000, 0.05, 0.002, 0.01));
  CAPTURE(f.lambda, f.sigma, f.kappa, f.r2);
  CHECK(f.lambda == Approx(1000).epsilon(0.02));
  CHECK(f.sigma == Approx(0.05).margin(0.01));
  CHECK(f.kappa == Approx(0.002).margin(0.0002));
  CHECK(f.r2 > 0.99);
  REQUIRE(f.peak_n);
  CHECK(*f.peak_n == Approx(21.79).epsilon(0.1));
}

// Amdahl's law is the USL with kappa = 0: the fit holds kappa at its bound
// exactly, so there is no peak (throughput rises for ever towards
// lambda / sigma).
TEST_CASE("the USL fit holds kappa at 0 for an Amdahl curve and predicts no peak", "[usl]") {
  UslFit f = fit_usl(kCpus, curve(500, 0.1, 0));
  CHECK(f.kappa == 0);
  CHECK(f.kappa_held);
  CHECK(f.lambda == Approx(500).epsilon(1e-6));
  CHECK(f.sigma == Approx(0.1).epsilon(1e-6));
  CHECK_FALSE(f.peak_n);
  CHECK_FALSE(f.peak_x);
  auto j = forksim::usl_json(f);
  CHECK(j["peak_ncpus"].is_null());
  CHECK(j["held_at_zero"] == nlohmann::json::array({"kappa"}));
}

// Better than linear (X = 100 N^1.1) would need sigma, kappa < 0: both are
// held at 0 and lambda is the best linear fit through the origin,
// sum(N X) / sum(N^2).
TEST_CASE("the USL fit holds sigma and kappa at 0 for superlinear throughput", "[usl]") {
  std::vector<double> x;
  double nx = 0, nn = 0;
  for (double n : kCpus) {
    x.push_back(100 * std::pow(n, 1.1));
    nx += n * x.back();
    nn += n * n;
  }
  UslFit f = fit_usl(kCpus, x);
  CHECK(f.sigma == 0);
  CHECK(f.kappa == 0);
  CHECK(f.lambda == Approx(nx / nn).epsilon(1e-9));
}

TEST_CASE("the USL fit refuses fewer than 3 distinct CPU counts", "[usl]") {
  auto message = [](std::vector<double> n, std::vector<double> x) -> std::string {
    try {
      fit_usl(n, x);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(message({1, 2}, {10, 19}) ==
        "USL fit: needs at least 3 distinct CPU counts (it has 3 parameters), got 2");
  CHECK(message({1, 2, 2}, {10, 19, 19}) ==
        "USL fit: needs at least 3 distinct CPU counts (it has 3 parameters), got 2");
  CHECK(message({1, 2, 3}, {10, 19}) == "USL fit: 3 CPU counts but 2 throughputs");
  CHECK(message({0, 2, 3}, {10, 19, 20}) == "USL fit: a CPU count must be a number > 0");
}
