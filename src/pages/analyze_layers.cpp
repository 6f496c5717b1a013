// The layer-by-layer figures of `sih analyze`: data files from analyze.csv and one gnuplot
// call (scripts/plot/analyze_layers.gp).
#include "sih/pages/analyze_layers.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "sih/base/input_file.hpp"
#include "sih/base/types.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/experiments/analyze_summary.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/pages/plot.hpp"

namespace sih {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// analyze.csv's columns before the schema's (analyze_csv): which are numbers.
bool fixed_numeric_column(const std::string& name) {
  return name == "N" || name == "M" || name == "rf";
}

bool parse_cell(const std::string& s, double* v) {
  if (s.empty()) {
    *v = kNaN;
    return true;
  }
  if (s == "inf" || s == "-inf") {
    *v = s == "inf" ? std::numeric_limits<double>::infinity()
                    : -std::numeric_limits<double>::infinity();
    return true;
  }
  // Digits, sign, point and exponent only: strtod alone would also take "nan", "0x1p3", "infinity".
  if (s.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

bool is_word(const std::string& s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : "NaN"; }

bool fitted(double alpha) { return std::isfinite(alpha) && alpha > 0; }

}  // namespace

bool analyze_text_column(const std::string& name) {
  if (fixed_numeric_column(name)) return false;
  for (const MetricColumn& m : analyze_columns())
    if (m.name == name) return false;
  return true;
}

double AnalyzeTable::value(std::size_t r, const std::string& name) const {
  double v = kNaN;
  parse_cell(csv.at(r, csv.col(name)), &v);
  return v;
}

CsvTable parse_checked_csv(const std::string& text, const std::string& path,
                           const std::function<bool(const std::string&)>& is_text) {
  std::optional<CsvTable> t = parse_quoted_csv_table(text);
  if (!t) throw InputError(path + ": a quoted cell is never closed");
  if (t->header.empty()) throw InputError(path + ": empty (no header line)");
  std::vector<bool> text_column;
  for (const auto& h : t->header) text_column.push_back(is_text(h));
  for (std::size_t r = 0; r < t->rows.size(); ++r) {
    if (t->rows[r].size() != t->header.size())
      throw InputError(fmt::format("{}: row {}: {} cells, the header has {}", path, r + 1,
                                   t->rows[r].size(), t->header.size()));
    for (std::size_t c = 0; c < t->header.size(); ++c) {
      double v = 0;
      if (!text_column[c] && !parse_cell(t->rows[r][c], &v))
        throw InputError(fmt::format("{}: row {}, column {}: '{}' is not a number", path, r + 1,
                                     t->header[c], t->rows[r][c]));
    }
  }
  return std::move(*t);
}

AnalyzeTable parse_analyze_table(const std::string& text, const std::string& path) {
  CsvTable t = parse_checked_csv(text, path, analyze_text_column);
  for (const char* required : {"name", "kind"})
    if (t.col(required) < 0)
      throw InputError(fmt::format("{}: no column \"{}\" in its header", path, required));
  const int kind = t.col("kind");
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    if (!is_word(t.at(r, kind)))
      throw InputError(fmt::format("{}: row {}, column kind: '{}' is not a layer kind", path, r + 1,
                                   t.at(r, kind)));
  return {path, std::move(t)};
}

AnalyzeTable read_analyze_table(const std::string& path) {
  require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_analyze_table(text.str(), path);
}

std::vector<std::size_t> alpha_outliers(const std::vector<double>& alpha, std::size_t max_count) {
  std::vector<std::pair<double, std::size_t>> far;
  for (std::size_t i = 0; i < alpha.size(); ++i) {
    const double a = alpha[i];
    if (!fitted(a)) continue;
    const double d = a < kAlphaOverTrained    ? kAlphaOverTrained - a
                     : a > kAlphaUnderTrained ? a - kAlphaUnderTrained
                                              : 0;
    if (d > 0) far.emplace_back(d, i);
  }
  // farthest first; ties in table order
  std::stable_sort(far.begin(), far.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < far.size() && k < max_count; ++k) out.push_back(far[k].second);
  return out;
}

std::string unfitted_layers_note(const AnalyzeTable& t) {
  std::vector<std::string> names;
  for (std::size_t r = 0; r < t.csv.rows.size(); ++r)
    if (!fitted(t.value(r, "alpha"))) names.push_back(t.csv.at(r, t.csv.col("name")));
  if (names.empty()) return "";
  std::string shown;
  for (std::size_t i = 0; i < names.size() && i < 8; ++i) shown += (i ? ", " : "") + names[i];
  if (names.size() > 8) shown += fmt::format(" and {} more", names.size() - 8);
  return fmt::format(
      "{} of {} layers without a power-law fit (alpha -1 or empty) are not drawn in the alpha "
      "figures nor in alpha_weighted: {}",
      names.size(), t.csv.rows.size(), shown);
}

LayerFigures write_layer_figures(const AnalyzeTable& t, const std::string& title,
                                 const std::string& dir, const std::string& scripts_dir) {
  const std::string gnuplot = find_gnuplot();
  const std::string script = scripts_dir + "/analyze_layers.gp";
  if (!fs::is_regular_file(script)) throw InputError(script + ": plot script missing");
  LayerFigures result;
  const int kind_col = t.csv.col("kind");
  std::vector<std::string> kinds;
  auto kind_index = [&](std::size_t r) {
    const std::string k = t.csv.at(r, kind_col);
    auto it = std::find(kinds.begin(), kinds.end(), k);
    if (it == kinds.end()) it = kinds.insert(kinds.end(), k);
    return static_cast<long>(it - kinds.begin()) + 1;
  };
  std::string alpha_dat, norms_dat, weighted_dat;
  std::vector<double> alphas;
  for (std::size_t r = 0; r < t.csv.rows.size(); ++r) {
    const long k = kind_index(r);
    const double a = t.value(r, "alpha"), ln = t.value(r, "log_norm");
    const double aw = fitted(a) ? t.value(r, "alpha_weighted") : kNaN;
    if (fitted(a)) {
      alpha_dat += fmt::format("{} {} {}\n", r + 1, num(a), k);
      alphas.push_back(a);
    }
    if (std::isfinite(ln)) norms_dat += fmt::format("{} {} {}\n", r + 1, num(ln), k);
    if (std::isfinite(aw)) weighted_dat += fmt::format("{} {} {}\n", r + 1, num(aw), k);
  }
  if (const std::string note = unfitted_layers_note(t); !note.empty()) result.notes.push_back(note);
  std::string hist_dat;
  if (!alphas.empty()) {
    const auto [lo_it, hi_it] = std::minmax_element(alphas.begin(), alphas.end());
    double lo = *lo_it, hi = *hi_it;
    if (hi - lo < 1e-9) {
      lo -= 0.5;
      hi += 0.5;
    }
    const int bins = std::clamp(
        static_cast<int>(std::ceil(2 * std::sqrt(static_cast<double>(alphas.size())))), 5, 40);
    const double w = (hi - lo) / bins;
    std::vector<long> count(bins, 0);
    for (const double a : alphas) ++count[std::min(bins - 1, static_cast<int>((a - lo) / w))];
    for (int b = 0; b < bins; ++b)
      hist_dat += fmt::format("{} {} {}\n", num(lo + (b + 0.5) * w), count[b], num(w));
  }
  std::string kinds_line;
  for (const auto& k : kinds) kinds_line += (kinds_line.empty() ? "" : " ") + k;
  const fs::path d(dir);
  // Stale data of an earlier drawing would be drawn again: each file written or removed.
  const auto put = [&](const char* name, const std::string& content) {
    std::error_code ec;
    if (content.empty())
      fs::remove(d / name, ec);
    else
      write_file_atomic((d / name).string(), content);
  };
  put("layers_alpha.dat", alpha_dat);
  put("layers_norms.dat", norms_dat);
  put("layers_alpha_weighted.dat", weighted_dat);
  put("layers_alpha_hist.dat", hist_dat);
  put("layers.kinds", kinds_line + "\n");
  put("layers.title", title + "\n");
  std::vector<std::string> expected;
  if (!alpha_dat.empty()) expected = {"layers_alpha.png"};
  if (!norms_dat.empty() || !weighted_dat.empty()) expected.push_back("layers_norms.png");
  if (!hist_dat.empty()) expected.push_back("layers_alpha_hist.png");
  if (alpha_dat.empty()) result.notes.push_back("no layer has a power-law fit: no alpha figures");
  if (norms_dat.empty() && weighted_dat.empty())
    result.notes.push_back("no layer has log_norm or alpha_weighted: no norms figure");
  if (expected.empty()) return result;
  for (const auto& png : expected) {
    std::error_code ec;
    fs::remove(d / png, ec);
  }
  const ScriptOutput out = run_gnuplot(gnuplot, script, dir);
  if (!WIFEXITED(out.status) || WEXITSTATUS(out.status) != 0) {
    std::string last = out.err;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    throw std::runtime_error("plot script analyze_layers.gp failed on " + dir + ": " +
                             (last.empty() ? "no message" : last));
  }
  for (const auto& png : expected) {
    const std::string p = (d / png).string();
    const std::string problem = png_problem(p);
    if (!problem.empty())
      throw OutputError(p + ": " + problem + " (written by analyze_layers.gp; disk full?)");
    result.pngs.push_back(p);
  }
  return result;
}

}  // namespace sih
