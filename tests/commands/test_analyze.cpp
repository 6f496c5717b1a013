// `sih analyze`: the readers (hand-made .npy and .safetensors bytes, including lying headers,
// truncation, bf16/f16), the conv/BF16/F16 path against weightwatcher 0.7.5.5 itself
// (tests/data/ww/conv_and_mixed.*), and the command in-process: CSV/JSON, --out,
// --keep-going, one-line errors with exit status 2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sih/commands/analyze.hpp"
#include "sih/commands/cli.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/formats/matrix_readers.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

using nlohmann::json;

void expect_close(const std::string& what, double expected, double actual, double rel,
                  double abs = 0) {
  const double tol = rel * std::abs(expected) + abs;
  EXPECT_TRUE(std::abs(actual - expected) <= tol)
      << what << ": expected " << std::setprecision(17) << expected << ", actual " << actual;
}

// ---- safetensors bytes -------------------------------------------------------------------

std::string le64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string safetensors(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

std::string u16s(std::initializer_list<std::uint16_t> v) {
  std::string s;
  for (auto x : v) {
    s += static_cast<char>(x & 0xff);
    s += static_cast<char>(x >> 8);
  }
  return s;
}

std::string f32s(std::initializer_list<float> v) {
  std::string s;
  for (float x : v) s.append(reinterpret_cast<const char*>(&x), 4);
  return s;
}

TEST(Safetensors, DecodesBf16F16F32AndSkipsOthers) {
  // BF16 0x3F80 = 1, 0xC000 = -2; F16 0x3C00 = 1, 0x0001 = 2^-24, 0x7BFF = 65504, 0xC400 = -4
  const std::string data = u16s({0x3F80, 0xC000, 0x3F80, 0x3F80}) +
                           u16s({0x3C00, 0x0001, 0x7BFF, 0xC400}) + f32s({1.5f, -2.5f}) +
                           std::string(8, '\0');
  const std::string header = R"({"__metadata__":{"format":"pt"},)"
                             R"("a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]},)"
                             R"("bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
                             R"("ids":{"dtype":"I32","shape":[1,2],"data_offsets":[24,32]}})";
  std::vector<std::string> skipped;
  const auto t = parse_safetensors(safetensors(header, data), "mem", &skipped);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "a");
  EXPECT_EQ(t[0].dtype, "bfloat16");
  EXPECT_EQ(t[0].data, (std::vector<double>{1, -2, 1, 1}));
  EXPECT_EQ(t[1].dtype, "float16");
  EXPECT_EQ(t[1].data, (std::vector<double>{1, std::ldexp(1.0, -24), 65504, -4}));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("ids"), std::string::npos);
}

struct BadCase {
  const char* what;
  std::string bytes;
  const char* expect;  // substring of the error
};

TEST(Safetensors, BadFilesNameFileAndTensor) {
  const std::string ok_data = f32s({1, 2, 3, 4});
  const std::string h = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  const std::vector<BadCase> cases = {
      {"empty", "", "truncated"},
      {"header longer than file", le64(1000) + "{}", "exceeds the file"},
      {"truncated data", safetensors(h, ok_data.substr(0, 10)), "outside the data buffer"},
      {"lying offsets",
       safetensors(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,64]}})", ok_data),
       "outside the data buffer"},
      {"span != shape",
       safetensors(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})", ok_data),
       "needs 24"},
      {"unknown dtype",
       safetensors(R"({"w":{"dtype":"F33","shape":[2,2],"data_offsets":[0,16]}})", ok_data),
       "unknown dtype 'F33'"},
      {"not json", safetensors("{not json", ok_data), "not valid JSON"},
      {"NaN entry", safetensors(h, f32s({1, std::nanf(""), 3, 4})), "NaN entry at flat index 1"},
      {"missing keys", safetensors(R"({"w":{"dtype":"F32"}})", ok_data), "needs dtype, shape"},
  };
  for (const auto& c : cases) {
    try {
      parse_safetensors(c.bytes, "model.safetensors");
      ADD_FAILURE() << c.what << ": no error";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << c.what << ": " << msg;
      EXPECT_NE(msg.find(c.expect), std::string::npos) << c.what << ": " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << c.what << ": not one line: " << msg;
      if (std::string(c.what) == "lying offsets" || std::string(c.what) == "NaN entry") {
        EXPECT_NE(msg.find("tensor 'w'"), std::string::npos) << msg;
      }
    }
  }
}

