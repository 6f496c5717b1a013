#pragma once
// The student's activation and the teacher's link function: names, values and derivatives,
// each written as PyTorch computes it (ATen's CPU kernels) so that trajectories match the
// fixtures of tests/data/torch to rounding. Scalar forms; the hot loops in model.cpp use them
// through the per-column kernels there.
#include <cmath>
#include <string>
#include <vector>

namespace sih {

// The student's activation. tanh is the paper's (and the fast path of model.cpp).
enum class Activation { kTanh, kRelu, kGelu, kSigmoid, kErf, kLinear };

// The teacher's link g in y = g(<x, beta>) + noise. softplus is the paper's.
enum class TeacherLink { kSoftplus, kRelu, kTanh, kLinear, kHe2, kHe3, kSign };

// Config spellings, in enum order (the table's `choice` rows and --describe read these).
const std::vector<std::pair<std::string, Activation>>& activation_names();
const std::vector<std::pair<std::string, TeacherLink>>& teacher_link_names();
std::string activation_name(Activation a);

// act(z) and act'(z). Derivatives follow PyTorch's backward formulas: relu' = 1 only for
// z > 0 (threshold_backward), gelu' = Phi(z) + z phi(z) (the erf form, GeluBackward with
// approximate='none'), sigmoid' = s (1 - s).
template <typename T>
inline T activation_value(Activation a, T z) {
  switch (a) {
    case Activation::kTanh:
      return std::tanh(z);
    case Activation::kRelu:
      return z > T(0) ? z : T(0);
    case Activation::kGelu:
      // ATen: x * 0.5 * (1 + erf(x * M_SQRT1_2)).
      return z * T(0.5) * (T(1) + std::erf(z * T(M_SQRT1_2)));
    case Activation::kSigmoid:
      return T(1) / (T(1) + std::exp(-z));
    case Activation::kErf:
      return std::erf(z);
    case Activation::kLinear:
      return z;
  }
  return z;
}

template <typename T>
inline T activation_derivative(Activation a, T z) {
  switch (a) {
    case Activation::kTanh: {
      const T t = std::tanh(z);
      return T(1) - t * t;
    }
    case Activation::kRelu:
      return z > T(0) ? T(1) : T(0);
    case Activation::kGelu: {
      // ATen's GeluBackward: cdf + x * pdf, pdf = exp(-x^2/2) / sqrt(2 pi).
      const T cdf = T(0.5) * (T(1) + std::erf(z * T(M_SQRT1_2)));
      const T pdf = std::exp(T(-0.5) * z * z) * T(M_2_SQRTPI * M_SQRT1_2 * 0.5);
      return cdf + z * pdf;
    }
    case Activation::kSigmoid: {
      const T s = T(1) / (T(1) + std::exp(-z));
      return s * (T(1) - s);
    }
    case Activation::kErf:
      // ATen's erf backward: 2/sqrt(pi) * exp(-x^2).
      return T(M_2_SQRTPI) * std::exp(-(z * z));
    case Activation::kLinear:
      return T(1);
  }
  return T(1);
}

// g(z) of the teacher. softplus is PyTorch's Softplus(beta=1, threshold=20): z above 20 is
// returned as is. sign(0) = 0 as torch.sign.
template <typename T>
inline T teacher_link(TeacherLink g, T z) {
  switch (g) {
    case TeacherLink::kSoftplus:
      return z > T(20) ? z : std::log1p(std::exp(z));
    case TeacherLink::kRelu:
      return z > T(0) ? z : T(0);
    case TeacherLink::kTanh:
      return std::tanh(z);
    case TeacherLink::kLinear:
      return z;
    case TeacherLink::kHe2:  // probabilists' Hermite polynomials: orthogonal under N(0, 1)
      return z * z - T(1);
    case TeacherLink::kHe3:
      return z * z * z - T(3) * z;
    case TeacherLink::kSign:
      return z > T(0) ? T(1) : (z < T(0) ? T(-1) : T(0));
  }
  return z;
}

}  // namespace sih
