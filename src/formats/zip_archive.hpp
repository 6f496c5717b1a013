#pragma once
// A zip archive read from a mapped file (PyTorch checkpoints, .npz): minizip (Debian's
// libminizip, zlib's contrib/minizip) reads the central directory, Zip64 included, and each
// member's local header; zlib inflates deflated members. Stored members are never copied: their
// bytes are a range of the mapping. Not part of the public headers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "file_bytes.hpp"

namespace sih::formats_detail {

struct ZipMember {
  std::string name;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  int method = 0;                 // 0 stored, 8 deflated (others are listed, refused on read)
  std::uint32_t crc = 0;          // CRC-32 of the uncompressed bytes, as the archive says
  std::uint64_t data_offset = 0;  // where the member's (compressed) bytes start in the file
};

// Every member is checked on construction: the archive reads (truncated files and garbage are
// refused), no member is encrypted, no name repeats, each member's bytes lie inside the file,
// a stored member's two sizes agree and a deflated member's uncompressed size is one deflate
// can reach from its compressed size (at most 1032:1), so a read never allocates from a size
// the file cannot back. Throws InputError "<label>: ..." (one line; "member '<name>'" when one
// member is at fault).
class ZipArchive {
 public:
  ZipArchive(ByteView bytes, std::string label);

  const std::vector<ZipMember>& members() const { return members_; }
  // Index of the member named `name`, or -1.
  std::ptrdiff_t find(const std::string& name) const;
  // The members named `leaf` at the root or in a top-level folder ("data.pkl" finds torch's
  // "<archive>/data.pkl"), in archive order.
  std::vector<std::size_t> find_top_level(const std::string& leaf) const;

  // A stored member's bytes inside the mapping (no copy). Throws InputError when the member is
  // compressed.
  const char* stored_data(std::size_t i) const;
  // The member's whole content, uncompressed, checked against its size and CRC-32. Stored or
  // deflated; other methods throw InputError naming the method.
  std::string read(std::size_t i) const;
  // At most the first `n` bytes of the member, uncompressed (for a header). No CRC check.
  std::string read_prefix(std::size_t i, std::size_t n) const;

  const ByteView& bytes() const { return bytes_; }
  const std::string& label() const { return label_; }

 private:
  std::string inflate(std::size_t i, std::size_t n, bool whole) const;
  [[noreturn]] void fail_member(std::size_t i, const std::string& what) const;

  ByteView bytes_;
  std::string label_;
  std::vector<ZipMember> members_;
  std::unordered_map<std::string, std::size_t> index_;
};

// True when `head` (the file's first bytes) starts a zip archive: a local file header, or the
// end-of-central-directory record of an empty archive.
bool looks_like_zip(const char* head, std::size_t n);

}  // namespace sih::formats_detail
