#include "sih/core/metrics.hpp"

#include <cmath>

#include "sih/core/linalg.hpp"

namespace sih {

template <typename T>
Mat<T> feature_gram(const Mat<T>& phi) {
  Mat<T> g;
  gram_lower(g, phi);
  return g;
}

template <typename T>
double kta_from_gram(const Mat<T>& gram, const Vec<T>& phi_t_y, const Vec<T>& y) {
  const double num = static_cast<double>(phi_t_y.squaredNorm());
  // ||Phi^T Phi||_F from the lower triangle: the diagonal once, the rest twice.
  const Eigen::Index n = gram.rows();
  double sum_sq = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double diag = static_cast<double>(gram(j, j));
    sum_sq += diag * diag + 2 * static_cast<double>(gram.col(j).tail(n - 1 - j).squaredNorm());
  }
  const double den = std::sqrt(sum_sq) * static_cast<double>(y.squaredNorm());
  return den > 0 ? num / den : 0.0;
}

template <typename T>
double kta_dense(const Mat<T>& phi, const Vec<T>& y) {
  const Mat<T> k = phi * phi.transpose();
  const Mat<T> ky = y * y.transpose();
  return static_cast<double>((k.array() * ky.array()).sum()) /
         (static_cast<double>(k.norm()) * static_cast<double>(ky.norm()));
}

template <typename T>
RidgeSolution<T> ridge_solve(const Mat<T>& gram, const Vec<T>& phi_t_y, double ridge,
                             const Mat<T>& phi, const Vec<T>& y) {
  Mat<T> a = gram;
  return ridge_solve_in_place(a, phi_t_y, ridge, phi, y);
}

template <typename T>
RidgeSolution<T> ridge_solve_in_place(Mat<T>& gram, const Vec<T>& phi_t_y, double ridge,
                                      const Mat<T>& phi, const Vec<T>& y) {
  RidgeSolution<T> out;
  const bool underdetermined = ridge == 0 && phi.rows() < phi.cols();
  if (!underdetermined) {
    gram.diagonal().array() += T(ridge);
    // Factorised in place (no 9 MB copy at h = 1500); only the lower triangle is read.
    Eigen::LLT<Eigen::Ref<Mat<T>>, Eigen::Lower> llt(gram);
    if (llt.info() == Eigen::Success) {
      out.a_hat = llt.solve(phi_t_y);
      if (out.a_hat.allFinite()) return out;
    }
  }
  out.fallback = true;
  out.a_hat = Eigen::CompleteOrthogonalDecomposition<Mat<T>>(phi).solve(y);
  return out;
}

template <typename T>
double mse(const Vec<T>& prediction, const Vec<T>& target) {
  return static_cast<double>((prediction - target).squaredNorm()) /
         static_cast<double>(target.size());
}

#define SIH_INSTANTIATE(T)                                                                         \
  template Mat<T> feature_gram<T>(const Mat<T>&);                                                  \
  template double kta_from_gram<T>(const Mat<T>&, const Vec<T>&, const Vec<T>&);                   \
  template double kta_dense<T>(const Mat<T>&, const Vec<T>&);                                      \
  template RidgeSolution<T> ridge_solve<T>(const Mat<T>&, const Vec<T>&, double, const Mat<T>&,    \
                                           const Vec<T>&);                                         \
  template RidgeSolution<T> ridge_solve_in_place<T>(Mat<T>&, const Vec<T>&, double, const Mat<T>&, \
                                                    const Vec<T>&);                                \
  template double mse<T>(const Vec<T>&, const Vec<T>&);
SIH_INSTANTIATE(float)
SIH_INSTANTIATE(double)
#undef SIH_INSTANTIATE

}  // namespace sih
