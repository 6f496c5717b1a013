// `sih merge`: a sweep folder's runs.csv, aggregate.csv and correlations.csv, rebuilt from its
// config.json and whatever run folders are complete (docs/OUTPUT.md).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include "sih/core/metrics_schema.hpp"
#include "sih/experiments/sweep.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/rundir/output.hpp"
#include "sih/rundir/run_folder.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

// Mean and population standard deviation (ddof = 0, as np.std in the reference's plots).
std::pair<double, double> mean_std(const std::vector<double>& v) {
  if (v.empty()) return {NAN, NAN};
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / static_cast<double>(v.size()))};
}

std::string cell(double v) { return std::isfinite(v) ? format_number(v) : std::string(); }

std::string coord_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();  // shortest round-trip form: 0.1, not 0.10000000000000001
}

// Average ranks (1-based), ties sharing the mean of their positions.
std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const auto [mx, sx] = mean_std(x);
  const auto [my, sy] = mean_std(y);
  if (!(sx > 0) || !(sy > 0)) return NAN;
  double c = 0;
  for (std::size_t i = 0; i < x.size(); ++i) c += (x[i] - mx) * (y[i] - my);
  return c / static_cast<double>(x.size()) / (sx * sy);
}

struct Group {
  nlohmann::json coords;
  long total = 0;
  std::vector<nlohmann::json> finals;  // summary "final" of each finished ok run
  std::vector<MetricsTable> tables;    // metrics.csv of each finished ok run
};

std::string final_per_point(const std::vector<std::string>& swept,
                            const std::vector<std::string>& order,
                            std::map<std::string, Group>& groups) {
  const std::vector<std::string> ms = metric_names_with(kHeadline);
  std::string agg;
  for (const auto& s : swept) agg += s + ",";
  agg += "runs_used,runs_total";
  for (const auto& c : ms) agg += "," + c + "_mean," + c + "_std";
  // Last, so the columns before it keep their places: the step the means were taken at.
  agg += ",final_step\n";
  for (const auto& key : order) {
    const Group& g = groups[key];
    for (const auto& s : swept) agg += coord_text(g.coords[s]) + ",";
    agg += std::to_string(g.finals.size()) + "," + std::to_string(g.total);
    for (const auto& c : ms) {
      std::vector<double> v;
      for (const auto& f : g.finals)
        if (f.contains(c)) v.push_back(f[c].get<double>());
      const auto [mean, sd] = mean_std(v);
      agg += "," + cell(mean) + "," + cell(sd);
    }
    // The runs of a point share their schedule, so they end at the same step; empty when
    // none finished or (never expected) they disagree.
    std::set<long> steps;
    for (const auto& f : g.finals)
      if (f.contains("step") && f["step"].is_number()) steps.insert(f["step"].get<long>());
    agg += "," + (steps.size() == 1 ? std::to_string(*steps.begin()) : std::string());
    agg += '\n';
  }
  return agg;
}

// Per point x step: mean and std of the given metric columns over the point's finished runs.
std::string point_label(const std::vector<std::string>& swept, const nlohmann::json& coords) {
  std::string label;
  for (const auto& s : swept) label += (label.empty() ? "" : " ") + s + "=" + coord_text(coords[s]);
  return label.empty() ? "all" : label;
}

