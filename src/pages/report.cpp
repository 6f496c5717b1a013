#include "sih/pages/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sih/base/input_file.hpp"
#include "sih/base/interrupt.hpp"
#include "sih/base/text.hpp"
#include "sih/base/types.hpp"
#include "sih/base/version.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/formats/csv_table.hpp"
#include "sih/pages/analyze_page.hpp"
#include "sih/pages/plot.hpp"
#include "sih/rundir/run_folder.hpp"

namespace sih {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Table = CsvTable;

Table read_table(const fs::path& p) {
  std::optional<CsvTable> t = read_csv_table(p.string());
  if (!t) throw InputError(p.string() + ": cannot be read");
  if (t->header.empty()) throw InputError(p.string() + ": empty (no header line)");
  return std::move(*t);
}

// A cell as shown: numbers with 5 significant digits, empty as an em dash, text escaped.
std::string show_cell(const std::string& s) {
  if (s.empty()) return "\xe2\x80\x94";
  const char* b = s.c_str();
  char* end = nullptr;
  const double v = std::strtod(b, &end);
  if (end != b && *end == '\0') {
    bool integral = true;
    for (const char c : s)
      integral = integral && (std::isdigit(static_cast<unsigned char>(c)) || c == '-');
    if (integral && s.size() <= 12) return s;
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.5g", v);
    return buf;
  }
  return html_escape(s);
}

std::string metric_doc(const std::string& name) {
  if (name == "step") return "checkpoint step (0 = the start)";
  if (name == "lr") return "learning rate of the update that produced this checkpoint";
  std::string base = name;
  for (const char* suffix : {"_mean", "_std"}) {
    const std::string sf = suffix;
    if (base.size() > sf.size() && base.compare(base.size() - sf.size(), sf.size(), sf) == 0) {
      base = base.substr(0, base.size() - sf.size());
      const MetricColumn* m = find_metric(base);
      return m ? std::string(sf == "_mean" ? "mean of " : "std of ") + std::string(m->doc) : "";
    }
  }
  const MetricColumn* m = find_metric(base);
  return m ? std::string(m->doc) : "";
}

// A table of the given columns of t (all when cols is empty), headers with the schema's doc.
std::string html_table(const Table& t, const std::vector<std::string>& cols, bool docs) {
  return report_table_html(t, cols,
                           docs ? metric_doc : std::function<std::string(const std::string&)>());
}

// Columns of t with at least one non-empty cell, and those without.
std::vector<std::string> filled_columns(const Table& t, std::vector<std::string>* empty) {
  std::vector<std::string> out;
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    bool any = false;
    for (std::size_t r = 0; r < t.rows.size() && !any; ++r)
      any = !t.at(r, static_cast<int>(c)).empty();
    if (any)
      out.push_back(t.header[c]);
    else if (empty)
      empty->push_back(t.header[c]);
  }
  return out;
}

std::string json_value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The config as key/value pairs, three pairs a row.
std::string config_table(const json& config, const std::vector<std::string>& skip) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (const auto& [k, v] : config.items())
    if (std::find(skip.begin(), skip.end(), k) == skip.end())
      kv.emplace_back(k, json_value_text(v));
  std::ostringstream o;
  o << "<table class=\"kv cfg\">\n";
  for (std::size_t i = 0; i < kv.size(); i += 3) {
    o << "<tr>";
    for (std::size_t j = i; j < i + 3; ++j) {
      if (j < kv.size())
        o << "<th>" << html_escape(kv[j].first) << "</th><td>" << html_escape(kv[j].second)
          << "</td>";
      else
        o << "<th></th><td></td>";
    }
    o << "</tr>\n";
  }
  o << "</table>\n";
  return o.str();
}

