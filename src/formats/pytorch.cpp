// PyTorch checkpoints as torch.save writes them since 1.6: a zip holding <archive>/data.pkl (the
// pickled object, read by the restricted unpickler of unpickler.cpp), <archive>/data/<key> (one
// record per storage, stored uncompressed: tensors are decoded from the mapped file),
// <archive>/version and, since torch 2.1, <archive>/byteorder. Every tensor's storage record,
// offset, size and stride are checked on open; one tensor is decoded per load.
#include <cstring>
#include <unordered_map>

#include "file_bytes.hpp"
#include "sih/base/text.hpp"
#include "sih/formats/npy.hpp"
#include "sih/formats/tensor_file.hpp"
#include "unpickler.hpp"
#include "zip_archive.hpp"

namespace sih {

namespace {

using formats_detail::ByteView;
using formats_detail::PickleGraph;
using formats_detail::PickleStorage;
using formats_detail::PickleTensor;
using formats_detail::PyValue;
using formats_detail::ZipArchive;
using Kind = PyValue::Kind;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw InputError(label + ": " + what);
}

// torch.save's first pickle in the legacy (pre-1.6) format: PROTO 2, LONG1 of its magic number
// 0x1950a86a20f9469cfc6c.
constexpr char kLegacyMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
constexpr std::size_t kLegacyMagicLen = sizeof kLegacyMagic - 1;

// Containers deeper than this are refused (a state dict nests 2-4 levels; a cycle never ends).
constexpr int kMaxDepth = 64;

// The top-level keys that wrap a state dict in training checkpoints.
const char* const kWrappers[] = {"state_dict", "model_state_dict", "model"};

struct Found {
  std::string path;  // dotted, from the top of the pickle
  std::size_t tensor;
};

class Walker {
 public:
  Walker(const PickleGraph& g, const std::string& label) : g_(g), label_(label) {
    max_visits_ = std::max<std::size_t>(1000000, 4 * g.values.size());
  }
  std::vector<Found> run() {
    walk(g_.root, "", 0);
    return std::move(found_);
  }

 private:
  static bool key_text(const PyValue& k, std::string* out) {
    switch (k.kind) {
      case Kind::Str:
        *out = k.s;
        return true;
      case Kind::Int:
        if (k.big) return false;
        *out = std::to_string(k.i);
        return true;
      case Kind::Bool:
        *out = k.i ? "True" : "False";
        return true;
      case Kind::None:
        *out = "None";
        return true;
      default:
        return false;  // tuple keys etc.: their entries are skipped
    }
  }
  static std::string join(const std::string& a, const std::string& b) {
    return a.empty() ? b : a + "." + b;
  }
  void walk(std::size_t v, const std::string& path, int depth) {
    if (++visits_ > max_visits_)
      fail(label_, "data.pkl: object graph too large to walk (containers shared at many levels)");
    const PyValue& x = g_.values[v];
    if (x.kind == Kind::Tensor) {
      found_.push_back({path, v});
      return;
    }
    if (x.kind != Kind::Dict && x.kind != Kind::List && x.kind != Kind::Tuple) return;
    if (depth >= kMaxDepth)
      fail(label_, "data.pkl: containers nested deeper than " + std::to_string(kMaxDepth) +
                       " levels (at '" + formats_detail::excerpt(path.data(), path.size(), 80) +
                       "'; a state dict nests a few, a cycle never ends)");
    if (x.kind == Kind::Dict) {
      // A key set twice keeps its first place and its last value, as in Python's dict.
      std::vector<std::pair<std::string, std::size_t>> entries;
      std::unordered_map<std::string, std::size_t> where;
      for (std::size_t j = 0; j + 1 < x.items.size(); j += 2) {
        std::string k;
        if (!key_text(g_.values[x.items[j]], &k)) continue;
        const auto it = where.find(k);
        if (it != where.end()) {
          entries[it->second].second = x.items[j + 1];
        } else {
          where.emplace(k, entries.size());
          entries.emplace_back(std::move(k), x.items[j + 1]);
        }
      }
      for (const auto& [k, value] : entries) walk(value, join(path, k), depth + 1);
    } else {
      for (std::size_t j = 0; j < x.items.size(); ++j)
        walk(x.items[j], join(path, std::to_string(j)), depth + 1);
    }
  }

