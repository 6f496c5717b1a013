#include "sih/optim.hpp"

#include <cmath>

namespace sih {

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adam") return OptimizerKind::kAdam;
  throw InputError("optimizer: '" + name + "': must be one of sgd, adam");
}

template <typename T>
void ParamOptimizer<T>::step(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  ++t_;
  auto g = grad.array();
  if (s_.weight_decay != 0) g += T(s_.weight_decay) * theta.array();
  if (s_.kind == OptimizerKind::kSgd) {
    if (s_.momentum != 0) {
      if (t_ == 1) {
        m_ = grad;  // PyTorch: buf = g on the first step
      } else {
        m_.array() = T(s_.momentum) * m_.array() + g;
      }
      theta.array() -= T(lr) * m_.array();
    } else {
      theta.array() -= T(lr) * g;
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
  m_.array() = b1 * m_.array() + one_minus_b1 * g;
  v_.array() = b2 * v_.array() + one_minus_b2 * g.square();
  theta.array() -= step_size * (m_.array() / (v_.array().sqrt() / sqrt_bc2 + eps));
}

template class ParamOptimizer<float>;
template class ParamOptimizer<double>;

}  // namespace sih
