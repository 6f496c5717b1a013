#include "sih/config/dotted_key.hpp"

namespace sih {

std::vector<std::string> key_parts(const std::string& dotted) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(dotted.substr(start, dot - start));
  }
  parts.push_back(dotted.substr(start));
  return parts;
}

YAML::Node yaml_at(const YAML::Node& root, const std::string& dotted) {
  YAML::Node at = root;
  for (const std::string& part : key_parts(dotted)) {
    if (!at.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    // reset() moves the cursor; assignment would write through to the tree.
    at.reset(at[part]);
  }
  return at;
}

void yaml_set(YAML::Node& root, const std::string& dotted, const YAML::Node& value) {
  const std::vector<std::string> parts = key_parts(dotted);
  YAML::Node at = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!at[parts[i]].IsMap()) at[parts[i]] = YAML::Node(YAML::NodeType::Map);
    at.reset(at[parts[i]]);
  }
  at[parts.back()] = value;
}

const nlohmann::json* json_find(const nlohmann::json& object, const std::string& dotted) {
  const nlohmann::json* at = &object;
  for (const std::string& part : key_parts(dotted)) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(part);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

void json_set(nlohmann::json& object, const std::string& dotted, nlohmann::json value) {
  const std::vector<std::string> parts = key_parts(dotted);
  nlohmann::json* at = &object;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) at = &(*at)[parts[i]];
  (*at)[parts.back()] = std::move(value);
}

void json_erase(nlohmann::json& object, const std::string& dotted) {
  const std::vector<std::string> parts = key_parts(dotted);
  nlohmann::json* at = &object;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!at->is_object()) return;
    const auto child = at->find(parts[i]);
    if (child == at->end()) return;
    at = &*child;
  }
  if (at->is_object()) at->erase(parts.back());
}

}  // namespace sih
