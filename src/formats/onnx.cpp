// .onnx: a protobuf ModelProto, parsed by the generated classes of Debian's libonnx-dev
// (onnx-ml.pb.h, libonnx_proto) and libprotobuf; no hand-written wire decoding here.
//
// Which tensors: the graph's initializers, the `value` tensor of Constant nodes (named by the
// node's output), and the same inside subgraphs (If branches, Loop and Scan bodies, any GRAPH
// or GRAPHS attribute, recursively), named "<node>/<attribute>/<tensor>" where <node> is the
// node's name or, when it has none, "<op_type>#<index in its graph>", and a GRAPHS attribute
// adds the graph's index ("<node>/<attribute>/<k>/<tensor>"). Not read: sparse initializers,
// a Constant's sparse_value and scalar value_float/value_ints/..., model-local functions and
// training_info. Integer and bool tensors are listed with floating = false (load() still gives
// their values); strings, complex, float8 and 4-/2-bit types are listed and load() refuses them.
//
// An integer tensor (int8, uint8, int16, uint16, int32, ...) that is the x input of a
// DequantizeLinear node whose scale (and zero point, if given) are initializers or Constants of
// the same graph is listed under its own name in the file (the quantized initializer's, e.g.
// "fc1_quantized", not the node's output), as floating, dtype "<int type> (dequantized)", and
// load() returns y = (x - zero_point) * scale computed in float32 as the operator does (per
// tensor, or per channel along `axis`). Its scale and zero point stay listed as themselves.
// Blocked quantization (block_size) is refused; a tensor read by several DequantizeLinear
// nodes takes the first.
//
// Memory: protobuf caps one message at 2 GB and copies every raw_data field into the parsed
// message, so a model with embedded weights costs its file size in memory while open; while it
// is parsed the mapped file's pages are resident too (clean page cache, dropped when parsing
// ends). Measured on a 400 MB model of float32 initializers: peak RSS 768 MB during open,
// 387 MB once open. Large models keep their weights in external data files: those are mapped,
// never read whole, and one tensor is decoded per load() (the same model with external data:
// 5 MB open, peak 463 MB after loading all ten 40 MB tensors one by one, of which 382 MB are
// the mapped pages those loads touched, reclaimable page cache).
#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>  // defines ONNX_API, then onnx-ml.pb.h (ONNX_ML, set by onnx_proto)

#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "file_bytes.hpp"
#include "sih/base/text.hpp"
#include "sih/formats/npy.hpp"
#include "sih/formats/tensor_file.hpp"

