#include "sih/spectra/nelder_mead.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace sih {

NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                             std::vector<double> x0, const std::vector<double>& lower,
                             const std::vector<double>& upper, double tol) {
  const std::size_t N = x0.size();
  const bool bounded = !lower.empty();
  auto clip = [&](std::vector<double>& v) {
    if (!bounded) return;
    for (std::size_t k = 0; k < N; ++k) v[k] = std::min(std::max(v[k], lower[k]), upper[k]);
  };
  const double rho = 1, chi = 2, psi = 0.5, sigma = 0.5;
  const double nonzdelt = 0.05, zdelt = 0.00025;
  clip(x0);
  std::vector<std::vector<double>> sim(N + 1, x0);
  for (std::size_t k = 0; k < N; ++k) {
    if (sim[k + 1][k] != 0)
      sim[k + 1][k] = (1 + nonzdelt) * sim[k + 1][k];
    else
      sim[k + 1][k] = zdelt;
  }
  for (auto& v : sim) clip(v);
  const int maxiter = static_cast<int>(200 * N), maxfun = static_cast<int>(200 * N);
  int fcalls = 0;
  struct MaxFun {};
  auto func = [&](const std::vector<double>& x) {
    if (fcalls >= maxfun) throw MaxFun{};
    ++fcalls;
    return f(x);
  };
  std::vector<double> fsim(N + 1, std::numeric_limits<double>::infinity());
  // np.argsort of <= 3 values is an insertion sort: stable.
  auto sort_sim = [&]() {
    std::vector<std::size_t> ind(N + 1);
    std::iota(ind.begin(), ind.end(), 0);
    std::stable_sort(ind.begin(), ind.end(), [&](std::size_t a, std::size_t b) {
      // NaN sorts last, as in numpy
      if (std::isnan(fsim[a])) return false;
      if (std::isnan(fsim[b])) return true;
      return fsim[a] < fsim[b];
    });
    auto s2 = sim;
    auto f2 = fsim;
    for (std::size_t i = 0; i <= N; ++i) {
      sim[i] = s2[ind[i]];
      fsim[i] = f2[ind[i]];
    }
  };
  try {
    for (std::size_t k = 0; k <= N; ++k) fsim[k] = func(sim[k]);
  } catch (const MaxFun&) {
  }
  sort_sim();
  int iterations = 1;
  while (fcalls < maxfun && iterations < maxiter) {
    try {
      double xd = 0, fd = 0;
      for (std::size_t j = 1; j <= N; ++j) {
        for (std::size_t k = 0; k < N; ++k) xd = std::max(xd, std::abs(sim[j][k] - sim[0][k]));
        fd = std::max(fd, std::abs(fsim[0] - fsim[j]));
      }
      if (xd <= tol && fd <= tol) break;
      std::vector<double> xbar(N, 0.0);
      for (std::size_t k = 0; k < N; ++k) {
        double s = 0;
        for (std::size_t j = 0; j < N; ++j) s += sim[j][k];
        xbar[k] = s / static_cast<double>(N);
      }
      auto affine = [&](double c1, double c2) {  // c1 * xbar - c2 * sim[-1]
        std::vector<double> v(N);
        for (std::size_t k = 0; k < N; ++k) v[k] = c1 * xbar[k] - c2 * sim[N][k];
        clip(v);
        return v;
      };
      auto xr = affine(1 + rho, rho);
      const double fxr = func(xr);
      bool doshrink = false;
      if (fxr < fsim[0]) {
        auto xe = affine(1 + rho * chi, rho * chi);
        const double fxe = func(xe);
        if (fxe < fxr) {
          sim[N] = xe;
          fsim[N] = fxe;
        } else {
          sim[N] = xr;
          fsim[N] = fxr;
        }
      } else {
        if (fxr < fsim[N - 1]) {
          sim[N] = xr;
          fsim[N] = fxr;
        } else {
          if (fxr < fsim[N]) {
            auto xc = affine(1 + psi * rho, psi * rho);
            const double fxc = func(xc);
            if (fxc <= fxr) {
              sim[N] = xc;
              fsim[N] = fxc;
            } else {
              doshrink = true;
            }
          } else {
            std::vector<double> xcc(N);
            for (std::size_t k = 0; k < N; ++k) xcc[k] = (1 - psi) * xbar[k] + psi * sim[N][k];
            clip(xcc);
            const double fxcc = func(xcc);
            if (fxcc < fsim[N]) {
              sim[N] = xcc;
              fsim[N] = fxcc;
            } else {
              doshrink = true;
            }
          }
          if (doshrink) {
            for (std::size_t j = 1; j <= N; ++j) {
              for (std::size_t k = 0; k < N; ++k)
                sim[j][k] = sim[0][k] + sigma * (sim[j][k] - sim[0][k]);
              clip(sim[j]);
              fsim[j] = func(sim[j]);
            }
          }
        }
      }
      ++iterations;
    } catch (const MaxFun&) {
    }
    sort_sim();
  }
  NelderMeadResult r;
  r.x = sim[0];
  r.fun = *std::min_element(fsim.begin(), fsim.end());
  r.nfev = fcalls;
  r.nit = iterations;
  r.success = !(fcalls >= maxfun || iterations >= maxiter);
  return r;
}

}  // namespace sih
