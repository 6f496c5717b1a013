#pragma once
// The training loop and its checkpoints (SPEC 3-4): full- or mini-batch steps with SGD/Adam,
// StepLR, weight normalisation, a frozen or trained read-out, and at every checkpoint the
// weight probes, feature probes and losses, written through a RunWriter.
#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "sih/config.hpp"
#include "sih/data.hpp"
#include "sih/output.hpp"

namespace sih {

// Set by the CLI's SIGINT/SIGTERM handler; the loop checks it between steps and throws
// Interrupted, so the run's staging folder is removed and nothing partial is left.
extern std::atomic<int> g_interrupt_signal;

struct TrainResult {
  std::string status = "ok";  // ok | diverged
  long diverged_step = -1;
  std::string diverged_reason;
  long steps_done = 0;
  std::map<std::string, double> timings_s;  // per phase
  std::vector<std::string> notes;
};

struct TrainOptions {
  // Called after every step (for a progress line).
  std::function<void(long step, long total, double loss)> on_step;
};

template <typename T>
TrainResult train(const Config& config, const Problem<T>& problem, const RunSeeds& seeds,
                  RunWriter& writer, const TrainOptions& options = {});

}  // namespace sih
