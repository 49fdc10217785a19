// The Universal Scalability Law (Gunther) fitted to throughput against CPU
// count:  X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)),
// sigma the cost of contention (queueing on a shared resource), kappa that
// of coherency (every CPU exchanging with every other).
//
// Fitted by GSL's nonlinear least squares (gsl_multifit_nlinear, trust
// region, analytic Jacobian), unweighted residuals in X, started from the
// linearised form N/X = a + b N + c N^2 (lambda = 1/(a+b+c), kappa = c
// lambda, sigma = b lambda + kappa), itself a linear least-squares fit.
// sigma and kappa are >= 0: the four faces of that constraint (both free,
// sigma held at 0, kappa held at 0, both at 0) are each fitted, and the
// feasible fit with the least squared error is the answer, so a bound is
// reached exactly (kappa = 0 means no peak) rather than approached.
#pragma once
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace forksim {

struct UslFit {
  double lambda = 0, sigma = 0, kappa = 0;
  double r2 = 0;        // 1 - SSE / SST (1 when the data are constant and fitted exactly)
  double sse = 0;
  bool sigma_held = false, kappa_held = false;  // held at the bound 0
  // The N where X peaks, sqrt((1 - sigma) / kappa), and X there; absent
  // when kappa = 0 or sigma >= 1 (no interior peak).
  std::optional<double> peak_n, peak_x;
};

double usl_throughput(double lambda, double sigma, double kappa, double n);

// n[i] > 0 CPU counts (at least 3 distinct), x[i] the throughput at each.
// Throws std::invalid_argument naming what is wrong with the input, and
// std::runtime_error when no fit converges to finite parameters.
UslFit fit_usl(const std::vector<double>& n, const std::vector<double>& x);

// {"lambda", "sigma", "kappa", "r2", "peak_ncpus", "peak_throughput" (null
//  when absent), "held_at_zero": [...], "method"}.
nlohmann::json usl_json(const UslFit& f);

}  // namespace forksim