// With `labelled`, a first column `point` names the grid point ("lr=0.1 n=100"): the plots
// draw one line per point by it.
std::string per_step(const std::vector<std::string>& swept, const std::vector<std::string>& order,
                     std::map<std::string, Group>& groups, const std::vector<std::string>& ms,
                     bool labelled) {
  std::string agg = labelled ? "point," : "";
  for (const auto& s : swept) agg += s + ",";
  agg += "step,runs_used,runs_total";
  for (const auto& c : ms) agg += "," + c + "_mean," + c + "_std";
  agg += '\n';
  for (const auto& key : order) {
    const Group& g = groups[key];
    struct StepData {
      long runs = 0;
      std::vector<std::vector<double>> values;
    };
    std::map<long, StepData> by_step;
    for (const auto& t : g.tables) {
      const int cs = t.col("step");
      std::vector<int> cols;
      for (const auto& c : ms) cols.push_back(t.col(c));
      for (std::size_t r = 0; r < t.values.size(); ++r) {
        StepData& sd = by_step[static_cast<long>(t.value(r, cs))];
        sd.values.resize(ms.size());
        ++sd.runs;
        for (std::size_t k = 0; k < ms.size(); ++k) {
          const double v = t.value(r, cols[k]);
          if (std::isfinite(v)) sd.values[k].push_back(v);
        }
      }
    }
    for (const auto& [step, sd] : by_step) {
      if (labelled) agg += point_label(swept, g.coords) + ",";
      for (const auto& s : swept) agg += coord_text(g.coords[s]) + ",";
      // The labelled (sweep) aggregate counts the runs that reached this step.
      agg += fmt::format("{},{},{}", step, labelled ? sd.runs : static_cast<long>(g.tables.size()),
                         g.total);
      for (std::size_t k = 0; k < ms.size(); ++k) {
        const auto [m, s] = mean_std(sd.values[k]);
        agg += "," + cell(m) + "," + cell(s);
      }
      agg += '\n';
    }
  }
  return agg;
}

// The cells of a heat map axis: for sorted distinct values, the bounds between neighbours
// (geometric midpoints on a log axis), the outer cells mirrored.
struct AxisCells {
  bool log = false;
  std::map<double, std::pair<double, double>> bounds;
};

AxisCells axis_cells(std::vector<double> v) {
  AxisCells a;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  if (v.empty()) return a;
  a.log = v.front() > 0 && v.back() / v.front() >= 100;
  auto to = [&](double x) { return a.log ? std::log10(x) : x; };
  auto from = [&](double t) { return a.log ? std::pow(10.0, t) : t; };
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double t = to(v[i]);
    const double left = i > 0 ? (to(v[i - 1]) + t) / 2 : NAN;
    const double right = i + 1 < v.size() ? (t + to(v[i + 1])) / 2 : NAN;
    const double half = std::isfinite(left) ? t - left : std::isfinite(right) ? right - t : 0.5;
    a.bounds[v[i]] = {from(std::isfinite(left) ? left : t - half),
                      from(std::isfinite(right) ? right : t + half)};
  }
  return a;
}