  const PickleGraph& g_;
  const std::string& label_;
  std::vector<Found> found_;
  std::size_t visits_ = 0, max_visits_ = 0;
};

// The wrapper key whose tensors are named without it, or "" (see open_pytorch_file).
std::string wrapper_prefix(const PickleGraph& g) {
  const PyValue& root = g.values[g.root];
  if (root.kind != Kind::Dict) return "";
  std::string found;
  int n = 0;
  for (std::size_t j = 0; j + 1 < root.items.size(); j += 2) {
    const PyValue& k = g.values[root.items[j]];
    if (k.kind != Kind::Str || g.values[root.items[j + 1]].kind != Kind::Dict) continue;
    for (const char* w : kWrappers)
      if (k.s == w) {
        found = w;
        ++n;
      }
  }
  return n == 1 ? found : "";
}

using ElementReader = double (*)(const char*, bool);
ElementReader element_reader(const std::string& dtype) {
  if (dtype == "float32")
    return [](const char* p, bool big) {
      const auto u = formats_detail::load_uint<std::uint32_t>(p, big);
      float f;
      std::memcpy(&f, &u, 4);
      return static_cast<double>(f);
    };
  if (dtype == "float64")
    return [](const char* p, bool big) {
      const auto u = formats_detail::load_uint<std::uint64_t>(p, big);
      double d;
      std::memcpy(&d, &u, 8);
      return d;
    };
  if (dtype == "float16")
    return [](const char* p, bool big) {
      return half_to_double(formats_detail::load_uint<std::uint16_t>(p, big));
    };
  if (dtype == "bfloat16")
    return [](const char* p, bool big) {
      return bfloat16_to_double(formats_detail::load_uint<std::uint16_t>(p, big));
    };
  if (dtype == "int64")
    return [](const char* p, bool big) {
      return static_cast<double>(
          static_cast<std::int64_t>(formats_detail::load_uint<std::uint64_t>(p, big)));
    };
  if (dtype == "int32")
    return [](const char* p, bool big) {
      return static_cast<double>(
          static_cast<std::int32_t>(formats_detail::load_uint<std::uint32_t>(p, big)));
    };
  if (dtype == "int16")
    return [](const char* p, bool big) {
      return static_cast<double>(
          static_cast<std::int16_t>(formats_detail::load_uint<std::uint16_t>(p, big)));
    };
  if (dtype == "int8")
    return [](const char* p, bool) { return static_cast<double>(static_cast<std::int8_t>(*p)); };
  if (dtype == "uint8")
    return [](const char* p, bool) { return static_cast<double>(static_cast<unsigned char>(*p)); };
  // bool: any non-zero byte is true, as torch reads it
  return [](const char* p, bool) { return *p ? 1.0 : 0.0; };
}

struct Layout {
  const char* storage = nullptr;  // the record's first byte in the mapping
  std::size_t item_bytes = 0;
  std::uint64_t offset = 0;
  std::vector<std::uint64_t> stride;
  std::size_t count = 0;
};

class PyTorchFile final : public TensorFile {
 public:
  PyTorchFile(ByteView bytes, std::string label) : label_(std::move(label)) {
    if (bytes.size >= kLegacyMagicLen &&
        std::memcmp(bytes.data, kLegacyMagic, kLegacyMagicLen) == 0)
      fail(label_,
           "a legacy PyTorch checkpoint (torch.save before 1.6, or "
           "_use_new_zipfile_serialization=False), which only Python's unpickler reads; re-save "
           "it in the zip format: torch.save(torch.load(path, map_location='cpu'), 'new.pt')");
    if (!formats_detail::looks_like_zip(bytes.data, bytes.size))
      fail(label_, "not a PyTorch checkpoint (torch.save since 1.6 writes a zip archive)");
    zip_ = std::make_unique<ZipArchive>(std::move(bytes), label_);
    open_archive();
  }

  std::string reader() const override { return "pytorch"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }

