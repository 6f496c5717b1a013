#pragma once
// SGD (momentum, weight decay) and Adam (L2 weight decay, not AdamW) with PyTorch's exact
// update formulas (docs/MODEL.md §3). One optimizer state per parameter tensor.
#include <string>

#include "sih/types.hpp"

namespace sih {

enum class OptimizerKind { kSgd, kAdam };
OptimizerKind parse_optimizer(const std::string& name);

struct OptimizerSettings {
  OptimizerKind kind = OptimizerKind::kAdam;
  double momentum = 0;
  double weight_decay = 0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// The state for one parameter array (W or a), viewed as a flat array.
template <typename T>
class ParamOptimizer {
 public:
  explicit ParamOptimizer(const OptimizerSettings& s) : s_(s) {}
  // theta -= update(grad) at learning rate lr. `grad` is used as scratch (weight decay is
  // added into it) to keep the hot loop free of temporaries.
  void step(Eigen::Ref<Mat<T>> theta, Eigen::Ref<Mat<T>> grad, double lr);
  long steps_taken() const { return t_; }

 private:
  OptimizerSettings s_;
  long t_ = 0;
  Mat<T> m_, v_;  // momentum buffer (sgd) or first moment (adam); second moment (adam)
};

}  // namespace sih
