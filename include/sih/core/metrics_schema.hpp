#pragma once
// The checkpoint metrics, declared once: each column's name, where its value lives in a
// MetricsRow, whether sweeps aggregate it, and what it is. metrics.csv, summary.json's
// "final", runs.csv, aggregate.csv and the plots' column lookup all follow this table.
// Adding a metric: a member here, a row in metric_schema() (metrics_schema.cpp) with its roles,
// and the code that computes it (train/trainer.cpp or spectra/esd_diagnostics.cpp).
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
  // The bulk, the spikes and the tail tests of W's ESD (esd_diagnostics.hpp).
  std::optional<double> mp_lambda_plus_init, sigma_mp, mp_lambda_plus, mp_softrank, num_spikes,
      num_spikes_edge, num_spikes_init, spike_gap, R_exponential, p_exponential, R_lognormal,
      p_lognormal, R_truncated_power_law, p_truncated_power_law, pl_bootstrap_p;
  // weightwatcher's metrics (enable_ww).
  std::optional<double> alpha_weighted, log_norm, log_spectral_norm, log_alpha_norm, entropy,
      num_pl_spikes;
  // The ESD of the probe features' Gram matrix (the conjugate kernel; features_spectrum).
  std::optional<double> features_alpha_hill, features_alpha_mle_ks, features_num_spikes;
};

// What a column is for downstream, beyond metrics.csv: each list of metric names that a table,
// an aggregate or a page used to spell out is a role here.
enum MetricRole : unsigned {
  kNoRole = 0,
  kHeadline = 1u << 0,      // a run at a glance: the per-point means of final-per-point sweeps
                            // (aggregate.csv) and the report's runs table
  kLoss = 1u << 1,          // the losses: per-step aggregates of bulk-losses sweeps
  kTailExponent = 1u << 2,  // a power-law exponent: correlations.csv's x
  kOutcome = 1u << 3,       // what training achieved: correlations.csv's y
  kSpikes = 1u << 4,        // the report's "Spikes, bulk and tails" table
  kSpikeSummary = 1u << 5,  // beside the headline in the report's runs table
};

struct MetricColumn {
  std::string_view name;
  std::optional<double> MetricsRow::*value;
  bool aggregated;  // sweeps report its mean and std per grid point
  unsigned roles;   // MetricRole bits
  std::string_view doc;
  bool has(MetricRole role) const { return (roles & role) != 0; }
};

// The metric columns after `step` and `lr`, in file order.
const std::vector<MetricColumn>& metric_schema();
const MetricColumn* find_metric(std::string_view name);  // nullptr if unknown
// The names of the columns with `role`, in schema order.
std::vector<std::string> metric_names_with(MetricRole role);

// Column names of metrics.csv, in order (step, lr, then the schema), and a row's values in
// the same order.
const std::vector<std::string>& metrics_columns();
std::vector<std::optional<double>> metrics_values(const MetricsRow& row);

}  // namespace sih
