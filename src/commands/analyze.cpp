#include "sih/commands/analyze.hpp"

#include <filesystem>
#include <optional>
#include <ostream>

#include "sih/base/types.hpp"
#include "sih/experiments/analyze_compare.hpp"
#include "sih/experiments/analyze_peft.hpp"
#include "sih/experiments/analyze_summary.hpp"
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
  std::vector<std::string> paths = opt.paths;
  if (!opt.compare.empty()) paths.push_back(opt.compare);
  for (const auto& p : paths) {
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
      if (!opt.out_dir.empty() && same_file(opt.out_dir, in))
        throw InputError("--out-dir: " + opt.out_dir + ": is the input " + in.string() +
                         "; sih does not write over its inputs");
      if (!opt.plot_dir.empty() && same_file(opt.plot_dir, in))
        throw InputError("--plot: " + opt.plot_dir + ": is the input " + in.string() +
                         "; sih does not write over its inputs");
    }
  }
}

}  // namespace

int run_analyze(const AnalyzeOptions& opt, std::ostream& out, std::ostream& err) {
  // Before the analysis, which can take minutes: a bad --out, --out-dir or --plot is bad input.
  if (!opt.out_dir.empty() && !opt.out_file.empty())
    throw InputError("--out-dir: " + opt.out_dir +
                     ": give --out FILE (the table) or --out-dir DIR (every output), not both");
  if (!opt.compare.empty() && opt.paths.size() != 1)
    throw InputError("--compare: compares one checkpoint with " + opt.compare + "; " +
                     std::to_string(opt.paths.size()) + " paths given");
  if (opt.plot_into_out_dir && opt.out_dir.empty())
    throw InputError(
        "--plot: give a folder (--plot DIR) or --out-dir DIR (the figures go to DIR/plots)");
  refuse_output_onto_inputs(opt);
  if (!opt.out_file.empty()) check_output_file(opt.out_file, "--out");
  if (!opt.out_dir.empty()) check_output_folder(opt.out_dir, "--out-dir");
  if (!opt.plot_dir.empty()) check_output_folder(opt.plot_dir, "--plot");
  int errors = 0;
  std::vector<AnalyzeRow> rows;
  std::optional<CompareResult> cmp;
  if (!opt.compare.empty() && is_peft_adapter(opt.paths[0])) {
    // a LoRA adapter has no weights of its own: the table is of W0 + scale B A per layer
    check_analyze_options(opt);
    cmp = compare_checkpoints(opt, rows, err);
    rows = cmp->merged_rows;
  } else {
    rows = analyze_all(opt, err, &errors);
    if (!opt.compare.empty()) cmp = compare_checkpoints(opt, rows, err);
  }
  const AnalyzeSummary summary = summarize_analysis(rows);
  if (!opt.quiet && !rows.empty()) err << summary_lines(summary);
  if (cmp) {
    if (!opt.quiet) {
      err << "[sih] compare: " << cmp->pairs.size() << " tensors paired with " << opt.compare
          << '\n'
          << compare_unpaired_lines(*cmp);
    }
  }
  const std::string text = opt.format == "json" ? analyze_json(rows) : analyze_csv(rows);
  if (!opt.out_dir.empty()) {
    // Each file atomically; summary.json last, so a folder with it is whole. A compare.csv of
    // an earlier run without --compare now would describe another pair: removed.
    fs::create_directories(opt.out_dir);
    const fs::path dir(opt.out_dir);
    write_file_atomic((dir / ("analyze." + opt.format)).string(), text);
    std::error_code ec;
    if (cmp)
      write_file_atomic((dir / "compare.csv").string(), compare_csv(*cmp));
    else
      fs::remove(dir / "compare.csv", ec);
    write_file_atomic((dir / "summary.json").string(), summary_json(summary));
    if (!opt.quiet)
      err << "[sih] wrote analyze." << opt.format << " (" << rows.size() << " rows), "
          << (cmp ? "compare.csv, " : "") << "summary.json to " << opt.out_dir << '\n';
  } else {
    // --compare answers the question asked on stdout; the layer table then needs --out.
    if (cmp)
      out << compare_csv(*cmp) << std::flush;
    else if (opt.out_file.empty())
      out << text << std::flush;
    if (!opt.out_file.empty()) {
      write_file_atomic(opt.out_file, text);
      if (!opt.quiet) err << "[sih] wrote " << rows.size() << " rows to " << opt.out_file << '\n';
    }
  }
  if (!opt.plot_dir.empty() || opt.plot_into_out_dir) {
    const AnalyzePlots plots = opt.plot_into_out_dir ? write_analyze_folder_plots(rows, opt.out_dir)
                                                     : write_analyze_plots(rows, opt.plot_dir);
    if (!opt.quiet) {
      for (const auto& note : plots.notes) err << "[sih] note: " << note << '\n';
      err << "[sih] wrote " << plots.pngs.size() << " plots to "
          << (opt.plot_into_out_dir ? (fs::path(opt.out_dir) / "plots").string() : opt.plot_dir)
          << '\n';
    }
  }
  return errors > 0 ? 2 : 0;
}

}  // namespace sih
