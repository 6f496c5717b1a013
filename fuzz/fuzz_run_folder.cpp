// libFuzzer target for the run-folder reader (rundir/run_folder.hpp), which merge, report,
// plot, claims and resume trust: the first input byte picks the file (metrics.csv,
// summary.json, config.json or runs.csv), the rest is its content, in a folder that holds the
// other files as sih writes them. Only InputError is an acceptable outcome for bad input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sih/base/types.hpp"
#include "sih/rundir/run_folder.hpp"

namespace {

std::string TempDir() {
  const char* env = std::getenv("TMPDIR");
  if (env && *env) return env;
  return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

const std::string kDir = TempDir() + "/sih_fuzz_run_" + std::to_string(::getpid());

void Write(const std::string& name, const char* p, std::size_t n) {
  std::ofstream f(kDir + "/" + name, std::ios::binary);
  f.write(p, static_cast<std::streamsize>(n));
  if (!f) std::abort();  // the harness itself is broken
}
void Write(const std::string& name, const std::string& s) { Write(name, s.data(), s.size()); }

void RemoveDir() {
  std::error_code ec;
  std::filesystem::remove_all(kDir, ec);
}

const char* const kFiles[] = {"metrics.csv", "summary.json", "config.json", "runs.csv"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = std::atexit(RemoveDir) == 0;
  (void)registered;
  if (size == 0) return 0;
  std::filesystem::create_directories(kDir);
  Write("metrics.csv", "step,train_loss,alpha_hill\n0,1.5,\n10,0.5,2.5\n");
  Write("summary.json", R"({"status": "ok", "wall_time_s": 1.0, "final": {"train_loss": 0.5}})");
  Write("config.json", R"({"swept": ["lr"], "lr": [0.1, 1]})");
  Write("runs.csv", "run_id,repeat,lr,status,wall_time_s\nabc,0,0.1,ok,1.0\n");
  Write(kFiles[data[0] % 4], reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const sih::MetricsTable m = sih::read_run_metrics(kDir);
    for (std::size_t r = 0; r < m.values.size(); ++r)
      if (m.values[r].size() != m.csv.header.size()) std::abort();
  } catch (const sih::InputError&) {
  }
  try {
    (void)sih::read_run_summary(kDir);
  } catch (const sih::InputError&) {
  }
  try {
    const auto config = sih::read_folder_config(kDir);
    if (config) (void)sih::read_sweep_runs(kDir, *config);
  } catch (const sih::InputError&) {
  }
  return 0;
}
