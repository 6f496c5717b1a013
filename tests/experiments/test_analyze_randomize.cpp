// `sih analyze --randomize` (issue 21): each matrix's entries permuted and its ESD compared
// with the original, as weightwatcher's analyze(randomize=True).
//  - The definitions against weightwatcher on weightwatcher's own draws: its original and
//    randomized eigenvalues, captured (tests/data/ww/randomize_definitions.json), fed to sih's
//    comparison must give weightwatcher's columns.
//  - sih's own draw against the spread of weightwatcher's over 20 numpy seeds
//    (randomize_seeds.json): the permutation draws differ, the distribution may not.
//  - Closed forms: a permutation keeps the Frobenius norm (the sum of each draw's eigenvalues),
//    and a matrix holding an entry a has lambda_max >= a^2 however it is permuted.
//  - The planted trap: learned low-rank spikes vanish under permutation (no trap), one large
//    entry does not (a trap); determinism across --jobs and other inputs; bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sih/core/rng.hpp"
#include "sih/experiments/analyze.hpp"
#include "sih/experiments/analyze_randomize.hpp"
#include "sih/experiments/analyze_summary.hpp"
#include "sih/formats/array_io.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

using nlohmann::json;
using test::cli;
using test::near_rel;
using test::TempDir;

VecD vec(const json& a) {
  const auto v = a.get<std::vector<double>>();
  return Eigen::Map<const VecD>(v.data(), static_cast<Eigen::Index>(v.size()));
}

const AnalyzeRow* row_named(const std::vector<AnalyzeRow>& rows, const std::string& name) {
  for (const auto& r : rows)
    if (r.name == name) return &r;
  return nullptr;
}

// ---- the definitions, on weightwatcher's own draws ---------------------------------------

TEST(RandomizeDefinitions, MatchWeightwatcherOnItsOwnDraws) {
  const json ref = test::read_json(test::ww_fixture("randomize_definitions.json"));
  ASSERT_GE(ref.at("layers").size(), 8u);
  for (const auto& [name, l] : ref.at("layers").items()) {
    SCOPED_TRACE(name);
    RandomizedEsd r;
    r.pooled = vec(l.at("rand_pooled"));
    r.first = vec(l.at("rand_single"));
    r.replicas = l.at("replicas").get<int>();
    const double N = l.at("N").get<double>(), M = l.at("M").get<double>();
    EXPECT_EQ(randomize_replicas(M), r.replicas) << "weightwatcher's replica rule, M = " << M;
    const VecD evals = vec(l.at("evals"));
    // weightwatcher's draws keep the Frobenius norm too (its conv slices are permuted after
    // their conv2d_norm, as sih's): a permutation moves entries, not their squares' sum
    EXPECT_TRUE(near_rel(evals.sum(), r.first.sum(), 1e-13));
    EXPECT_TRUE(near_rel(evals.sum() * r.replicas, r.pooled.sum(), 1e-13));
    MetricsRow row;
    fill_randomized_columns(evals, r, N, M, row);
    const json& ww = l.at("ww");
    // max, ratio, difference: exact up to rounding; the JS distance sums ~10^3 logs; the MP
    // fit agrees with weightwatcher's to ~1e-9 elsewhere (tests/commands/test_analyze.cpp)
    EXPECT_TRUE(near_rel(ww.at("max_rand_eval"), *row.max_rand_eval, 1e-14));
    EXPECT_TRUE(near_rel(ww.at("ww_softrank"), *row.ww_softrank, 1e-14));
    EXPECT_TRUE(near_rel(ww.at("ww_maxdist"), *row.ww_maxdist, 1e-13, 1e-12));
    EXPECT_TRUE(near_rel(ww.at("rand_distance"), *row.rand_distance, 1e-11));
    EXPECT_EQ(ww.at("rand_num_spikes").get<double>(), *row.rand_num_spikes);
    EXPECT_TRUE(near_rel(ww.at("rand_sigma_mp"), *row.rand_sigma_mp, 1e-6));
    EXPECT_TRUE(near_rel(ww.at("rand_bulk_max"), *row.rand_bulk_max, 1e-6));
    EXPECT_TRUE(near_rel(ww.at("rand_mp_softrank"), *row.rand_mp_softrank, 1e-6));
    EXPECT_EQ(*row.correlation_trap, ww.at("rand_num_spikes").get<double>() > 0 ? 1.0 : 0.0);
  }
}

