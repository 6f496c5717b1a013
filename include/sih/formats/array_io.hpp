#pragma once
// Reading and writing numeric arrays: CSV (comma-separated, one matrix row per line;
// vectors one value per line) and NumPy .npy (what npy.hpp reads: float16/32/64 in either
// byte order, C or Fortran order, 1-D or 2-D). Every file is written whole: to a temporary
// file in the same folder, then renamed, so an interrupted program never leaves a truncated
// file under the final name.
#include <string>
#include <vector>

#include "sih/base/types.hpp"
#include "sih/formats/npy.hpp"

namespace sih {

// Reads a 1-D or 2-D array from `path` (.csv or .npy, chosen by extension). A vector comes
// back as an N x 1 matrix. Throws InputError naming the file and what is wrong (missing,
// unreadable, empty, ragged rows, non-numeric or NaN/Inf cell with its line and column,
// truncated .npy, unsupported dtype).
MatD read_array(const std::string& path);

// Writes `content` to `path` atomically (temp file + fsync + rename). Throws OutputError
// (a std::runtime_error) with the path and errno text on failure (disk full, not writable),
// removing the temp file.
void write_file_atomic(const std::string& path, const std::string& content);

// CSV text of a matrix (a vector is an N x 1 matrix: one value per line), each value with
// `digits` significant digits (17 round-trips a double, 9 a float).
std::string to_csv(const MatD& m, int digits = 17);

void write_csv(const std::string& path, const MatD& m);
template <typename T>
void write_npy(const std::string& path, const Mat<T>& m, bool as_vector = false);

}  // namespace sih
