#pragma once
// The one reader of run and sweep folders (docs/OUTPUT.md is the contract, output.hpp the
// writer), used by merge, report, plot, claims, reproduce and the reuse of a finished run.
// One error policy: a file that is there but cannot be read, or does not hold what sih writes,
// throws InputError (exit 2) with one line naming the file, and the row and column of a bad
// cell; a file that may be legitimately absent (a run not finished, a sweep not merged) comes
// back as nullopt, and the caller says what its absence means.
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sih/core/run_status.hpp"
#include "sih/formats/csv_table.hpp"

namespace sih {

// config.json of a run or sweep folder: a JSON object. nullopt when the folder has none.
std::optional<nlohmann::json> read_folder_config(const std::string& dir);

struct RunSummary {
  RunStatus status = RunStatus::kOk;
  double wall_time_s = NAN;  // NaN when the file does not record it
  nlohmann::json final;      // the last checkpoint's metrics: name -> number
  nlohmann::json json;       // the whole file, for the fields only a page shows
};
// summary.json of a run folder (written last: a run folder is complete when it is there);
// nullopt when absent.
std::optional<RunSummary> read_run_summary(const std::string& run_dir);

// metrics.csv: a step column; every cell empty (not computed) or a number.
struct MetricsTable {
  CsvTable csv;                             // the cells as written, for the pages
  std::vector<std::vector<double>> values;  // csv.rows as numbers, NaN for an empty cell
  int col(const std::string& name) const { return csv.col(name); }
  // NaN when the column is absent or the cell empty.
  double value(std::size_t r, int c) const;
};
// metrics.csv of a run folder. A run folder always has one: absent is an InputError too.
MetricsTable read_run_metrics(const std::string& run_dir);

// runs.csv of a sweep folder, its columns found by name: run_id, repeat, the axes (config.json's
// "swept"), status and wall_time_s.
struct SweepRuns {
  CsvTable csv;
  std::vector<std::string> axes;
  int id_col = -1, repeat_col = -1, status_col = -1, wall_col = -1;
  std::vector<int> axis_cols;     // one per axis, same order
  std::vector<RunStatus> status;  // one per row
  std::vector<double> wall_s;     // one per row, NaN when the cell is empty
};
// nullopt when the sweep has no runs.csv yet (not merged). `config` is the folder's
// config.json (read_folder_config).
std::optional<SweepRuns> read_sweep_runs(const std::string& sweep_dir,
                                         const nlohmann::json& config);

}  // namespace sih
