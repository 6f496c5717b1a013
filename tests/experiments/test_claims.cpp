// Claims as data (claims.hpp) and `sih reproduce` (reproduce.hpp): the expression language
// against hand-computed values on a hand-built grid; the measurement table of a real sweep
// against the means of its runs' metrics.csv, read independently; a two-experiment
// reproduction end to end (page, claims.csv, exit status, resume, --only); bad claims refused
// with one line naming the key before anything is written; every configs/paper config valid
// in both sizes.
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "sih/base/types.hpp"
#include "sih/commands/cli.hpp"
#include "sih/config/config_input.hpp"
#include "sih/experiments/claims.hpp"
#include "sih/experiments/reproduce.hpp"
#include "sih/experiments/sweep.hpp"
#include "test_util.hpp"

using namespace sih;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The claims of a YAML list; a claim without a source is given an inference (the sources have
// their own test below).
std::vector<Claim> claims_from(const std::string& yaml, bool add_source = true) {
  YAML::Node claims = load_yaml_string("claims: " + yaml, "test")["claims"];
  if (add_source && claims.IsSequence())
    for (auto item : claims)
      if (item.IsMap() && !item["source"]) item["source"]["inference"] = "from a test";
  return parse_claims(claims, "test.yml");
}

// Two axes (optimizer, lr), steps 0, 5 and 10, values chosen so that every expression below
// has a value worked out by hand.
ExperimentTable hand_grid() {
  ExperimentTable t;
  t.axes = {"optimizer", "lr"};
  const std::vector<std::pair<std::string, double>> pts = {
      {"sgd", 0.1}, {"sgd", 1}, {"adam", 0.1}, {"adam", 1}};
  for (const auto& [opt, lr] : pts) {
    ExperimentPoint p;
    p.coords = {{"optimizer", opt}, {"lr", lr}};
    p.runs_total = p.runs_used = 2;
    const double k = (opt == "adam" ? 10.0 : 1.0) * lr;  // adam lr 1 -> 10, sgd lr 0.1 -> 0.1
    for (long step : {0L, 5L, 10L}) {
      p.means[step]["alpha_hill"] = 2.5 - 0.01 * k * static_cast<double>(step);
      p.means[step]["num_spikes"] = step == 0 ? 0 : std::floor(k);
    }
    t.points.push_back(p);
  }
  return t;
}

std::string cli(const std::vector<std::string>& args, int& status) {
  std::ostringstream out, err;
  status = run_cli(args, out, err);
  return out.str() + err.str();
}

const char* kRunExperiment = R"(
reproduce:
  title: A tiny run
  about: Adam at lr 1 on a tiny problem
  kind: run
  quick: {num_epochs: 2}
  claims:
    - says: the tail gets heavier
      source: {quote: "can transition the bulk of the weight’s spectra into an HT distribution", from: v1-abstract}
      value: alpha_hill@last - alpha_hill@0
      holds_if: "< 0"
    - says: the lr is what the config says
      source: {inference: "from the config"}
      value: lr@0
      holds_if: "within 1.0000001"
n: 120
d: 30
h: 50
n_test: 40
optimizer: adam
lr: 1
num_epochs: 3
probe_freq_steps: 1
lightweight: true
precision: float64
threads: 1
)";

const char* kSweepExperiment = R"(
reproduce:
  title: A tiny sweep
  about: two learning rates
  kind: sweep
  figures: [final_alpha_hill.png]
  claims:
    - says: a larger lr moves alpha_hill more
      source: {inference: "from the setup"}
      where: {lr: 1}
      value: abs(alpha_hill@2 - alpha_hill@0) - abs(alpha_hill@2[lr=0.001] - alpha_hill@0[lr=0.001])
      holds_if: "> 0"
    - says: a claim that is false by construction
      source: {inference: "from nothing: false on purpose"}
      where: {lr: "<= 1"}
      value: num_spikes@2
      holds_if: "> 1000000"