namespace sih {

namespace {

using formats_detail::ByteView;
using TP = onnx::TensorProto;  // its DataType constants: TP::FLOAT, ...

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw InputError(where + ": " + what);
}

// Every TensorProto.DataType up to ONNX 1.19. Types whose values this reader does not decode
// (strings, complex, 8-, 4- and 2-bit floats and integers) are still listed (floating = false,
// so analyze skips them); load() refuses them. A number not in this table is refused on open.
struct DataType {
  int number;
  const char* onnx_name;
  const char* name;  // TensorInfo::dtype
  int bits;          // per element in raw_data (0: strings)
  bool floating;
  bool decoded;
};
constexpr DataType kDataTypes[] = {
    {1, "FLOAT", "float32", 32, true, true},
    {2, "UINT8", "uint8", 8, false, true},
    {3, "INT8", "int8", 8, false, true},
    {4, "UINT16", "uint16", 16, false, true},
    {5, "INT16", "int16", 16, false, true},
    {6, "INT32", "int32", 32, false, true},
    {7, "INT64", "int64", 64, false, true},
    {8, "STRING", "string", 0, false, false},
    {9, "BOOL", "bool", 8, false, true},
    {10, "FLOAT16", "float16", 16, true, true},
    {11, "DOUBLE", "float64", 64, true, true},
    {12, "UINT32", "uint32", 32, false, true},
    {13, "UINT64", "uint64", 64, false, true},
    {14, "COMPLEX64", "complex64", 64, false, false},
    {15, "COMPLEX128", "complex128", 128, false, false},
    {16, "BFLOAT16", "bfloat16", 16, true, true},
    {17, "FLOAT8E4M3FN", "float8e4m3fn", 8, false, false},
    {18, "FLOAT8E4M3FNUZ", "float8e4m3fnuz", 8, false, false},
    {19, "FLOAT8E5M2", "float8e5m2", 8, false, false},
    {20, "FLOAT8E5M2FNUZ", "float8e5m2fnuz", 8, false, false},
    {21, "UINT4", "uint4", 4, false, false},
    {22, "INT4", "int4", 4, false, false},
    {23, "FLOAT4E2M1", "float4e2m1", 4, false, false},
    {24, "FLOAT8E8M0", "float8e8m0", 8, false, false},
    {25, "UINT2", "uint2", 2, false, false},
    {26, "INT2", "int2", 2, false, false},
};

const DataType* find_data_type(int number) {
  for (const DataType& t : kDataTypes)
    if (t.number == number) return &t;
  return nullptr;
}

std::string type_text(const DataType& t) {
  return "data_type " + std::to_string(t.number) + " (" + t.onnx_name + ")";
}

bool is_integer(const DataType& t) {
  switch (t.number) {
    case TP::UINT8:
    case TP::INT8:
    case TP::UINT16:
    case TP::INT16:
    case TP::INT32:
    case TP::INT64:
    case TP::UINT32:
    case TP::UINT64:
      return true;
    default:
      return false;
  }
}

// One TensorProto's data, validated on open: its type, element count and where its bytes are
// (raw_data or an external file, little-endian), or neither for the typed fields.
struct Stored {
  const onnx::TensorProto* proto = nullptr;
  const DataType* type = nullptr;
  std::vector<std::int64_t> shape;
  std::size_t count = 0;
  const char* bytes = nullptr;  // raw_data or the mapped external range; null: typed field
  std::size_t nbytes = 0;
  std::string where;  // "<file>: tensor '<name>'"
};

struct Dequantize {
  Stored scale, zero;
  bool has_zero = false;
  int axis = -1;  // -1: per tensor
};

struct Entry {
  TensorInfo info;
  Stored x;
  std::unique_ptr<Dequantize> dq;
};

// The typed field that holds `type`'s values when raw_data is absent (onnx.proto's table) and
// how many entries one element takes there.
int typed_field_size(const onnx::TensorProto& p, int number, int* per_element) {
  *per_element = 1;
  switch (number) {
    case TP::FLOAT:
      return p.float_data_size();
    case TP::COMPLEX64:
      *per_element = 2;
      return p.float_data_size();
    case TP::DOUBLE:
      return p.double_data_size();
    case TP::COMPLEX128:
      *per_element = 2;
      return p.double_data_size();
    case TP::INT64:
      return p.int64_data_size();
    case TP::UINT32:
    case TP::UINT64:
      return p.uint64_data_size();
    case TP::STRING:
      return p.string_data_size();
    default:
      return p.int32_data_size();  // (u)int8/16, int32, bool, float16, bfloat16, float8
  }
}

// Non-negative decimal as external_data writes offset and length (strings).
bool parse_size(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// A location stays inside the model's folder: relative, without a ".." component (either
// separator, as ONNX files written on Windows use '\'). Symlinks are followed as the file
// system does (a Hugging Face cache links every file to its blob store).
bool location_escapes(const std::string& loc) {
  if (loc.empty() || loc[0] == '/' || loc[0] == '\\') return true;
  if (loc.find('\0') != std::string::npos) return true;  // the OS would see a shorter path
  if (loc.size() >= 2 && loc[1] == ':') return true;     // C:...
  std::size_t start = 0;
  while (start <= loc.size()) {
    std::size_t end = loc.find_first_of("/\\", start);
    if (end == std::string::npos) end = loc.size();
    if (loc.compare(start, end - start, "..") == 0 && end - start == 2) return true;
    start = end + 1;
  }
  return false;
}

// `count` little-endian integers of type T at p (any alignment) as doubles.
template <typename T>
std::vector<double> integers_at(const char* p, std::size_t count) {
  std::vector<double> out(count);
  for (std::size_t k = 0; k < count; ++k) {
    T v;
    std::memcpy(&v, p + k * sizeof v, sizeof v);
    out[k] = static_cast<double>(v);
  }
  return out;
}

class OnnxFile final : public TensorFile {
 public:
  explicit OnnxFile(std::string path) : label_(std::move(path)) {
    parse();
    const onnx::GraphProto& g = model_->graph();
    collect(g, "");
    infos_.reserve(entries_.size());
    for (const Entry& e : entries_) infos_.push_back(e.info);
  }
  std::string reader() const override { return "onnx"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(std::size_t i) const override {
    const Entry& e = entries_.at(i);
    Tensor t;
    t.name = e.info.name;
    t.shape = e.info.shape;
    t.dtype = e.info.dtype;
    t.data = decode(e.x);
    if (e.dq) dequantize(e, t.data);
    if (e.info.floating) require_finite(t.data, t.shape, e.x.where);
    return t;
  }

 private:
  void parse() {
    ByteView bytes = formats_detail::map_file_bytes(label_);
    if (bytes.size > static_cast<std::size_t>(INT_MAX))
      fail(label_, std::to_string(bytes.size) +
                       " bytes: over protobuf's 2 GB limit for one message (models this large "
                       "keep their weights in external data files)");
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data),
                                              static_cast<int>(bytes.size));
    in.SetTotalBytesLimit(INT_MAX);
    model_ = std::make_unique<onnx::ModelProto>();
    if (!model_->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      fail(label_, "not a valid ONNX protobuf (truncated or corrupt ModelProto)");
    if (!model_->has_graph())
      fail(label_, "ModelProto has no graph (ir_version " + std::to_string(model_->ir_version()) +
                       "): not an ONNX model");
    dir_ = std::filesystem::path(label_).parent_path();
    if (dir_.empty()) dir_ = ".";
  }

  // Initializers and Constant values of graph g (names prefixed), its subgraphs, then the
  // DequantizeLinear nodes that read them.
  void collect(const onnx::GraphProto& g, const std::string& prefix) {
    std::unordered_map<std::string, std::size_t> local;  // name in g -> entries_ index
    for (const onnx::TensorProto& t : g.initializer()) local[t.name()] = add(prefix + t.name(), t);
    for (int k = 0; k < g.node_size(); ++k) {
      const onnx::NodeProto& node = g.node(k);
      const std::string label =
          node.name().empty() ? node.op_type() + "#" + std::to_string(k) : node.name();
      const bool onnx_domain = node.domain().empty() || node.domain() == "ai.onnx";
      if (node.op_type() == "Constant" && onnx_domain) {
        for (const onnx::AttributeProto& a : node.attribute()) {
          if (a.name() != "value" || !a.has_t()) continue;
          if (node.output_size() < 1 || node.output(0).empty())
            fail(label_, "Constant node '" + label + "' has no output to name its tensor");
          local[node.output(0)] = add(prefix + node.output(0), a.t());
        }
      }
      for (const onnx::AttributeProto& a : node.attribute()) {
        const std::string sub = prefix + label + "/" + a.name() + "/";
        if (a.has_g()) collect(a.g(), sub);
        for (int j = 0; j < a.graphs_size(); ++j)
          collect(a.graphs(j), sub + std::to_string(j) + "/");
      }
    }
    for (const onnx::NodeProto& node : g.node())
      if (node.op_type() == "DequantizeLinear" &&
          (node.domain().empty() || node.domain() == "ai.onnx" || node.domain() == "com.microsoft"))
        mark_dequantized(node, local);
  }

  std::size_t add(const std::string& name, const onnx::TensorProto& t) {
    const std::string where = label_ + ": tensor '" + name + "'";
    if (!names_.insert(name).second) fail(where, "a second tensor has this name");
    Entry e;
    e.info.name = name;
    if (!t.name().empty() && t.name() != name) e.info.stored_name = t.name();
    e.x = validate(t, where);
    e.info.shape = e.x.shape;
    e.info.dtype = e.x.type->name;
    e.info.floating = e.x.type->floating;
    entries_.push_back(std::move(e));
    return entries_.size() - 1;
  }

  // Type, shape, and the stored size against dims; external ranges mapped and bounded.
  Stored validate(const onnx::TensorProto& t, const std::string& where) {
    Stored s;
    s.proto = &t;
    s.where = where;
    s.type = find_data_type(t.data_type());
    if (s.type == nullptr)
      fail(where, "data_type " + std::to_string(t.data_type()) +
                      (t.data_type() == 0 ? " (UNDEFINED)" : "") +
                      " is not an ONNX tensor type this reader knows");
    s.shape.assign(t.dims().begin(), t.dims().end());
    s.count = formats_detail::checked_element_count(s.shape, where);
    if (t.has_segment()) fail(where, "segmented tensors (TensorProto.segment) are not supported");
    const std::size_t bits = static_cast<std::size_t>(s.type->bits);
    // count * 16 fits (checked above): whole bytes per element up to 16, or 2 and 4 bits
    const std::size_t need = bits >= 8 ? s.count * (bits / 8) : (s.count * bits + 7) / 8;
    const std::string need_text = "dims " + shape_text(s.shape) + " of " + s.type->name + " need " +
                                  std::to_string(need) + " bytes";
    if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
      map_external(t, where, &s);
      if (bits != 0 && s.nbytes != need)
        fail(where, "external data holds " + std::to_string(s.nbytes) + " bytes but " + need_text);
    } else if (t.has_raw_data()) {
      s.bytes = t.raw_data().data();
      s.nbytes = t.raw_data().size();
      if (bits != 0 && s.nbytes != need)
        fail(where, "raw_data holds " + std::to_string(s.nbytes) + " bytes but " + need_text);
    } else {
      int per = 1;
      const auto have = static_cast<std::size_t>(typed_field_size(t, s.type->number, &per));
      if (have != s.count * static_cast<std::size_t>(per) && !(bits < 8 && bits != 0))
        fail(where, "holds " + std::to_string(have) + " values in its typed field but dims " +
                        shape_text(s.shape) + " have " + std::to_string(s.count) + " elements");
    }
    return s;
  }

  void map_external(const onnx::TensorProto& t, const std::string& where, Stored* s) {
    std::string location;
    std::uint64_t offset = 0, length = 0;
    bool has_length = false;
    for (const onnx::StringStringEntryProto& kv : t.external_data()) {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset" || kv.key() == "length") {
        std::uint64_t v;
        if (!parse_size(kv.value(), &v))
          fail(where, "external data " + kv.key() + " '" +
                          formats_detail::excerpt(kv.value().data(), kv.value().size()) +
                          "' is not a byte count");
        if (kv.key() == "offset") {
          offset = v;
        } else {
          length = v;
          has_length = true;
        }
      }
    }
    const std::string loc_text = formats_detail::excerpt(location.data(), location.size(), 80);
    if (location.empty()) fail(where, "external data without a location");
    if (location_escapes(location))
      fail(where, "external data location '" + loc_text +
                      "' escapes the model's folder (absolute or with ..): refused");
    auto it = external_.find(location);
    if (it == external_.end()) {
      const std::string file = (dir_ / location).string();
      try {
        it = external_.emplace(location, formats_detail::map_file_bytes(file)).first;
      } catch (const InputError& e) {
        fail(where, std::string("external data: ") + e.what());
      }
    }
    const ByteView& v = it->second;
    if (!has_length) length = offset <= v.size ? v.size - offset : 0;
    if (offset > v.size || length > v.size - offset)
      fail(where, "external data range [" + std::to_string(offset) + ", " +
                      std::to_string(offset + length) + ") is past the end of '" + loc_text +
                      "' (" + std::to_string(v.size) + " bytes)");
    s->bytes = v.data + offset;
    s->nbytes = static_cast<std::size_t>(length);
  }

