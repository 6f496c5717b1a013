// NumPy's .npz: a zip of .npy members (np.savez stores them, np.savez_compressed deflates
// them), each parsed by the one .npy reader (npy.hpp), so an .npz accepts exactly what .npy
// does. Arrays are named as the member without ".npy", in the archive's order. A stored member
// is decoded from the mapped file; a deflated one is inflated when loaded (its header alone on
// open).
#include "file_bytes.hpp"
#include "sih/formats/npy.hpp"
#include "sih/formats/tensor_file.hpp"
#include "zip_archive.hpp"

namespace sih {

namespace {

using formats_detail::ByteView;
using formats_detail::ZipArchive;

class NpzFile final : public TensorFile {
 public:
  NpzFile(ByteView bytes, std::string label) : label_(std::move(label)) {
    if (!formats_detail::looks_like_zip(bytes.data, bytes.size))
      throw InputError(label_ + ": not an .npz (numpy writes a zip archive)");
    zip_ = std::make_unique<ZipArchive>(std::move(bytes), label_);
    for (std::size_t i = 0; i < zip_->members().size(); ++i) {
      const auto& m = zip_->members()[i];
      const std::string shown = formats_detail::excerpt(m.name.data(), m.name.size(), 80);
      if (m.name.size() < 5 || m.name.compare(m.name.size() - 4, 4, ".npy") != 0)
        throw InputError(label_ + ": member '" + shown +
                         "' is not an .npy array (an .npz holds .npy members only)");
      TensorInfo info;
      info.name = m.name.substr(0, m.name.size() - 4);
      const std::string where = label_ + ": array '" + info.name + "'";
      NpyLayout layout;
      if (m.method == 0) {
        layout = parse_npy_header(zip_->stored_data(i),
                                  static_cast<std::size_t>(m.uncompressed_size), where);
      } else {
        // The header's length is in its first 10 (version 1) or 12 bytes; inflate that much.
        const std::string pre = zip_->read_prefix(i, 12);
        std::size_t need = pre.size();
        if (pre.size() >= 10 && pre.compare(0, 6, "\x93NUMPY") == 0) {
          const auto* u = reinterpret_cast<const unsigned char*>(pre.data());
          if (u[6] == 1)
            need = 10 + (u[8] | std::size_t{u[9]} << 8);
          else if (pre.size() >= 12)
            need = 12 + (u[8] | std::size_t{u[9]} << 8 | std::size_t{u[10]} << 16 |
                         std::size_t{u[11]} << 24);
        }
        const std::string head = need > pre.size() ? zip_->read_prefix(i, need) : pre;
        // parse_npy_header reads only the header's bytes; the size is the member's, so the data
        // is checked to be all there.
        layout = parse_npy_header(
            head.data(),
            head.size() < need ? head.size() : static_cast<std::size_t>(m.uncompressed_size),
            where);
      }
      info.shape = layout.shape;
      info.dtype = layout.dtype;
      info.floating = true;  // parse_npy_header accepts floating dtypes only
      infos_.push_back(std::move(info));
      layouts_.push_back(std::move(layout));
    }
  }

  std::string reader() const override { return "npz"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(std::size_t i) const override {
    const TensorInfo& info = infos_.at(i);
    const std::string where = label_ + ": array '" + info.name + "'";
    Tensor t;
    t.name = info.name;
    t.shape = info.shape;
    t.dtype = info.dtype;
    if (zip_->members()[i].method == 0) {
      t.data = read_npy_values(zip_->stored_data(i), layouts_[i], where);
    } else {
      const std::string bytes = zip_->read(i);  // size and CRC-32 checked
      t.data = read_npy_values(bytes.data(), layouts_[i], where);
    }
    return t;
  }

 private:
  std::string label_;
  std::unique_ptr<ZipArchive> zip_;
  std::vector<TensorInfo> infos_;
  std::vector<NpyLayout> layouts_;
};

}  // namespace

std::unique_ptr<TensorFile> open_npz_file(const std::string& path) {
  return std::make_unique<NpzFile>(formats_detail::map_file_bytes(path), path);
}

}  // namespace sih
