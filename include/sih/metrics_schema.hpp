#pragma once
// The checkpoint metrics, declared once: each column's name, where its value lives in a
// MetricsRow, whether sweeps aggregate it, and what it is. metrics.csv, summary.json's
// "final", runs.csv, aggregate.csv and the plots' column lookup all follow this table.
// Adding a metric: a member here, a row in metric_schema() (metrics_schema.cpp), and the
// code in trainer.cpp that computes it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sih {

// One checkpoint's row of metrics.csv; nullopt = not computed (an empty cell).
struct MetricsRow {
  long step = 0;
  double lr = 0;
  std::optional<double> train_loss, val_loss, kta, w_beta_alignment, alpha_hill, D_hill,
      alpha_mle_ks, D_mle_ks, alpha_peak, D_peak, spectral_norm, frobenius_norm, alphahat,
      stable_rank;
};

struct MetricColumn {
  std::string_view name;
  std::optional<double> MetricsRow::*value;
  bool aggregated;  // sweeps report its mean and std per grid point
  std::string_view doc;
};

// The metric columns after `step` and `lr`, in file order.
const std::vector<MetricColumn>& metric_schema();
const MetricColumn* find_metric(std::string_view name);  // nullptr if unknown

// Column names of metrics.csv, in order (step, lr, then the schema), and a row's values in
// the same order.
const std::vector<std::string>& metrics_columns();
std::vector<std::optional<double>> metrics_values(const MetricsRow& row);

}  // namespace sih
