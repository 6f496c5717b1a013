// Determinism: the same config and seed give byte-identical outputs, run after run and for
// every `threads` setting, in float64 and float32.
//
// The sizes matter: Eigen's GEMM sums the depth of a product in blocks whose size depends on
// whether it runs on 1 thread or on several (its multi-threaded heuristic caps a block at 320),
// so with n or d above ~320 `threads: 1` used to round differently from `threads: 2` (step 0
// identical, ~1e-15 relative differences from step 1 on). sih's products cut the depth into
// chunks that neither heuristic cuts (product_fixed_depth, model.hpp); these tests use
// n = 600 > 320 so that they fail if that is undone (they did, before the fix). Verified on the
// development machine (AVX-512, 48 KiB L1): threads 1, 2, 3, 4 and 8 give the same bits.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sih/commands/cli.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/memory_model.hpp"
#include "sih/core/parallel.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace sih;

namespace {

// Every parallel region on all its threads, so that `threads: 1` and `threads: 2` really run
// different splits at these sizes (parallel.hpp keeps small regions on one thread).
const bool kAllRegionsParallel = (set_min_seconds_per_thread(0), true);

const char* kConfig =
    "n: 600\n"
    "d: 300\n"
    "h: 400\n"
    "n_test: 100\n"
    "num_epochs: 3\n"
    "probe_freq_steps: 1\n"
    "lightweight: true\n"
    "optimizer: adam\n"
    "lr: 0.01\n"
    "seed: 11\n";

// Runs `sih run` and returns the run folder.
std::string run(const test::TempDir& tmp, const std::string& name, std::vector<std::string> sets) {
  const std::string cfg = tmp / "config.yml";
  test::write_text(cfg, kConfig);
  std::vector<std::string> args = {"run", cfg, "--quiet", "--set", "out_dir=" + (tmp / name)};
  for (auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  std::ostringstream out, err;
  EXPECT_EQ(run_cli(args, out, err), 0) << err.str();
  std::string dir = out.str();
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  return dir;
}

// Every file of a run folder except the ones that hold times or the thread count.
std::map<std::string, std::string> contents(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).string();
    if (rel == "run.log" || rel == "summary.json" || rel == "config.json") continue;
    files[rel] = test::read_text(e.path().string());
  }
  return files;
}

}  // namespace

TEST(Determinism, Float64MetricsAreByteIdenticalAcrossRunsAndThreadCounts) {
  test::TempDir tmp;
  const std::string reference =
      test::read_text(run(tmp, "t1a", {"precision=float64", "threads=1"}) + "/metrics.csv");
  ASSERT_GT(reference.size(), 100u);
  EXPECT_EQ(test::read_text(run(tmp, "t1b", {"precision=float64", "threads=1"}) + "/metrics.csv"),
            reference)
      << "threads 1, second run";
  for (const char* threads : {"threads=2", "threads=3"}) {
    EXPECT_EQ(test::read_text(run(tmp, threads, {"precision=float64", threads}) + "/metrics.csv"),
              reference)
        << threads;
  }
}

TEST(Determinism, Float32MetricsAreByteIdenticalAcrossRunsAndThreadCounts) {
  test::TempDir tmp;
  const std::string a =
      test::read_text(run(tmp, "a", {"precision=float32", "threads=2"}) + "/metrics.csv");
  EXPECT_EQ(test::read_text(run(tmp, "b", {"precision=float32", "threads=2"}) + "/metrics.csv"), a)
      << "same threads, second run";
  EXPECT_EQ(test::read_text(run(tmp, "c", {"precision=float32", "threads=1"}) + "/metrics.csv"), a)
      << "threads 1 vs 2";
}

// Without a frozen read-out and on a full batch a checkpoint's probe product is the next
// step's forward product, computed once (trainer.cpp, `next_forward`). Checkpoints after
// every step share it three times, checkpoints at 0 and 3 only once: the rows of steps 0 and
// 3 must be the same bytes, in both precisions.
TEST(Determinism, ACheckpointSharingItsProductWithTheNextStepChangesNoBit) {
  test::TempDir tmp;
  for (const char* precision : {"precision=float64", "precision=float32"}) {
    auto rows = [&](const std::string& name, const char* freq) {
      std::istringstream in(test::read_text(
          run(tmp, name, {precision, "fix_last_layer=false", freq}) + "/metrics.csv"));
      std::map<std::string, std::string> by_step;
      std::string line;
      std::getline(in, line);  // header
      while (std::getline(in, line)) by_step[line.substr(0, line.find(','))] = line;
      return by_step;
    };
    auto every = rows(std::string("every_") + precision, "probe_freq_steps=1");
    auto ends = rows(std::string("ends_") + precision, "probe_freq_steps=3");
    ASSERT_EQ(every.size(), 4u) << precision;
    ASSERT_EQ(ends.size(), 2u) << precision;
    EXPECT_EQ(every["0"], ends["0"]) << precision;
    EXPECT_EQ(every["3"], ends["3"]) << precision;
  }
}

// Every output file (spectra, overlaps, saved weights), not only metrics.csv; n and d above
// the chunk size (320 on the development machine) so that the gradient and the V-side overlap
// products are chunked too.
TEST(Determinism, EveryOutputFileIsByteIdenticalAcrossThreadCounts) {
  test::TempDir tmp;
  const std::vector<std::string> sets = {"precision=float64",
                                         "n=400",
                                         "d=340",
                                         "h=200",
                                         "num_epochs=2",
                                         "lightweight=false",
                                         "plot_overlaps=true",
                                         "save_weights=true"};
  auto with = [&](const char* threads) {
    auto s = sets;
    s.push_back(threads);
    return s;
  };
  const auto one = contents(run(tmp, "t1", with("threads=1")));
  const auto two = contents(run(tmp, "t2", with("threads=2")));
  ASSERT_GT(one.size(), 20u);
  ASSERT_EQ(one.size(), two.size());
  for (const auto& [name, bytes] : one) {
    auto it = two.find(name);
    ASSERT_NE(it, two.end()) << name;
    EXPECT_TRUE(it->second == bytes) << name << " differs between threads 1 and 2";
  }
}

// A sweep gives each run cores / jobs threads: the aggregate must not depend on --jobs (nor,
// therefore, on how many runs were left when a sweep was resumed).
TEST(Determinism, SweepAggregateDoesNotDependOnJobs) {
  test::TempDir tmp;
  const std::string cfg = tmp / "sweep.yml";
  test::write_text(cfg,
                   "n: 400\nd: 64\nh: 64\nn_test: 50\nnum_epochs: 2\nprobe_freq_steps: 1\n"
                   "lightweight: true\nprecision: float64\nthreads: 2\n"
                   "optimizer: [sgd, adam]\nlr: [0.01, 0.1]\nrepeat: 2\n");
  auto sweep = [&](const char* jobs, const char* out_name) {
    std::ostringstream out, err;
    EXPECT_EQ(
        run_cli({"bulk-lr", cfg, "--quiet", "--jobs", jobs, "--set", "out_dir=" + (tmp / out_name)},
                out, err),
        0)
        << err.str();
    std::string dir = out.str();
    while (!dir.empty() && dir.back() == '\n') dir.pop_back();
    return test::read_text(dir + "/aggregate.csv");
  };
  const std::string one_job = sweep("1", "jobs1");   // 2 threads per run
  const std::string two_jobs = sweep("2", "jobs2");  // 1 thread per run
  ASSERT_GT(one_job.size(), 50u);
  EXPECT_EQ(one_job, two_jobs);
}
