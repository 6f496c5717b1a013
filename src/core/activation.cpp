#include "sih/core/activation.hpp"

namespace sih {

const std::vector<std::pair<std::string, Activation>>& activation_names() {
  static const std::vector<std::pair<std::string, Activation>> names = {
      {"tanh", Activation::kTanh}, {"relu", Activation::kRelu},
      {"gelu", Activation::kGelu}, {"sigmoid", Activation::kSigmoid},
      {"erf", Activation::kErf},   {"linear", Activation::kLinear}};
  return names;
}

const std::vector<std::pair<std::string, TeacherLink>>& teacher_link_names() {
  static const std::vector<std::pair<std::string, TeacherLink>> names = {
      {"softplus", TeacherLink::kSoftplus}, {"relu", TeacherLink::kRelu},
      {"tanh", TeacherLink::kTanh},         {"linear", TeacherLink::kLinear},
      {"he2", TeacherLink::kHe2},           {"he3", TeacherLink::kHe3},
      {"sign", TeacherLink::kSign}};
  return names;
}

std::string activation_name(Activation a) {
  for (const auto& [name, value] : activation_names())
    if (value == a) return name;
  return "?";
}

}  // namespace sih