  // Marks x as dequantized when the node's scale (and zero point) are tensors of this graph.
  void mark_dequantized(const onnx::NodeProto& node,
                        const std::unordered_map<std::string, std::size_t>& local) {
    if (node.input_size() < 2) return;
    auto find = [&](int k) -> const Entry* {
      if (k >= node.input_size() || node.input(k).empty()) return nullptr;
      auto it = local.find(node.input(k));
      return it == local.end() ? nullptr : &entries_[it->second];
    };
    auto xi = local.find(node.input(0));
    const Entry* scale = find(1);
    const Entry* zero = find(2);
    const bool zero_given = node.input_size() > 2 && !node.input(2).empty();
    if (xi == local.end() || scale == nullptr || (zero_given && zero == nullptr)) return;
    Entry& x = entries_[xi->second];
    if (x.dq || !is_integer(*x.x.type) || !x.x.type->decoded) return;
    const std::string& where = x.x.where;
    const std::string dq_name =
        "DequantizeLinear '" +
        (node.name().empty() && node.output_size() > 0 ? node.output(0) : node.name()) + "'";
    if (!scale->x.type->floating)
      fail(where, dq_name + ": scale '" + node.input(1) + "' is " + scale->x.type->name +
                      ", not floating point");
    if (zero && zero->x.type != x.x.type)
      fail(where, dq_name + ": zero point '" + node.input(2) + "' is " + zero->x.type->name +
                      " but x is " + x.x.type->name);
    auto dq = std::make_unique<Dequantize>();
    std::int64_t axis = 1;
    for (const onnx::AttributeProto& a : node.attribute()) {
      if (a.name() == "axis") axis = a.i();
      if (a.name() == "block_size" && a.i() != 0)
        fail(where, dq_name + ": blocked quantization (block_size " + std::to_string(a.i()) +
                        ") is not supported");
    }
    const auto rank = static_cast<std::int64_t>(x.x.shape.size());
    // One scale value is per tensor (a scalar, or a 1-element 1-D as onnxruntime accepts).
    if (scale->x.count != 1 || scale->x.shape.size() > 1) {
      if (scale->x.shape.size() != 1)
        fail(where, dq_name + ": scale has shape " + shape_text(scale->x.shape) +
                        ", not a scalar or a 1-D per-axis scale");
      if (axis < -rank || axis >= rank)
        fail(where, dq_name + ": axis " + std::to_string(axis) + " outside x's rank " +
                        std::to_string(rank));
      if (axis < 0) axis += rank;
      const std::int64_t along = x.x.shape[static_cast<std::size_t>(axis)];
      if (scale->x.shape[0] != along)
        fail(where, dq_name + ": scale has " + std::to_string(scale->x.shape[0]) +
                        " values but x's axis " + std::to_string(axis) + " has " +
                        std::to_string(along));
      dq->axis = static_cast<int>(axis);
    }
    if (zero && zero->x.count != scale->x.count)
      fail(where, dq_name + ": zero point has shape " + shape_text(zero->x.shape) +
                      " but scale has shape " + shape_text(scale->x.shape));
    dq->scale = scale->x;
    if (zero) {
      dq->zero = zero->x;
      dq->has_zero = true;
    }
    x.dq = std::move(dq);
    x.info.dtype = std::string(x.x.type->name) + " (dequantized)";
    x.info.floating = true;
  }