n: 60
d: 12
h: 20
n_test: 30
optimizer: adam
lr: [0.001, 1]
num_epochs: 2
probe_freq_steps: 1
lightweight: true
repeat: 2
precision: float64
threads: 1
)";

void write_experiments(const std::string& dir, bool with_false_claim) {
  fs::create_directories(dir);
  test::write_text(dir + "/01_tiny_run.yml", kRunExperiment);
  std::string sweep = kSweepExperiment;
  if (!with_false_claim) {
    const auto at = sweep.find("    - says: a claim that is false");
    const auto end = sweep.find("n: 60");
    sweep.erase(at, end - at);
  }
  test::write_text(dir + "/02_tiny_sweep.yml", sweep);
}

}  // namespace

TEST(Claims, ThresholdAlongAnAxisAgainstHandValues) {
  // num_spikes@5 = floor(k), k = lr (sgd) or 10 lr (adam): sgd 0 at 0.1, 1 at 1; adam 1, 10.
  const ExperimentTable t = hand_grid();
  // sgd, level 1: reached exactly at lr 1; adam: already at lr 0.1, below the grid (n/a).
  auto c = claims_from(R"y([{says: s, where: {lr: 1}, value: "threshold(num_spikes@5, lr, 1)",
                             holds_if: "> 0"}])y");
  ClaimResult r = evaluate_claim(c.at(0), t);
  ASSERT_EQ(r.points.size(), 2u);
  for (const auto& p : r.points) {
    if (p.coords.at("optimizer") == "sgd") {
      EXPECT_NEAR(p.value, 1.0, 1e-12);
      EXPECT_NE(p.detail.find("between 0.1 and 1"), std::string::npos) << p.detail;
    } else {
      EXPECT_TRUE(std::isnan(p.value));
      EXPECT_NE(p.detail.find("below the grid (<= 0.1)"), std::string::npos) << p.detail;
    }
  }
  EXPECT_FALSE(r.holds);  // n/a never holds
  // The ratio of two thresholds: sgd at level 0.5 (half way in log: sqrt(0.1)) over adam at
  // level 5 (fraction 4/9 from 0.1 to 1: 10^(-5/9)).
  c = claims_from(R"y([{says: s, where: {optimizer: adam, lr: 1},
      value: "threshold(num_spikes@5[optimizer=sgd], lr, 0.5) / threshold(num_spikes@5, lr, 5)",
      holds_if: "> 1"}])y");
  r = evaluate_claim(c.at(0), t);
  ASSERT_EQ(r.points.size(), 1u);
  EXPECT_NEAR(r.points[0].value, std::sqrt(0.1) / std::pow(10.0, -5.0 / 9), 1e-12);
  EXPECT_TRUE(r.holds);
  // Never reached: above the grid.
  c = claims_from(R"y([{says: s, where: {optimizer: sgd, lr: 1},
      value: "threshold(num_spikes@5, lr, 100)", holds_if: "> 0"}])y");
  r = evaluate_claim(c.at(0), t);
  EXPECT_NE(r.points[0].detail.find("above the grid (> 1)"), std::string::npos);
  // Malformed or unknown axes are config errors naming the claim.
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"y([{says: s, value: "threshold(num_spikes@5, lr)", holds_if: "> 0"}])y",
            "threshold(metric@step, axis, level)"},
           {R"y([{says: s, value: "threshold(num_spikes@5, lr, big)", holds_if: "> 0"}])y",
            "level must be a number"}}) {
    try {
      claims_from(yaml);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  try {
    check_claims_against(
        claims_from(R"y([{says: s, value: "threshold(num_spikes@5, d, 1)", holds_if: "> 0"}])y"), t,
        "test.yml");
    ADD_FAILURE() << "accepted an unknown axis";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("threshold(..., d, ...): not an axis"), std::string::npos)
        << e.what();
  }
}

