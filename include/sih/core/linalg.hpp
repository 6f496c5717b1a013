#pragma once
// Dense products whose results have the same bits for every thread count, and Gram matrices
// built from them with Eigen's parallel GEMM.
#include <algorithm>
#include <type_traits>

#include "sih/base/types.hpp"
#include "sih/core/parallel.hpp"
#include "sih/core/sgemm.hpp"

namespace sih {

// dst = lhs * rhs with the same bits for every thread count. Eigen's GEMM cuts the depth
// (lhs.cols()) into blocks of kc and sums block by block; kc comes from one heuristic when it
// runs on 1 thread and from another (capped at 320) on 2 or more (GeneralBlockPanelKernel.h,
// evaluateProductBlockingSizesHeuristic), so with n or d above ~320 `threads: 1` and
// `threads: 2` rounded differently. Here the depth is cut into chunks that neither heuristic
// cuts further (asked from Eigen itself, for this machine's caches), summed in a fixed order;
// Eigen splits rows and columns across threads on register-block boundaries, which does not
// change any element's sum. tests/train/test_determinism.cpp checks it.
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

// dst = 0, columns in parallel for large matrices: Eigen's `dst = A * B` zeroes dst with one
// memset on one thread before accumulating (12 MB, ~1 ms per product at the headline size).
template <typename Dst>
void set_zero_parallel(Dst& dst) {
  const Eigen::Index cols = dst.cols();
  // Memory-bound: ~1 ms for 12 MB, about the elementwise loops' cost per element.
  const int threads = threads_for_elements(static_cast<double>(dst.size()));
  if (threads == 1) {
    dst.setZero();
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Eigen::Index j = 0; j < cols; ++j) dst.col(j).setZero();
}

// dst = src, columns in parallel for large matrices (memory-bound, as set_zero_parallel).
template <typename Dst, typename Src>
void copy_parallel(Dst& dst, const Src& src) {
  dst.resize(src.rows(), src.cols());
  const Eigen::Index cols = src.cols();
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(src.size())))
  for (Eigen::Index j = 0; j < cols; ++j) dst.col(j) = src.col(j);
}

template <typename E>
inline constexpr bool kDirectAccess =
    bool(Eigen::internal::traits<std::decay_t<E>>::Flags& Eigen::DirectAccessBit);

// The strided view of a float expression with direct access (a matrix, block, transpose).
template <typename E>
StridedMatrix strided_view(const E& e) {
  if constexpr (bool(std::decay_t<E>::IsRowMajor)) {
    return {e.data(), static_cast<long>(e.outerStride()), static_cast<long>(e.innerStride())};
  } else {
    return {e.data(), static_cast<long>(e.innerStride()), static_cast<long>(e.outerStride())};
  }
}

template <typename Dst, typename Lhs, typename Rhs>
void product_fixed_depth(Dst& dst, const Lhs& lhs, const Rhs& rhs) {
  using T = typename Dst::Scalar;
  // Large float32 products go to sgemm (oneDNN or sih's AVX-512 kernel, sgemm.hpp), whose bits
  // do not depend on the thread count either.
  if constexpr (std::is_same_v<T, float> && kDirectAccess<Lhs> && kDirectAccess<Rhs> &&
                kDirectAccess<Dst> && !bool(Dst::IsRowMajor)) {
    if (dst.size() >= (Eigen::Index(1) << 16) && dst.innerStride() == 1 && lhs.rows() > 1 &&
        lhs.cols() > 1 && rhs.cols() > 1 && sgemm_available()) {
      sgemm(static_cast<long>(dst.rows()), static_cast<long>(dst.cols()),
            static_cast<long>(lhs.cols()), strided_view(lhs), strided_view(rhs), dst.data(),
            static_cast<long>(dst.outerStride()));
      return;
    }
  }
  const Eigen::Index chunk = fixed_depth_chunk<T>();
  const Eigen::Index depth = lhs.cols();
  // Eigen parallelises a product of more than ~50000 multiply-adds, and its threads wait for
  // each other's packed blocks: a small product stays on this thread (parallel.hpp).
  const ScopedMaxThreads threads(
      threads_for_flops(2.0 * static_cast<double>(dst.rows()) * static_cast<double>(dst.cols()) *
                        static_cast<double>(depth)));
  Eigen::Index start = 0;
  if (dst.size() >= (Eigen::Index(1) << 16)) {
    // Zero in parallel, then only accumulate: the operations Eigen's own `dst = A * B`
    // performs after its memset, so the same bits.
    set_zero_parallel(dst);
  } else {
    const Eigen::Index len = std::min(chunk, depth);
    dst.noalias() = lhs.leftCols(len) * rhs.topRows(len);
    start = len;
  }
  for (; start < depth; start += chunk) {
    const Eigen::Index len = std::min(chunk, depth - start);
    dst.noalias() += lhs.middleCols(start, len) * rhs.middleRows(start, len);
  }
}

// Lower triangle (diagonal included) of A^T A, written into `gram` (resized to
// A.cols() x A.cols(); the strictly upper part is left unspecified). In float32 on AVX-512,
// sih's kernel computes it directly (sgemm_lower). Otherwise: Eigen's rank update
// (selfadjointView().rankUpdate) runs on one thread only and at ~40% of the GEMM rate; here
// the columns are cut into 4 blocks and each block column of the lower triangle is one
// parallel GEMM, A[:, j:]^T A[:, j:j+b]: 1.25x the flops of a true syrk at the full GEMM rate
// of both cores (docs/PERFORMANCE.md: Eigen's rank update 42 ms, OpenBLAS ssyrk 27 ms, this ~20 ms
// at 2000 x 1500). Blocks depend only on the sizes and every product has a fixed depth, so the bits
// do not depend on the thread count.
template <typename T, typename Derived>
void gram_lower(Mat<T>& gram, const Eigen::MatrixBase<Derived>& A) {
  const Eigen::Index k = A.cols();
  gram.resize(k, k);
  if (k == 0) return;
  if (A.rows() == 0) {
    gram.setZero();
    return;
  }
  if constexpr (std::is_same_v<T, float> && kDirectAccess<Derived>) {
    // sih's kernel computes only the tiles that touch the lower triangle, in one call: about
    // half the flops of a GEMM (the block columns below do 1.25x of that).
    if (k * k >= (Eigen::Index(1) << 16) && k > 1 && A.rows() > 1 && sgemm_available()) {
      sgemm_lower(static_cast<long>(k), static_cast<long>(A.rows()),
                  strided_view(A.derived().transpose()), strided_view(A.derived()), gram.data(),
                  static_cast<long>(k));
      return;
    }
  }
  constexpr Eigen::Index kBlocks = 4;
  const Eigen::Index width = std::max<Eigen::Index>(64, (k + kBlocks - 1) / kBlocks);
  for (Eigen::Index j = 0; j < k; j += width) {
    const Eigen::Index bw = std::min(width, k - j);
    auto dst = gram.block(j, j, k - j, bw);
    product_fixed_depth(dst, A.middleCols(j, k - j).transpose(), A.middleCols(j, bw));
  }
}

}  // namespace sih
