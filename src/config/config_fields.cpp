// The config field table: every key once, with its type, rule, doc and what it acts on; the
// resolved-config JSON, the run id and `sih config --describe` are derived from it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "config_table.hpp"
#include "sih/base/types.hpp"
#include "sih/config/dotted_key.hpp"
#include "sih/core/optim.hpp"
#include "sih/core/schedule.hpp"

namespace sih {
namespace config_table {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kBool:
      return "bool";
    case Kind::kString:
      return "string";
  }
  return "";
}

long resolved_batch_size(const Config& c) { return c.batch_size > 0 ? c.batch_size : c.n; }

namespace {

Rule no_rule() {
  return {"", [](const json&, const Config&) { return std::string(); }};
}

Rule greater_than(double bound) {
  std::string text = fmt::format("> {}", bound);
  return {text, [=](const json& v, const Config&) {
            return as_number(v) > bound ? std::string() : "must be " + text;
          }};
}

Rule at_least(double bound) {
  std::string text = fmt::format(">= {}", bound);
  return {text, [=](const json& v, const Config&) {
            return as_number(v) >= bound ? std::string() : "must be " + text;
          }};
}

// As at_least(low), and an upper bound with its own message.
Rule at_least_at_most(double low, double high) {
  std::string text = fmt::format(">= {} and <= {}", low, high);
  return {text, [=](const json& v, const Config&) {
            const long double x = as_number(v);
            if (x < low) return fmt::format("must be >= {}", low);
            return x <= high ? std::string() : fmt::format("must be <= {}", high);
          }};
}

Rule in_half_open(double low, double high) {
  std::string text = fmt::format("in [{}, {})", low, high);
  return {text, [=](const json& v, const Config&) {
            long double x = as_number(v);
            return x >= low && x < high ? std::string() : "must be " + text;
          }};
}

Rule one_of(std::vector<std::string> names) {
  std::string text = names.size() == 1 ? names[0] : "one of " + join(names, ", ");
  return {text, [=](const json& v, const Config&) {
            bool known = std::find(names.begin(), names.end(), v.get<std::string>()) != names.end();
            return known ? std::string() : "must be " + text;
          }};
}

Rule non_empty() {
  return {"non-empty", [](const json& v, const Config&) {
            return v.get<std::string>().empty() ? std::string("must not be empty") : std::string();
          }};
}

FieldSpec field(std::string key, Kind kind, Rule rule, std::string doc) {
  FieldSpec f;
  f.key = std::move(key);
  f.kind = kind;
  f.rule = std::move(rule);
  f.doc = std::move(doc);
  return f;
}

template <typename T>
FieldSpec integer(std::string key, T Config::*member, Rule rule, std::string doc) {
  FieldSpec f = field(std::move(key), Kind::kInt, std::move(rule), std::move(doc));
  f.set = [member](Config& c, const json& v) { c.*member = v.get<T>(); };
  f.get = [member](const Config& c) { return json(c.*member); };
  f.int_max = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  return f;
}

FieldSpec real(std::string key, double Config::*member, Rule rule, std::string doc) {
  FieldSpec f = field(std::move(key), Kind::kFloat, std::move(rule), std::move(doc));
  f.set = [member](Config& c, const json& v) { c.*member = v.get<double>(); };
  f.get = [member](const Config& c) { return json(c.*member); };
  return f;
}

FieldSpec boolean(std::string key, bool Config::*member, std::string doc, Rule rule = no_rule()) {
  FieldSpec f = field(std::move(key), Kind::kBool, std::move(rule), std::move(doc));
  f.set = [member](Config& c, const json& v) { c.*member = v.get<bool>(); };
  f.get = [member](const Config& c) { return json(c.*member); };
  return f;
}

FieldSpec text(std::string key, std::string Config::*member, Rule rule, std::string doc) {
  FieldSpec f = field(std::move(key), Kind::kString, std::move(rule), std::move(doc));
  f.set = [member](Config& c, const json& v) { c.*member = v.get<std::string>(); };
  f.get = [member](const Config& c) { return json(c.*member); };
  return f;
}

template <typename E>
FieldSpec choice(std::string key, E Config::*member, std::vector<std::pair<std::string, E>> names,
                 std::string doc) {
  std::vector<std::string> words;
  for (const auto& entry : names) words.push_back(entry.first);
  FieldSpec f = field(std::move(key), Kind::kString, one_of(words), std::move(doc));
  f.set = [member, names](Config& c, const json& v) {
    for (const auto& [word, value] : names) {
      if (word == v.get<std::string>()) c.*member = value;
    }
  };
  f.get = [member, names](const Config& c) {
    for (const auto& [word, value] : names) {
      if (c.*member == value) return json(word);
    }
    return json(nullptr);
  };
  return f;
}

Rule in_closed(double low, double high, bool open_low = false) {
  std::string text = fmt::format("in {}{}, {}]", open_low ? "(" : "[", low, high);
  return {text, [=](const json& v, const Config&) {
            const long double x = as_number(v);
            const bool above = open_low ? x > low : x >= low;
            return above && x <= high ? std::string() : "must be " + text;
          }};
}

// The key acts only with these optimizers.
FieldSpec::Condition with_optimizers(std::vector<OptimizerKind> kinds,
                                     bool off_at_default = false) {
  std::vector<std::string> words;
  for (OptimizerKind k : kinds) words.push_back(optimizer_name(k));
  return {"optimizer " + join(words, ", "),
          [kinds](const Config& c) {
            return std::find(kinds.begin(), kinds.end(), c.optimizer) != kinds.end();
          },
          [](const Config& c) { return "optimizer " + optimizer_name(c.optimizer); },
          off_at_default};
}

// The key acts only with these lr_scheduler_cls values.
FieldSpec::Condition with_schedules(std::vector<ScheduleKind> kinds) {
  auto name = [](ScheduleKind kind) {
    for (const auto& [word, k] : schedule_names())
      if (k == kind) return word;
    return std::string();
  };
  std::vector<std::string> words;
  for (ScheduleKind k : kinds) words.push_back(name(k));
  return {"lr_scheduler_cls " + join(words, ", "),
          [kinds](const Config& c) {
            return std::find(kinds.begin(), kinds.end(), c.lr_scheduler) != kinds.end();
          },
          [name](const Config& c) {
            return c.lr_scheduler == ScheduleKind::kNone
                       ? std::string("no lr_scheduler_cls")
                       : "lr_scheduler_cls " + name(c.lr_scheduler);
          },
          false};
}

}  // namespace

