// Data generation: determinism (same seed, any thread count), the teacher's labels against
// a direct evaluation of docs/MODEL.md §1, and init_from loading with shape checks.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "sih/core/data.hpp"
#include "sih/core/rng.hpp"
#include "sih/experiments/init_from.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

using namespace sih;

TEST(Rng, NormalSamplesHaveUnitMoments) {
  std::vector<double> v(400000);
  fill_normal(v.data(), v.size(), 42);
  double m = 0, s = 0, k = 0;
  for (double x : v) m += x;
  m /= v.size();
  for (double x : v) s += (x - m) * (x - m), k += std::pow(x - m, 4);
  s /= v.size();
  k /= v.size() * s * s;
  // Standard errors: mean 1/sqrt(N) = 1.6e-3, variance sqrt(2/N) = 2.2e-3, kurtosis ~ 3.9e-3.
  EXPECT_NEAR(m, 0.0, 8e-3);
  EXPECT_NEAR(s, 1.0, 1.1e-2);
  EXPECT_NEAR(k, 3.0, 4e-2);
}

// The sampler's distribution against the normal CDF (std::erfc, an independent closed form):
// the empirical CDF at points across the body, the wedges and both tails (the ziggurat's
// tail starts at 3.44), each within 5 binomial standard errors.
TEST(Rng, NormalSamplesFollowTheNormalCdf) {
  const std::size_t n = 4'000'000;
  std::vector<double> v(n);
  fill_normal(v.data(), n, 2024);
  std::sort(v.begin(), v.end());
  for (double x :
       {-4.5, -3.6, -3.44, -3.0, -2.0, -1.0, -0.3, 0.0, 0.3, 1.0, 2.0, 3.0, 3.44, 3.6, 4.5}) {
    const double expected = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double got = static_cast<double>(std::lower_bound(v.begin(), v.end(), x) - v.begin()) /
                       static_cast<double>(n);
    const double se = std::sqrt(expected * (1 - expected) / static_cast<double>(n));
    EXPECT_NEAR(got, expected, 5 * se + 1e-7) << "CDF at " << x;
  }
  // Symmetric, and the extremes of 4M draws where they should be (|z| up to ~5.3).
  EXPECT_GT(v.back(), 4.5);
  EXPECT_LT(v.front(), -4.5);
  EXPECT_LT(std::max(v.back(), -v.front()), 7.0);
}

TEST(Rng, FillNormalIsIndependentOfThreadCount) {
  std::vector<float> a(300000), b(300000);
  omp_set_num_threads(1);
  fill_normal(a.data(), a.size(), 7);
  omp_set_num_threads(2);
  fill_normal(b.data(), b.size(), 7);
  EXPECT_EQ(a, b);
  std::vector<float> c(300000);
  fill_normal(c.data(), c.size(), 8);
  EXPECT_NE(a, c);
}

TEST(Rng, PermutationIsAPermutation) {
  Rng rng(3);
  auto p = random_permutation(1000, rng);
  std::vector<long> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (long i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(p, sorted);
}

// Pearson's chi-square of the counts against equal expectations.
double chi_square(const std::vector<long>& counts, long total) {
  const double e = static_cast<double>(total) / static_cast<double>(counts.size());
  double x = 0;
  for (long c : counts) x += (c - e) * (c - e) / e;
  return x;
}

TEST(Rng, BoundedIsUniformAndInRange) {
  Rng rng(4);
  std::vector<long> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.bounded(7)];
  // chi-square with 6 degrees of freedom exceeds 35.9 with probability 1e-6
  EXPECT_LT(chi_square(counts, 70000), 35.9);
  const std::uint64_t huge = (std::uint64_t{1} << 63) + 12345;  // rejection matters here
  long high = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t x = rng.bounded(huge);
    ASSERT_LT(x, huge);
    high += x >= huge / 2;
  }
  EXPECT_NEAR(high / 10000.0, 0.5, 0.025);  // 5 sigma
  EXPECT_EQ(rng.bounded(1), 0u);
}

TEST(Rng, ShuffleDrawsEveryPermutationAlike) {
  Rng rng(5);
  std::map<std::array<int, 4>, long> seen;
  for (int i = 0; i < 48000; ++i) {
    std::array<int, 4> a = {0, 1, 2, 3};
    shuffle_in_place(a.data(), 4, rng);
    ++seen[a];
  }
  ASSERT_EQ(seen.size(), 24u);
  std::vector<long> counts;
  for (const auto& [perm, c] : seen) counts.push_back(c);
  // 23 degrees of freedom: above 61.6 with probability 2e-5
  EXPECT_LT(chi_square(counts, 48000), 61.6);
}

// Past 2^15 values the shuffle scatters into buckets first: where the first and the last
// value land is still uniform (deciles), and the result is a permutation.
TEST(Rng, BucketedShuffleIsUniformToo) {
  Rng rng(6);
  const long n = 40000;
  std::vector<long> first(10, 0), last(10, 0);
  std::vector<int> a(static_cast<std::size_t>(n));
  const int draws = 1000;
  for (int k = 0; k < draws; ++k) {
    for (long i = 0; i < n; ++i) a[static_cast<std::size_t>(i)] = static_cast<int>(i);
    shuffle_in_place(a.data(), n, rng);
    for (long i = 0; i < n; ++i) {
      if (a[static_cast<std::size_t>(i)] == 0) ++first[static_cast<std::size_t>(i * 10 / n)];
      if (a[static_cast<std::size_t>(i)] == n - 1) ++last[static_cast<std::size_t>(i * 10 / n)];
    }
  }
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (long i = 0; i < n; ++i) ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i);
  // 9 degrees of freedom: above 33.7 with probability 1e-4
  EXPECT_LT(chi_square(first, draws), 33.7);
  EXPECT_LT(chi_square(last, draws), 33.7);
}

