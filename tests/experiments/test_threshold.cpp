// The threshold of a metric along an axis and the log-log slope fit (threshold.hpp), against
// values worked out by hand: a step, a noisy ramp, no crossing either way, a grid of groups, an
// exact and a perturbed power law with its closed-form standard error.
#include <gtest/gtest.h>

#include <cmath>

#include "sih/base/types.hpp"
#include "sih/experiments/threshold.hpp"

using namespace sih;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TEST(Threshold, StepFunction) {
  const std::vector<double> lr = {0.001, 0.01, 0.1, 1, 10};
  const std::vector<double> spikes = {0, 0, 0, 1, 1};
  // Level 1: reached exactly at lr 1 (the interpolation fraction is 1).
  Threshold t = threshold_along(lr, spikes, 1);
  ASSERT_EQ(t.where, ThresholdWhere::kFound);
  EXPECT_NEAR(t.value, 1.0, 1e-12);
  EXPECT_EQ(t.below, 0.1);
  EXPECT_EQ(t.above, 1.0);
  // Level 0.5: half way in log between 0.1 and 1, the geometric mean.
  t = threshold_along(lr, spikes, 0.5);
  EXPECT_NEAR(t.value, std::sqrt(0.1 * 1.0), 1e-12);
  // The grid order does not matter.
  t = threshold_along({10, 0.1, 1, 0.001, 0.01}, {1, 0, 1, 0, 0}, 0.5);
  EXPECT_NEAR(t.value, std::sqrt(0.1), 1e-12);
}

TEST(Threshold, NoisyRampTakesTheFirstCrossing) {
  // Crosses 0.5 between 0.2 (0.3) and 0.4 (0.7), dips below at 0.8, crosses again at 1.6; the
  // first point is n/a and skipped.
  const std::vector<double> x = {0.05, 0.1, 0.2, 0.4, 0.8, 1.6};
  const std::vector<double> m = {kNaN, 0.1, 0.3, 0.7, 0.45, 0.9};
  const Threshold t = threshold_along(x, m, 0.5);
  ASSERT_EQ(t.where, ThresholdWhere::kFound);
  // f = (0.5 - 0.3) / (0.7 - 0.3) = 0.5: exp((log 0.2 + log 0.4) / 2).
  EXPECT_NEAR(t.value, std::sqrt(0.2 * 0.4), 1e-12);
  // Level 0.4: f = 0.25, 0.2^0.75 * 0.4^0.25.
  EXPECT_NEAR(threshold_along(x, m, 0.4).value, std::pow(0.2, 0.75) * std::pow(0.4, 0.25), 1e-12);
  EXPECT_EQ(threshold_text(t), "0.283");
}

TEST(Threshold, NoCrossingIsReportedNotMadeUp) {
  const std::vector<double> x = {0.1, 1, 10};
  Threshold t = threshold_along(x, {0, 0.2, 0.4}, 0.5);
  EXPECT_EQ(t.where, ThresholdWhere::kAboveGrid);
  EXPECT_TRUE(std::isnan(t.value));
  EXPECT_EQ(threshold_text(t), "above the grid (> 10)");
  t = threshold_along(x, {0.6, 0.8, 0.9}, 0.5);
  EXPECT_EQ(t.where, ThresholdWhere::kBelowGrid);
  EXPECT_TRUE(std::isnan(t.value));
  EXPECT_EQ(threshold_text(t), "below the grid (<= 0.1)");
  t = threshold_along(x, {kNaN, kNaN, kNaN}, 0.5);
  EXPECT_EQ(t.where, ThresholdWhere::kNoData);
  EXPECT_EQ(threshold_text(t), "n/a");
  EXPECT_THROW(threshold_along({0, 1}, {0, 1}, 0.5), InputError);
  EXPECT_THROW(threshold_along({1, 1}, {0, 1}, 0.5), InputError);
}

TEST(Threshold, OneRowPerGroupOfTheOtherAxes) {
  ExperimentTable t;
  t.axes = {"optimizer", "d", "lr"};
  // adam: spikes from lr 0.1 at d 100, from lr 1 at d 400; sgd: never.
  for (const char* opt : {"adam", "sgd"})
    for (double d : {100.0, 400.0})
      for (double lr : {0.01, 0.1, 1.0}) {
        ExperimentPoint p;
        p.coords = {{"optimizer", opt}, {"d", d}, {"lr", lr}};
        const bool spike = std::string(opt) == "adam" && lr >= (d == 100 ? 0.1 : 1.0);
        p.means[1]["num_spikes"] = spike ? 1 : 0;
        t.points.push_back(p);
      }
  const auto rows = thresholds_of(t, "lr", "num_spikes", 1, 1);
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) {
    const bool adam = r.group.at("optimizer") == "adam";
    if (!adam) {
      EXPECT_EQ(r.threshold.where, ThresholdWhere::kAboveGrid);
      continue;
    }
    EXPECT_NEAR(r.threshold.value, r.group.at("d") == 100.0 ? 0.1 : 1.0, 1e-12);
  }
  // A step the points do not have: every metric n/a.
  EXPECT_EQ(thresholds_of(t, "lr", "num_spikes", 7, 1)[0].threshold.where, ThresholdWhere::kNoData);
  EXPECT_THROW(thresholds_of(t, "n", "num_spikes", 1, 1), InputError);
}

