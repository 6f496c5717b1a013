#include "sih/spectra/spectral.hpp"

#include <Spectra/MatOp/DenseSymMatProd.h>
#include <Spectra/SymEigsSolver.h>
#include <lapacke.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sih/core/linalg.hpp"

namespace sih {
namespace {

using Index = Eigen::Index;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Building with -DEIGEN_RUNTIME_NO_MALLOC turns the "no allocation inside the scan" promise of
// the MLE+KS fit into a runtime check.
struct NoMallocScope {
#ifdef EIGEN_RUNTIME_NO_MALLOC
  NoMallocScope() { Eigen::internal::set_is_malloc_allowed(false); }
  ~NoMallocScope() { Eigen::internal::set_is_malloc_allowed(true); }
#endif
};

void check_lapack(lapack_int info, const char* routine) {
  if (info != 0) {
    throw std::runtime_error(std::string("LAPACK ") + routine +
                             " failed (info = " + std::to_string(info) + ")");
  }
}

// Precision-overloaded LAPACKE calls; matrices are column-major, only the lower triangle of a
// symmetric input is read.
lapack_int syevd(char jobz, lapack_int n, float* a, float* w) {
  return LAPACKE_ssyevd(LAPACK_COL_MAJOR, jobz, 'L', n, a, n, w);
}
lapack_int syevd(char jobz, lapack_int n, double* a, double* w) {
  return LAPACKE_dsyevd(LAPACK_COL_MAJOR, jobz, 'L', n, a, n, w);
}
lapack_int sytrd(lapack_int n, float* a, float* d, float* e, float* tau) {
  return LAPACKE_ssytrd(LAPACK_COL_MAJOR, 'L', n, a, n, d, e, tau);
}
lapack_int sytrd(lapack_int n, double* a, double* d, double* e, double* tau) {
  return LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', n, a, n, d, e, tau);
}
lapack_int stedc(lapack_int n, float* d, float* e, float* z) {
  return LAPACKE_sstedc(LAPACK_COL_MAJOR, 'I', n, d, e, z, n);
}
lapack_int stedc(lapack_int n, double* d, double* e, double* z) {
  return LAPACKE_dstedc(LAPACK_COL_MAJOR, 'I', n, d, e, z, n);
}
// c = Q c (trans 'N') or Q^T c ('T') for one vector c, Q from sytrd's reflectors in a.
lapack_int ormtr(char trans, lapack_int n, const float* a, const float* tau, float* c) {
  return LAPACKE_sormtr(LAPACK_COL_MAJOR, 'L', 'L', trans, n, 1, a, n, tau, c, n);
}
lapack_int ormtr(char trans, lapack_int n, const double* a, const double* tau, double* c) {
  return LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', trans, n, 1, a, n, tau, c, n);
}
lapack_int gesdd(lapack_int m, lapack_int n, float* a, float* s, float* u, float* vt) {
  return LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'S', m, n, a, std::max<lapack_int>(1, m), s, u,
                        std::max<lapack_int>(1, m), vt, std::max<lapack_int>(1, std::min(m, n)));
}
lapack_int gesdd(lapack_int m, lapack_int n, double* a, double* s, double* u, double* vt) {
  return LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', m, n, a, std::max<lapack_int>(1, m), s, u,
                        std::max<lapack_int>(1, m), vt, std::max<lapack_int>(1, std::min(m, n)));
}

// ?syevr for the top eigenpair, or the full ?syevd when syevr finds nothing: LAPACK 3.11's
// ssyevr returned M = 0 with INFO = 0 for il = iu = N on a Gram matrix with 40 eigenvalues
// equal to 9 within 1e-6.
VecD top_eigenvector_lapack(const MatD& gram) {
  const auto n = static_cast<lapack_int>(gram.rows());
  MatD a = gram;
  VecD w(n), z(n);
  lapack_int found = 0;
  lapack_int isuppz[2];
  const lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'L', n, a.data(), n, 0., 0., n,
                                         n, 0., &found, w.data(), z.data(), n, isuppz);
  if (info == 0 && found == 1 && z.allFinite()) return z;
  a = gram;
  check_lapack(syevd('V', n, a.data(), w.data()), "?syevd");
  return a.col(n - 1);
}

// Spectra has reported success with a non-unit vector (Gram matrix with all eigenvalues equal)
// and thrown from its tridiagonal solver on the same matrix in float, so its answer is accepted
// only if it is a unit vector with a small residual.
bool is_eigenvector(const MatD& gram, const VecD& v) {
  const double slack = 1e-8;
  if (!(std::abs(v.norm() - 1) <= slack)) return false;
  const VecD gv = gram.selfadjointView<Eigen::Lower>() * v;
  const double rayleigh = v.dot(gv);
  return (gv - rayleigh * v).norm() <= slack * rayleigh;
}

