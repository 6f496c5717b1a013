// Sweeps at small sizes: grouping, shared-vs-fresh teacher/student/data semantics (docs/MODEL.md
// §6), mean/std against a hand computation from runs.csv, resume, and shard-merge equality.
#include <nlohmann/json.hpp>

#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/experiments/run.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {

const char* kSmall = R"(
L: 2
n: 60
batch_size: 60
n_test: 30
batch_size_test: 30
h: 24
d: 16
label_noise_std: 0.3
optimizer: [sgd, adam]
momentum: 0
weight_decay: 0
lr: [0.1, 1]
reg_lambda: 0.01
enable_weight_normalization: false
num_epochs: 4
probe_freq_steps: 2
lightweight: true
probe_weights: true
plot_overlaps: false
probe_features: true
fix_last_layer: true
enable_ww: false
repeat: 3
save_weights: true
precision: float64
)";

YAML::Node small(const std::string& out_dir, const std::vector<std::string>& sets = {}) {
  YAML::Node root = load_yaml_string(kSmall, "test");
  apply_override(root, "out_dir=" + out_dir);
  for (const auto& s : sets) apply_override(root, s);
  return root;
}

using test::Csv;
using test::read_csv;

SweepOptions quiet_options() {
  SweepOptions o;
  o.quiet = true;
  return o;
}

std::string run_dir(const SweepPlan& plan, std::size_t i) {
  return plan.dir + "/runs/" + plan.runs[i].id;
}

MatD W0_of(const SweepPlan& plan, std::size_t i) {
  return read_array(run_dir(plan, i) + "/weights/step0_W.npy");
}

}  // namespace

TEST(Sweep, BulkLrGroupsAndSharesTheStartPerRepeat) {
  test::TempDir tmp;
  const SweepPlan plan = plan_sweep(sweep_kind("bulk-lr"), small(tmp.path()));
  ASSERT_EQ(plan.runs.size(), 3u * 2u * 2u);
  execute_sweep(plan, quiet_options());
  const MergeOutcome m = merge_sweep(plan.dir);
  EXPECT_EQ(m.complete, 12);
  EXPECT_EQ(m.missing, 0);

  // Within a repeat every (optimizer, lr) starts from the same W0; across repeats W0 differs.
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    for (std::size_t j = i + 1; j < plan.runs.size(); ++j) {
      const bool same_repeat = plan.runs[i].repeat == plan.runs[j].repeat;
      const double diff = (W0_of(plan, i) - W0_of(plan, j)).cwiseAbs().maxCoeff();
      if (same_repeat)
        EXPECT_EQ(diff, 0.0) << "runs " << i << " and " << j << " (same repeat)";
      else
        EXPECT_GT(diff, 0.1) << "runs " << i << " and " << j << " (different repeats)";
    }
  }

  // aggregate.csv: one row per (optimizer, lr); mean and population std of runs.csv by hand.
  const Csv runs = read_csv(plan.dir + "/runs.csv");
  const Csv agg = read_csv(plan.dir + "/aggregate.csv");
  ASSERT_EQ(runs.rows.size(), 12u);
  ASSERT_EQ(agg.rows.size(), 4u);
  // Each run's wall time is summary.json's double exactly: no float on the way rounds it.
  for (std::size_t r = 0; r < runs.rows.size(); ++r) {
    const auto summary = nlohmann::json::parse(
        test::read_text(plan.dir + "/runs/" + runs.at(r, "run_id") + "/summary.json"));
    EXPECT_EQ(std::stod(runs.at(r, "wall_time_s")), summary.at("wall_time_s").get<double>())
        << runs.at(r, "run_id");
  }
  for (std::size_t g = 0; g < agg.rows.size(); ++g) {
    EXPECT_EQ(agg.at(g, "runs_used"), "3");
    for (const char* metric :
         {"train_loss", "val_loss", "kta", "w_beta_alignment", "alpha_hill", "alpha_mle_ks"}) {
      std::vector<double> v;
      for (std::size_t r = 0; r < runs.rows.size(); ++r)
        if (runs.at(r, "optimizer") == agg.at(g, "optimizer") &&
            runs.at(r, "lr") == agg.at(g, "lr"))
          v.push_back(std::stod(runs.at(r, metric)));
      ASSERT_EQ(v.size(), 3u);
      const double mean = (v[0] + v[1] + v[2]) / 3;
      const double sd = std::sqrt(((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean) +
                                   (v[2] - mean) * (v[2] - mean)) /
                                  3);
      EXPECT_TRUE(test::near_rel(mean, std::stod(agg.at(g, std::string(metric) + "_mean")), 1e-13))
          << metric;
      EXPECT_TRUE(
          test::near_rel(sd, std::stod(agg.at(g, std::string(metric) + "_std")), 1e-9, 1e-15))
          << metric;
    }
  }
}

