#pragma once
// One experiment end to end: config -> data -> training -> a complete run folder.
// Used by `sih run` and by every run of a sweep.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sih/config.hpp"
#include "sih/data.hpp"

namespace sih {

struct RunRequest {
  Config config;
  // Sweeps pass explicit seeds to share a teacher/student/data set between runs; by default
  // they derive from config.seed.
  std::optional<RunSeeds> seeds;
  std::string out_parent;  // folder holding the run folder; default config.out_dir
  bool force = false;      // recompute even if a complete folder exists
  bool quiet = false;      // no log lines on stderr (sweeps show one progress bar instead)
  bool progress = true;    // a per-step progress line on stderr
  nlohmann::json extra_config;  // merged into config.json (e.g. the sweep coordinates)
};

struct RunOutcome {
  std::string dir;
  std::string id;
  std::string status;  // ok | diverged
  bool skipped = false;  // the folder was already complete
  nlohmann::json summary;
};

// The run id: config_id, extended with the seeds when they are given explicitly.
std::string run_id(const Config& config, const std::optional<RunSeeds>& seeds);

// Sets OpenMP/Eigen threads (0 = all cores) and keeps OpenBLAS single-threaded, so the two
// thread pools never fight (PERF-NOTES).
void configure_threads(int threads);

RunOutcome run_experiment(const RunRequest& request);

}  // namespace sih