// Top eigenvector of a symmetric PSD matrix of which only the lower triangle is filled.
// Spectra stops when its residual estimate is below tol * lambda; Lanczos estimates drop below
// the round-off floor, so even tol = 1e-12 is reached (~10% more matvecs than 1e-10).
VecD top_eigenvector(const MatD& gram, double tol) {
  const Index n = gram.rows();
  if (n == 0) return VecD();
  // A zero Gram matrix (W = 0) has every unit vector as eigenvector; e_1 is what torch's SVD
  // returns there, and Lanczos would break down on it.
  if (gram.diagonal().maxCoeff() == 0) return VecD::Unit(n, 0);
  // Spectra needs nev < ncv <= n; tiny problems go straight to LAPACK.
  if (n >= 3) {
    try {
      using Op = Spectra::DenseSymMatProd<double, Eigen::Lower>;
      Op op(gram);
      Spectra::SymEigsSolver<Op> solver(op, 1, std::min<Index>(20, n));
      solver.init();
      solver.compute(Spectra::SortRule::LargestAlge, 1000, tol);
      if (solver.info() == Spectra::CompInfo::Successful) {
        const VecD v = solver.eigenvectors().col(0);
        if (is_eigenvector(gram, v)) return v.normalized();
      }
    } catch (const std::runtime_error&) {
      // LAPACK below is the fallback for every Spectra failure.
    }
  }
  return top_eigenvector_lapack(gram);
}

// Lanczos runs in double for a float Gram matrix too: in float its Ritz vector is the largest
// error. On 1500x1000 Gaussian W, v1 from float Lanczos was off by ~1e-5, from double Lanczos
// on the same float Gram by ~8e-7 (60x40 fixture: W-beta alignment off by 6e-5 vs 4e-6
// relative), for a conversion (~0.5 ms) and ~2x slower matvecs. tol 1e-9 leaves the solve's
// error far below the float Gram's own.
template <typename T>
Vec<T> top_gram_eigenvector(const Mat<T>& gram) {
  if constexpr (std::is_same_v<T, double>) {
    return top_eigenvector(gram, 1e-12);
  } else {
    return top_eigenvector(gram.template cast<double>(), 1e-9).template cast<T>();
  }
}

// Per-spectrum state shared by the three power-law fits: logs of the eigenvalues and suffix
// sums of them, so that each candidate's alpha costs O(1) and its D one pass over its tail.
// Logs are taken relative to ln(lambda_max): the tails of the late candidates, where the
// alpha denominator cancels most, then sum small numbers and lose little precision.
class TailFits {
 public:
  explicit TailFits(const VecD& eigs)
      : eigs_(eigs), n_(eigs.size()), logs_(n_), suffix_(n_ + 1), ranks_(n_) {
    if (n_ == 0) return;
    const double top = eigs_[n_ - 1] > 0 ? std::log(eigs_[n_ - 1]) : 0.0;
    logs_ = eigs_.array().log() - top;
    suffix_[n_] = 0;
    for (Index j = n_ - 1; j >= 0; --j) suffix_[j] = suffix_[j + 1] + logs_[j];
    ranks_ = VecD::LinSpaced(n_, 0.0, static_cast<double>(n_ - 1));
  }

  Index size() const { return n_; }
  double eig(Index i) const { return eigs_[i]; }

  // alpha_i = 1 + m / sum_{j>=i} ln(lambda_j / lambda_i), m = N - i; NaN when undefined:
  // xmin <= 0 (ln 0 = -inf) or a tail of equal values. Such a tail consists of lambda_max,
  // whose centred logs are exactly 0, so its denominator is exactly 0 and alpha is inf.
  double alpha(Index i) const {
    if (!(eigs_[i] > 0)) return kNaN;
    const double m = static_cast<double>(n_ - i);
    const double a = 1.0 + m / (suffix_[i] - m * logs_[i]);
    return std::isfinite(a) ? a : kNaN;
  }

  // D_i = max_k |1 - (lambda_{i+k} / lambda_i)^(1 - alpha) - k / m| (a lazy Eigen expression:
  // vectorised exp, no temporaries).
  double ks_distance(Index i, double alpha) const {
    const Index m = n_ - i;
    const double md = static_cast<double>(m);
    return (1.0 - ((logs_.segment(i, m).array() - logs_[i]) * (1.0 - alpha)).exp() -
            ranks_.head(m).array() / md)
        .abs()
        .maxCoeff();
  }

