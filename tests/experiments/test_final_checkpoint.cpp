// The last step is always a checkpoint, also when it is not a multiple of probe_freq_steps, so
// summary.json's "final" and the sweep aggregates report trained weights, and say at which
// step (summary final_step, runs.csv final_step, bulk-lr aggregate.csv final_step, final.csv
// step). Runs whose last step is a multiple keep exactly the rows they had.
#include <Eigen/SVD>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "sih/config/config_input.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace sih;

namespace {

// Full batch: one step per epoch, so num_epochs is the number of steps.
const char* kBase =
    "n: 40\n"
    "d: 8\n"
    "h: 12\n"
    "n_test: 10\n"
    "optimizer: sgd\n"
    "lr: 0.5\n"
    "lightweight: true\n"
    "precision: float64\n";

std::vector<long> steps_of(const test::Csv& m) {
  std::vector<long> steps;
  for (std::size_t r = 0; r < m.rows.size(); ++r) steps.push_back(std::stol(m.at(r, "step")));
  return steps;
}

std::string steps_text(const std::vector<long>& steps) {
  std::string s;
  for (long v : steps) s += std::to_string(v) + " ";
  return s;
}

SweepOptions quiet() {
  SweepOptions o;
  o.quiet = true;
  return o;
}

}  // namespace

TEST(FinalCheckpoint, RunShorterThanProbeFreqEndsWithItsLastStep) {
  test::TempDir tmp;
  const RunOutcome r =
      test::run_from_yaml(kBase, tmp / "out", {"num_epochs=3", "probe_freq_steps=10"});
  const test::Csv m = test::read_csv(r.dir + "/metrics.csv");
  EXPECT_EQ(steps_text(steps_of(m)), "0 3 ");
  ASSERT_EQ(m.rows.size(), 2u);
  const nlohmann::json s = test::read_json(r.dir + "/summary.json");
  EXPECT_EQ(s["final"]["step"].get<double>(), 3);
  EXPECT_EQ(s["final_step"].get<long>(), 3);
  EXPECT_EQ(s["steps"].get<long>(), 3);
  EXPECT_EQ(s["checkpoints"].get<long>(), 2);
  // "final" is the step-3 row of metrics.csv, and training moved it away from step 0.
  EXPECT_TRUE(test::near_rel(std::stod(m.at(1, "train_loss")),
                             s["final"]["train_loss"].get<double>(), 1e-15));
  EXPECT_NE(m.at(1, "train_loss"), m.at(0, "train_loss"));
  EXPECT_NE(m.at(1, "w_beta_alignment"), m.at(0, "w_beta_alignment"));
}

TEST(FinalCheckpoint, ExtraLastCheckpointLeavesTheOtherRowsAlone) {
  test::TempDir tmp;
  // 4 steps, probe every 2: the last step is a multiple, nothing extra.
  const RunOutcome four =
      test::run_from_yaml(kBase, tmp / "out", {"num_epochs=4", "probe_freq_steps=2"});
  const test::Csv m4 = test::read_csv(four.dir + "/metrics.csv");
  EXPECT_EQ(steps_text(steps_of(m4)), "0 2 4 ");
  EXPECT_EQ(test::read_json(four.dir + "/summary.json")["final_step"].get<long>(), 4);
  // 5 steps: the same trajectory for steps 0-4 (constant lr), plus step 5.
  const RunOutcome five =
      test::run_from_yaml(kBase, tmp / "out", {"num_epochs=5", "probe_freq_steps=2"});
  const test::Csv m5 = test::read_csv(five.dir + "/metrics.csv");
  EXPECT_EQ(steps_text(steps_of(m5)), "0 2 4 5 ");
  ASSERT_EQ(m5.rows.size(), 4u);
  for (std::size_t r = 0; r < m4.rows.size(); ++r)
    for (const char* col : {"train_loss", "val_loss", "kta", "w_beta_alignment", "alpha_hill"})
      EXPECT_EQ(m5.at(r, col), m4.at(r, col)) << "row " << r << " column " << col;
  EXPECT_EQ(test::read_json(five.dir + "/summary.json")["final_step"].get<long>(), 5);
}

