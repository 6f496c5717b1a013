#pragma once
// The single-index teacher, its data sets and the student's initial weights (docs/MODEL.md §1-2),
// generated from seeds (an `init_from` folder is read by experiments/init_from.hpp).
#include <cstdint>
#include <string>

#include "sih/base/types.hpp"
#include "sih/core/activation.hpp"
#include "sih/core/config.hpp"

namespace sih {

// Independent random streams of one run. A sweep sets them explicitly to share a teacher,
// student or data set between runs (docs/MODEL.md §6); `sih run` derives them all from `seed`.
struct RunSeeds {
  std::uint64_t teacher = 0;
  std::uint64_t student = 0;
  std::uint64_t data = 0;
  std::uint64_t shuffle = 0;  // mini-batch order
  static RunSeeds from_seed(std::uint64_t seed);
};

template <typename T>
struct Dataset {
  Mat<T> X;  // rows are samples
  Vec<T> y;
  long rows() const { return static_cast<long>(X.rows()); }
};

// Everything a run starts from.
template <typename T>
struct Problem {
  Vec<T> beta;                    // unit teacher direction (d)
  Mat<T> W0;                      // h x d
  Vec<T> a0;                      // h
  Vec<T> b0;                      // h hidden biases; empty unless config.bias
  Dataset<T> train, probe, test;  // probe is empty when fix_last_layer is false
};

// y = g(X beta) + noise_std * N(0,1); g = softplus is PyTorch's Softplus (beta 1, threshold
// 20), the other links are in activation.hpp.
template <typename T>
Vec<T> teacher_labels(const Mat<T>& X, const Vec<T>& beta, double noise_std, std::uint64_t seed,
                      TeacherLink link = TeacherLink::kSoftplus);

template <typename T>
Problem<T> generate_problem(const Config& config, const RunSeeds& seeds);

}  // namespace sih
