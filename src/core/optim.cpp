#include "sih/core/optim.hpp"

#include <cmath>

#include "sih/core/parallel.hpp"

namespace sih {

const std::vector<std::pair<std::string, OptimizerKind>>& optimizer_names() {
  static const std::vector<std::pair<std::string, OptimizerKind>> names = {
      {"sgd", OptimizerKind::kSgd},
      {"adam", OptimizerKind::kAdam},
      {"adamw", OptimizerKind::kAdamW},
      {"rmsprop", OptimizerKind::kRmsprop},
      {"signgd", OptimizerKind::kSignGd}};
  return names;
}

const std::string& optimizer_name(OptimizerKind kind) {
  for (const auto& [word, k] : optimizer_names())
    if (k == kind) return word;
  return optimizer_names().front().first;  // every enumerator has a name (optimizer_names)
}

OptimizerKind parse_optimizer(const std::string& name) {
  std::string all;
  for (const auto& [word, kind] : optimizer_names()) {
    if (word == name) return kind;
    all += (all.empty() ? "" : ", ") + word;
  }
  throw InputError("optimizer: '" + name + "': must be one of " + all);
}

// Each update is elementwise. It runs column by column in parallel (Eigen does not
// parallelise elementwise loops) and fuses the state and parameter updates per column, so
// theta, grad and the state are streamed through memory once; each element sees exactly the
// operations of PyTorch's formulas (quoted at each kernel), so the bits do not depend on the
// split. The optimizer is chosen once per step, outside the loops.
template <typename T>
void ParamOptimizer<T>::step(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  ++t_;
  switch (s_.kind) {
    case OptimizerKind::kSgd:
      step_sgd(theta, grad, lr);
      return;
    case OptimizerKind::kAdam:
    case OptimizerKind::kAdamW:
      step_adam(theta, grad, lr);
      return;
    case OptimizerKind::kRmsprop:
      step_rmsprop(theta, grad, lr);
      return;
    case OptimizerKind::kSignGd:
      step_sign(theta, grad, lr);
      return;
  }
}

// torch.optim.SGD: g += wd theta; buf = g (first step) else buf = mu buf + g (dampening 0);
// g = g + mu buf (nesterov) or g = buf; theta -= lr g.
template <typename T>
void ParamOptimizer<T>::step_sgd(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  const Eigen::Index cols = theta.cols();
  const T wd = T(s_.weight_decay);
  const bool decay = s_.weight_decay != 0;
  const T mu = T(s_.momentum), step = T(lr);
  const bool momentum = s_.momentum != 0, first = t_ == 1, nesterov = s_.nesterov;
  if (momentum && first) m_.resize(theta.rows(), theta.cols());
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(theta.size())))
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
    if (nesterov) {
      theta.col(j).array() -= step * (g + mu * m);
    } else {
      theta.col(j).array() -= step * m;
    }
  }
}

// torch.optim.Adam / AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// theta -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps). Adam adds wd theta to g; AdamW instead
// scales theta by (1 - lr wd) first (decoupled weight decay).
template <typename T>
void ParamOptimizer<T>::step_adam(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  const Eigen::Index cols = theta.cols();
  const bool decoupled = s_.kind == OptimizerKind::kAdamW;
  const bool decay = s_.weight_decay != 0 && !decoupled;
  const T wd = T(s_.weight_decay);
  const bool shrink = decoupled && s_.weight_decay != 0;
  // PyTorch forms 1 - lr * wd as a Python float, then rounds it to the tensor's type.
  const T keep = T(1.0 - lr * s_.weight_decay);
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
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(theta.size())))
  for (Eigen::Index j = 0; j < cols; ++j) {
    auto g = grad.col(j).array();
    if (decay) g += wd * theta.col(j).array();
    if (shrink) theta.col(j).array() *= keep;
    auto m = m_.col(j).array();
    auto v = v_.col(j).array();
    m = b1 * m + one_minus_b1 * g;
    v = b2 * v + one_minus_b2 * g.square();
    theta.col(j).array() -= step_size * (m / (v.sqrt() / sqrt_bc2 + eps));
  }
}

// torch.optim.RMSprop (centered=False): g += wd theta; v = alpha v + (1-alpha) g^2;
// avg = sqrt(v) + eps; with momentum buf = mu buf + g / avg (buf starts at 0) and
// theta -= lr buf, else theta -= lr g / avg.
template <typename T>
void ParamOptimizer<T>::step_rmsprop(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  const Eigen::Index cols = theta.cols();
  const T wd = T(s_.weight_decay);
  const bool decay = s_.weight_decay != 0;
  const bool momentum = s_.momentum > 0;
  if (t_ == 1) {
    v_.setZero(theta.rows(), theta.cols());
    if (momentum) m_.setZero(theta.rows(), theta.cols());
  }
  const T alpha = T(s_.alpha), one_minus_alpha = T(1.0 - s_.alpha);
  const T eps = T(s_.eps), mu = T(s_.momentum), step = T(lr);
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(theta.size())))
  for (Eigen::Index j = 0; j < cols; ++j) {
    auto g = grad.col(j).array();
    if (decay) g += wd * theta.col(j).array();
    auto v = v_.col(j).array();
    v = alpha * v + one_minus_alpha * g.square();
    if (momentum) {
      auto m = m_.col(j).array();
      m = mu * m + g / (v.sqrt() + eps);
      theta.col(j).array() -= step * m;
    } else {
      theta.col(j).array() -= step * (g / (v.sqrt() + eps));
    }
  }
}

// Sign gradient descent: g += wd theta; theta -= lr sign(g), sign(0) = 0 (torch.sign).
template <typename T>
void ParamOptimizer<T>::step_sign(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr) {
  const Eigen::Index cols = theta.cols();
  const T wd = T(s_.weight_decay);
  const bool decay = s_.weight_decay != 0;
  const T step = T(lr);
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(theta.size())))
  for (Eigen::Index j = 0; j < cols; ++j) {
    auto g = grad.col(j).array();
    if (decay) g += wd * theta.col(j).array();
    theta.col(j).array() -= step * g.sign();
  }
}

template class ParamOptimizer<float>;
template class ParamOptimizer<double>;

}  // namespace sih
