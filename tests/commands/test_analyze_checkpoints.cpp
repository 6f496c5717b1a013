// `sih analyze` over checkpoints: the reader named, weightwatcher's layer policy (1-D and
// integer tensors skipped and listed, --layers, --min-evals/--max-evals), the layer kind, the
// conv option, and a HuggingFace folder analysed tensor by tensor. The eigenvalues are
// checked against Eigen's dense SVD of the same matrices.
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "sih/experiments/analyze.hpp"
#include "sih/experiments/layer_kind.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

using test::cli;
using test::TempDir;

struct Named {
  std::string name;
  std::string dtype;  // F32 or I64
  std::vector<std::int64_t> shape;
  std::vector<double> values;
};

std::string safetensors(const std::vector<Named>& ts) {
  std::string header = "{", data;
  for (const auto& t : ts) {
    std::string shape, bytes;
    for (auto s : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(s);
    for (double v : t.values) {
      if (t.dtype == "F32") {
        const float f = static_cast<float>(v);
        bytes.append(reinterpret_cast<const char*>(&f), 4);
      } else {
        const auto i = static_cast<std::int64_t>(v);
        bytes.append(reinterpret_cast<const char*>(&i), 8);
      }
    }
    header += (header.size() > 1 ? "," : "") + std::string("\"") + t.name + "\":{\"dtype\":\"" +
              t.dtype + "\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(data.size()) + "," + std::to_string(data.size() + bytes.size()) + "]}";
    data += bytes;
  }
  header += "}";
  std::uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

std::vector<double> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> v(n);
  for (auto& x : v) x = static_cast<float>(g(rng));  // representable in float32
  return v;
}

// Squared singular values, ascending, of the rows x cols row-major matrix.
std::vector<double> dense_eigs(const std::vector<double>& v, Eigen::Index rows, Eigen::Index cols) {
  const MatD m =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          v.data(), rows, cols);
  const VecD s = Eigen::JacobiSVD<MatD>(m).singularValues();
  std::vector<double> e(s.data(), s.data() + s.size());
  for (auto& x : e) x *= x;
  std::sort(e.begin(), e.end());
  return e;
}

void expect_eigs(const std::string& what, const std::vector<double>& expected, const VecD& actual) {
  ASSERT_EQ(static_cast<std::size_t>(actual.size()), expected.size()) << what;
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual[static_cast<Eigen::Index>(i)], expected[i], 1e-11 * expected.back())
        << what << " eigenvalue " << i << ": expected " << expected[i] << ", actual "
        << actual[static_cast<Eigen::Index>(i)];
}

// A small transformer-like model in two shards.
struct Model {
  std::vector<double> embed = gaussian(40 * 12, 1), q = gaussian(12 * 12, 2),
                      up = gaussian(30 * 12, 3), conv = gaussian(8 * 4 * 3 * 3, 4);
  void write(const TempDir& tmp) const {
    test::write_text(tmp / "model-1.safetensors",
                     safetensors({{"model.embed_tokens.weight", "F32", {40, 12}, embed},
                                  {"model.layers.0.self_attn.q_proj.weight", "F32", {12, 12}, q},
                                  {"model.layers.0.input_layernorm.weight",
                                   "F32",
                                   {12},
                                   std::vector<double>(12, 1.0)}}));
    test::write_text(
        tmp / "model-2.safetensors",
        safetensors({{"model.layers.0.mlp.up_proj.weight", "F32", {30, 12}, up},
                     {"model.layers.0.mlp.up_proj.bias", "F32", {30}, std::vector<double>(30, 0.5)},
                     {"vision.conv1.weight", "F32", {8, 4, 3, 3}, conv},
                     {"num_batches_tracked", "I64", {1, 1}, {7}}}));
    test::write_text(tmp / "model.safetensors.index.json",
                     R"({"weight_map": {)"
                     R"("model.embed_tokens.weight": "model-1.safetensors",)"
                     R"("model.layers.0.self_attn.q_proj.weight": "model-1.safetensors",)"
                     R"("model.layers.0.input_layernorm.weight": "model-1.safetensors",)"
                     R"("model.layers.0.mlp.up_proj.weight": "model-2.safetensors",)"
                     R"("model.layers.0.mlp.up_proj.bias": "model-2.safetensors",)"
                     R"("vision.conv1.weight": "model-2.safetensors",)"
                     R"("num_batches_tracked": "model-2.safetensors"}})");
  }
};

