// Inputs that are not regular files (FIFOs, devices) are refused before they are opened. Each
// case runs `sih` in-process.
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

#include "sih/commands/cli.hpp"
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

}  // namespace
}  // namespace sih
