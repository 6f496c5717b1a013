#pragma once
// The run folder (docs/OUTPUT.md is the contract). A run is written into a staging folder
// `<out_dir>/.<id>.partial-<host>-<pid>` and renamed to `<out_dir>/<id>` only when complete, so
// a folder under its final name is always whole; every file inside is written atomically too.
// A process killed with SIGKILL leaves its staging folder behind: the next RunWriter of the
// same run on the same host removes it when that pid is gone; other folders are ignored.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sih/base/types.hpp"
#include "sih/core/metrics_schema.hpp"

namespace sih {

nlohmann::json metrics_to_json(const MetricsRow& row);  // missing cells omitted
std::string format_number(double v);                    // 17 significant digits
std::string metrics_csv(const std::vector<MetricsRow>& rows);

// A complete run folder has summary.json (written last, before the rename).
bool run_folder_complete(const std::string& dir);

// Checks of an output path given on the command line (`option`, e.g. "--out"), before any work:
// InputError naming the option and the path when the path cannot be written. Nothing is
// created here.
// A folder (made later if missing): must not be a file; its nearest existing ancestor must be a
// writable folder.
void check_output_folder(const std::string& dir, const std::string& option);
// A file (written later): must not be a folder; its folder must exist and be writable.
void check_output_file(const std::string& path, const std::string& option);

class RunWriter {
 public:
  // Creates the staging folder. `final_dir` must not exist yet.
  explicit RunWriter(std::string final_dir);
  ~RunWriter();  // removes the staging folder if commit() was not called
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  const std::string& staging_dir() const { return staging_; }
  const std::string& final_dir() const { return final_; }
  std::string path(const std::string& relative) const;  // creates parent folders

  void write_text(const std::string& relative, const std::string& content);
  void write_json(const std::string& relative, const nlohmann::json& j);
  // A vector as a one-column CSV with a header.
  void write_column(const std::string& relative, const std::string& header, const VecD& v);
  void write_matrix_npy(const std::string& relative, const MatD& m);
  void write_matrix_npy(const std::string& relative, const Mat<float>& m);

  void add_metrics(const MetricsRow& row);
  const std::vector<MetricsRow>& metrics() const { return rows_; }

  void log(const std::string& line);  // to stderr (unless quiet) and run.log

  // Writes metrics.csv, run.log and summary.json, then renames staging -> final.
  void commit(const nlohmann::json& summary);

  bool quiet = false;

 private:
  std::string final_, staging_;
  std::vector<std::string> created_;  // out_dir folders this writer made, deepest first
  std::vector<MetricsRow> rows_;
  std::string log_;
  bool committed_ = false;
};

}  // namespace sih
