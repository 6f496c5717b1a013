// One exit-code policy across the commands that read run and sweep folders: a file that is
// unreadable or malformed (a non-numeric metrics.csv cell, a truncated summary.json, a missing
// metrics.csv, a bad runs.csv) is bad input, exit 2, with one line on stderr that names the
// file, whichever command reads it: merge, report, plot, the claims of reproduce, run reusing a
// finished folder, and analyze on a garbage .npy. Merge also counts such a run as missing, never as
// merged. Every case runs through sih::run_cli in-process on a copy of small real folders.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sih/base/types.hpp"
#include "sih/commands/cli.hpp"
#include "sih/config/config_input.hpp"
#include "sih/experiments/claims.hpp"
#include "sih/experiments/sweep.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace sih;

namespace {

const char* kSmall =
    "n: 40\n"
    "d: 8\n"
    "h: 10\n"
    "n_test: 10\n"
    "num_epochs: 2\n"
    "probe_freq_steps: 1\n"
    "lightweight: true\n"
    "precision: float64\n"
    "threads: 1\n";

using test::cli;
using test::CliResult;

// Exit 2 and exactly one stderr line, `sih: error: ` followed by a message naming `file`.
void expect_bad_input(const CliResult& r, const std::string& file, const std::string& what = "") {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("sih: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << "the message names " << file << ": " << r.err;
  if (!what.empty()) {
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  }
}

// Replaces the cell of data row `row` (0-based) in column `col` of a CSV file.
void set_cell(const std::string& path, std::size_t row, const std::string& col,
              const std::string& text) {
  test::Csv c = test::read_csv(path);
  const auto it = std::find(c.header.begin(), c.header.end(), col);
  ASSERT_NE(it, c.header.end()) << col;
  c.rows.at(row).at(static_cast<std::size_t>(it - c.header.begin())) = text;
  std::string s;
  for (std::size_t i = 0; i < c.header.size(); ++i) s += (i ? "," : "") + c.header[i];
  s += "\n";
  for (const auto& r : c.rows) {
    for (std::size_t i = 0; i < r.size(); ++i) s += (i ? "," : "") + r[i];
    s += "\n";
  }
  test::write_text(path, s);
}

void truncate_half(const std::string& path) {
  const std::string text = test::read_text(path);
  ASSERT_GT(text.size(), 10u);
  test::write_text(path, text.substr(0, text.size() / 2));
}

// A placeholder figure: a folder with a PNG is reported without drawing (gnuplot not needed).
void fake_plots(const std::string& dir) {
  fs::create_directories(dir + "/plots");
  test::write_text(dir + "/plots/losses.png", "png");
}

// One small run and one small two-run sweep, made once; each test works on its own copy.
class ExitPolicy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pristine_ = new test::TempDir();
    run_ = test::run_from_yaml(kSmall, pristine_->path() + "/runs").dir;
    YAML::Node root = load_yaml_string(std::string(kSmall) + "lr: [0.1, 1]\n", "test");
    apply_override(root, "out_dir=" + pristine_->path() + "/sweeps");
    const SweepPlan plan = plan_sweep(sweep_kind("sweep"), root);
    SweepOptions o;
    o.quiet = true;
    execute_sweep(plan, o);
    merge_sweep(plan.dir);
    sweep_ = plan.dir;
    for (const PlannedRun& r : plan.runs) run_ids_.push_back(r.id);
  }
  static void TearDownTestSuite() {
    delete pristine_;
    pristine_ = nullptr;
  }

  // A fresh copy of the run or sweep folder.
  std::string copy_of(const std::string& src) {
    const std::string dst = tmp_ / fs::path(src).filename().string();
    fs::copy(src, dst, fs::copy_options::recursive);
    return dst;
  }

  static test::TempDir* pristine_;
  static std::string run_, sweep_;
  static std::vector<std::string> run_ids_;
  test::TempDir tmp_;
};

test::TempDir* ExitPolicy::pristine_ = nullptr;
std::string ExitPolicy::run_, ExitPolicy::sweep_;
std::vector<std::string> ExitPolicy::run_ids_;

