#include "sih/core/metrics_schema.hpp"

namespace sih {

const std::vector<MetricColumn>& metric_schema() {
  using R = MetricsRow;
  static const std::vector<MetricColumn> schema = {
      {"train_loss", &R::train_loss, true,
       "train loss: ridge refit on the probe set (fix_last_layer), else the batch loss"},
      {"val_loss", &R::val_loss, true, "test MSE"},
      {"kta", &R::kta, true, "kernel-target alignment of the probe features"},
      {"w_beta_alignment", &R::w_beta_alignment, true, "|<v1, beta>| of W's top right vector"},
      {"alpha_hill", &R::alpha_hill, true, "power-law alpha, Hill estimator at the median"},
      {"D_hill", &R::D_hill, false, "KS distance of the Hill fit"},
      {"alpha_mle_ks", &R::alpha_mle_ks, true, "power-law alpha, MLE at the KS-optimal xmin"},
      {"D_mle_ks", &R::D_mle_ks, false, "KS distance of the MLE+KS fit"},
      {"alpha_peak", &R::alpha_peak, true, "power-law alpha, xmin near the ESD's peak"},
      {"D_peak", &R::D_peak, false, "KS distance of the xmin_peak fit"},
      {"spectral_norm", &R::spectral_norm, true, "largest eigenvalue of W^T W (sigma_max^2)"},
      {"frobenius_norm", &R::frobenius_norm, true, "sum of the eigenvalues (||W||_F^2)"},
      {"alphahat", &R::alphahat, true, "alpha_hill * log10(spectral_norm)"},
      {"stable_rank", &R::stable_rank, true, "frobenius_norm / spectral_norm"},
      {"mp_lambda_plus_init", &R::mp_lambda_plus_init, true,
       "MP edge of the initial distribution: s^2 (sqrt(h) + sqrt(d))^2"},
      {"sigma_mp", &R::sigma_mp, true, "weightwatcher's fitted MP sigma (ESD rescaled to mean 1)"},
      {"mp_lambda_plus", &R::mp_lambda_plus, true,
       "the fitted MP bulk edge (weightwatcher's bulk_max)"},
      {"mp_softrank", &R::mp_softrank, true, "mp_lambda_plus / lambda_max"},
      {"num_spikes", &R::num_spikes, true,
       "eigenvalues above the fitted edge plus the Tracy-Widom margin (weightwatcher)"},
      {"num_spikes_edge", &R::num_spikes_edge, true, "eigenvalues above the fitted edge"},
      {"num_spikes_init", &R::num_spikes_init, true, "eigenvalues above mp_lambda_plus_init"},
      {"spike_gap", &R::spike_gap, true, "lambda_max / mp_lambda_plus"},
      {"R_exponential", &R::R_exponential, true,
       "normalized log-likelihood ratio, power law vs exponential tail (powerlaw)"},
      {"p_exponential", &R::p_exponential, true, "its p-value (Vuong)"},
      {"R_lognormal", &R::R_lognormal, true, "power law vs lognormal"},
      {"p_lognormal", &R::p_lognormal, true, "its p-value"},
      {"R_truncated_power_law", &R::R_truncated_power_law, true,
       "power law vs truncated power law"},
      {"p_truncated_power_law", &R::p_truncated_power_law, true, "its p-value"},
      {"pl_bootstrap_p", &R::pl_bootstrap_p, true,
       "bootstrap goodness-of-fit p-value of the power law (pl_bootstrap samples)"},
      {"alpha_weighted", &R::alpha_weighted, true, "weightwatcher: alpha x log10 lambda_max"},
      {"log_norm", &R::log_norm, true, "weightwatcher: log10 of the sum of eigenvalues"},
      {"log_spectral_norm", &R::log_spectral_norm, true, "weightwatcher: log10 lambda_max"},
      {"log_alpha_norm", &R::log_alpha_norm, true, "weightwatcher: log10 sum lambda_i^alpha"},
      {"entropy", &R::entropy, true, "weightwatcher: matrix entropy"},
      {"num_pl_spikes", &R::num_pl_spikes, true,
       "weightwatcher: eigenvalues in the fitted power-law tail"},
      {"features_alpha_hill", &R::features_alpha_hill, true,
       "alpha_hill of the probe features' Gram matrix"},
      {"features_alpha_mle_ks", &R::features_alpha_mle_ks, true,
       "alpha_mle_ks of the probe features' Gram matrix"},
      {"features_num_spikes", &R::features_num_spikes, true,
       "num_spikes of the probe features' Gram matrix"},
  };
  return schema;
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
