// Micro-benchmarks of sih's phases at the headline size (n=2000, d=1000, h=1500): the
// machine's GEMM rate, one training step (GD, Adam), and the parts of one checkpoint.
// Prints a table (stdout) and, with --csv FILE, writes it as CSV. Not a test.
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "sih/data.hpp"
#include "sih/metrics.hpp"
#include "sih/model.hpp"
#include "sih/optim.hpp"
#include "sih/rng.hpp"
#include "sih/run.hpp"
#include "sih/spectral.hpp"
#include "sih/trainer.hpp"

using namespace sih;
using Clock = std::chrono::steady_clock;

namespace {

struct Row {
  std::string precision;
  int threads;
  std::string phase;
  double ms;
  double gflops;  // 0 when not GEMM-bound
};

// Median of `reps` timings (after one warm-up), in ms.
double time_ms(const std::function<void()>& f, int reps = 5) {
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

template <typename T>
void bench_precision(int threads, std::vector<Row>& rows, long n, long d, long h) {
  configure_threads(threads);
  const std::string prec = std::is_same_v<T, float> ? "float32" : "float64";
  auto add = [&](const std::string& phase, double ms, double flops) {
    rows.push_back({prec, threads, phase, ms, flops > 0 ? flops / ms / 1e6 : 0});
    fmt::print(stderr, "  {} {} thr {:<28} {:9.2f} ms{}\n", prec, threads, phase, ms,
               flops > 0 ? fmt::format("  {:7.1f} GFLOP/s", flops / ms / 1e6) : "");
  };
  Config c;
  c.n = n;
  c.batch_size = n;
  c.d = d;
  c.h = h;
  const Problem<T> p = generate_problem<T>(c, RunSeeds::from_seed(1));
  const double gemm_flops = 2.0 * n * d * h;

  Mat<T> out(n, h);
  add("gemm X W^T (n x d)(d x h)", time_ms([&] { out.noalias() = p.train.X * p.W0.transpose(); }),
      gemm_flops);

  Mat<T> W = p.W0, gW(h, d);
  Vec<T> a = p.a0;
  StepWorkspace<T> ws;
  add("loss+gradient (2 GEMMs)",
      time_ms([&] { loss_and_gradient<T>(W, a, p.train.X, p.train.y, gW, nullptr, ws); }),
      2 * gemm_flops);
  for (const char* opt : {"sgd", "adam"}) {
    OptimizerSettings s;
    s.kind = parse_optimizer(opt);
    ParamOptimizer<T> o(s);
    add(fmt::format("train step {}", opt), time_ms([&] {
          loss_and_gradient<T>(W, a, p.train.X, p.train.y, gW, nullptr, ws);
          o.step(W, gW, 1e-9);
        }),
        2 * gemm_flops);
  }

  Mat<T> phi, g;
  Vec<T> pty;
  add("ckpt features (GEMM+tanh)",
      time_ms([&] { phi = probe_features(W, p.probe.X, ProbeFeatureScaling::kReference); }),
      gemm_flops);
  add("ckpt feature Gram (syrk)", time_ms([&] { g = feature_gram(phi); }),
      static_cast<double>(n) * h * h);
  pty = phi.transpose() * p.probe.y;
  add("ckpt KTA", time_ms([&] { (void)kta_from_gram(g, pty, p.probe.y); }), 0);
  add("ckpt ridge (Cholesky)", time_ms([&] {
        (void)ridge_solve(g, pty, 0.01 / h * n, phi, p.probe.y);
      }),
      0);
  Mat<T> wg;
  add("ckpt W Gram (syrk)", time_ms([&] { wg = small_gram(W); }),
      static_cast<double>(h) * d * std::min(h, d));
  VecD eigs;
  add("ckpt eigenvalues (syevd)", time_ms([&] { eigs = esd_eigenvalues_from_gram(wg); }), 0);
  add("ckpt alpha fits", time_ms([&] { (void)summarize_spectrum(eigs); }), 0);
  add("ckpt alignment (top vector)",
      time_ms([&] { (void)w_beta_alignment(W, wg, p.beta); }), 0);
  add("ckpt overlaps (3 thin SVDs)", time_ms([&] { (void)thin_svd(W); }, 1) * 3, 0);

  // Whole checkpoints as the trainer runs them (3 checkpoints over 2 Adam steps), from the
  // trainer's own per-phase timings.
  for (bool lightweight : {true, false}) {
    Config cc = c;
    cc.num_epochs = 2;
    cc.probe_freq_steps = 1;
    cc.lightweight = lightweight;
    cc.precision = std::is_same_v<T, float> ? Precision::kFloat32 : Precision::kFloat64;
    char tmpl[] = "/tmp/sih-bench-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    TrainResult r;
    {
      RunWriter w(dir + "/run");
      w.quiet = true;
      r = train<T>(cc, p, RunSeeds::from_seed(1), w);
    }
    std::filesystem::remove_all(dir);
    double total = 0;
    for (const auto& [phase, sec] : r.timings_s)
      if (phase.rfind("checkpoint_", 0) == 0) total += sec;
    add(lightweight ? "checkpoint lightweight" : "checkpoint full", total * 1000 / 3, 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  long n = 2000, d = 1000, h = 1500;
  std::string csv;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) csv = argv[++i];
    if (!std::strcmp(argv[i], "--small")) n = 400, d = 200, h = 300;
  }
  std::vector<Row> rows;
  for (int threads : {1, 2}) {
    bench_precision<float>(threads, rows, n, d, h);
    bench_precision<double>(threads, rows, n, d, h);
  }
  fmt::print("{:<9} {:>3} {:<30} {:>10} {:>10}\n", "precision", "thr", "phase", "ms", "GFLOP/s");
  for (const auto& r : rows)
    fmt::print("{:<9} {:>3} {:<30} {:>10.2f} {:>10}\n", r.precision, r.threads, r.phase, r.ms,
               r.gflops > 0 ? fmt::format("{:.1f}", r.gflops) : "");
  if (!csv.empty()) {
    std::ofstream out(csv);
    out << "precision,threads,phase,ms,gflops\n";
    for (const auto& r : rows)
      out << fmt::format("{},{},{},{:.3f},{:.1f}\n", r.precision, r.threads, r.phase, r.ms, r.gflops);
  }
  return 0;
}
