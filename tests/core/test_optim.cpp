// Optimizers against steps computed by hand from PyTorch's documented update rules.
#include <cmath>

#include "sih/core/optim.hpp"
#include "test_util.hpp"

using namespace sih;

TEST(Optim, SgdPlain) {
  OptimizerSettings s;
  s.kind = OptimizerKind::kSgd;
  ParamOptimizer<double> opt(s);
  Mat<double> theta(1, 2), g(1, 2);
  theta << 1.0, -2.0;
  g << 0.5, 0.25;
  opt.step(theta, g, 0.1);
  EXPECT_DOUBLE_EQ(theta(0, 0), 1.0 - 0.05);
  EXPECT_DOUBLE_EQ(theta(0, 1), -2.0 - 0.025);
}

TEST(Optim, SgdMomentumAndWeightDecay) {
  OptimizerSettings s;
  s.kind = OptimizerKind::kSgd;
  s.momentum = 0.9;
  s.weight_decay = 0.1;
  ParamOptimizer<double> opt(s);
  Mat<double> theta(1, 1), g(1, 1);
  theta << 2.0;
  // step 1: g' = 1 + 0.1*2 = 1.2; buf = 1.2; theta = 2 - 0.5*1.2 = 1.4
  g << 1.0;
  opt.step(theta, g, 0.5);
  EXPECT_DOUBLE_EQ(theta(0, 0), 1.4);
  // step 2: g' = 1 + 0.14 = 1.14; buf = 0.9*1.2 + 1.14 = 2.22; theta = 1.4 - 0.5*2.22 = 0.29
  g << 1.0;
  opt.step(theta, g, 0.5);
  EXPECT_NEAR(theta(0, 0), 0.29, 1e-15);
}

TEST(Optim, AdamTwoStepsByHand) {
  OptimizerSettings s;  // adam, betas (0.9, 0.999), eps 1e-8
  s.weight_decay = 0.01;
  ParamOptimizer<double> opt(s);
  Mat<double> theta(1, 1), g(1, 1);
  double th = 0.5, m = 0, v = 0;
  const double grads[2] = {0.3, -0.7};
  theta << th;
  for (int t = 1; t <= 2; ++t) {
    const double gg = grads[t - 1] + 0.01 * th;
    m = 0.9 * m + 0.1 * gg;
    v = 0.999 * v + 0.001 * gg * gg;
    const double mhat_step = 1.0 / (1 - std::pow(0.9, t));
    const double denom = std::sqrt(v) / std::sqrt(1 - std::pow(0.999, t)) + 1e-8;
    th -= 1.0 * mhat_step * m / denom;
    g << grads[t - 1];
    opt.step(theta, g, 1.0);
    EXPECT_NEAR(theta(0, 0), th, 1e-15) << "step " << t;
  }
  // First Adam step moves every coordinate by ~lr regardless of the gradient's scale.
  EXPECT_NEAR(0.5 - (0.3 + 0.005) / (std::abs(0.3 + 0.005) + 1e-8), 0.5 - 1.0, 1e-7);
}

TEST(Optim, UnknownOptimizerIsInputError) {
  EXPECT_THROW(parse_optimizer("lion"), InputError);
  EXPECT_EQ(parse_optimizer("rmsprop"), OptimizerKind::kRmsprop);
}

// ---- issue 13: the optimizers' neighbours, three steps each against a scalar reference
// written from torch.optim's documented algorithms (float64), and float32 against float64.

