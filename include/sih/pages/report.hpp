#pragma once
// `sih report DIR`: one static, self-contained HTML page of a run or sweep folder
// (docs/OUTPUT.md): the config, the metrics (or, for a sweep, the runs and the rank
// correlations) and every figure of DIR/plots/ with a caption. No script, no network: inline
// CSS, images referenced beside the page as plots/<name>.png.
#include <string>
#include <vector>

namespace sih {

struct ReportResult {
  std::string path;                 // DIR/report.html
  std::vector<std::string> images;  // the plots/ PNGs the page shows, in page order
  bool plotted = false;             // plot_folder() ran first (plots/ was missing or empty)
  std::vector<std::string> notes;   // plot_folder()'s notes when it ran
};

// Throws InputError (one line) when DIR is not a complete run or sweep folder, before
// anything is written; draws the figures first (plot_folder) when DIR/plots/ holds no PNG;
// writes DIR/report.html atomically (a page is complete or absent).
ReportResult write_report(const std::string& dir, const std::string& scripts_dir);

// The head of every sih page: doctype, title and the shared inline style, up to <body>.
std::string report_page_head(const std::string& title);

// HTML-escapes & < > " ' (exposed for tests).
std::string html_escape(const std::string& s);

// The caption of a figure of plots/ from its file name (scripts/plot/README.md).
std::string figure_caption(const std::string& file_name);

}  // namespace sih
