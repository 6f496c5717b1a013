#pragma once
// Spikes, bulk and tail diagnostics of an ESD (issue 12), on the ascending eigenvalues of
// W^T W (the squared singular values of W, as esd_eigenvalues returns them), so the same
// functions serve the trainer's checkpoints and `sih analyze`.
//
// Conventions follow the two anchors, so that a column named after one of their quantities
// means what it means there (docs/OUTPUT.md, "sih analyze", gives the formulas):
//  - weightwatcher 0.7.5.5 (WeightWatcher.analyze(mp_fit=True), default arguments): its
//    power-law fit (the "ww" package path: xmin by minimal KS distance over the eigenvalues
//    > 1e-5), norm metrics, matrix entropy/rank and its MP fit (sigma by a grid search plus
//    Nelder-Mead on a linear-kernel KDE of the rescaled ESD, spikes above the fitted edge plus
//    a Tracy-Widom margin);
//  - powerlaw 2.0 (Distribution classes + loglikelihood_ratio, as weightwatcher's WWFit
//    calls them): the tail tests, including scipy's bounded Nelder-Mead with tol 1e-4.
// tests/data/ww/README.md records the versions and calls behind the reference values.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sih/base/types.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/spectra/nelder_mead.hpp"
#include "sih/spectra/spectral.hpp"

namespace sih {

// Sum as numpy's np.sum does it for a contiguous float64 array (pairwise, 8 accumulators,
// blocks of 128), so sums that decide comparisons round like the anchors'.
double numpy_sum(const double* x, std::ptrdiff_t n);

// ---- Marchenko-Pastur bulk ---------------------------------------------------------------
// The MP edge of the ESD of an h x d matrix with i.i.d. N(0, s2) entries, in sih's convention
// (eigenvalues of W^T W, not divided by anything): s2 (sqrt(h) + sqrt(d))^2; the lower edge
// s2 (sqrt(h) - sqrt(d))^2.
double mp_lambda_plus_init(double s2, double h, double d);
double mp_lambda_minus_init(double s2, double h, double d);

// weightwatcher's mp_fit. N >= M are the dimensions of one weight matrix (of one conv slice),
// eigs_ascending all pooled eigenvalues (zeros included). Rescales the ESD to mean 1
// (W_scale^2 = n / sum), fits sigma there; bulk_max/bulk_min are returned in the input scale,
// sigma_mp and mp_softrank in the rescaled one, exactly as weightwatcher reports them.
struct MpFit {
  double sigma_mp = kNaN;
  double bulk_max = kNaN;     // lambda_+ = (sigma (1 + 1/sqrt(Q)))^2 / W_scale^2
  double bulk_min = kNaN;     // lambda_- likewise
  double mp_softrank = kNaN;  // bulk_max / lambda_max
  double w_scale = kNaN;
  // eigenvalues > bulk_max + sqrt(TW), TW = bulk_max^(2/3) / (sqrt(Q) M^(2/3)) (rescaled)
  long num_spikes = -1;
  long num_spikes_edge = -1;  // eigenvalues > bulk_max (the fitted edge itself, no TW margin)
  bool valid = false;
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
};
MpFit fit_mp_ww(const VecD& eigs_ascending, double N, double M);

// ---- Tail tests (powerlaw's distribution_compare, normalized_ratio=True) -------------------
struct TailTest {
  double R = std::numeric_limits<double>::quiet_NaN();  // normalized loglikelihood ratio
  double p = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> params;  // fitted parameters in powerlaw's order
  bool converged = false;      // scipy's result.success and parameters inside their range
};
struct TailTests {
  TailTest exponential;          // Lambda
  TailTest lognormal;            // mu, sigma
  TailTest truncated_power_law;  // alpha, Lambda
};
struct TailTestOptions {
  // Upper end of the truncated power law's alpha range. powerlaw's default is 3 (what
  // weightwatcher's WWFit gets); a steeper tail then leaves the fit at alpha = 3, outside the
  // open range, and every likelihood becomes 1e-307 (R ~ +2000, p = 0). sih's default lifts
  // the bound (parameter_ranges={'alpha': [0, None]}).
  double tpl_alpha_max = std::numeric_limits<double>::infinity();
};
// tail_ascending: the eigenvalues >= xmin (ascending), alpha the power law's MLE exponent there.
TailTests tail_tests(const VecD& tail_ascending, double xmin, double alpha,
                     const TailTestOptions& opt = {});

// Upper incomplete gamma Gamma(a, z) for real a, z > 0 (as mpmath.gammainc(a, z)).
long double upper_incomplete_gamma(long double a, long double z);

// ---- Goodness of fit by bootstrap (Clauset, Shalizi, Newman 2009, section 4.1) -------------
// Semi-parametric: each synthetic sample of the same size draws, with probability
// n_tail / n, from the fitted power law above xmin and otherwise from the observed values
// below xmin; it is refitted with the same MLE+KS rule. p = fraction of samples whose KS
// distance is >= the observed one. Deterministic for a given seed (sih::Rng).
double bootstrap_gof_pvalue(const VecD& eigs_ascending, const PowerLawFit& fit, int num_samples,
                            std::uint64_t seed);

// ---- Everything, for one ESD ---------------------------------------------------------------
struct EsdDiagnosticsOptions {
  double N = 0, M = 0;  // dims of one matrix (N >= M); 0 = take N = M = number of eigenvalues
  double init_variance = std::numeric_limits<double>::quiet_NaN();  // s2 of the init; NaN = none
  double h = 0, d = 0;   // W is h x d (for mp_lambda_plus_init); 0 = use N, M
  int pl_bootstrap = 0;  // K bootstrap samples, 0 = off
  std::uint64_t seed = 0;
  bool tail_tests = true;
  // sih's own alphas (alpha_hill, alpha_mle_ks, alpha_xmin_peak); the trainer has them already.
  bool reference_alphas = true;
  TailTestOptions tail;
};

struct EsdDiagnostics {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  long num_evals = 0;
  // weightwatcher's norm metrics (apply_norm_metrics)
  double lambda_max = kNaN, spectral_norm = kNaN, norm = kNaN, log_norm = kNaN;
  double log_spectral_norm = kNaN, stable_rank = kNaN, entropy = kNaN;
  long matrix_rank = 0;
  // weightwatcher's power-law fit (WWFit); alpha = D = xmin = -1 when it fails, as there
  double alpha = -1, D = -1, xmin = -1, xmax = kNaN, sigma = -1;
  long num_pl_spikes = -1;
  double alpha_weighted = kNaN, log_alpha_norm = kNaN;
  // MP bulk (weightwatcher's mp_fit) and spikes
  MpFit mp;
  double mp_lambda_plus = kNaN;  // = mp.bulk_max
  double spike_gap = kNaN;       // lambda_max / mp_lambda_plus
  double mp_lambda_plus_init = kNaN;
  long num_spikes_init = -1;
  // powerlaw tail tests at the weightwatcher xmin, bootstrap GOF
  TailTests tails;
  double pl_bootstrap_p = kNaN;
  // sih's reference alphas (SpectralSummary: all eigenvalues, docs/MODEL.md §5)
  double alpha_hill = kNaN, alpha_mle_ks = kNaN, alpha_xmin_peak = kNaN;