  PowerLawFit fit_at(Index i, double alpha, double D) const {
    PowerLawFit f;
    f.alpha = alpha;
    f.D = D;
    f.xmin_index = i;
    f.xmin = eigs_[i];
    f.valid = true;
    return f;
  }

 private:
  const VecD& eigs_;
  Index n_;
  VecD logs_, suffix_, ranks_;
};

PowerLawFit fit_hill(const TailFits& t) {
  const Index n = t.size();
  if (n < 2) return {};
  const Index i = n / 2;
  const double a = t.alpha(i);
  if (std::isnan(a)) return {};
  return t.fit_at(i, a, t.ks_distance(i, a));
}

// Scans candidates first..last with the reference's selection (quirk 4): the first index of
// the smallest D, where alpha <= 1 keeps D = 1. Candidates with undefined alpha are never
// selected; if all are undefined the result is invalid.
PowerLawFit scan_candidates(const TailFits& t, Index first, Index last) {
  PowerLawFit best;
  double best_D = std::numeric_limits<double>::infinity();
  [[maybe_unused]] NoMallocScope no_malloc;
  for (Index i = first; i <= last; ++i) {
    const double a = t.alpha(i);
    if (std::isnan(a)) continue;
    const double D = a > 1 ? t.ks_distance(i, a) : 1.0;
    if (D < best_D) {
      best_D = D;
      best = t.fit_at(i, a, D);
    }
  }
  return best;
}

PowerLawFit fit_mle_ks(const TailFits& t) {
  if (t.size() < 2) return {};
  return scan_candidates(t, 0, t.size() - 2);
}

// torch.linspace(lo, hi, steps)[k]: the second half is computed from the upper end.
double torch_linspace_at(double lo, double hi, Index steps, Index k) {
  const double step = (hi - lo) / static_cast<double>(steps - 1);
  return k < steps / 2 ? lo + step * static_cast<double>(k)
                       : hi - step * static_cast<double>(steps - 1 - k);
}

PowerLawFit fit_xmin_peak(const TailFits& t, bool reference_quirk) {
  constexpr Index kBins = 100;
  const Index n = t.size();
  if (n < 2) return {};
  // Zero eigenvalues have no log10; the histogram is over the positive ones (a suffix).
  Index first_pos = 0;
  while (first_pos < n && !(t.eig(first_pos) > 0)) ++first_pos;
  if (first_pos == n) return {};

  // torch.histc(bins=100, min, max): bin = floor((x - min) * bins / (max - min)), x == max in
  // the last bin.
  const double lo = std::log10(t.eig(first_pos)), hi = std::log10(t.eig(n - 1));
  std::array<Index, kBins> counts{};
  if (hi > lo) {
    for (Index j = first_pos; j < n; ++j) {
      const double x = std::log10(t.eig(j));
      const auto b = static_cast<Index>((x - lo) * static_cast<double>(kBins) / (hi - lo));
      ++counts[std::clamp<Index>(b, 0, kBins - 1)];
    }
  }
  const Index peak = std::max_element(counts.begin(), counts.end()) - counts.begin();
  const double xmin2 = std::pow(10.0, torch_linspace_at(lo, hi, kBins + 1, peak));
  const double lower = reference_quirk ? std::log10(0.95 * xmin2) : 0.95 * xmin2;
  const double upper = 1.5 * xmin2;

  // The reference skips candidates below `lower` and stops at the first above `upper`; on an
  // ascending spectrum the visited ones are one contiguous range.
  Index first = 0;
  while (first < n - 1 && t.eig(first) < lower) ++first;
  Index last = first;
  while (last < n - 1 && !(t.eig(last) > upper)) ++last;
  --last;
  const PowerLawFit best = last >= first ? scan_candidates(t, first, last) : PowerLawFit{};
  // Every slot the scan skipped holds the reference's placeholder alpha = 0, D = 1. A fit has
  // D < 1, so a placeholder only wins when nothing fits (every D = 1), through its lower
  // index; its alpha is not a fit.
  if ((!best.valid || best.D >= 1) && first > 0) {
    PowerLawFit placeholder;
    placeholder.alpha = 0;
    placeholder.D = 1;
    placeholder.xmin_index = 0;
    placeholder.xmin = t.eig(0);
    return placeholder;
  }
  return best;
}

}  // namespace

