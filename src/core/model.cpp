#include "sih/core/model.hpp"

#include <cmath>

#include "sih/core/parallel.hpp"

namespace sih {

namespace {

// tanh(scale * x) over one column. Eigen 3.4 vectorises float tanh but not double; for double
// the identity tanh(x) = 1 - 2 / (exp(2x) + 1) vectorises through exp (max error 4.4e-16,
// docs/PERFORMANCE.md). exp overflows to inf for large x, giving 1 - 0 = 1; exp underflows to 0 for
// very negative x, giving 1 - 2 = -1: both limits are exact.
template <typename Col>
void scaled_tanh(Col&& col, float scale) {
  col = (col * scale).tanh();
}
template <typename Col>
void scaled_tanh(Col&& col, double scale) {
  col = 1.0 - 2.0 / ((2.0 * (col * scale)).exp() + 1.0);
}

// One column of the generic path: z = (col + bias) * scale; col = act(z) and, when `deriv` is
// given, deriv = act'(z). tanh and sigmoid take their derivative from the output, as
// PyTorch's tanh_backward and sigmoid_backward do. The activation is a template argument so
// that the switch in activation_value folds away: one branch-free loop per activation.
template <Activation A, typename T>
void activation_column(T* col, T* deriv, Eigen::Index rows, T bias, T scale, T out_scale) {
  for (Eigen::Index i = 0; i < rows; ++i) {
    const T z = (col[i] + bias) * scale;
    const T v = activation_value<T>(A, z);
    if (deriv) {
      if constexpr (A == Activation::kTanh) {
        deriv[i] = T(1) - v * v;
      } else if constexpr (A == Activation::kSigmoid) {
        deriv[i] = v * (T(1) - v);
      } else {
        deriv[i] = activation_derivative<T>(A, z);
      }
    }
    col[i] = out_scale == T(1) ? v : v * out_scale;
  }
}

template <typename T>
using ColumnKernelT = void (*)(T*, T*, Eigen::Index, T, T, T);

// The kernel of an activation, chosen once per call, outside the loops.
template <typename T>
ColumnKernelT<T> column_kernel(Activation a) {
  switch (a) {
    case Activation::kTanh:
      return &activation_column<Activation::kTanh, T>;
    case Activation::kRelu:
      return &activation_column<Activation::kRelu, T>;
    case Activation::kGelu:
      return &activation_column<Activation::kGelu, T>;
    case Activation::kSigmoid:
      return &activation_column<Activation::kSigmoid, T>;
    case Activation::kErf:
      return &activation_column<Activation::kErf, T>;
    case Activation::kLinear:
      return &activation_column<Activation::kLinear, T>;
  }
  return &activation_column<Activation::kTanh, T>;
}

// The generic forward/backward (any activation, optional biases): the same two GEMMs and
// the same fixed-block read-out sums as the tanh path, with act'(z) kept in ws.deriv for
// the backward pass (gelu and erf need z, which the output does not give back).
// The output f = sum of the partial read-out blocks / sqrt(h), the residual f - y in place,
// the batch loss, and dL/da = coef H^T r (coef = 2 / (n_b sqrt(h)), returned), shared by the
// tanh path and the generic one.
template <typename T>
double residual_loss_and_grad_a(StepWorkspace<T>& ws, const Eigen::Ref<const Vec<T>>& y,
                                Eigen::Index nb, T inv_sqrt_h, Vec<T>* grad_a, T& coef) {
  ws.residual = ws.partial.col(0);
  for (Eigen::Index blk = 1; blk < ws.partial.cols(); ++blk) ws.residual += ws.partial.col(blk);
  ws.residual *= inv_sqrt_h;
  ws.residual -= y;
  const double loss = static_cast<double>(ws.residual.squaredNorm()) / static_cast<double>(nb);
  // dL/df_i = 2 r_i / n_b; both layers' gradients carry 1/sqrt(h), W's also 1/sqrt(d).
  coef = T(2) / T(nb) * inv_sqrt_h;
  if (grad_a) {
    grad_a->noalias() = ws.hidden.transpose() * ws.residual;
    *grad_a *= coef;
  }
  return loss;
}

// ws.hidden = X W^T, unless a checkpoint left exactly that product there (hidden_holds_product).
template <typename T>
void forward_product(StepWorkspace<T>& ws, const Eigen::Ref<const Mat<T>>& X, const Mat<T>& W) {
  const bool kept =
      ws.hidden_holds_product && ws.hidden.rows() == X.rows() && ws.hidden.cols() == W.rows();
  ws.hidden_holds_product = false;
  if (kept) return;
  ws.hidden.resize(X.rows(), W.rows());
  product_fixed_depth(ws.hidden, X, W.transpose());
}

template <typename T>
double loss_and_gradient_generic(Activation act, const Mat<T>& W, const Vec<T>* b, const Vec<T>& a,
                                 const Eigen::Ref<const Mat<T>>& X,
                                 const Eigen::Ref<const Vec<T>>& y, Mat<T>& grad_W, Vec<T>* grad_b,
                                 Vec<T>* grad_a, StepWorkspace<T>& ws) {
  const Eigen::Index nb = X.rows();
  const Eigen::Index h = W.rows();
  const Eigen::Index d = W.cols();
  const T inv_sqrt_d = T(1) / std::sqrt(T(d));
  const T inv_sqrt_h = T(1) / std::sqrt(T(h));
  const ColumnKernelT<T> kernel = column_kernel<T>(act);

  forward_product(ws, X, W);
  ws.deriv.resize(nb, h);
  constexpr Eigen::Index kOutputBlocks = 8;
  const Eigen::Index block = (h + kOutputBlocks - 1) / kOutputBlocks;
  ws.partial.resize(nb, kOutputBlocks);
  const int threads = threads_for_elements(static_cast<double>(nb) * static_cast<double>(h));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Eigen::Index blk = 0; blk < kOutputBlocks; ++blk) {
    auto out = ws.partial.col(blk);
    out.setZero();
    for (Eigen::Index j = blk * block; j < std::min(h, (blk + 1) * block); ++j) {
      kernel(ws.hidden.col(j).data(), ws.deriv.col(j).data(), nb, b ? (*b)[j] : T(0), inv_sqrt_d,
             T(1));
      out += a[j] * ws.hidden.col(j);
    }
  }
  T coef;
  const double loss = residual_loss_and_grad_a(ws, y, nb, inv_sqrt_h, grad_a, coef);
  // G_ij = coef/sqrt(d) * r_i * a_j * act'(z_ij); dL/db_j = sum_i G_ij (b sits inside the
  // division by sqrt(d), as in torch's Linear(bias=True) followed by / sqrt(d)).
  const T coef_w = coef * inv_sqrt_d;
  const bool want_b = b && grad_b;
  if (want_b) grad_b->resize(h);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Eigen::Index j = 0; j < h; ++j) {
    const T aj = a[j] * coef_w;
    auto col = ws.hidden.col(j).array();
    col = ws.deriv.col(j).array() * (ws.residual.array() * aj);
    if (want_b) (*grad_b)[j] = col.sum();
  }
  grad_W.resize(h, d);
  product_fixed_depth(grad_W, ws.hidden.transpose(), X);
  return loss;
}

}  // namespace

