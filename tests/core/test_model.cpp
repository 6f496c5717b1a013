// Backprop against central differences (float64), the tanh kernel against std::tanh, and the
// probe feature scalings.
#include <cmath>

#include "sih/core/model.hpp"
#include "sih/core/rng.hpp"
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

// ---- Activations, biases and teacher links (issue 13) ---------------------------------------

namespace {

// act and act' of every activation against a float64 formula written independently of
// activation.hpp, and act' against central differences of act.
TEST(Activation, ValuesAndDerivativesMatchFormulas) {
  const double zs[] = {-7.5, -2.0, -0.3, -1e-3, 1e-3, 0.4, 1.7, 6.0};
  auto Phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  for (const auto& [name, act] : activation_names()) {
    for (double z : zs) {
      double v = 0;
      switch (act) {
        case Activation::kTanh:
          v = std::tanh(z);
          break;
        case Activation::kRelu:
          v = std::max(z, 0.0);
          break;
        case Activation::kGelu:
          v = z * Phi(z);
          break;
        case Activation::kSigmoid:
          v = 1.0 / (1.0 + std::exp(-z));
          break;
        case Activation::kErf:
          v = std::erf(z);
          break;
        case Activation::kLinear:
          v = z;
          break;
      }
      const double got = activation_value(act, z);
      EXPECT_NEAR(got, v, 4e-16 * std::max(1.0, std::abs(v))) << name << " z=" << z;
      const double eps = 1e-6;
      const double fd =
          (activation_value(act, z + eps) - activation_value(act, z - eps)) / (2 * eps);
      const double dv = activation_derivative(act, z);
      EXPECT_NEAR(dv, fd, 1e-8 * std::max(1.0, std::abs(fd))) << name << "' z=" << z;
    }
  }
}

TEST(Activation, TeacherLinksMatchFormulas) {
  const double zs[] = {-25.0, -1.5, 0.0, 0.2, 3.0, 21.0};
  for (const auto& [name, g] : teacher_link_names()) {
    for (double z : zs) {
      double v = 0;
      switch (g) {
        case TeacherLink::kSoftplus:
          v = z > 20 ? z : std::log(1.0 + std::exp(z));
          break;
        case TeacherLink::kRelu:
          v = std::max(z, 0.0);
          break;
        case TeacherLink::kTanh:
          v = std::tanh(z);
          break;
        case TeacherLink::kLinear:
          v = z;
          break;
        case TeacherLink::kHe2:
          v = z * z - 1;
          break;
        case TeacherLink::kHe3:
          v = z * z * z - 3 * z;
          break;
        case TeacherLink::kSign:
          v = (z > 0) - (z < 0);
          break;
      }
      EXPECT_NEAR(teacher_link(g, z), v, 1e-15 * std::max(1.0, std::abs(v))) << name << " z=" << z;
    }
  }
}

struct StudentCase {
  Activation act;
  TeacherLink link;
  bool bias;
};

// Loss of the generic student, by the straightforward formula (no fused kernels), float64.
double plain_loss(Activation act, const MatD& W, const VecD* b, const VecD& a, const MatD& X,
                  const VecD& y) {
  const double sd = std::sqrt(double(W.cols())), sh = std::sqrt(double(W.rows()));
  double sum = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    double f = 0;
    for (Eigen::Index j = 0; j < W.rows(); ++j) {
      const double z = (X.row(i).dot(W.row(j)) + (b ? (*b)[j] : 0.0)) / sd;
      f += a[j] * activation_value(act, z);
    }
    const double r = f / sh - y[i];
    sum += r * r;
  }
  return sum / double(X.rows());
}

}  // namespace

