#pragma once
// `sih report DIR`: one static, self-contained HTML page of a run or sweep folder
// (docs/OUTPUT.md): the config, the metrics (or, for a sweep, the runs and the rank
// correlations) and every figure of DIR/plots/ with a caption. No script, no network: inline
// CSS, images referenced beside the page as plots/<name>.png.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sih/formats/csv_table.hpp"

namespace sih {

struct ReportResult {
  std::string path;                 // DIR/report.html
  std::vector<std::string> images;  // the plots/ PNGs the page shows, in page order
  bool plotted = false;             // plot_folder() ran first (plots/ was missing or empty)
  std::vector<std::string> notes;   // plot_folder()'s notes when it ran
};

// An analyze folder (`sih analyze --out-dir`: summary.json and analyze.csv, no config.json)
// gets write_analyze_report (analyze_page.hpp).
// Throws InputError (one line) when DIR is not a complete run, sweep or analyze folder, before
// anything is written; draws the figures first (plot_folder) when DIR/plots/ holds no PNG;
// writes DIR/report.html atomically (a page is complete or absent).
ReportResult write_report(const std::string& dir, const std::string& scripts_dir);

// The head of every sih page: doctype, title and the shared inline style, up to <body>.
std::string report_page_head(const std::string& title);

// HTML-escapes & < > " ' (exposed for tests).
std::string html_escape(const std::string& s);

// The caption of a figure of plots/ from its file name (scripts/plot/README.md).
std::string figure_caption(const std::string& file_name);

// The building blocks of the pages, shared by report.cpp and analyze_page.cpp:
// a CSV cell as shown (numbers with 5 significant digits, empty as an em dash, text escaped);
std::string report_cell_html(const std::string& cell);
// a table of the given columns of t (all when cols is empty; absent ones skipped), each header
// with doc_of(name) as its tooltip when non-empty;
std::string report_table_html(const CsvTable& t, std::vector<std::string> cols,
                              const std::function<std::string(const std::string&)>& doc_of);
// key/value rows;
std::string report_meta_table(const std::vector<std::pair<std::string, std::string>>& rows);
// plots/<name> figures with their captions;
std::string report_figures_html(const std::vector<std::string>& names,
                                const std::function<std::string(const std::string&)>& caption);
// the PNGs of a plots folder in page order (the layer, run and sweep figures of
// scripts/plot/README.md first, the rest in natural order).
std::vector<std::string> report_png_names(const std::string& plots_dir);

}  // namespace sih
