#include "analysis/cost_fit.hpp"

#include <gsl/gsl_multifit_nlinear.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "analysis/gsl_support.hpp"

namespace forksim {
namespace {

using Vec = std::unique_ptr<gsl_vector, decltype(&gsl_vector_free)>;
using Mat = std::unique_ptr<gsl_matrix, decltype(&gsl_matrix_free)>;

// The model linearised at x0: f(x) ~ f0 + D (x - x0), D[i][j] = df_i/dx_j.
struct Linear {
  const std::vector<double>& y;   // measured
  std::vector<double> x0, f0;
  std::vector<std::vector<double>> D;

  double at(std::size_t i, const std::vector<double>& x) const {
    double v = f0[i];
    for (std::size_t j = 0; j < x.size(); ++j) v += D[i][j] * (x[j] - x0[j]);
    return v;
  }
};

// The linear model is trusted within a factor kBox of x0 in each
// parameter: the fit moves u, x_j = x0_j exp(L tanh(u_j)), L = log(kBox).
constexpr double kBox = 2;

std::vector<double> x_of(const Linear& m, const gsl_vector* u) {
  std::vector<double> x(u->size);
  for (std::size_t j = 0; j < u->size; ++j)
    x[j] = m.x0[j] * std::exp(std::log(kBox) * std::tanh(gsl_vector_get(u, j)));
  return x;
}

int residuals(const gsl_vector* u, void* data, gsl_vector* r) {
  const Linear& m = *static_cast<const Linear*>(data);
  const std::vector<double> x = x_of(m, u);
  for (std::size_t i = 0; i < m.y.size(); ++i) gsl_vector_set(r, i, (m.at(i, x) - m.y[i]) / m.y[i]);
  return GSL_SUCCESS;
}

// d r_i / d log x_j = D[i][j] x_j / y_i.
void fill_jacobian(const Linear& m, const std::vector<double>& x, gsl_matrix* J) {
  for (std::size_t i = 0; i < m.y.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) gsl_matrix_set(J, i, j, m.D[i][j] * x[j] / m.y[i]);
}

// d r_i / d u_j = d r_i / d log x_j x L (1 - tanh^2 u_j).
int jacobian(const gsl_vector* u, void* data, gsl_matrix* J) {
  const Linear& m = *static_cast<const Linear*>(data);
  fill_jacobian(m, x_of(m, u), J);
  for (std::size_t j = 0; j < u->size; ++j) {
    const double t = std::tanh(gsl_vector_get(u, j)), d = std::log(kBox) * (1 - t * t);
    for (std::size_t i = 0; i < m.y.size(); ++i) gsl_matrix_set(J, i, j, gsl_matrix_get(J, i, j) * d);
  }
  return GSL_SUCCESS;
}

// The least-squares point of the linearised model within its box, from
// x0; `at_edge` whether a parameter ended at (within 1% of) the box's edge,
// where the linear model's own answer lies further on.
std::vector<double> fit_linear(const Linear& m, bool& at_edge) {
  const std::size_t n = m.y.size(), np = m.x0.size();
  gsl_multifit_nlinear_fdf fdf;
  NlinearWorkspace w = trust_region_workspace(fdf, residuals, jacobian, const_cast<Linear*>(&m), n, np);
  Vec u0(gsl_vector_alloc(np), gsl_vector_free);
  gsl_vector_set_zero(u0.get());
  if (gsl_multifit_nlinear_init(u0.get(), &fdf, w.get()) != GSL_SUCCESS)
    throw std::runtime_error("cost fit: GSL could not start the fit");
  int info = 0;
  // Any ending (converged, no further progress, out of iterations) is
  // checked against the model itself by the caller.
  gsl_multifit_nlinear_driver(500, 1e-10, 1e-10, 0.0, nullptr, nullptr, &info, w.get());
  const gsl_vector* u = gsl_multifit_nlinear_position(w.get());
  at_edge = false;
  for (std::size_t j = 0; j < np; ++j) at_edge = at_edge || std::abs(std::tanh(gsl_vector_get(u, j))) > 0.99;
  std::vector<double> x = x_of(m, u);
  for (double v : x)
    if (!std::isfinite(v) || !(v > 0)) throw std::runtime_error("cost fit: ended at a parameter that is not finite");
  return x;
}

}  // namespace

double weighted_r2(const std::vector<double>& y, const std::vector<double>& model) {
  double sw = 0, swy = 0;
  for (double v : y) sw += 1 / (v * v), swy += 1 / v;
  const double mean = swy / sw;
  double sse = 0, sst = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double w = 1 / (y[i] * y[i]);
    sse += w * (model[i] - y[i]) * (model[i] - y[i]);
    sst += w * (y[i] - mean) * (y[i] - mean);
  }
  return sst > 0 ? 1 - sse / sst : (sse == 0 ? 1 : 0);
}

EvaluationRange fit_evaluations(std::size_t np, int max_rounds) {
  const int start = 1 + static_cast<int>(np);
  return {start + 1, start + max_rounds * start};
}

