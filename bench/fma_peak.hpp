#pragma once
// The FMA peak of this CPU: `threads` cores issuing independent 512-bit FMAs. The 100% of
// bench/gemm_candidates.sh's "% of peak" and of scripts/bench.sh's sweep floors (issue 23).
#ifdef __AVX512F__
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <type_traits>

namespace sih_bench {

// Peak of `threads` cores issuing independent FMAs on 512-bit registers (10 chains per thread,
// more than FMA latency x units on Zen 4/5 and Xeon). GFLOP/s.
template <typename T>
double fma_peak(int threads) {
  constexpr long kIters = 40'000'000;
  double best = 0;
  for (int trial = 0; trial < 3; ++trial) {
    const auto t0 = std::chrono::steady_clock::now();
    float sink_f = 0;
    double sink_d = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink_f, sink_d)
    {
      if constexpr (std::is_same_v<T, float>) {
        __m512 a[10];
        for (int i = 0; i < 10; ++i) a[i] = _mm512_set1_ps(1.0f + 1e-7f * float(i));
        const __m512 x = _mm512_set1_ps(0.9999999f), y = _mm512_set1_ps(1e-8f);
        for (long it = 0; it < kIters; ++it)
          for (int i = 0; i < 10; ++i) a[i] = _mm512_fmadd_ps(a[i], x, y);
        // summed through memory: gcc 12's _mm512_reduce_add_* warns of its own temporaries
        float lanes[16];
        for (int i = 0; i < 10; ++i) {
          _mm512_storeu_ps(lanes, a[i]);
          for (const float v : lanes) sink_f += v;
        }
      } else {
        __m512d a[10];
        for (int i = 0; i < 10; ++i) a[i] = _mm512_set1_pd(1.0 + 1e-9 * i);
        const __m512d x = _mm512_set1_pd(0.9999999), y = _mm512_set1_pd(1e-12);
        for (long it = 0; it < kIters; ++it)
          for (int i = 0; i < 10; ++i) a[i] = _mm512_fmadd_pd(a[i], x, y);
        double lanes[8];
        for (int i = 0; i < 10; ++i) {
          _mm512_storeu_pd(lanes, a[i]);
          for (const double v : lanes) sink_d += v;
        }
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (sink_f == 12345.f && sink_d == 12345.) std::fputs("", stderr);  // keep the loop
    const double lanes = std::is_same_v<T, float> ? 16 : 8;
    best = std::max(best, threads * kIters * 10 * lanes * 2 / s / 1e9);
  }
  return best;
}

}  // namespace sih_bench

#endif