TEST(Sweep, BulkLossesRegLambdaSharesDataAndStudentAcrossValues) {
  test::TempDir tmp;
  const SweepPlan plan =
      plan_sweep(sweep_kind("bulk-losses"),
                 small(tmp.path(), {"varying_param=reg_lambda", "optimizer=adam", "lr=1",
                                    "reg_lambda=[0.1, 0.01, 0.001]", "repeat=2"}));
  ASSERT_EQ(plan.runs.size(), 6u);
  execute_sweep(plan, quiet_options());
  merge_sweep(plan.dir);
  const Csv agg = read_csv(plan.dir + "/aggregate.csv");
  EXPECT_EQ(agg.rows.size(), 3u * 3u);  // 3 values x checkpoints at steps 0, 2, 4
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    for (std::size_t j = i + 1; j < plan.runs.size(); ++j) {
      const Csv mi = read_csv(run_dir(plan, i) + "/metrics.csv");
      const Csv mj = read_csv(run_dir(plan, j) + "/metrics.csv");
      const bool same_repeat = plan.runs[i].repeat == plan.runs[j].repeat;
      const double diff = (W0_of(plan, i) - W0_of(plan, j)).cwiseAbs().maxCoeff();
      if (same_repeat) {
        // Same teacher, student and data: identical W trajectory (the ridge does not feed
        // back into training) and identical KTA; only the ridge-dependent losses differ.
        EXPECT_EQ(diff, 0.0);
        EXPECT_EQ(mi.at(2, "kta"), mj.at(2, "kta"));
        EXPECT_NE(mi.at(2, "train_loss"), mj.at(2, "train_loss"));
      } else {
        EXPECT_GT(diff, 0.1);
      }
    }
  }
}

TEST(Sweep, BulkLossesVaryNHasFreshTeacherPerValueAndFreshDataPerRepeat) {
  test::TempDir tmp;
  const SweepPlan plan = plan_sweep(
      sweep_kind("bulk-losses"),
      small(tmp.path(), {"varying_param=n", "optimizer=adam", "lr=1", "n=[40, 80]", "repeat=2"}));
  ASSERT_EQ(plan.runs.size(), 4u);
  for (const auto& r : plan.runs)
    EXPECT_EQ(r.config.batch_size, r.config.n);  // full batch follows n
  execute_sweep(plan, quiet_options());
  // Runs 0,1: n=40 repeats 0,1; runs 2,3: n=80.
  EXPECT_EQ((W0_of(plan, 0) - W0_of(plan, 1)).cwiseAbs().maxCoeff(), 0.0);  // same student
  EXPECT_GT((W0_of(plan, 0) - W0_of(plan, 2)).cwiseAbs().maxCoeff(), 0.1);  // fresh per value
  EXPECT_NE(plan.runs[0].seeds.data, plan.runs[1].seeds.data);              // fresh data
  EXPECT_EQ(plan.runs[0].seeds.teacher, plan.runs[1].seeds.teacher);
  EXPECT_NE(plan.runs[0].seeds.teacher, plan.runs[2].seeds.teacher);
  const Csv m0 = read_csv(run_dir(plan, 0) + "/metrics.csv");
  const Csv m1 = read_csv(run_dir(plan, 1) + "/metrics.csv");
  EXPECT_NE(m0.at(0, "train_loss"), m1.at(0, "train_loss"));
}

TEST(Sweep, ResumeAfterDeletingOneRunAndShardMergeEquality) {
  test::TempDir a, b;
  const YAML::Node cfg = small(a.path(), {"repeat=2"});
  const SweepPlan plan = plan_sweep(sweep_kind("bulk-lr"), cfg);
  execute_sweep(plan, quiet_options());
  merge_sweep(plan.dir);
  const std::string agg_full = test::read_text(plan.dir + "/aggregate.csv");
  const std::string runs_full = test::read_text(plan.dir + "/runs.csv");

  // Resume: delete one run folder; a re-run executes exactly that run.
  std::filesystem::remove_all(run_dir(plan, 3));
  EXPECT_EQ(merge_sweep(plan.dir).missing, 1);
  const SweepOutcome resumed = execute_sweep(plan, quiet_options());
  EXPECT_EQ(resumed.executed, 1);
  EXPECT_EQ(resumed.skipped, 7);
  merge_sweep(plan.dir);
  EXPECT_EQ(test::read_text(plan.dir + "/aggregate.csv"), agg_full);

  // Shards: same sweep id whatever the shard; 1/3..3/3 into another folder, one job each
  // (so each run gets all cores, unlike the unsharded sweep), merged = unsharded aggregate.
  const SweepPlan plan_b = plan_sweep(sweep_kind("bulk-lr"), small(b.path(), {"repeat=2"}));
  EXPECT_EQ(plan_b.id, plan.id);
  long executed = 0;
  for (long k = 1; k <= 3; ++k) {
    SweepOptions o = quiet_options();
    o.shard = {k, 3};
    o.jobs = 1;
    executed += execute_sweep(plan_b, o).executed;
  }
  EXPECT_EQ(executed, 8);
  const MergeOutcome m = merge_sweep(plan_b.dir);
  EXPECT_EQ(m.missing, 0);
  EXPECT_EQ(test::read_text(plan_b.dir + "/aggregate.csv"), agg_full);
}

