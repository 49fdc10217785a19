#include "analysis/usl.hpp"

#include "analysis/gsl_support.hpp"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multifit_nlinear.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <utility>
#include <set>
#include <stdexcept>
#include <string>

namespace forksim {

double usl_throughput(double lambda, double sigma, double kappa, double n) {
  return lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

namespace {

// One face of the constraint: which of sigma and kappa are fitted (the
// others held at 0). The parameter vector is lambda, then the free ones.
struct Face {
  const std::vector<double>& n;
  const std::vector<double>& x;
  bool fit_sigma, fit_kappa;

  std::size_t size() const { return 1 + fit_sigma + fit_kappa; }
  void unpack(const gsl_vector* p, double& l, double& s, double& k) const {
    std::size_t i = 0;
    l = gsl_vector_get(p, i++);
    s = fit_sigma ? gsl_vector_get(p, i++) : 0;
    k = fit_kappa ? gsl_vector_get(p, i++) : 0;
  }
};

int residuals(const gsl_vector* p, void* data, gsl_vector* r) {
  const Face& f = *static_cast<const Face*>(data);
  double l, s, k;
  f.unpack(p, l, s, k);
  for (std::size_t i = 0; i < f.n.size(); ++i)
    gsl_vector_set(r, i, usl_throughput(l, s, k, f.n[i]) - f.x[i]);
  return GSL_SUCCESS;
}

int jacobian(const gsl_vector* p, void* data, gsl_matrix* J) {
  const Face& f = *static_cast<const Face*>(data);
  double l, s, k;
  f.unpack(p, l, s, k);
  for (std::size_t i = 0; i < f.n.size(); ++i) {
    const double N = f.n[i], D = 1 + s * (N - 1) + k * N * (N - 1);
    std::size_t c = 0;
    gsl_matrix_set(J, i, c++, N / D);
    if (f.fit_sigma) gsl_matrix_set(J, i, c++, -l * N * (N - 1) / (D * D));
    if (f.fit_kappa) gsl_matrix_set(J, i, c++, -l * N * N * (N - 1) / (D * D));
  }
  return GSL_SUCCESS;
}

struct Start {
  double lambda, sigma, kappa;
};

// The linearised USL, N/X = a + b N + c N^2, by linear least squares; a
// start that is not usable (X <= 0 somewhere, a singular fit) falls back to
// the best per-CPU throughput with no contention and no coherency cost.
Start linearised_start(const std::vector<double>& n, const std::vector<double>& x) {
  double best = 0;
  for (std::size_t i = 0; i < n.size(); ++i) best = std::max(best, x[i] / n[i]);
  Start fallback{best > 0 ? best : 1, 0, 0};
  if (std::any_of(x.begin(), x.end(), [](double v) { return !(v > 0); })) return fallback;
  const std::size_t m = n.size();
  std::unique_ptr<gsl_matrix, decltype(&gsl_matrix_free)> A(gsl_matrix_alloc(m, 3), gsl_matrix_free);
  std::unique_ptr<gsl_vector, decltype(&gsl_vector_free)> y(gsl_vector_alloc(m), gsl_vector_free);
  std::unique_ptr<gsl_vector, decltype(&gsl_vector_free)> c(gsl_vector_alloc(3), gsl_vector_free);
  std::unique_ptr<gsl_matrix, decltype(&gsl_matrix_free)> cov(gsl_matrix_alloc(3, 3), gsl_matrix_free);
  for (std::size_t i = 0; i < m; ++i) {
    gsl_matrix_set(A.get(), i, 0, 1);
    gsl_matrix_set(A.get(), i, 1, n[i]);
    gsl_matrix_set(A.get(), i, 2, n[i] * n[i]);
    gsl_vector_set(y.get(), i, n[i] / x[i]);
  }
  std::unique_ptr<gsl_multifit_linear_workspace, decltype(&gsl_multifit_linear_free)> w(
      gsl_multifit_linear_alloc(m, 3), gsl_multifit_linear_free);
  double chisq = 0;
  if (gsl_multifit_linear(A.get(), y.get(), c.get(), cov.get(), &chisq, w.get()) != GSL_SUCCESS)
    return fallback;
  const double a = gsl_vector_get(c.get(), 0), b = gsl_vector_get(c.get(), 1),
               cc = gsl_vector_get(c.get(), 2);
  const double lambda = 1 / (a + b + cc);
  if (!std::isfinite(lambda) || lambda <= 0) return fallback;
  const double kappa = cc * lambda, sigma = b * lambda + kappa;
  return {lambda, std::isfinite(sigma) ? std::max(sigma, 0.0) : 0.0,
          std::isfinite(kappa) ? std::max(kappa, 0.0) : 0.0};
}

double squared_error(const std::vector<double>& n, const std::vector<double>& x, double l, double s,
                     double k) {
  double sse = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const double r = usl_throughput(l, s, k, n[i]) - x[i];
    sse += r * r;
  }
  return sse;
}

// The fit on one face, or nothing when it does not end at finite
// parameters inside the constraint.
std::optional<UslFit> fit_face(const Face& face, const Start& st) {
  const std::size_t p = face.size(), m = face.n.size();
  gsl_multifit_nlinear_fdf fdf;
  NlinearWorkspace w = trust_region_workspace(fdf, residuals, jacobian, const_cast<Face*>(&face), m, p);
  std::unique_ptr<gsl_vector, decltype(&gsl_vector_free)> x0(gsl_vector_alloc(p), gsl_vector_free);
  std::size_t i = 0;
  gsl_vector_set(x0.get(), i++, st.lambda);
  if (face.fit_sigma) gsl_vector_set(x0.get(), i++, st.sigma);
  if (face.fit_kappa) gsl_vector_set(x0.get(), i++, st.kappa);
  if (gsl_multifit_nlinear_init(x0.get(), &fdf, w.get()) != GSL_SUCCESS) return std::nullopt;
  int info = 0;
  // Any ending (converged, no further progress, out of iterations) is
  // judged by its squared error against the other faces; only non-finite
  // or infeasible parameters are rejected.
  gsl_multifit_nlinear_driver(1000, 1e-12, 1e-12, 0.0, nullptr, nullptr, &info, w.get());
  UslFit f;
  face.unpack(gsl_multifit_nlinear_position(w.get()), f.lambda, f.sigma, f.kappa);
  if (!std::isfinite(f.lambda) || !std::isfinite(f.sigma) || !std::isfinite(f.kappa)) return std::nullopt;
  if (f.sigma < 0 || f.kappa < 0) return std::nullopt;
  f.sigma_held = !face.fit_sigma;
  f.kappa_held = !face.fit_kappa;
  f.sse = squared_error(face.n, face.x, f.lambda, f.sigma, f.kappa);
  if (!std::isfinite(f.sse)) return std::nullopt;
  return f;
}

}  // namespace

UslFit fit_usl(const std::vector<double>& n, const std::vector<double>& x) {
  if (n.size() != x.size())
    throw std::invalid_argument("USL fit: " + std::to_string(n.size()) + " CPU counts but " +
                                std::to_string(x.size()) + " throughputs");
  std::set<double> distinct;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!(n[i] > 0) || !std::isfinite(n[i]))
      throw std::invalid_argument("USL fit: a CPU count must be a number > 0");
    if (!std::isfinite(x[i])) throw std::invalid_argument("USL fit: a throughput is not finite");
    distinct.insert(n[i]);
  }
  if (distinct.size() < 3)
    throw std::invalid_argument("USL fit: needs at least 3 distinct CPU counts (it has 3 "
                                "parameters), got " + std::to_string(distinct.size()));
  GslErrorsReturned quiet;
  const Start st = linearised_start(n, x);
  std::optional<UslFit> best;
  // Both free first: on a tie (a bound met to rounding) the simpler face
  // that comes later wins only when strictly no worse than rounding.
  const std::pair<bool, bool> faces[] = {{true, true}, {false, true}, {true, false}, {false, false}};
  for (const auto& [fs, fk] : faces) {
    std::optional<UslFit> f = fit_face(Face{n, x, fs, fk}, st);
    if (!f) continue;
    if (!best || f->sse <= best->sse * (1 + 1e-9) + 1e-300) best = f;
  }
  if (!best) throw std::runtime_error("USL fit: no fit converged to finite parameters");
  double mean = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  double sst = 0;
  for (double v : x) sst += (v - mean) * (v - mean);
  best->r2 = sst > 0 ? 1 - best->sse / sst : (best->sse == 0 ? 1 : 0);
  if (best->kappa > 0 && best->sigma < 1) {
    best->peak_n = std::sqrt((1 - best->sigma) / best->kappa);
    best->peak_x = usl_throughput(best->lambda, best->sigma, best->kappa, *best->peak_n);
  }
  return *best;
}

nlohmann::json usl_json(const UslFit& f) {
  nlohmann::json held = nlohmann::json::array();
  if (f.sigma_held) held.push_back("sigma");
  if (f.kappa_held) held.push_back("kappa");
  return {{"lambda", f.lambda},
          {"sigma", f.sigma},
          {"kappa", f.kappa},
          {"r2", f.r2},
          {"peak_ncpus", f.peak_n ? nlohmann::json(*f.peak_n) : nlohmann::json()},
          {"peak_throughput", f.peak_x ? nlohmann::json(*f.peak_x) : nlohmann::json()},
          {"held_at_zero", held},
          {"method", "GSL nonlinear least squares (gsl_multifit_nlinear, trust region)"}};
}

}  // namespace forksim