TEST(Threshold, SlopeOfAnExactPowerLaw) {
  const std::vector<double> d = {250, 500, 1000, 2000};
  std::vector<double> eta;
  for (double x : d) eta.push_back(3.0 * std::pow(x, -0.5));
  const SlopeFit f = loglog_slope(d, eta);
  EXPECT_NEAR(f.slope, -0.5, 1e-12);
  EXPECT_NEAR(f.intercept, std::log(3.0), 1e-10);
  EXPECT_NEAR(f.slope_se, 0, 1e-10);
  EXPECT_EQ(f.n, 4);
  // Two points: the slope through them, no interval.
  const SlopeFit two = loglog_slope({2, 8}, {5, 20});
  EXPECT_NEAR(two.slope, std::log(20.0 / 5) / std::log(8.0 / 2), 1e-12);
  EXPECT_TRUE(std::isnan(two.ci_low));
}

TEST(Threshold, SlopeIntervalOfAPerturbedPowerLaw) {
  // log x = -3, -1, 1, 3 and residuals +a, -a, -a, +a: orthogonal to 1 and log x, so the
  // slope stays 0.7 exactly; SSE = 4a^2, Sxx = 20, se = sqrt(4a^2 / 2 / 20).
  const double a = 0.1;
  const std::vector<double> lx = {-3, -1, 1, 3}, e = {a, -a, -a, a};
  std::vector<double> x, y;
  for (std::size_t i = 0; i < 4; ++i) {
    x.push_back(std::exp(lx[i]));
    y.push_back(2.0 * std::exp(0.7 * lx[i] + e[i]));
  }
  const SlopeFit f = loglog_slope(x, y);
  EXPECT_NEAR(f.slope, 0.7, 1e-12);
  EXPECT_NEAR(f.intercept, std::log(2.0), 1e-12);
  const double se = std::sqrt(4 * a * a / 2 / 20);
  EXPECT_NEAR(f.slope_se, se, 1e-12);
  EXPECT_NEAR(f.ci_low, 0.7 - 4.3027 * se, 1e-9);
  EXPECT_NEAR(f.ci_high, 0.7 + 4.3027 * se, 1e-9);
}

TEST(Threshold, StudentTQuantiles) {
  EXPECT_NEAR(t_quantile_975(1), 12.7062, 1e-4);
  EXPECT_NEAR(t_quantile_975(2), 4.3027, 1e-4);
  EXPECT_NEAR(t_quantile_975(30), 2.0423, 1e-4);
  EXPECT_NEAR(t_quantile_975(40), 2.0211, 2e-4);   // tables: 2.0211
  EXPECT_NEAR(t_quantile_975(120), 1.9799, 2e-4);  // tables: 1.9799
  EXPECT_NEAR(t_quantile_975(100000), 1.9600, 1e-4);
  EXPECT_THROW(t_quantile_975(0), InputError);
}

TEST(Threshold, SlopesOverRepeatsAreAveragedWithTheirTInterval) {
  // Three repeats, each an exact power law eta*(d) = c d^s_r (a step in lr at eta* on a grid
  // that contains it), slopes -0.4, -0.5, -0.6; a repeat of sgd never crosses (no slope).
  // Mean -0.5, sd 0.1, 95% interval -0.5 +- 4.3027 * 0.1 / sqrt(3).
  ExperimentTable t;
  t.axes = {"optimizer", "d", "lr", "repeat"};
  const std::vector<double> slopes = {-0.4, -0.5, -0.6};
  const std::vector<double> ds = {250, 1000, 4000};
  for (const char* opt : {"adam", "sgd"})
    for (int r = 0; r < 3; ++r)
      for (double d : ds) {
        const double eta = std::pow(d / 250, slopes[static_cast<std::size_t>(r)]);
        for (double lr : {eta / 2, eta, eta * 2}) {
          ExperimentPoint p;
          p.coords = {{"optimizer", opt}, {"d", d}, {"lr", lr}, {"repeat", r}};
          p.means[1]["num_spikes"] = std::string(opt) == "adam" && lr >= eta ? 1 : 0;
          t.points.push_back(p);
        }
      }
  ThresholdSpec spec;
  spec.metric = "num_spikes";
  spec.step = 1;
  spec.along = "lr";
  spec.level = 1;
  spec.fit = "d";
  spec.over_repeats = true;
  ASSERT_EQ(evaluate_thresholds(spec, t).fits.size(), 6u);  // (optimizer, repeat)
  const std::vector<RepeatedSlope> repeated = slopes_over_repeats(spec, t);
  ASSERT_EQ(repeated.size(), 2u);
  for (const auto& s : repeated) {
    if (s.group.at("optimizer") == "sgd") {
      EXPECT_TRUE(s.slopes.empty());
      EXPECT_EQ(s.without_slope, 3);
      EXPECT_TRUE(std::isnan(s.mean));
      continue;
    }
    ASSERT_EQ(s.slopes.size(), 3u);
    EXPECT_NEAR(s.mean, -0.5, 1e-12);
    EXPECT_NEAR(s.sd, 0.1, 1e-12);
    const double half = 4.302653 * 0.1 / std::sqrt(3.0);
    EXPECT_NEAR(s.ci_low, -0.5 - half, 1e-5) << "expected " << -0.5 - half << ", got " << s.ci_low;
    EXPECT_NEAR(s.ci_high, -0.5 + half, 1e-5)
        << "expected " << -0.5 + half << ", got " << s.ci_high;
  }
  // evaluate_thresholds itself does not combine repeats, and without a fit there is nothing to.
  EXPECT_TRUE(evaluate_thresholds(spec, t).repeated.empty());
  spec.fit.clear();
  EXPECT_TRUE(slopes_over_repeats(spec, t).empty());
}
