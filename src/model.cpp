#include "sih/model.hpp"

#include <cmath>

namespace sih {

template <>
void tanh_inplace<float>(Mat<float>& m) {
  m.array() = m.array().tanh();
}

template <>
void tanh_inplace<double>(Mat<double>& m) {
  // exp overflows to inf for large x, giving 1 - 0 = 1; exp underflows to 0 for very
  // negative x, giving 1 - 2 = -1: both limits are exact.
  m.array() = 1.0 - 2.0 / ((2.0 * m.array()).exp() + 1.0);
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
  ws.hidden *= inv_sqrt_d;
  tanh_inplace(ws.hidden);
  ws.residual.noalias() = ws.hidden * a;
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
  hidden *= T(1) / std::sqrt(T(W.cols()));
  tanh_inplace(hidden);
  Vec<T> r = hidden * a;
  r *= T(1) / std::sqrt(T(W.rows()));
  r -= y;
  return static_cast<double>(r.squaredNorm()) / static_cast<double>(X.rows());
}

template <typename T>
Mat<T> probe_features(const Mat<T>& W, const Mat<T>& X, ProbeFeatureScaling scaling) {
  const T d = T(W.cols());
  const T s = scaling == ProbeFeatureScaling::kReference ? T(1) / d : T(1) / std::sqrt(d);
  Mat<T> phi(X.rows(), W.rows());
  product_fixed_depth(phi, X, W.transpose());
  phi *= s;
  tanh_inplace(phi);
  phi *= T(1) / std::sqrt(T(W.rows()));
  return phi;
}

#define SIH_INSTANTIATE(T)                                                                    \
  template double loss_and_gradient<T>(const Mat<T>&, const Vec<T>&,                          \
                                       const Eigen::Ref<const Mat<T>>&,                       \
                                       const Eigen::Ref<const Vec<T>>&, Mat<T>&, Vec<T>*,     \
                                       StepWorkspace<T>&);                                    \
  template double model_mse<T>(const Mat<T>&, const Vec<T>&, const Mat<T>&, const Vec<T>&);   \
  template Mat<T> probe_features<T>(const Mat<T>&, const Mat<T>&, ProbeFeatureScaling);
SIH_INSTANTIATE(float)
SIH_INSTANTIATE(double)
#undef SIH_INSTANTIATE

}  // namespace sih
