// The GGUF reader against llama.cpp's own Python package: tests/data/gguf/*.gguf were written by
// gguf-py's GGUFWriter and ref_<type>.npy are gguf-py's quants.dequantize of each tensor
// (scripts/reference/make_gguf_fixtures.py; Q8_K's reference is computed there from the block
// layout in ggml-common.h, which gguf-py 0.15.0 cannot dequantize). Every dequantized value is
// a float32 computed with exact products, so the comparison is exact. Malformed files are built
// here byte by byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>

#include "sih/formats/tensor_file.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

std::string fixture(const std::string& name) { return test::ref("../gguf/" + name); }

// Exact equality, printing the first difference.
void expect_same_values(const std::vector<double>& expected, const std::vector<double>& actual,
                        const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (expected[i] != actual[i]) {
      ADD_FAILURE() << what << ": value " << i << " expected " << std::setprecision(17)
                    << expected[i] << " (gguf-py) but read " << actual[i];
      return;
    }
}

struct Expected {
  const char* stored;  // the name in the file
  const char* name;    // HuggingFace's
  const char* dtype;
  std::vector<std::int64_t> shape;
  const char* ref;  // ref_<ref>.npy
};

TEST(Gguf, EveryTypeOfTheV3FileReadsAsGgufPyDequantizesIt) {
  const std::vector<Expected> expected = {
      {"token_embd.weight", "model.embed_tokens.weight", "float32", {5, 8}, "f32"},
      {"blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", "q8_0", {3, 64}, "q8_0"},
      {"blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight", "q4_0", {2, 64}, "q4_0"},
      {"blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight", "q4_1", {2, 64}, "q4_1"},
      {"blk.0.attn_output.weight",
       "model.layers.0.self_attn.o_proj.weight",
       "q5_0",
       {3, 32},
       "q5_0"},
      {"blk.0.ffn_gate.weight", "model.layers.0.mlp.gate_proj.weight", "q5_1", {2, 64}, "q5_1"},
      {"blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight", "float16", {16}, "f16"},
      {"blk.0.ffn_norm.weight",
       "model.layers.0.post_attention_layernorm.weight",
       "bfloat16",
       {16},
       "bf16"},
      {"blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight", "q2_k", {2, 256}, "q2_k"},
      {"blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight", "q3_k", {2, 256}, "q3_k"},
      {"blk.1.attn_q.weight", "model.layers.1.self_attn.q_proj.weight", "q4_k", {2, 256}, "q4_k"},
      {"blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight", "q5_k", {2, 256}, "q5_k"},
      {"output.weight", "lm_head.weight", "q6_k", {2, 512}, "q6_k"},
      {"output_norm.weight", "model.norm.weight", "q8_k", {1, 512}, "q8_k"},
  };
  const auto f = open_gguf_file(fixture("llama_v3.gguf"));
  EXPECT_EQ(f->reader(), "gguf");
  ASSERT_EQ(f->tensors().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Expected& e = expected[i];
    const TensorInfo& info = f->tensors()[i];  // file order
    SCOPED_TRACE(e.stored);
    EXPECT_EQ(info.name, e.name);
    EXPECT_EQ(info.stored_name, e.stored);
    EXPECT_EQ(info.dtype, e.dtype);
    EXPECT_EQ(info.shape, e.shape);
    EXPECT_TRUE(info.floating);
    const Tensor t = f->load(i);
    EXPECT_EQ(t.name, e.name);
    EXPECT_EQ(t.shape, e.shape);
    EXPECT_EQ(t.dtype, e.dtype);
    const Tensor ref = read_npy_tensor(fixture(std::string("ref_") + e.ref + ".npy"));
    expect_same_values(ref.data, t.data, e.stored);
  }
}

