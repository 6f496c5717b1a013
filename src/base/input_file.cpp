#include "sih/base/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sih/base/types.hpp"

namespace sih {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

[[noreturn]] void refuse(const std::string& path, const std::string& what,
                         const std::string& kind) {
  throw InputError(what + path + ": not a regular file (" + kind + ")");
}

}  // namespace

std::string non_regular_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return kind_of(st.st_mode);
}

void require_regular_file(const std::string& path, const std::string& what) {
  const std::string kind = non_regular_kind(path);
  if (!kind.empty()) refuse(path, what, kind);
}

int open_regular_file(const std::string& path, const std::string& what) {
  // O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a writer; it changes
  // nothing for a regular file, which is all that gets past the fstat below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  const std::string kind = kind_of(st.st_mode);
  if (!kind.empty()) {
    ::close(fd);
    refuse(path, what, kind);
  }
  return fd;
}

}  // namespace sih