// Columns in parallel: Eigen parallelises its GEMMs but not its elementwise loops, which on
// one thread cost ~10% of a training step at the headline size. Every loop of this file takes
// as many threads as its elements are worth (threads_for_elements, parallel.hpp): one at
// small sizes, where a region's barrier would cost more than the loop. Each element is computed the
// same way whatever the split, so the bits do not depend on the thread count.
template <typename T>
void scaled_tanh_inplace(Mat<T>& m, T scale, T out_scale) {
  const Eigen::Index cols = m.cols();
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(m.size())))
  for (Eigen::Index j = 0; j < cols; ++j) {
    auto col = m.col(j).array();
    scaled_tanh(col, scale);
    if (out_scale != T(1)) col *= out_scale;
  }
}

template <typename T>
void tanh_inplace(Mat<T>& m) {
  scaled_tanh_inplace(m, T(1));
}

template <typename T>
double loss_and_gradient(const Mat<T>& W, const Vec<T>& a, const Eigen::Ref<const Mat<T>>& X,
                         const Eigen::Ref<const Vec<T>>& y, Mat<T>& grad_W, Vec<T>* grad_a,
                         StepWorkspace<T>& ws) {
  const Eigen::Index nb = X.rows();
  const Eigen::Index h = W.rows();
  const Eigen::Index d = W.cols();
  const T inv_sqrt_d = T(1) / std::sqrt(T(d));
  const T inv_sqrt_h = T(1) / std::sqrt(T(h));

  forward_product(ws, X, W);
  // One pass over the hidden matrix: tanh in place and the read-out A a, as partial sums over
  // kOutputBlocks fixed column blocks (in parallel), added in block order afterwards, so the
  // bits do not depend on the thread count.
  constexpr Eigen::Index kOutputBlocks = 8;
  const Eigen::Index block = (h + kOutputBlocks - 1) / kOutputBlocks;
  ws.partial.resize(nb, kOutputBlocks);
  const int threads = threads_for_elements(static_cast<double>(nb) * static_cast<double>(h));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Eigen::Index b = 0; b < kOutputBlocks; ++b) {
    auto out = ws.partial.col(b);
    out.setZero();
    for (Eigen::Index j = b * block; j < std::min(h, (b + 1) * block); ++j) {
      auto col = ws.hidden.col(j);
      scaled_tanh(col.array(), inv_sqrt_d);
      out += a[j] * col;
    }
  }
  T coef;
  const double loss = residual_loss_and_grad_a(ws, y, nb, inv_sqrt_h, grad_a, coef);
  // G_ij = coef/sqrt(d) * r_i * a_j * (1 - A_ij^2), in place over A, column by column.
  const T coef_w = coef * inv_sqrt_d;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Eigen::Index j = 0; j < h; ++j) {
    const T aj = a[j] * coef_w;
    auto col = ws.hidden.col(j).array();
    col = (T(1) - col.square()) * (ws.residual.array() * aj);
  }
  grad_W.resize(h, d);
  product_fixed_depth(grad_W, ws.hidden.transpose(), X);
  return loss;
}