// Natural order: step2 before step10.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      const long long x = std::stoll(a.substr(i, std::min<std::size_t>(i2 - i, 18)));
      const long long y = std::stoll(b.substr(j, std::min<std::size_t>(j2 - j, 18)));
      if (x != y) return x < y;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::vector<std::string> png_names(const fs::path& plots) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(plots, ec)) return out;
  for (const auto& e : fs::directory_iterator(plots, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && e.path().extension() == ".png" && name[0] != '.')
      out.push_back(name);
  }
  // The phase diagrams of the headline metrics, the other phase diagrams, the summary figures
  // (in the order of scripts/plot/README.md), then the per-step and per-pair ones; each group
  // in natural order.
  static const char* const first[] = {"heatmap_val_loss",
                                      "heatmap_train_loss",
                                      "heatmap_alpha_hill",
                                      "heatmap_alpha_mle_ks",
                                      "heatmap_w_beta_alignment",
                                      "heatmap_kta",
                                      "heatmap_num_spikes",
                                      "heatmap_spike_gap",
                                      "heatmap_",
                                      "layers_alpha.png",
                                      "layers_norms.png",
                                      "layers_alpha_hist.png",
                                      "losses.png",
                                      "kta.png",
                                      "w_beta_alignment.png",
                                      "alpha.png",
                                      "spikes.png",
                                      "tail_tests.png",
                                      "W_esd_powerlaw.png",
                                      "W_esd_first_last",
                                      "W_entries_first_last",
                                      "a_entries_first_last",
                                      "init_pc_beta_alignment",
                                      "bulk_",
                                      "final_",
                                      "steps_",
                                      "scatter_",
                                      "step",
                                      "pair"};
  auto rank = [](const std::string& n) {
    std::size_t r = 0;
    for (const char* p : first) {
      if (n.rfind(p, 0) == 0) return r;
      ++r;
    }
    return r;
  };
  std::sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
    const std::size_t ra = rank(a), rb = rank(b);
    return ra != rb ? ra < rb : natural_less(a, b);
  });
  return out;
}

std::string figures_html(const std::vector<std::string>& names) {
  return report_figures_html(names, figure_caption);
}

const char* kStyle =
    R"(body{font-family:sans-serif;margin:1.5em auto;max-width:1250px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ddd;padding:.2em .5em;text-align:right;white-space:nowrap}