// Every activation x teacher link x bias: the loss equals the plain formula, and the gradient
// of W, b and a equals central differences of it (float64). The teacher only shapes the
// labels, but a sign or He3 teacher gives residuals of another size and sign pattern.
TEST(Model, GenericGradientsMatchCentralDifferences) {
  const long n = 24, d = 6, h = 5;
  const MatD X = randn<double>(n, d, 41);
  VecD beta = randn<double>(d, 1, 42);
  beta /= beta.norm();
  // W scaled up so that relu/gelu pre-activations spread over both signs and the tails.
  const MatD W = randn<double>(h, d, 43, 1.5);
  const VecD a = randn<double>(h, 1, 44);
  const VecD b0 = randn<double>(h, 1, 45, 0.7);
  int cases = 0;
  for (const auto& [act_name, act] : activation_names()) {
    for (const auto& [link_name, link] : teacher_link_names()) {
      for (bool bias : {false, true}) {
        SCOPED_TRACE(act_name + " / " + link_name + (bias ? " / bias" : " / no bias"));
        const VecD y = teacher_labels<double>(X, beta, 0.3, 46, link);
        const VecD* b = bias ? &b0 : nullptr;
        MatD gW;
        VecD gb, ga;
        StepWorkspace<double> ws;
        const double loss = loss_and_gradient<double>(act, W, b, a, X, y, gW, &gb, &ga, ws);
        EXPECT_TRUE(test::near_rel(plain_loss(act, W, b, a, X, y), loss, 1e-13));
        EXPECT_TRUE(test::near_rel(model_mse<double>(act, W, b, a, X, y), loss, 1e-13));
        const double eps = 1e-6;
        // relu's kink: a central difference across z = 0 is not a derivative; with these
        // draws no |z| is within eps of 0 (checked, so the test cannot pass vacuously).
        // A copy: C++17 lambdas cannot capture a structured binding (clang refuses it).
        const auto activation = act;
        auto fd_of = [&](const MatD& Wp, const MatD& Wm, const VecD* bp, const VecD* bm,
                         const VecD& ap, const VecD& am) {
          return (plain_loss(activation, Wp, bp, ap, X, y) -
                  plain_loss(activation, Wm, bm, am, X, y)) /
                 (2 * eps);
        };
        for (long i = 0; i < h; ++i) {
          for (long j = 0; j < d; ++j) {
            MatD Wp = W, Wm = W;
            Wp(i, j) += eps;
            Wm(i, j) -= eps;
            const double fd = fd_of(Wp, Wm, b, b, a, a);
            EXPECT_NEAR(gW(i, j), fd, 1e-8 * std::max(1.0, std::abs(fd)))
                << "dW(" << i << "," << j << ")";
          }
          VecD ap = a, am = a;
          ap[i] += eps;
          am[i] -= eps;
          const double fda = fd_of(W, W, b, b, ap, am);
          EXPECT_NEAR(ga[i], fda, 1e-8 * std::max(1.0, std::abs(fda))) << "da(" << i << ")";
          if (bias) {
            VecD bp = b0, bm = b0;
            bp[i] += eps;
            bm[i] -= eps;
            const double fdb = fd_of(W, W, &bp, &bm, a, a);
            EXPECT_NEAR(gb[i], fdb, 1e-8 * std::max(1.0, std::abs(fdb))) << "db(" << i << ")";
          }
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 6 * 7 * 2);
  // The relu kink guard above: the smallest |z| is far from the difference step.
  const MatD Z = ((X * W.transpose()).rowwise() + b0.transpose()) / std::sqrt(double(d));
  EXPECT_GT(Z.cwiseAbs().minCoeff(), 1e-4);
  EXPECT_GT((X * W.transpose()).cwiseAbs().minCoeff() / std::sqrt(double(d)), 1e-4);
}

// The generic kernel with tanh and no bias would be the fast path's job: the two agree
// (tanh through std::tanh vs the exp identity), and the dispatcher takes the fast path.
TEST(Model, GenericTanhAgreesWithFastPath) {
  const long n = 40, d = 12, h = 9;
  const MatD X = randn<double>(n, d, 51);
  const VecD y = randn<double>(n, 1, 52);
  const MatD W = randn<double>(h, d, 53);
  const VecD a = randn<double>(h, 1, 54);
  const VecD zero = VecD::Zero(h);
  MatD gW1, gW2;
  VecD ga1, ga2, gb;
  StepWorkspace<double> ws1, ws2;
  const double l1 = loss_and_gradient<double>(W, a, X, y, gW1, &ga1, ws1);
  const double l2 =
      loss_and_gradient<double>(Activation::kTanh, W, &zero, a, X, y, gW2, &gb, &ga2, ws2);
  EXPECT_TRUE(test::near_rel(l1, l2, 1e-14));
  EXPECT_LE((gW1 - gW2).cwiseAbs().maxCoeff(), 1e-15 * gW1.cwiseAbs().maxCoeff() * 10);
  EXPECT_LE((ga1 - ga2).cwiseAbs().maxCoeff(), 1e-15 * ga1.cwiseAbs().maxCoeff() * 10);
  EXPECT_EQ(ws2.deriv.rows(), n);  // the biased call went through the generic kernel
}

// float32 generic path against float64, every activation, with biases.
TEST(Model, GenericFloatAgreesWithDouble) {
  const long n = 64, d = 20, h = 30;
  const MatD X = randn<double>(n, d, 61);
  const VecD y = randn<double>(n, 1, 62);
  const MatD W = randn<double>(h, d, 63);
  const VecD a = randn<double>(h, 1, 64);
  const VecD b = randn<double>(h, 1, 65);
  const Mat<float> Xf = X.cast<float>(), Wf = W.cast<float>();
  const Vec<float> yf = y.cast<float>(), af = a.cast<float>(), bf = b.cast<float>();
  for (const auto& [name, act] : activation_names()) {
    SCOPED_TRACE(name);
    MatD gW;
    VecD gb, ga;
    StepWorkspace<double> ws;
    const double loss = loss_and_gradient<double>(act, W, &b, a, X, y, gW, &gb, &ga, ws);
    Mat<float> gWf;
    Vec<float> gbf, gaf;
    StepWorkspace<float> wsf;
    const double lossf = loss_and_gradient<float>(act, Wf, &bf, af, Xf, yf, gWf, &gbf, &gaf, wsf);
    EXPECT_TRUE(test::near_rel(loss, lossf, 2e-5));
    EXPECT_LE((gWf.cast<double>() - gW).norm() / gW.norm(), 2e-5);
    EXPECT_LE((gbf.cast<double>() - gb).norm() / gb.norm(), 2e-5);
    EXPECT_LE((gaf.cast<double>() - ga).norm() / ga.norm(), 2e-5);
  }
}

// Probe features of every activation with a bias: act((X W^T + b) s) / sqrt(h), both
// scalings (the reference's s = 1/d, docs/MODEL.md §4).
TEST(Model, ProbeFeaturesAnyActivation) {
  const long n = 10, d = 16, h = 4;
  const MatD X = randn<double>(n, d, 71);
  const MatD W = randn<double>(h, d, 72, 3.0);
  const VecD b = randn<double>(h, 1, 73);
  for (const auto& [name, act] : activation_names()) {
    const MatD ref = probe_features(W, X, ProbeFeatureScaling::kReference, act, &b);
    const MatD mod = probe_features(W, X, ProbeFeatureScaling::kModel, act, &b);
    for (long i = 0; i < n; ++i)
      for (long j = 0; j < h; ++j) {
        const double z = X.row(i).dot(W.row(j)) + b[j];
        // Unbounded activations: a few ulps relative (the kernel scales by 1/4, not / 4).
        const double er = activation_value(act, z / d) / 2.0;
        const double em = activation_value(act, z / 4.0) / 2.0;
        EXPECT_NEAR(ref(i, j), er, 2e-15 * std::max(1.0, std::abs(er))) << name;
        EXPECT_NEAR(mod(i, j), em, 2e-15 * std::max(1.0, std::abs(em))) << name;
      }
  }
}

// A checkpoint may leave the next step's forward product X W^T in the workspace
// (hidden_holds_product, trainer.cpp): the step then skips that GEMM and must give the same
// bits, for the fused tanh path and the generic one; a product of other sizes is not used.
TEST(Model, AKeptForwardProductGivesTheSameBits) {
  for (const bool generic : {false, true}) {
    const long n = 300, d = 120, h = 250;  // n x h >= 2^16: the float products' own kernel
    const Mat<float> X = randn<float>(n, d, 1), W = randn<float>(h, d, 2);
    const Vec<float> a = randn<float>(h, 1, 3), y = randn<float>(n, 1, 4);
    const Vec<float> b = randn<float>(h, 1, 5, 0.1);
    auto step = [&](StepWorkspace<float>& ws, Mat<float>& gW, Vec<float>& ga) {
      Vec<float> gb;
      return generic ? loss_and_gradient<float>(Activation::kGelu, W, &b, a, X, y, gW, &gb, &ga, ws)
                     : loss_and_gradient<float>(W, a, X, y, gW, &ga, ws);
    };
    StepWorkspace<float> plain_ws, kept_ws, stale_ws;
    Mat<float> gW1, gW2, gW3;
    Vec<float> ga1, ga2, ga3;
    const double l1 = step(plain_ws, gW1, ga1);
    kept_ws.hidden.resize(n, h);
    product_fixed_depth(kept_ws.hidden, X, W.transpose());
    kept_ws.hidden_holds_product = true;
    const double l2 = step(kept_ws, gW2, ga2);
    EXPECT_FALSE(kept_ws.hidden_holds_product) << "the kept product is used once";
    EXPECT_EQ(l1, l2) << (generic ? "generic" : "tanh") << ": loss";
    EXPECT_TRUE(gW1 == gW2) << (generic ? "generic" : "tanh") << ": grad W";
    EXPECT_TRUE(ga1 == ga2) << (generic ? "generic" : "tanh") << ": grad a";
    // A flag over a buffer of another shape is ignored: the product is computed.
    stale_ws.hidden = Mat<float>::Constant(n - 1, h, 7.0f);
    stale_ws.hidden_holds_product = true;
    EXPECT_EQ(step(stale_ws, gW3, ga3), l1) << (generic ? "generic" : "tanh") << ": stale shape";
    EXPECT_TRUE(gW3 == gW1);
  }
}
