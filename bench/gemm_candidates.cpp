// Issue 23's measured choice of GEMM: the FMA peak of this CPU and, for sih's training and
// checkpoint products at several sizes, each candidate's rate (GFLOP/s and % of the peak),
// its error against a float64 product of the same inputs, and whether 1 and 2 threads give the
// same bits (sih promises results independent of the thread count).
//
// Candidates: sih's route (sgemm: oneDNN in two fixed parts, halves of the depth for the
// gradient's layout and of C otherwise), sih's own AVX-512 kernel and the Eigen fallback
// (product_fixed_depth), and, when their shared libraries are installed, OpenBLAS (cblas), BLIS
// (native bli_?gemm) and oneDNN (dnnl_sgemm with its own threading). The libraries are opened with
// dlopen so that each is measured alone: BLIS's cblas wrapper would call whichever `sgemm_` the
// process saw first, so BLIS is called through its native API. OPENBLAS_CORETYPE selects OpenBLAS's
// kernels (bench/gemm_candidates.sh runs both).
//
// Usage: sih_gemm_candidates [--rounds R] [--sizes 250,500,1000,2000] [--double]
// stdout: CSV precision,size,product,candidate,threads,ms,gflops,pct_peak,max_err_eps,same_bits
#include <dlfcn.h>
#include <immintrin.h>
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "fma_peak.hpp"
#include "sih/base/library_environment.hpp"
#include "sih/core/linalg.hpp"
#include "sih/core/sgemm.hpp"

#if defined(__AVX512F__)
namespace {

using Clock = std::chrono::steady_clock;
using sih_bench::fma_peak;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One product of the training step or checkpoint, column-major: C (m x n) = op(A) op(B).
template <typename T>
struct Product {
  std::string name;
  long m, n, k;
  bool trans_a, trans_b;
  Eigen::Matrix<T, -1, -1> a, b;  // stored as op^-1: A is k x m when trans_a
};

template <typename T>
using GemmFn = std::function<void(const Product<T>&, T*)>;

void* open_library(const char* path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }

template <typename T>
Eigen::Matrix<T, -1, -1> random_matrix(long rows, long cols, unsigned seed) {
  std::srand(seed);
  return Eigen::Matrix<T, -1, -1>::Random(rows, cols);
}

template <typename T>
std::vector<Product<T>> products(long d) {
  const long n = 2 * d, h = 3 * d / 2;
  std::vector<Product<T>> ps;
  // forward X W^T: X n x d, W h x d
  ps.push_back(
      {"X_Wt", n, h, d, false, true, random_matrix<T>(n, d, 1), random_matrix<T>(h, d, 2)});
  // backward G^T X: G n x h, X n x d
  ps.push_back(
      {"Gt_X", h, d, n, true, false, random_matrix<T>(n, h, 3), random_matrix<T>(n, d, 4)});
  // checkpoint Z^T Z (as a full product): Z n x h
  auto z = random_matrix<T>(n, h, 5);
  ps.push_back({"Zt_Z", h, h, n, true, false, z, z});
  return ps;
}

template <typename T>
sih::StridedMatrix view_of(const Eigen::Matrix<T, -1, -1>& s, bool trans) {
  // element (i, j) of op(s): s(i, j) = data[i + j ld]; s^T(i, j) = data[j + i ld]
  return trans ? sih::StridedMatrix{s.data(), s.rows(), 1}
               : sih::StridedMatrix{s.data(), 1, s.rows()};
}

}  // namespace

