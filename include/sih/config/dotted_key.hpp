#pragma once
// Dotted config keys (lr_scheduler_kwargs.gamma: key `gamma` in the mapping
// `lr_scheduler_kwargs`), walked in one place over YAML trees (config input, overrides, sweep
// axes, reproduce's quick overrides) and JSON objects (resolved configs, ids, sweep folders).
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sih {

// "a.b.c" -> {"a", "b", "c"}; "a" -> {"a"}. Empty parts are kept ("a..b" -> {"a", "", "b"})
// for callers that reject them.
std::vector<std::string> key_parts(const std::string& dotted);

// The node at `dotted`: an undefined node when a parent is missing or not a mapping.
YAML::Node yaml_at(const YAML::Node& root, const std::string& dotted);
// Assigns through the path, turning missing or non-mapping parents into mappings.
void yaml_set(YAML::Node& root, const std::string& dotted, const YAML::Node& value);

// The value at `dotted`, nullptr when a parent or the key is missing.
const nlohmann::json* json_find(const nlohmann::json& object, const std::string& dotted);
// Assigns through the path, creating parent objects.
void json_set(nlohmann::json& object, const std::string& dotted, nlohmann::json value);
// Removes the key at `dotted`; nothing when a parent is missing.
void json_erase(nlohmann::json& object, const std::string& dotted);

}  // namespace sih
