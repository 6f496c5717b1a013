#pragma once
// The paper's experiments of `sih reproduce`'s experiments (configs/paper/*.yml), each run with its
// sweep kind, plotted, reported and its claims checked, with one page over all of them
// (<out>/index.html) and the claims as a table (<out>/claims.csv). docs/REPRODUCE.md.
//
// A paper config is an ordinary sih config plus a `reproduce:` section, which `sih run` and
// the sweep commands ignore:
//
//   reproduce:
//     title: GD vs Adam at large learning rates
//     about: what the experiment is and what the paper says about it
//     paper: where in the paper (optional)
//     kind: sweep          # run (default), sweep, bulk-lr or bulk-losses
//     quick: {n: 400, d: 100, h: 150}   # overrides for --quick (dotted keys, lists allowed)
//     figures: [final_alpha_hill.png]   # plots/ files shown on the index (default: the first two)
//     claims: [...]                     # claims.hpp
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sih/core/config.hpp"
#include "sih/experiments/claims.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/experiments/threshold.hpp"

namespace sih {

struct PaperExperiment {
  std::string name;  // the file's stem without its NN_ ordering prefix
  std::string file;
  std::string title, about, paper, kind;
  std::vector<std::string> figures;
  std::vector<Claim> claims;
  std::vector<ThresholdSpec> thresholds;  // tables of thresholds on the page (threshold.hpp)
  YAML::Node config;  // the config tree: quick overrides applied, out_dir set, no reproduce:
};

// Reads every *.yml of `dir` in file-name order (InputError on any malformed one).
std::vector<PaperExperiment> load_paper_experiments(const std::string& dir, bool quick,
                                                    const std::string& out_dir);

// Plans an experiment (its config validated, its sweep planned) and checks its claims against
// the planned grid; returns the grid (points without values). InputError on any problem.
ExperimentTable plan_grid(const PaperExperiment& e);

// What an experiment will run, worked out before anything runs.
struct Planned {
  std::optional<Config> run;  // kind run
  std::optional<SweepPlan> sweep;
  std::string dir;
  ExperimentTable grid;  // the points, without values
  long runs = 0;
};

// Plans an experiment (plan_grid's work) and keeps the run config or the sweep plan.
Planned plan_experiment(const PaperExperiment& e);
// Every run of the plan has a complete folder (and a sweep its runs.csv).
bool complete(const Planned& p);
// The runs' wall times as the folder records them, summed.
double recorded_run_time(const std::string& dir);

struct ReproduceOptions {
  std::string configs_dir;        // default: default_paper_configs_dir()
  std::string out_dir;            // default: out/reproduce, or out/reproduce-quick with quick
  bool quick = false;             // each experiment's `quick` overrides: reduced sizes
  std::vector<std::string> only;  // run only these experiments (the page covers all)
  bool force = false;             // recompute runs whose folders are complete
  int jobs = 0;                   // parallel runs within a sweep (0: from the cores)
  bool quiet = false;             // no progress or notes; failed experiments still reported
  const std::atomic<int>* cancel = nullptr;
};

// What became of an experiment in this invocation: run now, reused (its folder complete from
// before), not run (not selected and not complete), failed.
enum class ExperimentState { kRun, kReused, kNotRun, kFailed };
const char* experiment_state_name(ExperimentState state);  // "run", "reused", "not run", "failed"

struct ExperimentOutcome {
  const PaperExperiment* experiment = nullptr;
  std::string dir;  // its run or sweep folder, empty when not run
  ExperimentState state = ExperimentState::kNotRun;
  std::string error;         // why it failed
  bool input_error = false;  // it failed on bad input (a malformed file): exit 2
  double wall_time_s = 0;    // this invocation
  double run_time_s = 0;     // the runs' own wall times as recorded in the folder, summed
  long runs = 0;
  std::vector<std::string> figures;  // paths relative to the index page
  std::vector<ClaimResult> claims;
  std::vector<ThresholdResult> thresholds;  // one per spec of the experiment
};

struct ReproduceOutcome {
  std::vector<PaperExperiment> experiments;
  std::vector<ExperimentOutcome> outcomes;  // one per experiment, same order
  std::string index_path;
  std::string claims_csv;
  double wall_time_s = 0;
  long claims_checked = 0, claims_held = 0;
  bool failed = false;       // an experiment could not be run
  bool input_error = false;  // one failed on bad input, e.g. a malformed file of its folder
};

// <folder of the executable>/../configs/paper when it exists, else the source tree's.
std::string default_paper_configs_dir();

}  // namespace sih