TEST(Gguf, V2FileAlignedTo64KeepsNamesOfOtherArchitecturesAndRefusesIntegerAndIqTypesOnLoad) {
  const std::string path = fixture("other_v2_align64.gguf");
  const auto f = open_tensor_file(path);  // picked by the magic
  EXPECT_EQ(f->reader(), "gguf");
  ASSERT_EQ(f->tensors().size(), 5u);

  // F64, ne = (4, 3, 2) in GGUF's order: numpy's (2, 3, 4), outermost first.
  const TensorInfo& f64 = f->tensors()[0];
  EXPECT_EQ(f64.name, "some.f64.tensor");
  EXPECT_EQ(f64.stored_name, "");
  EXPECT_EQ(f64.dtype, "float64");
  EXPECT_EQ(f64.shape, (std::vector<std::int64_t>{2, 3, 4}));
  expect_same_values(read_npy_tensor(fixture("ref_f64.npy")).data, f->load(0).data, "f64");

  EXPECT_EQ(f->tensors()[1].shape, (std::vector<std::int64_t>{7}));
  expect_same_values(read_npy_tensor(fixture("ref_vec.npy")).data, f->load(1).data, "vec");

  // general.architecture is gpt2: llama's names are not mapped.
  const TensorInfo& q = f->tensors()[2];
  EXPECT_EQ(q.name, "blk.0.attn_q.weight");
  EXPECT_EQ(q.stored_name, "");
  EXPECT_EQ(q.shape, (std::vector<std::int64_t>{3, 5}));
  EXPECT_EQ(f->load(2).data.size(), 15u);

  const TensorInfo& ids = f->tensors()[3];
  EXPECT_EQ(ids.dtype, "int32");
  EXPECT_FALSE(ids.floating);
  const TensorInfo& iq = f->tensors()[4];
  EXPECT_EQ(iq.dtype, "iq4_nl");
  EXPECT_FALSE(iq.floating);
  EXPECT_EQ(iq.shape, (std::vector<std::int64_t>{2, 32}));
  for (const auto& [i, words] : std::vector<std::pair<std::size_t, std::vector<std::string>>>{
           {3, {path, "tensor 'ids'", "I32", "integer"}},
           {4, {path, "tensor 'blk.0.iq.weight'", "IQ4_NL (20) is not supported", "Q4_K"}}}) {
    try {
      f->load(i);
      ADD_FAILURE() << "load(" << i << ") did not throw";
    } catch (const InputError& e) {
      for (const std::string& w : words)
        EXPECT_NE(std::string(e.what()).find(w), std::string::npos)
            << "'" << w << "' not in: " << e.what();
    }
  }
}

// ---- malformed files, built byte by byte ----------------------------------------------------

struct Bytes {
  std::string b;
  Bytes& u32(std::uint32_t v) { return raw(&v, 4); }
  Bytes& u64(std::uint64_t v) { return raw(&v, 8); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    b += s;
    return *this;
  }
  Bytes& raw(const void* p, std::size_t n) {
    b.append(static_cast<const char*>(p), n);
    return *this;
  }
};

struct TensorSpec {
  std::string name;
  std::vector<std::uint64_t> ne;
  std::uint32_t type;
  std::uint64_t offset;
};

// A GGUF file: header, the key/values given as bytes (n_kv of them), the tensor infos, padding
// to `alignment`, then `data`.
std::string gguf(const std::string& kv, std::uint64_t n_kv, const std::vector<TensorSpec>& ts,
                 const std::string& data, std::uint32_t version = 3, std::size_t alignment = 32) {
  Bytes b;
  b.raw("GGUF", 4).u32(version).u64(ts.size()).u64(n_kv);
  b.b += kv;
  for (const TensorSpec& t : ts) {
    b.str(t.name).u32(static_cast<std::uint32_t>(t.ne.size()));
    for (std::uint64_t n : t.ne) b.u64(n);
    b.u32(t.type).u64(t.offset);
  }
  b.b.resize((b.b.size() + alignment - 1) / alignment * alignment, '\0');
  return b.b + data;
}

// One F32 tensor "w" of 2 x 4 values 0..7.
std::string good_data() {
  std::string d;
  for (int i = 0; i < 8; ++i) {
    const float v = static_cast<float>(i);
    d.append(reinterpret_cast<const char*>(&v), 4);
  }
  return d;
}
const TensorSpec kGoodTensor{"w", {4, 2}, 0, 0};

class GgufBadInput : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  // Opening (and, if that works, loading every tensor) throws InputError naming the file and
  // containing every one of `words`.
  void expect_refused(const std::string& name, const std::string& bytes,
                      std::initializer_list<std::string> words) {
    const std::string p = write(name, bytes);
    try {
      const auto f = open_gguf_file(p);
      for (std::size_t i = 0; i < f->tensors().size(); ++i) f->load(i);
      ADD_FAILURE() << name << ": accepted";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_EQ(msg.rfind(p, 0), 0u) << "message does not start with the path: " << msg;
      for (const std::string& w : words)
        EXPECT_NE(msg.find(w), std::string::npos) << name << ": '" << w << "' not in: " << msg;
    }
  }
  test::TempDir dir_;
};

