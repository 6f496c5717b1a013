#include "sih/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace sih {
namespace {

using json = nlohmann::json;

enum class Kind { kInt, kFloat, kBool, kString };

// The sweep command that may be given a list for a key.
enum class Sweep { kNone, kBulkLr, kBulkLosses };

const char* sweep_command(Sweep sweep) {
  switch (sweep) {
    case Sweep::kBulkLr:
      return "sih bulk-lr";
    case Sweep::kBulkLosses:
      return "sih bulk-losses";
    case Sweep::kNone:
      break;
  }
  return "";
}

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

// Rules compare against small bounds (0, 1, n), so long double is exact wherever it matters;
// values too large for any integer type arrive as JSON floats and still compare correctly.
long double as_number(const json& value) {
  if (value.is_number_unsigned()) return static_cast<long double>(value.get<std::uint64_t>());
  if (value.is_number_integer()) return static_cast<long double>(value.get<std::int64_t>());
  return static_cast<long double>(value.get<double>());
}

std::string join(const std::vector<std::string>& words, const char* separator) {
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
  Sweep sweep = Sweep::kNone;
  bool optional = false;  // null means "not given"; "" is reported as null
  bool in_id = true;      // false: cannot change results, so left out of config_id
  std::string shown_default;

  FieldSpec swept_by(Sweep command) && {
    sweep = command;
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

long resolved_batch_size(const Config& c) { return c.batch_size > 0 ? c.batch_size : c.n; }

// The order is the validation order, so that a config with several problems always reports
// the same one; it follows Config's member order, keeping n ahead of batch_size.
const std::vector<FieldSpec>& field_table() {
  static const std::vector<FieldSpec> table = {
      text("varying_param", &Config::varying_param,
           one_of({"n", "label_noise_std", "reg_lambda", "gamma"}),
           "bulk-losses: the key whose value is a list")
          .may_be_null(),
      integer("L", &Config::L,
              Rule{"= 2",
                   [](const json& v, const Config&) {
                     return as_number(v) == 2
                                ? std::string()
                                : std::string("only L = 2 (a two-layer student) is supported");
                   }},
              "number of layers of the student"),
      integer("n", &Config::n, greater_than(0), "train samples (also the probe set size)")
          .swept_by(Sweep::kBulkLosses),
      integer("batch_size", &Config::batch_size,
              Rule{"in [1, n]",
                   [](const json& v, const Config& c) {
                     if (as_number(v) < 1) return std::string("must be >= 1");
                     if (as_number(v) > c.n) return fmt::format("must be <= n ({})", c.n);
                     return std::string();
                   }},
              "train samples per optimizer step")
          .reported_as([](const Config& c) { return json(resolved_batch_size(c)); }, "n"),
      integer("n_test", &Config::n_test, greater_than(0), "test samples"),
      integer("batch_size_test", &Config::batch_size_test, greater_than(0),
              "accepted for compatibility; the val loss is a full mean"),
      integer("h", &Config::h, greater_than(0), "hidden units"),
      integer("d", &Config::d, greater_than(0), "input dimension"),
      real("label_noise_std", &Config::label_noise_std, at_least(0),
           "standard deviation of the label noise")
          .swept_by(Sweep::kBulkLosses),
      text("optimizer", &Config::optimizer, one_of({"sgd", "adam"}),
           "PyTorch semantics; sgd with batch_size = n is full-batch GD")
          .swept_by(Sweep::kBulkLr),
      real("momentum", &Config::momentum, in_half_open(0, 1), "sgd momentum"),
      real("weight_decay", &Config::weight_decay, at_least(0), "L2 term added to the gradient"),
      real("lr", &Config::lr, greater_than(0), "learning rate").swept_by(Sweep::kBulkLr),
      text("lr_scheduler_cls", &Config::lr_scheduler_cls, one_of({"StepLR"}),
           "learning-rate schedule; absent: constant lr")
          .may_be_null(),
      integer("lr_scheduler_kwargs.step_size", &Config::step_size, greater_than(0),
              "StepLR: steps between lr decays"),
      real("lr_scheduler_kwargs.gamma", &Config::gamma, greater_than(0),
           "StepLR: factor applied at each decay")
          .swept_by(Sweep::kBulkLosses),
      real("reg_lambda", &Config::reg_lambda, at_least(0), "ridge penalty of the read-out refit")
          .swept_by(Sweep::kBulkLosses),
      boolean("enable_weight_normalization", &Config::enable_weight_normalization,
              "rescale W to ||W||_F = sqrt(h d) before every step"),
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
              "passes over the train set"),
      integer("probe_freq_steps", &Config::probe_freq_steps, greater_than(0),
              "steps between checkpoints (plus one at step 0)"),
      boolean("lightweight", &Config::lightweight, "skip the full spectrum data at checkpoints"),
      boolean("probe_weights", &Config::probe_weights, "alignment and spectra of W at checkpoints"),
      boolean("plot_overlaps", &Config::plot_overlaps,
              "singular-vector overlaps of consecutive W checkpoints"),
      boolean("probe_features", &Config::probe_features, "kernel-target alignment at checkpoints"),
      boolean("fix_last_layer", &Config::fix_last_layer,
              "train W only; losses from a ridge refit of the read-out"),
      boolean("enable_ww", &Config::enable_ww, "WeightWatcher analysis (not available)",
              Rule{"false",
                   [](const json& v, const Config&) {
                     return v.get<bool>() ? std::string(
                                                "WeightWatcher analysis is not available in sih "
                                                "(set false)")
                                          : std::string();
                   }}),
      integer("repeat", &Config::repeat, greater_than(0), "sweeps: repeats averaged per point"),
      integer("seed", &Config::seed, at_least(0),
              "random seed; same config and seed, same numbers"),
      choice("precision", &Config::precision,
             {{"float32", Precision::kFloat32}, {"float64", Precision::kFloat64}},
             "floating-point type of the computation"),
      integer("threads", &Config::threads, at_least(0), "worker threads; 0: all cores").not_in_id(),
      choice(
          "probe_feature_scaling", &Config::probe_feature_scaling,
          {{"reference", ProbeFeatureScaling::kReference}, {"model", ProbeFeatureScaling::kModel}},
          "probe features tanh(XW^T/d) (as the reference) or tanh(XW^T/sqrt(d))"),
      text("init_from", &Config::init_from, no_rule(),
           "folder of starting arrays; absent: generate them")
          .may_be_null(),
      text("out_dir", &Config::out_dir, non_empty(), "where results are written").not_in_id(),
      boolean("save_weights", &Config::save_weights, "write W at every checkpoint"),
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
    std::size_t dot = f.key.find('.');
    if (dot != std::string::npos) {
      std::string parent = f.key.substr(0, dot);
      if (std::find(keys.begin(), keys.end(), parent) == keys.end()) keys.push_back(parent);
    }
    keys.push_back(f.key);
  }
  return keys;
}

// ---- Showing values as the user wrote them -------------------------------------------------

// Error messages are one line: control characters are escaped.
void append_escaped(std::string& out, const std::string& s) {
  for (unsigned char ch : s) {
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch < 0x20 || ch == 0x7f) {
      out += fmt::format("\\x{:02x}", ch);
    } else {
      out += static_cast<char>(ch);
    }
  }
}

bool is_quoted(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

// Bounded in depth and length: the node may be huge, deeply nested or (through aliases)
// cyclic.
void render_into(std::string& out, const YAML::Node& node, bool quote, int depth) {
  constexpr std::size_t kMaxLength = 120;
  if (out.size() > kMaxLength) return;
  if (depth > 4) {
    out += "...";
    return;
  }
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      bool q = quote || is_quoted(node);
      if (q) out += '\'';
      append_escaped(out, node.Scalar());
      if (q) out += '\'';
      break;
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const YAML::Node& item : node) {
        if (out.size() > kMaxLength) break;
        if (!first) out += ", ";
        first = false;
        render_into(out, item, false, depth + 1);
      }
      out += ']';
      break;
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& entry : node) {
        if (out.size() > kMaxLength) break;
        if (!first) out += ", ";
        first = false;
        render_into(out, entry.first, false, depth + 1);
        out += ": ";
        render_into(out, entry.second, false, depth + 1);
      }
      out += '}';
      break;
    }
    default:
      out += "null";
  }
}

