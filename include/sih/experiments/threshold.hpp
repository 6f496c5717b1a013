#pragma once
// The threshold of a metric along an axis, and a log-log slope fit: pure functions over numbers
// (and over an ExperimentTable, claims.hpp), used for the one-step learning-rate threshold of
// feature learning (docs/REPRODUCE.md). A threshold is located on the grid or reported as below
// or above it, never extrapolated.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sih/experiments/claims.hpp"

namespace sih {

enum class ThresholdWhere {
  kFound,      // between two grid points (or at one)
  kBelowGrid,  // the metric is already >= level at the smallest axis value
  kAboveGrid,  // the metric never reaches level on the grid
  kNoData,     // no grid point has a value
};

struct Threshold {
  ThresholdWhere where = ThresholdWhere::kNoData;
  double value = std::numeric_limits<double>::quiet_NaN();  // only when kFound
  double below = std::numeric_limits<double>::quiet_NaN();  // the bracketing grid points
  double above = std::numeric_limits<double>::quiet_NaN();
};

// The smallest axis value at which `metric` reaches `level`: the first grid point (in
// increasing axis order) with metric >= level, located between it and the point before by
// linear interpolation of the metric in log(axis). Axis values must be > 0; points whose metric
// is NaN (n/a) are skipped. Equal axis values are an error (InputError).
Threshold threshold_along(const std::vector<double>& axis, const std::vector<double>& metric,
                          double level);

// "3.2e-02", "below the grid (<= 0.001)", "above the grid (> 10)" or "n/a".
std::string threshold_text(const Threshold& t);

// For each group of the other axes of `table` (its points with equal values there), the
// threshold along `axis` of `metric`@`step` at `level`.
struct ThresholdRow {
  nlohmann::json group = nlohmann::json::object();  // the other axes' values
  Threshold threshold;
};
std::vector<ThresholdRow> thresholds_of(const ExperimentTable& table, const std::string& axis,
                                        const std::string& metric, long step, double level);

// Least squares of log(y) on log(x): y ~ C x^slope, with the two-sided 95% t-interval of the
// slope (n - 2 degrees of freedom; NaN bounds with fewer than 3 points). x, y > 0.
struct SlopeFit {
  double slope = std::numeric_limits<double>::quiet_NaN();
  double intercept = std::numeric_limits<double>::quiet_NaN();  // of log(y)
  double slope_se = std::numeric_limits<double>::quiet_NaN();
  double ci_low = std::numeric_limits<double>::quiet_NaN();
  double ci_high = std::numeric_limits<double>::quiet_NaN();
  long n = 0;
};
SlopeFit loglog_slope(const std::vector<double>& x, const std::vector<double>& y);

// A threshold table of a paper experiment (`reproduce.thresholds`, docs/REPRODUCE.md): the
// threshold of `metric`@`step` along `along` at `level` per group of the other axes, and, with
// `fit`, the log-log slope of the threshold against that axis per group of the remaining ones.
struct ThresholdSpec {
  std::string metric;
  long step = 0;
  std::string along;
  double level = 0;
  std::string fit;        // an axis, or empty
  std::string predicted;  // what an argument predicts for the slope, shown beside the fit
  // With `fit`: also fit each repeat of the sweep apart (the table's "repeat" axis,
  // load_experiment_table) and give the mean slope over the repeats with its t-interval.
  bool over_repeats = false;
};

struct ThresholdFit {
  nlohmann::json group = nlohmann::json::object();  // the axes other than along and fit
  SlopeFit fit;
  long off_grid = 0;  // rows of the group below or above the grid (left out of the fit)
};

// The slopes of one group's repeats (ThresholdSpec::over_repeats): their mean and the
// two-sided 95% t-interval of the mean (n - 1 degrees of freedom; NaN bounds with fewer than 2
// repeats that have a slope).
struct RepeatedSlope {
  nlohmann::json group = nlohmann::json::object();  // the axes other than along, fit and repeat
  std::vector<double> slopes;                       // one per repeat with a slope
  long without_slope = 0;                           // repeats with fewer than 2 points on the grid
  double mean = std::numeric_limits<double>::quiet_NaN();
  double sd = std::numeric_limits<double>::quiet_NaN();
  double ci_low = std::numeric_limits<double>::quiet_NaN();
  double ci_high = std::numeric_limits<double>::quiet_NaN();
};

struct ThresholdResult {
  std::vector<ThresholdRow> rows;
  std::vector<ThresholdFit> fits;
  std::vector<RepeatedSlope> repeated;  // slopes_over_repeats, filled by the caller
};

// The thresholds and fits of `table` (over_repeats plays no part here).
ThresholdResult evaluate_thresholds(const ThresholdSpec& spec, const ExperimentTable& table);

// With `fit`: the fits of `repeat_table` (a table whose axes include "repeat",
// load_experiment_table(dir, true)) per repeat, combined per group of the other axes into the
// mean slope and its t-interval. Empty without `fit`.
std::vector<RepeatedSlope> slopes_over_repeats(const ThresholdSpec& spec,
                                               const ExperimentTable& repeat_table);

// The 0.975 quantile of Student's t with `df` degrees of freedom (df >= 1).
double t_quantile_975(long df);

}  // namespace sih
