// Planning scales with the grid: an axis of 10^5 values is planned in linear time (each run's
// config is built from a copy of the config without the axes' lists, duplicates are found by
// hashing), and --max-runs is compared with the product of the axis lengths before a single
// run is enumerated, without overflow for grids beyond 2^64.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sih/commands/cli.hpp"
#include "sih/config/config_input.hpp"
#include "sih/experiments/sweep.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
namespace test = sih::test;

namespace {

const char* const kBase = test::kTinyConfig;

// `key: [first, first + step, ...]` with `count` values.
std::string axis(const std::string& key, long count, double first, double step) {
  std::ostringstream s;
  s.precision(17);
  s << key << ": [";
  for (long i = 0; i < count; ++i) s << (i ? ", " : "") << first + step * static_cast<double>(i);
  s << "]\n";
  return s.str();
}

struct Result {
  int status;
  std::string out, err;
  double seconds;
};

Result sih_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const auto start = std::chrono::steady_clock::now();
  const int status = sih::run_cli(args, out, err);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {status, out.str(), err.str(), seconds};
}

class SweepPlanning : public ::testing::Test {
 protected:
  test::TempDir tmp_;
  const std::string cfg_ = tmp_ / "sweep.yml";
  const std::string out_ = tmp_ / "out";
};

TEST_F(SweepPlanning, AxisOfAHundredThousandValuesIsPlannedInLinearTime) {
  test::write_text(cfg_, std::string(kBase) + axis("lr", 100000, 1e-4, 1e-4));
  const Result r =
      sih_cli({"sweep", cfg_, "--dry-run", "--max-runs", "100000", "--set", "out_dir=" + out_});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(": 100000 runs = lr (100000) x repeat 1\n"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out_));
  // Quadratic planning took minutes at 10^4 values, so hours at 10^5; linear takes 5-8 s at 10^5
  // on a loaded 2-core machine, and 50-80 s under ASan + UBSan (scripts/test-sanitize.sh sets
  // SIH_SANITIZED), which gets a bound ten times wider.
  const char* sanitized = std::getenv("SIH_SANITIZED");
  const double limit = sanitized && std::string(sanitized) == "1" ? 600.0 : 60.0;
  EXPECT_LT(r.seconds, limit) << "limit " << limit << " s";
  std::cerr << "planned 100000 runs in " << r.seconds << " s\n";
}

TEST_F(SweepPlanning, MaxRunsRefusesAGridOfABillionBeforeEnumeratingIt) {
  test::write_text(cfg_, std::string(kBase) + axis("lr", 1000, 1e-3, 1e-3) +
                             axis("label_noise_std", 1000, 0, 1e-3) +
                             axis("reg_lambda", 1000, 0, 1e-3));
  const Result r = sih_cli({"sweep", cfg_, "--max-runs", "1000000", "--set", "out_dir=" + out_});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "sih: error: sweep: 1000000000 runs (1000000000 grid points x repeat 1): more than "
            "--max-runs 1000000 (raise it to run them all)\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(out_));
  EXPECT_LT(r.seconds, 10.0);
}

TEST_F(SweepPlanning, GridBeyondSixtyFourBitsIsCountedWithoutWrappingAround) {
  // 1000^7 = 10^21 runs: a 64-bit product would wrap around to a small number.
  test::write_text(cfg_, std::string("n: 40\nn_test: 10\nlightweight: true\n") +
                             axis("lr", 1000, 1e-3, 1e-3) + axis("label_noise_std", 1000, 0, 1e-3) +
                             axis("reg_lambda", 1000, 0, 1e-3) +
                             axis("weight_decay", 1000, 0, 1e-3) + axis("num_epochs", 1000, 1, 1) +
                             axis("d", 1000, 1, 1) + axis("h", 1000, 1, 1));
  const Result r = sih_cli({"sweep", cfg_, "--dry-run", "--set", "out_dir=" + out_});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "sih: error: sweep: 1e+21 runs (1e+21 grid points x repeat 1): more than --max-runs "
            "10000 (raise it to run them all)\n");
  EXPECT_LT(r.seconds, 10.0);
}