std::string render(const YAML::Node& node, bool quote = false) {
  std::string out;
  render_into(out, node, quote, 0);
  if (out.size() > 120) out = out.substr(0, 117) + "...";
  return out;
}

std::string key_text(const YAML::Node& key) {
  if (key.IsScalar()) {
    std::string out;
    append_escaped(out, key.Scalar());
    return out;
  }
  return render(key);
}

[[noreturn]] void fail(const std::string& key, const YAML::Node& node, const std::string& why,
                       bool quote = false) {
  throw InputError(fmt::format("{}: {}: {}", key, render(node, quote), why));
}

// ---- Unknown keys ----------------------------------------------------------------------------

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t levenshtein(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string last_part(const std::string& key) {
  std::size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::vector<std::string> words_of(const std::string& key) {
  std::vector<std::string> words;
  std::stringstream in(key);
  for (std::string word; std::getline(in, word, '_');) {
    if (!word.empty()) words.push_back(word);
  }
  return words;
}

std::string initials(const std::string& key) {
  std::string out;
  for (const std::string& word : words_of(key)) out += word[0];
  return out;
}

// Nearest known key: a small edit distance first (typos), then an abbreviation
// (learning_rate -> lr), then a shared word (epochs -> num_epochs). Comparing last parts too
// finds a nested key written at the wrong level (gamma -> lr_scheduler_kwargs.gamma).
std::string suggestion(const std::string& unknown) {
  const std::string key = lower(unknown);
  const std::string tail = last_part(key);
  const std::vector<std::string> candidates = known_keys();
  const std::size_t limit = std::max<std::size_t>(2, tail.size() / 3);
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string& candidate : candidates) {
    const std::string c = lower(candidate);
    std::size_t distance = std::min(levenshtein(key, c), levenshtein(tail, last_part(c)));
    // Not a suggestion when every letter had to change (x -> L).
    bool plausible = distance < std::max(tail.size(), last_part(c).size());
    if (distance <= limit && plausible && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best.empty()) return best;
  for (const std::string& candidate : candidates) {
    const std::string c = lower(last_part(candidate));
    if (c.size() > 1 && (initials(tail) == c || initials(c) == tail)) return candidate;
  }
  for (const std::string& candidate : candidates) {
    const std::string c = lower(last_part(candidate));
    const std::vector<std::string> key_words = words_of(tail);
    const std::vector<std::string> candidate_words = words_of(c);
    bool shared =
        std::find(key_words.begin(), key_words.end(), c) != key_words.end() ||
        std::find(candidate_words.begin(), candidate_words.end(), tail) != candidate_words.end();
    if (shared) return candidate;
  }
  return "";
}

[[noreturn]] void fail_unknown_key(const std::string& key) {
  std::string near = suggestion(key);
  if (near.empty()) throw InputError(fmt::format("unknown key '{}'", key));
  throw InputError(fmt::format("unknown key '{}' (did you mean '{}'?)", key, near));
}

// ---- Scalars -----------------------------------------------------------------------------------

bool all_digits(const std::string& s, std::size_t from, std::size_t to) {
  if (from >= to) return false;
  for (std::size_t i = from; i < to; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// A decimal integer literal; exponents and fractions (1e3, 2000.0) are refused so that a
// size is never silently rounded. Magnitudes past uint64 become a float that fails the
// range check.
bool parse_integer(const std::string& s, json& out) {
  std::size_t start = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (!all_digits(s, start, s.size())) return false;
  bool negative = s[0] == '-';
  std::uint64_t magnitude = 0;
  auto [end, error] = std::from_chars(s.data() + start, s.data() + s.size(), magnitude);
  if (error == std::errc::result_out_of_range) {
    double huge = std::numeric_limits<double>::max();
    out = negative ? -huge : huge;
  } else if (end != s.data() + s.size()) {
    return false;
  } else if (!negative) {
    if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      out = static_cast<std::int64_t>(magnitude);
    } else {
      out = magnitude;
    }
  } else if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = -static_cast<std::int64_t>(magnitude);
  } else {
    out = -static_cast<double>(magnitude);
  }
  return true;
}

// The YAML spellings of non-finite numbers and the C ones, which strtod would accept.
bool names_non_finite(const std::string& s) {
  std::string t = lower(s);
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) t = t.substr(1);
  return t == ".inf" || t == ".nan" || t == "inf" || t == "nan" || t == "infinity";
}

// Decimal syntax is checked here (no hex floats, no "inf"); from_chars ignores the locale.
enum class RealParse { kOk, kNotANumber, kNotFinite };
RealParse parse_real(const std::string& s, double& out) {
  if (names_non_finite(s)) return RealParse::kNotFinite;
  const bool negative = !s.empty() && s[0] == '-';
  std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  const std::size_t mantissa_start = i;
  // Decimal order of the leading significant digit, to tell overflow from underflow.
  long order = 0;
  bool significant = false;
  std::size_t digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    significant = significant || s[i] != '0';
    if (significant) ++order;
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (!significant && s[i] == '0') --order;
      significant = significant || s[i] != '0';
    }
  }
  if (digits == 0) return RealParse::kNotANumber;
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    const std::size_t exponent_start = i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!all_digits(s, i, s.size())) return RealParse::kNotANumber;
    std::string exponent_text = s.substr(exponent_start + (s[exponent_start] == '+'));
    auto parsed = std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(),
                                  exponent);
    if (parsed.ec == std::errc::result_out_of_range) {
      exponent = exponent_text[0] == '-' ? -100000 : 100000;
    }
    i = s.size();
  }
  if (i != s.size()) return RealParse::kNotANumber;
  // from_chars takes no '+', and not every library takes ".5".
  std::string canonical = s.substr(mantissa_start, i - mantissa_start);
  if (canonical[0] == '.') canonical.insert(0, "0");
  double value = 0;
  auto [end, error] = std::from_chars(canonical.data(), canonical.data() + canonical.size(), value);
  if (end != canonical.data() + canonical.size()) return RealParse::kNotANumber;
  if (error == std::errc::result_out_of_range) {
    // Underflow is 0, for the range rules to judge; overflow is not finite.
    if (order + exponent > 0) return RealParse::kNotFinite;
    value = 0;
  }
  if (!std::isfinite(value)) return RealParse::kNotFinite;
  // -0 would print as -0.0 and give the config another id than 0.
  out = negative && value != 0 ? -value : value;
  return RealParse::kOk;
}

