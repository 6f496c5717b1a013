#pragma once
// The run configuration. Every field is declared once, in the field table of config.cpp
// (name, type, default, rule, one-line doc); YAML parsing, validation, the resolved-config
// JSON and `sih config --describe` are all derived from that table.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sih/types.hpp"

namespace sih {

enum class ProbeFeatureScaling { kReference, kModel };

struct Config {
  // Keys of the authors' configs (docs/MODEL.md §7).
  std::string varying_param;  // sweeps only (bulk-losses)
  int L = 2;
  long n = 2000;
  long batch_size = 0;  // 0 in the table's default means "= n" (full batch)
  long n_test = 200;
  long batch_size_test = 200;  // accepted for compatibility; the val loss is a full mean
  long h = 1500;
  long d = 1000;
  double label_noise_std = 0.3;
  std::string optimizer = "adam";  // sgd | adam
  double momentum = 0;
  double weight_decay = 0;
  double lr = 1;
  std::string lr_scheduler_cls;  // "" (none) | StepLR
  long step_size = 1;            // lr_scheduler_kwargs.step_size
  double gamma = 0.1;            // lr_scheduler_kwargs.gamma
  double reg_lambda = 0.01;
  bool enable_weight_normalization = false;
  long num_epochs = 10;
  long probe_freq_steps = 10;
  bool lightweight = false;
  bool probe_weights = true;
  bool plot_overlaps = false;
  bool probe_features = true;
  bool fix_last_layer = true;
  bool enable_ww = false;
  long repeat = 1;  // sweeps only
  // sih's own keys.
  std::uint64_t seed = 0;
  Precision precision = Precision::kFloat32;
  int threads = 0;  // 0 = all cores
  ProbeFeatureScaling probe_feature_scaling = ProbeFeatureScaling::kReference;
  std::string init_from;  // folder of starting arrays ("" = generate)
  std::string out_dir = "out";
  bool save_weights = false;

  long steps_per_epoch() const { return (n + batch_size - 1) / batch_size; }
  long total_steps() const { return num_epochs * steps_per_epoch(); }
  // Learning rate used by the update that produces step t (t >= 1); StepLR stepped after
  // every optimizer step. lr_at(0) is the initial lr.
  double lr_at(long step) const;
};

// Which command is loading the config: decides whether lists are allowed and for which keys.
enum class ConfigUse { kRun, kBulkLr, kBulkLosses };

// Reads a YAML file into a node. InputError for: missing/unreadable/empty file, YAML syntax
// error (with line and column), a top level that is not a mapping.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_string(const std::string& text, const std::string& origin);

// Applies one `--set key=value` override: `key` may be dotted (lr_scheduler_kwargs.gamma),
// `value` is parsed as YAML (`[0.1, 1]` is a list). InputError on bad syntax.
void apply_override(YAML::Node& root, const std::string& assignment);

// Validates a node whose values are all scalars (sweeps substitute one list item per key
// before calling this) and returns the config. Unknown keys -> did-you-mean; a list where a
// scalar is needed -> names the sweep command that takes it; every rule of the table.
// `use` only changes the wording of list errors.
Config config_from_yaml(const YAML::Node& root, ConfigUse use = ConfigUse::kRun);

// Keys (dotted) whose value in `root` is a YAML sequence.
std::vector<std::string> list_keys(const YAML::Node& root);

// The resolved config as JSON (every field, defaults filled in), and its stable id: a hash
// of that JSON without the fields that cannot change results (threads, out_dir).
nlohmann::json config_to_json(const Config& config);
std::string config_id(const Config& config);
std::string stable_hash_hex(const std::string& text);
// Version of the random data generator (rng.cpp), part of every run id.
inline constexpr int kDataGeneratorVersion = 2;  // 16 hex digits, stable across builds

// Human-readable table of every field (name, type, default, rule, doc).
std::string describe_config_fields();

// Rough peak memory (bytes) a run with this config needs, and a check against the memory
// available on this machine: InputError with the figure when it cannot fit.
std::size_t estimate_run_memory_bytes(const Config& config);
void check_memory_fits(const Config& config);
// The same check against a given number of available bytes (what the one above reads from
// /proc/meminfo), so that the refusal can be tested independently of the machine.
void check_memory_fits(const Config& config, std::uint64_t available_bytes);

}  // namespace sih
