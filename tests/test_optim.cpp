// Optimizers against steps computed by hand from PyTorch's documented update rules.
#include <cmath>

#include "sih/optim.hpp"
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

TEST(Optim, UnknownOptimizerIsInputError) { EXPECT_THROW(parse_optimizer("rmsprop"), InputError); }
