// KTA, ridge refit and MSE against the reference fixtures (kta_ridge_alignment.expected.json)
// and against their dense definitions.
#include <nlohmann/json.hpp>

#include "sih/core/metrics.hpp"
#include "sih/core/rng.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {
nlohmann::json expected() {
  return nlohmann::json::parse(test::read_text(test::ref("kta_ridge_alignment.expected.json")));
}
}  // namespace

template <typename T>
class MetricsTyped : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(MetricsTyped, Precisions);

TYPED_TEST(MetricsTyped, KtaAndRidgeMatchReference) {
  using T = TypeParam;
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-11;
  const Mat<T> Z = read_array(test::ref("kta_Z_200x50.csv")).cast<T>();
  const Vec<T> y = read_array(test::ref("kta_y_200x1.csv")).col(0).cast<T>();
  const VecD a_ref = read_array(test::ref("ridge_a_hat_50x1.csv")).col(0);
  const auto e = expected();

  const Mat<T> gram = feature_gram(Z);
  const Vec<T> zty = Z.transpose() * y;
  EXPECT_TRUE(test::near_rel(e["KTA"].get<double>(), kta_from_gram(gram, zty, y), tol));
  EXPECT_TRUE(test::near_rel(e["KTA"].get<double>(), kta_dense(Z, y), tol));

  const double ridge = 0.01 / 50.0 * 200.0;  // (reg_lambda / h) * n
  const RidgeSolution<T> sol = ridge_solve(gram, zty, ridge, Z, y);
  EXPECT_FALSE(sol.fallback);
  const double a_err = (sol.a_hat.template cast<double>() - a_ref).cwiseAbs().maxCoeff();
  EXPECT_LE(a_err, (std::is_same_v<T, float> ? 2e-3 : 1e-10) * a_ref.cwiseAbs().maxCoeff())
      << "max |a_hat - reference| = " << a_err;
  const Vec<T> pred = Z * sol.a_hat;
  EXPECT_TRUE(test::near_rel(e["ridge_train_mse"].get<double>(), mse(pred, y), tol * 10));
}

TEST(Metrics, KtaFastFormEqualsDenseDefinition) {
  for (long n : {5L, 40L, 300L}) {
    Mat<double> phi(n, 17);
    fill_normal(phi.data(), static_cast<std::size_t>(phi.size()), 100 + n);
    Vec<double> y(n);
    fill_normal(y.data(), static_cast<std::size_t>(n), 200 + n);
    const Mat<double> g = feature_gram(phi);
    EXPECT_TRUE(test::near_rel(kta_dense(phi, y),
                               kta_from_gram(g, Vec<double>(phi.transpose() * y), y), 1e-12))
        << "n = " << n;
  }
}

TEST(Metrics, FeatureGramLowerTriangleIsPhiTPhi) {
  Mat<double> phi(30, 8);
  fill_normal(phi.data(), 240, 7);
  const Mat<double> dense = phi.transpose() * phi;
  const Mat<double> lower = feature_gram(phi).triangularView<Eigen::Lower>();
  EXPECT_LE((lower - Mat<double>(dense.triangularView<Eigen::Lower>())).cwiseAbs().maxCoeff(),
            1e-12);
}

// KTA and the ridge read only the lower triangle: garbage above it changes nothing.
TEST(Metrics, KtaAndRidgeReadOnlyTheLowerTriangle) {
  Mat<double> phi(40, 12);
  fill_normal(phi.data(), 480, 8);
  Vec<double> y(40);
  fill_normal(y.data(), 40, 9);
  const Vec<double> pty = phi.transpose() * y;
  const Mat<double> full = phi.transpose() * phi;
  Mat<double> junk = full;
  junk.triangularView<Eigen::StrictlyUpper>().setConstant(1e6);
  EXPECT_TRUE(test::near_rel(kta_dense(phi, y), kta_from_gram(junk, pty, y), 1e-12));
  const Vec<double> expected = (full + 0.5 * Mat<double>::Identity(12, 12)).ldlt().solve(pty);
  const RidgeSolution<double> sol = ridge_solve_in_place(junk, pty, 0.5, phi, y);
  EXPECT_LE((sol.a_hat - expected).norm(), 1e-10 * expected.norm());
}

// reg_lambda = 0 with fewer probe rows than features: Phi^T Phi is singular. The solver must
// report the fallback and return the minimum-norm interpolating solution, without NaN.
TEST(Metrics, SingularRidgeFallsBackToMinimumNorm) {
  const long n = 10, h = 25;
  Mat<double> phi(n, h);
  fill_normal(phi.data(), static_cast<std::size_t>(phi.size()), 5);
  Vec<double> y(n);
  fill_normal(y.data(), static_cast<std::size_t>(n), 6);
  const Mat<double> g = feature_gram(phi);
  const RidgeSolution<double> sol = ridge_solve(g, Vec<double>(phi.transpose() * y), 0.0, phi, y);
  EXPECT_TRUE(sol.fallback);
  ASSERT_TRUE(sol.a_hat.allFinite());
  EXPECT_LE((phi * sol.a_hat - y).norm(), 1e-10 * y.norm());  // interpolates
  // Minimum norm: a_hat = Phi^T (Phi Phi^T)^{-1} y.
  const Vec<double> min_norm = phi.transpose() * (phi * phi.transpose()).ldlt().solve(y);
  EXPECT_LE((sol.a_hat - min_norm).norm(), 1e-9 * min_norm.norm());
}
