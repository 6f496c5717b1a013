#pragma once
// The config field table's row type, shared by the files that read it (config_fields.cpp
// holds the table itself, config_input.cpp validates YAML against it). Internal to src/.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sih/config/config_fields.hpp"
#include "sih/core/config.hpp"

namespace sih::config_table {

using json = nlohmann::json;

enum class Kind { kInt, kFloat, kBool, kString };
const char* kind_name(Kind kind);

// Rules compare against small bounds (0, 1, n), so long double is exact wherever it matters;
// values too large for any integer type arrive as JSON floats and still compare correctly.
inline long double as_number(const json& value) {
  if (value.is_number_unsigned()) return static_cast<long double>(value.get<std::uint64_t>());
  if (value.is_number_integer()) return static_cast<long double>(value.get<std::int64_t>());
  return static_cast<long double>(value.get<double>());
}

inline std::string join(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? separator : "") + words[i];
  return out;
}

// A rule as the docs print it and as a check. `violation` returns "" when the value obeys the
// rule, else the text that follows "<key>: <value>: " in the error. `config` already holds every
// field above this one in the table, which is what cross-field rules (batch_size <= n) rely on.
struct Rule {
  std::string text;
  std::function<std::string(const json& value, const Config& config)> violation;
};

// One row of the field table. Defaults are not repeated here: they are Config's member
// initialisers, read back through `get` for the docs, so the header stays the one source.
struct FieldSpec {
  std::string key;  // dotted for nested keys: lr_scheduler_kwargs.gamma
  Kind kind = Kind::kInt;
  Rule rule;
  std::string doc;
  std::function<void(Config&, const json&)> set;
  std::function<json(const Config&)> get;
  std::uint64_t int_max = 0;  // what the member's integer type can hold
  bool sweepable = true;
  StartEffect start = StartEffect::kActsAtStart;
  bool optional = false;  // null means "not given"; "" is reported as null
  bool in_id = true;      // false: cannot change results, so left out of config_id
  // true: in config_id only when it differs from the default. Keys added after configs were
  // run (issue 13) use it, so that a config that does not use them keeps its id.
  bool in_id_unless_default = false;
  std::string shown_default;
  // When the key acts at all (optimizer- or scheduler-specific keys); unset: always. A key the
  // user wrote that does not act in the resolved config is a warning, not an error: the same
  // file may serve several optimizers.
  struct Condition {
    std::string text;                              // "optimizer sgd, rmsprop"
    std::function<bool(const Config&)> holds;      // true: the key acts in this config
    std::function<std::string(const Config&)> in;  // what the config has instead: "optimizer adam"
    // The default means "off" (momentum 0, nesterov false): written at it, nothing is lost.
    bool off_at_default = false;
  };
  std::optional<Condition> acts_only;

  FieldSpec acts_only_with(Condition condition) && {
    acts_only = std::move(condition);
    return std::move(*this);
  }

  FieldSpec in_id_unless_default_value() && {
    in_id_unless_default = true;
    return std::move(*this);
  }

  FieldSpec changes_start() && {
    start = StartEffect::kChangesStart;
    return std::move(*this);
  }
  FieldSpec after_start() && {
    start = StartEffect::kAfterStart;
    return std::move(*this);
  }
  FieldSpec not_sweepable() && {
    sweepable = false;
    return std::move(*this);
  }
  FieldSpec may_be_null() && {
    optional = true;
    return std::move(*this);
  }
  FieldSpec not_in_id() && {
    in_id = false;
    return std::move(*this);
  }
  FieldSpec reported_as(std::function<json(const Config&)> getter, std::string default_text) && {
    get = std::move(getter);
    shown_default = std::move(default_text);
    return std::move(*this);
  }
};

// The table, in validation order, and lookups over it.
const std::vector<FieldSpec>& field_table();
const FieldSpec* find_field(const std::string& key);
// A key that holds a mapping of fields (lr_scheduler_kwargs), its children, and every key a
// user may write, parents included, in table order.
bool is_parent_key(const std::string& key);
std::vector<std::string> child_names(const std::string& parent);
std::vector<std::string> known_keys();
long resolved_batch_size(const Config& c);
// "unknown key 'x'" with the nearest known key when there is one (did you mean 'y'?).
std::string unknown_key_message(const std::string& key);

}  // namespace sih::config_table
