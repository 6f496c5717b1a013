// Config input: YAML text and `--set` overrides, validated against the field table with
// one-line errors that name the key, the value as written and the rule.
#include "sih/config/config_input.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "config_table.hpp"
#include "sih/base/input_file.hpp"
#include "sih/config/dotted_key.hpp"

namespace sih {
namespace {

using namespace config_table;

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

std::string last_part(const std::string& key) { return key_parts(key).back(); }

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
  throw InputError(unknown_key_message(key));
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

std::string list_message(const FieldSpec& f) {
  if (!f.sweepable) return "must be a single value (this key cannot be swept)";
  return "a list is only allowed in a sweep; use 'sih sweep'";
}

// The value as JSON of the field's kind, or InputError naming what the kind requires.
json parse_value(const FieldSpec& f, const YAML::Node& node) {
  bool quote = f.kind == Kind::kString;
  if (node.IsSequence()) fail(f.key, node, list_message(f), quote);
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

// A written key that does not act in the resolved config (momentum with adam, scheduler
// kwargs without a scheduler): one warning line naming the key and why.
void note_inert_keys(const std::map<std::string, YAML::Node>& entries, const Config& config,
                     std::vector<std::string>& notes) {
  const Config defaults;
  for (const FieldSpec& f : field_table()) {
    if (!f.acts_only) continue;
    auto found = entries.find(f.key);
    if (found == entries.end() || f.acts_only->holds(config)) continue;
    if (f.acts_only->off_at_default && f.get(config) == f.get(defaults)) continue;
    notes.push_back(fmt::format("warning: {}: {}: has no effect with {} (acts only with {})", f.key,
                                render(found->second, f.kind == Kind::kString),
                                f.acts_only->in(config), f.acts_only->text));
  }
}

Config build_config(const YAML::Node& root, std::vector<std::string>* notes) {
  const std::map<std::string, YAML::Node> entries = collect_entries(root);
  Config config;
  for (const FieldSpec& f : field_table()) {
    auto found = entries.find(f.key);
    if (found == entries.end()) continue;
    const YAML::Node& node = found->second;
    if (f.optional && node.IsNull()) continue;
    json value = parse_value(f, node);
    // A value beyond the type is named as such, before a rule's own upper bound (threads).
    const auto beyond_type = [&] { fail(f.key, node, fmt::format("must be <= {}", f.int_max)); };
    if (f.kind == Kind::kInt && as_number(value) > f.int_max) beyond_type();
    std::string why = f.rule.violation(value, config);
    if (!why.empty()) fail(f.key, node, why, f.kind == Kind::kString);
    if (f.kind == Kind::kInt && value.is_number_float()) beyond_type();
    f.set(config, value);
  }
  config.batch_size = resolved_batch_size(config);
  if (notes) note_inert_keys(entries, config, *notes);
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

}  // namespace

std::string config_table::unknown_key_message(const std::string& key) {
  const std::string near = suggestion(key);
  if (near.empty()) return fmt::format("unknown key '{}'", key);
  return fmt::format("unknown key '{}' (did you mean '{}'?)", key, near);
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
  // A FIFO would block fopen until a writer appears; /dev/zero is bounded below, but a
  // device is no config either.
  require_regular_file(path);
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
  const std::vector<std::string> parts = key_parts(key);
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
    // yaml_set replaces a parent that is not a mapping; an override must not drop a value.
    std::string prefix;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix += (i ? "." : "") + parts[i];
      const YAML::Node parent = yaml_at(root, prefix);
      if (parent.IsDefined() && !parent.IsNull() && !parent.IsMap()) {
        throw InputError(fmt::format("{}: '{}' holds a value, not a mapping", where, prefix));
      }
    }
    yaml_set(root, key, value);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
}

namespace {

// An integer scalar as written (2000), else nothing: lists, text and floats are left to the
// field rules.
std::optional<long long> integer_scalar(const YAML::Node& node) {
  if (!node.IsDefined() || !node.IsScalar() || is_quoted(node)) return std::nullopt;
  json value;
  if (!parse_integer(node.Scalar(), value) || !value.is_number_integer()) return std::nullopt;
  return value.get<long long>();
}

}  // namespace

std::vector<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& sets) {
  const auto file_n = integer_scalar(yaml_at(root, "n"));
  const auto file_batch = integer_scalar(yaml_at(root, "batch_size"));
  bool sets_n = false, sets_batch = false;
  for (const std::string& assignment : sets) {
    apply_override(root, assignment);
    const std::string key = assignment.substr(0, assignment.find('='));
    const auto first = key.find_first_not_of(" \t");
    const auto last = key.find_last_not_of(" \t");
    const std::string trimmed =
        first == std::string::npos ? "" : key.substr(first, last - first + 1);
    sets_n = sets_n || trimmed == "n";
    sets_batch = sets_batch || trimmed == "batch_size";
  }
  std::vector<std::string> notes;
  if (!sets_n || sets_batch || !file_n || !file_batch) return notes;
  const YAML::Node new_n = yaml_at(root, "n");
  if (*file_batch == *file_n) {
    // Full batch stays full batch: without batch_size the run uses batch_size = n, which is
    // also what config_to_json records, so the id is that of batch_size written equal to n.
    if (integer_scalar(new_n) == file_n) return notes;
    root.remove("batch_size");
    notes.push_back(
        fmt::format("batch_size follows n ({}): it equalled n in the config file", render(new_n)));
  } else if (const auto n = integer_scalar(new_n); n && *file_batch > *n) {
    throw InputError(fmt::format(
        "batch_size: {}: must be <= n ({}); --set n changed n but the file's batch_size differs "
        "from its n ({}): set batch_size too (--set batch_size=...)",
        *file_batch, *n, *file_n));
  }
  return notes;
}

Config config_from_yaml(const YAML::Node& root) { return config_from_yaml(root, nullptr); }

Config config_from_yaml(const YAML::Node& root, std::vector<std::string>* notes) {
  try {
    return build_config(root, notes);
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
std::string yaml_text(const YAML::Node& node) { return render(node); }

nlohmann::json yaml_scalar_json(const YAML::Node& n) {
  const std::string s = n.Scalar();
  if (!is_quoted(n) && !s.empty()) {
    char* end = nullptr;
    const long long i = std::strtoll(s.c_str(), &end, 10);
    if (*end == '\0') return i;
    const double d = std::strtod(s.c_str(), &end);
    if (*end == '\0') return d;
    // Only the spellings the reference's configs use: `n` stays the key name n.
    if (s == "true" || s == "True") return true;
    if (s == "false" || s == "False") return false;
  }
  return s;
}

nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : n) j[kv.first.Scalar()] = yaml_to_json(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& item : n) j.push_back(yaml_to_json(item));
    return j;
  }
  if (n.IsScalar()) return yaml_scalar_json(n);
  return nullptr;
}

YAML::Node take_reproduce_section(YAML::Node& root) {
  if (!root.IsMap() || !root["reproduce"].IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node section = YAML::Clone(root["reproduce"]);
  root.remove("reproduce");
  return section;
}

}  // namespace sih