// The order is the validation order, so that a config with several problems always reports
// the same one; it follows Config's member order, keeping n ahead of batch_size.
const std::vector<FieldSpec>& field_table() {
  static const std::vector<FieldSpec> table = {
      text("varying_param", &Config::varying_param,
           one_of({"n", "label_noise_std", "reg_lambda", "gamma"}),
           "bulk-losses: the key whose value is a list")
          .may_be_null()
          .after_start()
          .not_sweepable(),
      integer("L", &Config::L,
              Rule{"= 2",
                   [](const json& v, const Config&) {
                     return as_number(v) == 2
                                ? std::string()
                                : std::string("only L = 2 (a two-layer student) is supported");
                   }},
              "number of layers of the student")
          .not_sweepable(),
      integer("n", &Config::n, greater_than(0), "train samples (also the probe set size)")
          .changes_start(),
      integer("batch_size", &Config::batch_size,
              Rule{"in [1, n]",
                   [](const json& v, const Config& c) {
                     if (as_number(v) < 1) return std::string("must be >= 1");
                     if (as_number(v) > c.n) return fmt::format("must be <= n ({})", c.n);
                     return std::string();
                   }},
              "train samples per optimizer step")
          .reported_as([](const Config& c) { return json(resolved_batch_size(c)); }, "n")
          .after_start(),
      integer("n_test", &Config::n_test, greater_than(0), "test samples").changes_start(),
      integer("batch_size_test", &Config::batch_size_test, greater_than(0),
              "accepted for compatibility; the val loss is a full mean")
          .after_start()
          .not_sweepable(),
      integer("h", &Config::h, greater_than(0), "hidden units").changes_start(),
      integer("d", &Config::d, greater_than(0), "input dimension").changes_start(),
      real("label_noise_std", &Config::label_noise_std, at_least(0),
           "standard deviation of the label noise")
          .changes_start(),
      choice("optimizer", &Config::optimizer, optimizer_names(),
             "PyTorch semantics (torch.optim SGD, Adam, AdamW, RMSprop; signgd: theta -= lr "
             "sign(g)); sgd with batch_size = n is full-batch GD")
          .after_start(),
      real("momentum", &Config::momentum, in_half_open(0, 1), "sgd and rmsprop momentum")
          .after_start()
          .acts_only_with(with_optimizers({OptimizerKind::kSgd, OptimizerKind::kRmsprop}, true)),
      boolean("nesterov", &Config::nesterov, "sgd: Nesterov momentum",
              Rule{"needs momentum > 0",
                   [](const json& v, const Config& c) {
                     return v.get<bool>() && c.momentum <= 0
                                ? std::string("needs momentum > 0 (as torch.optim.SGD)")
                                : std::string();
                   }})
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_optimizers({OptimizerKind::kSgd}, true)),
      real("weight_decay", &Config::weight_decay, at_least(0),
           "L2 term added to the gradient; adamw: decoupled, theta *= 1 - lr weight_decay")
          .after_start(),
      real("adam_betas.beta1", &Config::adam_beta1, in_half_open(0, 1),
           "adam, adamw: first-moment decay (torch betas[0])")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_optimizers({OptimizerKind::kAdam, OptimizerKind::kAdamW})),
      real("adam_betas.beta2", &Config::adam_beta2, in_half_open(0, 1),
           "adam, adamw: second-moment decay (torch betas[1])")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_optimizers({OptimizerKind::kAdam, OptimizerKind::kAdamW})),
      real("adam_eps", &Config::adam_eps, at_least(0), "adam, adamw: eps of the denominator")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_optimizers({OptimizerKind::kAdam, OptimizerKind::kAdamW})),
      real("rmsprop_alpha", &Config::rmsprop_alpha, in_half_open(0, 1),
           "rmsprop: smoothing constant of the squared-gradient average")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_optimizers({OptimizerKind::kRmsprop})),
      real("rmsprop_eps", &Config::rmsprop_eps, at_least(0), "rmsprop: eps of the denominator")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_optimizers({OptimizerKind::kRmsprop})),
      real("lr", &Config::lr, greater_than(0), "learning rate").after_start(),
      choice("lr_scheduler_cls", &Config::lr_scheduler, schedule_names(),
             "torch.optim.lr_scheduler class, stepped after every update; absent: constant lr")
          .may_be_null()
          .after_start(),
      integer("lr_scheduler_kwargs.step_size", &Config::step_size, greater_than(0),
              "StepLR: steps between lr decays")
          .after_start()
          .acts_only_with(with_schedules({ScheduleKind::kStepLR})),
      real("lr_scheduler_kwargs.gamma", &Config::gamma, greater_than(0),
           "StepLR: factor applied at each decay; ExponentialLR: at every step")
          .after_start()
          .acts_only_with(with_schedules({ScheduleKind::kStepLR, ScheduleKind::kExponentialLR})),
      integer("lr_scheduler_kwargs.T_max", &Config::T_max, at_least(0),
              "CosineAnnealingLR: steps of a half period; 0: the run's total steps")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_schedules({ScheduleKind::kCosineAnnealingLR})),
      real("lr_scheduler_kwargs.eta_min", &Config::eta_min, at_least(0),
           "CosineAnnealingLR: lowest lr")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_schedules({ScheduleKind::kCosineAnnealingLR})),
      real("lr_scheduler_kwargs.start_factor", &Config::start_factor, in_closed(0, 1, true),
           "LinearLR: lr factor at step 0")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_schedules({ScheduleKind::kLinearLR})),
      real("lr_scheduler_kwargs.end_factor", &Config::end_factor, in_closed(0, 1),
           "LinearLR: lr factor from total_iters on")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_schedules({ScheduleKind::kLinearLR})),
      integer("lr_scheduler_kwargs.total_iters", &Config::total_iters, greater_than(0),
              "LinearLR: steps of the ramp")
          .after_start()
          .in_id_unless_default_value()
          .acts_only_with(with_schedules({ScheduleKind::kLinearLR})),
      real("reg_lambda", &Config::reg_lambda, at_least(0), "ridge penalty of the read-out refit"),
      boolean("enable_weight_normalization", &Config::enable_weight_normalization,
              "rescale W to ||W||_F = sqrt(h d) before every step")
          .after_start(),
      integer("num_epochs", &Config::num_epochs,
              Rule{"> 0",
                   [](const json& v, const Config& c) {
                     if (as_number(v) <= 0) return std::string("must be > 0");
                     // Step counters are long: keep num_epochs * steps_per_epoch in range.
                     long batch = resolved_batch_size(c);
                     long per_epoch = c.n / batch + (c.n % batch != 0);
                     long most = std::numeric_limits<long>::max() / per_epoch;
                     return as_number(v) <= most ? std::string()
                                                 : fmt::format("must be <= {} ({} steps per epoch)",
                                                               most, per_epoch);
                   }},
              "passes over the train set")
          .after_start(),
      integer("probe_freq_steps", &Config::probe_freq_steps, greater_than(0),
              "steps between checkpoints (plus step 0 and the last step)")
          .after_start(),
      boolean("lightweight", &Config::lightweight, "skip the full spectrum data at checkpoints"),
      boolean("probe_weights", &Config::probe_weights, "alignment and spectra of W at checkpoints"),
      boolean("plot_overlaps", &Config::plot_overlaps,
              "singular-vector overlaps of consecutive W checkpoints"),
      boolean("probe_features", &Config::probe_features, "kernel-target alignment at checkpoints"),
      boolean("fix_last_layer", &Config::fix_last_layer,
              "train W only; losses from a ridge refit of the read-out. false: the read-out "
              "(and b) trained with W by the same optimizer"),
      choice("activation", &Config::activation, activation_names(),
             "student activation (gelu: the erf form, torch's default); the probe features "
             "use it too")
          .in_id_unless_default_value(),
      choice("teacher", &Config::teacher, teacher_link_names(),
             "teacher link g in y = g(<x, beta>) + label noise (he2 = z^2 - 1, he3 = z^3 - 3z)")
          .changes_start()
          .in_id_unless_default_value(),
      boolean("bias", &Config::bias,
              "hidden-layer biases: (W x + b) / sqrt(d), torch's Linear(bias=True); drawn as "
              "its default U(-1/sqrt(d), 1/sqrt(d)); init_from: b0")
          .changes_start()
          .in_id_unless_default_value(),
      boolean("enable_ww", &Config::enable_ww,
              "weightwatcher's metrics of W at checkpoints (alpha_weighted, log norms, entropy, "
              "num_pl_spikes)"),
      integer("repeat", &Config::repeat, greater_than(0), "sweeps: repeats averaged per point")
          .after_start()
          .not_sweepable(),
      integer("seed", &Config::seed, at_least(0), "random seed; same config and seed, same numbers")
          .after_start()
          .not_sweepable(),
      choice("precision", &Config::precision,
             {{"float32", Precision::kFloat32}, {"float64", Precision::kFloat64}},
             "floating-point type of the computation"),
      integer("threads", &Config::threads, at_least_at_most(0, kMaxThreads),
              "worker threads; 0: the CPUs sih may use (affinity, cgroup quota)")
          .not_in_id()
          .not_sweepable(),
      choice(
          "probe_feature_scaling", &Config::probe_feature_scaling,
          {{"reference", ProbeFeatureScaling::kReference}, {"model", ProbeFeatureScaling::kModel}},
          "probe features tanh(XW^T/d) (as the reference) or tanh(XW^T/sqrt(d))"),
      text("init_from", &Config::init_from, no_rule(),
           "folder of starting arrays; absent: generate them")
          .may_be_null()
          .not_sweepable(),
      text("out_dir", &Config::out_dir, non_empty(), "where results are written")
          .not_in_id()
          .not_sweepable(),
      boolean("save_weights", &Config::save_weights, "write W at every checkpoint").not_sweepable(),
      integer("pl_bootstrap", &Config::pl_bootstrap, at_least(0),
              "bootstrap samples of the power law's goodness-of-fit p-value per checkpoint; 0: off")
          .in_id_unless_default_value(),
      boolean("features_spectrum", &Config::features_spectrum,
              "the ESD of the probe features' Gram matrix at checkpoints (features_* columns; "
              "~1.8 training steps per checkpoint at h=1500)")
          .in_id_unless_default_value(),
  };
  return table;
}

