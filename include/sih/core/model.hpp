#pragma once
// The two-layer student f(x) = a . act((W x + b) / sqrt(d)) / sqrt(h) (docs/MODEL.md §2; the
// paper's is act = tanh without b): its MSE loss and gradient on a batch, and the hidden features
// used by probes (docs/MODEL.md §4). The tanh-without-bias student has its own fused path; every
// other (activation, bias) goes through one generic kernel chosen once per call.
#include <algorithm>

#include "sih/base/types.hpp"
#include "sih/core/activation.hpp"
#include "sih/core/config.hpp"
#include "sih/core/linalg.hpp"

namespace sih {

// m = out_scale * tanh(scale * m) in place, one pass with columns in parallel (vectorised;
// for double through tanh(x) = 1 - 2 / (exp(2x) + 1), max error 4.4e-16, docs/PERFORMANCE.md).
template <typename T>
void scaled_tanh_inplace(Mat<T>& m, T scale, T out_scale = T(1));
template <typename T>
void tanh_inplace(Mat<T>& m);

// Reusable buffers of one training step, sized once, so the hot loop allocates nothing.
template <typename T>
struct StepWorkspace {
  Mat<T> hidden;  // n_b x h: pre-activation, then tanh, then the backpropagated signal
  // True when `hidden` already holds X W^T for the next call's X and W: a checkpoint on the
  // full training batch computed it (trainer.cpp), and the call skips its first GEMM.
  bool hidden_holds_product = false;
  Mat<T> partial;  // n_b x 8: per-column-block partial sums of the read-out
  Vec<T> residual;
  Mat<T> deriv;  // n_b x h: act'(z), only for activations other than tanh or with biases
};

// MSE loss of the student on (X, y) and its gradient. Two GEMMs (X W^T and G^T X); the
// elementwise work between them is fused into one pass over the n_b x h hidden matrix.
// grad_a is only computed when `want_grad_a`.
template <typename T>
double loss_and_gradient(const Mat<T>& W, const Vec<T>& a, const Eigen::Ref<const Mat<T>>& X,
                         const Eigen::Ref<const Vec<T>>& y, Mat<T>& grad_W, Vec<T>* grad_a,
                         StepWorkspace<T>& ws);

// The same for any activation and optional hidden biases `b` (h; nullptr: none). grad_b is
// computed when both `b` and `grad_b` are given. With tanh and no bias this is the function
// above (same bits).
template <typename T>
double loss_and_gradient(Activation act, const Mat<T>& W, const Vec<T>* b, const Vec<T>& a,
                         const Eigen::Ref<const Mat<T>>& X, const Eigen::Ref<const Vec<T>>& y,
                         Mat<T>& grad_W, Vec<T>* grad_b, Vec<T>* grad_a, StepWorkspace<T>& ws);

// m = out_scale * act((m + b^T) * scale) in place, columns in parallel; b may be nullptr.
template <typename T>
void activation_inplace(Mat<T>& m, Activation act, T scale, T out_scale, const Vec<T>* b);

// MSE of the student itself (the model's own scaling) on a data set.
template <typename T>
double model_mse(const Mat<T>& W, const Vec<T>& a, const Mat<T>& X, const Vec<T>& y);
template <typename T>
double model_mse(Activation act, const Mat<T>& W, const Vec<T>* b, const Vec<T>& a, const Mat<T>& X,
                 const Vec<T>& y);

// Probe features Phi = act((X W^T + b) * s) / sqrt(h) (tanh, no b by default), s = 1/d for the
// reference's scaling (its double division by sqrt(d), docs/MODEL.md §4) or 1/sqrt(d) for the
// model's own.
template <typename T>
Mat<T> probe_features(const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling,
                      Activation act = Activation::kTanh, const Vec<T>* b = nullptr);
// The same into a reused buffer.
template <typename T>
void probe_features_into(Mat<T>& phi, const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling,
                         Activation act = Activation::kTanh, const Vec<T>* b = nullptr);
// The same when phi already holds X W^T (h = W.rows(), d = W.cols()): the activation only.
template <typename T>
void probe_activation_inplace(Mat<T>& phi, long d, long h, ProbeFeatureScaling scaling,
                              Activation act = Activation::kTanh, const Vec<T>* b = nullptr);

}  // namespace sih
