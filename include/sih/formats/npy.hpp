#pragma once
// The NumPy .npy format, read and written in one place: `read_array` (array_io.hpp) and
// `sih analyze` (matrix_readers.hpp, and its memory-mapped fast path) parse the header and
// decode the data with these functions, so every reader accepts the same files and words the
// same error the same way. Accepted: version 1.0-3.0 headers, dtype float16/32/64 in either
// byte order ('<', '>' or '='), C or Fortran order, 1-D or 2-D. Written: version 1.0,
// little-endian, C order, float32 or float64, data aligned to 64 bytes as numpy does.
#include <cstdint>
#include <string>
#include <vector>

#include "sih/base/types.hpp"

namespace sih {

// What an .npy header says, validated against the file size (the data is not truncated), so a
// header declaring a huge shape costs nothing. A shape with a zero dimension is accepted here;
// callers that need values reject it.
struct NpyLayout {
  std::vector<std::int64_t> shape;
  std::string dtype;  // float16, float32, float64
  std::size_t item = 0;
  bool big_endian = false, fortran = false;
  std::size_t data_offset = 0;  // bytes from the start of the file
  std::size_t count = 0;        // prod(shape)
};

// Throws InputError "<path>: <problem>" (one line) for anything but the files above.
NpyLayout parse_npy_header(const char* bytes, std::size_t size, const std::string& path);

// The l.count values of the file (`bytes` as passed to parse_npy_header) in C (row-major)
// order as doubles. Throws InputError for the first NaN/Inf value, naming its flat index
// (and, in a matrix, its row and column).
std::vector<double> read_npy_values(const char* bytes, const NpyLayout& l, const std::string& path);

// half and bfloat16 bit patterns to double (exact).
double half_to_double(std::uint16_t h);
double bfloat16_to_double(std::uint16_t b);

// `count` values of dtype float16, bfloat16, float32 or float64 stored at p (any alignment),
// as doubles in storage order. No finiteness check: see require_finite.
std::vector<double> decode_floats(const char* p, std::size_t count, const std::string& dtype,
                                  bool big_endian);

// Throws InputError "<label>: NaN entry at flat index k, row r, column c (values must be
// finite)" (row and column for a 2-D shape only) for the first non-finite value of a C-order
// array of `shape`.
void require_finite(const std::vector<double>& values, const std::vector<std::int64_t>& shape,
                    const std::string& label);

// A shape as an .npy header writes it: "(2, 3)", "(10,)".
std::string npy_shape_text(const std::vector<std::int64_t>& shape);

// .npy bytes (little-endian, C order) of a matrix (2-D) or, when as_vector, of a 1-D array.
template <typename T>
std::string to_npy(const Mat<T>& m, bool as_vector = false);

}  // namespace sih
