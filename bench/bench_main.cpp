// Micro-benchmarks of sih's phases at the headline size (n=2000, d=1000, h=1500): the
// machine's GEMM rate, one training step (GD, Adam), and the parts of one checkpoint.
// Prints a table (stdout) and, with --csv FILE, writes it as CSV. Not a test.
#include <cblas.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fma_peak.hpp"
#include "sih/base/library_environment.hpp"
#include "sih/core/data.hpp"
#include "sih/core/metrics.hpp"
#include "sih/core/model.hpp"
#include "sih/core/optim.hpp"
#include "sih/core/rng.hpp"
#include "sih/experiments/run.hpp"
#include "sih/rundir/checkpoint_writer.hpp"
#include "sih/spectra/spectral.hpp"
#include "sih/train/trainer.hpp"

using namespace sih;
using Clock = std::chrono::steady_clock;

namespace {

struct Row {
  std::string precision;
  int threads;
  std::string phase;
  double ms;
  double gflops;           // 0 when not GEMM-bound
  double pct_of_gemm;      // the phase's GFLOP/s as % of the plain GEMM's; 0 when not GEMM-bound
  double x_step = 0;       // checkpoints: cost in training steps of the same run; 0 otherwise
  double pct_of_peak = 0;  // the phase's GFLOP/s as % of the FMA peak (fma_peak.hpp)
};

int g_reps = 7;

// Median of g_reps timings (after one warm-up), in ms. These 2-core VMs see 10-30% noise
// from neighbours; a median of 7+ is stable to a few percent.
double time_ms(const std::function<void()>& f, int reps = -1) {
  if (reps < 0) reps = g_reps;
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto s = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Median over g_reps of time(reference) / time(test), the two timed back to back each time,
// so that a slow spell of the machine hits both: how close `test` runs to `reference`.
// Median ms of f and of g when they alternate (f, g, f, g, ...), each call timed on its own.
std::pair<double, double> alternating_ms(const std::function<void()>& f,
                                         const std::function<void()>& g) {
  f();
  g();
  std::vector<double> tf, tg;
  for (int i = 0; i < g_reps; ++i) {
    for (auto [fn, times] : {std::pair{&f, &tf}, std::pair{&g, &tg}}) {
      const auto s = Clock::now();
      (*fn)();
      times->push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
    }
  }
  std::sort(tf.begin(), tf.end());
  std::sort(tg.begin(), tg.end());
  return {tf[tf.size() / 2], tg[tg.size() / 2]};
}

double interleaved_ratio(const std::function<void()>& reference,
                         const std::function<void()>& test) {
  auto once = [](const std::function<void()>& f) {
    const auto s = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - s).count();
  };
  reference();
  test();
  std::vector<double> r;
  for (int i = 0; i < std::max(g_reps, 9); ++i) {
    const double a = once(reference);
    r.push_back(a / once(test));
  }
  std::sort(r.begin(), r.end());
  return r[r.size() / 2];
}

template <typename T>
void bench_precision(int threads, std::vector<Row>& rows, long n, long d, long h) {
  configure_threads(threads);
  const std::string prec = std::is_same_v<T, float> ? "float32" : "float64";
  double gemm_gflops = 0;
  // The FMA peak of `threads` cores: the 100% of the "% peak" column and of bench.sh's floors.
#ifdef __AVX512F__
  const double peak = sih_bench::fma_peak<T>(threads);
#else
  const double peak = 0;
#endif
  auto add = [&](const std::string& phase, double ms, double flops, double pct = -1) {
    const double gf = flops > 0 ? flops / ms / 1e6 : 0;
    if (pct < 0) pct = gf > 0 && gemm_gflops > 0 ? 100 * gf / gemm_gflops : 0;
    rows.push_back(
        {prec, threads, phase, ms, gf, pct, 0, gf > 0 && peak > 0 ? 100 * gf / peak : 0});
    fmt::print(stderr, "  {} {} thr {:<32} {:9.2f} ms{}{}\n", prec, threads, phase, ms,
               gf > 0 ? fmt::format("  {:7.1f} GFLOP/s", gf) : "",
               pct > 0 ? fmt::format("  {:5.1f}% of GEMM", pct) : "");
  };
  if (peak > 0) {
    rows.push_back({prec, threads, "fma peak", 0, peak, 0, 0, 100});
    fmt::print(stderr, "  {} {} thr {:<32}  {:7.1f} GFLOP/s\n", prec, threads, "fma peak", peak);
  }
  Config c;
  c.n = n;
  c.batch_size = n;
  c.d = d;
  c.h = h;
  const Problem<T> p = generate_problem<T>(c, RunSeeds::from_seed(1));
  const double gemm_flops = 2.0 * n * d * h;

  // The machine's GEMM rate: Eigen's own product (the 100% reference of the "% GEMM" column
  // for the products), then the products sih runs: for float32 on AVX-512 its own kernel
  // (sgemm.hpp), otherwise Eigen in fixed-depth chunks (linalg.hpp).
  Mat<T> out(n, h);
  const auto gemm_xw = [&] { out.noalias() = p.train.X * p.W0.transpose(); };
  const double gemm_ms = time_ms(gemm_xw);
  gemm_gflops = gemm_flops / gemm_ms / 1e6;
  add("gemm X W^T (n x d)(d x h), Eigen", gemm_ms, gemm_flops);
  const auto sih_xw = [&] { product_fixed_depth(out, p.train.X, p.W0.transpose()); };
  add("gemm X W^T, sih", time_ms(sih_xw), gemm_flops);
  Mat<T> gW(h, d);
  add("gemm G^T X (h x n)(n x d), Eigen",
      time_ms([&] { gW.noalias() = out.transpose() * p.train.X; }), gemm_flops);
  const auto sih_gx = [&] { product_fixed_depth(gW, out.transpose(), p.train.X); };
  add("gemm G^T X, sih", time_ms(sih_gx), gemm_flops);
  // The two alternating, as a training step runs them, each timed on its own: the training
  // products' rate. Alone, X W^T read 66-70% of the peak in some processes on one host kind
  // while a step's got ~94% (docs/PERFORMANCE.md, "Memory: huge pages and reuse").
  const auto [xw_in_step, gx_in_step] = alternating_ms(sih_xw, sih_gx);
  add("gemm X W^T, sih, in a step", xw_in_step, gemm_flops);
  add("gemm G^T X, sih, in a step", gx_in_step, gemm_flops);
  const auto two_gemms = [&] {
    sih_xw();
    sih_gx();
  };

  // A training step does the two sih products above plus elementwise work; its "% GEMM" is
  // its speed relative to those two products alone, timed interleaved (interleaved_ratio).
  Mat<T> W = p.W0;
  Vec<T> a = p.a0;
  StepWorkspace<T> ws;
  const auto loss_grad = [&] { loss_and_gradient<T>(W, a, p.train.X, p.train.y, gW, nullptr, ws); };
  add("loss+gradient (2 GEMMs)", time_ms(loss_grad), 2 * gemm_flops,
      100 * interleaved_ratio(two_gemms, loss_grad));
  for (const char* opt : {"sgd", "adam"}) {
    OptimizerSettings s;
    s.kind = parse_optimizer(opt);
    ParamOptimizer<T> o(s);
    const auto step = [&] {
      loss_and_gradient<T>(W, a, p.train.X, p.train.y, gW, nullptr, ws);
      o.step(W, gW, 1e-9);
    };
    add(fmt::format("train step {}", opt), time_ms(step), 2 * gemm_flops,
        100 * interleaved_ratio(two_gemms, step));
  }

  Mat<T> phi, g;
  Vec<T> pty;
  add("ckpt features (GEMM+tanh)",
      time_ms([&] { phi = probe_features(W, p.probe.X, ProbeFeatureScaling::kReference); }),
      gemm_flops);
  add("ckpt feature Gram (lower triangle)", time_ms([&] { g = feature_gram(phi); }),
      static_cast<double>(n) * h * h);
  pty = phi.transpose() * p.probe.y;
  add("ckpt KTA", time_ms([&] { (void)kta_from_gram(g, pty, p.probe.y); }), 0);
  add("ckpt ridge (Cholesky)",
      time_ms([&] { (void)ridge_solve(g, pty, 0.01 / h * n, phi, p.probe.y); }), 0);
  Mat<T> wg;
  add("ckpt W Gram (lower triangle)", time_ms([&] { wg = small_gram(W); }),
      static_cast<double>(h) * d * std::min(h, d));
  VecD eigs;
  add("ckpt eigenvalues (syevd)", time_ms([&] { eigs = esd_eigenvalues_from_gram(wg); }), 0);
  if (threads > 1) {
    // Experiment: LAPACK with more OpenBLAS threads (sih pins OpenBLAS to 1, docs/PERFORMANCE.md).
    openblas_set_num_threads(threads);
    add(fmt::format("ckpt eigenvalues (syevd; {} BLAS thr)", threads),
        time_ms([&] { eigs = esd_eigenvalues_from_gram(wg); }), 0);
    openblas_set_num_threads(1);
  }
  add("ckpt alpha fits", time_ms([&] { (void)summarize_spectrum(eigs); }), 0);
  add("ckpt alignment (top vector)", time_ms([&] { (void)w_beta_alignment(W, wg, p.beta); }), 0);
  add("ckpt overlaps (3 thin SVDs)", time_ms([&] { (void)thin_svd(W); }, 1) * 3, 0);

  // Whole checkpoints as the trainer runs them, from its own timings: Adam, 6 steps with a
  // checkpoint after each one vs the same 6 steps with checkpoints at 0 and 6 only. The
  // difference over 5 is one regular checkpoint; what remains of the second run's
  // checkpoint time is the step-0 checkpoint (which also computes the |V^T beta| curve).
  // "x step" is a checkpoint in units of the same run's own training steps, robust to the
  // machine's slow spells.
  for (bool lightweight : {true, false}) {
    auto timed_run = [&](long probe_freq) {
      Config cc = c;
      cc.num_epochs = 6;
      cc.probe_freq_steps = probe_freq;
      cc.lightweight = lightweight;
      cc.precision = std::is_same_v<T, float> ? Precision::kFloat32 : Precision::kFloat64;
      char tmpl[] = "/tmp/sih-bench-XXXXXX";
      const std::string dir = ::mkdtemp(tmpl);
      TrainResult r;
      {
        RunWriter w(dir + "/run");
        w.quiet = true;
        RunFolderSink<T> sink(cc, w);
        r = train<T>(cc, p, RunSeeds::from_seed(1), sink);
      }
      std::filesystem::remove_all(dir);
      return std::pair{r.timings_s["checkpoint_total"] * 1000, r.timings_s["train_steps"] * 1000};
    };
    const auto [every_ms, steps_a] = timed_run(1);
    const auto [ends_ms, steps_b] = timed_run(6);
    const double step_ms = (steps_a + steps_b) / 12;
    const double regular = (every_ms - ends_ms) / 5;
    const std::string kind = lightweight ? "lightweight" : "full";
    add("checkpoint " + kind, regular, 0);
    rows.back().x_step = regular / step_ms;
    add("checkpoint " + kind + " at step 0", ends_ms - regular, 0);
    rows.back().x_step = (ends_ms - regular) / step_ms;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // The environment sih runs with (GOMP spin count, malloc tunables); OpenBLAS is left to
  // scripts/bench.sh, which also measures it unpinned.
  sih::LibraryEnvironment environment;
  environment.openblas = false;
  sih::pin_library_environment(argv, environment);
  long n = 2000, d = 1000, h = 1500;
  std::string csv, precision = "all";
  std::vector<int> thread_counts{1, 2};
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--csv") && has_value) {
      csv = argv[++i];
    } else if (!std::strcmp(argv[i], "--small")) {
      n = 400, d = 200, h = 300;
    } else if (!std::strcmp(argv[i], "--precision") && has_value) {
      precision = argv[++i];
    } else if (!std::strcmp(argv[i], "--threads") && has_value) {
      thread_counts = {std::atoi(argv[++i])};
    } else if (!std::strcmp(argv[i], "--reps") && has_value) {
      g_reps = std::max(1, std::atoi(argv[++i]));
    } else {
      fmt::print(stderr,
                 "usage: sih_bench [--csv FILE] [--small] [--precision float32|float64] "
                 "[--threads N] [--reps N]\n");
      return 2;
    }
  }
  std::vector<Row> rows;
  for (int threads : thread_counts) {
    if (precision != "float64") bench_precision<float>(threads, rows, n, d, h);
    if (precision != "float32") bench_precision<double>(threads, rows, n, d, h);
  }
  fmt::print("{:<9} {:>3} {:<36} {:>10} {:>10} {:>8} {:>8} {:>8}\n", "precision", "thr", "phase",
             "ms", "GFLOP/s", "% GEMM", "% peak", "x step");
  for (const auto& r : rows)
    fmt::print("{:<9} {:>3} {:<36} {:>10.2f} {:>10} {:>8} {:>8} {:>8}\n", r.precision, r.threads,
               r.phase, r.ms, r.gflops > 0 ? fmt::format("{:.1f}", r.gflops) : "",
               r.pct_of_gemm > 0 ? fmt::format("{:.1f}", r.pct_of_gemm) : "",
               r.pct_of_peak > 0 ? fmt::format("{:.1f}", r.pct_of_peak) : "",
               r.x_step > 0 ? fmt::format("{:.2f}", r.x_step) : "");
  if (!csv.empty()) {
    std::ofstream out(csv);
    out << "precision,threads,phase,ms,gflops,pct_of_gemm,x_step,pct_of_peak\n";
    for (const auto& r : rows)
      out << fmt::format("{},{},\"{}\",{:.3f},{:.1f},{:.1f},{:.2f},{:.1f}\n", r.precision,
                         r.threads, r.phase, r.ms, r.gflops, r.pct_of_gemm, r.x_step,
                         r.pct_of_peak);
  }
  return 0;
}
