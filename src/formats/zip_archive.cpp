#include "zip_archive.hpp"

#include <minizip/unzip.h>
#include <zlib.h>

#include <cstring>
#include <limits>

#include "sih/base/types.hpp"

namespace sih::formats_detail {
namespace {

// minizip reads through these callbacks: the "file" is the mapping, with a cursor.
struct Cursor {
  const char* data;
  std::uint64_t size;
  std::uint64_t pos = 0;
};

voidpf ZCALLBACK mem_open(voidpf opaque, const void*, int) {
  const auto* view = static_cast<const ByteView*>(opaque);
  return new Cursor{view->data, view->size};
}
uLong ZCALLBACK mem_read(voidpf, voidpf stream, void* buf, uLong size) {
  auto* c = static_cast<Cursor*>(stream);
  const std::uint64_t left = c->pos < c->size ? c->size - c->pos : 0;
  const uLong n = static_cast<uLong>(std::min<std::uint64_t>(size, left));
  if (n) std::memcpy(buf, c->data + c->pos, n);
  c->pos += n;
  return n;
}
uLong ZCALLBACK mem_write(voidpf, voidpf, const void*, uLong) { return 0; }
ZPOS64_T ZCALLBACK mem_tell(voidpf, voidpf stream) { return static_cast<Cursor*>(stream)->pos; }
long ZCALLBACK mem_seek(voidpf, voidpf stream, ZPOS64_T offset, int origin) {
  auto* c = static_cast<Cursor*>(stream);
  std::uint64_t base = 0;
  if (origin == ZLIB_FILEFUNC_SEEK_CUR)
    base = c->pos;
  else if (origin == ZLIB_FILEFUNC_SEEK_END)
    base = c->size;
  else if (origin != ZLIB_FILEFUNC_SEEK_SET)
    return -1;
  if (offset > c->size || base > c->size - offset) return -1;
  c->pos = base + offset;
  return 0;
}
int ZCALLBACK mem_close(voidpf, voidpf stream) {
  delete static_cast<Cursor*>(stream);
  return 0;
}
int ZCALLBACK mem_error(voidpf, voidpf) { return 0; }

std::string method_name(int m) {
  switch (m) {
    case 0:
      return "stored";
    case 8:
      return "deflated";
    case 9:
      return "deflate64";
    case 12:
      return "bzip2";
    case 14:
      return "lzma";
    case 93:
      return "zstd";
    case 95:
      return "xz";
    default:
      return "method " + std::to_string(m);
  }
}

// Deflate's densest code spends 1 bit per 258-byte match: at most 1032:1, plus the stream's
// few bytes of framing.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

}  // namespace

bool looks_like_zip(const char* head, std::size_t n) {
  return n >= 4 &&
         (std::memcmp(head, "PK\x03\x04", 4) == 0 || std::memcmp(head, "PK\x05\x06", 4) == 0);
}

ZipArchive::ZipArchive(ByteView bytes, std::string label)
    : bytes_(std::move(bytes)), label_(std::move(label)) {
  // An empty archive is its end record alone, at offset 0, where minizip does not look for it.
  if (bytes_.size >= 22 && std::memcmp(bytes_.data, "PK\x05\x06", 4) == 0) {
    if (bytes_.size == 22 && std::memcmp(bytes_.data + 4, std::string(18, '\0').data(), 18) == 0)
      return;
    throw InputError(label_ + ": zip archive starting with its end record but not empty");
  }
  zlib_filefunc64_def io{};
  io.zopen64_file = mem_open;
  io.zread_file = mem_read;
  io.zwrite_file = mem_write;
  io.ztell64_file = mem_tell;
  io.zseek64_file = mem_seek;
  io.zclose_file = mem_close;
  io.zerror_file = mem_error;
  io.opaque = &bytes_;
  unzFile zf = unzOpen2_64(label_.c_str(), &io);
  if (zf == nullptr)
    throw InputError(label_ +
                     ": not a readable zip archive (no valid end of central directory "
                     "record: truncated or not a zip)");
  struct Closer {
    unzFile zf;
    ~Closer() { unzClose(zf); }
  } closer{zf};

  unz_global_info64 gi{};
  if (unzGetGlobalInfo64(zf, &gi) != UNZ_OK)
    throw InputError(label_ + ": unreadable zip central directory");
  if (gi.number_entry == 0) return;
  int rc = unzGoToFirstFile(zf);
  while (rc == UNZ_OK) {
    unz_file_info64 fi{};
    if (unzGetCurrentFileInfo64(zf, &fi, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK)
      throw InputError(label_ + ": unreadable zip central directory entry " +
                       std::to_string(members_.size()));
    std::string name(fi.size_filename, '\0');  // at most 65535 (a 2-byte field)
    if (unzGetCurrentFileInfo64(zf, &fi, name.data(), static_cast<uLong>(name.size()), nullptr, 0,
                                nullptr, 0) != UNZ_OK)
      throw InputError(label_ + ": unreadable zip central directory entry " +
                       std::to_string(members_.size()));
    ZipMember m;
    m.name = std::move(name);
    m.compressed_size = fi.compressed_size;
    m.uncompressed_size = fi.uncompressed_size;
    m.method = static_cast<int>(fi.compression_method);
    m.crc = static_cast<std::uint32_t>(fi.crc);
    const std::string where =
        label_ + ": member '" + excerpt(m.name.data(), m.name.size(), 80) + "'";
    if (fi.flag & 0x41u)
      throw InputError(where + " is encrypted (sih reads unencrypted archives only)");
    if (index_.count(m.name)) throw InputError(where + " appears twice in the archive");
    // The local header: minizip checks it against the central directory and gives where the
    // data starts (after the local name and extra field, whose lengths only it knows).
    int method = 0, level = 0;
    if (unzOpenCurrentFile2(zf, &method, &level, /*raw=*/1) != UNZ_OK)
      throw InputError(where +
                       ": local header unreadable or inconsistent with the central "
                       "directory (truncated or corrupt archive)");
    m.data_offset = unzGetCurrentFileZStreamPos64(zf);
    unzCloseCurrentFile(zf);
    const std::uint64_t size = bytes_.size;
    if (m.data_offset > size || m.compressed_size > size - m.data_offset)
      throw InputError(where + ": its " + std::to_string(m.compressed_size) + " bytes at offset " +
                       std::to_string(m.data_offset) + " end past the end of the file (" +
                       std::to_string(size) + " bytes): truncated or lying sizes");
    if (m.method == 0 && m.compressed_size != m.uncompressed_size)
      throw InputError(where + ": stored, but its sizes differ (" +
                       std::to_string(m.compressed_size) + " vs " +
                       std::to_string(m.uncompressed_size) + " bytes)");
    if (m.method == 8 && m.uncompressed_size / kMaxDeflateRatio > m.compressed_size + 16)
      throw InputError(where + ": " + std::to_string(m.uncompressed_size) +
                       " uncompressed bytes cannot come from " + std::to_string(m.compressed_size) +
                       " deflated bytes (deflate expands at most 1032:1): lying sizes");
    index_.emplace(m.name, members_.size());
    members_.push_back(std::move(m));
    rc = unzGoToNextFile(zf);
  }
  if (rc != UNZ_END_OF_LIST_OF_FILE)
    throw InputError(label_ + ": zip central directory unreadable after " +
                     std::to_string(members_.size()) + " members (truncated or corrupt archive)");
}

std::ptrdiff_t ZipArchive::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

std::vector<std::size_t> ZipArchive::find_top_level(const std::string& leaf) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const std::string& n = members_[i].name;
    const auto slash = n.find('/');
    if (n == leaf ||
        (slash != std::string::npos && n.compare(slash + 1, std::string::npos, leaf) == 0))
      out.push_back(i);
  }
  return out;
}

