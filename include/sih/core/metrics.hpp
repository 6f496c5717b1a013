#pragma once
// Feature-side checkpoint metrics (docs/MODEL.md §4-5): the ridge refit of the read-out,
// kernel-target alignment and the losses. KTA and the ridge share one h x h Gram matrix Phi^T Phi;
// the n x n kernel is never formed.
#include <string>

#include "sih/base/types.hpp"

namespace sih {

// Phi^T Phi (h x h), lower triangle only (gram_lower, linalg.hpp, which also fills a reused
// buffer; the strictly upper part is unspecified, and every function below reads only the
// lower triangle).
template <typename T>
Mat<T> feature_gram(const Mat<T>& phi);

// KTA = ||Phi^T y||^2 / (||Phi^T Phi||_F ||y||^2) = <K, y y^T>_F / (||K||_F ||y y^T||_F).
template <typename T>
double kta_from_gram(const Mat<T>& gram, const Vec<T>& phi_t_y, const Vec<T>& y);
// The n x n definition, for tests only (O(n^2 h)).
template <typename T>
double kta_dense(const Mat<T>& phi, const Vec<T>& y);

template <typename T>
struct RidgeSolution {
  Vec<T> a_hat;
  bool fallback = false;  // the Cholesky factorisation failed: minimum-norm least squares used
};
// a_hat = (Phi^T Phi + ridge I)^(-1) Phi^T y by Cholesky (solve, never invert). When the system
// is singular (ridge = 0 with fewer samples than features) the minimum-norm least-squares
// solution of Phi a = y (its ridge -> 0 limit) is returned instead, with fallback = true.
template <typename T>
RidgeSolution<T> ridge_solve(const Mat<T>& gram, const Vec<T>& phi_t_y, double ridge,
                             const Mat<T>& phi, const Vec<T>& y);
// The same, factorising `gram` in place (its contents are then unspecified).
template <typename T>
RidgeSolution<T> ridge_solve_in_place(Mat<T>& gram, const Vec<T>& phi_t_y, double ridge,
                                      const Mat<T>& phi, const Vec<T>& y);

template <typename T>
double mse(const Vec<T>& prediction, const Vec<T>& target);

}  // namespace sih