const FieldSpec* find_field(const std::string& key) {
  for (const FieldSpec& f : field_table()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

// A key that holds a mapping of fields (lr_scheduler_kwargs).
bool is_parent_key(const std::string& key) {
  for (const FieldSpec& f : field_table()) {
    if (f.key.size() > key.size() && f.key.compare(0, key.size(), key) == 0 &&
        f.key[key.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::vector<std::string> child_names(const std::string& parent) {
  std::vector<std::string> names;
  for (const FieldSpec& f : field_table()) {
    if (f.key.compare(0, parent.size() + 1, parent + ".") == 0) {
      names.push_back(f.key.substr(parent.size() + 1));
    }
  }
  return names;
}

// Every key a user may write, parents included, in table order.
std::vector<std::string> known_keys() {
  std::vector<std::string> keys;
  for (const FieldSpec& f : field_table()) {
    const std::vector<std::string> parts = key_parts(f.key);
    if (parts.size() > 1 && std::find(keys.begin(), keys.end(), parts.front()) == keys.end()) {
      keys.push_back(parts.front());
    }
    keys.push_back(f.key);
  }
  return keys;
}
}  // namespace config_table

using namespace config_table;

const std::vector<ConfigFieldInfo>& config_fields() {
  static const std::vector<ConfigFieldInfo> fields = [] {
    std::vector<ConfigFieldInfo> out;
    for (const FieldSpec& f : field_table())
      out.push_back({f.key, kind_name(f.kind), f.sweepable, f.start, f.in_id});
    return out;
  }();
  return fields;
}

const ConfigFieldInfo* find_config_field(const std::string& key) {
  for (const ConfigFieldInfo& f : config_fields())
    if (f.key == key) return &f;
  return nullptr;
}

nlohmann::json config_to_json(const Config& config) {
  json out = json::object();
  for (const FieldSpec& f : field_table()) {
    json value = f.get(config);
    if (f.optional && value.is_string() && value.get<std::string>().empty()) value = nullptr;
    json_set(out, f.key, std::move(value));
  }
  return out;
}

void StableHash::update(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint64_t hash = hash_;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  hash_ = hash;
}

std::string StableHash::hex() const { return fmt::format("{:016x}", hash_); }

std::string stable_hash_hex(const std::string& text) {
  StableHash hash;
  hash.update(text);
  return hash.hex();
}

std::string config_id(const Config& config) {
  json resolved = config_to_json(config);
  const Config defaults;
  for (const FieldSpec& f : field_table()) {
    if (!f.in_id || (f.in_id_unless_default && f.get(config) == f.get(defaults))) {
      json_erase(resolved, f.key);
      // A parent left empty (adam_betas at its defaults) goes too: it was not in older ids.
      const std::vector<std::string> parts = key_parts(f.key);
      if (parts.size() > 1) {
        auto it = resolved.find(parts.front());
        if (it != resolved.end() && it->is_object() && it->empty()) resolved.erase(it);
      }
    }
  }
  // The same config and seed give other data once the generator changes, so the generator's
  // version is part of the id: resume never mixes old and new runs (1 = Marsaglia polar,
  // 2 = ziggurat).
  resolved["data_generator"] = kDataGeneratorVersion;
  return stable_hash_hex(resolved.dump(-1, ' ', false, json::error_handler_t::replace));
}

namespace {

std::string shown_default(const FieldSpec& f) {
  if (!f.shown_default.empty()) return f.shown_default;
  const json value = f.get(Config{});
  if (value.is_null() || (value.is_string() && value.get<std::string>().empty())) return "none";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string shown_rule(const FieldSpec& f) {
  std::string rule = f.rule.text;
  if (f.optional && !rule.empty()) rule += ", or absent";
  return rule;
}

std::string describe_one(const FieldSpec& f) {
  std::vector<std::string> flags;
  flags.push_back(f.sweepable ? "sweepable" : "not sweepable");
  flags.push_back(
      f.start == StartEffect::kChangesStart ? "changes the start (teacher, student, data)"
      : f.start == StartEffect::kAfterStart ? "acts after the start (from the first update)"
                                            : "acts at the start (step-0 checkpoint)");
  if (!f.in_id)
    flags.push_back("not in the run id");
  else if (f.in_id_unless_default)
    flags.push_back("in the run id unless at its default");
  else
    flags.push_back("in the run id");
  if (f.optional) flags.push_back("may be absent");
  std::string out = fmt::format("key:      {}\ntype:     {}\ndefault:  {}\n", f.key,
                                kind_name(f.kind), shown_default(f));
  const std::string rule = shown_rule(f);
  out += fmt::format("rule:     {}\n", rule.empty() ? "none" : rule);
  out += fmt::format("doc:      {}\n", f.doc);
  if (f.acts_only)
    out += fmt::format("acts:     only with {} (a warning otherwise)\n", f.acts_only->text);
  out += fmt::format("flags:    {}\n", join(flags, "; "));
  return out;
}

}  // namespace

std::string describe_config_field(const std::string& key) {
  if (const FieldSpec* f = find_field(key)) return describe_one(*f);
  if (is_parent_key(key)) {
    std::string out;
    for (const std::string& child : child_names(key))
      out += (out.empty() ? "" : "\n") + describe_one(*find_field(key + "." + child));
    return out;
  }
  throw InputError(unknown_key_message(key));
}

std::string describe_config_fields() {
  std::vector<std::array<std::string, 5>> rows = {
      {"key", "type", "default", "rule", "description"}};
  for (const FieldSpec& f : field_table()) {
    const std::string shown = shown_default(f);
    const std::string rule = shown_rule(f);
    std::string doc = f.doc;
    if (!f.sweepable) doc += " [not sweepable]";
    if (f.acts_only) doc += " [acts only with " + f.acts_only->text + "]";
    rows.push_back({f.key, kind_name(f.kind), shown, rule, doc});
  }
  std::array<std::size_t, 4> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < width.size(); ++c) {
      line += fmt::format("{:<{}}  ", row[c], width[c]);
    }
    line += row[4];
    out += line + "\n";
  }
  return out;
}
json config_start_json(const Config& config) {
  json resolved = config_to_json(config);
  for (const FieldSpec& f : field_table())
    if (!f.in_id || f.start == StartEffect::kAfterStart) json_erase(resolved, f.key);
  return resolved;
}

}  // namespace sih