// final.csv: each grid point at its last checkpoint, with the columns the sweep figures draw
// from: plot_x / plot_y = the first two numeric axes (log flags, heat-map cell bounds) and
// plot_series = the other axes' values (one line each), plot_map = the values of the axes
// other than x and y (one heat map each).
std::string final_table(const std::vector<std::string>& swept,
                        const std::vector<std::string>& order, std::map<std::string, Group>& groups,
                        const std::vector<std::string>& ms) {
  std::vector<std::string> numeric;
  for (const auto& s : swept) {
    bool all_numbers = true;
    for (const auto& key : order) all_numbers = all_numbers && groups[key].coords[s].is_number();
    if (all_numbers) numeric.push_back(s);
  }
  const std::string ax = numeric.size() > 0 ? numeric[0] : "";
  const std::string ay = numeric.size() > 1 ? numeric[1] : "";
  std::vector<double> xs, ys;
  for (const auto& key : order) {
    if (!ax.empty()) xs.push_back(groups[key].coords[ax].get<double>());
    if (!ay.empty()) ys.push_back(groups[key].coords[ay].get<double>());
  }
  const AxisCells cx = axis_cells(xs), cy = axis_cells(ys);
  std::string out =
      "point,plot_series,plot_map,plot_x,plot_y,plot_logx,plot_logy,plot_x_lo,plot_x_hi,plot_y_lo,"
      "plot_y_hi,plot_xname,plot_yname";
  for (const auto& s : swept) out += "," + s;
  out += ",step,runs_used,runs_total";
  for (const auto& c : ms) out += "," + c + "_mean," + c + "_std";
  out += '\n';
  for (const auto& key : order) {
    const Group& g = groups[key];
    long last = -1;
    for (const auto& t : g.tables)
      if (!t.values.empty())
        last = std::max(last, static_cast<long>(t.value(t.values.size() - 1, t.col("step"))));
    if (last < 0) continue;  // no finished run at this point
    std::vector<std::vector<double>> values(ms.size());
    long used = 0;
    for (const auto& t : g.tables) {
      for (std::size_t r = 0; r < t.values.size(); ++r) {
        if (static_cast<long>(t.value(r, t.col("step"))) != last) continue;
        ++used;
        for (std::size_t k = 0; k < ms.size(); ++k) {
          const double v = t.value(r, t.col(ms[k]));
          if (std::isfinite(v)) values[k].push_back(v);
        }
      }
    }
    // A line per value of every axis but x; a heat map per value of every axis but x and y.
    std::string series, map;
    for (const auto& s : swept) {
      const std::string part = s + "=" + coord_text(g.coords[s]);
      if (s != ax) series += (series.empty() ? "" : " ") + part;
      if (s != ax && s != ay) map += (map.empty() ? "" : " ") + part;
    }
    out += point_label(swept, g.coords) + "," + (series.empty() ? "all" : series) + "," +
           (map.empty() ? "all" : map);
    if (ax.empty()) {
      out += ",,,,,,,,,,";
    } else {
      const double x = g.coords[ax].get<double>();
      const auto bx = cx.bounds.at(x);
      std::string y = "", ylo = "", yhi = "";
      if (!ay.empty()) {
        const double yv = g.coords[ay].get<double>();
        y = cell(yv);
        ylo = cell(cy.bounds.at(yv).first);
        yhi = cell(cy.bounds.at(yv).second);
      }
      out += fmt::format(",{},{},{},{},{},{},{},{},{},{}", cell(x), y, cx.log ? 1 : 0,
                         ay.empty() ? "" : (cy.log ? "1" : "0"), cell(bx.first), cell(bx.second),
                         ylo, yhi, ax, ay);
    }
    for (const auto& s : swept) out += "," + coord_text(g.coords[s]);
    out += fmt::format(",{},{},{}", last, used, g.total);
    for (std::size_t k = 0; k < ms.size(); ++k) {
      const auto [m, sd] = mean_std(values[k]);
      out += "," + cell(m) + "," + cell(sd);
    }
    out += '\n';
  }
  return out;
}

// Across every finished run, the rank correlation of each alpha with the generalisation
// (val_loss) and the learned direction (w_beta_alignment) at the last checkpoint.
std::string correlations(const std::vector<nlohmann::json>& finals) {
  std::string out = "x,y,n,spearman,kendall\n";
  for (const std::string& x : metric_names_with(kTailExponent)) {
    for (const std::string& y : metric_names_with(kOutcome)) {
      std::vector<double> xs, ys;
      for (const auto& f : finals) {
        if (!f.contains(x) || !f.contains(y)) continue;
        const double a = f[x].get<double>(), b = f[y].get<double>();
        if (!std::isfinite(a) || !std::isfinite(b)) continue;
        xs.push_back(a);
        ys.push_back(b);
      }
      out += fmt::format("{},{},{},{},{}\n", x, y, xs.size(), cell(spearman_rho(xs, ys)),
                         cell(kendall_tau_b(xs, ys)));
    }
  }
  return out;
}

}  // namespace

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return NAN;
  return pearson(average_ranks(x), average_ranks(y));
}

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return NAN;
  // O(n^2): a sweep has at most --max-runs runs, and this runs once per merge.
  double concordant = 0, discordant = 0, ties_x = 0, ties_y = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0 && dy == 0) continue;  // tied in both: in neither count
      if (dx == 0) {
        ++ties_x;
      } else if (dy == 0) {
        ++ties_y;
      } else if ((dx > 0) == (dy > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  const double denom =
      std::sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y));
  return denom > 0 ? (concordant - discordant) / denom : NAN;
}

