// What the analysis's GSL fits (analysis/usl.cpp, analysis/cost_fit.cpp)
// share: GSL's error handler turned off for a fit's scope (its default
// aborts the process; a fit checks each status and reports instead), and
// the trust-region workspace of gsl_multifit_nlinear for residuals f and
// an analytic Jacobian df over `params`.
#pragma once
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>

#include <memory>

namespace forksim {

struct GslErrorsReturned {
  gsl_error_handler_t* old = gsl_set_error_handler_off();
  ~GslErrorsReturned() { gsl_set_error_handler(old); }
  GslErrorsReturned() = default;
  GslErrorsReturned(const GslErrorsReturned&) = delete;
  GslErrorsReturned& operator=(const GslErrorsReturned&) = delete;
};

using NlinearWorkspace = std::unique_ptr<gsl_multifit_nlinear_workspace, decltype(&gsl_multifit_nlinear_free)>;

// Fills `fdf` (which must outlive the workspace) and allocates the
// workspace for n residuals and p parameters, default parameters.
inline NlinearWorkspace trust_region_workspace(gsl_multifit_nlinear_fdf& fdf,
                                               int (*f)(const gsl_vector*, void*, gsl_vector*),
                                               int (*df)(const gsl_vector*, void*, gsl_matrix*), void* params,
                                               std::size_t n, std::size_t p) {
  fdf = gsl_multifit_nlinear_fdf{};
  fdf.f = f;
  fdf.df = df;
  fdf.fvv = nullptr;
  fdf.n = n;
  fdf.p = p;
  fdf.params = params;
  const gsl_multifit_nlinear_parameters settings = gsl_multifit_nlinear_default_parameters();
  return NlinearWorkspace(gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &settings, n, p),
                          gsl_multifit_nlinear_free);
}

}  // namespace forksim