TEST(RandomizeDefinitions, JensenShannonDistanceClosedForms) {
  VecD p(4), q(4);
  p << 1, 2, 3, 4;
  EXPECT_EQ(jensen_shannon_distance(p, p), 0.0);
  EXPECT_EQ(jensen_shannon_distance(p, 3 * p), 0.0) << "each side is normalized to sum 1";
  // disjoint supports: KL(p || m) = KL(q || m) = ln 2
  p << 1, 1, 0, 0;
  q << 0, 0, 1, 1;
  EXPECT_TRUE(near_rel(std::sqrt(std::log(2.0)), jensen_shannon_distance(p, q), 1e-15));
}

// ---- sih's own draw against the spread of weightwatcher's --------------------------------

std::vector<AnalyzeRow> randomized_rows(std::vector<std::string> paths, std::uint64_t seed,
                                        int jobs = 0) {
  AnalyzeOptions opt;
  opt.paths = std::move(paths);
  opt.randomize = true;
  opt.seed = seed;
  opt.jobs = jobs;
  opt.quiet = true;
  std::ostringstream err;
  return analyze_all(opt, err, nullptr);
}

TEST(RandomizeSeeds, OwnDrawFallsInWeightwatchersSpread) {
  const json ref = test::read_json(test::ww_fixture("randomize_seeds.json"));
  const auto rows = randomized_rows(
      {test::ww_fixture("model_tuned.safetensors"), test::ww_fixture("lowrank_200x100.npy"),
       test::ww_fixture("lowrank_trap_200x100.npy")},
      0);
  int traps_compared = 0;
  for (const auto& [name, s] : ref.at("layers").items()) {
    SCOPED_TRACE(name);
    const AnalyzeRow* r = row_named(rows, name);
    ASSERT_NE(r, nullptr);
    const json& e = s.at("max_rand_eval");
    const double lo = e.at("min").get<double>() - 3 * e.at("std").get<double>();
    const double hi = e.at("max").get<double>() + 3 * e.at("std").get<double>();
    const double got = *r->metrics.max_rand_eval;
    EXPECT_TRUE(got >= lo && got <= hi)
        << "max_rand_eval " << std::setprecision(10) << got << ", weightwatcher's 20 draws span ["
        << e.at("min") << ", " << e.at("max") << "] (std " << e.at("std") << ")";
    const json& k = s.at("rand_num_spikes");
    const double spikes = *r->metrics.rand_num_spikes;
    EXPECT_TRUE(spikes >= k.at("min").get<double>() - 1 && spikes <= k.at("max").get<double>() + 1)
        << "rand_num_spikes " << spikes << ", weightwatcher's draws span [" << k.at("min") << ", "
        << k.at("max") << "]";
    const double fraction = s.at("trap_fraction").get<double>();
    if (fraction == 0 || fraction == 1) {
      EXPECT_EQ(*r->metrics.correlation_trap, fraction)
          << "weightwatcher's flag is the same under all its draws";
      ++traps_compared;
    }
  }
  EXPECT_GE(traps_compared, 6) << "too few layers with a seed-free flag to compare";
  const json& l = ref.at("layers");
  EXPECT_EQ(l.at("lowrank_200x100").at("trap_fraction"), 0.0);
  EXPECT_EQ(l.at("lowrank_trap_200x100").at("trap_fraction"), 1.0);
}

// ---- closed forms ------------------------------------------------------------------------

