#include "sih/experiments/analyze_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sih {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The column's finite-or-infinite values over the rows (empty cells left out).
std::vector<double> column_values(const std::vector<AnalyzeRow>& rows, std::string_view column) {
  const MetricColumn* m = nullptr;
  for (const MetricColumn& c : analyze_columns())
    if (c.name == column) m = &c;
  if (m == nullptr)
    throw std::logic_error("summary_stats: not an analyze column: " + std::string(column));
  std::vector<double> v;
  for (const auto& r : rows) {
    const std::optional<double>& x = r.metrics.*(m->value);
    if (x && !std::isnan(*x)) v.push_back(*x);
  }
  return v;
}

double reduce(std::vector<double> v, SummaryStat::Reducer reducer) {
  if (v.empty()) return kNaN;
  if (reducer == SummaryStat::kMean) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  }
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string list_text(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 8;
  std::string s;
  for (std::size_t k = 0; k < std::min(names.size(), kShown); ++k) s += (k ? ", " : "") + names[k];
  if (names.size() > kShown) s += fmt::format(" and {} more", names.size() - kShown);
  return s;
}

}  // namespace

const std::vector<SummaryStat>& summary_stats() {
  // weightwatcher's get_summary() columns (its order), mean then median.
  static const std::vector<SummaryStat> stats = {
      {"log_norm_mean", "log_norm", SummaryStat::kMean},
      {"log_norm_median", "log_norm", SummaryStat::kMedian},
      {"alpha_mean", "alpha", SummaryStat::kMean},
      {"alpha_median", "alpha", SummaryStat::kMedian},
      {"alpha_weighted_mean", "alpha_weighted", SummaryStat::kMean},
      {"alpha_weighted_median", "alpha_weighted", SummaryStat::kMedian},
      {"log_alpha_norm_mean", "log_alpha_norm", SummaryStat::kMean},
      {"log_alpha_norm_median", "log_alpha_norm", SummaryStat::kMedian},
      {"log_spectral_norm_mean", "log_spectral_norm", SummaryStat::kMean},
      {"log_spectral_norm_median", "log_spectral_norm", SummaryStat::kMedian},
      {"stable_rank_mean", "stable_rank", SummaryStat::kMean},
      {"stable_rank_median", "stable_rank", SummaryStat::kMedian},
      {"mp_softrank_mean", "mp_softrank", SummaryStat::kMean},
      {"mp_softrank_median", "mp_softrank", SummaryStat::kMedian},
  };
  return stats;
}

double AnalyzeSummary::value(std::string_view name) const {
  for (const auto& [k, v] : values)
    if (k == name) return v;
  return kNaN;
}

AnalyzeSummary summarize_analysis(const std::vector<AnalyzeRow>& rows) {
  AnalyzeSummary s;
  s.layers = rows.size();
  for (const auto& r : rows)
    if (std::find(s.inputs.begin(), s.inputs.end(), r.source) == s.inputs.end() &&
        s.inputs.size() < 64)
      s.inputs.push_back(r.source);
  for (const SummaryStat& st : summary_stats())
    s.values.emplace_back(std::string(st.name), reduce(column_values(rows, st.column), st.reducer));
  for (const auto& r : rows) {
    if (!r.metrics.alpha || std::isnan(*r.metrics.alpha)) continue;
    const double a = *r.metrics.alpha;
    if (a < 0)  // weightwatcher's -1: the fit failed
      s.failed_fits.push_back(r.name);
    else if (a < kAlphaOverTrained)
      s.over_trained.push_back(r.name);
    else if (a > kAlphaUnderTrained)
      s.under_trained.push_back(r.name);
  }
  for (const auto& r : rows) {
    if (r.metrics.max_rand_eval) s.randomized = true;
    if (r.metrics.correlation_trap.value_or(0) == 1) s.correlation_traps.push_back(r.name);
  }
  return s;
}

std::string summary_json(const AnalyzeSummary& s) {
  nlohmann::ordered_json j;
  j["inputs"] = s.inputs;
  j["layers"] = s.layers;
  for (const auto& [k, v] : s.values) {
    if (std::isfinite(v))
      j[k] = v;
    else
      j[k] = nullptr;
  }
  j["alpha_over_trained_below"] = kAlphaOverTrained;
  j["alpha_under_trained_above"] = kAlphaUnderTrained;
  j["num_over_trained"] = s.over_trained.size();
  j["over_trained"] = s.over_trained;
  j["num_under_trained"] = s.under_trained.size();
  j["under_trained"] = s.under_trained;
  j["num_failed_fits"] = s.failed_fits.size();
  j["failed_fits"] = s.failed_fits;
  if (s.randomized) {
    j["num_correlation_traps"] = s.correlation_traps.size();
    j["correlation_traps"] = s.correlation_traps;
  }
  return j.dump(2) + "\n";
}

std::string summary_lines(const AnalyzeSummary& s) {
  auto v = [&](std::string_view name) {
    const double x = s.value(name);
    return std::isnan(x) ? std::string("-") : fmt::format("{:.3g}", x);
  };
  std::string out = fmt::format(
      "[sih] summary of {} layers (mean / median): alpha {} / {}, alpha_weighted {} / {}, "
      "log_norm {} / {}\n",
      s.layers, v("alpha_mean"), v("alpha_median"), v("alpha_weighted_mean"),
      v("alpha_weighted_median"), v("log_norm_mean"), v("log_norm_median"));
  out += fmt::format(
      "      log_alpha_norm {} / {}, log_spectral_norm {} / {}, stable_rank {} / {}, "
      "mp_softrank {} / {}\n",
      v("log_alpha_norm_mean"), v("log_alpha_norm_median"), v("log_spectral_norm_mean"),
      v("log_spectral_norm_median"), v("stable_rank_mean"), v("stable_rank_median"),
      v("mp_softrank_mean"), v("mp_softrank_median"));
  out += fmt::format("      alpha < 2 (over-trained): {}{}{}\n", s.over_trained.size(),
                     s.over_trained.empty() ? "" : ": ", list_text(s.over_trained));
  out += fmt::format("      alpha > 6 (under-trained): {}{}{}\n", s.under_trained.size(),
                     s.under_trained.empty() ? "" : ": ", list_text(s.under_trained));
  if (s.randomized)
    out += fmt::format("      correlation traps (spikes surviving --randomize): {}{}{}\n",
                       s.correlation_traps.size(), s.correlation_traps.empty() ? "" : ": ",
                       list_text(s.correlation_traps));
  if (!s.failed_fits.empty())
    out += fmt::format(
        "      power-law fit failed (alpha -1, counted in the means as "
        "weightwatcher does): {}: {}\n",
        s.failed_fits.size(), list_text(s.failed_fits));
  return out;
}

}  // namespace sih