TEST_F(GgufBadInput, TheByteBuilderMakesAGoodFile) {
  Bytes kv;
  kv.str("general.architecture").u32(8).str("llama");
  const auto f = open_gguf_file(
      write("good.gguf", gguf(kv.b, 1, {kGoodTensor, {"rope_freqs.weight", {1}, 0, 32}},
                              good_data() + std::string(24, '\0') + std::string(4, '\0'))));
  ASSERT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->tensors()[0].shape, (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(f->load(0).data, (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7}));
  // A llama file's name outside the table is kept as it is.
  EXPECT_EQ(f->tensors()[1].name, "rope_freqs.weight");
  EXPECT_EQ(f->tensors()[1].stored_name, "");
}

TEST_F(GgufBadInput, TruncatedFiles) {
  const std::string good = gguf("", 0, {kGoodTensor}, good_data());
  expect_refused("header.gguf", good.substr(0, 10), {"truncated", "tensor count"});
  expect_refused("magic.gguf", "GGU", {"truncated"});
  expect_refused("data.gguf", good.substr(0, good.size() - 1),
                 {"tensor 'w'", "runs past the end of the file", "truncated"});
  // The fixture cut inside its last tensor's data.
  const std::string v3 = test::read_text(fixture("llama_v3.gguf"));
  expect_refused("cut.gguf", v3.substr(0, v3.size() - 100), {"tensor 'output_norm.weight'"});
  expect_refused("cut_index.gguf", v3.substr(0, 1000), {"truncated"});
}

TEST_F(GgufBadInput, OffsetsOutsideTheFileOrUnaligned) {
  expect_refused("past.gguf", gguf("", 0, {{"w", {4, 2}, 0, 1u << 20}}, good_data()),
                 {"tensor 'w'", "1048576", "past the end"});
  expect_refused("wrap.gguf", gguf("", 0, {{"w", {4, 2}, 0, ~std::uint64_t{31}}}, good_data()),
                 {"tensor 'w'", "past the end"});
  expect_refused("unaligned.gguf", gguf("", 0, {{"w", {4, 2}, 0, 4}}, good_data()),
                 {"tensor 'w'", "offset 4 is not a multiple of the alignment 32"});
}

TEST_F(GgufBadInput, RowLengthNotAMultipleOfTheBlock) {
  // Q4_K (12) has blocks of 256 values.
  expect_refused("block.gguf", gguf("", 0, {{"blk.0.ffn_up.weight", {100, 2}, 12, 0}}, ""),
                 {"tensor 'blk.0.ffn_up.weight'", "ne[0] = 100", "Q4_K", "256"});
  expect_refused("block8.gguf", gguf("", 0, {{"q", {33}, 8, 0}}, std::string(68, '\0')),
                 {"tensor 'q'", "ne[0] = 33", "Q8_0", "32"});
}

TEST_F(GgufBadInput, UnknownTypesAreNamedByNumber) {
  expect_refused("type99.gguf", gguf("", 0, {{"w", {4, 2}, 99, 0}}, good_data()),
                 {"tensor 'w'", "unknown tensor type 99"});
  expect_refused("type4.gguf", gguf("", 0, {{"w", {4, 2}, 4, 0}}, good_data()),
                 {"tensor 'w'", "unknown tensor type 4"});
  Bytes kv;
  kv.str("x").u32(13).u32(0);
  expect_refused("vtype.gguf", gguf(kv.b, 1, {}, ""), {"key 'x'", "unknown value type 13"});
}

