#pragma once
// Sweeps (docs/MODEL.md §6): `bulk-lr` over optimizer x lr and `bulk-losses` over one varying
// parameter, each repeated `repeat` times. A sweep is planned as a deterministic list of runs
// (config + seeds), each executed as an ordinary run into `<sweep>/runs/<run-id>/`; the folder of a
// finished run is complete or absent, so a sweep resumes by skipping complete runs, and
// `merge` rebuilds runs.csv / aggregate.csv from whatever run folders exist.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sih/config.hpp"
#include "sih/data.hpp"

namespace sih {

enum class SweepKind { kBulkLr, kBulkLosses };
const char* sweep_command(SweepKind kind);  // "bulk-lr" / "bulk-losses"

struct PlannedRun {
  Config config;
  RunSeeds seeds;
  std::string id;
  long repeat = 0;
  nlohmann::json coords;  // the swept values of this run, e.g. {"optimizer":"sgd","lr":0.1}
};

struct SweepPlan {
  SweepKind kind;
  std::string id;
  std::string dir;
  std::vector<std::string> swept;  // column names of the swept values, in order
  std::vector<PlannedRun> runs;
  nlohmann::json config;  // the sweep's config.json
};

// Validates the sweep config (lists where the command needs them, non-empty, no duplicates,
// every run's config valid) and plans every run, before anything is executed.
SweepPlan plan_sweep(SweepKind kind, const YAML::Node& root);

struct Shard {
  long index = 1;  // 1-based
  long count = 1;
};
Shard parse_shard(const std::string& text);  // "K/N", InputError otherwise

struct SweepOptions {
  Shard shard;
  int jobs = 0;  // parallel runs; 0 = choose from cores and run count
  bool force = false;
  bool quiet = false;
};

struct SweepOutcome {
  long executed = 0, skipped = 0, diverged = 0, in_shard = 0;
};

// Executes this shard's runs (skipping complete ones), in parallel.
SweepOutcome execute_sweep(const SweepPlan& plan, const SweepOptions& options);

struct MergeOutcome {
  long total = 0, complete = 0, missing = 0, diverged = 0;
};
// Builds runs.csv and aggregate.csv of a sweep folder from its config.json and run folders.
MergeOutcome merge_sweep(const std::string& sweep_dir);

}  // namespace sih
