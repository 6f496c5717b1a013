#include "sih/commands/analyze.hpp"

#include <ostream>

#include "sih/formats/array_io.hpp"
#include "sih/pages/analyze_plot.hpp"
#include "sih/rundir/output.hpp"

namespace sih {

int run_analyze(const AnalyzeOptions& opt, std::ostream& out, std::ostream& err) {
  // Before the analysis, which can take minutes: a bad --out or --plot is bad input.
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