TEST(Claims, ArgminAndTheMetricThereAgainstHandValues) {
  // alpha_hill@10 = 2.5 - 0.1 k, k = lr (sgd) or 10 lr (adam): lowest at the largest k, i.e.
  // lr 1 for both; num_spikes@10 there = floor(k): 1 (sgd), 10 (adam).
  const ExperimentTable t = hand_grid();
  auto c = claims_from(R"y([{says: s, where: {lr: 0.1}, value: "argmin(alpha_hill@10, lr)",
                             holds_if: "== 1"}])y");
  ClaimResult r = evaluate_claim(c.at(0), t);
  ASSERT_EQ(r.points.size(), 2u);
  for (const auto& p : r.points) {
    EXPECT_EQ(p.value, 1.0);
    EXPECT_NE(p.detail.find("at lr=1"), std::string::npos) << p.detail;
  }
  EXPECT_TRUE(r.holds);
  c = claims_from(R"y([{says: s, where: {lr: 0.1},
      value: "at_min(alpha_hill@10, lr, num_spikes@10)", holds_if: ">= 1"}])y");
  r = evaluate_claim(c.at(0), t);
  for (const auto& p : r.points)
    EXPECT_EQ(p.value, p.coords.at("optimizer") == "adam" ? 10.0 : 1.0) << p.detail;
  // The first argument is a metric reference; along optimizer at lr 1 the lowest alpha_hill
  // is adam's (1.5 against 2.4), whose num_spikes@10 is 10.
  EXPECT_THROW(
      claims_from(R"y([{says: s, value: "argmin(-1 * alpha_hill@10, lr)", holds_if: "> 0"}])y"),
      InputError);
  EXPECT_THROW(claims_from(R"y([{says: s, value: "argmin(alpha_hill@10)", holds_if: "> 0"}])y"),
               InputError);
  c = claims_from(
      R"y([{says: s, where: {lr: 1}, value: "at_min(alpha_hill@10, optimizer, num_spikes@10)",
      holds_if: "> 0"}])y");
  r = evaluate_claim(c.at(0), t);
  for (const auto& p : r.points) EXPECT_EQ(p.value, 10.0) << p.detail;
}

TEST(Claims, ExpressionsAgainstHandValues) {
  const ExperimentTable t = hand_grid();
  // adam lr 1: k = 10, alpha_hill(10) - alpha_hill(0) = -1.0
  auto c = claims_from(R"y([{says: s, where: {optimizer: adam, lr: 1},
                             value: "alpha_hill@10 - alpha_hill@0", holds_if: "< -0.99"}])y");
  ClaimResult r = evaluate_claim(c.at(0), t);
  ASSERT_EQ(r.points.size(), 1u);
  EXPECT_TRUE(test::near_rel(-1.0, r.points[0].value, 1e-12));
  EXPECT_TRUE(r.holds);
  // @last is step 10, @first step 0; [lr=0.1] reads adam lr 0.1 (k = 1): -1.0 - (-0.1) = -0.9
  c = claims_from(R"y([{says: s, where: {optimizer: adam, lr: 1},
        value: "(alpha_hill@last - alpha_hill@first) - (alpha_hill@10[lr=0.1] - alpha_hill@0[lr=0.1])",
        holds_if: "within 0.9000001"}])y");
  r = evaluate_claim(c.at(0), t);
  EXPECT_TRUE(test::near_rel(-0.9, r.points.at(0).value, 1e-12));
  EXPECT_TRUE(r.holds);
  EXPECT_NE(r.points[0].detail.find("alpha_hill@last (step 10) = 1.5"), std::string::npos)
      << r.points[0].detail;
  // Precedence and abs: 2 + 3 * |-1| / 2 = 3.5
  c = claims_from(R"y([{says: s, where: {optimizer: adam, lr: 1},
        value: "2 + 3 * abs(alpha_hill@10 - alpha_hill@0) / 2", holds_if: "== 3.5"}])y");
  EXPECT_TRUE(test::near_rel(3.5, evaluate_claim(c.at(0), t).points.at(0).value, 1e-12));
  // A comparison in `where` selects lr <= 0.5 of both optimizers; for all vs for any.
  c = claims_from(R"y([{says: s, where: {lr: "<= 0.5"}, value: "num_spikes@5", holds_if: ">= 1"},
                      {says: s, where: {lr: "<= 0.5"}, value: "num_spikes@5", holds_if: ">= 1",
                       for: any}])y");
  r = evaluate_claim(c.at(0), t);
  ASSERT_EQ(r.points.size(), 2u);  // sgd 0.1 (k 0.1: 0 spikes), adam 0.1 (k 1: 1 spike)
  EXPECT_FALSE(r.holds);
  EXPECT_TRUE(evaluate_claim(c.at(1), t).holds);
  // A step without a checkpoint is n/a and never holds, whatever the test.
  c = claims_from(R"y([{says: s, value: "alpha_hill@7", holds_if: "within 1e9"}])y");
  r = evaluate_claim(c.at(0), t);
  ASSERT_EQ(r.points.size(), 4u);
  EXPECT_TRUE(std::isnan(r.points[0].value));
  EXPECT_FALSE(r.holds);
  EXPECT_NE(r.points[0].detail.find("no checkpoint at step 7"), std::string::npos);
  // Unused points (runs_used 0: every run diverged) are n/a too.
  ExperimentTable diverged = t;
  diverged.points[3].runs_used = 0;
  diverged.points[3].means.clear();
  c = claims_from(R"y([{says: s, where: {optimizer: adam, lr: 1}, value: "alpha_hill@0",
                       holds_if: "> 0"}])y");
  EXPECT_FALSE(evaluate_claim(c.at(0), diverged).holds);
}