TEST_F(GgufBadInput, HugeCountsAndLengthsAreRefusedBeforeAnyAllocation) {
  const std::uint64_t huge = std::uint64_t{1} << 60;
  Bytes tensors;
  tensors.raw("GGUF", 4).u32(3).u64(huge).u64(0);
  expect_refused("ntensors.gguf", tensors.b + std::string(64, '\0'),
                 {"tensor info count 1152921504606846976 cannot fit"});
  Bytes kvs;
  kvs.raw("GGUF", 4).u32(3).u64(0).u64(huge);
  expect_refused("nkv.gguf", kvs.b + std::string(64, '\0'),
                 {"key/value count 1152921504606846976 cannot fit"});
  Bytes key;
  key.u64(huge).raw("abcd", 4);
  expect_refused("keylen.gguf", gguf(key.b, 1, {}, ""),
                 {"truncated", "key 0", "1152921504606846976 bytes"});
  Bytes str;
  str.str("general.name").u32(8).u64(huge);
  expect_refused("strlen.gguf", gguf(str.b, 1, {}, ""),
                 {"truncated", "key 'general.name'", "1152921504606846976 bytes"});
  Bytes arr;
  arr.str("tokenizer.ggml.tokens").u32(9).u32(8).u64(huge);
  expect_refused("strarray.gguf", gguf(arr.b, 1, {}, ""),
                 {"key 'tokenizer.ggml.tokens'", "string array count 1152921504606846976"});
  Bytes arr64;
  arr64.str("scores").u32(9).u32(10).u64(huge / 4);
  expect_refused("u64array.gguf", gguf(arr64.b, 1, {}, ""),
                 {"key 'scores'", "uint64 array count 288230376151711744"});
  Bytes name;
  name.raw("GGUF", 4).u32(3).u64(1).u64(0).u64(huge).u32(1).u64(4).u32(0).u64(0);
  expect_refused("namelen.gguf", name.b, {"truncated", "tensor 0 name"});
  expect_refused("shape.gguf", gguf("", 0, {{"w", {huge, huge}, 0, 0}}, good_data()),
                 {"tensor 'w'", "shape too large"});
  expect_refused("dim.gguf", gguf("", 0, {{"w", {~std::uint64_t{0}}, 0, 0}}, good_data()),
                 {"tensor 'w'", "too large"});
}

TEST_F(GgufBadInput, HeaderRules) {
  expect_refused("v1.gguf", gguf("", 0, {}, "", 1), {"GGUF version 1 is not supported"});
  expect_refused("v4.gguf", gguf("", 0, {}, "", 4), {"GGUF version 4 is not supported"});
  expect_refused("be.gguf", gguf("", 0, {}, "", 0x03000000u), {"big-endian"});
  expect_refused("magic.gguf", std::string("GGML") + std::string(60, '\0'), {"not a GGUF file"});
  expect_refused("dims.gguf", gguf("", 0, {{"w", {1, 1, 1, 1, 8}, 0, 0}}, good_data()),
                 {"tensor 'w'", "n_dims 5"});
  expect_refused("dup.gguf", gguf("", 0, {kGoodTensor, kGoodTensor}, good_data()),
                 {"tensor 'w'", "duplicate"});
  Bytes align48;
  align48.str("general.alignment").u32(4).u32(48);
  expect_refused("align48.gguf", gguf(align48.b, 1, {}, ""),
                 {"key 'general.alignment'", "48 is not a power of 2"});
  Bytes align_type;
  align_type.str("general.alignment").u32(10).u64(32);
  expect_refused("aligntype.gguf", gguf(align_type.b, 1, {}, ""),
                 {"key 'general.alignment'", "must be uint32, not uint64"});
}

TEST_F(GgufBadInput, NonFiniteValuesNameTheTensor) {
  std::string block(34, '\0');  // Q8_0: float16 scale, 32 int8
  block[0] = '\x00';
  block[1] = '\x7e';  // 0x7e00: NaN
  block[2] = 1;
  expect_refused("nan.gguf", gguf("", 0, {{"blk.0.attn_q.weight", {32}, 8, 0}}, block),
                 {"tensor 'blk.0.attn_q.weight'", "NaN"});
}

TEST_F(GgufBadInput, AlignmentKeyMovesTheDataSection) {
  Bytes kv;
  kv.str("general.alignment").u32(4).u32(256);
  const auto f =
      open_gguf_file(write("a256.gguf", gguf(kv.b, 1, {kGoodTensor}, good_data(), 3, 256)));
  EXPECT_EQ(f->load(0).data, (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7}));
  // The same layout with general.alignment 32: the data section starts at the index's end
  // rounded up to 32, inside the zero padding the 256 alignment left.
  Bytes kv32;
  kv32.str("general.alignment").u32(4).u32(32);
  const auto g =
      open_gguf_file(write("a32.gguf", gguf(kv32.b, 1, {kGoodTensor}, good_data(), 3, 256)));
  EXPECT_EQ(g->load(0).data, std::vector<double>(8, 0.0));
}

}  // namespace
}  // namespace sih
