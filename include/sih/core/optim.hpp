#pragma once
// The optimizers, with PyTorch's exact update formulas (docs/MODEL.md §3; torch.optim 1.13
// single-tensor code paths): SGD (momentum, Nesterov, L2 weight decay), Adam (L2 weight
// decay), AdamW (decoupled weight decay), RMSprop (non-centred, momentum) and sign GD
// (theta -= lr * sign(g), not in torch.optim). One optimizer state per parameter tensor.
#include <string>
#include <utility>
#include <vector>

#include "sih/base/types.hpp"

namespace sih {

enum class OptimizerKind { kSgd, kAdam, kAdamW, kRmsprop, kSignGd };
// Config spellings, in enum order.
const std::vector<std::pair<std::string, OptimizerKind>>& optimizer_names();
OptimizerKind parse_optimizer(const std::string& name);
const std::string& optimizer_name(OptimizerKind kind);

struct OptimizerSettings {
  OptimizerKind kind = OptimizerKind::kAdam;
  double momentum = 0;                // sgd, rmsprop
  bool nesterov = false;              // sgd
  double weight_decay = 0;            // L2 added to the gradient; adamw: decoupled
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw
  double eps = 1e-8;                  // adam, adamw, rmsprop
  double alpha = 0.99;                // rmsprop smoothing constant
};

// The state for one parameter array (W, a or b), viewed as a flat array.
template <typename T>
class ParamOptimizer {
 public:
  explicit ParamOptimizer(const OptimizerSettings& s) : s_(s) {}
  // theta -= update(grad) at learning rate lr. `grad` is used as scratch (weight decay is
  // added into it) to keep the hot loop free of temporaries.
  void step(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr);
  long steps_taken() const { return t_; }

 private:
  void step_sgd(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr);
  void step_adam(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr);
  void step_rmsprop(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr);
  void step_sign(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr);

  OptimizerSettings s_;
  long t_ = 0;
  // momentum buffer (sgd, rmsprop) or first moment (adam); second moment (adam) or square
  // average (rmsprop)
  Mat<T> m_, v_;
};

}  // namespace sih