  // The values of s in storage (row-major) order as doubles.
  std::vector<double> decode(const Stored& s) const {
    const DataType& type = *s.type;
    if (!type.decoded) fail(s.where, type_text(type) + " is not decoded by this reader");
    const onnx::TensorProto& t = *s.proto;
    const int n = type.number;
    if (s.bytes != nullptr || s.count == 0) {
      if (type.floating) return decode_floats(s.bytes, s.count, type.name, false);
      switch (n) {
        case TP::UINT8:
          return integers_at<std::uint8_t>(s.bytes, s.count);
        case TP::INT8:
          return integers_at<std::int8_t>(s.bytes, s.count);
        case TP::UINT16:
          return integers_at<std::uint16_t>(s.bytes, s.count);
        case TP::INT16:
          return integers_at<std::int16_t>(s.bytes, s.count);
        case TP::INT32:
          return integers_at<std::int32_t>(s.bytes, s.count);
        case TP::INT64:
          return integers_at<std::int64_t>(s.bytes, s.count);
        case TP::UINT32:
          return integers_at<std::uint32_t>(s.bytes, s.count);
        case TP::UINT64:
          return integers_at<std::uint64_t>(s.bytes, s.count);
        default: {  // BOOL: one byte, nonzero is true
          std::vector<double> out = integers_at<std::uint8_t>(s.bytes, s.count);
          for (double& v : out) v = v != 0 ? 1.0 : 0.0;
          return out;
        }
      }
    }
    std::vector<double> out;
    out.reserve(s.count);
    switch (n) {
      case TP::FLOAT:
        out.assign(t.float_data().begin(), t.float_data().end());
        return out;
      case TP::DOUBLE:
        out.assign(t.double_data().begin(), t.double_data().end());
        return out;
      case TP::INT64:
        out.assign(t.int64_data().begin(), t.int64_data().end());
        return out;
      case TP::UINT32:
      case TP::UINT64: {
        const std::uint64_t max = n == TP::UINT32 ? 0xffffffffull : ~0ull;
        for (int k = 0; k < t.uint64_data_size(); ++k) {
          if (t.uint64_data(k) > max)
            fail(s.where, "uint64_data entry " + std::to_string(k) + " = " +
                              std::to_string(t.uint64_data(k)) + " is outside " + type.name);
          out.push_back(static_cast<double>(t.uint64_data(k)));
        }
        return out;
      }
      default:
        break;
    }
    // int32_data: (u)int8/16, int32, bool as values; float16/bfloat16 as their 16 bits.
    std::int64_t lo = INT32_MIN, hi = INT32_MAX;
    switch (n) {
      case TP::UINT8:
        lo = 0;
        hi = 255;
        break;
      case TP::INT8:
        lo = -128;
        hi = 127;
        break;
      case TP::UINT16:
      case TP::FLOAT16:
      case TP::BFLOAT16:
        lo = 0;
        hi = 65535;
        break;
      case TP::INT16:
        lo = -32768;
        hi = 32767;
        break;
      case TP::BOOL:
        lo = 0;
        hi = 1;
        break;
    }
    for (int k = 0; k < t.int32_data_size(); ++k) {
      const std::int32_t v = t.int32_data(k);
      if (v < lo || v > hi)
        fail(s.where, "int32_data entry " + std::to_string(k) + " = " + std::to_string(v) +
                          " is outside " +
                          (n == TP::FLOAT16 || n == TP::BFLOAT16 ? "16 bits" : type.name));
      if (n == TP::FLOAT16)
        out.push_back(half_to_double(static_cast<std::uint16_t>(v)));
      else if (n == TP::BFLOAT16)
        out.push_back(bfloat16_to_double(static_cast<std::uint16_t>(v)));
      else
        out.push_back(v);
    }
    return out;
  }

