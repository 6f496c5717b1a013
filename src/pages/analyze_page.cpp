// `sih report` on a `sih analyze --out-dir` folder (analyze_page.hpp).
#include "sih/pages/analyze_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sih/base/input_file.hpp"
#include "sih/base/interrupt.hpp"
#include "sih/base/types.hpp"
#include "sih/base/version.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/experiments/analyze_summary.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/pages/analyze_layers.hpp"
#include "sih/pages/plot.hpp"

namespace sih {

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::string read_text(const fs::path& p) {
  require_regular_file(p.string());
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(p.string() + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The schema's description of an analyze column; "" for the others.
std::string column_doc(const std::string& name) {
  for (const MetricColumn& m : analyze_columns())
    if (m.name == name) return std::string(m.doc);
  return "";
}

std::string number_text(double v) { return report_cell_html(fmt::format("{:.17g}", v)); }

// summary.json, its statistics numbers (or null) and its lists of layer names strings.
ordered_json read_summary(const fs::path& p) {
  ordered_json j;
  try {
    j = ordered_json::parse(read_text(p));
  } catch (const ordered_json::parse_error& e) {
    throw InputError(p.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw InputError(p.string() + ": not a JSON object");
  for (const SummaryStat& st : summary_stats()) {
    const std::string key(st.name);
    if (j.contains(key) && !j[key].is_number() && !j[key].is_null())
      throw InputError(fmt::format("{}: {}: {} is not a number", p.string(), key, j[key].dump()));
  }
  for (const char* key : {"layers", "num_over_trained", "num_under_trained", "num_failed_fits",
                          "num_correlation_traps"})
    if (j.contains(key) && !j[key].is_number_unsigned())
      throw InputError(fmt::format("{}: {}: {} is not a count", p.string(), key, j[key].dump()));
  for (const char* key :
       {"inputs", "over_trained", "under_trained", "failed_fits", "correlation_traps"}) {
    if (!j.contains(key)) continue;
    bool ok = j[key].is_array();
    for (const auto& v : j[key]) ok = ok && v.is_string();
    if (!ok)
      throw InputError(
          fmt::format("{}: {}: {} is not a list of names", p.string(), key, j[key].dump()));
  }
  return j;
}

std::string json_text(const ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + json_text(x);
    return s;
  }
  return v.dump();
}

std::string summary_html(const ordered_json& s) {
  std::ostringstream o;
  // mean and median per column, in summary_stats() order
  std::vector<std::string> columns;
  for (const SummaryStat& st : summary_stats())
    if (std::find(columns.begin(), columns.end(), st.column) == columns.end())
      columns.emplace_back(st.column);
  std::vector<std::string> shown = {"inputs", "layers"};
  o << "<table class=\"stats\">\n<thead><tr><th>over the layers</th><th>mean</th><th>median</th>"
       "</tr></thead>\n<tbody>\n";
  for (const auto& c : columns) {
    const std::string doc = column_doc(c);
    o << "<tr><th class=\"name\"" << (doc.empty() ? "" : " title=\"" + html_escape(doc) + "\"")
      << ">" << html_escape(c) << "</th>";
    for (const SummaryStat::Reducer red : {SummaryStat::kMean, SummaryStat::kMedian}) {
      std::string key;
      for (const SummaryStat& st : summary_stats())
        if (st.column == c && st.reducer == red) key = st.name;
      shown.push_back(key);
      const bool has = !key.empty() && s.contains(key) && s[key].is_number();
      o << "<td id=\"" << html_escape(key) << "\">"
        << (has ? number_text(s[key].get<double>()) : "\xe2\x80\x94") << "</td>";
    }
    o << "</tr>\n";
  }
  o << "</tbody></table>\n";
  // the bands, then whatever else summary.json holds
  std::vector<std::pair<std::string, std::string>> rows;
  if (s.contains("inputs")) rows.emplace_back("inputs", json_text(s["inputs"]));
  if (s.contains("layers")) rows.emplace_back("layers", json_text(s["layers"]));
  const auto band = [&](const char* label, const char* count, const char* names) {
    if (!s.contains(count)) return;
    shown.push_back(count);
    shown.push_back(names);
    std::string v = json_text(s[count]);
    if (s.contains(names) && !s[names].empty()) v += ": " + json_text(s[names]);
    rows.emplace_back(label, v);
  };
  band("alpha < 2 (over-trained)", "num_over_trained", "over_trained");
  band("alpha > 6 (under-trained)", "num_under_trained", "under_trained");
  band("power-law fit failed (alpha -1)", "num_failed_fits", "failed_fits");
  band("correlation traps (--randomize: a spike that survives the permutation)",
       "num_correlation_traps", "correlation_traps");
  shown.push_back("alpha_over_trained_below");
  shown.push_back("alpha_under_trained_above");
  for (const auto& [k, v] : s.items())
    if (std::find(shown.begin(), shown.end(), k) == shown.end()) rows.emplace_back(k, json_text(v));
  o << report_meta_table(rows);
  return o.str();
}

// compare.csv, its numeric cells checked as analyze.csv's are.
CsvTable read_compare(const fs::path& p) {
  static const std::vector<std::string> text = {"name", "status", "shape", "dtype_new",
                                                "dtype_base"};
  return parse_checked_csv(read_text(p), p.string(), [](const std::string& name) {
    return std::find(text.begin(), text.end(), name) != text.end();
  });
}

// The caption of a figure of plots/: an outlier's ESD or CCDF names its matrix and fit (the
// .title analyze_esd.gp drew as its title), the rest as figure_caption.
std::string caption_of(const fs::path& plots, const std::string& png) {
  for (const char* suffix : {"_esd.png", "_ccdf.png"}) {
    const std::string sf = suffix;
    if (png.size() <= sf.size() || png.compare(png.size() - sf.size(), sf.size(), sf) != 0)
      continue;
    const fs::path title = plots / (png.substr(0, png.size() - sf.size()) + ".title");
    std::error_code ec;
    if (!fs::is_regular_file(title, ec)) break;
    std::string line;
    std::ifstream in(title);
    std::getline(in, line);
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    return (sf == "_esd.png" ? "ESD with the fitted MP density, spikes marked: "
                             : "CCDF with the power law fitted above xmin: ") +
           line;
  }
  return figure_caption(png);
}

// "sih analyze " and the first input's file name, and how many more.
std::string page_title(const ordered_json& summary, const fs::path& dir) {
  std::string t = fs::absolute(dir).lexically_normal().filename().string();
  if (summary.contains("inputs") && !summary["inputs"].empty()) {
    const auto& in = summary["inputs"];
    t = fs::path(in[0].get<std::string>()).filename().string();
    if (in.size() > 1) t += fmt::format(" and {} more", in.size() - 1);
  }
  return "sih analyze " + t;
}

}  // namespace

bool is_analyze_folder(const std::string& d) {
  const fs::path dir(d);
  return is_input_file(dir / "summary.json") || is_input_file(dir / "analyze.csv") ||
         is_input_file(dir / "analyze.json");
}

ReportResult write_analyze_report(const std::string& d, const std::string& scripts_dir) {
  const fs::path dir(d);
  // Everything read and checked before anything is drawn or written.
  if (!is_input_file(dir / "analyze.csv")) {
    if (is_input_file(dir / "analyze.json"))
      throw InputError(d +
                       ": analyze.json only; the page reads analyze.csv (run sih analyze "
                       "--out-dir without --format json)");
    throw InputError(d + ": no analyze.csv (an unfinished sih analyze --out-dir?)");
  }
  if (!is_input_file(dir / "summary.json"))
    throw InputError(d + ": no summary.json (an unfinished sih analyze --out-dir?)");
  const AnalyzeTable table = read_analyze_table((dir / "analyze.csv").string());
  const ordered_json summary = read_summary(dir / "summary.json");
  std::optional<CsvTable> compare;
  if (is_input_file(dir / "compare.csv")) compare = read_compare(dir / "compare.csv");
  const std::string title = page_title(summary, dir);

  ReportResult result;
  throw_if_interrupted();
  const fs::path plots = dir / "plots";
  std::vector<std::string> pngs = report_png_names(plots.string());
  const bool broken = std::any_of(pngs.begin(), pngs.end(), [&](const std::string& n) {
    return !png_problem((plots / n).string()).empty();
  });
  if (pngs.empty() || broken) {
    // The layer figures from analyze.csv; the outliers' ESDs need the eigenvalues, which only
    // `sih analyze --plot` has.
    PlotStaging staging(dir);
    const LayerFigures figs =
        write_layer_figures(table, title.substr(std::string("sih analyze ").size()),
                            staging.path().string(), scripts_dir);
    throw_if_interrupted();
    staging.commit();
    result.plotted = true;
    result.notes = figs.notes;
    result.notes.push_back(
        "the outlier layers' ESD figures are drawn by sih analyze --out-dir DIR --plot");
    pngs = report_png_names(plots.string());
  } else {
    // the note of the drawing, again: which rows the figures leave out
    if (const std::string note = unfitted_layers_note(table); !note.empty())
      result.notes.push_back(note);
  }

  std::vector<std::string> layer_pngs, other_pngs;
  for (const auto& n : pngs) (n.rfind("layers_", 0) == 0 ? layer_pngs : other_pngs).push_back(n);
  const auto caption = [&](const std::string& n) { return caption_of(plots, n); };

  std::ostringstream o;
  o << report_page_head(title);
  o << "<h1>" << html_escape(title) << "</h1>\n";
  o << report_meta_table({{"folder", fs::absolute(dir).lexically_normal().string()},
                          {"layers", std::to_string(table.csv.rows.size())},
                          {"sih version (report)", kVersion}});
  o << "<h2>Summary</h2>\n<p class=\"note\">summary.json: weightwatcher's get_summary() "
       "(means over the layers, failed fits counted as -1 as there) and the medians; hover a "
       "name for its definition.</p>\n"
    << summary_html(summary);
  o << "<h2>Layer figures</h2>\n";
  for (const auto& n : result.notes) o << "<p class=\"note\">" << html_escape(n) << "</p>\n";
  o << "<div class=\"figs\">\n" << report_figures_html(layer_pngs, caption) << "</div>\n";
  o << "<h2>Layers</h2>\n<p class=\"note\">analyze.csv, one row per matrix in file order ("
    << table.csv.rows.size()
    << " rows; the figures' x axis is the row); hover a column name for its definition.</p>\n"
    << report_table_html(table.csv, {}, column_doc);
  if (compare) {
    o << "<h2>Comparison</h2>\n<p class=\"note\">compare.csv: each tensor against the base "
         "checkpoint of --compare (docs/OUTPUT.md describes the columns).</p>\n"
      << report_table_html(*compare, {}, nullptr);
  }
  if (!other_pngs.empty())
    o << "<h2>Outlier layers</h2>\n<p class=\"note\">The ESD and CCDF figures of plots/: "
         "with <code>sih analyze --out-dir DIR --plot</code>, those of the (up to 4) layers "
         "whose alpha lies farthest outside 2..6.</p>\n<div class=\"figs\">\n"
      << report_figures_html(other_pngs, caption) << "</div>\n";
  o << "</body>\n</html>\n";
  result.path = (dir / "report.html").string();
  write_file_atomic(result.path, o.str());
  for (const auto& n : pngs) result.images.push_back((plots / n).string());
  return result;
}

}  // namespace sih
