#pragma once
// Config input: YAML files and `--set` overrides into a validated Config. The dotted-key walker
// (yaml_at, yaml_set) is in dotted_key.hpp.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sih/config/dotted_key.hpp"
#include "sih/core/config.hpp"

namespace sih {

// Reads a YAML file into a node. InputError for: missing/unreadable/empty file, YAML syntax
// error (with line and column), a top level that is not a mapping.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_string(const std::string& text, const std::string& origin);

// Applies one `--set key=value` override: `key` may be dotted (lr_scheduler_kwargs.gamma),
// `value` is parsed as YAML (`[0.1, 1]` is a list). InputError on bad syntax.
void apply_override(YAML::Node& root, const std::string& assignment);

// Applies the `--set` overrides of one command line in order and returns notes for stderr.
// Changing n alone in a config whose batch_size equals its n keeps full batch: batch_size
// follows n (the key is dropped, so it resolves to n). When the file's batch_size differed from
// its n and the new n is below it, the error says to set batch_size too.
std::vector<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& sets);

// Validates a node whose values are all scalars (sweeps substitute one list item per key
// before calling this) and returns the config. Unknown keys -> did-you-mean; a list -> says
// that lists belong to sweeps (or that the key cannot be swept); every rule of the table.
Config config_from_yaml(const YAML::Node& root);
// The same, adding to `notes` one line per key that is written but does nothing in the
// resulting config ("warning: momentum: 0.9: has no effect with optimizer adam (acts only with
// optimizer sgd, rmsprop)"); the field table says when each key acts. The caller shows them.
Config config_from_yaml(const YAML::Node& root, std::vector<std::string>* notes);

// Keys (dotted) whose value in `root` is a YAML sequence, in file order.
std::vector<std::string> list_keys(const YAML::Node& root);

// A node as the user wrote it, one line, bounded length (for error messages).
std::string yaml_text(const YAML::Node& node);
// A YAML scalar as JSON: unquoted integers, floats and booleans as such, else a string.
nlohmann::json yaml_scalar_json(const YAML::Node& node);
nlohmann::json yaml_to_json(const YAML::Node& node);

// Removes and returns the `reproduce:` section of a config tree (undefined when absent): the
// paper experiments' section (experiments/reproduce.hpp), which every other command ignores.
YAML::Node take_reproduce_section(YAML::Node& root);

}  // namespace sih
