#include "sih/core/metrics_schema.hpp"

#include <algorithm>

namespace sih {

namespace {

const std::vector<MetricColumn>& metric_table() {
  using R = MetricsRow;
  static const std::vector<MetricColumn> table = {
      {"train_loss", &R::train_loss, true, kHeadline | kLoss, -1,
       "train loss: ridge refit on the probe set (fix_last_layer), else the batch loss"},
      {"val_loss", &R::val_loss, true, kHeadline | kLoss | kOutcome, -1, "test MSE"},
      {"kta", &R::kta, true, kHeadline, -1, "kernel-target alignment of the probe features"},
      {"w_beta_alignment", &R::w_beta_alignment, true, kHeadline | kOutcome, -1,
       "|<v1, beta>| of W's top right vector"},
      {"alpha_hill", &R::alpha_hill, true, kHeadline | kTailExponent, 34,
       "power-law alpha, Hill estimator at the median"},
      {"D_hill", &R::D_hill, false, kNoRole, -1, "KS distance of the Hill fit"},
      {"alpha_mle_ks", &R::alpha_mle_ks, true, kHeadline | kTailExponent, 35,
       "power-law alpha, MLE at the KS-optimal xmin"},
      {"D_mle_ks", &R::D_mle_ks, false, kNoRole, -1, "KS distance of the MLE+KS fit"},
      {"alpha_peak", &R::alpha_peak, true, kNoRole, -1,
       "power-law alpha, xmin near the ESD's peak"},
      {"D_peak", &R::D_peak, false, kNoRole, -1, "KS distance of the xmin_peak fit"},
      {"spectral_norm", &R::spectral_norm, true, kNoRole, 2,
       "largest eigenvalue of W^T W (sigma_max^2)"},
      {"frobenius_norm", &R::frobenius_norm, true, kNoRole, -1,
       "sum of the eigenvalues (||W||_F^2)"},
      {"alphahat", &R::alphahat, true, kTailExponent, -1, "alpha_hill * log10(spectral_norm)"},
      {"stable_rank", &R::stable_rank, true, kNoRole, 6, "frobenius_norm / spectral_norm"},
      {"mp_lambda_plus_init", &R::mp_lambda_plus_init, true, kSpikes | kFromEsd, 25,
       "MP edge of the initial distribution: s^2 (sqrt(h) + sqrt(d))^2"},
      {"sigma_mp", &R::sigma_mp, true, kFromEsd, 17,
       "weightwatcher's fitted MP sigma (ESD rescaled to mean 1)"},
      {"mp_lambda_plus", &R::mp_lambda_plus, true, kSpikes | kFromEsd, 23,
       "the fitted MP bulk edge (weightwatcher's bulk_max)"},
      {"mp_softrank", &R::mp_softrank, true, kFromEsd, 18, "mp_lambda_plus / lambda_max"},
      {"num_spikes", &R::num_spikes, true, kSpikes | kSpikeSummary | kFromEsd | kCount, 19,
       "eigenvalues above the fitted edge plus the Tracy-Widom margin (weightwatcher)"},
      {"num_spikes_edge", &R::num_spikes_edge, true, kSpikes | kFromEsd | kCount, 20,
       "eigenvalues above the fitted edge"},
      {"num_spikes_init", &R::num_spikes_init, true, kSpikes | kFromEsd | kCount, 26,
       "eigenvalues above mp_lambda_plus_init"},
      {"spike_gap", &R::spike_gap, true, kSpikes | kSpikeSummary | kFromEsd, 24,
       "lambda_max / mp_lambda_plus"},
      {"R_exponential", &R::R_exponential, true, kSpikes | kFromEsd, 27,
       "normalized log-likelihood ratio, power law vs exponential tail (powerlaw)"},
      {"p_exponential", &R::p_exponential, true, kSpikes | kFromEsd, 28, "its p-value (Vuong)"},
      {"R_lognormal", &R::R_lognormal, true, kSpikes | kFromEsd, 29, "power law vs lognormal"},
      {"p_lognormal", &R::p_lognormal, true, kSpikes | kFromEsd, 30, "its p-value"},
      {"R_truncated_power_law", &R::R_truncated_power_law, true, kSpikes | kFromEsd, 31,
       "power law vs truncated power law"},
      {"p_truncated_power_law", &R::p_truncated_power_law, true, kSpikes | kFromEsd, 32,
       "its p-value"},
      {"pl_bootstrap_p", &R::pl_bootstrap_p, true, kFromEsd, 33,
       "bootstrap goodness-of-fit p-value of the power law (pl_bootstrap samples)"},
      {"alpha_weighted", &R::alpha_weighted, true, kFromEsd | kWeightwatcher, 15,
       "weightwatcher: alpha x log10 lambda_max"},
      {"log_norm", &R::log_norm, true, kFromEsd | kWeightwatcher, 4,
       "weightwatcher: log10 of the sum of eigenvalues"},
      {"log_spectral_norm", &R::log_spectral_norm, true, kFromEsd | kWeightwatcher, 5,
       "weightwatcher: log10 lambda_max"},
      {"log_alpha_norm", &R::log_alpha_norm, true, kFromEsd | kWeightwatcher, 16,
       "weightwatcher: log10 sum lambda_i^alpha"},
      {"entropy", &R::entropy, true, kFromEsd | kWeightwatcher, 8, "weightwatcher: matrix entropy"},
      {"num_pl_spikes", &R::num_pl_spikes, true, kFromEsd | kWeightwatcher | kCount, 14,
       "weightwatcher: eigenvalues in the fitted power-law tail"},
      {"features_alpha_hill", &R::features_alpha_hill, true, kNoRole, -1,
       "alpha_hill of the probe features' Gram matrix"},
      {"features_alpha_mle_ks", &R::features_alpha_mle_ks, true, kNoRole, -1,
       "alpha_mle_ks of the probe features' Gram matrix"},
      {"features_num_spikes", &R::features_num_spikes, true, kCount, -1,
       "num_spikes of the probe features' Gram matrix"},
      // `sih analyze` only (docs/OUTPUT.md, "sih analyze").
      {"num_evals", &R::num_evals, false, kAnalyzeOnly | kCount, 0,
       "eigenvalues in the ESD (M x rf, zeros included)"},
      {"lambda_max", &R::lambda_max, false, kAnalyzeOnly, 1, "largest eigenvalue"},
      {"norm", &R::norm, false, kAnalyzeOnly, 3, "weightwatcher: sum of the eigenvalues"},
      {"matrix_rank", &R::matrix_rank, false, kAnalyzeOnly | kCount, 7,
       "weightwatcher: numerical rank"},
      {"alpha", &R::alpha, false, kAnalyzeOnly, 9,
       "weightwatcher: power-law alpha of its fit (WWFit; -1 when the fit fails)"},
      {"D", &R::D, false, kAnalyzeOnly, 10, "weightwatcher: KS distance of its fit"},
      {"xmin", &R::xmin, false, kAnalyzeOnly, 11, "weightwatcher: xmin of its fit"},
      {"xmax", &R::xmax, false, kAnalyzeOnly, 12, "weightwatcher: xmax of its fit (lambda_max)"},
      {"sigma", &R::sigma, false, kAnalyzeOnly, 13,
       "weightwatcher: (alpha - 1) / sqrt(eigenvalues in the tail)"},
      {"bulk_max", &R::bulk_max, false, kAnalyzeOnly, 21, "weightwatcher: fitted MP upper edge"},
      {"bulk_min", &R::bulk_min, false, kAnalyzeOnly, 22, "weightwatcher: fitted MP lower edge"},
      {"alpha_xmin_peak", &R::alpha_xmin_peak, false, kAnalyzeOnly, 36,
       "power-law alpha, xmin near the ESD's peak"},
      // `sih analyze --randomize` only: W with its entries permuted (seeded by --seed and the
      // tensor's name), weightwatcher's randomize=True columns (docs/OUTPUT.md).
      {"max_rand_eval", &R::max_rand_eval, false, kAnalyzeOnly | kRandomized, 37,
       "weightwatcher: largest eigenvalue of the randomized ESD (5 permutations pooled when "
       "the matrix has fewer than 100 eigenvalues)"},
      {"rand_num_spikes", &R::rand_num_spikes, false, kAnalyzeOnly | kRandomized | kCount, 38,
       "weightwatcher: num_spikes of the randomized ESD (its own MP fit and Tracy-Widom margin)"},
      {"rand_sigma_mp", &R::rand_sigma_mp, false, kAnalyzeOnly | kRandomized, 39,
       "weightwatcher: sigma_mp of the randomized ESD"},
      {"rand_bulk_max", &R::rand_bulk_max, false, kAnalyzeOnly | kRandomized, 40,
       "weightwatcher: fitted MP upper edge of the randomized ESD"},
      {"rand_mp_softrank", &R::rand_mp_softrank, false, kAnalyzeOnly | kRandomized, 41,
       "weightwatcher: rand_bulk_max / max_rand_eval"},
      {"rand_distance", &R::rand_distance, false, kAnalyzeOnly | kRandomized, 42,
       "weightwatcher: Jensen-Shannon distance of the sorted eigenvalues and the sorted "
       "randomized ones, each normalized to sum 1"},
      {"ww_softrank", &R::ww_softrank, false, kAnalyzeOnly | kRandomized, 43,
       "weightwatcher: randomized lambda_max / lambda_max (one permutation)"},
      {"ww_maxdist", &R::ww_maxdist, false, kAnalyzeOnly | kRandomized, 44,
       "weightwatcher: lambda_max - randomized lambda_max (one permutation)"},
      {"correlation_trap", &R::correlation_trap, false, kAnalyzeOnly | kRandomized | kCount, 45,
       "1 when rand_num_spikes > 0: a spike that survives permuting the entries comes from a "
       "few large entries, not from learned correlations; else 0"},
  };
  return table;
}

}  // namespace

const std::vector<MetricColumn>& metric_schema() {
  static const std::vector<MetricColumn> schema = [] {
    std::vector<MetricColumn> out;
    for (const MetricColumn& m : metric_table())
      if (!m.has(kAnalyzeOnly)) out.push_back(m);
    return out;
  }();
  return schema;
}

const std::vector<MetricColumn>& analyze_columns() {
  static const std::vector<MetricColumn> columns = [] {
    std::vector<MetricColumn> out;
    for (const MetricColumn& m : metric_table())
      if (m.analyze_column >= 0) out.push_back(m);
    std::sort(out.begin(), out.end(), [](const MetricColumn& a, const MetricColumn& b) {
      return a.analyze_column < b.analyze_column;
    });
    return out;
  }();
  return columns;
}

std::vector<std::string> metric_names_with(MetricRole role) {
  std::vector<std::string> names;
  for (const MetricColumn& m : metric_schema())
    if (m.has(role)) names.emplace_back(m.name);
  return names;
}

const MetricColumn* find_metric(std::string_view name) {
  for (const MetricColumn& m : metric_schema())
    if (m.name == name) return &m;
  return nullptr;
}

const std::vector<std::string>& metrics_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> out = {"step", "lr"};
    for (const MetricColumn& m : metric_schema()) out.emplace_back(m.name);
    return out;
  }();
  return cols;
}

std::vector<std::optional<double>> metrics_values(const MetricsRow& row) {
  std::vector<std::optional<double>> out = {static_cast<double>(row.step), row.lr};
  for (const MetricColumn& m : metric_schema()) out.push_back(row.*m.value);
  return out;
}

}  // namespace sih