template <typename T>
double loss_and_gradient(Activation act, const Mat<T>& W, const Vec<T>* b, const Vec<T>& a,
                         const Eigen::Ref<const Mat<T>>& X, const Eigen::Ref<const Vec<T>>& y,
                         Mat<T>& grad_W, Vec<T>* grad_b, Vec<T>* grad_a, StepWorkspace<T>& ws) {
  // The paper's student keeps its fused path (and its speed and bits).
  if (act == Activation::kTanh && !b) return loss_and_gradient<T>(W, a, X, y, grad_W, grad_a, ws);
  return loss_and_gradient_generic<T>(act, W, b, a, X, y, grad_W, grad_b, grad_a, ws);
}

template <typename T>
void activation_inplace(Mat<T>& m, Activation act, T scale, T out_scale, const Vec<T>* b) {
  if (act == Activation::kTanh && !b) {
    scaled_tanh_inplace(m, scale, out_scale);
    return;
  }
  const ColumnKernelT<T> kernel = column_kernel<T>(act);
  const Eigen::Index cols = m.cols();
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(m.size())))
  for (Eigen::Index j = 0; j < cols; ++j)
    kernel(m.col(j).data(), nullptr, m.rows(), b ? (*b)[j] : T(0), scale, out_scale);
}

template <typename T>
double model_mse(Activation act, const Mat<T>& W, const Vec<T>* b, const Vec<T>& a, const Mat<T>& X,
                 const Vec<T>& y) {
  Mat<T> hidden(X.rows(), W.rows());
  product_fixed_depth(hidden, X, W.transpose());
  activation_inplace(hidden, act, T(1) / std::sqrt(T(W.cols())), T(1), b);
  Vec<T> r = hidden * a;
  r *= T(1) / std::sqrt(T(W.rows()));
  r -= y;
  return static_cast<double>(r.squaredNorm()) / static_cast<double>(X.rows());
}

