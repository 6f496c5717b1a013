#pragma once
// The two-layer student f(x) = a . tanh(W x / sqrt(d)) / sqrt(h) (SPEC 2): its MSE loss and
// gradient on a batch, and the hidden features used by probes (SPEC 4).
#include <algorithm>

#include "sih/config.hpp"
#include "sih/types.hpp"

namespace sih {

// tanh in place. Eigen 3.4 vectorises float tanh but not double; for double the identity
// tanh(x) = 1 - 2 / (exp(2x) + 1) vectorises through exp (max error 4.4e-16, PERF-NOTES).
template <typename T>
void tanh_inplace(Mat<T>& m);

// dst = lhs * rhs with the same bits for every thread count. Eigen's GEMM cuts the depth
// (lhs.cols()) into blocks of kc and sums block by block; kc comes from one heuristic when it
// runs on 1 thread and from another (capped at 320) on 2 or more (GeneralBlockPanelKernel.h,
// evaluateProductBlockingSizesHeuristic), so with n or d above ~320 `threads: 1` and
// `threads: 2` rounded differently. Here the depth is cut into chunks that neither heuristic
// cuts further (asked from Eigen itself, for this machine's caches), summed in a fixed order;
// Eigen splits rows and columns across threads on register-block boundaries, which does not
// change any element's sum. tests/test_determinism.cpp checks it.
template <typename T>
Eigen::Index fixed_depth_chunk() {
  static const Eigen::Index chunk = [] {
    Eigen::Index k1 = Eigen::Index(1) << 24, m1 = k1, n1 = k1;
    Eigen::internal::computeProductBlockingSizes<T, T, 1>(k1, m1, n1, Eigen::Index(1));
    Eigen::Index k2 = Eigen::Index(1) << 24, m2 = k2, n2 = k2;
    Eigen::internal::computeProductBlockingSizes<T, T, 1>(k2, m2, n2, Eigen::Index(2));
    return std::max<Eigen::Index>(8, std::min(k1, k2));
  }();
  return chunk;
}

template <typename Dst, typename Lhs, typename Rhs>
void product_fixed_depth(Dst& dst, const Lhs& lhs, const Rhs& rhs) {
  using T = typename Dst::Scalar;
  const Eigen::Index chunk = fixed_depth_chunk<T>();
  const Eigen::Index depth = lhs.cols();
  if (depth <= chunk) {
    dst.noalias() = lhs * rhs;
    return;
  }
  dst.noalias() = lhs.leftCols(chunk) * rhs.topRows(chunk);
  for (Eigen::Index start = chunk; start < depth; start += chunk) {
    const Eigen::Index len = std::min(chunk, depth - start);
    dst.noalias() += lhs.middleCols(start, len) * rhs.middleRows(start, len);
  }
}

// Reusable buffers of one training step, sized once, so the hot loop allocates nothing.
template <typename T>
struct StepWorkspace {
  Mat<T> hidden;  // n_b x h: pre-activation, then tanh, then the backpropagated signal
  Vec<T> residual;
};

// MSE loss of the student on (X, y) and its gradient. Two GEMMs (X W^T and G^T X); the
// elementwise work between them is fused into one pass over the n_b x h hidden matrix.
// grad_a is only computed when `want_grad_a`.
template <typename T>
double loss_and_gradient(const Mat<T>& W, const Vec<T>& a, const Eigen::Ref<const Mat<T>>& X,
                         const Eigen::Ref<const Vec<T>>& y, Mat<T>& grad_W, Vec<T>* grad_a,
                         StepWorkspace<T>& ws);

// MSE of the student itself (the model's own scaling) on a data set.
template <typename T>
double model_mse(const Mat<T>& W, const Vec<T>& a, const Mat<T>& X, const Vec<T>& y);

// Probe features Phi = tanh(X W^T * s) / sqrt(h), s = 1/d for the reference's scaling (its
// double division by sqrt(d), SPEC 4) or 1/sqrt(d) for the model's own.
template <typename T>
Mat<T> probe_features(const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling);

}  // namespace sih
