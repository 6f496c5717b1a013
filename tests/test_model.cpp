// Backprop against central differences (float64), the tanh kernel against std::tanh, and the
// probe feature scalings.
#include <cmath>

#include "sih/model.hpp"
#include "sih/rng.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {

template <typename T>
Mat<T> randn(long r, long c, std::uint64_t seed, double scale = 1.0) {
  Mat<T> m(r, c);
  fill_normal(m.data(), static_cast<std::size_t>(m.size()), seed, scale);
  return m;
}

}  // namespace

TEST(Model, TanhDoubleMatchesStdTanh) {
  Mat<double> m(1, 9);
  m << -400, -20, -1.5, -1e-9, 0, 1e-9, 0.7, 19.9, 400;
  Mat<double> t = m;
  tanh_inplace(t);
  for (int j = 0; j < m.cols(); ++j)
    EXPECT_NEAR(t(0, j), std::tanh(m(0, j)), 5e-16) << "x = " << m(0, j);
  Mat<double> r = randn<double>(50, 40, 3, 3.0);
  Mat<double> tr = r;
  tanh_inplace(tr);
  EXPECT_LE((tr - r.array().tanh().matrix()).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(Model, TanhFloatMatchesStdTanh) {
  Mat<float> r = randn<float>(50, 40, 4, 3.0);
  Mat<float> tr = r;
  tanh_inplace(tr);
  for (Eigen::Index i = 0; i < r.size(); ++i)
    EXPECT_NEAR(tr.data()[i], std::tanh(r.data()[i]), 4e-7f) << "x = " << r.data()[i];
}

// The loss is a smooth function of W and a: its gradient must match central differences
// to O(eps^2) in double precision.
TEST(Model, GradientMatchesCentralDifferences) {
  const long n = 30, d = 7, h = 5;
  Mat<double> X = randn<double>(n, d, 11);
  Vec<double> y = randn<double>(n, 1, 12);
  Mat<double> W = randn<double>(h, d, 13);
  Vec<double> a = randn<double>(h, 1, 14);
  Mat<double> gW;
  Vec<double> ga;
  StepWorkspace<double> ws;
  const double loss = loss_and_gradient<double>(W, a, X, y, gW, &ga, ws);
  EXPECT_TRUE(test::near_rel(model_mse(W, a, X, y), loss, 1e-14));

  const double eps = 1e-6;
  for (long i = 0; i < h; ++i) {
    for (long j = 0; j < d; ++j) {
      Mat<double> Wp = W, Wm = W;
      Wp(i, j) += eps;
      Wm(i, j) -= eps;
      const double fd = (model_mse(Wp, a, X, y) - model_mse(Wm, a, X, y)) / (2 * eps);
      EXPECT_NEAR(gW(i, j), fd, 1e-8 * std::max(1.0, std::abs(fd)))
          << "dW(" << i << "," << j << ")";
    }
    Vec<double> ap = a, am = a;
    ap[i] += eps;
    am[i] -= eps;
    const double fd = (model_mse(W, ap, X, y) - model_mse(W, am, X, y)) / (2 * eps);
    EXPECT_NEAR(ga[i], fd, 1e-8 * std::max(1.0, std::abs(fd))) << "da(" << i << ")";
  }
}

TEST(Model, FloatGradientAgreesWithDouble) {
  const long n = 64, d = 20, h = 30;
  Mat<double> X = randn<double>(n, d, 21);
  Vec<double> y = randn<double>(n, 1, 22);
  Mat<double> W = randn<double>(h, d, 23);
  Vec<double> a = randn<double>(h, 1, 24);
  Mat<double> gW;
  Vec<double> ga;
  StepWorkspace<double> ws;
  const double loss = loss_and_gradient<double>(W, a, X, y, gW, &ga, ws);
  Mat<float> gWf;
  Vec<float> gaf;
  StepWorkspace<float> wsf;
  const Mat<float> Xf = X.cast<float>();
  const Vec<float> yf = y.cast<float>();
  const double lossf =
      loss_and_gradient<float>(W.cast<float>(), a.cast<float>(), Xf, yf, gWf, &gaf, wsf);
  EXPECT_TRUE(test::near_rel(loss, lossf, 1e-5));
  EXPECT_LE((gWf.cast<double>() - gW).norm() / gW.norm(), 1e-5);
  EXPECT_LE((gaf.cast<double>() - ga).norm() / ga.norm(), 1e-5);
}

TEST(Model, ProbeFeatureScalings) {
  const long n = 10, d = 16, h = 4;
  Mat<double> X = randn<double>(n, d, 31);
  Mat<double> W = randn<double>(h, d, 32);
  const Mat<double> ref = probe_features(W, X, ProbeFeatureScaling::kReference);
  const Mat<double> mod = probe_features(W, X, ProbeFeatureScaling::kModel);
  for (long i = 0; i < n; ++i)
    for (long j = 0; j < h; ++j) {
      const double z = X.row(i).dot(W.row(j));
      EXPECT_NEAR(ref(i, j), std::tanh(z / d) / 2.0, 1e-15);    // sqrt(h) = 2
      EXPECT_NEAR(mod(i, j), std::tanh(z / 4.0) / 2.0, 1e-15);  // sqrt(d) = 4
    }
}
