// The reference's training trajectories (reference/traj_*.expected.json), reproduced through
// `init_from` step by step: losses, KTA, W-beta alignment, both alphas and the weights W_s.
// float64 must agree to 1e-8 relative (the fixtures' own reproducibility floor is ~1e-13);
// float32 to a float32 tolerance.
#include <nlohmann/json.hpp>

#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/experiments/run.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {

struct Case {
  std::string name;
  std::string dtype;
};

Config config_from_case(const nlohmann::json& j, const std::string& dtype) {
  Config c;
  c.n = j["n"];
  c.batch_size = j["batch_size"];
  c.n_test = j["n_test"];
  c.batch_size_test = j["batch_size_test"];
  c.h = j["h"];
  c.d = j["d"];
  c.label_noise_std = j["label_noise_std"];
  c.optimizer = parse_optimizer(j["optimizer"].get<std::string>());
  c.momentum = j["momentum"];
  c.weight_decay = j["weight_decay"];
  c.lr = j["lr"];
  c.reg_lambda = j["reg_lambda"];
  c.enable_weight_normalization = j["enable_weight_normalization"];
  c.num_epochs = j["num_epochs"];
  c.probe_freq_steps = j["probe_freq_steps"];
  c.probe_weights = j["probe_weights"];
  c.plot_overlaps = j["plot_overlaps"];
  c.probe_features = j["probe_features"];
  c.fix_last_layer = j["fix_last_layer"];
  c.lightweight = j["lightweight"];
  c.precision = dtype == "float32" ? Precision::kFloat32 : Precision::kFloat64;
  c.init_from = test::ref("traj_init");
  c.save_weights = true;
  c.threads = 2;
  return c;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name << "/" << c.dtype; }

class Trajectory : public ::testing::TestWithParam<Case> {};

TEST_P(Trajectory, MatchesReferenceStepByStep) {
  const Case& tc = GetParam();
  const std::string base = test::ref("traj_" + tc.name + "_" + tc.dtype);
  const auto expected = nlohmann::json::parse(test::read_text(base + ".expected.json"));
  const bool f32 = tc.dtype == "float32";
  // float32: the reference's own float32 vs float64 gap is <= 2.1e-5 relative on metrics and
  // 1.0e-5 absolute on W_5; sih's float32 measured 3.0e-5 and 9.4e-6 against the reference's
  // float32 (two float32 codes with different summation orders).
  const double rel = f32 ? 1e-4 : 1e-8;
  const double w_abs = f32 ? 3e-5 : 1e-10;

  test::TempDir tmp;
  RunRequest req;
  req.config = config_from_case(expected["config"], tc.dtype);
  req.out_parent = tmp.path();
  req.quiet = true;
  req.progress = false;
  const RunOutcome out = run_experiment(req);
  ASSERT_EQ(out.status, RunStatus::kOk);
  const test::Csv metrics = test::read_csv(out.dir + "/metrics.csv");
  ASSERT_EQ(metrics.rows.size(), expected["steps"].size());

  for (std::size_t s = 0; s < metrics.rows.size(); ++s) {
    const auto& e = expected["steps"][s];
    struct Row {
      const test::Csv& csv;
      std::size_t s;
      std::string at(const std::string& column) const { return csv.at(s, column); }
    } r{metrics, s};
    SCOPED_TRACE("step " + std::to_string(s));
    ASSERT_EQ(std::stol(r.at("step")), e["step"].get<long>());
    auto check = [&](const char* column, const char* key) {
      ASSERT_FALSE(r.at(column).empty()) << column << " is empty";
      EXPECT_TRUE(test::near_rel(e[key].get<double>(), std::stod(r.at(column)), rel)) << column;
    };
    check("train_loss", "train_loss_probe_ridge");
    check("val_loss", "val_loss");
    check("kta", "KTA");
    check("w_beta_alignment", "W_beta_alignment");
    check("alpha_hill", "alpha_hill");
    check("alpha_mle_ks", "alpha_mle_ks");
    EXPECT_TRUE(
        test::near_rel(e["esd_xmin_mid"]["D"].get<double>(), std::stod(r.at("D_hill")), rel));
    EXPECT_TRUE(
        test::near_rel(e["esd_mle_ks"]["D"].get<double>(), std::stod(r.at("D_mle_ks")), rel));
    EXPECT_TRUE(test::near_rel(e["esd_xmin_mid"]["spectral_norm"].get<double>(),
                               std::stod(r.at("spectral_norm")), rel));
    EXPECT_TRUE(test::near_rel(e["esd_xmin_mid"]["norm"].get<double>(),
                               std::stod(r.at("frobenius_norm")), rel));
    EXPECT_TRUE(test::near_rel(e["esd_xmin_mid"]["alphahat"].get<double>(),
                               std::stod(r.at("alphahat")), rel));
    if (s > 0) {
      EXPECT_TRUE(test::near_rel(expected["lr_used_per_step"][s - 1].get<double>(),
                                 std::stod(r.at("lr")), 1e-15));
      const MatD W = read_array(out.dir + "/weights/step" + std::to_string(s) + "_W.npy");
      const MatD W_ref = read_array(base + "_W_step" + std::to_string(s) + "_60x40.csv");
      const double err = (W - W_ref).cwiseAbs().maxCoeff();
      EXPECT_LE(err, w_abs) << "max |W_s - reference W_s|";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Reference, Trajectory,
                         ::testing::Values(Case{"gd_lr0.1", "float64"}, Case{"adam_lr1", "float64"},
                                           Case{"gd_lr0.1", "float32"},
                                           Case{"adam_lr1", "float32"}),
                         [](const auto& info) {
                           std::string s = info.param.name + "_" + info.param.dtype;
                           for (auto& ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
