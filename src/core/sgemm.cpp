#include "sih/core/sgemm.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "sih/core/parallel.hpp"

#ifdef __AVX512F__
#include <dnnl.h>
#include <immintrin.h>
#endif

namespace sih {

#ifdef __AVX512F__

namespace {

// Register block: 32 rows (two 16-float vectors) x 12 columns = 24 accumulators of the 32
// zmm registers; per step of the depth loop 2 loads, 12 broadcasts and 24 FMAs, so the loop
// is FMA-bound (95% of the core's FMA peak measured in L1). Eigen 3.4's AVX-512 kernel is
// 48 x 4 (12 accumulators).
constexpr long kMR = 32;
constexpr long kNR = 12;
// Depth block: fixed, so every element of C is summed in the same order for any thread
// count. A B micro-panel (kKC x kNR, 24 KB) stays in L1, a packed A block in L2.
constexpr long kKC = 512;
constexpr long kMCMax = 512;
constexpr long kPrefetchA = 8 * kMR;

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

// A grow-only per-thread buffer: packing buffers are reused across calls (a fresh 3 MB
// allocation per product would page-fault on every call).
// Slots: 0 and 1, sih's kernel's packed panels; 2, the second half of a depth-split product.
float* thread_buffer(int slot, std::size_t count) {
  thread_local Buffer buffers[3];
  thread_local std::size_t sizes[3] = {0, 0, 0};
  if (sizes[slot] < count) {
    const std::size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
    auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    buffers[slot].reset(p);
    sizes[slot] = count;
  }
  return buffers[slot].get();
}

// C[0:mr, 0:nr] (= or +=) Ap * Bp: Ap is kc x kMR ([p][i]), Bp kc x kNR ([p][j]). Rows >= mr
// and columns >= nr are padding (zeros in the panels) and are not stored. Vecs = 1 computes
// only the panel's first 16 rows (mr <= 16): a thread's range may end in a half panel, which
// then costs half a panel.
template <int Vecs>
void micro_kernel(long kc, const float* __restrict ap, const float* __restrict bp,
                  float* __restrict c, long ldc, long mr, long nr, bool accumulate) {
  __m512 acc0[kNR], acc1[kNR];
  for (long j = 0; j < kNR; ++j) {
    acc0[j] = _mm512_setzero_ps();
    acc1[j] = _mm512_setzero_ps();
  }
  for (long p = 0; p < kc; ++p) {
    // The A micro-panel streams from L2: fetch it 8 steps (1 KB) ahead into L1 (3-6% faster
    // products, measured; past the panel's end this touches the next panel, which is next).
    _mm_prefetch(reinterpret_cast<const char*>(ap + kPrefetchA), _MM_HINT_T0);
    if (Vecs == 2) _mm_prefetch(reinterpret_cast<const char*>(ap + kPrefetchA + 16), _MM_HINT_T0);
    const __m512 a0 = _mm512_load_ps(ap);
    const __m512 a1 = Vecs == 2 ? _mm512_load_ps(ap + 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
    for (long j = 0; j < kNR; ++j) {
      const __m512 b = _mm512_set1_ps(bp[j]);
      acc0[j] = _mm512_fmadd_ps(a0, b, acc0[j]);
      if (Vecs == 2) acc1[j] = _mm512_fmadd_ps(a1, b, acc1[j]);
    }
    ap += kMR;
    bp += kNR;
  }
  const __mmask16 m0 = mr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << mr) - 1);
  const __mmask16 m1 =
      mr >= 32 ? __mmask16(0xFFFF) : (mr <= 16 ? __mmask16(0) : __mmask16((1u << (mr - 16)) - 1));
  for (long j = 0; j < nr; ++j) {
    float* cj = c + j * ldc;
    if (accumulate) acc0[j] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cj), acc0[j]);
    _mm512_mask_storeu_ps(cj, m0, acc0[j]);
    if (Vecs == 2) {
      if (accumulate) acc1[j] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cj + 16), acc1[j]);
      _mm512_mask_storeu_ps(cj + 16, m1, acc1[j]);
    }
  }
}

