#pragma once
// One experiment end to end: config -> data -> training -> a complete run folder.
// Used by `sih run` and by every run of a sweep.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sih/core/config.hpp"
#include "sih/core/data.hpp"
#include "sih/train/trainer.hpp"

namespace sih {

class StartCache;

struct RunRequest {
  Config config;
  // Sweeps pass explicit seeds to share a teacher/student/data set between runs; by default
  // they derive from config.seed.
  std::optional<RunSeeds> seeds;
  std::string out_parent;       // folder holding the run folder; default config.out_dir
  bool force = false;           // recompute even if a complete folder exists
  bool quiet = false;           // no log lines on stderr (sweeps show one progress bar instead)
  bool progress = true;         // a per-step progress line on stderr
  nlohmann::json extra_config;  // merged into config.json (e.g. the sweep coordinates)
  // Polled between steps; non-zero (a signal number) abandons the run (Interrupted), leaving
  // nothing behind. nullptr: never cancelled.
  const std::atomic<int>* cancel = nullptr;
  // Sweeps: share the data set and step-0 checkpoint with runs of the same start_key.
  StartCache* start_cache = nullptr;
  std::string start_key;
  // init_from_hash(config), when the caller has computed it already (sweeps, at planning);
  // empty: computed here.
  std::string init_from_hash;
};

// The runs of a sweep that start from the same state (same seeds and every setting that acts
// before the first update) share one generated problem and one step-0 checkpoint: the first
// such run computes them and publishes, the others wait for it (or compute their own if it
// failed). An entry is dropped when its last expected run is done, bounding memory.
class StartCache {
 public:
  struct Slot;
  void expect(const std::string& key, long runs);
  // Returns the slot; `owner` is true for the first caller, who must fulfil it.
  std::shared_ptr<Slot> acquire(const std::string& key, bool& owner);
  void release(const std::string& key);

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<std::shared_ptr<Slot>, long>> slots_;
};

// The runs with the same start group draw the same teacher, student and data and have the same
// step-0 checkpoint: same seeds and the same value of every key that acts before the first
// update (the config table's StartEffect).
std::string start_group_key(const Config& config, const RunSeeds& seeds);
// The key under which runs share their start at run time: the start group, or empty when the
// step-0 checkpoint writes files of its own (not lightweight) or the arrays come from init_from.
std::string start_key(const Config& config, const RunSeeds& seeds);

struct RunOutcome {
  std::string dir;
  std::string id;
  RunStatus status = RunStatus::kOk;
  bool skipped = false;  // the folder was already complete
  nlohmann::json summary;
};

// The run id: config_id, extended with the seeds when they are given explicitly and with
// init_from_hash(config) when the arrays come from init_from (runs without init_from keep
// the ids they always had). The second form takes that hash already computed.
std::string run_id(const Config& config, const std::optional<RunSeeds>& seeds);
std::string run_id(const Config& config, const std::optional<RunSeeds>& seeds,
                   const std::string& init_hash);

// Sets OpenMP/Eigen threads (0 = the CPUs this process may use, available_cpus()) and keeps
// OpenBLAS single-threaded, so the two thread pools never fight (docs/PERFORMANCE.md).
void configure_threads(int threads);

RunOutcome run_experiment(const RunRequest& request);

}  // namespace sih
