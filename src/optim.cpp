#include "sih/optim.hpp"

#include <cmath>

namespace sih {

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adam") return OptimizerKind::kAdam;
  throw InputError("optimizer: '" + name + "': must be one of sgd, adam");
}

// Each update is elementwise. It runs column by column in parallel (Eigen does not
// parallelise elementwise loops) and fuses the moment and parameter updates per column, so
// theta, grad, m and v are streamed through memory once; each element sees exactly the
// operations of the textbook formulas below, so the bits do not depend on the split.
template <typename T>
void ParamOptimizer<T>::step(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  ++t_;
  const Eigen::Index cols = theta.cols();
  const T wd = T(s_.weight_decay);
  const bool decay = s_.weight_decay != 0;
  if (s_.kind == OptimizerKind::kSgd) {
    const T mu = T(s_.momentum), step = T(lr);
    const bool momentum = s_.momentum != 0, first = t_ == 1;
    if (momentum && first) m_.resize(theta.rows(), theta.cols());
#pragma omp parallel for schedule(static)
    for (Eigen::Index j = 0; j < cols; ++j) {
      auto g = grad.col(j).array();
      if (decay) g += wd * theta.col(j).array();
      if (!momentum) {
        theta.col(j).array() -= step * g;
        continue;
      }
      auto m = m_.col(j).array();
      if (first) {
        m = g;  // PyTorch: buf = g on the first step
      } else {
        m = mu * m + g;
      }
      theta.col(j).array() -= step * m;
    }
    return;
  }
  if (t_ == 1) {
    m_.setZero(theta.rows(), theta.cols());
    v_.setZero(theta.rows(), theta.cols());
  }
  // (1 - beta) is formed in double and then rounded, as PyTorch does with its Python-float
  // coefficients: 1 - 0.999f in float is 0.0010000467, a 4.7e-5 relative error.
  const T b1 = T(s_.beta1), b2 = T(s_.beta2);
  const T one_minus_b1 = T(1.0 - s_.beta1), one_minus_b2 = T(1.0 - s_.beta2);
  // PyTorch computes the bias corrections in double (Python floats) and folds them into the
  // step size and the denominator exactly as below.
  const double bc1 = 1.0 - std::pow(s_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(s_.beta2, static_cast<double>(t_));
  const T step_size = T(lr / bc1);
  const T sqrt_bc2 = T(std::sqrt(bc2));
  const T eps = T(s_.eps);
#pragma omp parallel for schedule(static)
  for (Eigen::Index j = 0; j < cols; ++j) {
    auto g = grad.col(j).array();
    if (decay) g += wd * theta.col(j).array();
    auto m = m_.col(j).array();
    auto v = v_.col(j).array();
    m = b1 * m + one_minus_b1 * g;
    v = b2 * v + one_minus_b2 * g.square();
    theta.col(j).array() -= step_size * (m / (v.sqrt() / sqrt_bc2 + eps));
  }
}

template class ParamOptimizer<float>;
template class ParamOptimizer<double>;

}  // namespace sih