TEST(Claims, MalformedClaimsNameTheKey) {
  const ExperimentTable t = hand_grid();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"y([{says: s, value: "alpha_hil@1", holds_if: "> 0"}])y", "unknown metric 'alpha_hil'"},
      {R"y([{says: s, value: "alpha_hill", holds_if: "> 0"}])y", "give the step of alpha_hill"},
      {R"y([{says: s, value: "alpha_hill@-1", holds_if: "> 0"}])y", "claims[0].value"},
      {R"y([{says: s, value: "alpha_hill@1 +", holds_if: "> 0"}])y", "ends early"},
      {R"y([{says: s, value: "(alpha_hill@1", holds_if: "> 0"}])y", "missing ')'"},
      {R"y([{says: s, value: "alpha_hill@1", holds_if: "big"}])y", "claims[0].holds_if: 'big'"},
      {R"y([{says: s, value: "alpha_hill@1", holds_if: "within -1"}])y", "within X"},
      {R"y([{value: "alpha_hill@1", holds_if: "> 0"}])y", "claims[0].says: missing"},
      {R"y([{says: s, value: "alpha_hill@1", holds_if: "> 0", wher: {}}])y", "unknown key 'wher'"},
      {R"y([{says: s, value: "alpha_hill@1", holds_if: "> 0", for: some}])y", "must be all or any"},
      {R"y({says: s})y", "must be a list of claims"},
      {"[{says: s, value: \"" + std::string(100, '(') + "1" + std::string(100, ')') +
           "\", holds_if: \"> 0\"}]",
       "nested more than 64 deep"},
      {"[{says: s, value: \"" + std::string(100, '-') + "1\", holds_if: \"> 0\"}]",
       "nested more than 64 deep"},
  };
  for (const auto& [yaml, expected] : cases) {
    try {
      claims_from(yaml);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
          << "for " << yaml << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  const std::vector<std::pair<std::string, std::string>> grid_cases = {
      {R"y([{says: s, where: {momentum: 0}, value: "alpha_hill@1", holds_if: "> 0"}])y",
       "claims[0].where.momentum: not an axis of this experiment (axes: optimizer, lr)"},
      {R"y([{says: s, where: {lr: 3}, value: "alpha_hill@1", holds_if: "> 0"}])y",
       "claims[0].where: selects no grid point"},
      {R"y([{says: s, where: {lr: 1}, value: "alpha_hill@1[lr=7]", holds_if: "> 0"}])y",
       "no grid point lr=7 optimizer=sgd"},
      {R"y([{says: s, value: "alpha_hill@1[n=7]", holds_if: "> 0"}])y", "[n=...]: not an axis"},
  };
  for (const auto& [yaml, expected] : grid_cases) {
    try {
      check_claims_against(claims_from(yaml), t, "test.yml");
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
          << "for " << yaml << ": " << e.what();
    }
  }
}

TEST(Claims, SourcesQuoteThePaperOrSayFromWhat) {
  const std::string claim = R"y(says: s, value: "alpha_hill@1", holds_if: "> 0")y";
  auto c = claims_from(
      "[{" + claim + R"y(, source: {quote: "one step of full-batch Adam", from: v1-abstract}}])y",
      false);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].source.is_paper());
  EXPECT_EQ(c[0].source.quote, "one step of full-batch Adam");
  EXPECT_EQ(c[0].source.from, "v1-abstract");
  EXPECT_EQ(source_label(c[0].source), "paper: \"one step of full-batch Adam\" (v1-abstract)");
  c = claims_from("[{" + claim + R"y(, source: {inference: "from the setup"}}])y", false);
  EXPECT_FALSE(c[0].source.is_paper());
  EXPECT_EQ(source_label(c[0].source), "inference (ours): from the setup");
  // Every text a quote may name has a description.
  for (const auto& t : claim_source_texts()) EXPECT_FALSE(claim_source_text(t.key).empty());
  EXPECT_TRUE(claim_source_text("reviews").empty());
  // A quote of exactly kMaxQuoteWords words is accepted, one more is not.
  std::string words;
  for (std::size_t i = 0; i < kMaxQuoteWords; ++i) words += (i ? " w" : "w");
  EXPECT_NO_THROW(
      claims_from("[{" + claim + ", source: {quote: \"" + words + "\", from: readme}}]", false));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "claims[0].source: missing: every claim needs"},
      {R"y(, source: {from: v1-abstract})y",
       "claims[0].source.quote: empty: a claim marked as the paper's (from: v1-abstract)"},
      {R"y(, source: {quote: "", from: v3-abstract})y", "claims[0].source.quote: empty"},
      {R"y(, source: {quote: "  ", from: v3-abstract})y", "claims[0].source.quote: empty"},
      {R"y(, source: {quote: "words", from: the-paper})y",
       "claims[0].source.from: 'the-paper': must be one of v1-abstract"},
      {R"y(, source: {quote: "words"})y", "claims[0].source.from: '': must be one of"},
      {", source: {quote: \"" + words + " w\", from: readme}",
       "claims[0].source.quote: 26 words: quote at most 25 words"},
      {R"y(, source: {inference: ""})y", "claims[0].source.inference: empty"},
      {R"y(, source: {inference: x, quote: y, from: readme})y", "both quote and inference"},
      {R"y(, source: {inference: x, from: readme})y", "an inference has no from"},
      {R"y(, source: {page: 3})y", "claims[0].source: unknown key 'page'"},
      {R"y(, source: ours)y", "claims[0].source: ours: every claim needs"},
      {R"y(, paper: "Abstract")y", "unknown key 'paper'"},
  };
  for (const auto& [extra, expected] : bad) {
    const std::string yaml = "[{" + claim + extra + "}]";
    try {
      claims_from(yaml, false);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
          << yaml << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      EXPECT_EQ(std::string(e.what()).rfind("test.yml: claims[0]", 0), 0u) << e.what();
    }
  }
}

