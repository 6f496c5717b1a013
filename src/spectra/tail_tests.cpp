// Tail tests of an ESD against the power law, as powerlaw 2.0 computes them (distributions.py,
// statistics.loglikelihood_ratio), and the bootstrap goodness-of-fit test of Clauset, Shalizi
// and Newman (2009).
#include <algorithm>
#include <cmath>

#include "sih/core/rng.hpp"
#include "sih/spectra/esd_diagnostics.hpp"

namespace sih {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// powerlaw's floor for a zero likelihood: 10**sys.float_info.min_10_exp.
constexpr double kTiny = 1e-307;

// E1(z) for small z > 0 (series).
long double expint_e1(long double z) {
  const long double euler = 0.577215664901532860606512090082402431L;
  long double sum = 0, term = 1;
  for (int k = 1; k < 200; ++k) {
    term *= -z / k;
    const long double add = -term / k;
    sum += add;
    if (std::abs(add) < 1e-21L * std::abs(sum)) break;
  }
  return -euler - std::log(z) + sum;
}

// Gamma(a, z) by the continued fraction (modified Lentz), converging for z > 0, fast when
// z is not small compared with a.
long double gamma_cf(long double a, long double z) {
  const long double tiny = 1e-4000L;
  long double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const long double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const long double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-20L) break;
  }
  return std::exp(-z + a * std::log(z)) * h;
}

// Lower incomplete gamma gamma(a, z) for a > 0 by its series.
long double gamma_lower_series(long double a, long double z) {
  long double ap = a, del = 1 / a, sum = del;
  for (int n = 0; n < 10000; ++n) {
    ap += 1;
    del *= z / ap;
    sum += del;
    if (std::abs(del) < std::abs(sum) * 1e-21L) break;
  }
  return sum * std::exp(-z + a * std::log(z));
}

// Python's builtin sum (left to right), which loglikelihood_ratio uses for R and the variance.
double seq_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// statistics.loglikelihood_ratio(l1, l2, nested, normalized_ratio=True)
void loglikelihood_ratio(std::vector<double> l1, std::vector<double> l2, bool nested,
                         TailTest& out) {
  const double n = static_cast<double>(l1.size());
  if (l1.empty()) {
    out.R = 0;
    out.p = 1;
    return;
  }
  const double min_val = std::log(kTiny);
  for (auto& v : l1)
    if (v == -kInf) v = min_val;
  for (auto& v : l2)
    if (v == -kInf) v = min_val;
  std::vector<double> diff(l1.size());
  for (std::size_t i = 0; i < l1.size(); ++i) diff[i] = l1[i] - l2[i];
  const double R = seq_sum(diff);
  const auto sz = static_cast<std::ptrdiff_t>(l1.size());
  const double mean_diff = numpy_sum(l1.data(), sz) / n - numpy_sum(l2.data(), sz) / n;
  std::vector<double> sq(diff.size());
  for (std::size_t i = 0; i < diff.size(); ++i)
    sq[i] = (diff[i] - mean_diff) * (diff[i] - mean_diff);
  const double variance = seq_sum(sq) / n;
  // chi2(1).cdf(x) = erf(sqrt(x / 2))
  out.p = nested ? 1 - std::erf(std::sqrt(std::abs(2 * R) / 2))
                 : std::erfc(std::abs(R) / std::sqrt(2 * n * variance));
  out.R = R / std::sqrt(n * variance);
}

// One of powerlaw's continuous distributions on the tail: its pdf at parameters theta (with
// its in_range() check), fitted by Distribution.fit (minimize -sum log pdf, Nelder-Mead,
// bounds = parameter ranges, tol 1e-4) from generate_initial_parameters.
struct Dist {
  std::vector<double> lower, upper;  // ranges; +-inf = None
  std::function<void(const std::vector<double>&, std::vector<double>&)> pdf_in_range;
  bool in_range(const std::vector<double>& t) const {
    for (std::size_t k = 0; k < t.size(); ++k) {
      if (std::isfinite(lower[k]) && !(t[k] > lower[k])) return false;
      if (std::isfinite(upper[k]) && !(t[k] < upper[k])) return false;
    }
    return true;
  }
  std::vector<double> loglikelihoods(const std::vector<double>& t, std::size_t n) const {
    std::vector<double> p(n, kTiny);
    if (in_range(t)) {
      pdf_in_range(t, p);
      for (auto& v : p)
        if (v == 0) v = kTiny;
    }
    for (auto& v : p) v = std::log(v);
    return p;
  }
};

TailTest fit_and_compare(const Dist& dist, std::vector<double> x0, const std::vector<double>& pl_ll,
                         bool nested) {
  const std::size_t n = pl_ll.size();
  auto cost = [&](const std::vector<double>& t) {
    const auto ll = dist.loglikelihoods(t, n);
    return -numpy_sum(ll.data(), static_cast<std::ptrdiff_t>(n));
  };
  const NelderMeadResult nm = nelder_mead(cost, std::move(x0), dist.lower, dist.upper, 1e-4);
  TailTest t;
  t.params = nm.x;
  t.converged = nm.success && dist.in_range(nm.x);
  loglikelihood_ratio(pl_ll, dist.loglikelihoods(nm.x, n), nested, t);
  return t;
}

}  // namespace

