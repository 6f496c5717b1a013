#pragma once
// Helpers the readers of the formats layer share (not part of the public headers).
#include <cstddef>
#include <string>

namespace sih::formats_detail {

// The whole file, read at once into a buffer of its size. Throws InputError "<path>: cannot
// open: <errno text>" (also for a folder), "cannot stat" or "cannot read".
std::string read_file_bytes(const std::string& path);

// File content for an error message: messages stay one line and short even when the file is
// binary garbage or has a megabyte-long cell, so non-printable bytes are escaped and the text
// is cut after max_chars.
std::string excerpt(const char* p, std::size_t n, std::size_t max_chars = 40);

}  // namespace sih::formats_detail