// Well-formed UTF-8 as nlohmann::json checks it on dump: no overlong forms, no surrogates.
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char lead = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (lead < 0x80) {
      extra = 0;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      extra = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      extra = 2;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      extra = 3;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (next < low || next > high) : (next & 0xc0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string list_message(const FieldSpec& f, ConfigUse use) {
  if (f.sweep == Sweep::kNone) return "must be a single value";
  Sweep running = use == ConfigUse::kBulkLr       ? Sweep::kBulkLr
                  : use == ConfigUse::kBulkLosses ? Sweep::kBulkLosses
                                                  : Sweep::kNone;
  if (f.sweep != running) {
    return fmt::format("a list is only allowed in a sweep; use '{}'", sweep_command(f.sweep));
  }
  if (running == Sweep::kBulkLosses) {
    return "a list is only allowed for the key named by varying_param";
  }
  return "must be a single value";
}

// The value as JSON of the field's kind, or InputError naming what the kind requires.
json parse_value(const FieldSpec& f, const YAML::Node& node, ConfigUse use) {
  bool quote = f.kind == Kind::kString;
  if (node.IsSequence()) fail(f.key, node, list_message(f, use), quote);
  if (node.IsMap()) fail(f.key, node, "must be a single value", quote);
  const char* expected = f.kind == Kind::kInt     ? "must be an integer"
                         : f.kind == Kind::kFloat ? "must be a number"
                         : f.kind == Kind::kBool  ? "must be true or false"
                                                  : "must be a string";
  if (!node.IsScalar()) fail(f.key, node, expected, quote);
  const std::string& s = node.Scalar();
  // Quoted text is a string in YAML ('1' is not a number), as in the reference's loader.
  if (f.kind != Kind::kString && is_quoted(node)) fail(f.key, node, expected);
  json value;
  switch (f.kind) {
    case Kind::kInt: {
      if (!parse_integer(s, value)) fail(f.key, node, expected);
      // PyYAML, which loads the reference's configs, reads 010 as octal 8.
      std::size_t first_digit = s[0] == '+' || s[0] == '-' ? 1 : 0;
      if (s.size() > first_digit + 1 && s[first_digit] == '0') {
        fail(f.key, node, "must be written without leading zeros (YAML 1.1 reads them as octal)");
      }
      break;
    }
    case Kind::kFloat: {
      double x = 0;
      RealParse result = parse_real(s, x);
      if (result == RealParse::kNotFinite) fail(f.key, node, "must be a finite number");
      if (result != RealParse::kOk) fail(f.key, node, expected);
      value = x;
      break;
    }
    case Kind::kBool: {
      bool b = false;
      if (!YAML::convert<bool>::decode(node, b)) fail(f.key, node, expected);
      value = b;
      break;
    }
    case Kind::kString:
      // JSON output and file names need text.
      if (!valid_utf8(s)) fail(f.key, node, "must be UTF-8 text", quote);
      value = s;
      break;
  }
  return value;
}

// Dotted key -> value node, checking that every key is known and given once.
std::map<std::string, YAML::Node> collect_entries(const YAML::Node& root) {
  std::map<std::string, YAML::Node> entries;
  if (!root.IsDefined() || root.IsNull()) return entries;
  if (!root.IsMap()) throw InputError("config: top level must be a mapping of keys to values");
  std::set<std::string> seen;
  auto add = [&](const std::string& key, const YAML::Node& value) {
    if (!seen.insert(key).second) throw InputError(fmt::format("duplicate key '{}'", key));
    entries.emplace(key, value);
  };
  for (const auto& entry : root) {
    const std::string key = key_text(entry.first);
    const YAML::Node& value = entry.second;
    if (is_parent_key(key)) {
      if (!seen.insert(key).second) throw InputError(fmt::format("duplicate key '{}'", key));
      if (value.IsNull()) continue;
      if (!value.IsMap()) {
        fail(key, value, "must be a mapping with keys " + join(child_names(key), ", "));
      }
      for (const auto& child : value) {
        const std::string path = key + "." + key_text(child.first);
        if (!find_field(path)) fail_unknown_key(path);
        add(path, child.second);
      }
    } else if (find_field(key)) {
      add(key, value);
    } else {
      fail_unknown_key(key);
    }
  }
  return entries;
}

Config build_config(const YAML::Node& root, ConfigUse use) {
  const std::map<std::string, YAML::Node> entries = collect_entries(root);
  Config config;
  for (const FieldSpec& f : field_table()) {
    auto found = entries.find(f.key);
    if (found == entries.end()) continue;
    const YAML::Node& node = found->second;
    if (f.optional && node.IsNull()) continue;
    json value = parse_value(f, node, use);
    std::string why = f.rule.violation(value, config);
    if (!why.empty()) fail(f.key, node, why, f.kind == Kind::kString);
    if (f.kind == Kind::kInt && (value.is_number_float() || as_number(value) > f.int_max)) {
      fail(f.key, node, fmt::format("must be <= {}", f.int_max));
    }
    f.set(config, value);
  }
  config.batch_size = resolved_batch_size(config);
  return config;
}

std::string yaml_error_text(const YAML::Exception& e) {
  if (e.mark.is_null()) return e.msg;
  return fmt::format("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg);
}

// Records where each document starts and ignores the rest.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The first document of `text` (a Null node when there is none) and how many documents the
// text holds. Not YAML::LoadAll: on a token no rule consumes (a stray ',' at document level)
// yaml-cpp 0.7 reports an empty document forever without advancing, and LoadAll collects them
// until memory runs out (jbeder/yaml-cpp#1040, fixed upstream in #1319). Walking the documents
// first, a document that starts where the previous one did is that dead end.
YAML::Node parse_yaml(const std::string& text, const std::string& where, std::size_t& documents) {
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentStarts walk;
    while (parser.HandleNextDocument(walk)) {
      const std::vector<YAML::Mark>& starts = walk.starts;
      if (starts.size() >= 2 && starts.back().pos == starts[starts.size() - 2].pos) {
        const YAML::Mark& at = starts.back();
        std::string token;
        if (at.pos >= 0 && static_cast<std::size_t>(at.pos) < text.size()) {
          token = " '";
          append_escaped(token, text.substr(at.pos, 1));
          token += "'";
        }
        throw InputError(fmt::format("{}: YAML syntax error at line {}, column {}: unexpected{}",
                                     where, at.line + 1, at.column + 1, token));
      }
    }
    documents = walk.starts.size();
    return documents == 0 ? YAML::Node() : YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw InputError(fmt::format("{}: YAML nested too deeply at line {}, column {}", where,
                                 e.mark.line + 1, e.mark.column + 1));
  } catch (const YAML::ParserException& e) {
    throw InputError(fmt::format("{}: YAML syntax error at {}", where, yaml_error_text(e)));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: cannot read YAML: {}", where, yaml_error_text(e)));
  }
}

void set_path(json& object, const std::string& dotted, json value) {
  json* at = &object;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
    at = &(*at)[dotted.substr(start, dot - start)];
  }
  (*at)[dotted.substr(start)] = std::move(value);
}

void erase_path(json& object, const std::string& dotted) {
  json* at = &object;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
    auto child = at->find(dotted.substr(start, dot - start));
    if (child == at->end()) return;
    at = &*child;
  }
  at->erase(dotted.substr(start));
}

