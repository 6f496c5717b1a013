// .safetensors: 8-byte little-endian header length, a JSON header (nlohmann) naming each
// tensor's dtype, shape and byte range, then the data. The header is checked whole on open;
// tensors are decoded one at a time from the mapped file.
#include <cstring>
#include <nlohmann/json.hpp>

#include "file_bytes.hpp"
#include "sih/base/text.hpp"
#include "sih/formats/tensor_file.hpp"

namespace sih {

namespace {

using formats_detail::ByteView;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw InputError(label + ": " + what);
}

struct DtypeInfo {
  const char* stored;  // safetensors' spelling
  const char* name;    // TensorInfo::dtype
  int item_bytes;
  bool floating;
};
constexpr DtypeInfo kDtypes[] = {{"BOOL", "bool", 1, false},
                                 {"U8", "uint8", 1, false},
                                 {"I8", "int8", 1, false},
                                 {"F8_E5M2", "float8_e5m2", 1, false},
                                 {"F8_E4M3", "float8_e4m3", 1, false},
                                 {"I16", "int16", 2, false},
                                 {"U16", "uint16", 2, false},
                                 {"I32", "int32", 4, false},
                                 {"U32", "uint32", 4, false},
                                 {"I64", "int64", 8, false},
                                 {"U64", "uint64", 8, false},
                                 {"F16", "float16", 2, true},
                                 {"BF16", "bfloat16", 2, true},
                                 {"F32", "float32", 4, true},
                                 {"F64", "float64", 8, true}};

class SafetensorsFile final : public TensorFile {
 public:
  SafetensorsFile(ByteView bytes, std::string label)
      : bytes_(std::move(bytes)), label_(std::move(label)) {
    parse_header();
  }
  std::string reader() const override { return "safetensors"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(std::size_t i) const override {
    const TensorInfo& info = infos_.at(i);
    const std::string where = label_ + ": tensor '" + info.name + "'";
    if (!info.floating) fail(where, "dtype " + info.dtype + " is not floating point");
    Tensor t;
    t.name = info.name;
    t.shape = info.shape;
    t.dtype = info.dtype;
    const char* p = bytes_.data + data_start_ + begin_[i];
    t.data = decode_floats(p, count_[i], info.dtype, false);
    formats_detail::release_pages(bytes_, p, t.data.size() * item_bytes_[i]);
    require_finite(t.data, t.shape, where);
    return t;
  }

 private:
  void parse_header() {
    if (bytes_.size < 8)
      fail(label_, "truncated: " + std::to_string(bytes_.size) +
                       " bytes, a safetensors file starts with an 8-byte header length");
    std::uint64_t hlen;  // little-endian, as the host (npy.cpp checks the host order)
    std::memcpy(&hlen, bytes_.data, sizeof hlen);
    if (hlen > bytes_.size - 8)
      fail(label_, "header length " + std::to_string(hlen) + " exceeds the file (" +
                       std::to_string(bytes_.size) + " bytes): truncated or not safetensors");
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(bytes_.data + 8, bytes_.data + 8 + hlen);
    } catch (const nlohmann::json::exception& e) {
      fail(label_, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(label_, "header is not a JSON object");
    data_start_ = 8 + hlen;
    const std::size_t data_len = bytes_.size - data_start_;
    // nlohmann's object is sorted by key; the file's data offsets give the file's order.
    struct Entry {
      TensorInfo info;
      std::uint64_t begin;
      std::size_t count, item_bytes;
    };
    std::vector<Entry> entries;
    for (const auto& [name, info] : header.items()) {
      if (name == "__metadata__") continue;
      const std::string where = label_ + ": tensor '" + name + "'";
      if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
          !info.contains("data_offsets"))
        fail(where, "header entry needs dtype, shape and data_offsets");
      const auto& jd = info["dtype"];
      const auto& js = info["shape"];
      const auto& jo = info["data_offsets"];
      if (!jd.is_string() || !js.is_array() || !jo.is_array() || jo.size() != 2 ||
          !jo[0].is_number_unsigned() || !jo[1].is_number_unsigned())
        fail(where, "malformed header entry " + info.dump());
      Entry e;
      e.info.name = name;
      for (const auto& s : js) {
        if (!s.is_number_unsigned()) fail(where, "shape entry " + s.dump() + " is not a size");
        e.info.shape.push_back(s.get<std::int64_t>());
      }
      const std::string dt = jd.get<std::string>();
      const DtypeInfo* known = nullptr;
      for (const auto& k : kDtypes)
        if (dt == k.stored) known = &k;
      if (known == nullptr) fail(where, "unknown dtype '" + dt + "'");
      e.info.dtype = known->name;
      e.info.floating = known->floating;
      e.count = formats_detail::checked_element_count(e.info.shape, where);
      const auto b = jo[0].get<std::uint64_t>(), end = jo[1].get<std::uint64_t>();
      if (end < b || end > data_len)
        fail(where, "data_offsets [" + std::to_string(b) + ", " + std::to_string(end) +
                        "] outside the data buffer (" + std::to_string(data_len) +
                        " bytes): header lies or file is truncated");
      const std::size_t need = e.count * static_cast<std::size_t>(known->item_bytes);
      if (end - b != need)
        fail(where, "data_offsets span " + std::to_string(end - b) + " bytes but dtype " + dt +
                        " x shape " + shape_text(e.info.shape) + " needs " + std::to_string(need));
      e.begin = b;
      e.item_bytes = static_cast<std::size_t>(known->item_bytes);
      entries.push_back(std::move(e));
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
    for (auto& e : entries) {
      infos_.push_back(std::move(e.info));
      begin_.push_back(e.begin);
      item_bytes_.push_back(e.item_bytes);
      count_.push_back(e.count);
    }
  }

  ByteView bytes_;
  std::string label_;
  std::size_t data_start_ = 0;
  std::vector<TensorInfo> infos_;
  std::vector<std::uint64_t> begin_;
  std::vector<std::size_t> count_, item_bytes_;
};

std::vector<Tensor> load_matrices(const SafetensorsFile& f, std::vector<std::string>* skipped) {
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < f.tensors().size(); ++i) {
    const TensorInfo& info = f.tensors()[i];
    if (info.shape.size() < 2) continue;
    if (!info.floating) {
      if (skipped)
        skipped->push_back(info.name + ": dtype " + info.dtype + " is not floating point");
      continue;
    }
    out.push_back(f.load(i));
  }
  return out;
}

}  // namespace

std::unique_ptr<TensorFile> open_safetensors_file(const std::string& path) {
  return std::make_unique<SafetensorsFile>(formats_detail::map_file_bytes(path), path);
}

std::vector<Tensor> parse_safetensors(const std::string& bytes, const std::string& label,
                                      std::vector<std::string>* skipped) {
  return load_matrices(SafetensorsFile(formats_detail::hold_bytes(bytes), label), skipped);
}

std::vector<Tensor> read_safetensors(const std::string& path, std::vector<std::string>* skipped) {
  return load_matrices(SafetensorsFile(formats_detail::map_file_bytes(path), path), skipped);
}

}  // namespace sih
