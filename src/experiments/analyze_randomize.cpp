#include "sih/experiments/analyze_randomize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sih/core/rng.hpp"
#include "sih/formats/matrix_readers.hpp"
#include "sih/spectra/esd_diagnostics.hpp"
#include "sih/spectra/spectral.hpp"
#include "sih/spectra/weight_gram.hpp"

namespace sih {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

VecD sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return Eigen::Map<const VecD>(v.data(), static_cast<Eigen::Index>(v.size()));
}

// scipy.stats.entropy(p, q): sum of rel_entr(p_i / sum p, q_i / sum q), natural log. Sums as
// numpy's, so the distance rounds as weightwatcher's.
double relative_entropy(const VecD& p, const VecD& q) {
  const double sp = numpy_sum(p.data(), p.size()), sq = numpy_sum(q.data(), q.size());
  VecD terms(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const double x = p[i] / sp, y = q[i] / sq;
    // rel_entr: x log(x / y) for x, y > 0; 0 for x = 0 <= y; +inf otherwise
    terms[i] = x > 0 && y > 0     ? x * std::log(x / y)
               : x == 0 && y >= 0 ? 0.0
                                  : std::numeric_limits<double>::infinity();
  }
  return numpy_sum(terms.data(), terms.size());
}

}  // namespace

int randomize_replicas(double M) { return M < 100 ? 5 : 1; }

std::uint64_t randomize_seed(std::uint64_t seed, std::string_view tensor_name) {
  return derive_seed(seed, "randomize:" + std::string(tensor_name));
}

RandomizedEsd randomized_eigenvalues(Tensor t, const std::string& conv, double M,
                                     std::uint64_t seed) {
  RandomizedEsd r;
  r.replicas = randomize_replicas(M);
  Rng rng(seed);
  const auto& s = t.shape;
  std::vector<double> pooled, first;
  if (s.size() != 4 || conv == "flatten") {
    // analyze_input's matrix path: shape[0] x the rest, row-major
    const Eigen::Index h = s[0];
    const Eigen::Index d = static_cast<Eigen::Index>(t.data.size()) / std::max<Eigen::Index>(h, 1);
    std::vector<double>& w = t.data;
    for (int k = 0; k < r.replicas; ++k) {
      shuffle_in_place(w.data(), static_cast<long>(w.size()), rng);
      const VecD e = eigenvalues_row_major(w.data(), h, d);
      pooled.insert(pooled.end(), e.data(), e.data() + e.size());
      if (k == 0) first = pooled;
    }
  } else {
    // weightwatcher's conv slices, each permuted within itself
    WeightMatrices wm = weight_matrices(t);
    for (int k = 0; k < r.replicas; ++k) {
      for (MatD& m : wm.slices) {
        shuffle_in_place(m.data(), static_cast<long>(m.size()), rng);
        const VecD e = esd_eigenvalues(m);
        pooled.insert(pooled.end(), e.data(), e.data() + e.size());
      }
      if (k == 0) first = pooled;
    }
  }
  r.pooled = sorted(std::move(pooled));
  r.first = sorted(std::move(first));
  return r;
}

double jensen_shannon_distance(const VecD& p, const VecD& q) {
  if (p.size() != q.size())
    throw std::logic_error("jensen_shannon_distance: " + std::to_string(p.size()) + " vs " +
                           std::to_string(q.size()) + " values");
  const VecD m = (p + q) / 2;
  return std::sqrt((relative_entropy(p, m) + relative_entropy(q, m)) / 2);
}

void fill_randomized_columns(const VecD& eigs, const RandomizedEsd& r, double N, double M,
                             MetricsRow& row) {
  const MpFit mp = fit_mp_ww(r.pooled, N, M);
  const double lmax = eigs.size() ? eigs.maxCoeff() : kNaN;
  const double first_max = r.first.size() ? r.first.maxCoeff() : kNaN;
  row.max_rand_eval = r.pooled.size() ? r.pooled.maxCoeff() : kNaN;
  row.rand_num_spikes = static_cast<double>(mp.num_spikes);  // -1: the fit failed, as there
  row.rand_sigma_mp = mp.sigma_mp;
  row.rand_bulk_max = mp.bulk_max;
  row.rand_mp_softrank = mp.mp_softrank;
  row.rand_distance = jensen_shannon_distance(eigs, r.first);
  row.ww_softrank = first_max / lmax;
  row.ww_maxdist = lmax - first_max;
  row.correlation_trap = mp.num_spikes < 0 ? kNaN : (mp.num_spikes > 0 ? 1.0 : 0.0);
}

}  // namespace sih
