// The bulk, spike and tail-test columns of metrics.csv: wired to the W of each checkpoint
// (recomputed here from the saved W with a dense SVD and esd_diagnostics, whose numbers are
// held to weightwatcher and powerlaw by test_esd_diagnostics), the MP edge of the start
// against its closed form, enable_ww and features_spectrum switching their columns, and the
// features' spectra files.
#include <Eigen/SVD>
#include <filesystem>

#include "sih/config/config_input.hpp"
#include "sih/experiments/run.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/spectra/esd_diagnostics.hpp"
#include "test_util.hpp"

using namespace sih;
namespace fs = std::filesystem;

namespace {

const char* kSmall = R"(
n: 120
d: 30
h: 50
n_test: 40
optimizer: adam
lr: 1
num_epochs: 3
probe_freq_steps: 1
lightweight: true
save_weights: true
precision: float64
)";

RunOutcome run(const std::string& out, const std::vector<std::string>& sets) {
  return test::run_from_yaml(kSmall, out, sets);
}

double cell(const test::Csv& c, std::size_t row, const char* col) {
  const std::string v = c.at(row, col);
  return v.empty() ? std::nan("") : std::stod(v);
}

}  // namespace

TEST(CheckpointSpikes, ColumnsAreTheDiagnosticsOfEachCheckpointsW) {
  test::TempDir tmp;
  const RunOutcome out = run(tmp.path(), {"enable_ww=true"});
  const test::Csv m = test::read_csv(out.dir + "/metrics.csv");
  ASSERT_EQ(m.rows.size(), 4u);
  for (std::size_t r = 0; r < m.rows.size(); ++r) {
    const MatD W = read_array(out.dir + "/weights/step" + m.at(r, "step") + "_W.npy");
    // Eigenvalues of W^T W from a dense SVD, independently of the trainer's eigensolver.
    const Eigen::JacobiSVD<MatD> svd(W);
    VecD eigs = svd.singularValues().array().square().reverse();
    EsdDiagnosticsOptions o;
    o.h = 50;
    o.d = 30;
    o.N = 50;
    o.M = 30;
    o.init_variance = 1;
    const EsdDiagnostics e = esd_diagnostics(eigs, o);
    const double tol = 1e-8;
    EXPECT_TRUE(test::near_rel(e.mp_lambda_plus_init, cell(m, r, "mp_lambda_plus_init"), 1e-14));
    EXPECT_TRUE(test::near_rel(e.mp.sigma_mp, cell(m, r, "sigma_mp"), tol));
    EXPECT_TRUE(test::near_rel(e.mp_lambda_plus, cell(m, r, "mp_lambda_plus"), tol));
    EXPECT_TRUE(test::near_rel(e.spike_gap, cell(m, r, "spike_gap"), tol));
    EXPECT_EQ(static_cast<double>(e.mp.num_spikes), cell(m, r, "num_spikes"));
    EXPECT_EQ(static_cast<double>(e.num_spikes_init), cell(m, r, "num_spikes_init"));
    EXPECT_TRUE(test::near_rel(e.tails.lognormal.R, cell(m, r, "R_lognormal"), 1e-6, 1e-9));
    EXPECT_TRUE(test::near_rel(e.tails.exponential.p, cell(m, r, "p_exponential"), 1e-6, 1e-9));
    EXPECT_TRUE(test::near_rel(e.alpha_weighted, cell(m, r, "alpha_weighted"), tol));
    EXPECT_TRUE(test::near_rel(e.entropy, cell(m, r, "entropy"), tol));
    EXPECT_EQ(static_cast<double>(e.num_pl_spikes), cell(m, r, "num_pl_spikes"));
    EXPECT_TRUE(std::isnan(cell(m, r, "pl_bootstrap_p")));  // pl_bootstrap: 0
  }
  // The start's edge: W0 ~ N(0, 1) entries, h x d: (sqrt(50) + sqrt(30))^2.
  const double edge = std::pow(std::sqrt(50.0) + std::sqrt(30.0), 2);
  EXPECT_TRUE(test::near_rel(edge, cell(m, 0, "mp_lambda_plus_init"), 1e-14));
}

TEST(CheckpointSpikes, SwitchesTurnTheirColumnsOnAndOff) {
  test::TempDir tmp;
  const RunOutcome plain = run(tmp.path(), {});
  const test::Csv m = test::read_csv(plain.dir + "/metrics.csv");
  for (const char* c : {"alpha_weighted", "log_norm", "entropy", "num_pl_spikes",
                        "features_alpha_hill", "features_num_spikes", "pl_bootstrap_p"})
    EXPECT_EQ(m.at(1, c), "") << c;
  EXPECT_NE(m.at(1, "num_spikes"), "");  // always on

  const RunOutcome with =
      run(tmp.path(), {"features_spectrum=true", "pl_bootstrap=20", "lightweight=false"});
  const test::Csv w = test::read_csv(with.dir + "/metrics.csv");
  const double p = cell(w, 2, "pl_bootstrap_p");
  EXPECT_GE(p, 0.0);
  EXPECT_LE(p, 1.0);
  // The features' ESD: the eigenvalues of Phi^T Phi written beside W's, their alpha_hill in
  // the row.
  const std::string eigs_file = with.dir + "/spectra/step2_features_eigs.csv";
  ASSERT_TRUE(fs::exists(eigs_file));
  const test::Csv fe = test::read_csv(eigs_file);
  EXPECT_EQ(fe.rows.size(), 50u);  // h eigenvalues
  VecD eigs(static_cast<Eigen::Index>(fe.rows.size()));
  for (std::size_t i = 0; i < fe.rows.size(); ++i)
    eigs[static_cast<Eigen::Index>(i)] = std::stod(fe.rows[i][0]);
  EXPECT_TRUE(test::near_rel(fit_hill(eigs).alpha, cell(w, 2, "features_alpha_hill"), 1e-12));
  EXPECT_NE(w.at(2, "features_num_spikes"), "");
  // Adding the keys at their defaults keeps the run's id; setting them changes it.
  EXPECT_NE(with.id, plain.id);
  EXPECT_EQ(run(tmp.path(), {"features_spectrum=false", "pl_bootstrap=0"}).id, plain.id);
}