// ---- .npy ---------------------------------------------------------------------------------

std::string npy(const std::string& descr, const std::string& shape, const std::string& data,
                bool fortran = false) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                  ", 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string s = "\x93NUMPY";
  s += '\x01';
  s += '\x00';
  s += static_cast<char>(h.size() & 0xff);
  s += static_cast<char>(h.size() >> 8);
  return s + h + data;
}

TEST(Npy, Float16AndFortranOrder) {
  test::TempDir tmp;
  write_file_atomic(tmp / "h.npy", npy("<f2", "(2, 2)", u16s({0x3C00, 0x4000, 0x4200, 0xC400})));
  const Tensor t = read_npy_tensor(tmp / "h.npy");
  EXPECT_EQ(t.dtype, "float16");
  EXPECT_EQ(t.data, (std::vector<double>{1, 2, 3, -4}));
  write_file_atomic(tmp / "f.npy", npy("<f4", "(2, 3)", f32s({1, 4, 2, 5, 3, 6}), true));
  EXPECT_EQ(read_npy_tensor(tmp / "f.npy").data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, BadFiles) {
  test::TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {npy("<f4", "(2, 2)", f32s({1, 2, 3})), "truncated"},
      {npy("<i4", "(2, 2)", f32s({1, 2, 3, 4})), "unsupported dtype '<i4'"},
      {npy("<f4", "(2, 2)", f32s({1, 2, std::nanf(""), 4})), "NaN entry at flat index 2"},
      {npy("<f4", "(1, 2, 2)", f32s({1, 2, 3, 4})), "1-D or 2-D"},
      {"not numpy", "bad magic"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string path = tmp / ("bad" + std::to_string(i) + ".npy");
    write_file_atomic(path, cases[i].first);
    try {
      read_npy_tensor(path);
      ADD_FAILURE() << cases[i].second << ": no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(cases[i].second), std::string::npos) << e.what();
    }
  }
}

// ---- conv kernel and BF16/F16 layers against weightwatcher -------------------------------

TEST(AnalyzeVsWeightwatcher, ConvAndMixedPrecisionSafetensors) {
  std::ifstream in(test::ww_fixture("conv_and_mixed.expected.json"));
  const json doc = json::parse(in);
  AnalyzeOptions opt;
  opt.paths = {test::ww_fixture("conv_and_mixed.safetensors")};
  opt.quiet = true;
  std::ostringstream err;
  const auto inputs = collect_analyze_inputs(opt, err, nullptr);
  ASSERT_EQ(inputs.size(), 3u);  // the bias (1-D) and the I64 tensor are not matrices
  for (const auto& input : inputs) {
    SCOPED_TRACE(input.name);
    const json& ref = doc.at("tensors").at(input.name);
    const AnalyzeRow row = analyze_input(input, opt);
    const json& ww = ref.at("ww");
    EXPECT_EQ(row.N, ww.at("N").get<double>());
    EXPECT_EQ(row.M, ww.at("M").get<double>());
    EXPECT_EQ(row.rf, ww.at("rf").get<long>());
    const auto ev = ref.at("ww_evals").get<std::vector<double>>();
    ASSERT_EQ(static_cast<std::size_t>(row.eigs.size()), ev.size());
    for (std::size_t i = 0; i < ev.size(); ++i)
      ASSERT_NEAR(row.eigs[static_cast<Eigen::Index>(i)], ev[i], 1e-12 * ev.back()) << i;
    for (const auto& [k, v] : row.diag.columns()) {
      if (!ww.contains(k)) continue;
      if (k == "num_evals" || k == "W_scale") continue;
      expect_close(input.name + " " + k, ww.at(k).get<double>(), v, 1e-6);
    }
  }
}

// ---- the command, in-process ---------------------------------------------------------------

struct CliResult {
  int status;
  std::string out, err;
};
CliResult cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int s = run_cli(args, out, err);
  return {s, out.str(), err.str()};
}

