#pragma once
// Claims as data: what a paper experiment (configs/paper/) says its measurements show, stated
// in its config and checked against its finished run or sweep folder (docs/REPRODUCE.md).
//
//   claims:
//     - says: "Adam at lr 1 has a spike after one step"   # the statement, in words
//       source: {quote: "...", from: v1-abstract}   # the paper's words (claim_source_texts)
//       # or source: {inference: "from the setup: ..."}  # ours, saying from what
//       where: {optimizer: adam, lr: ">= 1"}  # the grid points it is about (default: all)
//       value: num_spikes@1                   # metric@step[axis=value,...], + - * / ( ) abs()
//       holds_if: ">= 1"                      # OP number (< <= > >= == !=), or "within X"
//       for: all                              # every selected point (default) or any
//
// A metric at a point is its mean over the point's finished, non-diverged runs; `@last` is the
// point's last checkpoint, `@first` its first. `[lr=0.01]` reads another grid point: the
// selected one with that axis changed. Claims are validated against the planned grid before
// anything runs, so a typo fails in a second, not after the sweep.
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sih {

// One grid point of an experiment: its axis values and, per step, each metric's mean over the
// point's usable runs.
struct ExperimentPoint {
  nlohmann::json coords = nlohmann::json::object();  // axis column -> value
  long runs_total = 0;
  long runs_used = 0;  // finished with status ok
  // step -> metric -> mean over the used runs (steps that every used run reached)
  std::map<long, std::map<std::string, double>> means;
};

struct ExperimentTable {
  std::vector<std::string> axes;  // the sweep's columns; empty for a single run
  std::vector<ExperimentPoint> points;
};

// A run folder (one point, no axes) or a sweep folder (runs.csv and runs/<id>/metrics.csv).
// InputError when DIR is neither or its files cannot be read. With `repeat_axis`, a sweep's
// `repeat` column is one more axis (named "repeat"): each repeat is a point of its own instead
// of a part of its point's mean.
ExperimentTable load_experiment_table(const std::string& dir, bool repeat_axis = false);

struct ClaimExpr;  // a parsed `value` expression

struct Condition {
  std::string axis;
  std::string op;  // "==" for a plain value, else < <= > >= !=
  nlohmann::json value;
};

// Where a claim comes from: a sentence of a public text of the paper, quoted verbatim (at most
// kMaxQuoteWords words) with the text it is from, or an inference of ours saying from what.
// Every claim has one; a quote that is empty, too long or from an unknown text is a config error.
struct ClaimSource {
  std::string quote;      // empty for an inference
  std::string from;       // a key of claim_source_texts() (with a quote)
  std::string inference;  // empty for a quote
  bool is_paper() const { return !quote.empty(); }
};

inline constexpr std::size_t kMaxQuoteWords = 25;

// The public texts a quote may come from, one row each: key (as written in `from`) and what
// and where the text is.
struct ClaimSourceText {
  const char* key;
  const char* text;
};
const std::vector<ClaimSourceText>& claim_source_texts();

// "v1-abstract" -> its description; "" when unknown.
std::string claim_source_text(const std::string& key);

// One line for the page and claims.csv: `paper: "quote" (text)` or `inference (ours): ...`.
std::string source_label(const ClaimSource& s);

struct Claim {
  std::string says;
  ClaimSource source;
  std::vector<Condition> where;
  std::string value_text;
  std::shared_ptr<const ClaimExpr> value;
  std::string holds_if_text;
  std::string test_op;  // < <= > >= == != or "within"
  double test_bound = 0;
  bool for_any = false;
};

// Parses the `claims` list of an experiment; `origin` prefixes errors (file and list index).
// InputError (one line naming the key, value and rule) on any malformed claim.
std::vector<Claim> parse_claims(const YAML::Node& claims, const std::string& origin);

// Checks every claim against a grid (e.g. the planned one, whose points have no values yet):
// axes that exist, `where` selecting at least one point, `[axis=value]` points that exist.
void check_claims_against(const std::vector<Claim>& claims, const ExperimentTable& grid,
                          const std::string& origin);

struct ClaimPointResult {
  nlohmann::json coords;
  double value = 0;  // NaN when a referenced metric or step is missing at this point
  bool holds = false;
  std::string detail;  // each metric reference with its measured value
};

struct ClaimResult {
  const Claim* claim = nullptr;
  std::vector<ClaimPointResult> points;
  bool holds = false;
};

ClaimResult evaluate_claim(const Claim& claim, const ExperimentTable& table);

// "lr=0.1 optimizer=adam" (or "(single run)" without axes).
std::string point_label(const nlohmann::json& coords);

}  // namespace sih
