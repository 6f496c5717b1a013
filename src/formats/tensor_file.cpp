// Which reader opens a file: each format's magic bytes, in one table. Formats without magic
// (safetensors starts with a length; ONNX is a bare protobuf) are recognised by a structural
// check of the first bytes, then by extension.
#include "sih/formats/tensor_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "file_bytes.hpp"
#include "sih/base/input_file.hpp"
#include "sih/formats/npy.hpp"
#include "zip_archive.hpp"

namespace sih {

namespace {

using formats_detail::ByteView;

class NpyFile final : public TensorFile {
 public:
  NpyFile(ByteView bytes, std::string label) : bytes_(std::move(bytes)), label_(std::move(label)) {
    layout_ = parse_npy_header(bytes_.data, bytes_.size, label_);
    TensorInfo info;
    info.shape = layout_.shape;
    info.dtype = layout_.dtype;
    info.floating = true;  // parse_npy_header accepts floating dtypes only
    infos_.push_back(std::move(info));
  }
  std::string reader() const override { return "npy"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(std::size_t i) const override {
    const TensorInfo& info = infos_.at(i);
    Tensor t;
    t.shape = info.shape;
    t.dtype = info.dtype;
    t.data = read_npy_values(bytes_.data, layout_, label_);
    return t;
  }

 private:
  ByteView bytes_;
  std::string label_;
  NpyLayout layout_;
  std::vector<TensorInfo> infos_;
};

bool has_prefix(const std::string& head, const char* magic, std::size_t n) {
  return head.size() >= n && std::memcmp(head.data(), magic, n) == 0;
}

bool ends_with_nocase(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

// safetensors: an 8-byte little-endian header length that fits the file, then '{'.
bool looks_like_safetensors(const std::string& head, std::uintmax_t file_size) {
  if (head.size() < 9 || head[8] != '{') return false;
  std::uint64_t hlen;
  std::memcpy(&hlen, head.data(), sizeof hlen);
  return hlen >= 2 && hlen <= file_size - 8;
}

// ONNX: a bare ModelProto. Protobuf writes fields in number order, so a model starts with
// ir_version (field 1, varint: tag 0x08 and a one-byte value) and then the tag of another
// ModelProto field: producer_name .. opset_import (2-8), metadata_props (14), training_info
// (20), functions (25).
bool looks_like_onnx(const std::string& head, std::uintmax_t) {
  if (head.size() < 4 || head[0] != 0x08) return false;
  const auto version = static_cast<unsigned char>(head[1]);
  const auto tag = static_cast<unsigned char>(head[2]), tag2 = static_cast<unsigned char>(head[3]);
  if (version == 0 || version >= 0x80) return false;
  for (unsigned char t : {0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72})
    if (tag == t) return true;
  return (tag == 0xa2 || tag == 0xca) && tag2 == 0x01;
}

struct Reader {
  const char* name;
  const char* extension;  // used when the content does not decide
  bool (*matches)(const std::string& head, std::uintmax_t file_size);
  std::unique_ptr<TensorFile> (*open)(const std::string& path);
};

std::unique_ptr<TensorFile> open_npy(const std::string& path) { return open_npy_file(path); }

// A zip, or torch.save's legacy pickle (refused by the pytorch reader, with how to re-save it).
bool looks_like_zip_or_torch(const std::string& h, std::uintmax_t) {
  return formats_detail::looks_like_zip(h.data(), h.size()) ||
         has_prefix(h, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);
}

// Both start with PK: a zip holding data.pkl (<archive>/data.pkl) is a PyTorch checkpoint
// (TorchScript archives too, which that reader refuses), any other zip an .npz.
std::unique_ptr<TensorFile> open_zip(const std::string& path) {
  formats_detail::ByteView bytes = formats_detail::map_file_bytes(path);
  if (!formats_detail::looks_like_zip(bytes.data, bytes.size)) return open_pytorch_file(path);
  const formats_detail::ZipArchive zip(std::move(bytes), path);
  return zip.find_top_level("data.pkl").empty() ? open_npz_file(path) : open_pytorch_file(path);
}

const Reader kReaders[] = {
    {"npy", ".npy",
     [](const std::string& h, std::uintmax_t) { return has_prefix(h, "\x93NUMPY", 6); }, open_npy},
    {"safetensors", ".safetensors", looks_like_safetensors, open_safetensors_file},
    {"gguf", ".gguf", [](const std::string& h, std::uintmax_t) { return has_prefix(h, "GGUF", 4); },
     open_gguf_file},
    {"onnx", ".onnx", looks_like_onnx, open_onnx_file},
    {"pytorch/npz (zip)", ".pt", looks_like_zip_or_torch, open_zip},
};

}  // namespace

std::unique_ptr<TensorFile> open_npy_file(const std::string& path) {
  return std::make_unique<NpyFile>(formats_detail::map_file_bytes(path), path);
}

std::unique_ptr<TensorFile> open_tensor_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError(path + ": cannot open: no such file");
  if (S_ISDIR(st.st_mode)) return open_huggingface_folder(path);
  require_regular_file(path);
  std::string head(64, '\0');
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open");
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
  }
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  for (const Reader& r : kReaders)
    if (r.matches(head, size)) return r.open(path);
  for (const Reader& r : kReaders)
    if (ends_with_nocase(path, r.extension)) return r.open(path);
  std::string tried;
  for (const Reader& r : kReaders) tried += std::string(tried.empty() ? "" : ", ") + r.name;
  throw InputError(path + ": not a file any reader recognises (tried " + tried + ")");
}

}  // namespace sih