CostFit fit_costs(const CostFitInput& in) {
  const std::size_t n = in.measured.size(), np = in.start.size();
  if (np == 0) throw std::invalid_argument("cost fit: no parameters to fit");
  if (n < np)
    throw std::invalid_argument("cost fit: " + std::to_string(n) + " figures cannot fit " +
                                std::to_string(np) + " parameters");
  for (double y : in.measured)
    if (!(y > 0) || !std::isfinite(y)) throw std::invalid_argument("cost fit: a measured figure must be > 0");
  for (double s : in.start)
    if (!(s > 0) || !std::isfinite(s)) throw std::invalid_argument("cost fit: a start must be > 0");
  if (!(in.step > 0 && in.step < 1)) throw std::invalid_argument("cost fit: the step must be in (0, 1)");
  if (!(in.tolerance > 0) || in.max_rounds < 1) throw std::invalid_argument("cost fit: tolerance and rounds must be > 0");
  if (!in.predict) throw std::invalid_argument("cost fit: no model");

  CostFit fit;
  auto model = [&](const std::vector<double>& x) {
    std::vector<double> f = in.predict(x);
    ++fit.evaluations;
    if (f.size() != n)
      throw std::runtime_error("cost fit: the model gave " + std::to_string(f.size()) + " figures for " +
                               std::to_string(n) + " measured");
    for (double v : f)
      if (!std::isfinite(v)) throw std::runtime_error("cost fit: the model gave a figure that is not finite");
    return f;
  };
  auto chi2_of = [&in](const std::vector<double>& f) {
    double c = 0;
    for (std::size_t i = 0; i < f.size(); ++i) c += std::pow((f[i] - in.measured[i]) / in.measured[i], 2);
    return c;
  };
  GslErrorsReturned quiet;
  std::vector<double> x = in.start, f = model(x);
  Linear lin{in.measured, x, f, {}};
  // The Jacobian by forward differences at x (np evaluations).
  auto differences = [&](const std::vector<double>& x, const std::vector<double>& f) {
    lin.D.assign(n, std::vector<double>(np, 0));
    for (std::size_t j = 0; j < np; ++j) {
      std::vector<double> xj = x;
      xj[j] *= 1 + in.step;
      const std::vector<double> fj = model(xj);
      for (std::size_t i = 0; i < n; ++i) lin.D[i][j] = (fj[i] - f[i]) / (xj[j] - x[j]);
    }
    lin.x0 = x;
    lin.f0 = f;
  };
  differences(x, f);
  bool fresh = true;  // D is the differences at x, not a Broyden update
  while (fit.rounds < in.max_rounds) {
    ++fit.rounds;
    bool at_edge = false;
    const std::vector<double> next = fit_linear(lin, at_edge);
    const std::vector<double> fn = model(next);
    double off = 0;
    for (std::size_t i = 0; i < n; ++i) off = std::max(off, std::abs(fn[i] - lin.at(i, next)) / in.measured[i]);
    const double before = chi2_of(f), after = chi2_of(fn);
    if (after > before) {
      // The step made the fit worse: an updated Jacobian is retaken from
      // scratch; a fresh one that still fails leaves x the answer.
      if (fresh) {
        fit.converged = true;  // no step from the fresh differences improves on x
        break;
      }
      differences(x, f);
      fresh = true;
      continue;
    }
    // Broyden's update: the step's observed change, no further evaluation.
    std::vector<double> step(np);
    double ss = 0;
    for (std::size_t j = 0; j < np; ++j) step[j] = next[j] - x[j], ss += step[j] * step[j];
    if (ss > 0)
      for (std::size_t i = 0; i < n; ++i) {
        double predicted = 0;
        for (std::size_t j = 0; j < np; ++j) predicted += lin.D[i][j] * step[j];
        const double miss = (fn[i] - f[i]) - predicted;
        for (std::size_t j = 0; j < np; ++j) lin.D[i][j] += miss * step[j] / ss;
      }
    x = next;
    f = fn;
    lin.x0 = x;
    lin.f0 = f;
    fresh = false;
    // The model met its linearisation at a point the box did not cut
    // short, or the fit no longer improves.
    if ((off <= in.tolerance && !at_edge) || before - after <= 1e-4 * before) {
      fit.converged = true;
      break;
    }
  }
  fit.value = x;
  fit.predicted = f;
  fit.chi2 = chi2_of(f);
  fit.r2 = weighted_r2(in.measured, f);
  Mat J(gsl_matrix_alloc(n, np), gsl_matrix_free);
  fill_jacobian(lin, x, J.get());
  Mat cov(gsl_matrix_alloc(np, np), gsl_matrix_free);
  const bool have_cov = gsl_multifit_nlinear_covar(J.get(), 0.0, cov.get()) == GSL_SUCCESS;
  const double var = n > np ? fit.chi2 / static_cast<double>(n - np) : NAN;
  for (std::size_t j = 0; j < np; ++j) {
    const double c = have_cov ? gsl_matrix_get(cov.get(), j, j) : NAN;
    fit.se.push_back(std::isfinite(c) && c >= 0 ? std::sqrt(c * var) * x[j] : NAN);
  }
  return fit;
}

}  // namespace forksim