  Tensor load(std::size_t i) const override {
    const TensorInfo& info = infos_.at(i);
    const Layout& l = layouts_.at(i);
    const std::string where = label_ + ": tensor '" + info.name + "'";
    Tensor t;
    t.name = info.name;
    t.shape = info.shape;
    t.dtype = info.dtype;
    if (l.count == 0) return t;
    // Row-major and dense: one decode of the whole range.
    bool dense = true;
    std::uint64_t expect = 1;
    for (std::size_t d = info.shape.size(); d-- > 0;) {
      if (info.shape[d] != 1 && l.stride[d] != expect) dense = false;
      expect *= static_cast<std::uint64_t>(info.shape[d]);
    }
    const char* base = l.storage + l.offset * l.item_bytes;
    if (dense && info.floating) {
      t.data = decode_floats(base, l.count, info.dtype, big_endian_);
    } else {
      const ElementReader read = element_reader(info.dtype);
      t.data.reserve(l.count);
      const std::size_t rank = info.shape.size();
      std::vector<std::int64_t> idx(rank, 0);
      std::uint64_t at = 0;  // element offset from base
      for (std::size_t k = 0; k < l.count; ++k) {
        t.data.push_back(read(base + at * l.item_bytes, big_endian_));
        // odometer over the indices, last dimension fastest
        for (std::size_t d = rank; d-- > 0;) {
          if (++idx[d] < info.shape[d]) {
            at += l.stride[d];
            break;
          }
          at -= l.stride[d] * static_cast<std::uint64_t>(idx[d] - 1);
          idx[d] = 0;
        }
      }
    }
    if (info.floating) require_finite(t.data, t.shape, where);
    return t;
  }

 private:
  void open_archive() {
    // <archive>/data.pkl names the archive's folder; every record sits under it.
    const std::vector<std::size_t> pickles = zip_->find_top_level("data.pkl");
    if (pickles.empty())
      fail(label_, "zip archive without a data.pkl member: not a PyTorch checkpoint");
    if (pickles.size() > 1)
      fail(label_, "zip archive with " + std::to_string(pickles.size()) + " data.pkl members");
    const std::string& pkl_name = zip_->members()[pickles[0]].name;
    const std::string prefix = pkl_name.substr(0, pkl_name.size() - 8);
    bool torchscript = zip_->find(prefix + "constants.pkl") >= 0;
    for (const auto& m : zip_->members())
      torchscript = torchscript || m.name.compare(0, prefix.size() + 5, prefix + "code/") == 0;
    if (torchscript)
      fail(label_,
           "a TorchScript archive (torch.jit.save: code/ and constants.pkl), not a torch.save "
           "checkpoint; sih reads weights only: save them from Python with "
           "torch.save(torch.jit.load(path).state_dict(), 'weights.pt')");
    const std::ptrdiff_t order = zip_->find(prefix + "byteorder");
    if (order >= 0) {
      const std::size_t oi = static_cast<std::size_t>(order);
      if (zip_->members()[oi].uncompressed_size > 16)
        fail(label_, "byteorder record is not 'little' or 'big'");
      const std::string text = zip_->read(oi);
      if (text == "big") {
        big_endian_ = true;
      } else if (text != "little") {
        fail(label_, "byteorder record '" + formats_detail::excerpt(text.data(), text.size()) +
                         "' is not 'little' or 'big'");
      }
    }
    const std::string pkl = zip_->read(pickles[0]);
    const PickleGraph g = formats_detail::unpickle_checkpoint(pkl.data(), pkl.size(), label_);
    const std::vector<Found> tensors = Walker(g, label_).run();

    // Names: the dotted path, which a key holding a '.' can make ambiguous.
    std::unordered_map<std::string, std::size_t> seen;
    for (const auto& f : tensors)
      if (!seen.emplace(f.path, 0).second)
        fail(label_, "two tensors are both named '" +
                         formats_detail::excerpt(f.path.data(), f.path.size(), 80) +
                         "' (a key with a '.' in it collides with a nested one)");
    // The tensors of a wrapper ({"state_dict": {...}, "epoch": 3}) are named as in the state
    // dict, unless that makes two names equal.
    const std::string wrap = wrapper_prefix(g);
    std::vector<std::string> names;
    bool strip = !wrap.empty();
    for (const auto& f : tensors) {
      const bool inside = strip && f.path.compare(0, wrap.size() + 1, wrap + ".") == 0;
      names.push_back(inside ? f.path.substr(wrap.size() + 1) : f.path);
    }
    if (strip) {
      std::unordered_map<std::string, int> count;
      for (const auto& n : names)
        if (++count[n] > 1) strip = false;
    }
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      TensorInfo info;
      info.name = strip ? names[k] : tensors[k].path;
      if (info.name != tensors[k].path) info.stored_name = tensors[k].path;
      const PickleTensor& t = g.tensors[g.values[tensors[k].tensor].ref];
      add_tensor(std::move(info), t, g.storages[t.storage], prefix);
    }
  }

