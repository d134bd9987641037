// Private: the damped Newton maximiser every value-model fit uses (BG/NBD and Gamma-Gamma in
// value.cpp with analytic derivatives, the generic layer of models.cpp with numeric ones).
#pragma once

#include <rapport/value/value.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace rapport::detail {

/// Where newton_maximize() stopped and why.
template <int N>
struct NewtonResult {
  Eigen::Matrix<double, N, 1> theta;
  double value = std::numeric_limits<double>::quiet_NaN();
  double max_gradient = std::numeric_limits<double>::quiet_NaN();
  int iterations = 0;
  bool converged = false;
  std::string failure;
};

/// Maximises `f(theta, grad*, hess*)` from `theta` by Newton's method with Levenberg damping
/// (when the Hessian is not negative definite) and a backtracking line search.
template <int N, class F>
inline NewtonResult<N> newton_maximize(F&& f, Eigen::Matrix<double, N, 1> theta, const FitOptions& options) {
  using Vec = Eigen::Matrix<double, N, 1>;
  using Mat = Eigen::Matrix<double, N, N>;
  constexpr double kMaxStep = 2.0;       // largest change of one log-parameter per iteration
  constexpr double kMaxAbsTheta = 40.0;  // parameters beyond e^±40 mean divergence
  NewtonResult<N> res;
  Vec g;
  Mat H;
  double fx = f(theta, &g, &H);
  bool polishing = false;
  int polish_steps = 0;
  res.theta = theta;
  res.value = fx;
  if (!std::isfinite(fx) || !g.allFinite()) {
    res.failure = "log-likelihood is not finite at the starting point";
    return res;
  }
  for (int iter = 0;; ++iter) {
    res.iterations = iter;
    res.theta = theta;
    res.value = fx;
    res.max_gradient = g.cwiseAbs().maxCoeff();
    const double scale = std::max(1.0, std::abs(fx));
    if (!polishing && res.max_gradient <= options.gradient_tolerance * scale) polishing = true;
    if (polishing && (polish_steps >= 6 || res.max_gradient <= 1e-15 * scale)) {
      res.converged = true;
      return res;
    }
    if (iter >= options.max_iterations) {
      res.failure = theta.cwiseAbs().maxCoeff() > 0.75 * kMaxAbsTheta
                        ? "a parameter diverges (likelihood maximised at the boundary)"
                        : "no convergence within the iteration limit";
      return res;
    }
    // Newton direction on -H, damped until positive definite and ascending.
    const Mat A = -H;
    Vec d = g;
    bool have_direction = false;
    if (A.allFinite()) {
      const double diag = std::max(A.diagonal().cwiseAbs().maxCoeff(), 1e-300);
      double mu = 0.0;
      for (int k = 0; k < 40; ++k) {
        const Eigen::LLT<Mat> llt(A + mu * Mat::Identity());
        if (llt.info() == Eigen::Success) {
          d = llt.solve(g);
          if (d.allFinite() && d.dot(g) > 0) {
            have_direction = true;
            break;
          }
        }
        mu = mu == 0.0 ? 1e-8 * diag : mu * 10.0;
      }
    }
    if (!have_direction) d = g / std::max(g.norm(), 1e-300);  // steepest ascent
    // Converged to the tolerance: polish with full Newton steps while they are small (inside the
    // quadratic region), so the optimum is reached to rounding and not just to the tolerance.
    if (polishing) {
      if (!have_direction || d.cwiseAbs().maxCoeff() > 1e-4) {
        res.converged = true;
        return res;
      }
      ++polish_steps;
    }
    const double dmax = d.cwiseAbs().maxCoeff();
    if (dmax > kMaxStep) d *= kMaxStep / dmax;

    const double slope = g.dot(d);
    const double noise = 1e-11 * scale;
    double step = 1.0;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls, step *= 0.5) {
      const Vec trial = theta + step * d;
      if (trial.cwiseAbs().maxCoeff() > kMaxAbsTheta) continue;
      Vec gt;
      Mat Ht;
      const double ft = f(trial, &gt, &Ht);
      if (!std::isfinite(ft) || !gt.allFinite() || !Ht.allFinite()) continue;
      const bool armijo = ft >= fx + 1e-4 * step * slope;
      // Near the optimum the predicted gain of a full Newton step drops below the rounding
      // noise of the sum; accept it when the value stays within noise and the gradient shrinks.
      const bool within_noise = ls == 0 && ft >= fx - noise && gt.cwiseAbs().maxCoeff() < g.cwiseAbs().maxCoeff();
      if (armijo || within_noise) {
        theta = trial;
        fx = ft;
        g = gt;
        H = Ht;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // Precision-limited: the gradient cannot be reduced further by any step along d.
      if (polishing || res.max_gradient <= 1e3 * options.gradient_tolerance * scale) {
        res.converged = true;
        return res;
      }
      res.failure = (theta + d).cwiseAbs().maxCoeff() > kMaxAbsTheta
                        ? "a parameter diverges (likelihood maximised at the boundary)"
                        : "line search failed";
      return res;
    }
  }
}

/// `v` with 6 significant digits, for messages.
inline std::string format_double(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

}  // namespace rapport::detail
