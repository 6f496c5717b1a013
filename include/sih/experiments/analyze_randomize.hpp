#pragma once
// `sih analyze --randomize` (docs/OUTPUT.md, "Randomization"): each matrix's entries permuted
// and its ESD compared with the original, as weightwatcher's analyze(randomize=True) does. A
// spike of W's ESD that survives the permutation is not learned structure (a permutation
// destroys every correlation between rows and columns) but a few large entries: a correlation
// trap. The definitions are weightwatcher 0.7.5.5's (apply_random_esd, random_eigenvalues,
// apply_mp_fit(random=True), jensen_shannon_distance); only the permutation draw differs.
#include <cstdint>
#include <string_view>

#include "sih/base/types.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/formats/tensor_file.hpp"

namespace sih {

// The randomized eigenvalues of one tensor, under analyze's tensor policy: a matrix (or a
// tensor flattened to shape[0] x the rest) is permuted whole; a conv kernel's kh*kw slices
// (conv = "slices") are each permuted on their own, as weightwatcher permutes each of its
// matrices. weightwatcher pools `replicas` permutations when a matrix has fewer than 100
// eigenvalues (5, else 1); `first` is the first permutation's alone, which weightwatcher draws
// separately for rand_distance, ww_softrank and ww_maxdist.
struct RandomizedEsd {
  VecD pooled;  // every replica's eigenvalues, ascending
  VecD first;   // the first replica's, ascending
  int replicas = 1;
};

// weightwatcher's replica count: 5 permutations when the matrix has fewer than 100
// eigenvalues (M of one slice), else 1.
int randomize_replicas(double M);

// The permutation seed of a tensor: --seed mixed with its name (core/rng.hpp derive_seed), so
// a tensor's permutation depends on neither --jobs nor the other tensors or files analysed.
std::uint64_t randomize_seed(std::uint64_t seed, std::string_view tensor_name);

// Permutes and solves through analyze's eigensolvers (spectra/weight_gram.hpp for a matrix,
// spectral.hpp's esd_eigenvalues for conv slices). M: the smaller dimension of one matrix.
// `t` is permuted in place (taken by value: a caller done with its tensor moves it in, and no
// second copy of a large matrix is made).
RandomizedEsd randomized_eigenvalues(Tensor t, const std::string& conv, double M,
                                     std::uint64_t seed);

// The comparison, weightwatcher's columns, written into `row`'s kRandomized columns:
// max_rand_eval and the MP fit (rand_num_spikes, rand_sigma_mp, rand_bulk_max,
// rand_mp_softrank) of the pooled eigenvalues, rand_distance / ww_softrank / ww_maxdist of
// `first` against the original ascending eigenvalues `eigs`, and correlation_trap =
// rand_num_spikes > 0. N >= M: one matrix's dimensions, as for the original's MP fit.
void fill_randomized_columns(const VecD& eigs, const RandomizedEsd& r, double N, double M,
                             MetricsRow& row);

// weightwatcher's jensen_shannon_distance(p, q) (scipy.stats.entropy, natural log): p and q
// each normalized to sum 1, m = (p + q) / 2 likewise, sqrt((KL(p||m) + KL(q||m)) / 2). p and q
// are paired by index (weightwatcher passes the two sorted spectra) and must have one length.
double jensen_shannon_distance(const VecD& p, const VecD& q);

}  // namespace sih