TEST_F(SweepPlanning, MaxRunsItselfIsBounded) {
  test::write_text(cfg_, std::string(kBase) + axis("lr", 2, 0.1, 0.1));
  const Result r = sih_cli({"sweep", cfg_, "--max-runs", "2000000000", "--set", "out_dir=" + out_});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "sih: error: --max-runs: 2000000000: must be <= 1000000 (a plan holds every run in "
            "memory; split a larger study into several sweeps)\n");
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(SweepPlanning, WorkersNeverOutnumberRuns) {
  test::write_text(cfg_, std::string(kBase) + axis("lr", 2, 0.1, 0.1));
  // The sweep's own progress lines go to the process's stderr.
  ::testing::internal::CaptureStderr();
  const Result r = sih_cli({"sweep", cfg_, "--jobs", "64", "--set", "out_dir=" + out_});
  const std::string log = ::testing::internal::GetCapturedStderr() + r.err;
  ASSERT_EQ(r.status, 0) << log;
  EXPECT_NE(log.find(": 2 runs, 2 in this shard, 0 already complete; 2 parallel x "),
            std::string::npos)
      << log;
}

}  // namespace

// `sweep_together: [d, h, n]`: one axis d whose i-th value carries the i-th h and n (h/d and
// n/d fixed), crossed with the other axes; bad lists are refused naming the key and the rule.
TEST_F(SweepPlanning, ListsSweptTogetherAreOneAxis) {
  const std::string base =
      "n_test: 10\nnum_epochs: 1\nprobe_freq_steps: 1\nlightweight: true\nprecision: float64\n";
  test::write_text(cfg_, base +
                             "d: [8, 16, 32]\nh: [12, 24, 48]\nn: [16, 32, 64]\n"
                             "sweep_together: [d, h, n]\nlr: [0.1, 1]\n");
  const Result r = sih_cli({"sweep", cfg_, "--dry-run", "--set", "out_dir=" + out_});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(": 6 runs = d (3) x lr (2) x repeat 1\n"), std::string::npos) << r.out;
  const YAML::Node root = sih::load_yaml_string(test::read_text(cfg_), "test");
  const sih::SweepPlan plan = sih::plan_sweep(sih::sweep_kind("sweep"), root);
  ASSERT_EQ(plan.runs.size(), 6u);
  EXPECT_EQ(plan.swept, (std::vector<std::string>{"d", "lr"}));
  for (const auto& run : plan.runs) {
    EXPECT_EQ(run.config.h * 2, run.config.d * 3) << run.id;
    EXPECT_EQ(run.config.n, run.config.d * 2) << run.id;
    EXPECT_FALSE(run.coords.contains("h"));
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"d: [8, 16]\nh: [12]\nsweep_together: [d, h]\n",
       "h: [12]: has 1 values, d has 2: lists swept together must have equal lengths"},
      {"d: [8, 16]\nh: 12\nsweep_together: [d, h]\n",
       "sweep_together: [d, h]: h: must be a list in the config"},
      {"d: [8, 16]\nsweep_together: [d]\n", "sweep_together: [d]: must be a list of two or more"},
      {"d: [8, 16]\nh: [12, 24]\nsweep_together: [d, h, d]\n", "d appears twice"},
  };
  for (const auto& [yaml, expected] : bad) {
    test::write_text(cfg_, base + "n: 40\n" + yaml);
    const Result b = sih_cli({"sweep", cfg_, "--dry-run", "--set", "out_dir=" + out_});
    EXPECT_EQ(b.status, 2) << yaml;
    EXPECT_NE(b.err.find(expected), std::string::npos) << yaml << ": " << b.err;
  }
}
