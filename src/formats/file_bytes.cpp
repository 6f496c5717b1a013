#include "file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

#include "sih/base/input_file.hpp"
#include "sih/base/types.hpp"
#include "sih/formats/mapped_file.hpp"

namespace sih::formats_detail {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      fail(path, "cannot open: Is a directory");
  }
  const int fd = open_regular_file(path);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, std::string("cannot stat: ") + std::strerror(errno));

  // One spare byte lets the loop see EOF without growing the buffer, and keeps the data
  // NUL-terminated for strtod. A file that grows while read: grow as needed.
  std::string buf;
  buf.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : size_t{1} << 16);
  size_t len = 0;
  for (;;) {
    if (len == buf.size()) buf.resize(buf.size() * 2);
    const ssize_t n = ::read(fd, &buf[len], buf.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, std::string("cannot read: ") + std::strerror(errno));
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  buf.resize(len);
  return buf;
}

std::string excerpt(const char* p, std::size_t n, std::size_t max_chars) {
  std::string out;
  const size_t shown = std::min(n, max_chars);
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (n > shown) out += "...";
  return out;
}

std::size_t checked_element_count(const std::vector<std::int64_t>& shape,
                                  const std::string& label) {
  std::size_t n = 1;
  for (std::int64_t s : shape) {
    if (s < 0) fail(label, "negative dimension " + std::to_string(s));
    if (s != 0 && n > std::numeric_limits<std::size_t>::max() / 16 / static_cast<std::size_t>(s))
      fail(label, "shape too large");
    n *= static_cast<std::size_t>(s);
  }
  return n;
}

ByteView map_file_bytes(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail(path, std::string("cannot open: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "cannot open: Is a directory");
  if (st.st_size == 0) fail(path, "empty file");
  auto mapped = std::make_shared<MappedFile>(path);
  if (!mapped->ok()) fail(path, std::string("cannot map: ") + std::strerror(errno));
  ByteView v;
  v.data = mapped->data();
  v.size = mapped->size();
  v.owner = std::move(mapped);
  v.mapped = true;
  return v;
}

void release_pages(const ByteView& view, const char* p, std::size_t n) {
  if (!view.mapped || n == 0) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  // Whole pages inside the range only: a page shared with the next tensor stays.
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + n) / page * page;
  if (end > begin)
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // advice only
}

ByteView hold_bytes(std::string bytes) {
  auto held = std::make_shared<std::string>(std::move(bytes));
  ByteView v;
  v.data = held->data();
  v.size = held->size();
  v.owner = std::move(held);
  return v;
}

}  // namespace sih::formats_detail
