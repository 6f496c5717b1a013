// The one metric schema (core/metrics_schema.hpp) and the ESD diagnostics: every column the
// schema takes from the diagnostics exists there under its name, `sih analyze`'s columns are the
// diagnostics' columns in their order (so its output is what it was before the schema carried
// it), and the two ways of filling a row keep their conventions (empty cells at a checkpoint,
// weightwatcher's -1 for a failed fit in analyze). The values themselves are checked against
// the diagnostics of each checkpoint's W in test_checkpoint_spikes.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "sih/core/metrics_schema.hpp"
#include "sih/spectra/esd_diagnostics.hpp"

namespace sih {
namespace {

std::vector<std::string> esd_names() {
  std::vector<std::string> names;
  for (const auto& [name, value] : EsdDiagnostics{}.columns()) names.push_back(name);
  return names;
}

TEST(MetricFill, EveryColumnTakenFromTheDiagnosticsExistsThere) {
  const std::vector<std::string> esd = esd_names();
  const std::set<std::string> known(esd.begin(), esd.end());
  for (const MetricColumn& m : metric_schema()) {
    if (m.has(kFromEsd)) {
      EXPECT_TRUE(known.count(std::string(m.name))) << m.name;
    }
  }
  for (const MetricColumn& m : analyze_columns()) {
    if (!m.has(kRandomized)) {
      EXPECT_TRUE(known.count(std::string(m.name))) << m.name;
    }
  }
}

TEST(MetricFill, AnalyzeColumnsAreTheDiagnosticsColumnsInTheirOrder) {
  std::vector<std::string> analyze;
  std::vector<std::string> randomized;
  for (const MetricColumn& m : analyze_columns())
    (m.has(kRandomized) ? randomized : analyze).emplace_back(m.name);
  EXPECT_EQ(analyze, esd_names());
  // --randomize's columns come last, after every column of the diagnostics
  ASSERT_FALSE(randomized.empty());
  EXPECT_EQ(analyze_columns()[analyze.size()].name, randomized[0]);
}

TEST(MetricFill, AnalyzeOnlyColumnsStayOutOfMetricsCsv) {
  std::set<std::string> seen;
  for (const std::string& c : metrics_columns()) {
    EXPECT_TRUE(seen.insert(c).second) << "twice in metrics.csv: " << c;
    for (const char* only : {"num_evals", "lambda_max", "norm", "alpha", "xmin", "bulk_max"})
      EXPECT_NE(c, only);
  }
  EXPECT_EQ(find_metric("alpha"), nullptr);  // a claim cannot name a column runs never write
  ASSERT_NE(find_metric("num_spikes"), nullptr);
}

TEST(MetricFill, CheckpointAndAnalyzeKeepTheirConventions) {
  EsdDiagnostics e;
  e.alpha = -1;  // weightwatcher's failed fit
  e.num_pl_spikes = -1;
  e.log_norm = 2.5;
  e.mp.num_spikes = 3;
  e.mp.sigma_mp = 0.75;
  e.lambda_max = std::numeric_limits<double>::infinity();

  MetricsRow plain;
  fill_metrics(e, EsdTarget::kCheckpoint, false, plain);
  EXPECT_EQ(plain.num_spikes, std::optional<double>(3));
  EXPECT_EQ(plain.sigma_mp, std::optional<double>(0.75));
  EXPECT_FALSE(plain.log_norm) << "weightwatcher's columns need enable_ww";
  EXPECT_FALSE(plain.alpha) << "analyze-only columns are not a checkpoint's";
  EXPECT_FALSE(plain.mp_softrank) << "NaN is an empty cell";

  MetricsRow ww;
  fill_metrics(e, EsdTarget::kCheckpoint, true, ww);
  EXPECT_EQ(ww.log_norm, std::optional<double>(2.5));
  EXPECT_FALSE(ww.num_pl_spikes) << "a negative count is undefined at a checkpoint";

  MetricsRow analyzed;
  fill_metrics(e, EsdTarget::kAnalyze, true, analyzed);
  EXPECT_EQ(analyzed.alpha, std::optional<double>(-1));
  EXPECT_EQ(analyzed.num_pl_spikes, std::optional<double>(-1));
  EXPECT_EQ(analyzed.log_norm, std::optional<double>(2.5));
  EXPECT_EQ(analyzed.num_spikes, std::optional<double>(3));
  ASSERT_TRUE(analyzed.lambda_max);
  EXPECT_TRUE(std::isinf(*analyzed.lambda_max)) << "analyze writes inf as inf";
  EXPECT_FALSE(analyzed.xmax) << "NaN is an empty cell";
  EXPECT_FALSE(analyzed.max_rand_eval) << "--randomize's columns are not the diagnostics'";
}

}  // namespace
}  // namespace sih
