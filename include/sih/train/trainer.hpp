#pragma once
// The training loop and its checkpoints (docs/MODEL.md §3-4): full- or mini-batch steps with
// SGD/Adam, StepLR, weight normalisation, a frozen or trained read-out, and at every checkpoint the
// weight probes, feature probes and losses, written through a RunWriter.
#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "sih/core/checkpoint_sink.hpp"
#include "sih/core/config.hpp"
#include "sih/core/data.hpp"
#include "sih/core/run_status.hpp"

namespace sih {

struct TrainResult {
  RunStatus status = RunStatus::kOk;
  long diverged_step = -1;
  std::string diverged_reason;
  long steps_done = 0;
  std::map<std::string, double> timings_s;  // per phase
  std::vector<std::string> notes;
};

// The step-0 checkpoint of a run, which every run starting from the same state shares (in
// bulk-lr, every (optimizer, lr) of a repeat): its metrics row (lr aside) and the initial
// |V^T beta| curve. Only used when checkpoint 0 writes nothing else (lightweight, no
// overlaps, no saved weights).
struct StartCheckpoint {
  MetricsRow row0;
  VecD init_curve;
};

struct TrainOptions {
  // Called after every step (for a progress line).
  std::function<void(long step, long total, double loss)> on_step;
  // Reuse this step-0 checkpoint instead of computing it...
  const StartCheckpoint* reuse_start = nullptr;
  // ...or, having computed it, hand it to the runs that wait for it.
  std::function<void(const StartCheckpoint&)> publish_start;
  // Checked between steps; non-zero (a signal number) throws Interrupted, so the run's
  // staging folder is removed and nothing partial is left.
  const std::atomic<int>* cancel = nullptr;
};

template <typename T>
TrainResult train(const Config& config, const Problem<T>& problem, const RunSeeds& seeds,
                  CheckpointSink<T>& sink, const TrainOptions& options = {});

}  // namespace sih