void ZipArchive::fail_member(std::size_t i, const std::string& what) const {
  const std::string& n = members_.at(i).name;
  throw InputError(label_ + ": member '" + excerpt(n.data(), n.size(), 80) + "': " + what);
}

const char* ZipArchive::stored_data(std::size_t i) const {
  const ZipMember& m = members_.at(i);
  if (m.method != 0)
    fail_member(i, "is " + method_name(m.method) + ", expected stored (uncompressed)");
  return bytes_.data + m.data_offset;
}

std::string ZipArchive::read(std::size_t i) const {
  return inflate(i, static_cast<std::size_t>(members_.at(i).uncompressed_size), true);
}

std::string ZipArchive::read_prefix(std::size_t i, std::size_t n) const {
  const ZipMember& m = members_.at(i);
  return inflate(i, static_cast<std::size_t>(std::min<std::uint64_t>(n, m.uncompressed_size)),
                 false);
}

std::string ZipArchive::inflate(std::size_t i, std::size_t n, bool whole) const {
  const ZipMember& m = members_.at(i);
  if (m.uncompressed_size > std::numeric_limits<std::size_t>::max() / 2)
    fail_member(i, "too large");
  const char* src = bytes_.data + m.data_offset;
  std::string out;
  if (m.method == 0) {
    out.assign(src, n);
  } else if (m.method == 8) {
    // The buffer grows with what is inflated: a lying size costs no more than the output.
    out.resize(static_cast<std::size_t>(
        std::min<std::uint64_t>(n, std::max<std::uint64_t>(4 * m.compressed_size, 1u << 16))));
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw std::runtime_error("zlib: inflateInit2");
    struct End {
      z_stream* zs;
      ~End() { inflateEnd(zs); }
    } end{&zs};
    // zlib's counters are 32-bit: fed and drained in chunks. With `whole`, one more byte is
    // asked for once n are out: the stream must end exactly at the declared size.
    std::uint64_t in_left = m.compressed_size;
    const auto* in = reinterpret_cast<const Bytef*>(src);
    std::size_t produced = 0;
    unsigned char probe[1];
    int rc = Z_OK;
    for (;;) {
      if (zs.avail_in == 0 && in_left > 0) {
        zs.next_in = const_cast<Bytef*>(in);
        zs.avail_in = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1u << 30));
        in += zs.avail_in;
        in_left -= zs.avail_in;
      }
      const bool probing = produced == n;
      if (probing && !whole) break;
      if (probing) {
        zs.next_out = probe;
        zs.avail_out = 1;
      } else {
        if (produced == out.size()) out.resize(std::min(n, 2 * out.size()));
        zs.next_out = reinterpret_cast<Bytef*>(&out[produced]);
        zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
      }
      const uInt before = zs.avail_out;
      rc = ::inflate(&zs, Z_NO_FLUSH);
      const uInt made = before - zs.avail_out;
      if (probing && made > 0)
        fail_member(
            i, "inflates to more than its declared " + std::to_string(n) + " bytes (lying size)");
      if (!probing) produced += made;
      if (rc == Z_STREAM_END) break;
      if (rc == Z_OK) continue;
      if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) break;  // input used up
      if (rc == Z_BUF_ERROR && zs.avail_in == 0) continue;               // refilled above
      fail_member(i,
                  std::string("corrupt deflate data (") + (zs.msg ? zs.msg : "zlib error") + ")");
    }
    if (produced < n)
      fail_member(i, "inflates to " + std::to_string(produced) + " bytes, its header says " +
                         std::to_string(m.uncompressed_size) + " (truncated or lying size)");
    if (whole && rc != Z_STREAM_END)
      fail_member(i, "deflate stream does not end after its " + std::to_string(n) +
                         " declared bytes (truncated or corrupt)");
  } else {
    fail_member(i, "is compressed with " + method_name(m.method) +
                       " (sih reads stored and deflated members)");
  }
  if (whole) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (std::size_t off = 0; off < out.size(); off += 1u << 30) {
      const auto len = static_cast<uInt>(std::min<std::size_t>(out.size() - off, 1u << 30));
      crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + off), len);
    }
    if (static_cast<std::uint32_t>(crc) != m.crc)
      fail_member(i, "CRC-32 mismatch (corrupt archive)");
  }
  return out;
}

}  // namespace sih::formats_detail