// Lanes [0, count) set, count clamped to [0, 16].
inline __mmask16 lane_mask(long count) {
  return count >= 16 ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// Transposes the 16 x 16 block r[0..15] in registers (row i becomes column i).
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

// Reads a 16 x 16 tile whose rows are contiguous: row i (< rows) is src + i * stride, lanes
// [0, len) of it; missing rows and lanes are zero. Returns it transposed: r[p] holds lane p of
// every row.
inline void load_transposed(const float* src, long stride, long rows, long len, __m512 r[16]) {
  const __mmask16 m = lane_mask(len);
  for (long i = 0; i < 16; ++i)
    r[i] = i < rows ? _mm512_maskz_loadu_ps(m, src + i * stride) : _mm512_setzero_ps();
  transpose16(r);
}

// Packs A[i0:i0+mc, p0:p0+kc] into row panels of kMR ([panel][p][i], zero-padded rows).
// Packing is ~10% of a product's time when written element by element, so every layout
// moves whole vectors: a column-major A by (masked) loads, a transposed A (depth contiguous,
// e.g. G^T in the gradient) by 16 x 16 in-register transposes.
void pack_a(const StridedMatrix& a, long i0, long mc, long p0, long kc, float* out) {
  for (long ir = 0; ir < mc; ir += kMR) {
    const long rows = std::min(kMR, mc - ir);
    float* panel = out + ir * kc;
    if (a.row_stride == 1) {
      const __mmask16 m0 = lane_mask(rows), m1 = lane_mask(rows - 16);
      const float* src = a.data + (i0 + ir) + p0 * a.col_stride;
      for (long p = 0; p < kc; ++p, src += a.col_stride) {
        _mm512_store_ps(panel + p * kMR, _mm512_maskz_loadu_ps(m0, src));
        _mm512_store_ps(panel + p * kMR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
      }
    } else if (a.col_stride == 1) {
      for (long half = 0; half < 2; ++half) {
        const float* src = a.data + (i0 + ir + 16 * half) * a.row_stride + p0;
        for (long pb = 0; pb < kc; pb += 16) {
          const long len = std::min<long>(16, kc - pb);
          __m512 r[16];
          load_transposed(src + pb, a.row_stride, rows - 16 * half, len, r);
          for (long p = 0; p < len; ++p) _mm512_store_ps(panel + (pb + p) * kMR + 16 * half, r[p]);
        }
      }
    } else {
      for (long p = 0; p < kc; ++p)
        for (long i = 0; i < kMR; ++i)
          panel[p * kMR + i] =
              i < rows ? a.data[(i0 + ir + i) * a.row_stride + (p0 + p) * a.col_stride] : 0.0f;
    }
  }
}

// Packs B[p0:p0+kc, j0:j0+cols] into one column panel of kNR ([p][j], zero-padded columns):
// a row-major B (W^T in the forward product) by masked loads and stores, a column-major B
// (X in the gradient) by 16 x 16 transposes.
void pack_b_panel(const StridedMatrix& b, long p0, long kc, long j0, long cols, float* panel) {
  const __mmask16 store_mask = lane_mask(kNR);
  if (b.col_stride == 1) {
    const __mmask16 m = lane_mask(cols);
    const float* src = b.data + p0 * b.row_stride + j0;
    for (long p = 0; p < kc; ++p, src += b.row_stride)
      _mm512_mask_storeu_ps(panel + p * kNR, store_mask, _mm512_maskz_loadu_ps(m, src));
  } else if (b.row_stride == 1) {
    const float* src = b.data + p0 + j0 * b.col_stride;
    for (long pb = 0; pb < kc; pb += 16) {
      const long len = std::min<long>(16, kc - pb);
      __m512 r[16];
      load_transposed(src + pb, b.col_stride, cols, len, r);
      for (long p = 0; p < len; ++p)
        _mm512_mask_storeu_ps(panel + (pb + p) * kNR, store_mask, r[p]);
    }
  } else {
    for (long p = 0; p < kc; ++p)
      for (long j = 0; j < kNR; ++j)
        panel[p * kNR + j] =
            j < cols ? b.data[(p0 + p) * b.row_stride + (j0 + j) * b.col_stride] : 0.0f;
  }
}

}  // namespace

// SIH_GEMM picks the kernels: unset, oneDNN for full products and sih's kernel for lower
// triangles (the winners measured in docs/PERFORMANCE.md, "GEMM candidates"); "sih", sih's
// kernel for both; "eigen", Eigen's product (for comparisons, and as an escape hatch).
enum class GemmKernels { onednn_and_sih, sih, eigen };

GemmKernels gemm_kernels() {
  static const GemmKernels kernels = [] {
    const char* v = std::getenv("SIH_GEMM");
    const std::string choice = v ? v : "";
    if (choice == "eigen") return GemmKernels::eigen;
    if (choice == "sih") return GemmKernels::sih;
    // oneDNN prints one line per call to stdout when its verbose mode is set from the
    // environment; sih's stdout stays parseable.
    dnnl_set_verbose(0);
    return GemmKernels::onednn_and_sih;
  }();
  return kernels;
}

bool sgemm_available() { return gemm_kernels() != GemmKernels::eigen; }

namespace {

// First row of each thread's range, on half-panel (16-row) boundaries (bounds[threads] = m),
// which micro_kernel<1> makes cheap: before it, at the headline sizes the thread with one more
// 32-row panel than the other took 3-5% longer. A full product gives every thread the same
// number of rows; a lower triangle (row i has i + 1 columns) the same area, so its boundaries
// go as m sqrt(t / threads).
std::vector<long> thread_row_bounds(long m, int threads, bool lower) {
  constexpr long kHalf = kMR / 2;
  const long halves = (m + kHalf - 1) / kHalf;
  std::vector<long> bounds(static_cast<std::size_t>(threads) + 1);
  for (int t = 0; t <= threads; ++t) {
    double share = static_cast<double>(t) / threads;
    if (lower) share = std::sqrt(share);
    bounds[static_cast<std::size_t>(t)] =
        std::min(m, std::lround(share * static_cast<double>(halves)) * kHalf);
  }
  return bounds;
}

// C = A B (lower: only the register tiles that touch the lower triangle of a square C).
// Each thread owns a fixed range of C's rows and packs its own blocks of A; the B panels of a
// depth block are packed by all threads together. Every element of C is summed over the depth
// in the same order whatever the ranges, so the bits do not depend on the thread count.
void gemm(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
          long ldc, bool lower) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (long j = 0; j < n; ++j) {
      const long first = lower ? std::min(j, m) : 0;
      std::fill(c + j * ldc + first, c + j * ldc + m, 0.0f);
    }
    return;
  }
  // One thread nested inside another parallel region (a checkpoint stream) and for small
  // products, whose per-depth-block regions would be mostly barrier (parallel.hpp).
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) *
                       static_cast<double>(k) * (lower ? 0.5 : 1.0);
  const int threads = threads_for_flops(flops);
  const std::vector<long> bounds = thread_row_bounds(m, threads, lower);
  const long n_panels = (n + kNR - 1) / kNR;
  float* bp = thread_buffer(0, static_cast<std::size_t>(n_panels * kNR * kKC));
  for (long p0 = 0; p0 < k; p0 += kKC) {
    const long kc = std::min(kKC, k - p0);
    const bool accumulate = p0 > 0;
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
      for (long jp = 0; jp < n_panels; ++jp)
        pack_b_panel(b, p0, kc, jp * kNR, std::min(kNR, n - jp * kNR), bp + jp * kNR * kc);
      float* ap = thread_buffer(1, static_cast<std::size_t>(kMCMax * kKC));
      // The runtime may give fewer threads than asked: each one takes every team-th range.
      for (int t = omp_get_thread_num(); t < threads; t += omp_get_num_threads()) {
        const long r0 = bounds[static_cast<std::size_t>(t)];
        const long r1 = bounds[static_cast<std::size_t>(t) + 1];
        // Blocks of at most kMCMax rows (a packed block stays in L2), of equal size.
        const long blocks = (r1 - r0 + kMCMax - 1) / kMCMax;
        const long mc = blocks > 0 ? ((r1 - r0 + blocks - 1) / blocks + kMR - 1) / kMR * kMR : 0;
        for (long i0 = r0; i0 < r1; i0 += mc) {
          const long rows = std::min(mc, r1 - i0);
          pack_a(a, i0, rows, p0, kc, ap);
          // A lower triangle needs no column right of this block's last row.
          const long cols_needed = lower ? std::min(n, i0 + rows) : n;
          for (long jp = 0; jp * kNR < cols_needed; ++jp) {
            const long j0 = jp * kNR;
            const long cols = std::min(kNR, n - j0);
            for (long ir = 0; ir < rows; ir += kMR) {
              const long mr = std::min(kMR, rows - ir);
              if (lower && j0 > i0 + ir + mr - 1) continue;  // tile strictly above the diagonal
              const auto kernel = mr > 16 ? micro_kernel<2> : micro_kernel<1>;
              kernel(kc, ap + ir * kc, bp + jp * kNR * kc, c + (i0 + ir) + j0 * ldc, ldc, mr, cols,
                     accumulate);
            }
          }
        }
      }
    }
  }
}