TEST(AnalyzeCli, CsvJsonOutAndKeepGoing) {
  test::TempDir tmp;
  const std::string good = test::ww_fixture("gaussian_300x200.npy");
  const std::string bad = tmp / "bad.npy";
  write_file_atomic(bad, npy("<f4", "(20, 20)", f32s({1, 2, 3})));

  const CliResult csv = cli({"analyze", good, "--quiet"});
  EXPECT_EQ(csv.status, 0) << csv.err;
  const std::string header = csv.out.substr(0, csv.out.find('\n'));
  for (const char* c : {"name",
                        "shape",
                        "alpha",
                        "D",
                        "xmin",
                        "xmax",
                        "alpha_weighted",
                        "log_norm",
                        "log_spectral_norm",
                        "log_alpha_norm",
                        "stable_rank",
                        "entropy",
                        "num_pl_spikes",
                        "num_spikes",
                        "sigma_mp",
                        "mp_softrank",
                        "lambda_max",
                        "spectral_norm",
                        "norm",
                        "matrix_rank",
                        "bulk_max",
                        "bulk_min",
                        "mp_lambda_plus",
                        "spike_gap",
                        "R_lognormal",
                        "p_truncated_power_law",
                        "alpha_hill",
                        "alpha_mle_ks"})
    EXPECT_NE(("," + header + ",").find(std::string(",") + c + ","), std::string::npos) << c;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 2);

  const CliResult js = cli({"analyze", good, good, "--format", "json", "--quiet"});
  EXPECT_EQ(js.status, 0) << js.err;
  const json j = json::parse(js.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0].at("shape"), "300x200");
  EXPECT_TRUE(j[0].at("mp_lambda_plus_init").is_null());  // no --init-std

  const CliResult kg =
      cli({"analyze", bad, good, "--keep-going", "--quiet", "--init-std", "0.0707"});
  EXPECT_EQ(kg.status, 2);
  EXPECT_EQ(std::count(kg.err.begin(), kg.err.end(), '\n'), 1) << kg.err;
  EXPECT_NE(kg.err.find(bad), std::string::npos) << kg.err;
  EXPECT_EQ(std::count(kg.out.begin(), kg.out.end(), '\n'), 2) << kg.out;  // header + good

  const CliResult stop = cli({"analyze", bad, good, "--quiet"});
  EXPECT_EQ(stop.status, 2);
  EXPECT_TRUE(stop.out.empty()) << stop.out;
  EXPECT_EQ(std::count(stop.err.begin(), stop.err.end(), '\n'), 1) << stop.err;

  const std::string outfile = tmp / "t.csv";
  const CliResult to = cli({"analyze", good, "--out", outfile, "--quiet"});
  EXPECT_EQ(to.status, 0);
  EXPECT_TRUE(to.out.empty());
  EXPECT_EQ(test::read_text(outfile), csv.out);

  // a NaN found by the mapped fast path (2-D float32, C order): same one-line error
  {
    std::string vals;
    for (int i = 0; i < 400; ++i) {
      const float v = i == 237 ? std::nanf("") : static_cast<float>(i % 7);
      vals.append(reinterpret_cast<const char*>(&v), 4);
    }
    const std::string nan_file = tmp / "nan.npy";
    write_file_atomic(nan_file, npy("<f4", "(20, 20)", vals));
    const CliResult r = cli({"analyze", nan_file, "--quiet"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find(nan_file + ": NaN entry at flat index 237"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }

  for (const auto& args :
       std::vector<std::vector<std::string>>{{"analyze", good, "--format", "xml"},
                                             {"analyze", tmp / "missing.npy"},
                                             {"analyze", tmp.path()},
                                             {"analyze", good, "--init-std", "-1"}}) {
    const CliResult r = cli(args);
    EXPECT_EQ(r.status, 2) << args.back();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace sih

namespace sih {
namespace {

// A sih run folder (weights/*.npy: W matrices and the 1-D second layer a) and a .csv matrix:
// one row per matrix, W gets sih's init edge (N(0, 1) entries: (sqrt h + sqrt d)^2), the
// vector is not a matrix and is left out; the .csv gives the same numbers as the .npy.
TEST(AnalyzeCli, RunFolderAndCsv) {
  test::TempDir tmp;
  const MatD W = read_array(test::ww_fixture("gaussian_300x200.npy"));
  fs::create_directories(tmp / "run/weights");
  write_npy(tmp / "run/weights/step0_W.npy", W);
  write_npy(tmp / "run/weights/step0_a.npy", MatD(VecD::Ones(300)), true);
  write_csv(tmp / "w.csv", W);
  std::ostringstream out, err;
  const int s =
      run_cli({"analyze", tmp / "run", tmp / "w.csv", "--format", "json", "--quiet"}, out, err);
  ASSERT_EQ(s, 0) << err.str();
  const json j = json::parse(out.str());
  ASSERT_EQ(j.size(), 2u) << out.str();
  EXPECT_EQ(j[0].at("name"), "step0_W");
  const double edge = std::pow(std::sqrt(300.0) + std::sqrt(200.0), 2);
  expect_close("mp_lambda_plus_init", edge, j[0].at("mp_lambda_plus_init").get<double>(), 1e-15);
  EXPECT_EQ(j[0].at("num_spikes_init").get<double>(), 0);  // entries N(0, 1/200): far below
  EXPECT_TRUE(j[1].at("mp_lambda_plus_init").is_null());   // a csv has no known init
  for (const char* c : {"alpha", "xmin", "sigma_mp", "entropy", "R_lognormal"})
    expect_close(std::string("csv vs npy ") + c, j[0].at(c).get<double>(), j[1].at(c).get<double>(),
                 1e-12);
}

// The fixture is float32 in C order, which analyze maps and reads in place; the same matrix
// big-endian or in Fortran order (written by numpy) goes through the decoder of npy.cpp and
// must give the same row.
TEST(AnalyzeCli, BigEndianAndFortranNpyGiveTheMappedPathsRow) {
  const char* python = "/usr/bin/python3";
  if (std::system((std::string(python) + " -c 'import numpy' >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << python << " with numpy is not available";
  test::TempDir tmp;
  const std::string src = test::ww_fixture("gaussian_300x200.npy");
  const std::string script = "import numpy as np; a=np.load('" + src + "'); np.save('" +
                             std::string(tmp / "be.npy") + "', a.astype('>f4')); np.save('" +
                             std::string(tmp / "fortran.npy") + "', np.asfortranarray(a))";
  ASSERT_EQ(std::system((std::string(python) + " -c \"" + script + "\"").c_str()), 0) << script;
  std::ostringstream out, err;
  const int s =
      run_cli({"analyze", src, tmp / "be.npy", tmp / "fortran.npy", "--format", "json", "--quiet"},
              out, err);
  ASSERT_EQ(s, 0) << err.str();
  const json j = json::parse(out.str());
  ASSERT_EQ(j.size(), 3u) << out.str();
  for (std::size_t k = 1; k < 3; ++k) {
    SCOPED_TRACE(j[k].at("name").get<std::string>());
    EXPECT_EQ(j[k].at("shape"), "300x200");
    EXPECT_EQ(j[k].at("dtype"), "float32");
    for (const char* c : {"alpha", "xmin", "xmax", "sigma_mp", "entropy", "log_norm",
                          "log_spectral_norm", "R_lognormal"})
      expect_close(c, j[0].at(c).get<double>(), j[k].at(c).get<double>(), 1e-9);
  }
}

}  // namespace
}  // namespace sih
