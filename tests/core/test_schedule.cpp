// Learning-rate schedules against their closed forms (PyTorch documents both; sih follows the
// chainable form, so agreement is to rounding, 1e-14 relative), and the step conventions:
// lr_at(step) is the lr of the update producing `step`, after step - 1 scheduler steps.
#include <cmath>

#include "sih/core/schedule.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {

double closed_form(const ScheduleSettings& s, double base, long epoch) {
  switch (s.kind) {
    case ScheduleKind::kNone:
      return base;
    case ScheduleKind::kStepLR:
      return base * std::pow(s.gamma, double(epoch / s.step_size));
    case ScheduleKind::kExponentialLR:
      return base * std::pow(s.gamma, double(epoch));
    case ScheduleKind::kCosineAnnealingLR:
      return s.eta_min +
             (base - s.eta_min) * (1 + std::cos(M_PI * double(epoch) / double(s.T_max))) / 2;
    case ScheduleKind::kLinearLR: {
      const double frac = std::min(epoch, s.total_iters) / double(s.total_iters);
      return base * (s.start_factor + (s.end_factor - s.start_factor) * frac);
    }
  }
  return base;
}

}  // namespace

TEST(Schedule, ChainableFormsMatchClosedForms) {
  std::vector<ScheduleSettings> cases(5);
  cases[0].kind = ScheduleKind::kStepLR;
  cases[0].step_size = 3;
  cases[0].gamma = 0.5;
  cases[1].kind = ScheduleKind::kExponentialLR;
  cases[1].gamma = 0.93;
  cases[2].kind = ScheduleKind::kCosineAnnealingLR;
  cases[2].T_max = 7;
  cases[2].eta_min = 0.01;
  cases[3].kind = ScheduleKind::kLinearLR;
  cases[3].start_factor = 0.1;
  cases[3].end_factor = 1.0;
  cases[3].total_iters = 6;
  cases[4].kind = ScheduleKind::kLinearLR;  // a decay
  cases[4].start_factor = 1.0;
  cases[4].end_factor = 0.25;
  cases[4].total_iters = 4;
  const double base = 0.3;
  for (const ScheduleSettings& s : cases) {
    LrSchedule sched(s, base);
    // Cosine past T_max: the closed form is periodic, 2 T_max; 20 steps cover the second
    // half-period and the branch at epoch = T_max + 1 (Python's modulo on negatives).
    for (long step = 1; step <= 20; ++step) {
      SCOPED_TRACE("kind " + std::to_string(int(s.kind)) + " step " + std::to_string(step));
      EXPECT_TRUE(test::near_rel(closed_form(s, base, step - 1), sched.at(step), 1e-14, 1e-300));
    }
    // Going back restarts; asking out of order gives the same values.
    LrSchedule again(s, base);
    EXPECT_EQ(again.at(9), sched.at(9));
    EXPECT_EQ(again.at(2), LrSchedule(s, base).at(2));
  }
}

TEST(Schedule, StartingLr) {
  ScheduleSettings s;
  s.kind = ScheduleKind::kLinearLR;
  s.start_factor = 0.25;
  LrSchedule sched(s, 2.0);
  EXPECT_EQ(sched.at(0), 0.5);  // the constructor's step scales the initial lr
  EXPECT_EQ(sched.at(1), 0.5);
  s.kind = ScheduleKind::kCosineAnnealingLR;
  EXPECT_EQ(LrSchedule(s, 2.0).at(0), 2.0);
  EXPECT_EQ(parse_schedule(""), ScheduleKind::kNone);
  EXPECT_EQ(parse_schedule("LinearLR"), ScheduleKind::kLinearLR);
  EXPECT_THROW(parse_schedule("OneCycleLR"), InputError);
}
