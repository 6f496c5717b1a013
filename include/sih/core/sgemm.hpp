#pragma once
// Single-precision GEMM for AVX-512 machines, C = A * B: the float32 training step's two
// products and the checkpoints' large ones (linalg.hpp routes them here). Eigen 3.4's AVX-512
// kernel uses a 48 x 4 register block; this one a 32 x 12 block (24 of the 32 vector
// registers). The depth is cut into fixed blocks and threads split only rows, so results do
// not depend on the thread count.

namespace sih {

// A read-only matrix view: element (i, j) is data[i * row_stride + j * col_stride]
// (column-major: row_stride 1; a transposed column-major matrix: col_stride 1).
struct StridedMatrix {
  const float* data;
  long row_stride;
  long col_stride;
};

// True when built with AVX-512 (-march=native on these machines) and SIH_GEMM is not
// "eigen"; otherwise sgemm must not be called and Eigen's product is used.
bool sgemm_available();

// C (m x n, column-major, leading dimension ldc) = A (m x k) * B (k x n), overwriting C.
// Uses up to omp_get_max_threads() threads: as many as its flops are worth (threads_for_flops,
// parallel.hpp), one inside another parallel region.
void sgemm(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
           long ldc);

// The lower triangle (diagonal included) of C (n x n) = A (n x k) * B (k x n), e.g. a Gram
// matrix A^T A: only the register tiles (32 x 12) that touch the lower triangle are computed,
// about half the flops. Tiles crossing the diagonal also write some elements above it; the
// others above it are left untouched. Same bits as the corresponding elements of sgemm.
void sgemm_lower(long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
                 long ldc);

}  // namespace sih