TEST(AnalyzeCheckpoint, HuggingFaceFolderRowsKindsAndSkippedList) {
  TempDir tmp;
  const Model model;
  model.write(tmp);
  AnalyzeOptions opt;
  opt.paths = {tmp.path()};
  std::ostringstream err;
  int bad = 0;
  const auto rows = analyze_all(opt, err, &bad);
  EXPECT_EQ(bad, 0);
  ASSERT_EQ(rows.size(), 4u) << err.str();
  EXPECT_EQ(rows[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(rows[0].kind, "embedding");
  EXPECT_EQ(rows[1].kind, "attention_q");
  EXPECT_EQ(rows[2].kind, "mlp");
  EXPECT_EQ(rows[3].kind, "conv");
  expect_eigs("embed", dense_eigs(model.embed, 40, 12), rows[0].eigs);
  expect_eigs("q", dense_eigs(model.q, 12, 12), rows[1].eigs);
  expect_eigs("up", dense_eigs(model.up, 30, 12), rows[2].eigs);
  EXPECT_EQ(rows[3].rf, 9);
  const std::string e = err.str();
  EXPECT_NE(e.find(tmp.path() + ": huggingface reader, 7 tensors: 4 to analyse"), std::string::npos)
      << e;
  EXPECT_NE(e.find("skipped 2 tensors: 1-D (biases, norms, scales)"), std::string::npos) << e;
  EXPECT_NE(e.find("model.layers.0.input_layernorm.weight, model.layers.0.mlp.up_proj.bias"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("skipped 1 tensor: not floating point (int64)"), std::string::npos) << e;
}

TEST(AnalyzeCheckpoint, LayersRegexEvalsBoundsAndConvFlatten) {
  TempDir tmp;
  const Model model;
  model.write(tmp);
  AnalyzeOptions opt;
  opt.paths = {tmp.path()};
  opt.quiet = true;
  std::ostringstream err;
  opt.layers = R"(layers\.0\.(self_attn|mlp))";
  auto rows = analyze_all(opt, err, nullptr);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(rows[1].name, "model.layers.0.mlp.up_proj.weight");

  opt.layers = "";
  opt.min_evals = 13;  // embed, q and up have 12 eigenvalues; the conv's slices pool 36
  rows = analyze_all(opt, err, nullptr);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "vision.conv1.weight");
  opt.min_evals = 10;
  opt.max_evals = 12;
  rows = analyze_all(opt, err, nullptr);
  EXPECT_EQ(rows.size(), 3u);

  opt.max_evals = 0;
  opt.min_evals = 8;  // flattened, the conv has 8 eigenvalues
  opt.conv = "flatten";
  opt.layers = "conv";
  rows = analyze_all(opt, err, nullptr);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rf, 1);
  EXPECT_EQ(rows[0].N, 36);
  EXPECT_EQ(rows[0].M, 8);
  expect_eigs("conv flattened", dense_eigs(model.conv, 8, 36), rows[0].eigs);
}

TEST(AnalyzeCheckpoint, BadOptionsAreExit2WithTheRule) {
  TempDir tmp;
  const Model model;
  model.write(tmp);
  auto r = cli({"analyze", tmp.path(), "--layers", "(unclosed"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--layers: '(unclosed': not a regular expression"), std::string::npos)
      << r.err;
  r = cli({"analyze", tmp.path(), "--conv", "fft"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--conv: fft: must be slices or flatten"), std::string::npos) << r.err;
  r = cli({"analyze", tmp.path(), "--min-evals", "0"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--min-evals: 0: must be >= 1"), std::string::npos) << r.err;
  fs::remove(tmp / "model-2.safetensors");
  r = cli({"analyze", tmp.path()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("shard 'model-2.safetensors'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is missing"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(AnalyzeCheckpoint, CsvHasTheKindColumn) {
  TempDir tmp;
  const Model model;
  model.write(tmp);
  const auto r = cli({"analyze", tmp.path(), "--quiet", "--layers", "q_proj"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("name,source,shape,dtype,kind,N,M,rf,", 0), 0u) << r.out.substr(0, 80);
  EXPECT_NE(r.out.find("\nmodel.layers.0.self_attn.q_proj.weight," + tmp.path() +
                       ",12x12,float32,attention_q,12,12,1,"),
            std::string::npos)
      << r.out;
}

TEST(LayerKind, NamesOfTheCommonFamilies) {
  const std::vector<std::int64_t> m = {8, 8};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"model.embed_tokens.weight", "embedding"},
      {"transformer.wte.weight", "embedding"},
      {"bert.embeddings.word_embeddings.weight", "embedding"},
      {"token_embd.weight", "embedding"},
      {"lm_head.weight", "lm_head"},
      {"output.weight", "lm_head"},
      {"model.layers.3.self_attn.q_proj.weight", "attention_q"},
      {"model.layers.3.self_attn.k_proj.weight", "attention_k"},
      {"model.layers.3.self_attn.v_proj.weight", "attention_v"},
      {"model.layers.3.self_attn.o_proj.weight", "attention_o"},
      {"blk.3.attn_q.weight", "attention_q"},
      {"blk.3.attn_output.weight", "attention_o"},
      {"transformer.h.0.attn.c_attn.weight", "attention_qkv"},
      {"transformer.h.0.attn.c_proj.weight", "attention_o"},
      {"transformer.h.0.mlp.c_proj.weight", "mlp"},
      {"transformer.h.0.mlp.c_fc.weight", "mlp"},
      {"encoder.layer.0.attention.self.query.weight", "attention_q"},
      {"encoder.layer.0.attention.output.dense.weight", "attention_o"},
      {"encoder.layer.0.intermediate.dense.weight", "mlp"},
      {"encoder.layer.0.output.dense.weight", "mlp"},
      {"model.layers.3.mlp.gate_proj.weight", "mlp"},
      {"blk.3.ffn_down.weight", "mlp"},
      {"classifier.weight", "other"},
  };
  for (const auto& [name, kind] : cases) EXPECT_EQ(layer_kind(name, m), kind) << name;
  EXPECT_EQ(layer_kind("layer1.0.conv1.weight", {64, 64, 3, 3}), "conv");
  EXPECT_EQ(layer_kind("features.0.weight", {64, 3, 3, 3}), "conv");
}

}  // namespace
}  // namespace sih
