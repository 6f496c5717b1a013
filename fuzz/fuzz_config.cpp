// libFuzzer target for the config loader: any text must either give a Config or an InputError.
// Anything else escaping (a yaml-cpp exception, a nlohmann exception, a crash) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sih/config/config_fields.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/config.hpp"
#include "sih/core/memory_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    YAML::Node root = sih::load_yaml_string(text, "fuzz.yml");
    // The keys a sweep would expand must be listable on whatever parsed.
    (void)sih::list_keys(root);
    sih::Config config = sih::config_from_yaml(root);
    // A config that validates must serialise (valid UTF-8) and hash.
    (void)sih::config_to_json(config).dump();
    (void)sih::config_id(config);
    (void)sih::estimate_run_memory_bytes(config);
    (void)config.lr_at(config.total_steps());
  } catch (const sih::InputError&) {
  }
  try {
    // The same text as the value of a --set override.
    YAML::Node root;
    sih::apply_override(root, "lr_scheduler_kwargs.gamma=" + text);
    (void)sih::config_from_yaml(root);
  } catch (const sih::InputError&) {
  }
  return 0;
}