TEST(RandomizeInvariants, EachDrawKeepsTheFrobeniusNorm) {
  Rng rng(11);
  // a 60 x 40 matrix (5 replicas: M < 100), a 130 x 120 one (1) and a conv kernel's slices
  for (const std::vector<std::int64_t>& shape :
       std::vector<std::vector<std::int64_t>>{{60, 40}, {130, 120}, {12, 6, 3, 3}}) {
    Tensor t;
    t.shape = shape;
    t.dtype = "float64";
    std::size_t n = 1;
    for (auto s : shape) n *= static_cast<std::size_t>(s);
    for (std::size_t i = 0; i < n; ++i) t.data.push_back(rng.normal() + (i % 7 == 0 ? 3 : 0));
    AnalyzeInput in;
    in.name = "w";
    in.tensor = t;
    AnalyzeOptions opt;
    const AnalyzeRow row = analyze_input(in, opt);
    const RandomizedEsd r = randomized_eigenvalues(t, "slices", row.M, 5);
    EXPECT_EQ(r.replicas, row.M < 100 ? 5 : 1);
    EXPECT_EQ(r.first.size(), row.eigs.size());
    EXPECT_EQ(r.pooled.size(), row.eigs.size() * r.replicas);
    const double total = row.eigs.sum();
    EXPECT_TRUE(near_rel(total, r.first.sum(), 1e-12)) << "first draw";
    EXPECT_TRUE(near_rel(total * r.replicas, r.pooled.sum(), 1e-12)) << "pooled draws";
  }
}

// ---- the planted trap ----------------------------------------------------------------------

// W = noise (N(0, 1/d)) + three rank-one spikes of singular values 6, 5, 4 along random
// directions: learned-like structure spread over every entry.
MatD low_rank_plus_noise(Eigen::Index h, Eigen::Index d, std::uint64_t seed) {
  Rng rng(seed);
  MatD w(h, d);
  for (Eigen::Index i = 0; i < h; ++i)
    for (Eigen::Index j = 0; j < d; ++j) w(i, j) = rng.normal() / std::sqrt(double(d));
  const double strengths[] = {6, 5, 4};
  for (double s : strengths) {
    VecD u(h), v(d);
    for (auto& x : u) x = rng.normal();
    for (auto& x : v) x = rng.normal();
    w += s * (u / u.norm()) * (v / v.norm()).transpose();
  }
  return w;
}

TEST(RandomizeTrap, FlagsThePlantedEntryNotTheLearnedSpikes) {
  TempDir dir;
  const MatD w = low_rank_plus_noise(240, 120, 3);
  MatD trap = w;
  const double entry = 4.0;
  trap(31, 77) = entry;
  write_npy(dir / "spikes.npy", w);
  write_npy(dir / "spikes_and_entry.npy", trap);
  const auto rows = randomized_rows({dir / "spikes.npy", dir / "spikes_and_entry.npy"}, 0);
  ASSERT_EQ(rows.size(), 2u);
  const MetricsRow& a = rows[0].metrics;
  const MetricsRow& b = rows[1].metrics;
  EXPECT_GE(*a.num_spikes, 3) << "the planted spikes are spikes of W's own ESD";
  EXPECT_EQ(*a.rand_num_spikes, 0) << "permuted, they vanish into the bulk";
  EXPECT_EQ(*a.correlation_trap, 0);
  EXPECT_LT(*a.ww_softrank, 0.5) << "the randomized lambda_max is the bulk's";
  EXPECT_GE(*b.rand_num_spikes, 1) << "one large entry survives any permutation";
  EXPECT_EQ(*b.correlation_trap, 1);
  // sigma_max >= the largest |entry|, for every permutation of the entries
  EXPECT_GE(*b.max_rand_eval, entry * entry);
  EXPECT_GT(*b.rand_distance, 0);
  const AnalyzeSummary s = summarize_analysis(rows);
  EXPECT_TRUE(s.randomized);
  EXPECT_EQ(s.correlation_traps, std::vector<std::string>{"spikes_and_entry"});
}

// A trained W (sih's, tests/data/ww/README.md: 30 spikes learned in 10 Adam steps) is no trap;
// the same W with one entry of 200 (54 standard deviations of its entries) is.
TEST(RandomizeTrap, TrainedSpikesAreNoTrapAPlantedEntryIs) {
  TempDir dir;
  MatD w = read_array(test::ww_fixture("sih_trained_W.npy"));
  const auto before = randomized_rows({test::ww_fixture("sih_trained_W.npy")}, 0);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_GE(*before[0].metrics.num_spikes, 10);
  EXPECT_EQ(*before[0].metrics.correlation_trap, 0);
  w(5, 7) = 200;
  write_npy(dir / "sih_trained_W.npy", w);
  const auto after = randomized_rows({dir / "sih_trained_W.npy"}, 0);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(*after[0].metrics.correlation_trap, 1);
  EXPECT_GE(*after[0].metrics.max_rand_eval, 200.0 * 200.0);
}

