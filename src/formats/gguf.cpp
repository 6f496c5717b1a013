// GGUF, llama.cpp's checkpoint format (versions 2 and 3, little-endian): "GGUF", version, tensor
// and key/value counts, the key/values, the tensor infos (name, ne[], type, offset), padding to
// general.alignment, then the data. The whole index is checked on open against the file size
// (every length and count before anything is reserved); tensors are decoded one at a time from
// the mapped file, quantized blocks as ggml's dequantize_row_* (ggml-quants.c) does.
#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "file_bytes.hpp"
#include "sih/formats/tensor_file.hpp"

namespace sih {

namespace {

using formats_detail::ByteView;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw InputError(label + ": " + what);
}

// ---- dequantization ------------------------------------------------------------------------
// Each decoder turns one block into its values in float, with ggml's operations in ggml's
// order. Every product below (a float16 scale times small integers) is exact in float, so the
// result is the same whether or not the compiler fuses a multiply-add, and equals ggml's and
// gguf-py's float32 results bit for bit.

float f16(const std::uint8_t* p) {
  return static_cast<float>(half_to_double(static_cast<std::uint16_t>(p[0] | (p[1] << 8))));
}

void dequant_q4_0(const std::uint8_t* b, float* y) {  // d, qs[16]
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void dequant_q4_1(const std::uint8_t* b, float* y) {  // d, m, qs[16]
  const float d = f16(b), m = f16(b + 2);
  const std::uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

std::uint32_t le32(const std::uint8_t* p) {
  return formats_detail::load_uint<std::uint32_t>(p, false);
}

// Q5_0/Q5_1: bit j of qh is the fifth bit of value j (j < 32).
void dequant_q5_0(const std::uint8_t* b, float* y) {  // d, qh[4], qs[16]
  const float d = f16(b);
  const std::uint32_t qh = le32(b + 2);
  const std::uint8_t* qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    const int h0 = static_cast<int>((qh >> j) & 1u) << 4,
              h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    y[j] = static_cast<float>(((qs[j] & 0x0F) | h0) - 16) * d;
    y[j + 16] = static_cast<float>(((qs[j] >> 4) | h1) - 16) * d;
  }
}

void dequant_q5_1(const std::uint8_t* b, float* y) {  // d, m, qh[4], qs[16]
  const float d = f16(b), m = f16(b + 2);
  const std::uint32_t qh = le32(b + 4);
  const std::uint8_t* qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    const int h0 = static_cast<int>((qh >> j) & 1u) << 4,
              h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    y[j] = static_cast<float>((qs[j] & 0x0F) | h0) * d + m;
    y[j + 16] = static_cast<float>((qs[j] >> 4) | h1) * d + m;
  }
}

void dequant_q8_0(const std::uint8_t* b, float* y) {  // d, int8 qs[32]
  const float d = f16(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<std::int8_t>(b[2 + j])) * d;
}

void dequant_q2_k(const std::uint8_t* b, float* y) {  // scales[16], qs[64], d, dmin
  const std::uint8_t* sc = b;
  const std::uint8_t* q = b + 16;
  const float d = f16(b + 80), dmin = f16(b + 82);
  int is = 0;
  for (int n = 0; n < 256; n += 128, q += 32) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half = 0; half < 2; ++half, ++is) {
        const float dl = d * static_cast<float>(sc[is] & 0x0F);
        const float ml = dmin * static_cast<float>(sc[is] >> 4);
        for (int l = 0; l < 16; ++l)
          *y++ = dl * static_cast<float>((q[l + 16 * half] >> shift) & 3) - ml;
      }
    }
  }
}

// The 16 six-bit scales of a Q3_K block: the low four bits in bytes 0-7 (low nibbles for
// scales 0-7, high nibbles for 8-15), the high two bits in bytes 8-11 (scale i: byte 8 + i%4,
// bits 2*(i/4)); stored with an offset of 32.
int q3_k_scale(const std::uint8_t* s, int i) {
  const int low = i < 8 ? (s[i] & 0x0F) : (s[i - 8] >> 4);
  const int high = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
  return (low | high << 4) - 32;
}

