// The numeric layers link alone: this program is linked against sih_train (which brings
// sih_spectra, sih_core and sih_base) and nothing else of sih, so a call from them into the
// config, run-folder or command layers is an undefined symbol and the build fails. It trains a
// small model for a few steps with a sink that keeps what the checkpoints produce, and checks
// the spectra against W itself: the eigenvalues of W^T W sum to ||W||_F^2, and their square roots
// are W's singular values from Eigen's JacobiSVD (an independent dense solver); the metrics'
// norms are those of the same spectrum.
#include <Eigen/SVD>
#include <cmath>
#include <cstdio>
#include <vector>

#include "sih/core/data.hpp"
#include "sih/train/trainer.hpp"

namespace {

struct KeepingSink final : sih::CheckpointSink<double> {
  std::vector<sih::MetricsRow> rows;
  std::vector<sih::VecD> eigenvalues;
  std::vector<sih::MatD> W;
  bool keeps_spectra() const override { return true; }
  bool keeps_overlaps() const override { return false; }
  bool keeps_weights() const override { return true; }
  void weight_entries(long, const sih::MatD&) override {}
  void spectra(long, const sih::VecD& eigs, const sih::VecD&) override {
    eigenvalues.push_back(eigs);
  }
  void features_spectrum(long, const sih::VecD&) override {}
  void overlaps(const sih::OverlapPair<double>&) override {}
  void weights(long, const sih::MatD& w, const sih::VecD&, const sih::VecD*) override {
    W.push_back(w);
  }
  void init_alignment(const sih::VecD&) override {}
  void metrics(const sih::MetricsRow& row) override { rows.push_back(row); }
  void log(const std::string&) override {}
};

int failures = 0;
void expect_near(const char* what, long step, double expected, double actual, double rel) {
  if (std::abs(expected - actual) <= rel * std::abs(expected)) return;
  std::fprintf(stderr, "core_links_alone: %s at step %ld: expected %.17g, actual %.17g\n", what,
               step, expected, actual);
  ++failures;
}

}  // namespace

int main() {
  sih::Config c;
  c.n = 64;
  c.n_test = 32;
  c.batch_size = 64;
  c.d = 16;
  c.h = 24;
  c.lr = 0.05;
  c.num_epochs = 4;
  c.probe_freq_steps = 2;
  c.precision = sih::Precision::kFloat64;
  c.threads = 1;
  const sih::RunSeeds seeds = sih::RunSeeds::from_seed(7);
  const sih::Problem<double> problem = sih::generate_problem<double>(c, seeds);
  KeepingSink sink;
  const sih::TrainResult result = sih::train(c, problem, seeds, sink);
  if (result.status != sih::RunStatus::kOk || result.steps_done != 4) {
    std::fprintf(stderr, "core_links_alone: expected 4 steps with status ok, got %ld steps\n",
                 result.steps_done);
    return 1;
  }
  if (sink.rows.size() != 3 || sink.eigenvalues.size() != 3 || sink.W.size() != 3) {
    std::fprintf(stderr, "core_links_alone: expected 3 checkpoints (steps 0, 2, 4), got %zu rows\n",
                 sink.rows.size());
    return 1;
  }
  for (std::size_t k = 0; k < sink.rows.size(); ++k) {
    const sih::MetricsRow& row = sink.rows[k];
    const sih::VecD& eigs = sink.eigenvalues[k];
    if (eigs.size() != 16 || !row.frobenius_norm || !row.spectral_norm || !row.alpha_hill) {
      std::fprintf(stderr, "core_links_alone: checkpoint %zu lacks its spectrum\n", k);
      return 1;
    }
    const sih::VecD sv = Eigen::JacobiSVD<sih::MatD>(sink.W[k]).singularValues();
    expect_near("sum of eigenvalues vs ||W||_F^2", row.step, sink.W[k].squaredNorm(), eigs.sum(),
                1e-12);
    for (Eigen::Index i = 0; i < sv.size(); ++i)
      expect_near("eigenvalue vs squared singular value", row.step, sv[i] * sv[i],
                  eigs[eigs.size() - 1 - i], 1e-9);
    expect_near("frobenius_norm metric vs ||W||_F^2", row.step, sink.W[k].squaredNorm(),
                *row.frobenius_norm, 1e-12);
    expect_near("spectral_norm metric vs ||W||_2^2", row.step, sv[0] * sv[0], *row.spectral_norm,
                1e-9);
  }
  if (failures == 0)
    std::printf("core_links_alone: 4 steps, 3 checkpoints, spectra agree with JacobiSVD of W\n");
  return failures == 0 ? 0 : 1;
}