TEST(FinalCheckpoint, OverlapsPairTheLastMultipleWithTheLastStep) {
  test::TempDir tmp;
  // Checkpoints 0, 2, 4, 5: three consecutive pairs, the last one (W_4, W_5).
  const RunOutcome r =
      test::run_from_yaml(kBase, tmp / "out",
                          {"num_epochs=5", "probe_freq_steps=2", "lightweight=false",
                           "plot_overlaps=true", "save_weights=true"});
  std::set<std::string> pairs;
  for (const auto& e : fs::directory_iterator(r.dir + "/overlaps")) {
    const std::string name = e.path().filename().string();
    pairs.insert(name.substr(0, name.find('_')));
  }
  EXPECT_EQ(pairs, (std::set<std::string>{"pair0", "pair1", "pair2"}));
  for (long step : {0, 2, 4, 5})
    EXPECT_TRUE(fs::exists(r.dir + "/weights/step" + std::to_string(step) + "_W.npy")) << step;
  // pair2's M = W_5 - W_4: its singular values from the saved weights.
  const MatD M =
      read_array(r.dir + "/weights/step5_W.npy") - read_array(r.dir + "/weights/step4_W.npy");
  const Eigen::VectorXd want = Eigen::JacobiSVD<MatD>(M).singularValues();
  const test::Csv got = test::read_csv(r.dir + "/overlaps/pair2_M_sv.csv");
  ASSERT_EQ(got.rows.size(), static_cast<std::size_t>(want.size()));
  for (Eigen::Index i = 0; i < want.size(); ++i)
    EXPECT_TRUE(test::near_rel(want[i], std::stod(got.at(i, "sigma")), 1e-9, 1e-12)) << i;
}

TEST(FinalCheckpoint, BulkLrAggregatesSayTheStepTheRunsEndedAt) {
  test::TempDir tmp;
  // The step-0 checkpoint is shared between the lrs of a repeat (lightweight); the last one
  // is each run's own.
  YAML::Node root = load_yaml_string(kBase, "bulk-lr");
  apply_override(root, "lr=[0.1, 1]");
  apply_override(root, "num_epochs=3");
  apply_override(root, "probe_freq_steps=10");
  apply_override(root, "repeat=2");
  apply_override(root, "out_dir=" + (tmp / "out"));
  const SweepPlan plan = plan_sweep(sweep_kind("bulk-lr"), root);
  execute_sweep(plan, quiet());
  merge_sweep(plan.dir);
  const test::Csv runs = test::read_csv(plan.dir + "/runs.csv");
  ASSERT_EQ(runs.rows.size(), 4u);
  for (std::size_t r = 0; r < runs.rows.size(); ++r) {
    EXPECT_EQ(runs.at(r, "final_step"), "3") << "row " << r;
    // The final train loss is not the shared step-0 one.
    const test::Csv m = test::read_csv(plan.dir + "/runs/" + runs.at(r, "run_id") + "/metrics.csv");
    ASSERT_EQ(m.rows.size(), 2u);
    EXPECT_EQ(m.at(1, "step"), "3");
    EXPECT_TRUE(test::near_rel(std::stod(m.at(1, "train_loss")),
                               std::stod(runs.at(r, "train_loss")), 1e-15));
    EXPECT_NE(m.at(1, "train_loss"), m.at(0, "train_loss"));
  }
  const test::Csv agg = test::read_csv(plan.dir + "/aggregate.csv");
  ASSERT_EQ(agg.rows.size(), 2u);
  EXPECT_EQ(agg.header.back(), "final_step");
  for (std::size_t r = 0; r < agg.rows.size(); ++r) EXPECT_EQ(agg.at(r, "final_step"), "3");
}

TEST(FinalCheckpoint, SweepOverNumEpochsReportsEachRunAtItsOwnLastStep) {
  test::TempDir tmp;
  YAML::Node root = load_yaml_string(kBase, "sweep");
  apply_override(root, "num_epochs=[3, 15]");
  apply_override(root, "out_dir=" + (tmp / "out"));
  const SweepPlan plan = plan_sweep(sweep_kind("sweep"), root);
  execute_sweep(plan, quiet());
  merge_sweep(plan.dir);
  const test::Csv runs = test::read_csv(plan.dir + "/runs.csv");
  ASSERT_EQ(runs.rows.size(), 2u);
  for (std::size_t r = 0; r < runs.rows.size(); ++r)
    EXPECT_EQ(runs.at(r, "final_step"), runs.at(r, "num_epochs")) << "row " << r;
  const test::Csv fin = test::read_csv(plan.dir + "/final.csv");
  ASSERT_EQ(fin.rows.size(), 2u);
  for (std::size_t r = 0; r < fin.rows.size(); ++r)
    EXPECT_EQ(fin.at(r, "step"), fin.at(r, "num_epochs")) << "row " << r;
  // The per-step aggregate has a row at each run's last step (3, and 15 besides 10).
  const test::Csv agg = test::read_csv(plan.dir + "/aggregate.csv");
  std::vector<std::string> rows;
  for (std::size_t r = 0; r < agg.rows.size(); ++r)
    rows.push_back(agg.at(r, "num_epochs") + "@" + agg.at(r, "step"));
  const std::string got = [&] {
    std::string s;
    for (const auto& x : rows) s += x + " ";
    return s;
  }();
  EXPECT_EQ(got, "3@0 3@3 15@0 15@10 15@15 ");
}
