// `sih analyze` of a whole model (issue 21): the model summary against weightwatcher's
// get_summary() (and pandas' medians) of the same model, and `--compare` against numpy's
// distances of a base model and a copy with a planted rank-2 update, a planted large entry and
// small full-rank noise (tests/data/ww/model_*; scripts/reference/analyze_model_fixtures.py).
// The command in-process: --out-dir's files, stdout of --compare, and the bad pairs.
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sih/experiments/analyze.hpp"
#include "sih/experiments/analyze_compare.hpp"
#include "sih/experiments/analyze_summary.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/formats/tensor_file.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

using nlohmann::json;
using test::cli;
using test::TempDir;

void expect_close(const std::string& what, double expected, double actual, double rel,
                  double abs = 0) {
  const double tol = rel * std::abs(expected) + abs;
  EXPECT_TRUE(std::abs(actual - expected) <= tol)
      << what << ": expected " << std::setprecision(17) << expected << ", actual " << actual
      << " (tolerance " << tol << ")";
}

// ---- the summary against weightwatcher ---------------------------------------------------

// The fits agree with weightwatcher to ~1e-9 (tests/commands/test_analyze.cpp checks 1e-6 per
// column); a mean or median of six of them is as close.
constexpr double kFitRel = 1e-6;

TEST(AnalyzeSummary, MatchesWeightwatcherGetSummary) {
  const json ref = test::read_json(test::ww_fixture("model_base.summary.json"));
  AnalyzeOptions opt;
  opt.paths = {test::ww_fixture("model_base.safetensors")};
  opt.quiet = true;
  std::ostringstream err;
  const auto rows = analyze_all(opt, err, nullptr);
  ASSERT_EQ(rows.size(), 6u);
  const AnalyzeSummary s = summarize_analysis(rows);
  EXPECT_EQ(s.layers, 6u);
  for (const auto& [col, v] : ref.at("get_summary").items())
    expect_close(col + " mean", v.get<double>(), s.value(col + "_mean"), kFitRel);
  for (const auto& [col, v] : ref.at("median").items())
    expect_close(col + " median", v.get<double>(), s.value(col + "_median"), kFitRel);
  EXPECT_EQ(s.over_trained, ref.at("over_trained").get<std::vector<std::string>>());
  EXPECT_EQ(s.under_trained, ref.at("under_trained").get<std::vector<std::string>>());
  EXPECT_TRUE(s.failed_fits.empty());
  // every statistic of the table is in the summary, and nothing else
  EXPECT_EQ(s.values.size(), summary_stats().size());
}

// weightwatcher's get_summary is pandas' mean: -1 failed fits count, empty cells do not.
TEST(AnalyzeSummary, FailedFitsCountAsWeightwatcherAndEmptyCellsDoNot) {
  std::vector<AnalyzeRow> rows(4);
  const double alphas[] = {1.5, 7.0, -1.0, 3.0};
  for (int i = 0; i < 4; ++i) {
    rows[i].name = "l" + std::to_string(i);
    rows[i].metrics.alpha = alphas[i];
  }
  rows[3].metrics.log_norm = 2.0;  // the only layer with a log_norm
  const AnalyzeSummary s = summarize_analysis(rows);
  expect_close("alpha mean", (1.5 + 7.0 - 1.0 + 3.0) / 4, s.value("alpha_mean"), 1e-15);
  expect_close("alpha median", (1.5 + 3.0) / 2, s.value("alpha_median"), 1e-15);
  expect_close("log_norm mean", 2.0, s.value("log_norm_mean"), 1e-15);
  EXPECT_TRUE(std::isnan(s.value("stable_rank_mean")));
  EXPECT_EQ(s.over_trained, std::vector<std::string>{"l0"});
  EXPECT_EQ(s.under_trained, std::vector<std::string>{"l1"});
  EXPECT_EQ(s.failed_fits, std::vector<std::string>{"l2"});
  const json j = json::parse(summary_json(s));
  EXPECT_TRUE(j.at("stable_rank_mean").is_null());
  EXPECT_EQ(j.at("num_failed_fits"), 1);
}