TEST_F(ExitPolicy, TheFixturesAreGood) {
  ASSERT_EQ(run_ids_.size(), 2u);
  const test::Csv runs = test::read_csv(sweep_ + "/runs.csv");
  ASSERT_EQ(runs.rows.size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) EXPECT_EQ(runs.at(r, "status"), "ok");
  const std::string run = copy_of(run_);
  fake_plots(run);
  const CliResult r = cli({"report", run});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string sweep = copy_of(sweep_);
  const CliResult m = cli({"merge", sweep});
  EXPECT_EQ(m.status, 0) << m.err;
}

// ---- merge: the run with the bad file is missing, the others merged, exit 2 ----

void expect_merged_without(const std::string& sweep, const std::string& bad_id,
                           const std::string& good_id) {
  const test::Csv runs = test::read_csv(sweep + "/runs.csv");
  ASSERT_EQ(runs.rows.size(), 1u) << test::read_text(sweep + "/runs.csv");
  EXPECT_EQ(runs.at(0, "run_id"), good_id);
  EXPECT_EQ(test::read_text(sweep + "/runs.csv").find(bad_id), std::string::npos);
}

TEST_F(ExitPolicy, MergeNonNumericMetricsCell) {
  const std::string sweep = copy_of(sweep_);
  const std::string file = sweep + "/runs/" + run_ids_[0] + "/metrics.csv";
  set_cell(file, 1, "train_loss", "abc");
  const CliResult r = cli({"merge", sweep});
  expect_bad_input(r, file, "row 2, column train_loss: 'abc' is not a number");
  EXPECT_NE(r.err.find("merged 1/2 runs; 1 unreadable counted as missing"), std::string::npos)
      << r.err;
  expect_merged_without(sweep, run_ids_[0], run_ids_[1]);
}

TEST_F(ExitPolicy, MergeTruncatedSummary) {
  const std::string sweep = copy_of(sweep_);
  const std::string file = sweep + "/runs/" + run_ids_[1] + "/summary.json";
  truncate_half(file);
  expect_bad_input(cli({"merge", sweep}), file, "not valid JSON");
  expect_merged_without(sweep, run_ids_[1], run_ids_[0]);
}

TEST_F(ExitPolicy, MergeMissingMetrics) {
  const std::string sweep = copy_of(sweep_);
  const std::string file = sweep + "/runs/" + run_ids_[0] + "/metrics.csv";
  fs::remove(file);
  expect_bad_input(cli({"merge", sweep}), file);
  expect_merged_without(sweep, run_ids_[0], run_ids_[1]);
}

TEST_F(ExitPolicy, MergeUnknownStatus) {
  const std::string sweep = copy_of(sweep_);
  const std::string file = sweep + "/runs/" + run_ids_[0] + "/summary.json";
  std::string text = test::read_text(file);
  const std::size_t at = text.find("\"ok\"");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 4, "\"fine\"");
  test::write_text(file, text);
  expect_bad_input(cli({"merge", sweep}), file, "\"fine\": not a run status");
  expect_merged_without(sweep, run_ids_[0], run_ids_[1]);
}

// ---- sih run: a finished run is reused through its summary.json ----

TEST_F(ExitPolicy, RunReusingATruncatedSummary) {
  const std::string parent = tmp_ / "runs";
  fs::create_directories(parent);
  const std::string run = parent + "/" + fs::path(run_).filename().string();
  fs::copy(run_, run, fs::copy_options::recursive);
  const std::string cfg = tmp_ / "run.yml";
  test::write_text(cfg, kSmall);
  const std::string file = run + "/summary.json";
  truncate_half(file);
  const std::vector<std::string> args = {"run", cfg, "--set", "out_dir=" + parent, "--quiet"};
  expect_bad_input(cli(args), file, "not valid JSON");
  // --force does not read the old folder: it recomputes the run.
  std::vector<std::string> forced = args;
  forced.push_back("--force");
  const CliResult r = cli(forced);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, run + "\n");
  EXPECT_EQ(nlohmann::json::parse(test::read_text(file)).at("status"), "ok");
}

