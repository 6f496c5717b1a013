#include "sih/model.hpp"

#include <cmath>

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

}  // namespace

// Columns in parallel: Eigen parallelises its GEMMs but not its elementwise loops, which on
// one thread cost ~10% of a training step at the headline size. Each element is computed the
// same way whatever the split, so the bits do not depend on the thread count.
template <typename T>
void scaled_tanh_inplace(Mat<T>& m, T scale, T out_scale) {
  const Eigen::Index cols = m.cols();
#pragma omp parallel for schedule(static)
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

  ws.hidden.resize(nb, h);
  product_fixed_depth(ws.hidden, X, W.transpose());
  // One pass over the hidden matrix: tanh in place and the read-out A a, as partial sums over
  // kOutputBlocks fixed column blocks (in parallel), added in block order afterwards, so the
  // bits do not depend on the thread count.
  constexpr Eigen::Index kOutputBlocks = 8;
  const Eigen::Index block = (h + kOutputBlocks - 1) / kOutputBlocks;
  ws.partial.resize(nb, kOutputBlocks);
#pragma omp parallel for schedule(static)
  for (Eigen::Index b = 0; b < kOutputBlocks; ++b) {
    auto out = ws.partial.col(b);
    out.setZero();
    for (Eigen::Index j = b * block; j < std::min(h, (b + 1) * block); ++j) {
      auto col = ws.hidden.col(j);
      scaled_tanh(col.array(), inv_sqrt_d);
      out += a[j] * col;
    }
  }
  ws.residual = ws.partial.col(0);
  for (Eigen::Index b = 1; b < kOutputBlocks; ++b) ws.residual += ws.partial.col(b);
  ws.residual *= inv_sqrt_h;
  ws.residual -= y;
  const double loss = static_cast<double>(ws.residual.squaredNorm()) / static_cast<double>(nb);

  // dL/df_i = 2 r_i / n_b; both layers' gradients carry 1/sqrt(h), W's also 1/sqrt(d).
  const T coef = T(2) / T(nb) * inv_sqrt_h;
  if (grad_a) {
    grad_a->noalias() = ws.hidden.transpose() * ws.residual;
    *grad_a *= coef;
  }
  // G_ij = coef/sqrt(d) * r_i * a_j * (1 - A_ij^2), in place over A, column by column.
  const T coef_w = coef * inv_sqrt_d;
#pragma omp parallel for schedule(static)
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
void probe_features_into(Mat<T>& phi, const Mat<T>& W, const Mat<T>& X,
                         ProbeFeatureScaling scaling) {
  const T d = T(W.cols());
  const T s = scaling == ProbeFeatureScaling::kReference ? T(1) / d : T(1) / std::sqrt(d);
  const T out_scale = T(1) / std::sqrt(T(W.rows()));
  phi.resize(X.rows(), W.rows());
  product_fixed_depth(phi, X, W.transpose());
  scaled_tanh_inplace(phi, s, out_scale);
}

template <typename T>
Mat<T> probe_features(const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling) {
  Mat<T> phi;
  probe_features_into(phi, W, X, scaling);
  return phi;
}

#define SIH_INSTANTIATE(T)                                                                  \
  template void scaled_tanh_inplace<T>(Mat<T>&, T, T);                                      \
  template void tanh_inplace<T>(Mat<T>&);                                                   \
  template double loss_and_gradient<T>(                                                     \
      const Mat<T>&, const Vec<T>&, const Eigen::Ref<const Mat<T>>&,                        \
      const Eigen::Ref<const Vec<T>>&, Mat<T>&, Vec<T>*, StepWorkspace<T>&);                \
  template double model_mse<T>(const Mat<T>&, const Vec<T>&, const Mat<T>&, const Vec<T>&); \
  template Mat<T> probe_features<T>(const Mat<T>&, const Mat<T>&, ProbeFeatureScaling);     \
  template void probe_features_into<T>(Mat<T>&, const Mat<T>&, const Mat<T>&, ProbeFeatureScaling);
SIH_INSTANTIATE(float)
SIH_INSTANTIATE(double)
#undef SIH_INSTANTIATE

}  // namespace sih