// A view as dnnl_sgemm takes the transpose of an operand (its API is row-major): unit stride
// along the rows is a column-major matrix, whose transpose is row-major ('N', leading
// dimension col_stride); unit stride along the columns, 'T' with row_stride. Nothing when
// neither stride is 1.
struct OnednnOperand {
  char trans;
  long ld;
};
std::optional<OnednnOperand> onednn_operand(const StridedMatrix& v) {
  if (v.row_stride == 1) return OnednnOperand{'N', v.col_stride};
  if (v.col_stride == 1) return OnednnOperand{'T', v.row_stride};
  return std::nullopt;
}

// C = A B through oneDNN's dnnl_sgemm: the column-major C is the row-major C^T = B^T A^T.
// One call on one thread; false when a view has no unit stride or oneDNN refuses the
// arguments.
bool onednn_call(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
                 long ldc) {
  const std::optional<OnednnOperand> ob = onednn_operand(b), oa = onednn_operand(a);
  if (!ob || !oa) return false;
  const ScopedMaxThreads one_thread(1);
  return dnnl_sgemm(ob->trans, oa->trans, n, m, k, 1.0f, b.data, ob->ld, a.data, oa->ld, 0.0f, c,
                    ldc) == dnnl_success;
}

// The split point of a side into two fixed halves, on a multiple of 16 floats (one 64-byte
// vector); the whole side when it is too short to split.
long split_point(long side) { return side >= 32 ? (side / 2 + 15) / 16 * 16 : side; }