  // (column name, value) in a fixed order; integers as doubles, absent values as NaN.
  std::vector<std::pair<std::string, double>> columns() const;
};

EsdDiagnostics esd_diagnostics(const VecD& eigs_ascending, const EsdDiagnosticsOptions& opt);

// The metric schema's columns filled from the diagnostics, by name (columns() above), so that
// a metric the diagnostics compute reaches metrics.csv and `sih analyze` through its schema row
// alone. kCheckpoint: the kFromEsd columns, the kWeightwatcher ones only when `weightwatcher`;
// NaN and negative counts (a failed fit's -1) are empty cells. kAnalyze: every analyze column;
// only NaN is empty, weightwatcher's -1 for a failed fit is kept, as weightwatcher reports it.
enum class EsdTarget { kCheckpoint, kAnalyze };
void fill_metrics(const EsdDiagnostics& e, EsdTarget target, bool weightwatcher, MetricsRow& row);

// weightwatcher's power-law fit alone (eigenvalues > 1e-5, WWFit): alpha, D, xmin, xmax
// (= max eigenvalue) and the index of xmin into the filtered vector.
struct WwPowerLaw {
  PowerLawFit fit;    // on the filtered eigenvalues
  VecD nonzero;       // the eigenvalues > 1e-5, ascending
  double sigma = -1;  // (alpha - 1) / sqrt(n - i)
};
WwPowerLaw fit_powerlaw_ww(const VecD& eigs_ascending);

}  // namespace sih
