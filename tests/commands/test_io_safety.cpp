// Inputs that are not regular files (FIFOs, devices) are refused before they are opened, no
// command writes over its inputs or over a file it did not create, and a pending signal stops
// analyze and sweep planning with nothing written. Each case runs `sih` in-process.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sih/base/interrupt.hpp"
#include "sih/commands/cli.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

const char* kConfig =
    "n: 40\n"
    "d: 8\n"
    "h: 12\n"
    "n_test: 10\n"
    "num_epochs: 1\n"
    "probe_freq_steps: 1\n"
    "lightweight: true\n"
    "precision: float64\n";

struct Cli {
  int status;
  std::string out, err;
};

Cli cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = run_cli(args, out, err);
  return {status, out.str(), err.str()};
}

// A 20 x 12 matrix as .npy: enough eigenvalues for analyze.
void write_matrix(const std::string& path) {
  MatD m(20, 12);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = std::sin(1.0 + static_cast<double>(i));
  write_npy(path, m);
}

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// ---- not regular files ----------------------------------------------------------------------

TEST(NonRegularInputs, AFifoAsAnalyzeInputIsRefusedWithoutBlocking) {
  TempDir tmp;
  const std::string fifo = tmp / "w.npy";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Cli r = cli({"analyze", fifo});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err, "sih: error: " + fifo + ": not a regular file (a FIFO)\n");
  EXPECT_EQ(r.out, "");
}

TEST(NonRegularInputs, ADeviceAsAnalyzeInputIsRefused) {
  TempDir tmp;
  for (const char* ext : {".npy", ".csv", ".safetensors"}) {
    const std::string link = tmp / (std::string("zero") + ext);
    fs::create_symlink("/dev/zero", link);
    const Cli r = cli({"analyze", link});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err, "sih: error: " + link + ": not a regular file (a character device)\n");
  }
}

TEST(NonRegularInputs, AFifoAsConfigIsRefused) {
  TempDir tmp;
  const std::string fifo = tmp / "config.yml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const char* cmd : {"run", "config", "bulk-lr"}) {
    const Cli r = cli({cmd, fifo});
    EXPECT_EQ(r.status, 2) << cmd << ": " << r.err;
    EXPECT_EQ(r.err, "sih: error: " + fifo + ": not a regular file (a FIFO)\n") << cmd;
  }
  const std::string dev = tmp / "dev.yml";
  fs::create_symlink("/dev/zero", dev);
  const Cli r = cli({"run", dev});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err, "sih: error: " + dev + ": not a regular file (a character device)\n");
}

TEST(NonRegularInputs, AFifoInARunFolderIsRefusedByName) {
  TempDir tmp;
  test::write_text(tmp / "config.yml", kConfig);
  const Cli run = cli({"run", tmp / "config.yml", "--quiet", "--set", "out_dir=" + (tmp / "out")});
  ASSERT_EQ(run.status, 0) << run.err;
  const std::string dir = run.out.substr(0, run.out.find('\n'));
  for (const char* file : {"config.json", "summary.json", "metrics.csv"}) {
    const std::string path = dir + "/" + file;
    const std::string saved = test::read_text(path);
    fs::remove(path);
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    for (const std::string cmd : {"plot", "report"}) {
      if (cmd == "plot" && std::string(file) == "summary.json") continue;  // plot does not read it
      const Cli r = cli({cmd, dir});
      EXPECT_EQ(r.status, 2) << cmd << " " << file << ": " << r.err;
      EXPECT_NE(r.err.find(path + ": "), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("(a FIFO)"), std::string::npos) << r.err;
    }
    fs::remove(path);
    test::write_text(path, saved);
  }
}

// ---- outputs onto inputs --------------------------------------------------------------------

