#pragma once
// `sih plot OUT_DIR`: the figures of a run or sweep folder (docs/OUTPUT.md), drawn by the
// gnuplot scripts of scripts/plot/ (scripts/plot/README.md lists them and what they read).
#include <filesystem>
#include <string>
#include <vector>

namespace sih {

struct PlotResult {
  std::vector<std::string> files;  // the PNGs written, in the order the scripts wrote them
  std::vector<std::string> notes;  // figures skipped for want of optional data, and why
};

// Detects a run folder (metrics.csv + config.json) or a sweep folder (aggregate.csv +
// config.json with "command") and runs the scripts that apply; a sweep gets only its own
// figures, not those of the runs inside it. PNGs go to <out_dir>/plots/: drawn into
// <out_dir>/plots.partial-<host>-<pid>/, each checked to be a complete PNG, and swapped in for
// plots/ only when all are; on any failure or interruption plots/ stays as it was. Staging
// folders of dead plots of this host are removed. Throws InputError (one line naming what is
// missing) for a missing, partial or foreign folder, missing gnuplot or missing scripts;
// std::runtime_error when a script fails; OutputError for an empty or cut-off PNG (disk full);
// Interrupted on SIGINT/SIGTERM.
PlotResult plot_folder(const std::string& out_dir, const std::string& scripts_dir);

// A file of a folder being read (plot, report): true when it is a regular file; false when
// absent or a folder (the caller says what is missing); a FIFO or device there is refused by
// name (InputError), since reading it would block or never end.
bool is_input_file(const std::filesystem::path& p);

// The gnuplot on PATH; InputError naming the package when there is none.
std::string find_gnuplot();

struct ScriptOutput {
  int status = 0;  // as waitpid
  std::string out, err;
};
// Runs `gnuplot -c script arg` without a shell (paths are passed verbatim as argv), stdin
// from /dev/null, capturing stdout and stderr.
// `env` holds NAME=VALUE entries added to (or replacing those of) sih's environment. gnuplot
// runs in its own process group; a signal to sih (interrupt_signal) kills that group, waits
// for it and throws Interrupted.
ScriptOutput run_gnuplot(const std::string& gnuplot, const std::string& script,
                         const std::string& arg, const std::vector<std::string>& env = {});
// "" when `path` is a complete PNG (PNG signature first, IEND chunk last); otherwise what is
// wrong with it ("missing", "empty (0 bytes)", "truncated ...", "not a PNG ...").
std::string png_problem(const std::string& path);

// The staging folder of one drawing of DIR/plots/: DIR/plots.partial-<host>-<pid>/ (staging
// folders of dead processes of this host removed on creation). commit() swaps it in for
// DIR/plots/ in one step (renameat2 RENAME_EXCHANGE; a plain rename when there was none) and
// removes the old figures; without commit() it is removed, so a failed or interrupted drawing
// leaves no partial figures and the previous plots/ as it was.
class PlotStaging {
 public:
  explicit PlotStaging(const std::filesystem::path& dir);
  PlotStaging(const PlotStaging&) = delete;
  PlotStaging& operator=(const PlotStaging&) = delete;
  ~PlotStaging();
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& final_path() const { return final_; }
  void commit();

 private:
  std::filesystem::path final_, staging_;
  bool committed_ = false;
};

// $SIH_PLOT_SCRIPTS if set; else <folder of the executable>/../scripts/plot (build tree) or
// ../share/sih/scripts/plot (installed) when it exists; else the source tree's scripts/plot.
std::string default_plot_scripts_dir();

}  // namespace sih
