#pragma once
// The metrics, declared once: each column's name, where its value lives in a MetricsRow, whether
// sweeps aggregate it, its roles downstream, its place in `sih analyze`'s output, and what it is.
// metrics.csv, summary.json's "final", runs.csv, aggregate.csv, correlations.csv, the report's
// tables, the plots' column lookup, the checkpoint's copy of the ESD diagnostics and `sih
// analyze`'s CSV/JSON all follow this one table.
// Adding a metric: a member here, a row in the table (metrics_schema.cpp) with its roles, and
// the code that computes it (train/trainer.cpp, or spectra/esd_diagnostics.cpp under the same
// name in EsdDiagnostics::columns()).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sih {

// One checkpoint's row of metrics.csv, or one matrix's row of `sih analyze`; nullopt = not
// computed (an empty cell).
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
  // Written by `sih analyze` only: weightwatcher's own columns (its power-law fit, with -1 where
  // the fit fails, as there) and sih's xmin-at-peak alpha under analyze's name.
  std::optional<double> num_evals, lambda_max, norm, matrix_rank, alpha, D, xmin, xmax, sigma,
      bulk_max, bulk_min, alpha_xmin_peak;
  // Written by `sih analyze --randomize` only (experiments/analyze_randomize.hpp): the ESD of
  // the matrix with its entries permuted, against the original (weightwatcher's rand_* columns).
  std::optional<double> max_rand_eval, rand_num_spikes, rand_sigma_mp, rand_bulk_max,
      rand_mp_softrank, rand_distance, ww_softrank, ww_maxdist, correlation_trap;
};

// What a column is for downstream, beyond metrics.csv: each list of metric names that a table,
// an aggregate or a page used to spell out is a role here.
enum MetricRole : unsigned {
  kNoRole = 0,
  kHeadline = 1u << 0,       // a run at a glance: the per-point means of final-per-point sweeps
                             // (aggregate.csv) and the report's runs table
  kLoss = 1u << 1,           // the losses: per-step aggregates of bulk-losses sweeps
  kTailExponent = 1u << 2,   // a power-law exponent: correlations.csv's x
  kOutcome = 1u << 3,        // what training achieved: correlations.csv's y
  kSpikes = 1u << 4,         // the report's "Spikes, bulk and tails" table
  kSpikeSummary = 1u << 5,   // beside the headline in the report's runs table
  kFromEsd = 1u << 6,        // a checkpoint takes it from the ESD diagnostics (same name)
  kWeightwatcher = 1u << 7,  // ...only with enable_ww
  kCount = 1u << 8,          // an integer count; a negative one means "undefined"
  kAnalyzeOnly = 1u << 9,    // not a checkpoint metric: `sih analyze` writes it, metrics.csv not
  kRandomized = 1u << 10,    // from the permuted matrix (analyze --randomize), not the ESD
                             // diagnostics; empty without --randomize
};

struct MetricColumn {
  std::string_view name;
  std::optional<double> MetricsRow::*value;
  bool aggregated;     // sweeps report its mean and std per grid point
  unsigned roles;      // MetricRole bits
  int analyze_column;  // its place in `sih analyze`'s output; -1: analyze does not write it
  std::string_view doc;
  bool has(MetricRole role) const { return (roles & role) != 0; }
};

// The checkpoint's metric columns after `step` and `lr`, in metrics.csv's order (the table
// without its kAnalyzeOnly rows).
const std::vector<MetricColumn>& metric_schema();
// The columns `sih analyze` writes, in its order.
const std::vector<MetricColumn>& analyze_columns();
const MetricColumn* find_metric(std::string_view name);  // nullptr if unknown
// The names of the columns with `role`, in schema order.
std::vector<std::string> metric_names_with(MetricRole role);

// Column names of metrics.csv, in order (step, lr, then the schema), and a row's values in
// the same order.
const std::vector<std::string>& metrics_columns();
std::vector<std::optional<double>> metrics_values(const MetricsRow& row);

}  // namespace sih
