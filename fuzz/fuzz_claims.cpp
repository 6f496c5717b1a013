// libFuzzer target for the claims of a paper config (claims.hpp): any text must either parse
// and evaluate on a small grid, or give an InputError. Anything else escaping (a yaml-cpp or
// nlohmann exception, a crash, unbounded recursion) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sih/base/types.hpp"
#include "sih/config/config_input.hpp"
#include "sih/experiments/claims.hpp"

namespace {

// optimizer x lr, steps 0 and 10, two metrics.
sih::ExperimentTable grid() {
  sih::ExperimentTable t;
  t.axes = {"optimizer", "lr"};
  for (const char* opt : {"sgd", "adam"}) {
    for (double lr : {0.1, 1.0}) {
      sih::ExperimentPoint p;
      p.coords = {{"optimizer", opt}, {"lr", lr}};
      p.runs_total = p.runs_used = 1;
      p.means[0] = {{"alpha_hill", 2.5}, {"num_spikes", 0}};
      p.means[10] = {{"alpha_hill", 2.5 - lr}, {"num_spikes", 10 * lr}};
      t.points.push_back(p);
    }
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sih::ExperimentTable t = grid();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // The text as a whole claims list, and as one claim's value expression.
    const YAML::Node root = sih::load_yaml_string("claims: " + text, "fuzz.yml");
    const auto claims = sih::parse_claims(root["claims"], "fuzz.yml");
    sih::check_claims_against(claims, t, "fuzz.yml");
    for (const auto& c : claims) (void)sih::evaluate_claim(c, t);
  } catch (const sih::InputError&) {
  }
  try {
    YAML::Node claim(YAML::NodeType::Map);
    claim["says"] = "s";
    claim["value"] = text;
    claim["holds_if"] = "> 0";
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(claim);
    const auto claims = sih::parse_claims(list, "fuzz.yml");
    sih::check_claims_against(claims, t, "fuzz.yml");
    (void)sih::evaluate_claim(claims.at(0), t);
  } catch (const sih::InputError&) {
  }
  return 0;
}
