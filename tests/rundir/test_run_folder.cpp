// The reader of run and sweep folders (run_folder.hpp) on hand-written files: what it accepts,
// what it returns for a file that may be absent, and the one-line InputError naming the file
// (with row and column for a cell) for everything else.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "sih/base/types.hpp"
#include "sih/rundir/run_folder.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace sih;

namespace {

// The message of the InputError `f` throws; "" (and a test failure) when it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

TEST(RunFolder, AbsentFilesAreNullopt) {
  test::TempDir tmp;
  EXPECT_FALSE(read_folder_config(tmp.path()));
  EXPECT_FALSE(read_run_summary(tmp.path()));
  EXPECT_FALSE(read_sweep_runs(tmp.path(), nlohmann::json{{"swept", {"lr"}}}));
  // metrics.csv is never optional: a run folder always has one.
  EXPECT_EQ(error_of([&] { read_run_metrics(tmp.path()); }),
            tmp / "metrics.csv" + ": no such file (every run folder has one)");
}

TEST(RunFolder, Summary) {
  test::TempDir tmp;
  const std::string file = tmp / "summary.json";
  test::write_text(
      file, R"({"status": "diverged", "wall_time_s": 1.25, "final": {"step": 3, "lr": 0.5}})");
  const auto s = read_run_summary(tmp.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, RunStatus::kDiverged);
  EXPECT_EQ(s->wall_time_s, 1.25);
  EXPECT_EQ(s->final.at("lr").get<double>(), 0.5);

  test::write_text(file, R"({"status": "ok"})");
  EXPECT_EQ(read_run_summary(tmp.path())->status, RunStatus::kOk);
  EXPECT_TRUE(std::isnan(read_run_summary(tmp.path())->wall_time_s));

  const auto bad = [&](const std::string& text) {
    test::write_text(file, text);
    return error_of([&] { read_run_summary(tmp.path()); });
  };
  EXPECT_EQ(bad(R"({"status": "fine"})"),
            file + ": status \"fine\": not a run status (ok or diverged)");
  EXPECT_EQ(bad(R"({"steps": 3})"), file + ": no \"status\" (ok or diverged)");
  EXPECT_EQ(bad(R"([1, 2])"), file + ": not a JSON object");
  EXPECT_EQ(bad(R"({"status": "ok", "wall_time_s": "1 s"})"),
            file + ": wall_time_s \"1 s\": not a number");
  EXPECT_EQ(bad(R"({"status": "ok", "final": {"lr": "big"}})"),
            file + ": final.lr \"big\": not a number");
  EXPECT_EQ(bad(R"({"status": "o)").rfind(file + ": not valid JSON (", 0), 0u);
  fs::remove(file);
  fs::create_directories(file);
  EXPECT_EQ(error_of([&] { read_run_summary(tmp.path()); }),
            file + ": cannot be read: Is a directory");
}

TEST(RunFolder, Metrics) {
  test::TempDir tmp;
  const std::string file = tmp / "metrics.csv";
  test::write_text(file, "step,lr,train_loss\n0,0.5,\n\n1,0.5,0.25\r\n");
  const MetricsTable m = read_run_metrics(tmp.path());
  ASSERT_EQ(m.values.size(), 2u);
  EXPECT_EQ(m.value(1, m.col("step")), 1.0);
  EXPECT_EQ(m.value(1, m.col("train_loss")), 0.25);
  EXPECT_TRUE(std::isnan(m.value(0, m.col("train_loss"))));  // empty: not computed
  EXPECT_TRUE(std::isnan(m.value(0, m.col("no_such_column"))));
  EXPECT_EQ(m.csv.at(1, m.col("lr")), "0.5");

  const auto bad = [&](const std::string& text) {
    test::write_text(file, text);
    return error_of([&] { read_run_metrics(tmp.path()); });
  };
  EXPECT_EQ(bad("step,lr\n0,0.5\n1,half\n"), file + ": row 2, column lr: 'half' is not a number");
  EXPECT_EQ(bad("step,lr\n0,0.5\n,0.5\n"), file + ": row 2, column step: '' is not a number");
  EXPECT_EQ(bad("step,lr\n0,0.5\n1,0.5,7\n"), file + ": row 2: 3 cells, the header has 2");
  EXPECT_EQ(bad("step,lr\n0,0.5\n1\n"), file + ": row 2: 1 cells, the header has 2");
  EXPECT_EQ(bad("lr,loss\n0.5,1\n"), file + ": no column \"step\" in its header");
  EXPECT_EQ(bad(""), file + ": empty (no header line)");
  // A file that opens but whose read fails (the way test_cli_errors.cpp makes one).
  fs::remove(file);
  fs::create_symlink("/proc/self/mem", file);
  EXPECT_EQ(error_of([&] { read_run_metrics(tmp.path()); }),
            file + ": cannot be read: Input/output error");
}

TEST(RunFolder, SweepRunsFindColumnsByName) {
  test::TempDir tmp;
  const std::string file = tmp / "runs.csv";
  const nlohmann::json config = {{"swept", {"lr", "optimizer"}}};
  test::write_text(file,
                   "status,optimizer,run_id,wall_time_s,lr,repeat\n"
                   "ok,adam,a,0.5,0.1,0\n"
                   "diverged,sgd,b,,1,0\n");
  const auto s = read_sweep_runs(tmp.path(), config);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->axes, (std::vector<std::string>{"lr", "optimizer"}));
  EXPECT_EQ(s->axis_cols, (std::vector<int>{4, 1}));
  EXPECT_EQ(s->csv.at(1, s->id_col), "b");
  EXPECT_EQ(s->status, (std::vector<RunStatus>{RunStatus::kOk, RunStatus::kDiverged}));
  EXPECT_EQ(s->wall_s[0], 0.5);
  EXPECT_TRUE(std::isnan(s->wall_s[1]));

  test::write_text(file, "run_id,repeat,lr,status\na,0,0.1,ok\n");
  EXPECT_EQ(error_of([&] { read_sweep_runs(tmp.path(), config); }),
            file + ": no column \"optimizer\" in its header");
  test::write_text(file, "run_id,repeat,lr,optimizer,status\na,0,0.1,adam,done\n");
  EXPECT_EQ(error_of([&] { read_sweep_runs(tmp.path(), config); }),
            file + ": row 1, column status: 'done' is not a run status (ok or diverged)");
  EXPECT_EQ(error_of([&] {
              read_sweep_runs(tmp.path(), nlohmann::json{{"n", 1}});
            }),
            tmp / "config.json" + ": no \"swept\" list (not a sweep folder)");
}

}  // namespace