  void add_tensor(TensorInfo info, const PickleTensor& t, const PickleStorage& s,
                  const std::string& prefix) {
    const std::string where = label_ + ": tensor '" + info.name + "'";
    info.dtype = s.dtype;
    info.floating = s.floating;
    info.shape = t.size;
    const std::string record = prefix + "data/" + s.key;
    const std::ptrdiff_t ri = zip_->find(record);
    if (ri < 0)
      fail(where, "its storage record '" +
                      formats_detail::excerpt(record.data(), record.size(), 80) +
                      "' is not in the archive");
    const auto& m = zip_->members()[static_cast<std::size_t>(ri)];
    if (m.method != 0)
      fail(where, "its storage record '" + record +
                      "' is compressed (torch.save stores records uncompressed; sih decodes "
                      "them from the file in place)");
    Layout l;
    l.item_bytes = s.item_bytes;
    l.storage = zip_->stored_data(static_cast<std::size_t>(ri));
    if (s.numel > m.uncompressed_size / s.item_bytes ||
        m.uncompressed_size != s.numel * s.item_bytes)
      fail(where, "storage '" + s.key + "' holds " + std::to_string(m.uncompressed_size) +
                      " bytes, its persistent id says " + std::to_string(s.numel) + " " + s.dtype +
                      " elements");
    if (t.size.size() != t.stride.size())
      fail(where, "size " + shape_text(t.size) + " and stride " + shape_text(t.stride) +
                      " differ in rank");
    if (t.offset < 0) fail(where, "negative storage offset " + std::to_string(t.offset));
    for (std::int64_t st : t.stride)
      if (st < 0) fail(where, "negative stride in " + shape_text(t.stride));
    l.count = formats_detail::checked_element_count(t.size, where);
    l.offset = static_cast<std::uint64_t>(t.offset);
    for (std::int64_t st : t.stride) l.stride.push_back(static_cast<std::uint64_t>(st));
    if (l.count > 0) {
      // The last element's place: offset + sum((size - 1) * stride), overflow-checked.
      std::uint64_t last = l.offset;
      bool overflow = false;
      for (std::size_t d = 0; d < t.size.size(); ++d) {
        std::uint64_t span;
        overflow =
            overflow ||
            __builtin_mul_overflow(static_cast<std::uint64_t>(t.size[d] - 1), l.stride[d], &span) ||
            __builtin_add_overflow(last, span, &last);
      }
      if (overflow || last >= s.numel)
        fail(where, "size " + shape_text(t.size) + ", stride " + shape_text(t.stride) +
                        " and offset " + std::to_string(t.offset) + " reach element " +
                        (overflow ? std::string("beyond 2^64") : std::to_string(last)) +
                        " of storage '" + s.key + "', which holds " + std::to_string(s.numel));
    }
    infos_.push_back(std::move(info));
    layouts_.push_back(std::move(l));
  }

  std::string label_;
  std::unique_ptr<ZipArchive> zip_;
  bool big_endian_ = false;
  std::vector<TensorInfo> infos_;
  std::vector<Layout> layouts_;
};

}  // namespace

std::unique_ptr<TensorFile> open_pytorch_file(const std::string& path) {
  return std::make_unique<PyTorchFile>(formats_detail::map_file_bytes(path), path);
}

}  // namespace sih