TEST(Claims, TableOfARealSweepIsTheMeanOfItsRuns) {
  test::TempDir tmp;
  YAML::Node root = load_yaml_string(kSweepExperiment, "test");
  take_reproduce_section(root);
  apply_override(root, "out_dir=" + tmp.path());
  const SweepPlan plan = plan_sweep(sweep_kind("sweep"), root);
  SweepOptions o;
  o.quiet = true;
  execute_sweep(plan, o);
  merge_sweep(plan.dir);
  const ExperimentTable t = load_experiment_table(plan.dir);
  ASSERT_EQ(t.axes, std::vector<std::string>{"lr"});
  ASSERT_EQ(t.points.size(), 2u);
  // Independently: every run's metrics.csv, grouped by its lr from its config.json.
  std::map<double, std::vector<test::Csv>> by_lr;
  for (const auto& run : plan.runs)
    by_lr[run.config.lr].push_back(test::read_csv(plan.dir + "/runs/" + run.id + "/metrics.csv"));
  for (const auto& p : t.points) {
    const auto& runs = by_lr.at(p.coords.at("lr").get<double>());
    ASSERT_EQ(p.runs_used, 2);
    ASSERT_EQ(p.means.size(), 3u);  // steps 0, 1, 2
    for (const char* m : {"alpha_hill", "val_loss", "num_spikes", "w_beta_alignment"}) {
      for (std::size_t r = 0; r < 3; ++r) {
        const double expected = (std::stod(runs[0].at(r, m)) + std::stod(runs[1].at(r, m))) / 2;
        EXPECT_TRUE(test::near_rel(expected, p.means.at(static_cast<long>(r)).at(m), 1e-15, 1e-300))
            << m << " step " << r;
      }
    }
  }
  // A single run folder is one point without axes.
  const RunOutcome run = test::run_from_yaml(
      "n: 60\nd: 12\nh: 20\nn_test: 30\nnum_epochs: 2\nprobe_freq_steps: 1\nlightweight: true\n",
      tmp / "single");
  const ExperimentTable single = load_experiment_table(run.dir);
  ASSERT_EQ(single.points.size(), 1u);
  EXPECT_TRUE(single.axes.empty());
  const test::Csv m = test::read_csv(run.dir + "/metrics.csv");
  EXPECT_EQ(single.points[0].means.at(2).at("alpha_hill"), std::stod(m.at(2, "alpha_hill")));
  EXPECT_THROW(load_experiment_table(tmp / "nothing"), InputError);

  // The axes are found by name (config.json's "swept"), not by position: the same table from
  // runs.csv with its columns in reverse order, the axis after status.
  const test::Csv runs = test::read_csv(plan.dir + "/runs.csv");
  std::string reversed;
  for (std::size_t c = runs.header.size(); c-- > 0;) reversed += runs.header[c] + (c ? "," : "\n");
  for (const auto& row : runs.rows)
    for (std::size_t c = row.size(); c-- > 0;) reversed += row[c] + (c ? "," : "\n");
  test::write_text(plan.dir + "/runs.csv", reversed);
  const ExperimentTable r = load_experiment_table(plan.dir);
  ASSERT_EQ(r.axes, t.axes);
  ASSERT_EQ(r.points.size(), t.points.size());
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    EXPECT_EQ(r.points[i].coords, t.points[i].coords);
    EXPECT_EQ(r.points[i].runs_used, t.points[i].runs_used);
    EXPECT_EQ(r.points[i].means, t.points[i].means);
  }
}