// ---- the command: determinism, the default path, --out-dir, bad input -----------------------

std::string column_of(const test::Csv& c, std::size_t r, const std::vector<std::string>& cols) {
  std::string s;
  for (const auto& col : cols) s += c.at(r, col) + ";";
  return s;
}

TEST(RandomizeCommand, SameSeedSameBitsAnyJobsAndAnyOtherInputs) {
  TempDir dir;
  const std::string model = test::ww_fixture("model_tuned.safetensors");
  const std::string npy = test::ww_fixture("lowrank_trap_200x100.npy");
  auto run = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args = {"analyze", model, npy, "--randomize", "-q", "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return test::read_text(out);
  };
  const std::string one = run(dir / "j1.csv", {"--seed", "7", "--jobs", "1"});
  const std::string two = run(dir / "j2.csv", {"--seed", "7", "--jobs", "2"});
  EXPECT_EQ(one, two) << "--jobs changes the randomized columns";
  const std::string other = run(dir / "s8.csv", {"--seed", "8", "--jobs", "2"});
  EXPECT_NE(one, other) << "--seed does not reach the permutation";
  // a tensor's permutation is its own: analysed alone, the .npy gets the same row
  const auto alone = cli({"analyze", npy, "--randomize", "--seed", "7", "-q"});
  ASSERT_EQ(alone.status, 0) << alone.err;
  const test::Csv both = test::read_csv(dir / "j1.csv");
  test::write_text(dir / "alone.csv", alone.out);
  const test::Csv single = test::read_csv(dir / "alone.csv");
  std::vector<std::string> rand_cols, other_cols;
  for (const MetricColumn& m : analyze_columns())
    (m.has(kRandomized) ? rand_cols : other_cols).emplace_back(m.name);
  ASSERT_EQ(single.rows.size(), 1u);
  EXPECT_EQ(column_of(single, 0, rand_cols), column_of(both, both.rows.size() - 1, rand_cols));

  // without --randomize: the rand_* cells are empty, every other cell is as with it
  const auto plain = cli({"analyze", model, npy, "-q"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  test::write_text(dir / "plain.csv", plain.out);
  const test::Csv p = test::read_csv(dir / "plain.csv");
  ASSERT_EQ(p.rows.size(), both.rows.size());
  for (std::size_t r = 0; r < p.rows.size(); ++r) {
    EXPECT_EQ(column_of(p, r, other_cols), column_of(both, r, other_cols)) << "row " << r;
    for (const auto& c : rand_cols) EXPECT_EQ(p.at(r, c), "") << c;
    for (const auto& c : rand_cols) EXPECT_NE(both.at(r, c), "") << c;
  }
}

TEST(RandomizeCommand, OutDirSummaryListsTheTraps) {
  TempDir dir;
  const auto r = cli({"analyze", test::ww_fixture("lowrank_200x100.npy"),
                      test::ww_fixture("lowrank_trap_200x100.npy"), "--randomize", "-q",
                      "--out-dir", dir / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json s = test::read_json(dir / "out/summary.json");
  EXPECT_EQ(s.at("num_correlation_traps"), 1);
  EXPECT_EQ(s.at("correlation_traps"), json::array({"lowrank_trap_200x100"}));
  const auto plain =
      cli({"analyze", test::ww_fixture("lowrank_200x100.npy"), "-q", "--out-dir", dir / "p"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_FALSE(test::read_json(dir / "p/summary.json").contains("correlation_traps"))
      << "without --randomize nothing was looked for";
}

TEST(RandomizeCommand, BadSeedIsOneLineExitTwo) {
  for (const char* seed : {"-1", "abc", "1.5"}) {
    const auto r =
        cli({"analyze", test::ww_fixture("lowrank_200x100.npy"), "--randomize", "--seed", seed});
    EXPECT_EQ(r.status, 2) << seed;
    EXPECT_NE(r.err.find("--seed"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace sih
