#include "sih/metrics_schema.hpp"

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
