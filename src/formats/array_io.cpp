#include "sih/formats/array_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "file_bytes.hpp"
#include "sih/formats/npy.hpp"

namespace sih {
namespace {

using RowMajorD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

[[noreturn]] void Fail(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

bool EndsWithNoCase(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    const char a = s[s.size() - n + i];
    const char lower = (a >= 'A' && a <= 'Z') ? static_cast<char>(a - 'A' + 'a') : a;
    if (lower != suffix[i]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// CSV

bool IsCellSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

MatD ParseCsv(const std::string& path, const std::string& text) {
  const char* p = text.c_str();
  const char* end = p + text.size();
  // Spreadsheet programs like to prepend a UTF-8 byte order mark.
  if (text.size() >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
  // Trailing blank lines (and a final CRLF) are an artefact of editors, not missing rows.
  while (end > p && (IsCellSpace(end[-1]) || end[-1] == '\n')) --end;
  if (p == end) Fail(path, "file is empty");

  const size_t n_lines = static_cast<size_t>(std::count(p, end, '\n')) + 1;
  std::vector<double> values;
  size_t cols = 0;
  size_t line_no = 0;
  while (p < end) {
    ++line_no;
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    const char* q = p;
    while (q < line_end && IsCellSpace(*q)) ++q;
    if (q == line_end) {
      Fail(path, "line " + std::to_string(line_no) +
                     " is empty (blank lines are only allowed at the end of the file)");
    }

    size_t col = 0;
    const char* cell = p;
    for (;;) {
      const char* comma =
          static_cast<const char*>(std::memchr(cell, ',', static_cast<size_t>(line_end - cell)));
      const char* cell_end = comma ? comma : line_end;
      ++col;
      const char* s = cell;
      const char* e = cell_end;
      while (s < e && IsCellSpace(*s)) ++s;
      while (e > s && IsCellSpace(e[-1])) --e;
      // Built only on error: a std::string per cell would dominate the parse time.
      auto where = [&] {
        return "line " + std::to_string(line_no) + ", column " + std::to_string(col);
      };
      if (s == e) Fail(path, where() + ": empty value");
      // from_chars is about twice as fast as strtod and locale-independent; both round
      // correctly, so they agree wherever from_chars succeeds. strtod settles the rest
      // (leading '+', hex floats, underflow to zero, garbage) with its usual semantics.
      double v;
      bool overflow = false;
      const auto fast = std::from_chars(s, e, v);
      if (fast.ec != std::errc() || fast.ptr != e) {
        // strtod cannot run past the cell: no number syntax contains ',', '\n' or blanks, and
        // the buffer is NUL-terminated. Leading blanks were trimmed, so it skips none.
        char* parsed_end = nullptr;
        errno = 0;
        v = std::strtod(s, &parsed_end);
        overflow = errno == ERANGE;
        if (parsed_end != e) {
          Fail(path, where() + ": '" + formats_detail::excerpt(s, e - s) + "' is not a number");
        }
      }
      if (!std::isfinite(v)) {
        if (overflow) {
          Fail(path, where() + ": '" + formats_detail::excerpt(s, e - s) +
                         "' is out of range for float64");
        }
        Fail(path, "NaN/Inf value at " + where() + " (inputs must be finite)");
      }
      values.push_back(v);
      if (!comma) break;
      cell = comma + 1;
    }

    if (line_no == 1) {
      cols = col;
      // Bounded by the file size (a value takes at least 2 bytes with its separator), so a
      // short file with a wide first row cannot make this reserve absurdly large.
      const size_t by_shape = n_lines <= SIZE_MAX / cols ? n_lines * cols : SIZE_MAX;
      values.reserve(std::min(by_shape, text.size() / 2 + 1));
    } else if (col != cols) {
      Fail(path, "line " + std::to_string(line_no) + " has " + std::to_string(col) +
                     (col == 1 ? " value" : " values") + ", expected " + std::to_string(cols) +
                     " (rows must have the same length)");
    }
    p = nl ? nl + 1 : end;
  }

  const auto rows = static_cast<Eigen::Index>(line_no);
  return Eigen::Map<const RowMajorD>(values.data(), rows, static_cast<Eigen::Index>(cols));
}

// ---------------------------------------------------------------------------------------------
// NPY

MatD ParseNpy(const std::string& path, const std::string& bytes) {
  const NpyLayout l = parse_npy_header(bytes.data(), bytes.size(), path);
  if (l.count == 0) Fail(path, "array is empty (shape " + npy_shape_text(l.shape) + ")");
  const std::vector<double> values = read_npy_values(bytes.data(), l, path);
  const auto rows = static_cast<Eigen::Index>(l.shape[0]);
  const auto cols = static_cast<Eigen::Index>(l.shape.size() == 2 ? l.shape[1] : 1);
  return Eigen::Map<const RowMajorD>(values.data(), rows, cols);
}

// Upper bound of one to_chars %g value: sign, 17 digits, point, "e-308".
constexpr int kMaxDigits = 17;
constexpr size_t kMaxValueChars = 1 + kMaxDigits + 1 + 5;

}  // namespace

MatD read_array(const std::string& path) {
  const bool csv = EndsWithNoCase(path, ".csv");
  if (!csv && !EndsWithNoCase(path, ".npy")) {
    Fail(path, "unsupported array file extension (use .csv or .npy)");
  }
  const std::string bytes = formats_detail::read_file_bytes(path);
  return csv ? ParseCsv(path, bytes) : ParseNpy(path, bytes);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](int err, std::FILE* f) {
    if (f) std::fclose(f);
    std::remove(tmp.c_str());
    throw OutputError(path + ": write failed: " + std::strerror(err));
  };

  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(errno, nullptr);
  if (!content.empty() && std::fwrite(content.data(), 1, content.size(), f) != content.size()) {
    fail(errno ? errno : EIO, f);
  }
  if (std::fflush(f) != 0) fail(errno, f);
  // Without fsync a crash after rename could leave an empty file under the final name.
  if (::fsync(fileno(f)) != 0) fail(errno, f);
  // fclose can report a deferred write error (e.g. NFS), so it is checked like the rest.
  const int close_rc = std::fclose(f);
  if (close_rc != 0) fail(errno, nullptr);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(errno, nullptr);
}

std::string to_csv(const MatD& m, int digits) {
  if (digits < 1 || digits > kMaxDigits) {
    throw std::invalid_argument("to_csv: digits must be in 1..17, got " + std::to_string(digits));
  }
  // to_chars with a precision is specified as printf("%.*g") in the C locale, and is several
  // times faster than snprintf. Row-major copy: the output walks rows.
  const RowMajorD rm = m;
  const size_t rows = static_cast<size_t>(rm.rows()), cols = static_cast<size_t>(rm.cols());
  if (rows == 0 || cols == 0) return {};
  std::string out(rows * (cols * (kMaxValueChars + 1) + 1), '\0');
  char* w = out.data();
  char* const limit = out.data() + out.size();
  const double* v = rm.data();
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (j) *w++ = ',';
      w = std::to_chars(w, limit, *v++, std::chars_format::general, digits).ptr;
    }
    *w++ = '\n';
  }
  out.resize(static_cast<size_t>(w - out.data()));
  return out;
}

void write_csv(const std::string& path, const MatD& m) { write_file_atomic(path, to_csv(m)); }

template <typename T>
void write_npy(const std::string& path, const Mat<T>& m, bool as_vector) {
  write_file_atomic(path, to_npy<T>(m, as_vector));
}

template void write_npy<float>(const std::string&, const Mat<float>&, bool);
template void write_npy<double>(const std::string&, const Mat<double>&, bool);

}  // namespace sih