// ---- --compare against numpy ----------------------------------------------------------------

TEST(AnalyzeCompare, DistancesMatchNumpyAndFindThePlantedRank) {
  const json ref = test::read_json(test::ww_fixture("model_tuned.compare.json"));
  AnalyzeOptions opt;
  opt.paths = {test::ww_fixture("model_tuned.safetensors")};
  opt.compare = test::ww_fixture("model_base.safetensors");
  opt.quiet = true;
  std::ostringstream err;
  const auto rows = analyze_all(opt, err, nullptr);
  const CompareResult r = compare_checkpoints(opt, rows, err);
  EXPECT_EQ(r.only_new, ref.at("only_new").get<std::vector<std::string>>());
  EXPECT_TRUE(r.only_base.empty());
  EXPECT_TRUE(r.shape_differs.empty());
  ASSERT_EQ(r.pairs.size(), ref.at("pairs").size());
  for (const ComparePair& p : r.pairs) {
    SCOPED_TRACE(p.name);
    const json& e = ref.at("pairs").at(p.name);
    // Norms from float64 sums of float32 values: ~1e-15; the spectral norm from the Gram
    // matrix's eigenvalue: ~1e-13 relative.
    expect_close("frobenius_base", e.at("frobenius_base"), p.frobenius_base, 1e-12);
    expect_close("frobenius_diff", e.at("frobenius_diff"), p.frobenius_diff, 1e-12);
    expect_close("relative_frobenius", e.at("relative_frobenius"), p.relative_frobenius, 1e-12);
    expect_close("spectral_norm_diff", e.at("spectral_norm_diff"), p.spectral_norm_diff, 1e-10,
                 1e-300);
    EXPECT_EQ(p.diff_numerical_rank, e.at("diff_numerical_rank").get<double>());
    if (e.at("diff_stable_rank").is_null()) {
      EXPECT_TRUE(std::isnan(p.diff_stable_rank));
      EXPECT_TRUE(std::isnan(p.diff_alpha));  // W == W0: no ESD of the difference
    } else {
      expect_close("diff_stable_rank", e.at("diff_stable_rank"), p.diff_stable_rank, 1e-9);
      expect_close("diff_rank_tolerance", e.at("diff_rank_tolerance"), p.diff_rank_tolerance,
                   1e-10);
    }
    // alpha and num_spikes of W, W0 and W - W0 against weightwatcher's rows of the three models
    expect_close("alpha_new", e.at("ww_new").at("alpha"), p.alpha_new, kFitRel);
    expect_close("alpha_base", e.at("ww_base").at("alpha"), p.alpha_base, kFitRel);
    EXPECT_EQ(p.num_spikes_new, e.at("ww_new").at("num_spikes").get<double>());
    EXPECT_EQ(p.num_spikes_base, e.at("ww_base").at("num_spikes").get<double>());
    if (!e.at("ww_diff").is_null()) {
      expect_close("diff_alpha", e.at("ww_diff").at("alpha"), p.diff_alpha, kFitRel);
      EXPECT_EQ(p.diff_num_spikes, e.at("ww_diff").at("num_spikes").get<double>());
    }
  }
  // the planted changes, independently of the reference file
  for (const ComparePair& p : r.pairs) {
    if (p.name == "layers.1.weight") {
      EXPECT_EQ(p.diff_numerical_rank, 2);  // the rank-2 update
      EXPECT_LT(p.diff_stable_rank, 2.0);
    } else if (p.name == "layers.2.weight") {
      EXPECT_EQ(p.diff_numerical_rank, 1);  // one entry: rank 1, spectral norm = the entry
      expect_close("planted entry", 8.0, p.spectral_norm_diff, 1e-6);
    } else if (p.name == "layers.4.weight") {
      EXPECT_EQ(p.diff_numerical_rank, 100);  // full-rank noise
    } else {
      EXPECT_EQ(p.frobenius_diff, 0.0);
    }
  }
}

