#pragma once
// What the field table knows about each config key, for the code that needs it by key (the
// sweep engine, start sharing, the docs), and the JSON forms of a Config.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sih/core/config.hpp"

namespace sih {

// How a key relates to a run's initial state (teacher, student, data) and its step-0
// checkpoint. Sweeps derive both start sharing and seeding from it:
//  - kChangesStart: the key shapes the teacher, student or data (n, d, h, label noise);
//    a sweep gives each of its values a fresh start (seeds from the value).
//  - kActsAtStart: same teacher, student and data, but the step-0 checkpoint depends on it
//    (reg_lambda, precision, probe switches); runs differing in it do not share step 0.
//  - kAfterStart: acts only from the first update on (optimizer, lr, schedule, steps);
//    runs differing only in such keys share the start and its step-0 checkpoint.
enum class StartEffect { kChangesStart, kActsAtStart, kAfterStart };

struct ConfigFieldInfo {
  std::string key;   // dotted for nested keys: lr_scheduler_kwargs.gamma
  std::string type;  // int | float | bool | string
  bool sweepable = true;
  StartEffect start = StartEffect::kActsAtStart;
  bool in_id = true;  // false: cannot change results (threads, out_dir)
};

// Every field, in table order.
const std::vector<ConfigFieldInfo>& config_fields();
const ConfigFieldInfo* find_config_field(const std::string& key);  // nullptr if unknown

// The resolved config as JSON (every field, defaults filled in), and its stable id: a hash
// of that JSON without the fields that cannot change results (threads, out_dir).
nlohmann::json config_to_json(const Config& config);
std::string config_id(const Config& config);
std::string stable_hash_hex(const std::string& text);
// The same hash (FNV-1a 64) fed in pieces, for inputs too large to hold at once: feeding
// "ab" then "c" gives stable_hash_hex("abc").
class StableHash {
 public:
  void update(const void* data, std::size_t size);
  void update(const std::string& text) { update(text.data(), text.size()); }
  std::string hex() const;

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
};
// The part of the resolved config that determines a run's start and step-0 checkpoint
// (every field but the kAfterStart ones and those outside the id).
nlohmann::json config_start_json(const Config& config);

// Human-readable table of every field (name, type, default, rule, doc).
std::string describe_config_fields();
// One key: type, default, rule, doc, when it acts, flags (sweepable, start effect, run id). A
// parent key (lr_scheduler_kwargs) describes each of its children. InputError for an unknown
// key, with the nearest known one as config input gives it.
std::string describe_config_field(const std::string& key);

}  // namespace sih
