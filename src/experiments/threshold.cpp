#include "sih/experiments/threshold.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "sih/base/types.hpp"

namespace sih {

using nlohmann::json;

Threshold threshold_along(const std::vector<double>& axis, const std::vector<double>& metric,
                          double level) {
  if (axis.size() != metric.size())
    throw InputError("threshold: axis and metric have different lengths");
  std::vector<std::pair<double, double>> pts;
  for (std::size_t i = 0; i < axis.size(); ++i) {
    if (!(axis[i] > 0))
      throw InputError(fmt::format("threshold: axis value {}: must be > 0 (log scale)", axis[i]));
    if (std::isfinite(metric[i])) pts.emplace_back(axis[i], metric[i]);
  }
  std::sort(pts.begin(), pts.end());
  for (std::size_t i = 1; i < pts.size(); ++i)
    if (pts[i].first == pts[i - 1].first)
      throw InputError(fmt::format("threshold: axis value {} appears twice", pts[i].first));
  Threshold t;
  if (pts.empty()) return t;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (!(pts[i].second >= level)) continue;
    if (i == 0) {
      t.where = ThresholdWhere::kBelowGrid;
      t.above = pts[0].first;
      return t;
    }
    const auto [x0, m0] = pts[i - 1];
    const auto [x1, m1] = pts[i];
    const double f = (level - m0) / (m1 - m0);  // m0 < level <= m1, so 0 < f <= 1
    t.where = ThresholdWhere::kFound;
    t.below = x0;
    t.above = x1;
    t.value = std::exp(std::log(x0) + f * (std::log(x1) - std::log(x0)));
    return t;
  }
  t.where = ThresholdWhere::kAboveGrid;
  t.below = pts.back().first;
  return t;
}

std::string threshold_text(const Threshold& t) {
  switch (t.where) {
    case ThresholdWhere::kFound:
      return fmt::format("{:.3g}", t.value);
    case ThresholdWhere::kBelowGrid:
      return fmt::format("below the grid (<= {:g})", t.above);
    case ThresholdWhere::kAboveGrid:
      return fmt::format("above the grid (> {:g})", t.below);
    case ThresholdWhere::kNoData:
      break;
  }
  return "n/a";
}

std::vector<ThresholdRow> thresholds_of(const ExperimentTable& table, const std::string& axis,
                                        const std::string& metric, long step, double level) {
  if (std::find(table.axes.begin(), table.axes.end(), axis) == table.axes.end())
    throw InputError(fmt::format("threshold: '{}' is not an axis of the experiment", axis));
  std::vector<ThresholdRow> rows;
  std::vector<std::pair<std::vector<double>, std::vector<double>>> data;
  for (const auto& p : table.points) {
    json group = p.coords;
    group.erase(axis);
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const ThresholdRow& r) { return r.group == group; });
    if (it == rows.end()) {
      rows.push_back({group, {}});
      data.emplace_back();
      it = rows.end() - 1;
    }
    auto& [xs, ms] = data[static_cast<std::size_t>(it - rows.begin())];
    xs.push_back(p.coords.at(axis).get<double>());
    double m = std::numeric_limits<double>::quiet_NaN();
    const auto s = p.means.find(step);
    if (s != p.means.end()) {
      const auto v = s->second.find(metric);
      if (v != s->second.end()) m = v->second;
    }
    ms.push_back(m);
  }
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i].threshold = threshold_along(data[i].first, data[i].second, level);
  return rows;
}

