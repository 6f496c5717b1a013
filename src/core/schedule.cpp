#include "sih/core/schedule.hpp"

#include <cmath>

#include "sih/base/types.hpp"

namespace sih {

const std::vector<std::pair<std::string, ScheduleKind>>& schedule_names() {
  static const std::vector<std::pair<std::string, ScheduleKind>> names = {
      {"StepLR", ScheduleKind::kStepLR},
      {"CosineAnnealingLR", ScheduleKind::kCosineAnnealingLR},
      {"ExponentialLR", ScheduleKind::kExponentialLR},
      {"LinearLR", ScheduleKind::kLinearLR}};
  return names;
}

ScheduleKind parse_schedule(const std::string& name) {
  if (name.empty()) return ScheduleKind::kNone;
  for (const auto& [word, kind] : schedule_names())
    if (word == name) return kind;
  throw InputError("lr_scheduler_cls: '" + name + "': unknown schedule");
}

namespace {
// Python's a % b for b > 0 (never negative), as CosineAnnealingLR's branch test uses it.
long python_mod(long a, long b) {
  const long r = a % b;
  return r < 0 ? r + b : r;
}
}  // namespace

void LrSchedule::reset() {
  epoch_ = 0;
  lr_ = base_;
  // LinearLR's constructor takes its first step, which scales the lr by start_factor.
  if (s_.kind == ScheduleKind::kLinearLR) lr_ = base_ * s_.start_factor;
}

// One scheduler.step(): last_epoch becomes `epoch`, and get_lr's chainable form gives the new
// lr from the current one. Each formula is written in Python's evaluation order.
double LrSchedule::next(double lr, long epoch) const {
  switch (s_.kind) {
    case ScheduleKind::kNone:
      return lr;
    case ScheduleKind::kStepLR:
      // A hand-built config may carry step_size 0, which validation refuses.
      return epoch % std::max(s_.step_size, 1L) == 0 ? lr * s_.gamma : lr;
    case ScheduleKind::kExponentialLR:
      return lr * s_.gamma;
    case ScheduleKind::kCosineAnnealingLR: {
      const double T = static_cast<double>(std::max(s_.T_max, 1L));
      const double pi = M_PI;
      if (python_mod(epoch - 1 - std::max(s_.T_max, 1L), 2 * std::max(s_.T_max, 1L)) == 0)
        return lr + (base_ - s_.eta_min) * (1 - std::cos(pi / T)) / 2;
      return (1 + std::cos(pi * static_cast<double>(epoch) / T)) /
                 (1 + std::cos(pi * static_cast<double>(epoch - 1) / T)) * (lr - s_.eta_min) +
             s_.eta_min;
    }
    case ScheduleKind::kLinearLR: {
      if (epoch > s_.total_iters) return lr;
      const double span = s_.end_factor - s_.start_factor;
      return lr * (1.0 + span / (static_cast<double>(s_.total_iters) * s_.start_factor +
                                 static_cast<double>(epoch - 1) * span));
    }
  }
  return lr;
}

double LrSchedule::at(long step) {
  const long target = std::max(step - 1, 0L);  // scheduler steps before this update
  if (step <= 0) {
    // The lr before any update (the step-0 row): the constructor's lr.
    if (epoch_ != 0) reset();
    return lr_;
  }
  if (target < epoch_) reset();
  while (epoch_ < target) {
    ++epoch_;
    lr_ = next(lr_, epoch_);
  }
  return lr_;
}

}  // namespace sih
