#pragma once
// Inputs must be regular files: opening a FIFO for reading blocks until some writer appears,
// and a device (/dev/zero, /dev/urandom) never ends. Each reader checks before it opens.
#include <string>

namespace sih {

// "" when `path` is a regular file or does not exist (the caller reports the absence in its
// own words); otherwise what it is instead ("a FIFO", "a character device", "a folder", ...).
// Follows symbolic links; never opens the file, so a FIFO cannot block it.
std::string non_regular_kind(const std::string& path);

// Throws InputError "<what><path>: not a regular file (a FIFO)" when non_regular_kind is not "".
// `what` prefixes the message (e.g. "init_from: ").
void require_regular_file(const std::string& path, const std::string& what = "");

// Opens `path` read-only without blocking on a FIFO and returns the descriptor once fstat has
// shown a regular file; -1 with errno set when it cannot be opened. Throws InputError as
// require_regular_file when it is something else (the descriptor is closed).
int open_regular_file(const std::string& path, const std::string& what = "");

}  // namespace sih