long double upper_incomplete_gamma(long double a, long double z) {
  if (!(z > 0)) return std::numeric_limits<long double>::quiet_NaN();
  // the continued fraction converges fast only away from 0; a = 1 - alpha <= 1 here
  if (z >= 2) return gamma_cf(a, z);
  // small z: recur up from a' = a + k in (0, 1] (or a' = 0, E1), where the series is stable:
  // Gamma(a, z) = (Gamma(a + 1, z) - z^a e^-z) / a
  int k = 0;
  long double ap = a;
  while (ap <= 0 && ap != 0) {
    ap += 1;
    ++k;
  }
  // a nonpositive integer lands on ap == 0 exactly
  long double g = ap == 0 ? expint_e1(z) : std::tgamma(ap) - gamma_lower_series(ap, z);
  for (int j = 0; j < k; ++j) {
    ap -= 1;
    g = (g - std::exp(ap * std::log(z) - z)) / ap;
  }
  return g;
}

TailTests tail_tests(const VecD& tail, double xmin, double alpha, const TailTestOptions& opt) {
  TailTests out;
  const std::size_t n = static_cast<std::size_t>(tail.size());
  if (n == 0) return out;
  std::vector<double> x(tail.data(), tail.data() + n);
  // the power law at weightwatcher's alpha: log((x^-alpha) (alpha - 1) xmin^(alpha - 1))
  std::vector<double> pl_ll(n);
  for (std::size_t i = 0; i < n; ++i)
    pl_ll[i] = std::log((std::pow(x[i], -alpha) * (alpha - 1)) * std::pow(xmin, alpha - 1));
  const auto sz = static_cast<std::ptrdiff_t>(n);
  const double mean = numpy_sum(x.data(), sz) / static_cast<double>(n);
  std::vector<double> logx(n), logratio(n);
  for (std::size_t i = 0; i < n; ++i) {
    logx[i] = std::log(x[i]);
    logratio[i] = std::log(x[i] / xmin);
  }

  Dist ex;
  ex.lower = {0};
  ex.upper = {kInf};
  ex.pdf_in_range = [&](const std::vector<double>& t, std::vector<double>& p) {
    for (std::size_t i = 0; i < n; ++i) p[i] = t[0] * std::exp(t[0] * (xmin - x[i]));
  };
  out.exponential = fit_and_compare(ex, {1 / mean}, pl_ll, false);

  Dist ln;
  ln.lower = {-kInf, 0};
  ln.upper = {kInf, kInf};
  ln.pdf_in_range = [&](const std::vector<double>& t, std::vector<double>& p) {
    const double mu = t[0], s = t[1];
    // C = sigma sqrt(pi/2) erfc((log xmin - mu) / (sigma sqrt 2)), computed by powerlaw with
    // mpmath (no underflow), then rounded to float64 (possibly subnormal or 0)
    const double z = -(mu - std::log(xmin)) / (s * std::sqrt(2.0));
    const double C = static_cast<double>(static_cast<long double>(s * std::sqrt(M_PI / 2)) *
                                         std::erfc(static_cast<long double>(z)));
    if (!(C > 0)) {
      std::fill(p.begin(), p.end(), kTiny);
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double d = logx[i] - mu;
      p[i] = (1 / x[i] * std::exp(-(d * d) / (2 * (s * s)))) / C;
    }
  };
  {
    const double m = numpy_sum(logx.data(), sz) / static_cast<double>(n);
    std::vector<double> dev(n);
    for (std::size_t i = 0; i < n; ++i) dev[i] = (logx[i] - m) * (logx[i] - m);
    const double sd = std::sqrt(numpy_sum(dev.data(), sz) / static_cast<double>(n));
    out.lognormal = fit_and_compare(ln, {m, sd}, pl_ll, false);
  }

  Dist tpl;
  tpl.lower = {0, 0};
  tpl.upper = {opt.tpl_alpha_max, kInf};
  tpl.pdf_in_range = [&](const std::vector<double>& t, std::vector<double>& p) {
    const double a = t[0], lam = t[1];
    const double g =
        static_cast<double>(upper_incomplete_gamma(1.0L - a, static_cast<long double>(lam) * xmin));
    const double C = std::pow(lam, 1 - a) / g;
    for (std::size_t i = 0; i < n; ++i) p[i] = std::pow(x[i], -a) * std::exp(-lam * x[i]) * C;
  };
  {
    const double a0 = 1 + static_cast<double>(n) / numpy_sum(logratio.data(), sz);
    out.truncated_power_law = fit_and_compare(tpl, {a0, 1 / mean}, pl_ll, true);
  }
  return out;
}

double bootstrap_gof_pvalue(const VecD& eigs, const PowerLawFit& fit, int num_samples,
                            std::uint64_t seed) {
  if (!fit.valid || num_samples <= 0) return std::numeric_limits<double>::quiet_NaN();
  const Eigen::Index n = eigs.size();
  const Eigen::Index body = fit.xmin_index;  // values below xmin
  const double p_tail = static_cast<double>(n - body) / static_cast<double>(n);
  Rng rng(seed);
  VecD sample(n);
  int at_least = 0;
  for (int k = 0; k < num_samples; ++k) {
    for (Eigen::Index i = 0; i < n; ++i) {
      if (body == 0 || rng.uniform() < p_tail) {
        sample[i] = fit.xmin * std::pow(1 - rng.uniform(), -1 / (fit.alpha - 1));
      } else {
        sample[i] = eigs[static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(body)))];
      }
    }
    std::sort(sample.data(), sample.data() + n);
    const PowerLawFit f = fit_mle_ks(sample);
    if (f.valid && f.D >= fit.D) ++at_least;
  }
  return static_cast<double>(at_least) / num_samples;
}

}  // namespace sih