  // y = (x - zero_point) * scale in float32, as DequantizeLinear computes it.
  void dequantize(const Entry& e, std::vector<double>& values) const {
    const Dequantize& dq = *e.dq;
    const std::vector<double> scale = decode(dq.scale);
    require_finite(scale, dq.scale.shape, e.x.where + " (its DequantizeLinear scale)");
    const std::vector<double> zero =
        dq.has_zero ? decode(dq.zero) : std::vector<double>(scale.size(), 0.0);
    std::size_t inner = 1, channels = 1;
    if (dq.axis >= 0) {
      channels = static_cast<std::size_t>(e.x.shape[static_cast<std::size_t>(dq.axis)]);
      for (std::size_t d = static_cast<std::size_t>(dq.axis) + 1; d < e.x.shape.size(); ++d)
        inner *= static_cast<std::size_t>(e.x.shape[d]);
    }
    for (std::size_t k = 0; k < values.size(); ++k) {
      const std::size_t c = dq.axis >= 0 ? (k / inner) % channels : 0;
      const auto diff = static_cast<float>(values[k] - zero[c]);
      values[k] = static_cast<double>(diff * static_cast<float>(scale[c]));
    }
  }

  std::string label_;
  std::filesystem::path dir_;
  std::unique_ptr<onnx::ModelProto> model_;
  std::map<std::string, ByteView> external_;  // location -> mapped file
  std::unordered_set<std::string> names_;
  std::vector<Entry> entries_;
  std::vector<TensorInfo> infos_;
};

}  // namespace

std::unique_ptr<TensorFile> open_onnx_file(const std::string& path) {
  return std::make_unique<OnnxFile>(path);
}

}  // namespace sih
