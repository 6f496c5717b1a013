#include "sih/spectra/weight_gram.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sih {

// The min(h, d) eigenvalues of W^T W for W stored row-major (h x d) in `w`, ascending, in
// float64, without copying W: the buffer read column-major is W^T (d x h), so one dsyrk
// gives W^T W (d <= h) or W W^T, and LAPACK's two-stage dsyevd (values only) solves it
// (~2x faster than dsyevd's one-stage tridiagonal reduction at n = 768).
VecD eigenvalues_row_major(const double* w, Eigen::Index h, Eigen::Index d) {
  const Eigen::Index n = std::min(h, d);
  MatD g(n, n);
  if (d <= h)
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, static_cast<int>(d), static_cast<int>(h),
                1.0, w, static_cast<int>(d), 0.0, g.data(), static_cast<int>(n));
  else
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, static_cast<int>(h), static_cast<int>(d),
                1.0, w, static_cast<int>(d), 0.0, g.data(), static_cast<int>(n));
  VecD ev(n);
  const lapack_int info =
      LAPACKE_dsyevd_2stage(LAPACK_COL_MAJOR, 'N', 'L', static_cast<lapack_int>(n), g.data(),
                            static_cast<lapack_int>(n), ev.data());
  if (info != 0)
    throw std::runtime_error("LAPACK dsyevd_2stage failed (info = " + std::to_string(info) + ")");
  // a PSD Gram matrix: negative values are round-off around 0
  return ev.cwiseMax(0.0);
}

// Gram matrix (lower triangle) of the row-major h x d matrix w, by dsyrk over blocks of 256
// rows (d <= h: W^T W) or columns (W W^T) converted to float64; the blocks match OpenBLAS's
// own k-blocking, so the result is bit-identical to one dsyrk on a float64 copy. Non-finite
// entries throw InputError with their flat index.
template <typename T>
void row_major_gram(const T* w, Eigen::Index h, Eigen::Index d, MatD& g, const std::string& path) {
  constexpr Eigen::Index kBlock = 256;
  const Eigen::Index n = g.rows();
  auto reject = [&](Eigen::Index r, Eigen::Index c) {
    const auto flat = static_cast<std::size_t>(r * d + c);
    const double v = static_cast<double>(w[flat]);
    // worded as sih::require_finite (formats/npy.hpp) words it for the other .npy paths
    throw InputError(path + ": " + (std::isnan(v) ? "NaN" : "infinite") + " entry at flat index " +
                     std::to_string(flat) + ", row " + std::to_string(r + 1) + ", column " +
                     std::to_string(c + 1) + " (values must be finite)");
  };
  if (d <= h) {
    // W^T W = sum over rows r of w_r w_r^T; a block of rows is a d x kc column-major buffer
    MatD b(d, kBlock);
    for (Eigen::Index r0 = 0; r0 < h; r0 += kBlock) {
      const Eigen::Index kc = std::min(kBlock, h - r0);
      for (Eigen::Index j = 0; j < kc; ++j) {
        const T* src = w + (r0 + j) * d;
        double* dst = b.col(j).data();
        for (Eigen::Index c = 0; c < d; ++c) dst[c] = static_cast<double>(src[c]);
      }
      if (!b.leftCols(kc).allFinite())
        for (Eigen::Index j = 0; j < kc; ++j)
          for (Eigen::Index c = 0; c < d; ++c)
            if (!std::isfinite(b(c, j))) reject(r0 + j, c);
      cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, static_cast<int>(d),
                  static_cast<int>(kc), 1.0, b.data(), static_cast<int>(d), r0 == 0 ? 0.0 : 1.0,
                  g.data(), static_cast<int>(n));
    }
  } else {
    // W W^T = sum over columns k of w_k w_k^T; a block of columns is a kc x h buffer
    MatD b(kBlock, h);
    for (Eigen::Index k0 = 0; k0 < d; k0 += kBlock) {
      const Eigen::Index kc = std::min(kBlock, d - k0);
      for (Eigen::Index i = 0; i < h; ++i) {
        const T* src = w + i * d + k0;
        double* dst = b.col(i).data();
        for (Eigen::Index j = 0; j < kc; ++j) dst[j] = static_cast<double>(src[j]);
      }
      if (!b.topRows(kc).allFinite())
        for (Eigen::Index i = 0; i < h; ++i)
          for (Eigen::Index j = 0; j < kc; ++j)
            if (!std::isfinite(b(j, i))) reject(i, k0 + j);
      cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, static_cast<int>(h), static_cast<int>(kc),
                  1.0, b.data(), static_cast<int>(kBlock), k0 == 0 ? 0.0 : 1.0, g.data(),
                  static_cast<int>(n));
    }
  }
}

template void row_major_gram(const float*, Eigen::Index, Eigen::Index, MatD&, const std::string&);
template void row_major_gram(const double*, Eigen::Index, Eigen::Index, MatD&, const std::string&);

VecD gram_eigenvalues(MatD& g) {
  const auto n = static_cast<lapack_int>(g.rows());
  VecD eigs(n);
  const lapack_int info =
      LAPACKE_dsyevd_2stage(LAPACK_COL_MAJOR, 'N', 'L', n, g.data(), n, eigs.data());
  if (info != 0)
    throw std::runtime_error("LAPACK dsyevd_2stage failed (info = " + std::to_string(info) + ")");
  // a PSD Gram matrix: negative values are round-off around 0
  return eigs.cwiseMax(0.0);
}

}  // namespace sih
