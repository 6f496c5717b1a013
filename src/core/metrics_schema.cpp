#include "sih/core/metrics_schema.hpp"

namespace sih {

const std::vector<MetricColumn>& metric_schema() {
  using R = MetricsRow;
  static const std::vector<MetricColumn> schema = {
      {"train_loss", &R::train_loss, true, kHeadline | kLoss,
       "train loss: ridge refit on the probe set (fix_last_layer), else the batch loss"},
      {"val_loss", &R::val_loss, true, kHeadline | kLoss | kOutcome, "test MSE"},
      {"kta", &R::kta, true, kHeadline, "kernel-target alignment of the probe features"},
      {"w_beta_alignment", &R::w_beta_alignment, true, kHeadline | kOutcome,
       "|<v1, beta>| of W's top right vector"},
      {"alpha_hill", &R::alpha_hill, true, kHeadline | kTailExponent,
       "power-law alpha, Hill estimator at the median"},
      {"D_hill", &R::D_hill, false, kNoRole, "KS distance of the Hill fit"},
      {"alpha_mle_ks", &R::alpha_mle_ks, true, kHeadline | kTailExponent,
       "power-law alpha, MLE at the KS-optimal xmin"},
      {"D_mle_ks", &R::D_mle_ks, false, kNoRole, "KS distance of the MLE+KS fit"},
      {"alpha_peak", &R::alpha_peak, true, kNoRole, "power-law alpha, xmin near the ESD's peak"},
      {"D_peak", &R::D_peak, false, kNoRole, "KS distance of the xmin_peak fit"},
      {"spectral_norm", &R::spectral_norm, true, kNoRole,
       "largest eigenvalue of W^T W (sigma_max^2)"},
      {"frobenius_norm", &R::frobenius_norm, true, kNoRole, "sum of the eigenvalues (||W||_F^2)"},
      {"alphahat", &R::alphahat, true, kTailExponent, "alpha_hill * log10(spectral_norm)"},
      {"stable_rank", &R::stable_rank, true, kNoRole, "frobenius_norm / spectral_norm"},
      {"mp_lambda_plus_init", &R::mp_lambda_plus_init, true, kSpikes,
       "MP edge of the initial distribution: s^2 (sqrt(h) + sqrt(d))^2"},
      {"sigma_mp", &R::sigma_mp, true, kNoRole,
       "weightwatcher's fitted MP sigma (ESD rescaled to mean 1)"},
      {"mp_lambda_plus", &R::mp_lambda_plus, true, kSpikes,
       "the fitted MP bulk edge (weightwatcher's bulk_max)"},
      {"mp_softrank", &R::mp_softrank, true, kNoRole, "mp_lambda_plus / lambda_max"},
      {"num_spikes", &R::num_spikes, true, kSpikes | kSpikeSummary,
       "eigenvalues above the fitted edge plus the Tracy-Widom margin (weightwatcher)"},
      {"num_spikes_edge", &R::num_spikes_edge, true, kSpikes, "eigenvalues above the fitted edge"},
      {"num_spikes_init", &R::num_spikes_init, true, kSpikes,
       "eigenvalues above mp_lambda_plus_init"},
      {"spike_gap", &R::spike_gap, true, kSpikes | kSpikeSummary, "lambda_max / mp_lambda_plus"},
      {"R_exponential", &R::R_exponential, true, kSpikes,
       "normalized log-likelihood ratio, power law vs exponential tail (powerlaw)"},
      {"p_exponential", &R::p_exponential, true, kSpikes, "its p-value (Vuong)"},
      {"R_lognormal", &R::R_lognormal, true, kSpikes, "power law vs lognormal"},
      {"p_lognormal", &R::p_lognormal, true, kSpikes, "its p-value"},
      {"R_truncated_power_law", &R::R_truncated_power_law, true, kSpikes,
       "power law vs truncated power law"},
      {"p_truncated_power_law", &R::p_truncated_power_law, true, kSpikes, "its p-value"},
      {"pl_bootstrap_p", &R::pl_bootstrap_p, true, kNoRole,
       "bootstrap goodness-of-fit p-value of the power law (pl_bootstrap samples)"},
      {"alpha_weighted", &R::alpha_weighted, true, kNoRole,
       "weightwatcher: alpha x log10 lambda_max"},
      {"log_norm", &R::log_norm, true, kNoRole, "weightwatcher: log10 of the sum of eigenvalues"},
      {"log_spectral_norm", &R::log_spectral_norm, true, kNoRole,
       "weightwatcher: log10 lambda_max"},
      {"log_alpha_norm", &R::log_alpha_norm, true, kNoRole,
       "weightwatcher: log10 sum lambda_i^alpha"},
      {"entropy", &R::entropy, true, kNoRole, "weightwatcher: matrix entropy"},
      {"num_pl_spikes", &R::num_pl_spikes, true, kNoRole,
       "weightwatcher: eigenvalues in the fitted power-law tail"},
      {"features_alpha_hill", &R::features_alpha_hill, true, kNoRole,
       "alpha_hill of the probe features' Gram matrix"},
      {"features_alpha_mle_ks", &R::features_alpha_mle_ks, true, kNoRole,
       "alpha_mle_ks of the probe features' Gram matrix"},
      {"features_num_spikes", &R::features_num_spikes, true, kNoRole,
       "num_spikes of the probe features' Gram matrix"},
  };
  return schema;
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