template <typename T>
double model_mse(const Mat<T>& W, const Vec<T>& a, const Mat<T>& X, const Vec<T>& y) {
  Mat<T> hidden(X.rows(), W.rows());
  product_fixed_depth(hidden, X, W.transpose());
  scaled_tanh_inplace(hidden, T(1) / std::sqrt(T(W.cols())));
  Vec<T> r = hidden * a;
  r *= T(1) / std::sqrt(T(W.rows()));
  r -= y;
  return static_cast<double>(r.squaredNorm()) / static_cast<double>(X.rows());
}

template <typename T>
void probe_features_into(Mat<T>& phi, const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling,
                         Activation act, const Vec<T>* b) {
  phi.resize(X.rows(), W.rows());
  product_fixed_depth(phi, X, W.transpose());
  probe_activation_inplace(phi, static_cast<long>(W.cols()), static_cast<long>(W.rows()), scaling,
                           act, b);
}

template <typename T>
void probe_activation_inplace(Mat<T>& phi, long d, long h, ProbeFeatureScaling scaling,
                              Activation act, const Vec<T>* b) {
  const T s = scaling == ProbeFeatureScaling::kReference ? T(1) / T(d) : T(1) / std::sqrt(T(d));
  const T out_scale = T(1) / std::sqrt(T(h));
  // The reference's hook captures X W^T + b (torch's Linear output), so a bias is inside both
  // divisions by sqrt(d) there (docs/MODEL.md §4).
  activation_inplace(phi, act, s, out_scale, b);
}

template <typename T>
Mat<T> probe_features(const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling, Activation act,
                      const Vec<T>* b) {
  Mat<T> phi;
  probe_features_into(phi, W, X, scaling, act, b);
  return phi;
}

#define SIH_INSTANTIATE(T)                                                                         \
  template void scaled_tanh_inplace<T>(Mat<T>&, T, T);                                             \
  template void tanh_inplace<T>(Mat<T>&);                                                          \
  template double loss_and_gradient<T>(                                                            \
      const Mat<T>&, const Vec<T>&, const Eigen::Ref<const Mat<T>>&,                               \
      const Eigen::Ref<const Vec<T>>&, Mat<T>&, Vec<T>*, StepWorkspace<T>&);                       \
  template double model_mse<T>(const Mat<T>&, const Vec<T>&, const Mat<T>&, const Vec<T>&);        \
  template double loss_and_gradient<T>(                                                            \
      Activation, const Mat<T>&, const Vec<T>*, const Vec<T>&, const Eigen::Ref<const Mat<T>>&,    \
      const Eigen::Ref<const Vec<T>>&, Mat<T>&, Vec<T>*, Vec<T>*, StepWorkspace<T>&);              \
  template void activation_inplace<T>(Mat<T>&, Activation, T, T, const Vec<T>*);                   \
  template double model_mse<T>(Activation, const Mat<T>&, const Vec<T>*, const Vec<T>&,            \
                               const Mat<T>&, const Vec<T>&);                                      \
  template Mat<T> probe_features<T>(const Mat<T>&, const Mat<T>&, ProbeFeatureScaling, Activation, \
                                    const Vec<T>*);                                                \
  template void probe_features_into<T>(Mat<T>&, const Mat<T>&, const Mat<T>&, ProbeFeatureScaling, \
                                       Activation, const Vec<T>*);                                 \
  template void probe_activation_inplace<T>(Mat<T>&, long, long, ProbeFeatureScaling, Activation,  \
                                            const Vec<T>*);
SIH_INSTANTIATE(float)
SIH_INSTANTIATE(double)
#undef SIH_INSTANTIATE

}  // namespace sih
