#pragma once
// Learning-rate schedules with PyTorch's class names, kwargs and arithmetic (torch.optim
// .lr_scheduler 1.13, the chainable `get_lr` forms that `scheduler.step()` uses), stepped
// once after every optimizer step as in the reference.
#include <string>
#include <utility>
#include <vector>

namespace sih {

enum class ScheduleKind { kNone, kStepLR, kCosineAnnealingLR, kExponentialLR, kLinearLR };
// Config spellings of lr_scheduler_cls (kNone is the absent key, not listed).
const std::vector<std::pair<std::string, ScheduleKind>>& schedule_names();
ScheduleKind parse_schedule(const std::string& name);  // "" -> kNone

struct ScheduleSettings {
  ScheduleKind kind = ScheduleKind::kNone;
  long step_size = 1;             // StepLR
  double gamma = 0.1;             // StepLR, ExponentialLR
  long T_max = 1;                 // CosineAnnealingLR (the caller resolves "0 = the whole run")
  double eta_min = 0;             // CosineAnnealingLR
  double start_factor = 1.0 / 3;  // LinearLR (torch's defaults)
  double end_factor = 1.0;
  long total_iters = 5;
};

// The learning rate of each step, advanced one scheduler step at a time exactly as PyTorch
// chains it (the closed forms differ in the last bits). Asking for steps in increasing
// order costs O(1) each; going back restarts from step 0.
class LrSchedule {
 public:
  LrSchedule(const ScheduleSettings& s, double base_lr) : s_(s), base_(base_lr) { reset(); }
  // The lr used by the update that produces step `step` (>= 1), i.e. after step - 1
  // scheduler steps; at(0) is the lr the optimizer starts with (LinearLR: base *
  // start_factor, applied by the scheduler's constructor).
  double at(long step);

 private:
  void reset();
  double next(double lr, long epoch) const;  // lr after scheduler step number `epoch`
  ScheduleSettings s_;
  double base_;
  long epoch_ = 0;  // scheduler steps taken
  double lr_ = 0;
};

}  // namespace sih
