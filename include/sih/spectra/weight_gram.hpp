#pragma once
// The spectrum of a weight matrix held row-major in a buffer (a mapped file, a decoded tensor):
// the Gram matrix by BLAS dsyrk and its eigenvalues by LAPACK, in float64, without copying W.
#include <string>

#include "sih/base/types.hpp"

namespace sih {

// The min(h, d) eigenvalues of W^T W for W stored row-major (h x d) in `w`, ascending.
VecD eigenvalues_row_major(const double* w, Eigen::Index h, Eigen::Index d);

// Lower triangle of W^T W (d <= h) or W W^T into g (min(h, d) square), W row-major h x d of
// float or double, accumulated over blocks converted to float64. A non-finite entry throws
// InputError naming `source` and its flat index.
template <typename T>
void row_major_gram(const T* w, Eigen::Index h, Eigen::Index d, MatD& g, const std::string& source);

// The eigenvalues (ascending, clipped at 0) of a Gram matrix's lower triangle; g is destroyed.
VecD gram_eigenvalues(MatD& g);

}  // namespace sih
