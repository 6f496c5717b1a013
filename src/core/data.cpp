#include "sih/core/data.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "sih/core/rng.hpp"

namespace sih {

RunSeeds RunSeeds::from_seed(std::uint64_t seed) {
  return {derive_seed(seed, "teacher"), derive_seed(seed, "student"), derive_seed(seed, "data"),
          derive_seed(seed, "shuffle")};
}

template <typename T>
Vec<T> teacher_labels(const Mat<T>& X, const Vec<T>& beta, double noise_std, std::uint64_t seed,
                      TeacherLink link) {
  Vec<T> z = X * beta;
  Vec<T> noise(z.size());
  fill_normal(noise.data(), static_cast<std::size_t>(noise.size()), seed, noise_std);
  for (Eigen::Index i = 0; i < z.size(); ++i) z[i] = teacher_link(link, z[i]) + noise[i];
  return z;
}

namespace {

template <typename T>
Dataset<T> make_dataset(const Vec<T>& beta, long rows, double noise_std, std::uint64_t seed,
                        TeacherLink link) {
  Dataset<T> ds;
  ds.X.resize(rows, beta.size());
  fill_normal(ds.X.data(), static_cast<std::size_t>(ds.X.size()), derive_seed(seed, "X"));
  ds.y = teacher_labels(ds.X, beta, noise_std, derive_seed(seed, "noise"), link);
  return ds;
}

}  // namespace

template <typename T>
Problem<T> generate_problem(const Config& c, const RunSeeds& seeds) {
  Problem<T> p;
  p.beta.resize(c.d);
  fill_normal(p.beta.data(), static_cast<std::size_t>(c.d), seeds.teacher);
  p.beta /= p.beta.norm();
  p.W0.resize(c.h, c.d);
  fill_normal(p.W0.data(), static_cast<std::size_t>(p.W0.size()), derive_seed(seeds.student, "W"));
  p.a0.resize(c.h);
  fill_normal(p.a0.data(), static_cast<std::size_t>(c.h), derive_seed(seeds.student, "a"));
  if (c.bias) {
    // torch's Linear(bias=True) default, U(-1/sqrt(d), 1/sqrt(d)); its own stream, so W0 and
    // a0 are those of the same seed without biases.
    p.b0.resize(c.h);
    Rng rng(derive_seed(seeds.student, "b"));
    const double bound = 1.0 / std::sqrt(static_cast<double>(c.d));
    for (long j = 0; j < c.h; ++j) p.b0[j] = T((2.0 * rng.uniform() - 1.0) * bound);
  }
  p.train =
      make_dataset(p.beta, c.n, c.label_noise_std, derive_seed(seeds.data, "train"), c.teacher);
  if (c.fix_last_layer)
    p.probe =
        make_dataset(p.beta, c.n, c.label_noise_std, derive_seed(seeds.data, "probe"), c.teacher);
  p.test =
      make_dataset(p.beta, c.n_test, c.label_noise_std, derive_seed(seeds.data, "test"), c.teacher);
  return p;
}

template Vec<float> teacher_labels(const Mat<float>&, const Vec<float>&, double, std::uint64_t,
                                   TeacherLink);
template Vec<double> teacher_labels(const Mat<double>&, const Vec<double>&, double, std::uint64_t,
                                    TeacherLink);
template Problem<float> generate_problem<float>(const Config&, const RunSeeds&);
template Problem<double> generate_problem<double>(const Config&, const RunSeeds&);

}  // namespace sih