th{background:#f3f3f3}th[title]{cursor:help;text-decoration:underline dotted}
table.kv th,table.kv td{text-align:left;white-space:normal}
table.cfg{width:100%;table-layout:fixed}table.cfg td,table.cfg th{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
.figs{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;flex:1 1 480px;max-width:600px}
figure img{width:100%;height:auto;border:1px solid #ddd}figcaption{font-size:.85em}
.meta td,.meta th{text-align:left}.meta td{white-space:normal;overflow-wrap:anywhere}.note{color:#666;font-size:.85em})";

std::string page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         html_escape(title) + "</title>\n<style>\n" + kStyle + "\n</style>\n</head>\n<body>\n";
}

std::string meta_table(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::ostringstream o;
  o << "<table class=\"meta\">\n";
  for (const auto& [k, v] : rows)
    o << "<tr><th>" << html_escape(k) << "</th><td>" << html_escape(v) << "</td></tr>\n";
  o << "</table>\n";
  return o.str();
}

std::string run_page(const fs::path& dir, const json& config,
                     const std::vector<std::string>& pngs) {
  const std::optional<RunSummary> run_summary = read_run_summary(dir.string());
  const json summary = run_summary ? run_summary->json : json::object();
  const MetricsTable metrics_table = read_run_metrics(dir.string());
  const Table& metrics = metrics_table.csv;
  const std::string id =
      config.contains("id") ? json_value_text(config["id"]) : dir.filename().string();
  std::ostringstream o;
  o << page_head("sih run " + id);
  o << "<h1>sih run " << html_escape(id) << "</h1>\n";
  std::vector<std::pair<std::string, std::string>> meta = {
      {"folder", fs::absolute(dir).lexically_normal().string()},
      {"status", run_summary ? run_status_name(run_summary->status) : "unknown"},
      {"sih version (run)",
       config.contains("sih_version") ? json_value_text(config["sih_version"]) : "unknown"},
      {"sih version (report)", kVersion}};
  if (run_summary && !std::isnan(run_summary->wall_time_s))
    meta.emplace_back("wall time", duration_text(run_summary->wall_time_s));
  if (summary.contains("steps")) meta.emplace_back("steps", json_value_text(summary["steps"]));
  if (summary.contains("diverged_step") && !summary["diverged_step"].is_null())
    meta.emplace_back("diverged at step", json_value_text(summary["diverged_step"]));
  o << meta_table(meta);
  if (summary.contains("notes") && summary["notes"].is_array() && !summary["notes"].empty()) {
    o << "<h2>Notes</h2>\n<ul>\n";
    for (const auto& n : summary["notes"])
      o << "<li>" << html_escape(json_value_text(n)) << "</li>\n";
    o << "</ul>\n";
  }
  o << "<h2>Config</h2>\n" << config_table(config, {});

  std::vector<std::string> empty;
  const std::vector<std::string> cols = filled_columns(metrics, &empty);
  o << "<h2>Metrics</h2>\n<p class=\"note\">metrics.csv, one row per checkpoint ("
    << metrics.rows.size() << " rows); hover a column name for its definition.";
  if (!empty.empty()) {
    o << " Not computed in this run: ";
    for (std::size_t i = 0; i < empty.size(); ++i) o << (i ? ", " : "") << html_escape(empty[i]);
    o << ".";
  }
  o << "</p>\n" << html_table(metrics, cols, true);

  std::vector<std::string> spikes = {"step"};
  for (const std::string& name : metric_names_with(kSpikes)) spikes.push_back(name);
  o << "<h2>Spikes, bulk and tails</h2>\n<p class=\"note\">W's ESD: the MP edge of the start and "
       "the fitted one, the spike counts, and the power law's likelihood ratio R (&gt; 0 favours "
       "the power law) and its p-value against each alternative; &mdash; = not computed.</p>\n"
    << html_table(metrics, spikes, true);

  o << "<h2>Figures</h2>\n<div class=\"figs\">\n" << figures_html(pngs) << "</div>\n";
  o << "</body>\n</html>\n";
  return o.str();
}

std::string sweep_page(const fs::path& dir, const json& config, std::vector<std::string>* pngs) {
  const std::string id =
      config.contains("id") ? json_value_text(config["id"]) : dir.filename().string();
  const std::string command = json_value_text(config["command"]);
  const std::optional<SweepRuns> sweep_runs = read_sweep_runs(dir.string(), config);
  const Table runs = sweep_runs ? sweep_runs->csv : Table{};
  const long planned = config.contains("runs") && config["runs"].is_array()
                           ? static_cast<long>(config["runs"].size())
                           : -1;
  std::map<std::string, long> by_status;
  double wall = 0;
  for (std::size_t r = 0; sweep_runs && r < runs.rows.size(); ++r) {
    ++by_status[run_status_name(sweep_runs->status[r])];
    if (!std::isnan(sweep_runs->wall_s[r])) wall += sweep_runs->wall_s[r];
  }
  std::string status;
  for (const auto& [k, v] : by_status)
    status += (status.empty() ? "" : ", ") + std::to_string(v) + " " + k;
  std::ostringstream o;
  o << page_head("sih " + command + " " + id);
  o << "<h1>sih " << html_escape(command) << " " << html_escape(id) << "</h1>\n";
  std::vector<std::pair<std::string, std::string>> meta = {
      {"folder", fs::absolute(dir).lexically_normal().string()},
      {"command", command},
      {"runs", std::to_string(runs.rows.size()) + " finished of " +
                   (planned >= 0 ? std::to_string(planned) : std::string("?")) + " planned" +
                   (status.empty() ? "" : " (" + status + ")")},
      {"sih version (sweep)",
       config.contains("sih_version") ? json_value_text(config["sih_version"]) : "unknown"},
      {"sih version (report)", kVersion},
      {"wall time (sum over runs)", duration_text(wall)}};
  o << meta_table(meta);

  // The axes: swept columns and their distinct values in plan order.
  std::vector<std::string> swept;
  if (sweep_runs) {
    swept = sweep_runs->axes;
  } else {  // read_sweep_runs checked that "swept" is a list of names
    for (const auto& s : config["swept"]) swept.push_back(s.get<std::string>());
  }
  o << "<h2>Axes</h2>\n<table class=\"kv\">\n<tr><th>axis</th><th>values</th><th>count</th></tr>\n";
  for (const auto& axis : swept) {
    std::vector<std::string> values;
    if (planned > 0) {
      for (const auto& r : config["runs"]) {
        if (!r.is_object() || !r.contains(axis)) continue;
        const std::string v = json_value_text(r[axis]);
        if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
      }
    }
    std::string joined;
    for (const auto& v : values) joined += (joined.empty() ? "" : ", ") + v;
    o << "<tr><th>" << html_escape(axis) << "</th><td>" << html_escape(joined) << "</td><td>"
      << values.size() << "</td></tr>\n";
  }
  o << "</table>\n";
  // The sweep's config as given sits in "config" (lists kept); the rest is bookkeeping.
  json shown = json::object();
  if (config.contains("config") && config["config"].is_object()) shown = config["config"];
  for (const auto& [k, v] : config.items())
    if (k != "config" && k != "runs") shown[k] = v;
  o << "<h2>Config</h2>\n" << config_table(shown, {});

  const fs::path corr = dir / "correlations.csv";
  if (is_input_file(corr)) {
    o << "<h2>Correlations</h2>\n<p class=\"note\">correlations.csv: rank correlations over the "
         "finished ok runs of the last-checkpoint x with y (Spearman's rho, Kendall's tau-b); "
         "&mdash; = undefined.</p>\n"
      << html_table(read_table(corr), {}, false);
  }
  if (!runs.rows.empty()) {
    std::vector<std::string> cols = {"run_id", "repeat"};
    cols.insert(cols.end(), swept.begin(), swept.end());
    for (const char* c : {"status", "wall_time_s", "final_step", "final_lr"}) cols.push_back(c);
    for (const MetricColumn& m : metric_schema())
      if (m.has(kHeadline) || m.has(kSpikeSummary)) cols.emplace_back(m.name);
    o << "<h2>Runs</h2>\n<p class=\"note\">runs.csv (selected columns; the run folders are in "
         "runs/, each with its own <code>sih report</code>).</p>\n"
      << html_table(runs, cols, true);
  }

  // Phase diagrams first, then the other figures (pngs reordered likewise).
  std::stable_partition(pngs->begin(), pngs->end(),
                        [](const std::string& n) { return n.rfind("heatmap_", 0) == 0; });
  std::vector<std::string> heat, other;
  for (const auto& n : *pngs) (n.rfind("heatmap_", 0) == 0 ? heat : other).push_back(n);
  if (!heat.empty())
    o << "<h2>Phase diagrams</h2>\n<div class=\"figs\">\n" << figures_html(heat) << "</div>\n";
  o << "<h2>Figures</h2>\n<div class=\"figs\">\n" << figures_html(other) << "</div>\n";
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace

std::string figure_caption(const std::string& name) {
  std::smatch m;
  struct Fixed {
    const char* file;
    const char* caption;
  };
  static const Fixed fixed[] = {
      {"losses.png", "Train and val loss vs step"},
      {"kta.png", "Kernel-target alignment vs step"},
      {"w_beta_alignment.png",
       "|v1 . beta|: W's top right singular vector against the teacher, vs step"},
      {"spikes.png",
       "Eigenvalues of W^T W above the fitted MP edge (with and without the "
       "Tracy-Widom margin) and above the MP edge of the start, vs step"},
      {"tail_tests.png",
       "p-values of the power law against the exponential, lognormal and "
       "truncated power law, vs step"},
      {"alpha.png", "Power-law exponents of W's ESD (Hill, MLE+KS, xmin peak) vs step"},
      {"init_pc_beta_alignment.png", "|V^T beta| of the initial W, by singular-vector index"},
      {"W_esd_first_last.png", "ESD of W (log10 eigenvalues), first and last checkpoint"},
      {"W_esd_first_last_linear.png", "ESD of W (linear scale), first and last checkpoint"},
      {"W_entries_first_last.png", "Entries of W, first and last checkpoint"},
      {"a_entries_first_last.png", "Entries of the read-out a, first and last checkpoint"},
      {"W_esd_powerlaw.png",
       "CCDF of W's eigenvalues at the last checkpoint (log-log) with the "
       "Hill and MLE+KS power-law tails"},
      {"bulk_losses.png", "Train (solid) and test/val (dashed) loss, mean +- std"},
      {"layers_alpha.png",
       "alpha of each layer in file order, coloured by layer kind, with the 2..6 band"},
      {"layers_norms.png", "log_norm and alpha_weighted of each layer in file order, by kind"},
      {"layers_alpha_hist.png", "Histogram of the layers' alphas, with alpha = 2 and 6 marked"},
  };
  for (const auto& f : fixed)
    if (name == f.file) return f.caption;
  static const std::regex step_re(R"(step(\d+)_(W|a|features)_(esd|sv|entries)\.png)");
  if (std::regex_match(name, m, step_re)) {
    const std::string s = m[1], layer = m[2], what = m[3];
    const std::string of = layer == "features" ? "the probe features' Gram matrix" : layer;
    if (what == "esd")
      return layer == "W" ? "ESD of W at step " + s +
                                " with the MP densities (start dashed, fitted), spikes marked"
                          : "ESD of " + of + " at step " + s;
    if (what == "sv") return "Singular values of " + of + " at step " + s;
    return "Entries of " + of + " at step " + s;
  }
  static const std::regex pair_sv(R"(pair(\d+)_M_sv\.png)");
  if (std::regex_match(name, m, pair_sv))
    return "Singular values of M = W_k+1 - W_k for checkpoint pair " + m[1].str();
  static const std::regex pair_ov(R"(pair(\d+)_(Wk|Wk1)_(U|V)\.png)");
  if (std::regex_match(name, m, pair_ov))
    return "Overlaps (" + m[3].str() + "_" + (m[2] == "Wk" ? "W_k" : "W_k+1") + "^T " + m[3].str() +
           "_M)^2 for checkpoint pair " + m[1].str();
  static const std::regex heat(R"(heatmap_(.+?)(?:_(\d+))?\.png)");
  if (std::regex_match(name, m, heat))
    return "Phase diagram of " + m[1].str() + " (mean at the last checkpoint)" +
           (m[2].matched ? ", combination " + m[2].str() + " of the other axes" : "");
  static const std::regex final_re(R"(final_(.+)\.png)");
  if (std::regex_match(name, m, final_re))
    return m[1].str() + " at the last checkpoint vs the first numeric axis (mean +- std)";
  static const std::regex steps_re(R"(steps_(.+)\.png)");
  if (std::regex_match(name, m, steps_re)) return m[1].str() + " vs step, one line per grid point";
  static const std::regex scatter(R"(scatter_(alpha_hill|alpha_mle_ks|alphahat)_(.+)\.png)");
  if (std::regex_match(name, m, scatter))
    return m[2].str() + " vs " + m[1].str() + ", one point per run, with the rank correlations";
  static const std::regex thresholds(R"(thresholds_(\d+)\.png)");
  if (std::regex_match(name, m, thresholds))
    return "Threshold " + m[1].str() +
           " of reproduce.thresholds against its fit axis (log-log), with the fitted power laws "
           "and their slopes";
  static const std::regex bulk(R"(bulk_(.+)\.png)");
  if (std::regex_match(name, m, bulk))
    return "Final " + m[1].str() + " vs log10(lr), one curve per optimizer (mean +- std)";
  return "Figure " + name.substr(0, name.size() > 4 ? name.size() - 4 : name.size());
}

ReportResult write_report(const std::string& dir_arg, const std::string& scripts_dir) {
  const fs::path dir(dir_arg);
  const std::string d = dir.string();
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(d + ": no such folder");
  if (!fs::is_directory(dir, ec)) throw InputError(d + ": not a folder");
  if (!is_input_file(dir / "config.json") && is_analyze_folder(d))
    return write_analyze_report(d, scripts_dir);
  const std::optional<json> read_config = read_folder_config(d);
  if (!read_config)
    throw InputError(d +
                     ": not a sih run, sweep or analyze folder (no config.json, no "
                     "summary.json with analyze.csv)");
  const json& config = *read_config;
  const bool sweep = config.contains("command");
  if (sweep) {
    const std::string command = json_value_text(config["command"]);
    bool known = false;
    for (const SweepKind& k : sweep_kinds()) known = known || k.name == command;
    if (!known) throw InputError(d + "/config.json: unknown sweep command \"" + command + "\"");
    if (!is_input_file(dir / "runs.csv"))
      throw InputError(d + ": no runs.csv (an unfinished " + command + " sweep? run sih merge)");
  } else if (!is_input_file(dir / "metrics.csv")) {
    throw InputError(d +
                     ": not a sih run or sweep folder (no metrics.csv, no \"command\" in "
                     "config.json)");
  } else if (!is_input_file(dir / "summary.json")) {
    throw InputError(d + ": no summary.json (an unfinished run?)");
  }

  ReportResult result;
  throw_if_interrupted();
  std::vector<std::string> pngs = png_names(dir / "plots");
  // The page shows every PNG of plots/: none, or one empty or cut off (a full disk, an older
  // sih interrupted mid-plot), and the figures are drawn again before the page is written.
  const auto first_broken = [&]() -> std::string {
    for (const auto& n : pngs) {
      const std::string problem = png_problem((dir / "plots" / n).string());
      if (!problem.empty()) return (dir / "plots" / n).string() + ": " + problem;
    }
    return "";
  };
  if (pngs.empty() || !first_broken().empty()) {
    const PlotResult p = plot_folder(d, scripts_dir);
    result.plotted = true;
    result.notes = p.notes;
    pngs = png_names(dir / "plots");
    const std::string broken = first_broken();
    if (!broken.empty()) throw OutputError(broken + " (after drawing the figures again)");
  }
  throw_if_interrupted();
  std::string page = sweep ? sweep_page(dir, config, &pngs) : run_page(dir, config, pngs);
  result.path = (dir / "report.html").string();
  write_file_atomic(result.path, page);
  for (const auto& n : pngs) result.images.push_back((dir / "plots" / n).string());
  return result;
}

std::string report_page_head(const std::string& title) { return page_head(title); }

std::string report_cell_html(const std::string& cell) { return show_cell(cell); }

std::string report_table_html(const CsvTable& t, std::vector<std::string> cols,
                              const std::function<std::string(const std::string&)>& doc_of) {
  if (cols.empty()) cols = t.header;
  std::vector<int> idx;
  std::vector<std::string> names;
  for (const auto& c : cols) {
    const int i = t.col(c);
    if (i >= 0) {
      idx.push_back(i);
      names.push_back(c);
    }
  }
  std::ostringstream o;
  o << "<div class=\"scroll\"><table>\n<thead><tr>";
  for (const auto& n : names) {
    const std::string doc = doc_of ? doc_of(n) : "";
    o << "<th";
    if (!doc.empty()) o << " title=\"" << html_escape(doc) << "\"";
    o << ">" << html_escape(n) << "</th>";
  }
  o << "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    o << "<tr>";
    for (const int i : idx) o << "<td>" << show_cell(t.at(r, i)) << "</td>";
    o << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
  return o.str();
}

std::string report_figures_html(const std::vector<std::string>& names,
                                const std::function<std::string(const std::string&)>& caption) {
  std::ostringstream o;
  for (const auto& n : names) {
    const std::string src = html_escape("plots/" + n);
    const std::string cap = html_escape(caption(n));
    o << "<figure><img src=\"" << src << "\" alt=\"" << cap << "\"><figcaption><b>"
      << html_escape(n) << "</b>: " << cap << "</figcaption></figure>\n";
  }
  return o.str();
}

std::string report_meta_table(const std::vector<std::pair<std::string, std::string>>& rows) {
  return meta_table(rows);
}

std::vector<std::string> report_png_names(const std::string& plots_dir) {
  return png_names(plots_dir);
}

}  // namespace sih