// ---- the command ----------------------------------------------------------------------------

TEST(AnalyzeModelCli, OutDirHoldsTableSummaryAndComparison) {
  TempDir tmp;
  const std::string dir = tmp / "out";
  const auto r = cli({"analyze", test::ww_fixture("model_tuned.safetensors"), "--compare",
                      test::ww_fixture("model_base.safetensors"), "--out-dir", dir});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("[sih] summary of 7 layers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("alpha < 2 (over-trained): "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 tensors only in"), std::string::npos) << r.err;
  const auto table = test::read_csv(dir + "/analyze.csv");
  EXPECT_EQ(table.rows.size(), 7u);
  const json s = test::read_json(dir + "/summary.json");
  EXPECT_EQ(s.at("layers"), 7);
  EXPECT_TRUE(s.contains("alpha_mean"));
  const auto cmp = test::read_csv(dir + "/compare.csv");
  ASSERT_EQ(cmp.rows.size(), 7u);  // six pairs and head.weight
  EXPECT_EQ(cmp.header[0], "name");
  EXPECT_EQ(cmp.rows.back()[0], "head.weight");
  EXPECT_EQ(cmp.rows.back()[1], "only_new");
  for (const auto& row : cmp.rows) EXPECT_EQ(row.size(), cmp.header.size());

  // again without --compare: the stale compare.csv goes
  const auto again =
      cli({"analyze", test::ww_fixture("model_base.safetensors"), "--out-dir", dir, "-q"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_TRUE(again.err.empty()) << again.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/compare.csv"));
  EXPECT_EQ(test::read_json(dir + "/summary.json").at("layers"), 6);
}

TEST(AnalyzeModelCli, CompareWithoutOutDirWritesTheComparisonToStdout) {
  const auto r = cli({"analyze", test::ww_fixture("model_tuned.safetensors"), "--compare",
                      test::ww_fixture("model_base.safetensors"), "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("name,status,shape,", 0), 0u) << r.out.substr(0, 200);
}

// A safetensors file of F32 tensors (name, shape), values 0.01 * (index % 97).
std::string safetensors(const std::vector<std::pair<std::string, std::vector<int>>>& ts) {
  std::string header = "{", data;
  for (const auto& [name, shape] : ts) {
    std::size_t n = 1;
    std::string sh;
    for (int s : shape) {
      n *= static_cast<std::size_t>(s);
      sh += (sh.empty() ? "" : ",") + std::to_string(s);
    }
    const std::size_t begin = data.size();
    for (std::size_t i = 0; i < n; ++i) {
      const float f = 0.01f * static_cast<float>((i * 31) % 97);
      data.append(reinterpret_cast<const char*>(&f), 4);
    }
    header += (header.size() > 1 ? "," : "") + std::string("\"") + name +
              "\":{\"dtype\":\"F32\",\"shape\":[" + sh + "],\"data_offsets\":[" +
              std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  const std::uint64_t len = header.size();
  return std::string(reinterpret_cast<const char*>(&len), 8) + header + data;
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(AnalyzeModelCli, BadPairsAreOneLineErrors) {
  TempDir tmp;
  const std::string a = tmp / "a.safetensors", b = tmp / "b.safetensors", c = tmp / "c.safetensors";
  write_file_atomic(a, safetensors({{"x.weight", {20, 30}}, {"y.weight", {30, 20}}}));
  write_file_atomic(b, safetensors({{"p.weight", {20, 30}}}));
  write_file_atomic(c, safetensors({{"x.weight", {30, 20}}, {"y.weight", {20, 40}}}));

  const auto none = cli({"analyze", a, "--compare", b, "-q"});
  EXPECT_EQ(none.status, 2);
  EXPECT_EQ(lines(none.err), 1) << none.err;
  EXPECT_NE(none.err.find("--compare: " + b + ": no tensor in common"), std::string::npos)
      << none.err;

  const auto shapes = cli({"analyze", a, "--compare", c, "-q"});
  EXPECT_EQ(shapes.status, 2);
  EXPECT_EQ(lines(shapes.err), 1) << shapes.err;
  EXPECT_NE(shapes.err.find("all 2 tensors in common"), std::string::npos) << shapes.err;
  EXPECT_NE(shapes.err.find("x.weight: 20x30 vs 30x20"), std::string::npos) << shapes.err;

  const auto missing = cli({"analyze", a, "--compare", tmp / "nope.safetensors", "-q"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("--compare: "), std::string::npos) << missing.err;

  const auto two = cli({"analyze", a, b, "--compare", c, "-q"});
  EXPECT_EQ(two.status, 2);
  EXPECT_NE(two.err.find("--compare: compares one checkpoint"), std::string::npos) << two.err;

  const auto both = cli({"analyze", a, "--out", tmp / "t.csv", "--out-dir", tmp / "d", "-q"});
  EXPECT_EQ(both.status, 2);
  EXPECT_NE(both.err.find("--out-dir: "), std::string::npos) << both.err;
}

// Two .npy files: one matrix each, paired whatever their stems (numpy: the planted rank-1
// update's rank and spectral norm).
TEST(AnalyzeModelCli, TwoNpyFilesPairTheirMatrices) {
  TempDir tmp;
  auto npy = [](const std::vector<float>& v) {
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (30, 20), }";
    h += std::string(64 - (10 + h.size() + 1) % 64, ' ') + "\n";
    const std::uint16_t len = static_cast<std::uint16_t>(h.size());
    std::string s = std::string("\x93NUMPY\x01\x00", 8) +
                    std::string(reinterpret_cast<const char*>(&len), 2) + h;
    s.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    return s;
  };
  std::vector<float> w0(600), w(600);
  for (int i = 0; i < 600; ++i) w0[i] = static_cast<float>(std::sin(0.37 * i * i + 1.3 * i));
  // + 2 u v^T with u = (1, 0, ..., 0), v = (0, ..., 0, 1): one entry, so W - W0 is exactly
  // 2 at [0, 19]: rank 1, spectral norm 2
  w = w0;
  w[19] += 2.0f;
  write_file_atomic(tmp / "W_step0.npy", npy(w0));
  write_file_atomic(tmp / "W_step9.npy", npy(w));
  const auto r = cli({"analyze", tmp / "W_step9.npy", "--compare", tmp / "W_step0.npy", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(row.rfind("W_step9,paired,30x20,", 0), 0u) << row;
  std::vector<std::string> cells;
  std::stringstream ss(row);
  for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
  ASSERT_GE(cells.size(), 18u) << row;
  expect_close("spectral_norm_diff", 2.0, std::stod(cells[8]), 1e-6);
  EXPECT_EQ(cells[18], "1") << row;  // diff_numerical_rank
}

// A PEFT LoRA adapter folder against its base: W - W0 = (lora_alpha / r) B A, checked against
// Eigen's dense SVD of that product (rank r, its spectral and Frobenius norms).
TEST(AnalyzeModelCli, PeftAdapterIsAnalysedAsTheProductOfItsFactors) {
  TempDir tmp;
  const std::string dir = tmp / "adapter";
  std::filesystem::create_directories(dir);
  constexpr int r = 4, out = 300, in = 200;
  std::vector<float> a(r * in), b(out * r);
  for (std::size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>(std::sin(0.37 * i * i + 1.3 * i));
  for (std::size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>(0.05 * std::cos(0.53 * i * i + 0.7 * i));
  auto f32 = [](const std::vector<float>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  };
  const std::string data = f32(a) + f32(b);
  std::string header =
      "{\"base_model.model.layers.1.lora_A.weight\":{\"dtype\":\"F32\",\"shape\":[4,200],"
      "\"data_offsets\":[0," +
      std::to_string(a.size() * 4) +
      "]},\"base_model.model.layers.1.lora_B.weight\":{\"dtype\":\"F32\",\"shape\":[300,4],"
      "\"data_offsets\":[" +
      std::to_string(a.size() * 4) + "," + std::to_string(data.size()) + "]}}";
  const std::uint64_t len = header.size();
  write_file_atomic(dir + "/adapter_model.safetensors",
                    std::string(reinterpret_cast<const char*>(&len), 8) + header + data);
  write_file_atomic(dir + "/adapter_config.json",
                    "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8}");

  // the independent truth: Eigen's SVD of 2 B A, and W0 from the base file
  Eigen::MatrixXd A(r, in), B(out, r);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < in; ++j) A(i, j) = a[static_cast<std::size_t>(i * in + j)];
  for (int i = 0; i < out; ++i)
    for (int j = 0; j < r; ++j) B(i, j) = b[static_cast<std::size_t>(i * r + j)];
  const Eigen::MatrixXd delta = (8.0 / r) * B * A;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(delta);
  const auto base = open_tensor_file(test::ww_fixture("model_base.safetensors"));
  double f0 = 0;
  for (std::size_t i = 0; i < base->tensors().size(); ++i)
    if (base->tensors()[i].name == "layers.1.weight")
      for (double v : base->load(i).data) f0 += v * v;

  const std::string odir = tmp / "out";
  const auto res = cli(
      {"analyze", dir, "--compare", test::ww_fixture("model_base.safetensors"), "--out-dir", odir});
  ASSERT_EQ(res.status, 0) << res.err;
  const auto cmp = test::read_csv(odir + "/compare.csv");
  ASSERT_EQ(cmp.rows.size(), 1u);
  const auto& row = cmp.rows[0];
  EXPECT_EQ(row[0], "layers.1.weight");
  EXPECT_EQ(row[1], "paired");
  EXPECT_EQ(row[3], "lora");
  expect_close("frobenius_diff", delta.norm(), std::stod(row[6]), 1e-12);
  expect_close("relative_frobenius", delta.norm() / std::sqrt(f0), std::stod(row[7]), 1e-12);
  expect_close("spectral_norm_diff", svd.singularValues()(0), std::stod(row[8]), 1e-10);
  // diff_numerical_rank: the adapter's r (the factors' quadratic phases make them full rank)
  ASSERT_GT(svd.singularValues()(3), 1e-3 * svd.singularValues()(0));
  EXPECT_EQ(row[18], "4");
  const double sr = delta.squaredNorm() / std::pow(svd.singularValues()(0), 2);
  expect_close("diff_stable_rank", sr, std::stod(row[17]), 1e-9);
  // the table and summary are of the merged layer
  const auto table = test::read_csv(odir + "/analyze.csv");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(test::read_json(odir + "/summary.json").at("layers"), 1);

  // --randomize permutes the merged layer (M = 200: one permutation, so ww_maxdist is
  // lambda_max - max_rand_eval), and its summary says what was looked for
  const std::string rdir = tmp / "rand";
  const auto rnd = cli({"analyze", dir, "--compare", test::ww_fixture("model_base.safetensors"),
                        "--out-dir", rdir, "--randomize", "-q"});
  ASSERT_EQ(rnd.status, 0) << rnd.err;
  const auto rt = test::read_csv(rdir + "/analyze.csv");
  ASSERT_EQ(rt.rows.size(), 1u);
  expect_close("ww_maxdist",
               std::stod(rt.at(0, "lambda_max")) - std::stod(rt.at(0, "max_rand_eval")),
               std::stod(rt.at(0, "ww_maxdist")), 1e-15, 1e-12);
  EXPECT_EQ(rt.at(0, "correlation_trap"), "0") << "a low-rank update is no trap";
  EXPECT_TRUE(test::read_json(rdir + "/summary.json").contains("correlation_traps"));

  // without --compare: one line saying what an adapter needs
  const auto alone = cli({"analyze", dir, "-q"});
  EXPECT_EQ(alone.status, 2);
  EXPECT_NE(alone.err.find("a PEFT adapter folder: give the base model with --compare"),
            std::string::npos)
      << alone.err;
}

}  // namespace
}  // namespace sih