MergeOutcome merge_sweep(const std::string& sweep_dir) {
  const fs::path root(sweep_dir);
  const fs::path cfg_path = root / "config.json";
  const std::optional<nlohmann::json> config = read_folder_config(sweep_dir);
  if (!config)
    throw InputError(fmt::format("{}: not a sih sweep folder (no config.json)", sweep_dir));
  const nlohmann::json& cfg = *config;
  if (!cfg.contains("runs") || !cfg.contains("swept") || !cfg.contains("command") ||
      !cfg["command"].is_string())
    throw InputError(
        fmt::format("{}: not a sweep config (no runs/swept/command)", cfg_path.string()));
  const SweepKind& kind = sweep_kind(cfg["command"].get<std::string>());
  const auto swept = cfg["swept"].get<std::vector<std::string>>();
  const auto& metric_cols = metrics_columns();

  MergeOutcome m;
  std::string runs_csv = "run_id,repeat";
  for (const auto& s : swept) runs_csv += "," + s;
  runs_csv += ",status,wall_time_s";
  // The final checkpoint's step and lr are prefixed: `lr` may also be a swept column.
  for (const auto& c : metric_cols) runs_csv += "," + (c == "step" || c == "lr" ? "final_" + c : c);
  runs_csv += '\n';

  std::vector<std::string> order;  // grid points in plan order
  std::map<std::string, Group> groups;
  std::vector<nlohmann::json> finals;  // every finished ok run, for the correlations
  const bool needs_tables = kind.aggregate != AggregateShape::kFinalPerPoint;
  std::string first_error;
  long unreadable = 0;

  for (const auto& run : cfg["runs"]) {
    ++m.total;
    std::string key;
    for (const auto& s : swept) key += coord_text(run[s]) + "|";
    if (!groups.count(key)) {
      order.push_back(key);
      for (const auto& s : swept) groups[key].coords[s] = run[s];
    }
    Group& g = groups[key];
    ++g.total;
    const fs::path dir = root / "runs" / run["id"].get<std::string>();
    // A run whose files cannot be read counts as missing, its error kept for the end: the
    // merge still writes what the readable runs give, then the command exits 2 naming the file.
    std::optional<RunSummary> summary;
    std::optional<MetricsTable> metrics;
    try {
      summary = read_run_summary(dir.string());
      if (summary && summary->status == RunStatus::kOk && needs_tables)
        metrics = read_run_metrics(dir.string());
    } catch (const InputError& e) {
      if (first_error.empty()) first_error = e.what();
      ++unreadable;
      summary.reset();
    }
    if (!summary) {
      ++m.missing;
      continue;
    }
    ++m.complete;
    const bool ok = summary->status == RunStatus::kOk;
    if (!ok) ++m.diverged;
    runs_csv += run["id"].get<std::string>() + "," + std::to_string(run["repeat"].get<long>());
    for (const auto& s : swept) runs_csv += "," + coord_text(run[s]);
    runs_csv +=
        "," + std::string(run_status_name(summary->status)) + "," + cell(summary->wall_time_s);
    const nlohmann::json& fin = summary->final;
    for (const auto& c : metric_cols)
      runs_csv += "," + (fin.contains(c) ? cell(fin[c].get<double>()) : std::string());
    runs_csv += '\n';
    if (!ok) continue;  // diverged runs are listed, not aggregated
    g.finals.push_back(fin);
    finals.push_back(fin);
    if (metrics) g.tables.push_back(std::move(*metrics));
  }

  std::string agg;
  switch (kind.aggregate) {
    case AggregateShape::kFinalPerPoint:
      agg = final_per_point(swept, order, groups);
      break;
    case AggregateShape::kLossesPerStep:
      agg = per_step(swept, order, groups, metric_names_with(kLoss), false);
      break;
    case AggregateShape::kAllPerStep: {
      std::vector<std::string> ms;
      for (const MetricColumn& c : metric_schema())
        if (c.aggregated) ms.emplace_back(c.name);
      agg = per_step(swept, order, groups, ms, true);
      write_file_atomic((root / "final.csv").string(), final_table(swept, order, groups, ms));
      break;
    }
  }
  write_file_atomic((root / "runs.csv").string(), runs_csv);
  write_file_atomic((root / "aggregate.csv").string(), agg);
  write_file_atomic((root / "correlations.csv").string(), correlations(finals));
  if (unreadable > 0)
    throw InputError(fmt::format("{} (merged {}/{} runs; {} unreadable counted as missing)",
                                 first_error, m.complete, m.total, unreadable));
  return m;
}

}  // namespace sih