// ---- report and plot of a run folder ----

TEST_F(ExitPolicy, ReportAndPlotNonNumericMetricsCell) {
  const std::string run = copy_of(run_);
  const std::string file = run + "/metrics.csv";
  set_cell(file, 2, "val_loss", "1.5x");
  expect_bad_input(cli({"plot", run}), file, "row 3, column val_loss: '1.5x' is not a number");
  fake_plots(run);
  expect_bad_input(cli({"report", run}), file, "row 3, column val_loss");
  EXPECT_FALSE(fs::exists(run + "/report.html"));
}

TEST_F(ExitPolicy, ReportTruncatedSummary) {
  const std::string run = copy_of(run_);
  const std::string file = run + "/summary.json";
  truncate_half(file);
  fake_plots(run);
  expect_bad_input(cli({"report", run}), file, "not valid JSON");
  EXPECT_FALSE(fs::exists(run + "/report.html"));
}

TEST_F(ExitPolicy, ReportAndPlotMissingMetrics) {
  const std::string run = copy_of(run_);
  fs::remove(run + "/metrics.csv");
  expect_bad_input(cli({"plot", run}), "metrics.csv");
  fake_plots(run);
  expect_bad_input(cli({"report", run}), "metrics.csv");
}

TEST_F(ExitPolicy, ReportSweepBadRunsCsv) {
  const std::string sweep = copy_of(sweep_);
  const std::string file = sweep + "/runs.csv";
  set_cell(file, 0, "status", "bogus");
  fake_plots(sweep);
  expect_bad_input(cli({"report", sweep}), file, "row 1, column status: 'bogus'");
  set_cell(file, 0, "status", "ok");
  set_cell(file, 1, "wall_time_s", "soon");
  expect_bad_input(cli({"report", sweep}), file, "row 2, column wall_time_s: 'soon'");
}

// ---- the claims: a sweep's table read for the claims, and reproduce through the CLI ----

TEST_F(ExitPolicy, ClaimsTableOfASweepNamesTheBadFile) {
  const std::string sweep = copy_of(sweep_);
  const std::string file = sweep + "/runs/" + run_ids_[1] + "/metrics.csv";
  set_cell(file, 0, "alpha_hill", "n/a");
  try {
    load_experiment_table(sweep);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file + ": row 1, column alpha_hill: 'n/a' is not a number"),
              std::string::npos)
        << msg;
  }
}

TEST_F(ExitPolicy, ReproduceReusedRunWithBadMetrics) {
  const std::string configs = tmp_ / "paper", out = tmp_ / "rep";
  fs::create_directories(configs);
  test::write_text(configs + "/01_tiny.yml",
                   std::string("reproduce:\n"
                               "  title: tiny\n"
                               "  about: a tiny run\n"
                               "  claims:\n"
                               "    - says: the lr is what the config says\n"
                               "      value: lr@0\n"
                               "      holds_if: \"within 1.0000001\"\n"
                               "      source: {inference: \"from the config\"}\n") +
                       kSmall + "lr: 1\n");
  const CliResult first = cli({"reproduce", "--configs", configs, "--out", out});
  ASSERT_EQ(first.status, 0) << first.err;
  std::string run;
  for (const auto& e : fs::directory_iterator(out + "/tiny")) run = e.path().string();
  const std::string file = run + "/metrics.csv";
  set_cell(file, 0, "lr", "one");
  const CliResult r = cli({"reproduce", "--configs", configs, "--out", out});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("tiny: failed: " + file + ": row 1, column lr: 'one' is not a number"),
            std::string::npos)
      << r.err;
}

// ---- analyze ----

TEST_F(ExitPolicy, AnalyzeGarbageNpy) {
  const std::string file = tmp_ / "garbage.npy";
  test::write_text(file, "this is not a numpy file at all");
  expect_bad_input(cli({"analyze", file, "--quiet"}), file);
}

}  // namespace