const char* precision_name(Precision p) { return p == Precision::kFloat64 ? "float64" : "float32"; }

}  // namespace

double Config::lr_at(long step) const {
  if (step <= 0 || lr_scheduler_cls.empty()) return lr;
  // PyTorch's StepLR multiplies the current lr by gamma at each decay (its chainable form), so
  // the product is formed the same way rather than as lr * pow(gamma, k), which can differ in
  // the last bit. A hand-built Config may carry step_size 0, which validation refuses.
  const long decays = (step - 1) / std::max(step_size, 1L);
  double value = lr;
  for (long k = 0; k < decays; ++k) value *= gamma;
  return value;
}

YAML::Node load_yaml_string(const std::string& text, const std::string& origin) {
  std::size_t documents = 0;
  YAML::Node root = parse_yaml(text, origin, documents);
  if (documents == 0 || root.IsNull()) throw InputError(origin + ": is empty");
  if (documents > 1) {
    throw InputError(fmt::format("{}: holds {} YAML documents (separated by ---); expected one",
                                 origin, documents));
  }
  if (!root.IsMap()) throw InputError(origin + ": top level must be a mapping of keys to values");
  return root;
}

YAML::Node load_yaml_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path + ": is a directory, not a config file");
  }
  // stdio, not ifstream: `text << in.rdbuf()` hides read errors (EIO) as an empty file.
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buffer[1 << 16];
  // A config is a few hundred bytes; the bound keeps /dev/zero from filling the memory.
  constexpr std::size_t kMaxBytes = std::size_t{16} << 20;
  for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, f)) > 0;) {
    text.append(buffer, got);
    if (text.size() > kMaxBytes) break;
  }
  const int read_errno = std::ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(f);
  if (read_errno != 0)
    throw InputError(fmt::format("{}: cannot read: {}", path, std::strerror(read_errno)));
  if (text.size() > kMaxBytes)
    throw InputError(
        fmt::format("{}: larger than {} MB; not a config file", path, kMaxBytes >> 20));
  return load_yaml_string(text, path);
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  const std::string where = fmt::format("--set '{}'", assignment);
  std::size_t equals = assignment.find('=');
  if (equals == std::string::npos) throw InputError(where + ": expected key=value");
  std::string key = assignment.substr(0, equals);
  const char* blanks = " \t";
  key.erase(0, std::min(key.size(), key.find_first_not_of(blanks)));
  key.erase(key.find_last_not_of(blanks) + 1);
  if (key.empty()) throw InputError(where + ": empty key");
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(key.substr(start, dot - start));
  }
  parts.push_back(key.substr(start));
  for (const std::string& part : parts) {
    if (part.empty()) throw InputError(fmt::format("{}: empty part in key '{}'", where, key));
  }
  std::size_t documents = 0;
  YAML::Node value = parse_yaml(assignment.substr(equals + 1), where, documents);
  if (documents > 1) throw InputError(where + ": the value holds more than one YAML document");
  try {
    if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
      throw InputError(where + ": the config is not a mapping of keys to values");
    }
    // A default-constructed Node has no storage yet: a copy of it would not share with root.
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    // Node assignment writes through to the tree; reset() only moves the cursor.
    YAML::Node cursor = root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node child = cursor[parts[i]];
      if (!child.IsDefined() || child.IsNull()) {
        cursor[parts[i]] = YAML::Node(YAML::NodeType::Map);
        child.reset(cursor[parts[i]]);
      } else if (!child.IsMap()) {
        std::string prefix =
            join(std::vector<std::string>(parts.begin(), parts.begin() + i + 1), ".");
        throw InputError(fmt::format("{}: '{}' holds a value, not a mapping", where, prefix));
      }
      cursor.reset(child);
    }
    cursor[parts.back()] = value;
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
}