template <typename T>
void small_gram_into(Mat<T>& gram, const Mat<T>& W) {
  if (W.rows() >= W.cols()) {
    gram_lower(gram, W);
  } else {
    gram_lower(gram, W.transpose());
  }
  // Only the lower triangle is read (LAPACK 'L', Spectra's Lower view); zeroing the rest
  // keeps the matrix a well-defined value.
  gram.template triangularView<Eigen::StrictlyUpper>().setZero();
}

template <typename T>
Mat<T> small_gram(const Mat<T>& W) {
  Mat<T> gram;
  small_gram_into(gram, W);
  return gram;
}

template <typename T>
VecD esd_eigenvalues_from_gram(const Mat<T>& gram) {
  const auto n = static_cast<lapack_int>(gram.rows());
  if (n == 0) return VecD();
  Mat<T> a = gram;
  Vec<T> w(n);
  check_lapack(syevd('N', n, a.data(), w.data()), "?syevd");
  // A PSD Gram matrix has no negative eigenvalues; negative ones are round-off around 0.
  return w.template cast<double>().cwiseMax(0.0);
}

template <typename T>
VecD esd_eigenvalues(const Mat<T>& W) {
  return esd_eigenvalues_from_gram(small_gram(W));
}

PowerLawFit fit_hill(const VecD& eigs_ascending) { return fit_hill(TailFits(eigs_ascending)); }

PowerLawFit fit_mle_ks(const VecD& eigs_ascending) { return fit_mle_ks(TailFits(eigs_ascending)); }

PowerLawFit fit_xmin_peak(const VecD& eigs_ascending, bool reference_quirk) {
  return fit_xmin_peak(TailFits(eigs_ascending), reference_quirk);
}

SpectralSummary summarize_spectrum(const VecD& eigs_ascending) {
  SpectralSummary s;
  if (eigs_ascending.size() == 0) return s;
  s.spectral_norm = eigs_ascending.maxCoeff();
  s.frobenius_norm = eigs_ascending.sum();
  if (!(s.spectral_norm > 0)) return s;
  s.stable_rank = s.frobenius_norm / s.spectral_norm;
  const TailFits tails(eigs_ascending);
  s.hill = fit_hill(tails);
  s.mle_ks = fit_mle_ks(tails);
  s.peak = fit_xmin_peak(tails, false);
  if (s.hill.valid) s.alphahat = s.hill.alpha * std::log10(s.spectral_norm);
  return s;
}

namespace {

// v1 of W from u, the top eigenvector of small_gram(W): u itself when the Gram matrix is
// W^T W; v1 = W^T u1 / sigma1 when it is W W^T.
template <typename T>
Vec<T> right_vector_from_gram_vector(const Mat<T>& W, const Vec<T>& u) {
  if (W.rows() >= W.cols()) return u;
  Vec<T> v1 = W.transpose() * u;
  const T norm = v1.norm();
  if (!(norm > T(0))) return Vec<T>::Unit(W.cols(), 0);
  return v1 / norm;
}

// |v1 . beta| / ||v1||, in double.
template <typename T>
double alignment(const Vec<T>& v1, const Vec<T>& beta) {
  const VecD v = v1.template cast<double>();
  return std::abs(v.dot(beta.template cast<double>())) / v.norm();
}

}  // namespace

template <typename T>
Vec<T> top_right_singular_vector(const Mat<T>& W, const Mat<T>& gram) {
  return right_vector_from_gram_vector(W, top_gram_eigenvector(gram));
}

template <typename T>
double w_beta_alignment(const Mat<T>& W, const Mat<T>& gram, const Vec<T>& beta) {
  return alignment(top_right_singular_vector(W, gram), beta);
}

template <typename T>
GramEigen<T> gram_eigendecomposition(const Mat<T>& W, Mat<T> gram, const Vec<T>& beta) {
  GramEigen<T> e;
  const auto n = static_cast<lapack_int>(gram.rows());
  e.values.resize(n);
  e.projections.resize(n);
  e.top_vector.resize(n);
  if (n == 0) return e;
  // G = Q T Q^T (sytrd), T = S diag(values) S^T (stedc, as inside syevd). The eigenvectors of
  // G are Q S; syevd would form all of them (a back-transformation of 2 N^3 flops), but the
  // projections are S^T (Q^T z) and the top vector Q s_N: three vector operations.
  const auto m = static_cast<std::size_t>(std::max<lapack_int>(1, n));
  std::vector<T> off(m), tau(m);
  Mat<T> S(n, n);
  check_lapack(sytrd(n, gram.data(), e.values.data(), off.data(), tau.data()), "?sytrd");
  check_lapack(stedc(n, e.values.data(), off.data(), S.data()), "?stedc");
  Vec<T> z = W.rows() >= W.cols() ? beta : Vec<T>(W * beta);
  check_lapack(ormtr('T', n, gram.data(), tau.data(), z.data()), "?ormtr");
  e.projections.noalias() = S.transpose() * z;
  e.top_vector = S.col(n - 1);
  check_lapack(ormtr('N', n, gram.data(), tau.data(), e.top_vector.data()), "?ormtr");
  return e;
}