TEST(Reproduce, EndToEndPageClaimsResumeAndOnly) {
  test::TempDir tmp;
  const std::string configs = tmp / "paper", out = tmp / "rep";
  write_experiments(configs, true);
  int status = -1;
  std::string text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_EQ(status, 4) << text;  // the false-by-construction claim does not hold
  EXPECT_NE(text.find("[sih] reproduce 1/2 tiny_run"), std::string::npos) << text;
  EXPECT_NE(text.find("[sih] reproduce 2/2 tiny_sweep"), std::string::npos) << text;
  EXPECT_NE(text.find("does not hold: a claim that is false by construction"), std::string::npos);
  ASSERT_TRUE(fs::exists(out + "/index.html"));
  const std::string page = test::read_text(out + "/index.html");
  EXPECT_NE(page.find("3 of 4 claims hold"), std::string::npos);
  EXPECT_NE(page.find("a finding of ours: the inference does not hold"), std::string::npos);
  // Paper claims and inferences counted apart (1 quote, 3 inferences, of which 1 fails), the
  // source shown beside the claim.
  EXPECT_NE(page.find("1 claim(s) quote the paper"), std::string::npos);
  EXPECT_NE(page.find("1 of them hold; 3 are inferences of ours"), std::string::npos);
  EXPECT_NE(page.find("2 of them hold. An inference"), std::string::npos);
  EXPECT_NE(page.find("paper: &ldquo;can transition the bulk"), std::string::npos);
  EXPECT_NE(page.find("inference (ours): from the setup"), std::string::npos);
  // Each figure the page shows exists beside it; the full reports are linked.
  std::size_t images = 0;
  for (std::size_t at = page.find("<img src=\""); at != std::string::npos;
       at = page.find("<img src=\"", at + 1)) {
    const std::size_t b = at + 10, e = page.find('"', b);
    EXPECT_GT(fs::file_size(out + "/" + page.substr(b, e - b)), 0u);
    ++images;
  }
  EXPECT_EQ(images, 3u);  // two for the run (default), one named for the sweep
  EXPECT_NE(page.find("tiny_sweep/"), std::string::npos);
  // claims.csv: the run's first claim recomputed from its metrics.csv.
  const test::Csv claims = test::read_csv(out + "/claims.csv");
  ASSERT_EQ(claims.rows.size(), 1u + 1u + 1u + 2u);  // run: 2 claims; sweep: 1 + 2 points
  std::string run_dir;
  for (const auto& e : fs::directory_iterator(out + "/tiny_run")) run_dir = e.path().string();
  const test::Csv m = test::read_csv(run_dir + "/metrics.csv");
  const double expected = std::stod(m.at(3, "alpha_hill")) - std::stod(m.at(0, "alpha_hill"));
  EXPECT_TRUE(test::near_rel(expected, std::stod(claims.at(0, "measured")), 1e-15));
  EXPECT_EQ(claims.at(0, "point_holds"), expected < 0 ? "true" : "false");
  EXPECT_EQ(claims.at(1, "measured"), "1");
  EXPECT_EQ(claims.at(4, "point"), "lr=1");
  EXPECT_EQ(claims.at(4, "claim_holds"), "false");
  // (test::read_csv keeps the CSV quoting: the quote's quotes are doubled in the cell.)
  EXPECT_EQ(claims.at(0, "source"),
            "\"paper: \"\"can transition the bulk of the weight’s spectra into an HT "
            "distribution\"\" (v1-abstract)\"");
  EXPECT_EQ(claims.at(4, "source"), "inference (ours): from nothing: false on purpose");

  // Resume: nothing is recomputed; the run folder is untouched.
  const auto stamp = fs::last_write_time(run_dir + "/summary.json");
  text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_EQ(status, 4);
  EXPECT_NE(text.find("tiny_run: reused"), std::string::npos) << text;
  EXPECT_EQ(fs::last_write_time(run_dir + "/summary.json"), stamp);

  // Without the false claim every claim holds: exit 0. --quick runs the quick size into its
  // own folder; --only runs one experiment and the page lists the other as not run.
  write_experiments(configs, false);
  text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_EQ(status, 0) << text;
  text =
      cli({"reproduce", "--configs", configs, "--out", tmp / "q", "--quick", "--only", "tiny_run"},
          status);
  EXPECT_EQ(status, 0) << text;
  EXPECT_NE(test::read_text(tmp / "q/index.html").find("not run"), std::string::npos);
  std::string quick_run;
  for (const auto& e : fs::directory_iterator(tmp / "q/tiny_run")) quick_run = e.path().string();
  EXPECT_EQ(test::read_csv(quick_run + "/metrics.csv").rows.size(), 3u);  // num_epochs 2
  EXPECT_FALSE(fs::exists(tmp / "q/tiny_sweep"));
}

