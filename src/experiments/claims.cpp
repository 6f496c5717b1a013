#include "sih/experiments/claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "sih/base/types.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/metrics_schema.hpp"
#include "sih/experiments/threshold.hpp"
#include "sih/rundir/run_folder.hpp"

namespace sih {

namespace fs = std::filesystem;
using nlohmann::json;

// A `value` expression: numbers, metric references, abs() and + - * / with the usual precedence.
struct ClaimExpr {
  // kThreshold: threshold(REF, axis, level), the threshold along `axis` of REF (lhs) at the
  // level `number`, over the points that share the others axes' values (threshold.hpp).
  // kArgmin: argmin(REF, axis), the axis value at which REF (lhs) is lowest over the points
  // that share the other axes' values; kAtMin: at_min(REF, axis, REF2), REF2 (rhs) there.
  enum class Kind {
    kNumber,
    kRef,
    kNeg,
    kAbs,
    kBinary,
    kThreshold,
    kArgmin,
    kAtMin
  } kind = Kind::kNumber;
  std::string axis;  // kThreshold
  double number = 0;
  std::string metric;
  long step = 0;                                 // kLastStep / kFirstStep or a step number
  std::vector<std::pair<std::string, json>> at;  // [axis=value] overrides
  char op = 0;
  std::shared_ptr<const ClaimExpr> lhs, rhs;
};

namespace {

constexpr long kLastStep = -1;
constexpr long kFirstStep = -2;

// A cell or a YAML scalar as JSON: a number when it reads as one, else the text.
json value_json(const std::string& text) {
  if (!text.empty()) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0') return v;
  }
  return text;
}

bool same_value(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x == y || std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y));
  }
  const auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  return text(a) == text(b);
}

bool compare(double x, const std::string& op, double y) {
  if (op == "<") return x < y;
  if (op == "<=") return x <= y;
  if (op == ">") return x > y;
  if (op == ">=") return x >= y;
  if (op == "==") return x == y;
  if (op == "!=") return x != y;
  return false;
}

bool condition_holds(const Condition& c, const json& coords) {
  if (!coords.contains(c.axis)) return false;
  const json& v = coords[c.axis];
  if (c.op == "==") return same_value(v, c.value);
  if (c.op == "!=") return !same_value(v, c.value);
  return v.is_number() && compare(v.get<double>(), c.op, c.value.get<double>());
}

// "<= 100" -> {"<=", 100}; false when the text does not start with a comparison.
bool split_comparison(const std::string& text, std::string& op, double& bound) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::size_t j = i;
  while (j < text.size() && std::string("<>=!").find(text[j]) != std::string::npos) ++j;
  op = text.substr(i, j - i);
  if (op != "<" && op != "<=" && op != ">" && op != ">=" && op != "==" && op != "!=") return false;
  const std::string rest = text.substr(j);
  char* end = nullptr;
  bound = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str()) return false;
  while (*end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
  return *end == '\0' && std::isfinite(bound);
}

class ExprParser {
 public:
  ExprParser(std::string text, std::string where) : s_(std::move(text)), where_(std::move(where)) {}