namespace {

// One element's reference state and update; `theta` and `g` in, new theta out.
struct ScalarRef {
  OptimizerSettings s;
  double m = 0, v = 0;
  long t = 0;
  double step(double theta, double g, double lr) {
    ++t;
    switch (s.kind) {
      case OptimizerKind::kSgd: {
        g += s.weight_decay * theta;
        if (s.momentum == 0) return theta - lr * g;
        m = t == 1 ? g : s.momentum * m + g;
        return theta - lr * (s.nesterov ? g + s.momentum * m : m);
      }
      case OptimizerKind::kAdam:
      case OptimizerKind::kAdamW: {
        if (s.kind == OptimizerKind::kAdamW)
          theta *= 1 - lr * s.weight_decay;
        else
          g += s.weight_decay * theta;
        m = s.beta1 * m + (1 - s.beta1) * g;
        v = s.beta2 * v + (1 - s.beta2) * g * g;
        const double mhat = m / (1 - std::pow(s.beta1, double(t)));
        const double vhat = v / (1 - std::pow(s.beta2, double(t)));
        return theta - lr * mhat / (std::sqrt(vhat) + s.eps);
      }
      case OptimizerKind::kRmsprop: {
        g += s.weight_decay * theta;
        v = s.alpha * v + (1 - s.alpha) * g * g;
        const double u = g / (std::sqrt(v) + s.eps);
        if (s.momentum > 0) {
          m = s.momentum * m + u;
          return theta - lr * m;
        }
        return theta - lr * u;
      }
      case OptimizerKind::kSignGd: {
        g += s.weight_decay * theta;
        return theta - lr * ((g > 0) - (g < 0));
      }
    }
    return theta;
  }
};

// Three steps on a 2 x 3 parameter with gradients g_t = c_t (theta + offset), in T; returns
// the max relative difference to the double reference, per element relative to
// max(1, |theta|).
template <typename T>
double three_steps_error(const OptimizerSettings& s, double lr) {
  ParamOptimizer<T> opt(s);
  Mat<T> theta(2, 3);
  theta << 0.5, -1.25, 2.0, 0.0, 0.75, -0.1;
  Mat<double> want = theta.template cast<double>();
  std::vector<ScalarRef> refs(6, ScalarRef{s});
  const double coef[3] = {1.0, -0.6, 0.3};
  double worst = 0;
  for (int t = 1; t <= 3; ++t) {
    Mat<T> g(2, 3);
    for (int k = 0; k < 6; ++k) {
      // The same gradient for both: computed from the double reference's iterate, then
      // rounded to T (float32 gradients of a float32 run).
      const double gk = coef[t - 1] * (want.data()[k] + 0.2 * k - 0.5);
      g.data()[k] = T(gk);
      want.data()[k] = refs[static_cast<std::size_t>(k)].step(want.data()[k], double(T(gk)), lr);
    }
    opt.step(theta, g, lr);
    for (int k = 0; k < 6; ++k)
      worst = std::max(worst, std::abs(double(theta.data()[k]) - want.data()[k]) /
                                  std::max(1.0, std::abs(want.data()[k])));
  }
  return worst;
}

struct OptCase {
  std::string name;
  OptimizerSettings s;
  double lr;
};

std::vector<OptCase> opt_cases() {
  std::vector<OptCase> cases;
  OptimizerSettings s;
  s.kind = OptimizerKind::kSgd;
  s.momentum = 0.9;
  s.nesterov = true;
  s.weight_decay = 0.05;
  cases.push_back({"sgd_nesterov", s, 0.1});
  s = {};
  s.kind = OptimizerKind::kAdam;
  s.beta1 = 0.8;
  s.beta2 = 0.95;
  s.eps = 1e-3;
  s.weight_decay = 0.02;
  cases.push_back({"adam_betas_eps", s, 0.05});
  s = {};
  s.kind = OptimizerKind::kAdamW;
  s.weight_decay = 0.1;
  cases.push_back({"adamw", s, 0.05});
  s = {};
  s.kind = OptimizerKind::kRmsprop;
  s.alpha = 0.9;
  s.eps = 1e-4;
  s.weight_decay = 0.01;
  cases.push_back({"rmsprop", s, 0.01});
  s.momentum = 0.5;
  cases.push_back({"rmsprop_momentum", s, 0.01});
  s = {};
  s.kind = OptimizerKind::kSignGd;
  s.weight_decay = 0.01;
  cases.push_back({"signgd", s, 0.01});
  return cases;
}

}  // namespace

TEST(Optim, NeighboursMatchScalarReference) {
  for (const OptCase& c : opt_cases()) {
    SCOPED_TRACE(c.name);
    const double e64 = three_steps_error<double>(c.s, c.lr);
    EXPECT_LE(e64, 4e-16) << "float64 max relative error";
    // float32: the state and theta rounded at every operation.
    const double e32 = three_steps_error<float>(c.s, c.lr);
    EXPECT_LE(e32, 2e-6) << "float32 max relative error";
  }
}

// AdamW's decay is decoupled: with a zero gradient Adam (L2) still moves theta by ~lr per
// coordinate on the first step, AdamW only shrinks it by (1 - lr wd).
TEST(Optim, AdamWDecayIsDecoupled) {
  OptimizerSettings s;
  s.kind = OptimizerKind::kAdamW;
  s.weight_decay = 0.5;
  ParamOptimizer<double> adamw(s);
  s.kind = OptimizerKind::kAdam;
  ParamOptimizer<double> adam(s);
  Mat<double> t1(1, 1), t2(1, 1), g(1, 1);
  t1 << 2.0;
  t2 << 2.0;
  g << 0.0;
  adamw.step(t1, g, 0.1);
  g << 0.0;
  adam.step(t2, g, 0.1);
  EXPECT_DOUBLE_EQ(t1(0, 0), 2.0 * (1 - 0.1 * 0.5));
  EXPECT_NEAR(t2(0, 0), 2.0 - 0.1, 1e-8);
}
