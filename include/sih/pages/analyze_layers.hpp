#pragma once
// The layer-by-layer figures of `sih analyze` (alpha per layer with the 2..6 band, coloured by
// layer kind; log_norm and alpha_weighted per layer; the histogram of alphas), drawn by
// scripts/plot/analyze_layers.gp from data files written from analyze.csv, and the table they
// come from, read and checked.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sih/formats/csv_table.hpp"

namespace sih {

// analyze.csv as `sih analyze` writes it, every cell checked.
struct AnalyzeTable {
  std::string path;  // named in errors
  CsvTable csv;
  // The value of row r (0-based) in column `name`: NaN when the cell is empty or the column
  // absent; +-inf as written.
  double value(std::size_t r, const std::string& name) const;
};

// True for analyze.csv's columns that hold text (name, source, shape, dtype, kind, and any
// column that is neither one of analyze's fixed numeric columns nor in the metric schema);
// every other cell must be a number, "inf", "-inf" or empty.
bool analyze_text_column(const std::string& name);

// A CSV as `sih analyze` writes them (analyze.csv, compare.csv: quoted cells, csv_field),
// checked: a header, every row as long as it, every cell of a column that is not
// is_text(name) a number, "inf", "-inf" or empty. InputError naming `path`, the row (1 = the
// first after the header) and the column otherwise.
CsvTable parse_checked_csv(const std::string& text, const std::string& path,
                           const std::function<bool(const std::string&)>& is_text);

// Parses analyze.csv's text (quoted names and paths, csv_field), checking it: a header with
// "name" and "kind", every row as long as the header, a kind a word of [A-Za-z0-9_], every
// numeric cell a number. InputError (one line naming `path`, the row and the column) otherwise.
AnalyzeTable parse_analyze_table(const std::string& text, const std::string& path);
AnalyzeTable read_analyze_table(const std::string& path);

// Rows (0-based) of the layers whose alpha lies farthest outside [2, 6] (weightwatcher's
// bands), farthest first, at most `max_count`; failed fits (alpha < 0, NaN) never count.
std::vector<std::size_t> alpha_outliers(const std::vector<double>& alpha, std::size_t max_count);

// The note on the rows the alpha figures leave out (failed power-law fits); "" when none.
std::string unfitted_layers_note(const AnalyzeTable& table);

struct LayerFigures {
  std::vector<std::string> pngs;   // written into the folder, in page order
  std::vector<std::string> notes;  // rows not drawn and why; figures skipped
};

// Writes the data files (layers_alpha.dat, layers_norms.dat, layers_alpha_weighted.dat,
// layers_alpha_hist.dat, layers.kinds, layers.title; scripts/plot/README.md) into `dir` and runs
// analyze_layers.gp of `scripts_dir` there; every PNG checked (png_problem). Rows with a failed
// power-law fit (alpha < 0 or empty) are left out of the alpha figures and of alpha_weighted, and
// said so in `notes`. InputError when gnuplot or the script is missing; std::runtime_error when the
// script fails; OutputError for a broken PNG.
LayerFigures write_layer_figures(const AnalyzeTable& table, const std::string& title,
                                 const std::string& dir, const std::string& scripts_dir);

}  // namespace sih
