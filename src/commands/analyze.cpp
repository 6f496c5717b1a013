#include "sih/commands/analyze.hpp"

#include <filesystem>
#include <ostream>

#include "sih/base/types.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/pages/analyze_plot.hpp"
#include "sih/rundir/output.hpp"

namespace sih {

namespace {

namespace fs = std::filesystem;

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

// --out or --plot resolving to an input (by any path: ./g.npy, a symlink, a hard link) would
// replace what is being analysed; refused before anything is read.
void refuse_output_onto_inputs(const AnalyzeOptions& opt) {
  for (const auto& p : opt.paths) {
    std::vector<fs::path> inputs = {p};
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      inputs.push_back(fs::path(p) / "weights");
      for (const auto& e : fs::directory_iterator(fs::path(p) / "weights", ec))
        inputs.push_back(e.path());
    }
    for (const auto& in : inputs) {
      if (!opt.out_file.empty() && same_file(opt.out_file, in))
        throw InputError("--out: " + opt.out_file + ": is the input " + in.string() +
                         "; sih does not write over its inputs");
      if (!opt.plot_dir.empty() && same_file(opt.plot_dir, in))
        throw InputError("--plot: " + opt.plot_dir + ": is the input " + in.string() +
                         "; sih does not write over its inputs");
    }
  }
}

}  // namespace

int run_analyze(const AnalyzeOptions& opt, std::ostream& out, std::ostream& err) {
  // Before the analysis, which can take minutes: a bad --out or --plot is bad input.
  refuse_output_onto_inputs(opt);
  if (!opt.out_file.empty()) check_output_file(opt.out_file, "--out");
  if (!opt.plot_dir.empty()) check_output_folder(opt.plot_dir, "--plot");
  int errors = 0;
  const std::vector<AnalyzeRow> rows = analyze_all(opt, err, &errors);
  const std::string text = opt.format == "json" ? analyze_json(rows) : analyze_csv(rows);
  if (opt.out_file.empty()) {
    out << text << std::flush;
  } else {
    write_file_atomic(opt.out_file, text);
    if (!opt.quiet) err << "[sih] wrote " << rows.size() << " rows to " << opt.out_file << '\n';
  }
  if (!opt.plot_dir.empty()) {
    const auto files = write_analyze_plots(rows, opt.plot_dir);
    if (!opt.quiet) err << "[sih] wrote " << files.size() << " plots to " << opt.plot_dir << '\n';
  }
  return errors > 0 ? 2 : 0;
}

}  // namespace sih