// C = A B as two fixed parts, each one single-threaded oneDNN call, the two on two threads when
// the product is worth it. oneDNN's own threading picks its kernels and may split the depth by
// the thread count (1000 x 70, depth 1100, in the gradient's layout rounds differently on 1 and
// 2 threads); parts that depend only on the shape keep sih's bits independent of the thread
// count. One product so uses at most 2 threads: more cores serve more runs.
//  - A transposed (the gradient G^T X): the two halves of the depth, the second one into a
//    scratch C added to the first (C = A1 B1 + A2 B2, in that order). Halves of C would each
//    have a side below ~510 at sih's sizes, where oneDNN takes its slower no-copy kernels:
//    the depth split is 5% faster at the headline size and 20-60% at d = 250 and 100, and as
//    fast as oneDNN's own threading (docs/PERFORMANCE.md, "The choice").
//  - Otherwise: two halves of C's longer side, which cost nothing against oneDNN's own
//    threading.
bool onednn_sgemm(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
                  long ldc) {
  if (!onednn_operand(a) || !onednn_operand(b)) return false;
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int threads = std::min(2, threads_for_flops(flops));
  bool ok[2] = {true, true};
  if (a.row_stride != 1 && k >= 32) {
    const long half = split_point(k);
    float* second = thread_buffer(2, static_cast<std::size_t>(m) * static_cast<std::size_t>(n));
    const auto part = [&](int which) {
      const long first = which == 0 ? 0 : half;
      const StridedMatrix ak{a.data + first * a.col_stride, a.row_stride, a.col_stride};
      const StridedMatrix bk{b.data + first * b.row_stride, b.row_stride, b.col_stride};
      return which == 0 ? onednn_call(m, n, half, ak, bk, c, ldc)
                        : onednn_call(m, n, k - half, ak, bk, second, m);
    };
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
      for (int which = 0; which < 2; ++which) ok[which] = part(which);
#pragma omp for schedule(static)
      for (long j = 0; j < n; ++j) {
        float* cj = c + j * ldc;
        const float* sj = second + j * m;
        for (long i = 0; i < m; ++i) cj[i] += sj[i];
      }
    }
    return ok[0] && ok[1];
  }
  const bool split_rows = a.row_stride == 1 && m >= n;
  const long side = split_rows ? m : n;
  const long half = split_point(side);
  const auto part = [&](int which) {
    const long first = which == 0 ? 0 : half;
    const long len = which == 0 ? half : side - half;
    if (len == 0) return true;
    if (split_rows) {
      const StridedMatrix rows{a.data + first * a.row_stride, a.row_stride, a.col_stride};
      return onednn_call(len, n, k, rows, b, c + first, ldc);
    }
    const StridedMatrix cols{b.data + first * b.col_stride, b.row_stride, b.col_stride};
    return onednn_call(m, len, k, a, cols, c + first * ldc, ldc);
  };
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int which = 0; which < 2; ++which) ok[which] = part(which);
  return ok[0] && ok[1];
}

}  // namespace

void sgemm(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
           long ldc) {
  if (m > 0 && n > 0 && k > 0 && gemm_kernels() == GemmKernels::onednn_and_sih &&
      onednn_sgemm(m, n, k, a, b, c, ldc))
    return;
  gemm(m, n, k, a, b, c, ldc, false);
}

void sgemm_sih_kernel(long m, long n, long k, const StridedMatrix& a, const StridedMatrix& b,
                      float* c, long ldc) {
  gemm(m, n, k, a, b, c, ldc, false);
}

void sgemm_lower(long n, long k, const StridedMatrix& a, const StridedMatrix& b, float* c,
                 long ldc) {
  gemm(n, n, k, a, b, c, ldc, true);
}

#else  // no AVX-512: callers use Eigen's product

bool sgemm_available() { return false; }

void sgemm(long, long, long, const StridedMatrix&, const StridedMatrix&, float*, long) {
  std::abort();  // unreachable: product_fixed_depth checks sgemm_available() first
}

void sgemm_lower(long, long, const StridedMatrix&, const StridedMatrix&, float*, long) {
  std::abort();  // unreachable: gram_lower checks sgemm_available() first
}

void sgemm_sih_kernel(long, long, long, const StridedMatrix&, const StridedMatrix&, float*, long) {
  std::abort();  // unreachable: callers check sgemm_available() first
}

#endif

}  // namespace sih