TEST(OutputOntoInput, AnalyzeOutThatIsTheInputIsRefused) {
  TempDir tmp;
  const std::string g = tmp / "g.npy";
  write_matrix(g);
  const std::string before = test::read_text(g);
  fs::create_symlink(g, tmp / "link.npy");
  fs::create_hard_link(g, tmp / "hard.npy");
  for (const std::string& out : {g, tmp / "./g.npy", tmp / "link.npy", tmp / "hard.npy"}) {
    const Cli r = cli({"analyze", g, "--out", out});
    EXPECT_EQ(r.status, 2) << out << ": " << r.err;
    EXPECT_EQ(r.err, "sih: error: --out: " + out + ": is the input " + g +
                         "; sih does not write over its inputs\n");
    EXPECT_EQ(test::read_text(g), before) << "the input was changed";
  }
  // Another file is fine.
  const Cli ok = cli({"analyze", g, "--quiet", "--out", tmp / "table.csv"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_TRUE(fs::is_regular_file(tmp / "table.csv"));
}

TEST(OutputOntoInput, AnalyzeOfARunFolderRefusesOutputsIntoItsWeights) {
  TempDir tmp;
  const std::string run = tmp / "run";
  fs::create_directories(run + "/weights");
  write_matrix(run + "/weights/step0_W.npy");
  const std::vector<std::string> before = listing(run);
  const Cli out = cli({"analyze", run, "--out", run + "/weights/step0_W.npy"});
  EXPECT_EQ(out.status, 2) << out.err;
  EXPECT_NE(out.err.find("sih does not write over its inputs"), std::string::npos) << out.err;
  const Cli plot = cli({"analyze", run, "--plot", run + "/weights"});
  EXPECT_EQ(plot.status, 2) << plot.err;
  EXPECT_EQ(plot.err, "sih: error: --plot: " + run + "/weights: is the input " + run +
                          "/weights; sih does not write over its inputs\n");
  EXPECT_EQ(listing(run), before);
}

TEST(OutputOntoInput, ReproduceOutThatIsAFileOrTheConfigsIsRefused) {
  TempDir tmp;
  test::write_text(tmp / "file", "mine");
  const Cli file = cli({"reproduce", "--quick", "--out", tmp / "file"});
  EXPECT_EQ(file.status, 2) << file.err;
  EXPECT_EQ(file.err, "sih: error: --out: " + (tmp / "file") + ": is a file, not a folder\n");
  EXPECT_EQ(test::read_text(tmp / "file"), "mine");
  fs::create_directories(tmp / "configs");
  const Cli same =
      cli({"reproduce", "--quick", "--configs", tmp / "configs", "--out", tmp / "configs/."});
  EXPECT_EQ(same.status, 2) << same.err;
  EXPECT_NE(same.err.find("is the configs folder"), std::string::npos) << same.err;
}

TEST(ForeignFile, AFileWhereTheRunFolderGoesIsRefusedAndKept) {
  TempDir tmp;
  test::write_text(tmp / "config.yml", kConfig);
  const std::string out = tmp / "out";
  const Cli conf = cli({"config", tmp / "config.yml", "--set", "out_dir=" + out});
  ASSERT_EQ(conf.status, 0) << conf.err;
  const std::string id = nlohmann::json::parse(conf.out)["id"].get<std::string>();
  fs::create_directories(out);
  test::write_text(out + "/" + id, "someone's notes");
  for (const char* force : {"", "--force"}) {
    std::vector<std::string> args = {"run", tmp / "config.yml", "--quiet", "--set",
                                     "out_dir=" + out};
    if (*force) args.push_back(force);
    const Cli r = cli(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err, "sih: error: " + out + "/" + id +
                         ": exists and is not a run folder; sih does not replace it (move or "
                         "remove it)\n");
    EXPECT_EQ(test::read_text(out + "/" + id), "someone's notes");
    EXPECT_EQ(listing(out), std::vector<std::string>{out + "/" + id}) << "staging folder left";
  }
}

// ---- a pending signal -----------------------------------------------------------------------

struct PendingSignal {
  explicit PendingSignal(int sig) { interrupt_signal().store(sig); }
  ~PendingSignal() { interrupt_signal().store(0); }
};

TEST(PendingSignal, AnalyzeStopsAndWritesNothing) {
  TempDir tmp;
  write_matrix(tmp / "a.npy");
  write_matrix(tmp / "b.npy");
  PendingSignal pending(SIGTERM);
  const Cli r = cli(
      {"analyze", tmp / "a.npy", tmp / "b.npy", "--out", tmp / "t.csv", "--plot", tmp / "plots"});
  EXPECT_EQ(r.status, 143) << r.err;
  EXPECT_EQ(r.err.rfind("sih: interrupted by signal 15", 0), 0u) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "t.csv"));
  EXPECT_FALSE(fs::exists(tmp / "plots"));
}

TEST(PendingSignal, SweepPlanningStops) {
  TempDir tmp;
  test::write_text(tmp / "sweep.yml", std::string(kConfig) + "lr: [0.1, 0.2]\n");
  PendingSignal pending(SIGINT);
  const Cli r = cli({"bulk-lr", tmp / "sweep.yml", "--dry-run"});
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace sih