void dequant_q3_k(const std::uint8_t* b, float* y) {  // hmask[32], qs[64], scales[12], d
  const std::uint8_t* hm = b;
  const std::uint8_t* q = b + 32;
  const std::uint8_t* scales = b + 96;
  const float d_all = f16(b + 108);
  int is = 0;
  unsigned m = 1;
  for (int n = 0; n < 256; n += 128, q += 32) {
    for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
      for (int half = 0; half < 2; ++half, ++is) {
        const float dl = d_all * static_cast<float>(q3_k_scale(scales, is));
        for (int l = 16 * half; l < 16 * half + 16; ++l)
          *y++ = dl * static_cast<float>(((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
      }
    }
  }
}

// Scale and min j (0-7) of the 6-bit packed 12 bytes of Q4_K and Q5_K (ggml's
// get_scale_min_k4).
void k4_scale_min(int j, const std::uint8_t* q, int* sc, int* mn) {
  if (j < 4) {
    *sc = q[j] & 63;
    *mn = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void dequant_q4_k(const std::uint8_t* b, float* y) {  // d, dmin, scales[12], qs[128]
  const float d = f16(b), dmin = f16(b + 2);
  const std::uint8_t* scales = b + 4;
  const std::uint8_t* q = b + 16;
  for (int j = 0, is = 0; j < 256; j += 64, q += 32, is += 2) {
    int sc, mn;
    k4_scale_min(is, scales, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    k4_scale_min(is + 1, scales, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0F) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

void dequant_q5_k(const std::uint8_t* b, float* y) {  // d, dmin, scales[12], qh[32], qs[128]
  const float d = f16(b), dmin = f16(b + 2);
  const std::uint8_t* scales = b + 4;
  const std::uint8_t* qh = b + 16;
  const std::uint8_t* ql = b + 48;
  unsigned u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < 256; j += 64, ql += 32, is += 2, u1 <<= 2, u2 <<= 2) {
    int sc, mn;
    k4_scale_min(is, scales, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    k4_scale_min(is + 1, scales, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * static_cast<float>((ql[l] & 0x0F) + ((qh[l] & u1) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
  }
}

void dequant_q6_k(const std::uint8_t* b, float* y) {  // ql[128], qh[64], int8 scales[16], d
  const std::uint8_t* ql = b;
  const std::uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const std::int8_t*>(b + 192);
  const float d = f16(b + 208);
  for (int n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) - 32;
      const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
      const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
  }
}

void dequant_q8_k(const std::uint8_t* b, float* y) {  // float d, int8 qs[256], int16 bsums[16]
  float d;
  std::memcpy(&d, b, sizeof d);  // little-endian host (npy.cpp checks the host order)
  for (int j = 0; j < 256; ++j) y[j] = d * static_cast<float>(static_cast<std::int8_t>(b[4 + j]));
}

// ---- tensor types --------------------------------------------------------------------------

enum class Kind { kFloat, kQuant, kInteger, kUnsupported };

struct TypeInfo {
  std::uint32_t id;  // ggml_type
  const char* name;  // ggml's name (errors); TensorInfo::dtype is `dtype`
  const char* dtype;
  std::uint32_t block;  // values per block
  std::uint32_t bytes;  // bytes per block
  Kind kind;
  void (*dequant)(const std::uint8_t*, float*);
};

// ggml.h's enum ggml_type (ids 4, 5 and 31-33 were removed from ggml and are unknown here).
constexpr TypeInfo kTypes[] = {
    {0, "F32", "float32", 1, 4, Kind::kFloat, nullptr},
    {1, "F16", "float16", 1, 2, Kind::kFloat, nullptr},
    {2, "Q4_0", "q4_0", 32, 18, Kind::kQuant, dequant_q4_0},
    {3, "Q4_1", "q4_1", 32, 20, Kind::kQuant, dequant_q4_1},
    {6, "Q5_0", "q5_0", 32, 22, Kind::kQuant, dequant_q5_0},
    {7, "Q5_1", "q5_1", 32, 24, Kind::kQuant, dequant_q5_1},
    {8, "Q8_0", "q8_0", 32, 34, Kind::kQuant, dequant_q8_0},
    {9, "Q8_1", "q8_1", 32, 36, Kind::kUnsupported, nullptr},
    {10, "Q2_K", "q2_k", 256, 84, Kind::kQuant, dequant_q2_k},
    {11, "Q3_K", "q3_k", 256, 110, Kind::kQuant, dequant_q3_k},
    {12, "Q4_K", "q4_k", 256, 144, Kind::kQuant, dequant_q4_k},
    {13, "Q5_K", "q5_k", 256, 176, Kind::kQuant, dequant_q5_k},
    {14, "Q6_K", "q6_k", 256, 210, Kind::kQuant, dequant_q6_k},
    {15, "Q8_K", "q8_k", 256, 292, Kind::kQuant, dequant_q8_k},
    {16, "IQ2_XXS", "iq2_xxs", 256, 66, Kind::kUnsupported, nullptr},
    {17, "IQ2_XS", "iq2_xs", 256, 74, Kind::kUnsupported, nullptr},
    {18, "IQ3_XXS", "iq3_xxs", 256, 98, Kind::kUnsupported, nullptr},
    {19, "IQ1_S", "iq1_s", 256, 50, Kind::kUnsupported, nullptr},
    {20, "IQ4_NL", "iq4_nl", 32, 18, Kind::kUnsupported, nullptr},
    {21, "IQ3_S", "iq3_s", 256, 110, Kind::kUnsupported, nullptr},
    {22, "IQ2_S", "iq2_s", 256, 82, Kind::kUnsupported, nullptr},
    {23, "IQ4_XS", "iq4_xs", 256, 136, Kind::kUnsupported, nullptr},
    {24, "I8", "int8", 1, 1, Kind::kInteger, nullptr},
    {25, "I16", "int16", 1, 2, Kind::kInteger, nullptr},
    {26, "I32", "int32", 1, 4, Kind::kInteger, nullptr},
    {27, "I64", "int64", 1, 8, Kind::kInteger, nullptr},
    {28, "F64", "float64", 1, 8, Kind::kFloat, nullptr},
    {29, "IQ1_M", "iq1_m", 256, 56, Kind::kUnsupported, nullptr},
    {30, "BF16", "bfloat16", 1, 2, Kind::kFloat, nullptr},
    {34, "TQ1_0", "tq1_0", 256, 54, Kind::kUnsupported, nullptr},
    {35, "TQ2_0", "tq2_0", 256, 66, Kind::kUnsupported, nullptr},
};

const TypeInfo* find_type(std::uint32_t id) {
  for (const TypeInfo& t : kTypes)
    if (t.id == id) return &t;
  return nullptr;
}

std::string supported_types() {
  std::string s;
  for (const TypeInfo& t : kTypes)
    if (t.kind == Kind::kFloat || t.kind == Kind::kQuant)
      s += std::string(s.empty() ? "" : ", ") + t.name;
  return s;
}

// ---- names ---------------------------------------------------------------------------------
// llama.cpp's names for the LLaMA layout and the HuggingFace names convert_hf_to_gguf.py
// renamed (gguf-py/gguf/tensor_mapping.py). Applied only to architectures converted from that
// layout; other files keep their GGUF names.
constexpr const char* kLlamaLayoutArchs[] = {"llama", "qwen2", "qwen3"};

struct NameRule {
  const char* gguf;
  const char* hf;
};
constexpr NameRule kTopNames[] = {
    {"token_embd", "model.embed_tokens"}, {"output_norm", "model.norm"}, {"output", "lm_head"}};
constexpr NameRule kBlockNames[] = {
    // blk.N.<gguf> -> model.layers.N.<hf>
    {"attn_norm", "input_layernorm"},    {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},      {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"}, {"attn_q_norm", "self_attn.q_norm"},
    {"attn_k_norm", "self_attn.k_norm"}, {"ffn_norm", "post_attention_layernorm"},
    {"ffn_gate", "mlp.gate_proj"},       {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"},
};

// The HuggingFace name of a GGUF tensor name, or "" when there is none in the table.
std::string hf_name(const std::string& gguf) {
  const std::size_t dot = gguf.rfind('.');
  if (dot == std::string::npos) return "";
  const std::string suffix = gguf.substr(dot);
  if (suffix != ".weight" && suffix != ".bias") return "";
  std::string stem = gguf.substr(0, dot), prefix = "";
  const NameRule* rules = kTopNames;
  std::size_t n_rules = std::size(kTopNames);
  if (stem.rfind("blk.", 0) == 0) {
    const std::size_t end = stem.find('.', 4);
    if (end == std::string::npos || end == 4 ||
        !std::all_of(stem.begin() + 4, stem.begin() + static_cast<std::ptrdiff_t>(end),
                     [](char c) { return c >= '0' && c <= '9'; }))
      return "";
    prefix = "model.layers." + stem.substr(4, end - 4) + ".";
    stem = stem.substr(end + 1);
    rules = kBlockNames;
    n_rules = std::size(kBlockNames);
  }
  for (std::size_t i = 0; i < n_rules; ++i)
    if (stem == rules[i].gguf) return prefix + rules[i].hf + suffix;
  return "";
}

// ---- the index -----------------------------------------------------------------------------

constexpr std::uint32_t kMaxDims = 4;            // GGML_MAX_DIMS
constexpr std::uint64_t kDefaultAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT
constexpr int kMaxArrayNesting = 8;              // arrays of arrays (ggml itself has none)

// GGUF value types (gguf.h enum gguf_type): fixed sizes, 0 for string (8), array (9).
constexpr std::uint32_t kString = 8, kUint32 = 4;
constexpr std::uint64_t kValueSize[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
constexpr const char* kValueName[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                      "int32",  "float32", "bool",   "string", "array",
                                      "uint64", "int64",   "float64"};

// Reads the index front to back; every read is checked against the bytes left.
class Cursor {
 public:
  Cursor(const ByteView& b, const std::string& label) : b_(b), label_(label) {}
  std::size_t pos() const { return pos_; }
  std::uint64_t left() const { return b_.size - pos_; }
  void need(std::uint64_t n, const std::string& what) const {
    if (n > left())
      fail(label_, "truncated: " + what + " at byte " + std::to_string(pos_) + " needs " +
                       std::to_string(n) + " bytes, the file has " + std::to_string(left()) +
                       " left");
  }
  void skip(std::uint64_t n, const std::string& what) {
    need(n, what);
    pos_ += static_cast<std::size_t>(n);
  }
  std::uint32_t u32(const std::string& what) {
    need(4, what);
    std::uint32_t v;
    std::memcpy(&v, b_.data + pos_, 4);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64(const std::string& what) {
    need(8, what);
    std::uint64_t v;
    std::memcpy(&v, b_.data + pos_, 8);
    pos_ += 8;
    return v;
  }
  std::string str(const std::string& what) {
    const std::uint64_t n = u64(what + " length");
    need(n, what + " of " + std::to_string(n) + " bytes");
    std::string s(b_.data + pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  // `count` items of at least `min_bytes` each must fit in what is left: checked before any
  // loop over them or any reservation.
  void need_items(std::uint64_t count, std::uint64_t min_bytes, const std::string& what) const {
    if (count > left() / min_bytes)
      fail(label_, what + " count " + std::to_string(count) + " cannot fit in the " +
                       std::to_string(left()) + " bytes left at byte " + std::to_string(pos_) +
                       " (each takes at least " + std::to_string(min_bytes) +
                       "): corrupt or truncated");
  }

 private:
  const ByteView& b_;
  const std::string& label_;
  std::size_t pos_ = 0;
};

class GgufFile final : public TensorFile {
 public:
  GgufFile(ByteView bytes, std::string label) : bytes_(std::move(bytes)), label_(std::move(label)) {
    parse();
  }
  std::string reader() const override { return "gguf"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(std::size_t i) const override {
    const TensorInfo& info = infos_.at(i);
    const Entry& e = entries_.at(i);
    const std::string where = label_ + ": tensor " + quoted(stored(info)) +
                              (info.stored_name.empty() ? std::string() : " (" + info.name + ")");
    if (e.type->kind == Kind::kInteger)
      fail(where, "type " + std::string(e.type->name) + " is an integer type, not weights");
    if (e.type->kind == Kind::kUnsupported)
      fail(where, "type " + std::string(e.type->name) + " (" + std::to_string(e.type->id) +
                      ") is not supported; supported: " + supported_types());
    Tensor t;
    t.name = info.name;
    t.shape = info.shape;
    t.dtype = info.dtype;
    const char* p = bytes_.data + e.begin;
    if (e.type->kind == Kind::kFloat) {
      t.data = decode_floats(p, e.count, info.dtype, false);
    } else {
      t.data.resize(e.count);
      float block[256];
      const std::size_t n_blocks = e.count / e.type->block;
      for (std::size_t k = 0; k < n_blocks; ++k) {
        e.type->dequant(reinterpret_cast<const std::uint8_t*>(p) + k * e.type->bytes, block);
        std::copy(block, block + e.type->block,
                  t.data.begin() + static_cast<std::ptrdiff_t>(k * e.type->block));
      }
    }
    formats_detail::release_pages(bytes_, p, e.count / e.type->block * e.type->bytes);
    require_finite(t.data, t.shape, where);
    return t;
  }

 private:
  struct Entry {
    const TypeInfo* type = nullptr;
    std::size_t begin = 0;  // from the file's start
    std::size_t count = 0;
  };

  static const std::string& stored(const TensorInfo& info) {
    return info.stored_name.empty() ? info.name : info.stored_name;
  }

  // Skips one value of `type`; `what` names its key for messages ("key 'general.name'").
  void skip_value(Cursor& c, std::uint32_t type, const std::string& what, int depth) const {
    if (type >= std::size(kValueSize))
      fail(label_ + ": " + what, "unknown value type " + std::to_string(type) + " (GGUF has 0-12)");
    if (kValueSize[type] != 0) {
      c.skip(kValueSize[type], what + " " + kValueName[type] + " value");
    } else if (type == kString) {
      c.str(what + " string");
    } else {
      if (depth >= kMaxArrayNesting)
        fail(label_ + ": " + what, "arrays nested deeper than " + std::to_string(kMaxArrayNesting));
      const std::uint32_t elem = c.u32(what + " array element type");
      const std::uint64_t n = c.u64(what + " array length");
      if (elem >= std::size(kValueSize))
        fail(label_ + ": " + what,
             "unknown array element type " + std::to_string(elem) + " (GGUF has 0-12)");
      if (kValueSize[elem] != 0) {
        c.need_items(n, kValueSize[elem], what + " " + kValueName[elem] + " array");
        c.skip(n * kValueSize[elem], what + " array data");
      } else {
        // A string takes at least its 8-byte length, an array its type and length (12).
        c.need_items(n, elem == kString ? 8 : 12, what + " " + kValueName[elem] + " array");
        for (std::uint64_t k = 0; k < n; ++k) skip_value(c, elem, what, depth + 1);
      }
    }
  }

  static std::string quoted(const std::string& name) {
    return "'" + formats_detail::excerpt(name.data(), name.size(), 80) + "'";
  }

  void parse() {
    Cursor c(bytes_, label_);
    c.need(4, "magic \"GGUF\"");
    if (std::memcmp(bytes_.data, "GGUF", 4) != 0)
      fail(label_, "not a GGUF file: it starts with '" + formats_detail::excerpt(bytes_.data, 4) +
                       "', not \"GGUF\"");
    c.skip(4, "magic");
    const std::uint32_t version = c.u32("version");
    const std::uint32_t swapped = __builtin_bswap32(version);
    if (swapped >= 1 && swapped <= 3)
      fail(label_, "big-endian GGUF (version " + std::to_string(swapped) +
                       " byte-swapped); only little-endian files are read");
    if (version != 2 && version != 3)
      fail(label_, "GGUF version " + std::to_string(version) + " is not supported (2 and 3 are)");
    const std::uint64_t n_tensors = c.u64("tensor count");
    const std::uint64_t n_kv = c.u64("key/value count");

    // key/values: a key (8-byte length), a value type (4) and at least one byte of value.
    c.need_items(n_kv, 13, "key/value");
    std::uint64_t alignment = kDefaultAlignment;
    std::string arch;
    for (std::uint64_t k = 0; k < n_kv; ++k) {
      const std::string key = c.str("key " + std::to_string(k));
      const std::string what = "key " + quoted(key);
      const std::uint32_t type = c.u32(what + " value type");
      if (key == "general.alignment") {
        if (type != kUint32)
          fail(label_ + ": " + what,
               "must be uint32, not " + (type < std::size(kValueName)
                                             ? std::string(kValueName[type])
                                             : "type " + std::to_string(type)));
        alignment = c.u32(what + " value");
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
          fail(label_ + ": " + what, std::to_string(alignment) + " is not a power of 2");
      } else if (key == "general.architecture" && type == kString) {
        arch = c.str(what + " string");
      } else {
        skip_value(c, type, what, 0);
      }
    }

    // tensor infos: name length (8), n_dims (4), type (4), offset (8) at least.
    c.need_items(n_tensors, 24, "tensor info");
    const bool map_names = std::find(std::begin(kLlamaLayoutArchs), std::end(kLlamaLayoutArchs),
                                     arch) != std::end(kLlamaLayoutArchs);
    struct Raw {
      std::string name;
      std::vector<std::uint64_t> ne;
      std::uint32_t type;
      std::uint64_t offset;
    };
    std::vector<Raw> raws;
    raws.reserve(static_cast<std::size_t>(n_tensors));
    std::unordered_set<std::string> seen;
    for (std::uint64_t k = 0; k < n_tensors; ++k) {
      Raw r;
      r.name = c.str("tensor " + std::to_string(k) + " name");
      const std::string what = "tensor " + quoted(r.name);
      const std::string where = label_ + ": " + what;
      if (!seen.insert(r.name).second) fail(where, "duplicate tensor name");
      const std::uint32_t n_dims = c.u32(what + " n_dims");
      if (n_dims > kMaxDims)
        fail(where, "n_dims " + std::to_string(n_dims) + " exceeds GGML_MAX_DIMS (4)");
      for (std::uint32_t d = 0; d < n_dims; ++d) r.ne.push_back(c.u64(what + " ne"));
      r.type = c.u32(what + " type");
      r.offset = c.u64(what + " offset");
      raws.push_back(std::move(r));
    }
    // The data section starts at the next multiple of the alignment.
    const std::uint64_t end_of_index = c.pos();
    const std::uint64_t data_start = (end_of_index + alignment - 1) / alignment * alignment;

    for (Raw& r : raws) {
      const std::string where = label_ + ": tensor " + quoted(r.name);
      Entry e;
      e.type = find_type(r.type);
      if (e.type == nullptr)
        fail(where, "unknown tensor type " + std::to_string(r.type) +
                        " (not a ggml type this reader knows; supported: " + supported_types() +
                        ")");
      TensorInfo info;
      for (auto it = r.ne.rbegin(); it != r.ne.rend(); ++it) {
        if (*it > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          fail(where, "dimension " + std::to_string(*it) + " is too large");
        info.shape.push_back(static_cast<std::int64_t>(*it));
      }
      e.count = formats_detail::checked_element_count(info.shape, where);
      const std::uint64_t ne0 = r.ne.empty() ? 1 : r.ne[0];
      if (ne0 % e.type->block != 0)
        fail(where, "row length ne[0] = " + std::to_string(ne0) + " is not a multiple of " +
                        e.type->name + "'s block size " + std::to_string(e.type->block));
      // count <= SIZE_MAX / 16 and bytes per block <= 16 x values per block: no overflow.
      const std::uint64_t n_bytes = e.count / e.type->block * e.type->bytes;
      if (r.offset % alignment != 0)
        fail(where, "data offset " + std::to_string(r.offset) +
                        " is not a multiple of the alignment " + std::to_string(alignment));
      if (data_start > bytes_.size || r.offset > bytes_.size - data_start ||
          n_bytes > bytes_.size - data_start - r.offset)
        fail(where, "data [" + std::to_string(r.offset) + ", +" + std::to_string(n_bytes) +
                        " bytes) from the data section at byte " + std::to_string(data_start) +
                        " runs past the end of the file (" + std::to_string(bytes_.size) +
                        " bytes): truncated or the index lies");
      e.begin = static_cast<std::size_t>(data_start + r.offset);
      info.dtype = e.type->dtype;
      info.floating = e.type->kind == Kind::kFloat || e.type->kind == Kind::kQuant;
      const std::string hf = map_names ? hf_name(r.name) : "";
      if (hf.empty()) {
        info.name = std::move(r.name);
      } else {
        info.name = hf;
        info.stored_name = std::move(r.name);
      }
      infos_.push_back(std::move(info));
      entries_.push_back(e);
    }
  }

  ByteView bytes_;
  std::string label_;
  std::vector<TensorInfo> infos_;
  std::vector<Entry> entries_;
};

}  // namespace

std::unique_ptr<TensorFile> open_gguf_file(const std::string& path) {
  return std::make_unique<GgufFile>(formats_detail::map_file_bytes(path), path);
}

}  // namespace sih