  std::shared_ptr<const ClaimExpr> parse() {
    auto e = sum();
    skip();
    if (i_ != s_.size()) fail(fmt::format("unexpected '{}'", s_.substr(i_)));
    return e;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(
        fmt::format("{}: '{}': {} (write e.g. alpha_hill@10 - alpha_hill@0)", where_, s_, why));
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  // A step (letters and digits) or an axis value (also . - + for numbers like -1.5e-3).
  std::string word(bool value_chars = false) {
    skip();
    const std::size_t start = i_;
    const auto part = [&](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
             (value_chars && (c == '.' || c == '-' || c == '+'));
    };
    while (i_ < s_.size() && part(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  static std::shared_ptr<const ClaimExpr> binary(char op, std::shared_ptr<const ClaimExpr> l,
                                                 std::shared_ptr<const ClaimExpr> r) {
    auto e = std::make_shared<ClaimExpr>();
    e->kind = ClaimExpr::Kind::kBinary;
    e->op = op;
    e->lhs = std::move(l);
    e->rhs = std::move(r);
    return e;
  }
  std::shared_ptr<const ClaimExpr> sum() {
    auto e = product();
    for (;;) {
      if (eat('+'))
        e = binary('+', e, product());
      else if (eat('-'))
        e = binary('-', e, product());
      else
        return e;
    }
  }
  std::shared_ptr<const ClaimExpr> product() {
    auto e = factor();
    for (;;) {
      if (eat('*'))
        e = binary('*', e, factor());
      else if (eat('/'))
        e = binary('/', e, factor());
      else
        return e;
    }
  }
  std::shared_ptr<const ClaimExpr> factor() {
    // Bounded nesting: a config is data, and a deep one must not exhaust the stack.
    if (++depth_ > 64) fail("nested more than 64 deep");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (eat('(')) {
      auto e = sum();
      if (!eat(')')) fail("missing ')'");
      return e;
    }
    if (eat('-')) {
      auto e = std::make_shared<ClaimExpr>();
      e->kind = ClaimExpr::Kind::kNeg;
      e->lhs = factor();
      return e;
    }
    skip();
    if (i_ >= s_.size()) fail("ends early");
    const char c = s_[i_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const char* begin = s_.c_str() + i_;
      char* end = nullptr;
      const double v = std::strtod(begin, &end);
      if (end == begin) fail("bad number");
      i_ += static_cast<std::size_t>(end - begin);
      auto e = std::make_shared<ClaimExpr>();
      e->number = v;
      return e;
    }
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '_'))
      fail(fmt::format("unexpected '{}'", s_.substr(i_)));
    if (s_.compare(i_, 3, "abs") == 0) {
      const std::size_t saved = i_;
      i_ += 3;
      if (eat('(')) {
        auto e = std::make_shared<ClaimExpr>();
        e->kind = ClaimExpr::Kind::kAbs;
        e->lhs = sum();
        if (!eat(')')) fail("missing ')' after abs(");
        return e;
      }
      i_ = saved;
    }
    for (const char* fn : {"argmin", "at_min"}) {
      const std::size_t len = std::string(fn).size();
      if (s_.compare(i_, len, fn) != 0) continue;
      const std::size_t saved = i_;
      i_ += len;
      if (!eat('(')) {
        i_ = saved;
        continue;
      }
      const bool at_min = std::string(fn) == "at_min";
      const std::string usage = at_min ? "write at_min(metric@step, axis, metric@step)"
                                       : "write argmin(metric@step, axis)";
      auto e = std::make_shared<ClaimExpr>();
      e->kind = at_min ? ClaimExpr::Kind::kAtMin : ClaimExpr::Kind::kArgmin;
      skip();
      e->lhs = reference();
      if (!eat(',')) fail(usage);
      e->axis = word(true);
      if (e->axis.empty()) fail(usage);
      if (at_min) {
        if (!eat(',')) fail(usage);
        skip();
        e->rhs = reference();
      }
      if (!eat(')')) fail(fmt::format("missing ')' after {}(", fn));
      return e;
    }
    if (s_.compare(i_, 9, "threshold") == 0) {
      const std::size_t saved = i_;
      i_ += 9;
      if (eat('(')) {
        auto e = std::make_shared<ClaimExpr>();
        e->kind = ClaimExpr::Kind::kThreshold;
        skip();
        e->lhs = reference();
        if (!eat(',')) fail("write threshold(metric@step, axis, level)");
        e->axis = word(true);
        if (e->axis.empty() || !eat(',')) fail("write threshold(metric@step, axis, level)");
        skip();
        const char* begin = s_.c_str() + i_;
        char* end = nullptr;
        e->number = std::strtod(begin, &end);
        if (end == begin || !std::isfinite(e->number))
          fail("threshold(...): level must be a number");
        i_ += static_cast<std::size_t>(end - begin);
        if (!eat(')')) fail("missing ')' after threshold(");
        return e;
      }
      i_ = saved;
    }
    return reference();
  }
  std::shared_ptr<const ClaimExpr> reference() {
    const std::size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
      ++i_;
    auto e = std::make_shared<ClaimExpr>();
    e->kind = ClaimExpr::Kind::kRef;
    e->metric = s_.substr(start, i_ - start);
    if (e->metric != "lr" && !find_metric(e->metric))
      fail(fmt::format("unknown metric '{}' (the columns of metrics.csv, docs/OUTPUT.md)",
                       e->metric));
    if (!eat('@'))
      fail(fmt::format("give the step of {}: {}@10, {}@first or {}@last", e->metric, e->metric,
                       e->metric, e->metric));
    const std::string step = word();
    if (step == "last") {
      e->step = kLastStep;
    } else if (step == "first") {
      e->step = kFirstStep;
    } else {
      char* end = nullptr;
      const long v = std::strtol(step.c_str(), &end, 10);
      if (step.empty() || *end != '\0' || v < 0)
        fail(fmt::format("step '{}' must be a number >= 0, first or last", step));
      e->step = v;
    }
    if (eat('[')) {
      do {
        const std::string axis = word(true);
        if (axis.empty() || !eat('=')) fail("write [axis=value, ...]");
        const std::string value = word(true);
        if (value.empty()) fail(fmt::format("[{}=]: missing value", axis));
        e->at.emplace_back(axis, value_json(value));
      } while (eat(','));
      if (!eat(']')) fail("missing ']'");
    }
    return e;
  }

  std::string s_;
  std::string where_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

void collect_thresholds(const ClaimExpr& e, std::vector<const ClaimExpr*>& out) {
  if (e.kind == ClaimExpr::Kind::kThreshold || e.kind == ClaimExpr::Kind::kArgmin ||
      e.kind == ClaimExpr::Kind::kAtMin)
    out.push_back(&e);
  if (e.lhs) collect_thresholds(*e.lhs, out);
  if (e.rhs) collect_thresholds(*e.rhs, out);
}

void collect_refs(const ClaimExpr& e, std::vector<const ClaimExpr*>& out) {
  if (e.kind == ClaimExpr::Kind::kRef) out.push_back(&e);
  if (e.lhs) collect_refs(*e.lhs, out);
  if (e.rhs) collect_refs(*e.rhs, out);
}

const ExperimentPoint* point_with(const ExperimentTable& t, const json& coords) {
  for (const auto& p : t.points) {
    bool all = true;
    for (const auto& a : t.axes)
      if (!coords.contains(a) || !p.coords.contains(a) || !same_value(coords[a], p.coords[a]))
        all = false;
    if (all) return &p;
  }
  return nullptr;
}

json moved(const json& coords, const ClaimExpr& ref) {
  json c = coords;
  for (const auto& [axis, v] : ref.at) c[axis] = v;
  return c;
}

std::vector<const ExperimentPoint*> selected(const Claim& claim, const ExperimentTable& t) {
  std::vector<const ExperimentPoint*> out;
  for (const auto& p : t.points) {
    bool all = true;
    for (const auto& c : claim.where) all = all && condition_holds(c, p.coords);
    if (all) out.push_back(&p);
  }
  return out;
}

std::string number_text(double v) { return fmt::format("{:.5g}", v); }

double eval(const ClaimExpr& e, const ExperimentTable& t, const json& coords,
            std::vector<std::string>& detail);

// threshold(REF, axis, level) at a point: over the points whose other axes equal the point's
// (after REF's [axis=value] changes), REF's value against the axis (threshold.hpp). Below or
// above the grid is n/a, said so in the detail.
double eval_threshold(const ClaimExpr& e, const ExperimentTable& t, const json& coords,
                      std::vector<std::string>& detail) {
  const ClaimExpr& ref = *e.lhs;
  const json at = moved(coords, ref);
  std::vector<double> xs, ms;
  for (const auto& p : t.points) {
    bool same = true;
    for (const auto& a : t.axes)
      if (a != e.axis &&
          !(p.coords.contains(a) && at.contains(a) && same_value(p.coords[a], at[a])))
        same = false;
    if (!same || !p.coords.contains(e.axis) || !p.coords[e.axis].is_number()) continue;
    std::vector<std::string> ignored;
    xs.push_back(p.coords[e.axis].get<double>());
    ms.push_back(eval(ref, t, p.coords, ignored));
  }
  json group = at;
  group.erase(e.axis);
  std::string name = fmt::format("threshold({}@{}, {}, {:g})", ref.metric,
                                 ref.step == kLastStep    ? std::string("last")
                                 : ref.step == kFirstStep ? std::string("first")
                                                          : std::to_string(ref.step),
                                 e.axis, e.number);
  if (!group.empty()) name += "[" + point_label(group) + "]";
  Threshold th;
  try {
    th = threshold_along(xs, ms, e.number);
  } catch (const InputError& err) {
    detail.push_back(name + " = n/a (" + err.what() + ")");
    return NAN;
  }
  if (th.where == ThresholdWhere::kFound)
    detail.push_back(
        fmt::format("{} = {:.4g} (between {:g} and {:g})", name, th.value, th.below, th.above));
  else
    detail.push_back(name + " = " + threshold_text(th));
  return th.where == ThresholdWhere::kFound ? th.value : NAN;
}

// argmin(REF, axis) / at_min(REF, axis, REF2) at a point: over the points whose other axes
// equal the point's, the one where REF is lowest (n/a values left out; the first on a tie).
double eval_argmin(const ClaimExpr& e, const ExperimentTable& t, const json& coords,
                   std::vector<std::string>& detail) {
  const ClaimExpr& ref = *e.lhs;
  const json at = moved(coords, ref);
  const ExperimentPoint* best = nullptr;
  double best_value = NAN;
  for (const auto& p : t.points) {
    bool same = true;
    for (const auto& a : t.axes)
      if (a != e.axis &&
          !(p.coords.contains(a) && at.contains(a) && same_value(p.coords[a], at[a])))
        same = false;
    if (!same) continue;
    std::vector<std::string> ignored;
    const double v = eval(ref, t, p.coords, ignored);
    if (std::isfinite(v) && (!best || v < best_value)) {
      best = &p;
      best_value = v;
    }
  }
  json group = at;
  group.erase(e.axis);
  const std::string where = group.empty() ? "" : " [" + point_label(group) + "]";
  const std::string ref_name = ref.metric + "@" +
                               (ref.step == kLastStep    ? std::string("last")
                                : ref.step == kFirstStep ? std::string("first")
                                                         : std::to_string(ref.step));
  if (!best) {
    detail.push_back(fmt::format("lowest {} along {}{} = n/a (no value)", ref_name, e.axis, where));
    return NAN;
  }
  const json& x = best->coords.at(e.axis);
  const std::string x_text =
      x.is_string() ? x.get<std::string>() : fmt::format("{:g}", x.get<double>());
  detail.push_back(fmt::format("lowest {} along {}{}: {:.5g} at {}={}", ref_name, e.axis, where,
                               best_value, e.axis, x_text));
  if (e.kind == ClaimExpr::Kind::kArgmin) return x.is_number() ? x.get<double>() : NAN;
  return eval(*e.rhs, t, best->coords, detail);
}

double eval(const ClaimExpr& e, const ExperimentTable& t, const json& coords,
            std::vector<std::string>& detail) {
  switch (e.kind) {
    case ClaimExpr::Kind::kArgmin:
    case ClaimExpr::Kind::kAtMin:
      return eval_argmin(e, t, coords, detail);
    case ClaimExpr::Kind::kThreshold:
      return eval_threshold(e, t, coords, detail);
    case ClaimExpr::Kind::kNumber:
      return e.number;
    case ClaimExpr::Kind::kNeg:
      return -eval(*e.lhs, t, coords, detail);
    case ClaimExpr::Kind::kAbs:
      return std::abs(eval(*e.lhs, t, coords, detail));
    case ClaimExpr::Kind::kBinary: {
      const double a = eval(*e.lhs, t, coords, detail), b = eval(*e.rhs, t, coords, detail);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        default:
          return a / b;
      }
    }
    case ClaimExpr::Kind::kRef:
      break;
  }
  std::string name = e.metric + "@" +
                     (e.step == kLastStep    ? std::string("last")
                      : e.step == kFirstStep ? std::string("first")
                                             : std::to_string(e.step));
  if (!e.at.empty()) name += "[" + point_label(moved(json::object(), e)) + "]";
  const ExperimentPoint* p = point_with(t, moved(coords, e));
  if (!p || p->runs_used == 0 || p->means.empty()) {
    detail.push_back(name + " = n/a (no finished run)");
    return NAN;
  }
  long step = e.step;
  if (step == kLastStep) step = p->means.rbegin()->first;
  if (step == kFirstStep) step = p->means.begin()->first;
  const auto row = p->means.find(step);
  if (row == p->means.end()) {
    detail.push_back(name + " = n/a (no checkpoint at step " + std::to_string(step) + ")");
    return NAN;
  }
  const auto v = row->second.find(e.metric);
  if (v == row->second.end()) {
    detail.push_back(name + " = n/a (not computed)");
    return NAN;
  }
  detail.push_back(name + (e.step < 0 ? " (step " + std::to_string(step) + ")" : "") + " = " +
                   number_text(v->second));
  return v->second;
}

// A run folder's metrics.csv as step -> metric -> value (empty cells left out).
std::map<long, std::map<std::string, double>> read_metrics_steps(const fs::path& run_dir) {
  const MetricsTable t = read_run_metrics(run_dir.string());
  const int step_col = t.col("step");
  std::map<long, std::map<std::string, double>> out;
  for (std::size_t r = 0; r < t.values.size(); ++r) {
    auto& row = out[static_cast<long>(t.value(r, step_col))];
    for (std::size_t c = 0; c < t.csv.header.size(); ++c) {
      const double v = t.value(r, static_cast<int>(c));
      if (static_cast<int>(c) != step_col && !std::isnan(v)) row[t.csv.header[c]] = v;
    }
  }
  return out;
}

void add_run(ExperimentPoint& p, const std::map<long, std::map<std::string, double>>& steps,
             std::map<long, std::map<std::string, std::pair<double, long>>>& sums,
             std::map<long, long>& step_runs) {
  ++p.runs_used;
  for (const auto& [step, row] : steps) {
    ++step_runs[step];
    for (const auto& [m, v] : row) {
      auto& s = sums[step][m];
      s.first += v;
      ++s.second;
    }
  }
}

void finish_point(ExperimentPoint& p,
                  const std::map<long, std::map<std::string, std::pair<double, long>>>& sums,
                  const std::map<long, long>& step_runs) {
  for (const auto& [step, row] : sums) {
    if (step_runs.at(step) != p.runs_used) continue;  // a step not every run reached
    for (const auto& [m, s] : row)
      if (s.second == p.runs_used) p.means[step][m] = s.first / static_cast<double>(s.second);
  }
}

}  // namespace

std::string point_label(const json& coords) {
  if (coords.empty()) return "(single run)";
  std::string s;
  for (const auto& [k, v] : coords.items())
    s += (s.empty() ? "" : " ") + k + "=" +
         (v.is_string()   ? v.get<std::string>()
          : v.is_number() ? fmt::format("{}", v.get<double>())
                          : v.dump());
  return s;
}

ExperimentTable load_experiment_table(const std::string& dir, bool repeat_axis) {
  const fs::path root(dir);
  ExperimentTable t;
  const std::optional<json> config = read_folder_config(dir);
  // A sweep's config.json names its command; a run's does not.
  if (!config || !config->contains("command")) {
    const std::optional<RunSummary> summary = read_run_summary(dir);
    if (!summary)
      throw InputError(dir + ": not a complete run folder (no summary.json) nor a sweep folder");
    ExperimentPoint p;
    p.runs_total = 1;
    if (summary->status == RunStatus::kOk) {
      std::map<long, std::map<std::string, std::pair<double, long>>> sums;
      std::map<long, long> step_runs;
      add_run(p, read_metrics_steps(root), sums, step_runs);
      finish_point(p, sums, step_runs);
    }
    t.points.push_back(std::move(p));
    return t;
  }
  const std::optional<SweepRuns> runs = read_sweep_runs(dir, *config);
  if (!runs) throw InputError(dir + ": no runs.csv (a sweep not merged yet? run sih merge)");
  t.axes = runs->axes;
  std::vector<int> axis_cols = runs->axis_cols;
  if (repeat_axis && runs->repeat_col >= 0 &&
      std::find(t.axes.begin(), t.axes.end(), "repeat") == t.axes.end()) {
    t.axes.push_back("repeat");
    axis_cols.push_back(runs->repeat_col);
  }
  struct Acc {
    std::map<long, std::map<std::string, std::pair<double, long>>> sums;
    std::map<long, long> step_runs;
  };
  std::vector<Acc> accs;
  for (std::size_t r = 0; r < runs->csv.rows.size(); ++r) {
    json coords = json::object();
    for (std::size_t a = 0; a < t.axes.size(); ++a)
      coords[t.axes[a]] = value_json(runs->csv.at(r, axis_cols[a]));
    ExperimentPoint* p = const_cast<ExperimentPoint*>(point_with(t, coords));
    if (!p) {
      t.points.emplace_back();
      t.points.back().coords = coords;
      accs.emplace_back();
      p = &t.points.back();
    }
    Acc& acc = accs[static_cast<std::size_t>(p - t.points.data())];
    ++p->runs_total;
    if (runs->status[r] != RunStatus::kOk) continue;
    add_run(*p, read_metrics_steps(root / "runs" / runs->csv.at(r, runs->id_col)), acc.sums,
            acc.step_runs);
  }
  for (std::size_t i = 0; i < t.points.size(); ++i)
    finish_point(t.points[i], accs[i].sums, accs[i].step_runs);
  return t;
}

namespace {

const std::vector<ClaimSourceText> kSourceTexts = {
    {"v1-abstract",
     "the abstract of arXiv 2406.04657v1, 'Crafting Heavy-Tails in Weight Matrix Spectrum without "
     "Gradient Noise' (ar5iv.labs.arxiv.org/html/2406.04657)"},
    {"v2-abstract",
     "the abstract of arXiv 2406.04657v2, as submitted to ICLR 2025 "
     "(openreview.net/forum?id=WL4BmXG7Pl)"},
    {"v3-abstract",
     "the abstract of arXiv 2406.04657v3, 'From Spikes to Heavy Tails: Unveiling the Spectral "
     "Evolution of Neural Networks' (arxiv.org/html/2406.04657v3)"},
    {"readme", "the authors' README.md (github.com/kvignesh1420/single-index-ht at 901ee63)"},
};

std::size_t word_count(const std::string& s) {
  std::size_t n = 0;
  bool in_word = false;
  for (char ch : s) {
    const bool space = std::isspace(static_cast<unsigned char>(ch)) != 0;
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

ClaimSource parse_source(const YAML::Node& node, const std::string& at) {
  std::string keys;
  for (const auto& t : kSourceTexts) keys += std::string(keys.empty() ? "" : ", ") + t.key;
  const std::string rule =
      "every claim needs {quote: \"the paper's words\", from: TEXT} (TEXT one of " + keys +
      ") or {inference: \"from what\"}";
  if (!node.IsDefined() || node.IsNull())
    throw InputError(fmt::format("{}: missing: {}", at, rule));
  if (!node.IsMap()) throw InputError(fmt::format("{}: {}: {}", at, yaml_text(node), rule));
  ClaimSource s;
  bool has_quote = false, has_inference = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (key != "quote" && key != "from" && key != "inference")
      throw InputError(
          fmt::format("{}: unknown key '{}' (a source has quote and from, or inference)", at, key));
    if (!kv.second.IsNull() && !kv.second.IsScalar())
      throw InputError(fmt::format("{}.{}: {}: must be text", at, key, yaml_text(kv.second)));
    const std::string v = kv.second.IsNull() ? std::string() : kv.second.Scalar();
    if (key == "quote") has_quote = true, s.quote = v;
    if (key == "from") s.from = v;
    if (key == "inference") has_inference = true, s.inference = v;
  }
  if (has_quote && has_inference)
    throw InputError(
        fmt::format("{}: both quote and inference: a claim is the paper's or ours", at));
  if (has_inference) {
    if (word_count(s.inference) == 0)
      throw InputError(fmt::format("{}.inference: empty: say from what the claim is inferred", at));
    if (!s.from.empty())
      throw InputError(
          fmt::format("{}.from: '{}': an inference has no from (it is ours)", at, s.from));
    return s;
  }
  if (!has_quote && s.from.empty()) throw InputError(fmt::format("{}: {}", at, rule));
  if (word_count(s.quote) == 0)
    throw InputError(fmt::format(
        "{}.quote: empty: a claim marked as the paper's (from: {}) needs the sentence it quotes",
        at, s.from.empty() ? "?" : s.from));
  if (word_count(s.quote) > kMaxQuoteWords)
    throw InputError(fmt::format("{}.quote: {} words: quote at most {} words", at,
                                 word_count(s.quote), kMaxQuoteWords));
  if (claim_source_text(s.from).empty())
    throw InputError(fmt::format("{}.from: '{}': must be one of {}", at, s.from, keys));
  return s;
}

}  // namespace

const std::vector<ClaimSourceText>& claim_source_texts() { return kSourceTexts; }

std::string claim_source_text(const std::string& key) {
  for (const auto& t : kSourceTexts)
    if (key == t.key) return t.text;
  return {};
}

std::string source_label(const ClaimSource& s) {
  if (s.is_paper()) return fmt::format("paper: \"{}\" ({})", s.quote, s.from);
  return "inference (ours): " + s.inference;
}

std::vector<Claim> parse_claims(const YAML::Node& node, const std::string& origin) {
  std::vector<Claim> claims;
  if (!node.IsDefined() || node.IsNull()) return claims;
  if (!node.IsSequence())
    throw InputError(
        fmt::format("{}: claims: {}: must be a list of claims", origin, yaml_text(node)));
  std::size_t index = 0;
  for (const auto& item : node) {
    const std::string at = fmt::format("{}: claims[{}]", origin, index++);
    if (!item.IsMap())
      throw InputError(fmt::format("{}: {}: must be a mapping (says, value, holds_if, ...)", at,
                                   yaml_text(item)));
    for (const auto& kv : item) {
      const std::string key = kv.first.Scalar();
      static const std::vector<std::string> kKeys = {"says",  "source",   "where",
                                                     "value", "holds_if", "for"};
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
        throw InputError(fmt::format(
            "{}: unknown key '{}' (a claim has says, source, where, value, holds_if, for)", at,
            key));
    }
    const auto text = [&](const char* key, bool required) {
      const YAML::Node v = item[key];
      if (!v.IsDefined() || v.IsNull()) {
        if (required)
          throw InputError(fmt::format("{}.{}: missing: every claim needs it", at, key));
        return std::string();
      }
      if (!v.IsScalar())
        throw InputError(fmt::format("{}.{}: {}: must be text", at, key, yaml_text(v)));
      return v.Scalar();
    };
    Claim c;
    c.says = text("says", true);
    c.source = parse_source(item["source"], at + ".source");
    c.value_text = text("value", true);
    c.value = ExprParser(c.value_text, at + ".value").parse();
    c.holds_if_text = text("holds_if", true);
    const std::string quant = text("for", false);
    if (!quant.empty() && quant != "all" && quant != "any")
      throw InputError(fmt::format("{}.for: '{}': must be all or any", at, quant));
    c.for_any = quant == "any";
    if (c.holds_if_text.rfind("within", 0) == 0) {
      c.test_op = "within";
      const std::string rest = c.holds_if_text.substr(6);
      char* end = nullptr;
      c.test_bound = std::strtod(rest.c_str(), &end);
      while (end && std::isspace(static_cast<unsigned char>(*end))) ++end;
      if (end == rest.c_str() || *end != '\0' || !(c.test_bound >= 0))
        throw InputError(fmt::format("{}.holds_if: '{}': write within X with a number X >= 0", at,
                                     c.holds_if_text));
    } else if (!split_comparison(c.holds_if_text, c.test_op, c.test_bound)) {
      throw InputError(fmt::format(
          "{}.holds_if: '{}': must be OP number (OP one of < <= > >= == !=) or within X", at,
          c.holds_if_text));
    }
    const YAML::Node where = item["where"];
    if (where.IsDefined() && !where.IsNull()) {
      if (!where.IsMap())
        throw InputError(
            fmt::format("{}.where: {}: must be a mapping of axis to value", at, yaml_text(where)));
      for (const auto& kv : where) {
        Condition cond;
        cond.axis = kv.first.Scalar();
        if (!kv.second.IsScalar())
          throw InputError(fmt::format("{}.where.{}: {}: must be a value or \"OP number\"", at,
                                       cond.axis, yaml_text(kv.second)));
        double bound = 0;
        if (split_comparison(kv.second.Scalar(), cond.op, bound)) {
          cond.value = bound;
        } else {
          cond.op = "==";
          cond.value = value_json(kv.second.Scalar());
        }
        c.where.push_back(std::move(cond));
      }
    }
    claims.push_back(std::move(c));
  }
  return claims;
}

void check_claims_against(const std::vector<Claim>& claims, const ExperimentTable& grid,
                          const std::string& origin) {
  std::string axes;
  for (const auto& a : grid.axes) axes += (axes.empty() ? "" : ", ") + a;
  if (axes.empty()) axes = "none: a single run";
  const auto known = [&](const std::string& axis) {
    return std::find(grid.axes.begin(), grid.axes.end(), axis) != grid.axes.end();
  };
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const Claim& c = claims[i];
    const std::string at = fmt::format("{}: claims[{}]", origin, i);
    for (const auto& cond : c.where)
      if (!known(cond.axis))
        throw InputError(fmt::format("{}.where.{}: not an axis of this experiment (axes: {})", at,
                                     cond.axis, axes));
    const auto points = selected(c, grid);
    if (points.empty())
      throw InputError(fmt::format("{}.where: selects no grid point of this experiment", at));
    std::vector<const ClaimExpr*> ths;
    collect_thresholds(*c.value, ths);
    for (const ClaimExpr* th : ths)
      if (!known(th->axis))
        throw InputError(
            fmt::format("{}.value: {}(..., {}, ...): not an axis of this experiment (axes: {})", at,
                        th->kind == ClaimExpr::Kind::kThreshold ? "threshold"
                        : th->kind == ClaimExpr::Kind::kArgmin  ? "argmin"
                                                                : "at_min",
                        th->axis, axes));
    std::vector<const ClaimExpr*> refs;
    collect_refs(*c.value, refs);
    for (const ClaimExpr* ref : refs) {
      for (const auto& [axis, v] : ref->at)
        if (!known(axis))
          throw InputError(fmt::format(
              "{}.value: [{}=...]: not an axis of this experiment (axes: {})", at, axis, axes));
      for (const ExperimentPoint* p : points)
        if (!point_with(grid, moved(p->coords, *ref)))
          throw InputError(fmt::format("{}.value: {}: no grid point {}", at, c.value_text,
                                       point_label(moved(p->coords, *ref))));
    }
  }
}

ClaimResult evaluate_claim(const Claim& claim, const ExperimentTable& table) {
  ClaimResult r;
  r.claim = &claim;
  for (const ExperimentPoint* p : selected(claim, table)) {
    ClaimPointResult pr;
    pr.coords = p->coords;
    std::vector<std::string> detail;
    pr.value = eval(*claim.value, table, p->coords, detail);
    pr.holds = std::isfinite(pr.value) &&
               (claim.test_op == "within" ? std::abs(pr.value) <= claim.test_bound
                                          : compare(pr.value, claim.test_op, claim.test_bound));
    for (const auto& d : detail) pr.detail += (pr.detail.empty() ? "" : "; ") + d;
    r.points.push_back(std::move(pr));
  }
  const auto held = [](const ClaimPointResult& p) { return p.holds; };
  r.holds =
      !r.points.empty() && (claim.for_any ? std::any_of(r.points.begin(), r.points.end(), held)
                                          : std::all_of(r.points.begin(), r.points.end(), held));
  return r;
}

}  // namespace sih
