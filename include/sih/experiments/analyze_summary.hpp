#pragma once
// The model-level summary of `sih analyze` (docs/OUTPUT.md, "summary.json"): weightwatcher's
// get_summary() (the mean of seven columns over the analysed layers) plus their medians and the
// layers in weightwatcher's over-trained (alpha < 2) and under-trained (alpha > 6) bands.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sih/experiments/analyze.hpp"

namespace sih {

// One statistic of the summary: `reducer` over the column `column` of the layer table.
struct SummaryStat {
  enum Reducer { kMean, kMedian };
  std::string_view name;    // its key in summary.json
  std::string_view column;  // an analyze column (metrics_schema.hpp)
  Reducer reducer;
};

// The statistics, in output order; adding one is one row (analyze_summary.cpp).
const std::vector<SummaryStat>& summary_stats();

struct AnalyzeSummary {
  std::vector<std::string> inputs;  // the analysed paths
  std::size_t layers = 0;           // rows summarised
  // Per summary_stats() row: the value, NaN when no layer has the column.
  std::vector<std::pair<std::string, double>> values;
  // Layer names, in table order. A failed power-law fit (alpha = -1, as weightwatcher writes
  // it) is in neither band but in failed_fits.
  std::vector<std::string> over_trained, under_trained, failed_fits;
  // --randomize (any row with max_rand_eval): the layers with correlation_trap = 1, in table
  // order; summary.json lists them only then.
  bool randomized = false;
  std::vector<std::string> correlation_traps;
  double value(std::string_view name) const;  // NaN if not a stat
};

// Thresholds of weightwatcher's bands.
inline constexpr double kAlphaOverTrained = 2.0, kAlphaUnderTrained = 6.0;

// As weightwatcher's get_summary(): means over every row, empty (NaN) cells skipped as pandas'
// mean does, -1 failed fits included as there. Medians skip NaN likewise.
AnalyzeSummary summarize_analysis(const std::vector<AnalyzeRow>& rows);

std::string summary_json(const AnalyzeSummary& s);   // summary.json's text
std::string summary_lines(const AnalyzeSummary& s);  // a few "[sih] ..." lines for stderr
}  // namespace sih
