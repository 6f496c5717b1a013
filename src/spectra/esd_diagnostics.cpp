#include "sih/spectra/esd_diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sih {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
// weightwatcher's EVALS_THRESH (eigenvalues kept for the power-law fit) and EPSILON (entropy).
constexpr double kEvalsThresh = 1e-5;
constexpr double kEntropyEps = 1e-10;

double pairwise(const double* a, std::ptrdiff_t n) {
  if (n < 8) {
    double res = 0.;
    for (std::ptrdiff_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::ptrdiff_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::ptrdiff_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

// ---- weightwatcher's MP fit internals (RMT_Util.fit_density_with_range / resid_mp) ----------

// np.arange(start, stop, step) for floats: length ceil((stop - start) / step), values
// start + i * ((start + step) - start).
std::vector<double> numpy_arange(double start, double stop, double step) {
  const double len = std::ceil((stop - start) / step);
  std::vector<double> out(len > 0 ? static_cast<std::size_t>(len) : 0);
  const double delta = (start + step) - start;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = i == 0 ? start : (i == 1 ? start + step : start + static_cast<double>(i) * delta);
  return out;
}

// The KDE of the ESD that resid_mp builds (sklearn KernelDensity, kernel='linear',
// bandwidth 0.1, on a 1000-point grid from 0 to max + 0.5), kept where it exceeds 0.01. It does
// not depend on sigma, so it is computed once (weightwatcher rebuilds it for each of ~200
// trial sigmas).
struct KdeGrid {
  std::vector<double> x, y;  // the kept points (density > 0.01), in grid order
  double x_peak = 0;         // x of the first maximum of y
  double x_max = 0;          // largest kept x
  std::size_t n_bad = 0;
};

KdeGrid kde_grid(const VecD& to_fit_ascending, double bw) {
  const std::ptrdiff_t n = to_fit_ascending.size();
  const double top = to_fit_ascending[n - 1] + 0.5;
  constexpr int kPoints = 1000;
  const double step = top / (kPoints - 1);
  const double norm = 1.0 / (static_cast<double>(n) * bw);
  KdeGrid g;
  std::ptrdiff_t lo = 0;
  double best = -1;
  for (int i = 0; i < kPoints; ++i) {
    const double x = i == kPoints - 1 ? top : static_cast<double>(i) * step;
    while (lo < n && to_fit_ascending[lo] <= x - bw) ++lo;
    double s = 0;
    for (std::ptrdiff_t j = lo; j < n && to_fit_ascending[j] < x + bw; ++j)
      s += 1.0 - std::abs(x - to_fit_ascending[j]) / bw;
    const double y = s * norm;
    if (y > 0.01) {
      g.x.push_back(x);
      g.y.push_back(y);
      if (y > best) {
        best = y;
        g.x_peak = x;
      }
      g.x_max = x;
    } else if (y < 0.01) {
      ++g.n_bad;
    }
  }
  return g;
}

// sum of squared residuals of resid_mp(allresid=False) for one sigma.
double mp_residual(const KdeGrid& g, double Q, double sigma) {
  const std::size_t m = g.x.size();
  if (Q == 1) {
    const double c = 1 / (M_PI * sigma * sigma);
    std::vector<double> r(m);
    for (std::size_t i = 0; i < m; ++i) {
      const double v = c * std::sqrt(4 - g.x[i] * g.x[i]);
      r[i] = (std::isnan(v) ? 0.0 : v) - g.y[i];
    }
    for (auto& v : r) v *= v;
    return numpy_sum(r.data(), static_cast<std::ptrdiff_t>(m));
  }
  const double y = 1 / Q;
  const double sq = std::sqrt(1 / Q);
  const double b = std::pow(sigma * (1 + sq), 2);
  const double a = std::pow(sigma * (1 - sq), 2);
  std::vector<double> r(m);
  if ((b < g.x_peak) || (b > g.x_max) || (a > g.x_peak)) {
    std::fill(r.begin(), r.end(), 1000.0 * 1000.0);
  } else {
    for (std::size_t i = 0; i < m; ++i) {
      const double x = g.x[i];
      // nan_to_num: outside [a, b] the square root is NaN (-> 0); x = 0 gives inf * NaN.
      double v = (1 / (2 * M_PI * sigma * sigma * x * y)) * std::sqrt((b - x) * (x - a));
      if (std::isnan(v)) v = 0;
      if (std::isinf(v))
        v = v > 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
      const double d = v - g.y[i];
      r[i] = d * d;
    }
  }
  // the penalty's zeros for the dropped grid points do not change the sum
  return numpy_sum(r.data(), static_cast<std::ptrdiff_t>(m));
}

}  // namespace

double numpy_sum(const double* x, std::ptrdiff_t n) { return 0.0 + pairwise(x, n); }

// ---- MP ------------------------------------------------------------------------------------

double mp_lambda_plus_init(double s2, double h, double d) {
  const double r = std::sqrt(h) + std::sqrt(d);
  return s2 * r * r;
}
double mp_lambda_minus_init(double s2, double h, double d) {
  const double r = std::sqrt(h) - std::sqrt(d);
  return s2 * r * r;
}

MpFit fit_mp_ww(const VecD& eigs, double N, double M) {
  MpFit out;
  const std::ptrdiff_t n = eigs.size();
  if (n < 2 || !(M > 0)) return out;
  const double total = numpy_sum(eigs.data(), n);
  if (!(total > 0)) return out;
  const double w_scale = std::sqrt(static_cast<double>(n)) / std::sqrt(total);
  const double s2 = w_scale * w_scale;
  const VecD to_plot = s2 * eigs;
  const double lambda_max = to_plot.maxCoeff();
  const double Q = N / M;
  // calc_sigma: the sigma whose MP edge is lambda_max; the grid spans 0.05 to 2 times it.
  const double inv_sq = 1.0 / std::sqrt(Q);
  const double scale = std::sqrt(lambda_max / ((1 + inv_sq) * (1 + inv_sq)));
  VecD to_fit = Q == 1 ? VecD(to_plot.array().sqrt()) : to_plot;
  const KdeGrid g = kde_grid(to_fit, 0.1);
  if (g.x.empty()) return out;
  auto resid = [&](double s) { return mp_residual(g, Q, s); };
  // optimize.brute: the first grid minimum, then its default finish, fmin (Nelder-Mead).
  const auto grid = numpy_arange(0.05 * scale, 2.0 * scale, 0.01 * scale);
  double best = kInf, x0 = grid.empty() ? scale : grid[0];
  for (double s : grid) {
    const double v = resid(s);
    if (v < best) {
      best = v;
      x0 = s;
    }
  }
  const auto nm =
      nelder_mead([&](const std::vector<double>& x) { return resid(x[0]); }, {x0}, {}, {}, 1e-4);
  const double s1 = nm.x[0];
  out.sigma_mp = s1;
  const double bmax = std::pow(s1 * (1 + 1 / std::sqrt(Q)), 2);
  const double bmin = std::pow(s1 * (1 - 1 / std::sqrt(Q)), 2);
  const double tw = 1 / std::sqrt(Q) * std::pow(bmax, 2.0 / 3.0) * std::pow(M, -2.0 / 3.0);
  const double cut = bmax + std::sqrt(tw);
  out.num_spikes = static_cast<long>((to_plot.array() > cut).count());
  out.num_spikes_edge = static_cast<long>((to_plot.array() > bmax).count());
  out.mp_softrank = bmax / lambda_max;
  out.bulk_max = bmax / s2;
  out.bulk_min = bmin / s2;
  out.w_scale = w_scale;
  out.valid = true;
  return out;
}

// ---- weightwatcher's power-law fit and norm metrics ----------------------------------------

WwPowerLaw fit_powerlaw_ww(const VecD& eigs) {
  WwPowerLaw r;
  std::vector<double> nz;
  for (double v : eigs)
    if (v > kEvalsThresh) nz.push_back(v);
  std::sort(nz.begin(), nz.end());
  r.nonzero = Eigen::Map<const VecD>(nz.data(), static_cast<Eigen::Index>(nz.size()));
  r.fit = fit_mle_ks(r.nonzero);
  if (r.fit.valid)
    r.sigma =
        (r.fit.alpha - 1) / std::sqrt(static_cast<double>(r.nonzero.size() - r.fit.xmin_index));
  return r;
}

EsdDiagnostics esd_diagnostics(const VecD& eigs, const EsdDiagnosticsOptions& opt) {
  EsdDiagnostics e;
  const std::ptrdiff_t n = eigs.size();
  e.num_evals = n;
  if (n == 0) return e;
  const double N = opt.N > 0 ? opt.N : static_cast<double>(n);
  const double M = opt.M > 0 ? opt.M : static_cast<double>(n);

  e.norm = numpy_sum(eigs.data(), n);
  e.log_norm = std::log10(e.norm);
  e.lambda_max = e.spectral_norm = eigs.maxCoeff();
  e.log_spectral_norm = std::log10(e.spectral_norm);
  e.stable_rank = e.norm / e.spectral_norm;
  {
    // matrix_rank / matrix_entropy on the singular values sqrt(evals), tol = max S * N * eps
    const VecD sv = eigs.cwiseMax(0.0).cwiseSqrt();
    const double tol = sv.maxCoeff() * N * std::numeric_limits<double>::epsilon();
    e.matrix_rank = static_cast<long>((sv.array() > tol).count());
    VecD ev = sv.array().square();
    const double s = numpy_sum(ev.data(), n);
    VecD plogp(n);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      const double p = ev[i] / s + kEntropyEps;
      plogp[i] = p * std::log(p);
    }
    e.entropy =
        -numpy_sum(plogp.data(), n) / std::log(static_cast<double>(e.matrix_rank) + kEntropyEps);
  }

  const WwPowerLaw pl = fit_powerlaw_ww(eigs);
  if (pl.fit.valid) {
    e.alpha = pl.fit.alpha;
    e.D = pl.fit.D;
    e.xmin = pl.fit.xmin;
    e.xmax = pl.nonzero[pl.nonzero.size() - 1];
    e.sigma = pl.sigma;
    e.num_pl_spikes = static_cast<long>((eigs.array() >= e.xmin).count());
  }
  e.alpha_weighted = e.alpha * e.log_spectral_norm;
  {
    VecD pw(n);
    for (std::ptrdiff_t i = 0; i < n; ++i) pw[i] = std::pow(eigs[i], e.alpha);
    e.log_alpha_norm = std::log10(numpy_sum(pw.data(), n));
  }

  e.mp = fit_mp_ww(eigs, N, M);
  e.mp_lambda_plus = e.mp.bulk_max;
  e.spike_gap = e.lambda_max / e.mp_lambda_plus;
  if (!std::isnan(opt.init_variance)) {
    const double h = opt.h > 0 ? opt.h : N, d = opt.d > 0 ? opt.d : M;
    e.mp_lambda_plus_init = mp_lambda_plus_init(opt.init_variance, h, d);
    e.num_spikes_init = static_cast<long>((eigs.array() > e.mp_lambda_plus_init).count());
  }

  if (pl.fit.valid && opt.tail_tests) {
    const VecD tail = pl.nonzero.tail(pl.nonzero.size() - pl.fit.xmin_index);
    e.tails = tail_tests(tail, pl.fit.xmin, pl.fit.alpha, opt.tail);
  }
  if (pl.fit.valid && opt.pl_bootstrap > 0)
    e.pl_bootstrap_p = bootstrap_gof_pvalue(pl.nonzero, pl.fit, opt.pl_bootstrap, opt.seed);

  if (opt.reference_alphas) {
    const SpectralSummary s = summarize_spectrum(eigs);
    if (s.hill.valid) e.alpha_hill = s.hill.alpha;
    if (s.mle_ks.valid) e.alpha_mle_ks = s.mle_ks.alpha;
    if (s.peak.valid) e.alpha_xmin_peak = s.peak.alpha;
  }
  return e;
}

std::vector<std::pair<std::string, double>> EsdDiagnostics::columns() const {
  auto L = [](long v) { return static_cast<double>(v); };
  return {
      {"num_evals", L(num_evals)},
      {"lambda_max", lambda_max},
      {"spectral_norm", spectral_norm},
      {"norm", norm},
      {"log_norm", log_norm},
      {"log_spectral_norm", log_spectral_norm},
      {"stable_rank", stable_rank},
      {"matrix_rank", L(matrix_rank)},
      {"entropy", entropy},
      {"alpha", alpha},
      {"D", D},
      {"xmin", xmin},
      {"xmax", xmax},
      {"sigma", sigma},
      {"num_pl_spikes", L(num_pl_spikes)},
      {"alpha_weighted", alpha_weighted},
      {"log_alpha_norm", log_alpha_norm},
      {"sigma_mp", mp.sigma_mp},
      {"mp_softrank", mp.mp_softrank},
      {"num_spikes", L(mp.num_spikes)},
      {"num_spikes_edge", L(mp.num_spikes_edge)},
      {"bulk_max", mp.bulk_max},
      {"bulk_min", mp.bulk_min},
      {"mp_lambda_plus", mp_lambda_plus},
      {"spike_gap", spike_gap},
      {"mp_lambda_plus_init", mp_lambda_plus_init},
      {"num_spikes_init", num_spikes_init < 0 ? kNaN : L(num_spikes_init)},
      {"R_exponential", tails.exponential.R},
      {"p_exponential", tails.exponential.p},
      {"R_lognormal", tails.lognormal.R},
      {"p_lognormal", tails.lognormal.p},
      {"R_truncated_power_law", tails.truncated_power_law.R},
      {"p_truncated_power_law", tails.truncated_power_law.p},
      {"pl_bootstrap_p", pl_bootstrap_p},
      {"alpha_hill", alpha_hill},
      {"alpha_mle_ks", alpha_mle_ks},
      {"alpha_xmin_peak", alpha_xmin_peak},
  };
}

void fill_metrics(const EsdDiagnostics& e, EsdTarget target, bool weightwatcher, MetricsRow& row) {
  const auto values = e.columns();
  auto value_of = [&](std::string_view name) {
    for (const auto& [k, v] : values)
      if (k == name) return v;
    return kNaN;  // a schema row names a column the diagnostics do not have: test_metrics_schema
  };
  const bool checkpoint = target == EsdTarget::kCheckpoint;
  for (const MetricColumn& m : checkpoint ? metric_schema() : analyze_columns()) {
    if (checkpoint && (!m.has(kFromEsd) || (m.has(kWeightwatcher) && !weightwatcher))) continue;
    if (m.has(kRandomized)) continue;  // analyze_randomize.cpp's, from the permuted matrix
    const double v = value_of(m.name);
    const bool empty = checkpoint ? !std::isfinite(v) || (m.has(kCount) && v < 0) : std::isnan(v);
    row.*m.value = empty ? std::nullopt : std::optional<double>(v);
  }
}

}  // namespace sih
