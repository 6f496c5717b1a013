#pragma once
// Helpers the readers of the formats layer share (not part of the public headers).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sih::formats_detail {

// An unsigned integer of sizeof(U) bytes at p (any alignment), in either byte order: the
// readers' one decoder of stored integers and float bit patterns.
template <typename U>
U load_uint(const void* p, bool big_endian) {
  U v = 0;
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    const std::size_t k = big_endian ? i : sizeof(U) - 1 - i;
    v = static_cast<U>(v << 8 | b[k]);
  }
  return v;
}

// The whole file, read at once into a buffer of its size. Throws InputError "<path>: cannot
// open: <errno text>" (also for a folder), "cannot stat" or "cannot read".
std::string read_file_bytes(const std::string& path);

// File content for an error message: messages stay one line and short even when the file is
// binary garbage or has a megabyte-long cell, so non-printable bytes are escaped and the text
// is cut after max_chars.
std::string excerpt(const char* p, std::size_t n, std::size_t max_chars = 40);

// prod(shape) with every dimension checked: throws InputError "<label>: negative dimension"
// or "<label>: shape too large" (the count times 16 bytes must fit in size_t).
std::size_t checked_element_count(const std::vector<std::int64_t>& shape, const std::string& label);

// A file's bytes, mapped (or, for tests, held in memory), shared by a reader and the tensors
// it has not decoded yet. Mapping keeps a checkpoint larger than memory readable: only the
// pages of the tensor being decoded are resident.
struct ByteView {
  std::shared_ptr<const void> owner;  // keeps the mapping or the string alive
  const char* data = nullptr;
  std::size_t size = 0;
  bool mapped = false;
};

// Maps `path` read-only. Throws InputError "<path>: cannot open: ..." or "<path>: empty file".
ByteView map_file_bytes(const std::string& path);

// Tells the kernel the mapped pages of [p, p + n) are done with, once a tensor is decoded: they
// leave the process's resident set (they stay in the page cache), so reading a checkpoint
// larger than memory does not grow the resident set to the checkpoint's size. No-op for
// bytes held in memory.
void release_pages(const ByteView& view, const char* p, std::size_t n);

// Holds `bytes` (moved) as a ByteView.
ByteView hold_bytes(std::string bytes);

}  // namespace sih::formats_detail
