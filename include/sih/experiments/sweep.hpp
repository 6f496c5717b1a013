#pragma once
// Sweeps: every config key whose value is a list is an axis; the runs are the Cartesian
// product of the axes x `repeat`. A sweep is planned as a deterministic list of runs
// (config + seeds), each executed as an ordinary run into `<sweep>/runs/<run-id>/`; the
// folder of a finished run is complete or absent, so a sweep resumes by skipping complete
// runs, and `merge` rebuilds runs.csv / aggregate.csv / correlations.csv from whatever run
// folders exist.
//
// Start sharing follows one rule, read from the config table's StartEffect flags: runs of
// the same repeat that differ only in keys acting after the start share the teacher, student
// and data (and the step-0 checkpoint); each value of an axis that changes the start gets a
// fresh start, seeded from the sweep seed, the value and the repeat.
//
// Sweep kinds are rows of one table (sweep_kinds()): `sweep` is the engine itself;
// `bulk-lr` and `bulk-losses` are presets that restrict the axes and keep the reference's
// seeding, run order and aggregate shapes, so their folders are those of sih 0.3.0.
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sih/core/config.hpp"
#include "sih/core/data.hpp"

namespace sih {

// One axis of a sweep: a dotted config key and its values as written.
struct SweepAxis {
  std::string key;     // dotted config key (lr_scheduler_kwargs.gamma)
  std::string column;  // its column in runs.csv / aggregate.csv
  std::vector<YAML::Node> values;
  bool changes_start = false;
  // Keys that move with this axis (`sweep_together: [d, h, n]`): value i of each goes with
  // value i of the axis, so the grid has one point per index, not their product.
  std::vector<std::pair<std::string, std::vector<YAML::Node>>> tied;
};

// How a kind seeds its runs: the sweep seed, the run's axis values (by index and as JSON),
// and its repeat.
struct SeedInput {
  std::uint64_t sweep_seed = 0;
  const std::vector<SweepAxis>* axes = nullptr;
  std::vector<std::size_t> index;  // per axis, the index of this run's value
  nlohmann::json start_coords;     // the values of the axes that change the start
  long repeat = 0;
};

enum class AggregateShape {
  kFinalPerPoint,  // bulk-lr: per point, mean/std of six final metrics
  kLossesPerStep,  // bulk-losses: per point x step, mean/std of train and val loss
  kAllPerStep,     // sweep: per point x step, runs_used, mean/std of every aggregated metric
};

struct SweepKind {
  std::string name;  // the command and the "command" of the sweep's config.json
  std::string help;
  // The axes of a config (validated: only keys this kind sweeps may be lists), after any
  // preset rewriting of the tree (bulk-losses: batch_size follows n).
  std::function<std::vector<SweepAxis>(YAML::Node& root)> axes;
  std::function<RunSeeds(const SeedInput&)> seeds;
  // The repeat loop inside the axes loops (per value, every repeat) instead of outside.
  std::function<bool(const std::vector<SweepAxis>&)> repeat_innermost;
  AggregateShape aggregate;
  std::vector<std::string> plot_scripts;  // scripts/plot/ files for `sih plot`
};

const std::vector<SweepKind>& sweep_kinds();
// The kind of this name; InputError naming the known ones otherwise.
const SweepKind& sweep_kind(const std::string& name);

struct PlannedRun {
  Config config;
  RunSeeds seeds;
  std::string id;
  long repeat = 0;
  nlohmann::json coords;       // the swept values of this run, e.g. {"optimizer":"sgd","lr":0.1}
  std::string start_group;     // runs with the same group share teacher, student and data
  std::string init_from_hash;  // init_from_hash(config), part of id; "" without init_from
};

struct SweepPlan {
  const SweepKind* kind = nullptr;
  std::string id;
  std::string dir;
  std::vector<std::string> swept;  // column names of the swept values, in order
  std::vector<SweepAxis> axes;
  std::vector<PlannedRun> runs;
  nlohmann::json config;  // the sweep's config.json
  // Warnings about the runs' configs (a key that does nothing in some runs), each once.
  std::vector<std::string> notes;
};

struct PlanLimits {
  long max_runs = 10000;  // more runs: InputError unless raised; 1..kMaxRunsLimit (plan_sweep)
  // The highest --max-runs: a plan holds every run in memory (about 2 KB each, ~150 us each to
  // plan), so a million runs is 2 GB and minutes before the first run starts.
  static constexpr long kMaxRunsLimit = 1000000;
};

// Validates the sweep config (lists where the kind takes them, non-empty, no duplicates,
// every run's config valid and able to fit in memory) and plans every run, before anything
// is executed.
SweepPlan plan_sweep(const SweepKind& kind, const YAML::Node& root, const PlanLimits& limits = {});

// Rough cost of a run in floating-point operations (training products and checkpoints), for
// scheduling the longest runs first and for the dry run's time estimate.
double estimated_run_flops(const Config& config);
double estimated_training_flops(const Config& config);  // the training products alone
// The dry run: runs, axes, start groups, estimated time and peak memory, one item per line.
std::string describe_plan(const SweepPlan& plan, int jobs);

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
  // Polled between runs and steps; non-zero (a signal number) stops the sweep: runs in flight
  // are discarded, finished ones kept. nullptr: never cancelled.
  const std::atomic<int>* cancel = nullptr;
};

struct SweepOutcome {
  long executed = 0, skipped = 0, diverged = 0, in_shard = 0;
};

// Executes this shard's runs (skipping complete ones), longest first, in parallel.
SweepOutcome execute_sweep(const SweepPlan& plan, const SweepOptions& options);

struct MergeOutcome {
  long total = 0, complete = 0, missing = 0, diverged = 0;
};
// Builds runs.csv, aggregate.csv and correlations.csv of a sweep folder from its config.json
// and run folders. A run whose summary.json or metrics.csv cannot be read counts as missing;
// the files are written from the other runs, then InputError names the first such file.
MergeOutcome merge_sweep(const std::string& sweep_dir);

// Rank correlations, as scipy.stats computes them: Spearman's rho (Pearson correlation of
// average ranks) and Kendall's tau-b (ties in either variable accounted for). NaN when fewer
// than two pairs or a variable is constant.
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace sih