TEST(Reproduce, BadInputWritesNothing) {
  test::TempDir tmp;
  const std::string configs = tmp / "paper", out = tmp / "rep";
  write_experiments(configs, false);
  int status = -1;
  std::string text =
      cli({"reproduce", "--configs", configs, "--out", out, "--only", "nope"}, status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("--only: 'nope': no such experiment (known: tiny_run, tiny_sweep)"),
            std::string::npos)
      << text;
  std::string bad = kSweepExperiment;
  bad.replace(bad.find("where: {lr: 1}"), 14, "where: {lr: 5}");
  test::write_text(configs + "/02_tiny_sweep.yml", bad);
  text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("02_tiny_sweep.yml: claims[0].where: selects no grid point"),
            std::string::npos)
      << text;
  // reproduce.thresholds: repeats must be true or false, and needs a fit axis.
  for (const auto& [threshold, message] : std::vector<std::pair<std::string, std::string>>{
           {"{value: num_spikes@1, along: lr, level: 1, fit: lr, repeats: maybe}",
            "reproduce.thresholds[0].repeats: 'maybe': must be true or false"},
           {"{value: num_spikes@1, along: lr, level: 1, repeats: true}",
            "reproduce.thresholds[0].repeats: true needs a fit axis"}}) {
    bad = kSweepExperiment;
    bad.replace(bad.find("  claims:"), 0, "  thresholds: [" + threshold + "]\n");
    test::write_text(configs + "/02_tiny_sweep.yml", bad);
    text = cli({"reproduce", "--configs", configs, "--out", out}, status);
    EXPECT_EQ(status, 2) << text;
    EXPECT_NE(text.find(message), std::string::npos)
        << "expected: " << message << "\ngot: " << text;
  }
  test::write_text(configs + "/02_tiny_sweep.yml",
                   "reproduce: {title: t, about: a, kind: swep}\nn: 10\n");
  text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("sweep kind 'swep': unknown"), std::string::npos) << text;
  test::write_text(configs + "/02_tiny_sweep.yml", "n: 10\n");
  text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("reproduce: missing"), std::string::npos) << text;
  test::write_text(configs + "/02_tiny_sweep.yml",
                   "reproduce: {title: t, about: a, colour: red}\n");
  text = cli({"reproduce", "--configs", configs, "--out", out}, status);
  EXPECT_NE(text.find("reproduce.colour: unknown key"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(out)) << "bad input must write nothing";
}