Config config_from_yaml(const YAML::Node& root, ConfigUse use) {
  try {
    return build_config(root, use);
  } catch (const YAML::Exception& e) {
    // yaml-cpp only throws here on nodes it cannot convert; keep the CLI's one-line contract.
    throw InputError(fmt::format("config: {}", e.what()));
  }
}

std::vector<std::string> list_keys(const YAML::Node& root) {
  std::vector<std::string> keys;
  if (!root.IsMap()) return keys;
  for (const auto& entry : root) {
    const std::string key = key_text(entry.first);
    if (entry.second.IsSequence()) {
      keys.push_back(key);
    } else if (entry.second.IsMap()) {
      for (const auto& child : entry.second) {
        if (child.second.IsSequence()) keys.push_back(key + "." + key_text(child.first));
      }
    }
  }
  return keys;
}

nlohmann::json config_to_json(const Config& config) {
  json out = json::object();
  for (const FieldSpec& f : field_table()) {
    json value = f.get(config);
    if (f.optional && value.is_string() && value.get<std::string>().empty()) value = nullptr;
    set_path(out, f.key, std::move(value));
  }
  return out;
}

std::string stable_hash_hex(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char byte : text) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return fmt::format("{:016x}", hash);
}

std::string config_id(const Config& config) {
  json resolved = config_to_json(config);
  for (const FieldSpec& f : field_table()) {
    if (!f.in_id) erase_path(resolved, f.key);
  }
  // The same config and seed give other data once the generator changes, so the generator's
  // version is part of the id: resume never mixes old and new runs (1 = Marsaglia polar,
  // 2 = ziggurat).
  resolved["data_generator"] = kDataGeneratorVersion;
  return stable_hash_hex(resolved.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string describe_config_fields() {
  const Config defaults;
  std::vector<std::array<std::string, 5>> rows = {
      {"key", "type", "default", "rule", "description"}};
  for (const FieldSpec& f : field_table()) {
    std::string shown = f.shown_default;
    if (shown.empty()) {
      json value = f.get(defaults);
      if (value.is_string()) shown = value.get<std::string>();
      if (value.is_null() || (value.is_string() && shown.empty())) shown = "none";
      if (!value.is_string() && !value.is_null()) shown = value.dump();
    }
    std::string rule = f.rule.text;
    if (f.optional && !rule.empty()) rule += ", or absent";
    std::string doc = f.doc;
    if (f.sweep != Sweep::kNone) doc += fmt::format(" [list in '{}']", sweep_command(f.sweep));
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

namespace {

long double run_memory_bytes(const Config& c) {
  const long double n = c.n, d = c.d, h = c.h, n_test = c.n_test;
  const long double rank = std::min(h, d);
  long double elements = n * d + n_test * d;   // X_train, X_test
  if (c.fix_last_layer) elements += n * d;     // X_probe
  elements += 4 * h * d;                       // W, its gradient, two Adam moments
  elements += 3 * n * h;                       // activations and their gradients
  elements += n * h + n_test * h;              // features at a checkpoint
  elements += h * h + rank * rank;             // Gram matrices
  if (c.plot_overlaps) elements += 6 * h * d;  // SVD factors of W_k, W_k+1 and their difference
  const long double element_size = c.precision == Precision::kFloat64 ? 8 : 4;
  return element_size * elements + 64.0L * 1024 * 1024;
}

}  // namespace

std::size_t estimate_run_memory_bytes(const Config& config) {
  long double bytes = run_memory_bytes(config);
  const long double most = static_cast<long double>(std::numeric_limits<std::size_t>::max());
  return bytes >= most ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(bytes);
}

void check_memory_fits(const Config& config, std::uint64_t available_bytes) {
  long double needed = run_memory_bytes(config);
  if (needed <= static_cast<long double>(available_bytes)) return;
  throw InputError(fmt::format(
      "config needs about {:.1f} GB of memory (n={}, d={}, h={}, {}); this machine has {:.1f} GB "
      "available",
      static_cast<double>(needed / 1e9L), config.n, config.d, config.h,
      precision_name(config.precision), static_cast<double>(available_bytes) / 1e9));
}

void check_memory_fits(const Config& config) {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kib) == 1) {
      check_memory_fits(config, static_cast<std::uint64_t>(kib) * 1024);
      return;
    }
  }
  // No MemAvailable (not Linux, or a restricted /proc): nothing to compare against.
}

}  // namespace sih