template <typename T>
VecD esd_eigenvalues_from_eigen(const GramEigen<T>& eig) {
  return eig.values.template cast<double>().cwiseMax(0.0);
}

template <typename T>
double w_beta_alignment_from_eigen(const Mat<T>& W, const GramEigen<T>& eig, const Vec<T>& beta) {
  const Index n = eig.values.size();
  if (n == 0) return kNaN;
  // As top_eigenvector: for a zero Gram matrix e_1, what torch's SVD returns there.
  const Vec<T> u = eig.values[n - 1] > T(0) ? eig.top_vector : Vec<T>(Vec<T>::Unit(n, 0));
  return alignment(right_vector_from_gram_vector(W, u), beta);
}

template <typename T>
VecD right_singular_alignment_curve(const Mat<T>& W, const GramEigen<T>& eig) {
  const bool tall = W.rows() >= W.cols();
  const Index n = eig.values.size();
  VecD out(n);
  if (n == 0) return out;
  const Vec<T>& w = eig.values;
  const VecD proj = eig.projections.template cast<double>();
  if (tall) {
    for (Index j = 0; j < n; ++j) out[j] = std::abs(proj[n - 1 - j]);
    return out;
  }
  // V = W^T U diag(1/s), so V^T beta = diag(1/s) U^T (W beta). A singular value at round-off
  // level has no singular vector determined by W; report 0 rather than amplified noise.
  const double floor = static_cast<double>(n) * std::numeric_limits<T>::epsilon() *
                       std::max(0.0, static_cast<double>(w[n - 1]));
  for (Index j = 0; j < n; ++j) {
    const double lambda = static_cast<double>(w[n - 1 - j]);
    out[j] = lambda > floor ? std::abs(proj[n - 1 - j]) / std::sqrt(lambda) : 0.0;
  }
  return out;
}

template <typename T>
VecD right_singular_alignment_curve(const Mat<T>& W, const Vec<T>& beta) {
  return right_singular_alignment_curve(W, gram_eigendecomposition(W, small_gram(W), beta));
}

template <typename T>
ThinSvd<T> thin_svd(const Mat<T>& A) {
  const auto m = static_cast<lapack_int>(A.rows()), n = static_cast<lapack_int>(A.cols());
  const lapack_int k = std::min(m, n);
  ThinSvd<T> r;
  r.U.resize(m, k);
  r.S.resize(k);
  if (k == 0) {
    r.V.resize(n, 0);
    return r;
  }
  Mat<T> a = A;
  Mat<T> vt(k, n);
  check_lapack(gesdd(m, n, a.data(), r.S.data(), r.U.data(), vt.data()), "?gesdd");
  r.V = vt.transpose();
  return r;
}

#define SIH_INSTANTIATE_SPECTRAL(T)                                                       \
  template Mat<T> small_gram<T>(const Mat<T>&);                                           \
  template void small_gram_into<T>(Mat<T>&, const Mat<T>&);                               \
  template VecD esd_eigenvalues_from_gram<T>(const Mat<T>&);                              \
  template VecD esd_eigenvalues<T>(const Mat<T>&);                                        \
  template Vec<T> top_right_singular_vector<T>(const Mat<T>&, const Mat<T>&);             \
  template double w_beta_alignment<T>(const Mat<T>&, const Mat<T>&, const Vec<T>&);       \
  template VecD right_singular_alignment_curve<T>(const Mat<T>&, const Vec<T>&);          \
  template GramEigen<T> gram_eigendecomposition<T>(const Mat<T>&, Mat<T>, const Vec<T>&); \
  template VecD esd_eigenvalues_from_eigen<T>(const GramEigen<T>&);                       \
  template double w_beta_alignment_from_eigen<T>(const Mat<T>&, const GramEigen<T>&,      \
                                                 const Vec<T>&);                          \
  template VecD right_singular_alignment_curve<T>(const Mat<T>&, const GramEigen<T>&);    \
  template ThinSvd<T> thin_svd<T>(const Mat<T>&);

SIH_INSTANTIATE_SPECTRAL(float)
SIH_INSTANTIATE_SPECTRAL(double)
#undef SIH_INSTANTIATE_SPECTRAL

}  // namespace sih