TEST(Reproduce, PaperConfigsAreValidAtBothSizes) {
  const std::string dir = std::string(SIH_SOURCE_DIR) + "/configs/paper";
  for (const bool quick : {false, true}) {
    const auto experiments = load_paper_experiments(dir, quick, "/tmp/unused");
    ASSERT_GE(experiments.size(), 12u);
    std::set<std::string> names;
    for (const auto& e : experiments) {
      names.insert(e.name);
      EXPECT_FALSE(e.claims.empty()) << e.file << " states no claim";
      // Every config and claim validates against its planned grid (what reproduce does first).
      ExperimentTable grid;
      EXPECT_NO_THROW(grid = plan_grid(e)) << e.file;
      EXPECT_EQ(grid.points.size() > 1, e.kind != "run") << e.file;
      if (e.kind == "run") {
        EXPECT_EQ(config_from_yaml(e.config).out_dir, "/tmp/unused/" + e.name);
      }
    }
    for (const char* n :
         {"main", "main_lr_schedule", "bulk_lr", "bulk_losses_vary_n", "gd_vs_adam_large_lr",
          "bulk_decay_overlaps", "step_lr_schedule", "long_adam"})
      EXPECT_TRUE(names.count(n)) << n;
  }
  // A paper config is an ordinary config to the other commands: `sih config` reads it.
  int status = -1;
  const std::string text = cli({"config", dir + "/01_main.yml"}, status);
  EXPECT_EQ(status, 0) << text;
}
