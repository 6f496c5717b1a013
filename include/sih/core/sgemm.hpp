#pragma once
// Single-precision GEMM for AVX-512 machines, C = A * B: the float32 training step's two
// products and the checkpoints' large ones (linalg.hpp routes them here). A full product runs
// on oneDNN's sgemm (Debian libdnnl2) in two fixed parts on up to two threads (halves of the
// depth when A is transposed, as in the gradient; halves of C otherwise); a lower
// triangle (a Gram matrix) on sih's own kernel, which computes only the tiles that touch it:
// the winners per shape measured in docs/PERFORMANCE.md, "GEMM candidates". sih's kernel uses
// a 32 x 12 register block (24 of the 32 vector registers); its depth is cut into fixed blocks
// and threads split only rows. Either way results do not depend on the thread count.

namespace sih {

// A read-only matrix view: element (i, j) is data[i * row_stride + j * col_stride]
// (column-major: row_stride 1; a transposed column-major matrix: col_stride 1).
struct StridedMatrix {
  const float* data;
  long row_stride;
  long col_stride;
};

// True when built with AVX-512 (-march=native on these machines) and SIH_GEMM is not
// "eigen"; otherwise sgemm must not be called and Eigen's product is used. SIH_GEMM=sih puts
// every product on sih's kernel (for comparisons).
bool sgemm_available();

// C (m x n, column-major, leading dimension ldc) = A (m x k) * B (k x n), overwriting C (never
// reading it). Uses as many threads as its flops are worth (threads_for_flops, parallel.hpp),
// at most 2 on oneDNN and omp_get_max_threads() on sih's kernel, one inside another parallel
// region.
void sgemm(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
           long ldc);

// The same product on sih's own kernel whatever SIH_GEMM says (bench/gemm_candidates.cpp
// compares it with the library it loses to on full products).
void sgemm_sih_kernel(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b,
                      float* c, long ldc);

// The lower triangle (diagonal included) of C (n x n) = A (n x k) * B (k x n), e.g. a Gram
// matrix A^T A: only the register tiles (32 x 12) that touch the lower triangle are computed,
// about half the flops. Tiles crossing the diagonal also write some elements above it; the
// others above it are left untouched. Same bits as the corresponding elements of sgemm.
void sgemm_lower(long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
                 long ldc);

}  // namespace sih