TEST(Data, GeneratedProblemMatchesSpec) {
  Config c;
  c.n = 300;
  c.batch_size = 300;
  c.d = 20;
  c.h = 30;
  c.n_test = 50;
  c.label_noise_std = 0.0;  // labels are then exactly softplus(X beta)
  const Problem<double> p = generate_problem<double>(c, RunSeeds::from_seed(5));
  EXPECT_NEAR(p.beta.norm(), 1.0, 1e-15);
  ASSERT_EQ(p.W0.rows(), 30);
  ASSERT_EQ(p.W0.cols(), 20);
  ASSERT_EQ(p.train.X.rows(), 300);
  ASSERT_EQ(p.probe.X.rows(), 300);
  ASSERT_EQ(p.test.X.rows(), 50);
  for (long i = 0; i < c.n; ++i) {
    const double z = p.train.X.row(i).dot(p.beta);
    EXPECT_NEAR(p.train.y[i], std::log1p(std::exp(z)), 1e-14);
  }
  EXPECT_GT((p.train.X - p.probe.X).cwiseAbs().maxCoeff(), 0.1);  // independent draws
  const Problem<double> again = generate_problem<double>(c, RunSeeds::from_seed(5));
  EXPECT_EQ((p.W0 - again.W0).norm(), 0.0);
  EXPECT_EQ((p.train.y - again.train.y).norm(), 0.0);
}

TEST(Data, SoftplusThresholdAndNoise) {
  Mat<double> X(3, 1);
  X << 25.0, 20.0, -30.0;
  Vec<double> beta(1);
  beta << 1.0;
  const Vec<double> y = teacher_labels(X, beta, 0.0, 1);
  EXPECT_EQ(y[0], 25.0);  // above the threshold: identity
  EXPECT_NEAR(y[1], std::log1p(std::exp(20.0)), 1e-12);
  EXPECT_NEAR(y[2], std::exp(-30.0), 1e-25);
  Mat<double> Xl = Mat<double>::Zero(20000, 1);
  const Vec<double> noisy = teacher_labels(Xl, beta, 0.3, 2);
  const double sd = std::sqrt((noisy.array() - std::log(2.0)).square().mean());
  EXPECT_NEAR(sd, 0.3, 0.3 * 0.03);
}

TEST(Data, LoadProblemReadsReferenceFolderAndChecksShapes) {
  Config c;
  c.n = 200;
  c.batch_size = 200;
  c.d = 40;
  c.h = 60;
  c.n_test = 50;
  const Problem<double> p = load_problem<double>(test::ref("traj_init"), c);
  EXPECT_EQ(p.W0.rows(), 60);
  EXPECT_EQ(p.train.X.rows(), 200);
  EXPECT_NEAR(p.beta.norm(), 1.0, 1e-12);

  c.h = 61;
  try {
    load_problem<double>(test::ref("traj_init"), c);
    FAIL() << "no error for a shape mismatch";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("W0.csv: shape 60x40, expected h x d = 61x40"),
              std::string::npos)
        << e.what();
  }
  c.h = 60;
  test::TempDir tmp;
  try {
    load_problem<double>(tmp.path(), c);
    FAIL() << "no error for an empty folder";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no beta.npy or beta.csv"), std::string::npos) << e.what();
  }
}

// Issue 13: the teacher link changes only g in y = g(X beta) + noise (same noise draws), and
// bias: true adds b0 ~ U(-1/sqrt(d), 1/sqrt(d)) without changing W0, a0 or the data.
TEST(Data, TeacherLinkAndBiasInit) {
  Config c;
  c.n = 300;
  c.n_test = 50;
  c.d = 16;
  c.h = 400;
  c.batch_size = c.n;
  const Problem<double> base = generate_problem<double>(c, RunSeeds::from_seed(9));
  EXPECT_EQ(base.b0.size(), 0);
  c.teacher = TeacherLink::kHe3;
  c.bias = true;
  const Problem<double> p = generate_problem<double>(c, RunSeeds::from_seed(9));
  EXPECT_EQ((p.W0 - base.W0).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((p.a0 - base.a0).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((p.train.X - base.train.X).cwiseAbs().maxCoeff(), 0.0);
  const VecD z = p.train.X * p.beta;
  double worst = 0;
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    const double noise_base = base.train.y[i] - teacher_link(TeacherLink::kSoftplus, z[i]);
    const double noise = p.train.y[i] - (z[i] * z[i] * z[i] - 3 * z[i]);
    worst = std::max(worst, std::abs(noise - noise_base));
  }
  // He3 values reach ~30 here: the noise recovered from them is exact to a few ulps of that.
  EXPECT_LE(worst, 1e-13) << "noise draws differ between teachers";
  ASSERT_EQ(p.b0.size(), c.h);
  const double bound = 1.0 / std::sqrt(double(c.d));
  EXPECT_LE(p.b0.cwiseAbs().maxCoeff(), bound);
  // 400 uniform draws: mean ~ 0 (sd bound/sqrt(3 * 400) = 0.007), spread over the range.
  EXPECT_NEAR(p.b0.mean(), 0.0, 0.03);
  EXPECT_GT(p.b0.maxCoeff(), 0.9 * bound);
  EXPECT_LT(p.b0.minCoeff(), -0.9 * bound);
}
