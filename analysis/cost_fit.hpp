// Fits positive parameters of a model (the calibration's cost factors) to
// measured figures by weighted least squares, the model given as a
// function the caller evaluates (forksim calibrate runs simulations in it;
// this file knows nothing of them).
//
// Residuals are relative, (model_i - y_i) / y_i, since the figures span
// microseconds to tens of milliseconds and each should count alike. Each
// parameter is fitted as its logarithm, so it stays positive; its standard
// error is then se(log p) x p.
//
// Every model evaluation is a batch of simulations, so the model is not
// handed to the optimiser directly: it is replaced by its linearisation
// (the Jacobian by forward differences of relative step `step`, p
// evaluations, then kept up to date by Broyden's update from each step's
// observed change), which GSL's nonlinear least squares
// (gsl_multifit_nlinear, trust region, as analysis/usl.cpp) fits within a
// factor of 2 of the current point in each parameter (the model's figures
// are sums of costs along each fork's path, linear piece by piece, so the
// linearisation holds only nearby). The model is then evaluated there: a
// step that makes the fit worse retakes the differences (and ends the fit
// when they were fresh); otherwise the fit goes on from there until the
// model meets its linearisation within `tolerance` (relative, any figure)
// at a point inside the factor-of-2 box, or chi^2 falls by less than
// 0.01%, at most `max_rounds` steps.
// Standard errors: sqrt of the diagonal of (J^T J)^-1 (J of the relative
// residuals in log parameters, at the answer) times the residual variance
// chi^2 / (n - p); none (NaN) when n <= p. R^2 is the weighted one,
// 1 - sum w r^2 / sum w (y - mean_w y)^2 with w = 1 / y^2, in which every
// figure counts by its relative error as in the fit.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace forksim {

struct CostFitInput {
  std::vector<double> measured;  // y_i > 0
  std::vector<double> start;     // each parameter's start, > 0
  // The model's figures at a parameter vector, one per measured figure.
  std::function<std::vector<double>(const std::vector<double>&)> predict;
  double step = 0.05;            // relative finite-difference step
  double tolerance = 0.002;      // model against its linearisation, relative
  int max_rounds = 12;
};

struct CostFit {
  std::vector<double> value, se;   // per parameter
  std::vector<double> predicted;   // the model's figures at `value`
  double r2 = 0, chi2 = 0;         // chi2: sum of squared relative residuals
  int rounds = 0, evaluations = 0;
  bool converged = false;          // as above; false: out of rounds, or no step improved
};

// Throws std::invalid_argument naming what is wrong with the input, and
// std::runtime_error when the fit does not end at finite parameters or the
// model gives a figure that is not finite.
CostFit fit_costs(const CostFitInput& in);

// How many model evaluations fit_costs makes for `np` parameters in at most
// `max_rounds` rounds: {fewest, most}. The fewest: the start and its np
// differences, then one step that ends the fit. The most: every round's
// step also retakes the differences.
struct EvaluationRange {
  int fewest, most;
};
EvaluationRange fit_evaluations(std::size_t np, int max_rounds);

// The weighted R^2 above, of `model` against `y`.
double weighted_r2(const std::vector<double>& y, const std::vector<double>& model);

}  // namespace forksim
