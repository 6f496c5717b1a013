#pragma once
// Spectral metrics of a weight matrix W (h x d): the ESD (eigenvalues of W^T W), power-law
// fits of its tail as the reference's Tracker.net_esd_estimator does (docs/MODEL.md §5), the
// top right singular vector (W-beta alignment), and thin SVDs for the overlap matrices.
//
// Cost model (docs/PERFORMANCE.md): one Gram matrix of the smaller side (N = min(h, d)), one
// LAPACK syevd (values only) per checkpoint feeds every spectral metric; the top singular
// vector comes from Spectra on the same Gram matrix, never from a full SVD.
#include <cstddef>
#include <optional>

#include "sih/base/types.hpp"

namespace sih {

// Gram matrix of the smaller side of W: W^T W (d x d) when h >= d, else W W^T (h x h).
// Only the lower triangle is guaranteed filled.
template <typename T>
Mat<T> small_gram(const Mat<T>& W);
template <typename T>
void small_gram_into(Mat<T>& gram, const Mat<T>& W);  // into a reused buffer

// The N = min(h, d) eigenvalues of W^T W (= squared singular values of W), ascending,
// zeros kept, computed in precision T by LAPACKE ?syevd (values only) on `gram`
// (as returned by small_gram). Tiny negative round-off values are clamped to 0.
template <typename T>
VecD esd_eigenvalues_from_gram(const Mat<T>& gram);
template <typename T>
VecD esd_eigenvalues(const Mat<T>& W);

struct PowerLawFit {
  double alpha = 0;                // 1 + m / (sum_{j>=i} ln l_j - m ln l_i)
  double D = 1;                    // KS distance of the fit
  std::ptrdiff_t xmin_index = -1;  // i, 0-based into the ascending eigenvalues
  double xmin = 0;                 // lambda_i
  bool valid = false;              // false when alpha is undefined (e.g. all eigenvalues 0, N < 2)
};

// The three xmin rules of the reference, all in double on ascending eigenvalues.
PowerLawFit fit_hill(const VecD& eigs_ascending);    // xmin_mid: i = floor(N/2)
PowerLawFit fit_mle_ks(const VecD& eigs_ascending);  // fix_fingers=None: argmin D over i=0..N-2
// xmin_peak with the bounds docs/MODEL.md §5 states ([0.95, 1.5] x 10^peak_edge). With
// reference_quirk = true, the reference's lower bound log10(0.95 xmin2) (for fixtures).
PowerLawFit fit_xmin_peak(const VecD& eigs_ascending, bool reference_quirk = false);

// Everything the metrics table needs from one ESD.
struct SpectralSummary {
  double spectral_norm = 0;   // lambda_max (= sigma_max^2, as the reference)
  double frobenius_norm = 0;  // sum of eigenvalues (= ||W||_F^2, the reference's "norm")
  double stable_rank = 0;     // frobenius_norm / spectral_norm
  PowerLawFit hill, mle_ks, peak;
  double alphahat = 0;  // hill.alpha * log10(spectral_norm)
};
SpectralSummary summarize_spectrum(const VecD& eigs_ascending);

// Top right singular vector v1 of W (unit norm, length d), from the Gram matrix returned by
// small_gram(W) (Spectra Lanczos; falls back to LAPACK syevr if Spectra does not converge).
template <typename T>
Vec<T> top_right_singular_vector(const Mat<T>& W, const Mat<T>& gram);

// |v1 . beta| / ||v1||.
template <typename T>
double w_beta_alignment(const Mat<T>& W, const Mat<T>& gram, const Vec<T>& beta);

// |V^T beta| for all N right singular vectors of W, in descending singular-value order
// (the reference's "init W principal components vs beta" curve).
template <typename T>
VecD right_singular_alignment_curve(const Mat<T>& W, const Vec<T>& beta);

// What the step-0 checkpoint needs from the eigendecomposition G = U diag(values) U^T of
// gram = small_gram(W): the eigenvalues (ascending), the projections U^T z of z = beta
// (G = W^T W) or z = W beta (G = W W^T) onto every eigenvector, and the top eigenvector. The
// |V^T beta| curve needs all N projections, so the ESD and v1 of that checkpoint are read
// from here too (no second solve, no Lanczos). Computed as LAPACK's syevd does (?sytrd, then
// ?stedc on the tridiagonal matrix, same eigenvalues) but without forming all N eigenvectors
// of G: the projections and the top vector are vector operations (~35% less time at N = 1000).
template <typename T>
struct GramEigen {
  Vec<T> values;
  Vec<T> projections;
  Vec<T> top_vector;
};
template <typename T>
GramEigen<T> gram_eigendecomposition(const Mat<T>& W, Mat<T> gram, const Vec<T>& beta);
// The same quantities as esd_eigenvalues_from_gram, w_beta_alignment and
// right_singular_alignment_curve, from that decomposition.
template <typename T>
VecD esd_eigenvalues_from_eigen(const GramEigen<T>& eig);
template <typename T>
double w_beta_alignment_from_eigen(const Mat<T>& W, const GramEigen<T>& eig, const Vec<T>& beta);
template <typename T>
VecD right_singular_alignment_curve(const Mat<T>& W, const GramEigen<T>& eig);

// Thin SVD of A (LAPACKE ?gesdd): A = U diag(S) V^T, S descending.
template <typename T>
struct ThinSvd {
  Mat<T> U;
  Vec<T> S;
  Mat<T> V;
};
template <typename T>
ThinSvd<T> thin_svd(const Mat<T>& A);

}  // namespace sih
