#pragma once
// The FMA peak of this CPU: `threads` cores issuing independent 512-bit FMAs. The 100% of
// bench/gemm_candidates.sh's "% of peak" and of scripts/bench.sh's sweep floors (issue 23).
#ifdef __AVX512F__
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace sih_bench {

// The 512-bit register of T and the three operations the peak loop needs.
template <typename T>
struct Vec512;
template <>
struct Vec512<float> {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
};
template <>
struct Vec512<double> {
  using V = __m512d;
  static constexpr int kLanes = 8;
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
};

// Peak of `threads` cores issuing independent FMAs on 512-bit registers (10 chains per thread,
// more than FMA latency x units on Zen 4/5 and Xeon). GFLOP/s.
template <typename T>
double fma_peak(int threads) {
  using R = Vec512<T>;
  constexpr long kIters = 40'000'000;
  double best = 0;
  for (int trial = 0; trial < 3; ++trial) {
    const auto t0 = std::chrono::steady_clock::now();
    T sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      typename R::V a[10];
      for (int i = 0; i < 10; ++i) a[i] = R::set1(T(1) + T(1e-7) * T(i));
      const typename R::V x = R::set1(T(0.9999999)), y = R::set1(T(1e-8));
      for (long it = 0; it < kIters; ++it)
        for (int i = 0; i < 10; ++i) a[i] = R::fma(a[i], x, y);
      // summed through memory: gcc 12's _mm512_reduce_add_* warns of its own temporaries
      T lanes[R::kLanes];
      for (int i = 0; i < 10; ++i) {
        R::store(lanes, a[i]);
        for (const T v : lanes) sink += v;
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (sink == T(12345)) std::fputs("", stderr);  // keep the loop
    best = std::max(best, threads * kIters * 10.0 * R::kLanes * 2 / s / 1e9);
  }
  return best;
}

}  // namespace sih_bench

#endif