ThresholdResult evaluate_thresholds(const ThresholdSpec& spec, const ExperimentTable& table) {
  ThresholdResult r;
  r.rows = thresholds_of(table, spec.along, spec.metric, spec.step, spec.level);
  if (spec.fit.empty()) return r;
  std::vector<std::pair<std::vector<double>, std::vector<double>>> data;
  for (const auto& row : r.rows) {
    json group = row.group;
    if (!group.contains(spec.fit) || !group[spec.fit].is_number()) continue;
    const double x = group[spec.fit].get<double>();
    group.erase(spec.fit);
    auto it = std::find_if(r.fits.begin(), r.fits.end(),
                           [&](const ThresholdFit& f) { return f.group == group; });
    if (it == r.fits.end()) {
      r.fits.push_back({group, {}, 0});
      data.emplace_back();
      it = r.fits.end() - 1;
    }
    auto& [xs, ys] = data[static_cast<std::size_t>(it - r.fits.begin())];
    if (row.threshold.where == ThresholdWhere::kFound) {
      xs.push_back(x);
      ys.push_back(row.threshold.value);
    } else {
      ++it->off_grid;
    }
  }
  for (std::size_t i = 0; i < r.fits.size(); ++i) {
    const auto& [xs, ys] = data[i];
    std::vector<double> distinct = xs;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.size() >= 2) r.fits[i].fit = loglog_slope(xs, ys);
    r.fits[i].fit.n = static_cast<long>(xs.size());
  }
  return r;
}

std::vector<RepeatedSlope> slopes_over_repeats(const ThresholdSpec& spec,
                                               const ExperimentTable& repeat_table) {
  std::vector<RepeatedSlope> repeated;
  if (spec.fit.empty()) return repeated;
  for (const auto& f : evaluate_thresholds(spec, repeat_table).fits) {
    if (!f.group.contains("repeat")) continue;
    json group = f.group;
    group.erase("repeat");
    auto it = std::find_if(repeated.begin(), repeated.end(),
                           [&](const RepeatedSlope& s) { return s.group == group; });
    if (it == repeated.end()) {
      repeated.push_back({group, {}, 0});
      it = repeated.end() - 1;
    }
    if (std::isfinite(f.fit.slope))
      it->slopes.push_back(f.fit.slope);
    else
      ++it->without_slope;
  }
  for (auto& s : repeated) {
    const auto n = static_cast<long>(s.slopes.size());
    if (n == 0) continue;
    double sum = 0;
    for (const double v : s.slopes) sum += v;
    s.mean = sum / static_cast<double>(n);
    if (n < 2) continue;
    double ss = 0;
    for (const double v : s.slopes) ss += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(n - 1));
    const double half = t_quantile_975(n - 1) * s.sd / std::sqrt(static_cast<double>(n));
    s.ci_low = s.mean - half;
    s.ci_high = s.mean + half;
  }
  return repeated;
}

double t_quantile_975(long df) {
  static const double kTable[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                                  2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                                  2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                                  2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df < 1) throw InputError("t quantile: needs at least one degree of freedom");
  if (df <= 30) return kTable[df - 1];
  // Beyond the table: the Cornish-Fisher expansion in 1/df (error < 1e-4 for df > 30).
  const double z = 1.959964, d = static_cast<double>(df);
  return z + (z * z * z + z) / (4 * d) +
         (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

SlopeFit loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw InputError("slope fit: x and y have different lengths");
  SlopeFit f;
  f.n = static_cast<long>(x.size());
  if (f.n < 2) return f;
  std::vector<double> lx, ly;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0))
      throw InputError(
          fmt::format("slope fit: ({}, {}): log-log needs positive values", x[i], y[i]));
    lx.push_back(std::log(x[i]));
    ly.push_back(std::log(y[i]));
  }
  const double n = static_cast<double>(f.n);
  const double mx = std::accumulate(lx.begin(), lx.end(), 0.0) / n;
  const double my = std::accumulate(ly.begin(), ly.end(), 0.0) / n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < lx.size(); ++i) {
    sxx += (lx[i] - mx) * (lx[i] - mx);
    sxy += (lx[i] - mx) * (ly[i] - my);
  }
  if (!(sxx > 0)) throw InputError("slope fit: every x is the same");
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  if (f.n < 3) return f;
  double sse = 0;
  for (std::size_t i = 0; i < lx.size(); ++i) {
    const double r = ly[i] - f.intercept - f.slope * lx[i];
    sse += r * r;
  }
  f.slope_se = std::sqrt(sse / (n - 2) / sxx);
  const double t = t_quantile_975(f.n - 2);
  f.ci_low = f.slope - t * f.slope_se;
  f.ci_high = f.slope + t * f.slope_se;
  return f;
}

}  // namespace sih