TEST(Sweep, ConfigErrorsBeforeAnyRun) {
  test::TempDir tmp;
  struct Case {
    std::string kind;
    std::vector<std::string> sets;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"bulk-lr", {"n=[60, 80]"}, "n: [60, 80]: sih bulk-lr only sweeps over optimizer, lr"},
      {"bulk-lr", {"lr=[]"}, "lr: []: must be a non-empty list"},
      {"bulk-lr", {"lr=[0.1, 0.1]"}, "lr: [0.1, 0.1]: duplicate value 0.1"},
      {"bulk-lr", {"lr=[0.1, -1]"}, "lr: -1: must be > 0"},
      {"bulk-lr", {"optimizer=[sgd, lion]"}, "optimizer: 'lion'"},
      {"bulk-losses", {"optimizer=adam", "lr=1"}, "varying_param: missing"},
      {"bulk-losses",
       {"optimizer=adam", "lr=1", "varying_param=momentum"},
       "varying_param: 'momentum': must be one of n, label_noise_std, reg_lambda, gamma"},
      {"bulk-losses",
       {"optimizer=adam", "lr=1", "varying_param=reg_lambda"},
       "varying_param: 'reg_lambda': reg_lambda must be a list of values, got 0.01"},
      {"bulk-losses",
       {"optimizer=adam", "lr=[1, 2]", "varying_param=n", "n=[40, 80]"},
       "lr: [1, 2]: sih bulk-losses only sweeps over n"},
      {"bulk-losses",
       {"optimizer=adam", "lr=1", "varying_param=gamma", "lr_scheduler_kwargs.gamma=[0.5, 0.6]"},
       "needs lr_scheduler_cls: StepLR"},
  };
  for (const auto& c : cases) {
    try {
      plan_sweep(sweep_kind(c.kind), small(tmp.path(), c.sets));
      ADD_FAILURE() << "no error for " << ::testing::PrintToString(c.sets);
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos)
          << "expected fragment: " << c.fragment << "\nactual: " << e.what();
    }
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));  // nothing written
  for (const char* bad : {"0/2", "3/2", "1", "a/b", "1/0", "-1/2", "1/2/3", ""})
    EXPECT_THROW(parse_shard(bad), InputError) << bad;
  EXPECT_EQ(parse_shard("2/4").index, 2);
}

// bulk-lr runs of one repeat share the data set and the step-0 checkpoint (computed once);
// each run's files must be exactly those of the same run computed on its own.
TEST(Sweep, SharedStartGivesTheSameFilesAsAStandaloneRun) {
  test::TempDir tmp, alone;
  const SweepPlan plan =
      plan_sweep(sweep_kind("bulk-lr"), small(tmp.path(), {"save_weights=false", "repeat=1"}));
  ASSERT_FALSE(start_key(plan.runs[0].config, plan.runs[0].seeds).empty());
  EXPECT_EQ(start_key(plan.runs[0].config, plan.runs[0].seeds),
            start_key(plan.runs[3].config, plan.runs[3].seeds));
  execute_sweep(plan, quiet_options());
  int shared = 0;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    if (test::read_text(run_dir(plan, i) + "/run.log").find("checkpoint shared") !=
        std::string::npos)
      ++shared;
    RunRequest req;
    req.config = plan.runs[i].config;
    req.seeds = plan.runs[i].seeds;
    req.out_parent = alone.path();
    req.quiet = true;
    req.progress = false;
    const RunOutcome out = run_experiment(req);
    for (const char* f : {"metrics.csv", "init_pc_beta_alignment.csv"})
      EXPECT_EQ(test::read_text(out.dir + "/" + f), test::read_text(run_dir(plan, i) + "/" + f))
          << f << " of run " << i;
  }
  EXPECT_EQ(shared, 3);  // 4 runs from one start: one computes, three reuse
}
