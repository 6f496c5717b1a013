#pragma once
// `sih report DIR` on a `sih analyze --out-dir` folder: one static, self-contained HTML page
// (no script, no network) of the model at a glance: the summary (summary.json), the layer
// figures and the outliers' ESDs (DIR/plots/), the layer table (analyze.csv, each header with
// its description from the metric schema as a tooltip) and the comparison (compare.csv) if any.
#include <string>

#include "sih/pages/report.hpp"

namespace sih {

// An analyze folder: no config.json, and summary.json, analyze.csv or analyze.json in it.
bool is_analyze_folder(const std::string& dir);

// Reads and checks summary.json, analyze.csv and compare.csv (InputError naming the file, row
// and column of a bad cell, before anything is written); draws the layer figures into
// DIR/plots/ (staged, swapped in whole) when it holds no PNG or a broken one; writes
// DIR/report.html atomically.
ReportResult write_analyze_report(const std::string& dir, const std::string& scripts_dir);

}  // namespace sih