int main(int argc, char** argv) {
  // The environment sih runs with (GOMP spin count, malloc tunables); OpenBLAS is left to
  // scripts/bench.sh, which also measures it unpinned.
  sih::LibraryEnvironment environment;
  environment.openblas = false;
  sih::pin_library_environment(argv, environment);
  int rounds = 5;
  std::vector<long> sizes = {250, 500, 1000, 2000};
  bool with_double = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      for (const char* p = argv[++i]; *p;) {
        char* end = nullptr;
        sizes.push_back(std::strtol(p, &end, 10));
        p = *end ? end + 1 : end;
      }
    } else if (a == "--double") {
      with_double = true;
    } else {
      std::fprintf(stderr, "usage: %s [--rounds R] [--sizes 250,500] [--double]\n", argv[0]);
      return 2;
    }
  }

  // Library entry points (absent libraries are skipped, said on stderr).
  using cblas_sgemm_t = void (*)(int, int, int, int, int, int, float, const float*, int,
                                 const float*, int, float, float*, int);
  using cblas_dgemm_t = void (*)(int, int, int, int, int, int, double, const double*, int,
                                 const double*, int, double, double*, int);
  using bli_sgemm_t =
      void (*)(unsigned, unsigned, int64_t, int64_t, int64_t, const float*, const float*, int64_t,
               int64_t, const float*, int64_t, int64_t, const float*, float*, int64_t, int64_t);
  using bli_dgemm_t =
      void (*)(unsigned, unsigned, int64_t, int64_t, int64_t, const double*, const double*, int64_t,
               int64_t, const double*, int64_t, int64_t, const double*, double*, int64_t, int64_t);
  using dnnl_sgemm_t = int (*)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t,
                               const float*, int64_t, float, float*, int64_t);
  constexpr unsigned kBliTrans = 0x08;  // blis.h: BLIS_TRANSPOSE = BLIS_TRANS_BIT = 1 << 3
  constexpr int kColMajor = 102, kNoTrans = 111, kTrans = 112;  // cblas.h

  // OpenBLAS's idle workers spin ~0.1 s (2^28 cycles) before sleeping, into the next
  // candidate's time: oneDNN's G^T X after it measured 44% of the peak instead of 89%. 2^4
  // cycles instead; read when the library loads, here.
  setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
  void* openblas = open_library("libopenblas.so.0");
  void* blis = open_library("/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4");
  void* dnnl = open_library("libdnnl.so.2");
  auto ob_sgemm = openblas ? (cblas_sgemm_t)dlsym(openblas, "cblas_sgemm") : nullptr;
  auto ob_dgemm = openblas ? (cblas_dgemm_t)dlsym(openblas, "cblas_dgemm") : nullptr;
  auto ob_threads = openblas ? (void (*)(int))dlsym(openblas, "openblas_set_num_threads") : nullptr;
  auto ob_core = openblas ? (char* (*)())dlsym(openblas, "openblas_get_corename") : nullptr;
  auto bl_sgemm = blis ? (bli_sgemm_t)dlsym(blis, "bli_sgemm") : nullptr;
  auto bl_dgemm = blis ? (bli_dgemm_t)dlsym(blis, "bli_dgemm") : nullptr;
  auto bl_threads = blis ? (void (*)(int64_t))dlsym(blis, "bli_thread_set_num_threads") : nullptr;
  auto bl_int = blis ? (int64_t(*)())dlsym(blis, "bli_info_get_int_type_size") : nullptr;
  auto bl_arch = blis ? (int (*)())dlsym(blis, "bli_arch_query_id") : nullptr;
  auto bl_arch_name = blis ? (const char* (*)(int))dlsym(blis, "bli_arch_string") : nullptr;
  auto dn_sgemm = dnnl ? (dnnl_sgemm_t)dlsym(dnnl, "dnnl_sgemm") : nullptr;
  if (bl_sgemm && (!bl_int || bl_int() != 64)) bl_sgemm = nullptr, bl_dgemm = nullptr;
  std::fprintf(stderr, "[gemm] OpenBLAS: %s (core %s); BLIS: %s (arch %s); oneDNN: %s\n",
               ob_sgemm ? "yes" : "not installed", ob_core ? ob_core() : "-",
               bl_sgemm ? "yes" : "not installed",
               bl_arch && bl_arch_name ? bl_arch_name(bl_arch()) : "-",
               dn_sgemm ? "yes" : "not installed");

  const double peak_f1 = fma_peak<float>(1), peak_f2 = fma_peak<float>(2);
  const double peak_d2 = fma_peak<double>(2);
  std::fprintf(stderr,
               "[gemm] FMA peak: float %.0f GFLOP/s (1 thread), %.0f (2); double %.0f (2)\n",
               peak_f1, peak_f2, peak_d2);
  std::printf(
      "precision,size,product,candidate,threads,ms,gflops,pct_peak,max_err_eps,same_bits\n");
  std::printf("float,0,fma_peak,-,1,0,%.1f,100,0,1\nfloat,0,fma_peak,-,2,0,%.1f,100,0,1\n", peak_f1,
              peak_f2);
  std::printf("double,0,fma_peak,-,2,0,%.1f,100,0,1\n", peak_d2);

  auto run_precision = [&](auto tag, double peak2, double peak1) {
    using T = decltype(tag);
    using M = Eigen::Matrix<T, -1, -1>;
    std::vector<std::pair<std::string, GemmFn<T>>> cands;
    if constexpr (std::is_same_v<T, float>) {
      if (sih::sgemm_available()) {
        // What sih runs (oneDNN in two fixed parts, sgemm.cpp) and sih's own kernel.
        cands.push_back({"sih_route", [](const Product<T>& p, T* c) {
                           sih::sgemm(p.m, p.n, p.k, view_of(p.a, p.trans_a),
                                      view_of(p.b, p.trans_b), c, p.m);
                         }});
        cands.push_back({"sih_kernel", [](const Product<T>& p, T* c) {
                           sih::sgemm_sih_kernel(p.m, p.n, p.k, view_of(p.a, p.trans_a),
                                                 view_of(p.b, p.trans_b), c, p.m);
                         }});
      }
    }
    cands.push_back({"eigen_fixed_depth", [](const Product<T>& p, T* c) {
                       // product_fixed_depth's Eigen route (its float route is sih_route)
                       Eigen::Map<M> dst(c, p.m, p.n);
                       const auto chunk = sih::fixed_depth_chunk<T>();
                       dst.setZero();
                       for (long s = 0; s < p.k; s += chunk) {
                         const long len = std::min<long>(chunk, p.k - s);
                         if (!p.trans_a && p.trans_b)
                           dst.noalias() +=
                               p.a.middleCols(s, len) * p.b.middleCols(s, len).transpose();
                         else
                           dst.noalias() +=
                               p.a.middleRows(s, len).transpose() * p.b.middleRows(s, len);
                       }
                     }});
    // The float and double entry points of each library, picked by T.
    const auto ob_gemm = [&] {
      if constexpr (std::is_same_v<T, float>)
        return ob_sgemm;
      else
        return ob_dgemm;
    }();
    const auto bl_gemm = [&] {
      if constexpr (std::is_same_v<T, float>)
        return bl_sgemm;
      else
        return bl_dgemm;
    }();
    if (ob_gemm)
      cands.push_back({"openblas", [&](const Product<T>& p, T* c) {
                         ob_gemm(kColMajor, p.trans_a ? kTrans : kNoTrans,
                                 p.trans_b ? kTrans : kNoTrans, p.m, p.n, p.k, T(1), p.a.data(),
                                 p.a.rows(), p.b.data(), p.b.rows(), T(0), c, p.m);
                       }});
    if (bl_gemm)
      cands.push_back({"blis", [&](const Product<T>& p, T* c) {
                         const T one = 1, zero = 0;
                         bl_gemm(p.trans_a ? kBliTrans : 0, p.trans_b ? kBliTrans : 0, p.m, p.n,
                                 p.k, &one, p.a.data(), 1, p.a.rows(), p.b.data(), 1, p.b.rows(),
                                 &zero, c, 1, p.m);
                       }});
    if constexpr (std::is_same_v<T, float>) {
      if (dn_sgemm)
        cands.push_back({"onednn", [&](const Product<T>& p, T* c) {
                           // row-major API: C^T (n x m) = op(B)^T op(A)^T
                           dn_sgemm(p.trans_b ? 'T' : 'N', p.trans_a ? 'T' : 'N', p.n, p.m, p.k,
                                    1.f, p.b.data(), p.b.rows(), p.a.data(), p.a.rows(), 0.f, c,
                                    p.m);
                         }});
    }
    auto threads = [&](int t) {
      omp_set_num_threads(t);
      Eigen::setNbThreads(t);
      if (ob_threads) ob_threads(t);
      if (bl_threads) bl_threads(t);
    };
    const char* prec = std::is_same_v<T, float> ? "float" : "double";
    for (const long d : sizes) {
      for (const auto& p : products<T>(d)) {
        const double flops = 2.0 * p.m * p.n * p.k;
        // Reference: 1024 sampled entries as long double dot products, each error scaled by
        // sum_k |a_ik b_kj| (the bound of a float product's rounding is ~k eps that sum).
        std::vector<std::array<long, 2>> at(1024);
        std::vector<long double> ref(at.size()), mag(at.size());
        for (std::size_t s = 0; s < at.size(); ++s) {
          at[s] = {static_cast<long>((s * 2654435761u) % p.m),
                   static_cast<long>((s * 40503u + 7) % p.n)};
          long double dot = 0, abs_dot = 0;
          for (long q = 0; q < p.k; ++q) {
            const long double x = p.trans_a ? p.a(q, at[s][0]) : p.a(at[s][0], q);
            const long double y = p.trans_b ? p.b(at[s][1], q) : p.b(q, at[s][1]);
            dot += x * y;
            abs_dot += std::abs(x * y);
          }
          ref[s] = dot;
          mag[s] = abs_dot;
        }
        auto max_error = [&](const M& c) {
          long double worst = 0;
          for (std::size_t s = 0; s < at.size(); ++s)
            worst = std::max(worst, std::abs(c(at[s][0], at[s][1]) - ref[s]) / mag[s]);
          return static_cast<double>(worst) / std::numeric_limits<T>::epsilon();
        };
        for (int t : {1, 2}) {
          threads(t);
          std::vector<M> outs(cands.size(), M(p.m, p.n));
          std::vector<std::vector<double>> ms(cands.size());
          for (std::size_t c = 0; c < cands.size(); ++c)
            cands[c].second(p, outs[c].data());  // warm
          for (int r = 0; r < rounds; ++r)
            for (std::size_t c = 0; c < cands.size(); ++c) {
              const auto t0 = Clock::now();
              cands[c].second(p, outs[c].data());
              ms[c].push_back(seconds_since(t0) * 1e3);
            }
          for (std::size_t c = 0; c < cands.size(); ++c) {
            std::sort(ms[c].begin(), ms[c].end());
            const double med = ms[c][ms[c].size() / 2];
            const double err = max_error(outs[c]);
            // same bits with the other thread count: computed once more with 1 thread at t=2
            int same = -1;
            if (t == 2) {
              threads(1);
              M one(p.m, p.n);
              cands[c].second(p, one.data());
              threads(2);
              same = std::memcmp(one.data(), outs[c].data(), sizeof(T) * one.size()) == 0;
            }
            const double gf = flops / (med * 1e-3) / 1e9;
            std::printf("%s,%ld,%s,%s,%d,%.3f,%.1f,%.1f,%.2f,%d\n", prec, d, p.name.c_str(),
                        cands[c].first.c_str(), t, med, gf, 100 * gf / (t == 2 ? peak2 : peak1),
                        err, same);
            std::fflush(stdout);
          }
        }
        std::fprintf(stderr, "[gemm] %s d=%ld %s done\n", prec, d, p.name.c_str());
      }
    }
  };
  run_precision(float{}, peak_f2, peak_f1);
  if (with_double) run_precision(double{}, peak_d2, peak_d2 / 2);
  return 0;
}
#else
int main() {
  std::fputs("sih_gemm_candidates: built without AVX-512 (needs -march=native on an AVX-512 CPU)\n",
             stderr);
  return 2;
}
#endif
