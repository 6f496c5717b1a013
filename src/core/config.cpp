#include "sih/core/config.hpp"

#include <algorithm>
#include <string>

namespace sih {

void check_jobs(long jobs) {
  if (jobs < 0) throw InputError("--jobs: " + std::to_string(jobs) + ": must be >= 0");
  if (jobs > kMaxThreads)
    throw InputError("--jobs: " + std::to_string(jobs) + ": must be <= " +
                     std::to_string(kMaxThreads) + " (0: from the cores and the work)");
}

ScheduleSettings Config::schedule_settings() const {
  ScheduleSettings s;
  s.kind = lr_scheduler;
  s.step_size = step_size;
  s.gamma = gamma;
  s.T_max = T_max > 0 ? T_max : std::max(total_steps(), 1L);
  s.eta_min = eta_min;
  s.start_factor = start_factor;
  s.end_factor = end_factor;
  s.total_iters = total_iters;
  return s;
}

double Config::lr_at(long step) const {
  if (lr_scheduler == ScheduleKind::kNone) return lr;
  // PyTorch's schedulers update the current lr (their chainable forms), so the lr is formed
  // the same way rather than from a closed form, which can differ in the last bits.
  return LrSchedule(schedule_settings(), lr).at(step);
}

}  // namespace sih
