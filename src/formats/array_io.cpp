#include "sih/formats/array_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

// .npy data is little-endian and is copied byte for byte into host floats.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "array_io.cpp assumes a little-endian host"
#endif

namespace sih {
namespace {

using RowMajorD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

[[noreturn]] void Fail(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

// Messages must stay on one line and readable even when the file is binary garbage or has a
// megabyte-long cell, so excerpts of file content are escaped and shortened.
std::string Excerpt(const char* p, size_t n, size_t max_chars = 40) {
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

std::string ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) Fail(path, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) Fail(path, "cannot open: Is a directory");

  // One spare byte for regular files lets the loop see EOF without growing the buffer, and
  // keeps the data NUL-terminated for strtod. Pipes and devices report no size: grow as needed.
  std::string buf;
  buf.resize(S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1
                                                   : size_t{1} << 16);
  size_t len = 0;
  for (;;) {
    if (len == buf.size()) buf.resize(buf.size() * 2);
    const ssize_t n = ::read(fd, &buf[len], buf.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail(path, std::string("cannot read: ") + std::strerror(errno));
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  buf.resize(len);
  return buf;
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
          Fail(path, where() + ": '" + Excerpt(s, e - s) + "' is not a number");
        }
      }
      if (!std::isfinite(v)) {
        if (overflow) {
          Fail(path, where() + ": '" + Excerpt(s, e - s) + "' is out of range for float64");
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

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
};

std::string ShapeText(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// The header is a Python dict literal as written by numpy.lib.format; only the subset numpy
// produces (quoted strings, True/False, tuples of integers) is accepted.
class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& path, const char* p, const char* end)
      : path_(path), p_(p), end_(end) {}

  NpyHeader Parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    SkipSpace();
    Expect('{', "the header to start with '{'");
    for (;;) {
      SkipSpace();
      if (Peek() == '}') break;
      const std::string key = ParseString("a quoted key");
      SkipSpace();
      Expect(':', "':' after key '" + Excerpt(key.data(), key.size()) + "'");
      SkipSpace();
      if (key == "descr") {
        if (Peek() != '\'' && Peek() != '"') {
          Fail(path_,
               "unsupported dtype (structured or non-string 'descr'; use float32 or "
               "float64)");
        }
        h.descr = ParseString("a dtype string");
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = ParseBool();
        have_order = true;
      } else if (key == "shape") {
        h.shape = ParseShape();
        have_shape = true;
      } else {
        Malformed("unexpected key '" + Excerpt(key.data(), key.size()) + "'");
      }
      SkipSpace();
      if (Peek() == ',') {
        ++p_;
        continue;
      }
      SkipSpace();
      if (Peek() != '}')
        Malformed("expected ',' or '}' after the value of '" + Excerpt(key.data(), key.size()) +
                  "'");
    }
    if (!have_descr) Malformed("no 'descr' key");
    if (!have_order) Malformed("no 'fortran_order' key");
    if (!have_shape) Malformed("no 'shape' key");
    return h;
  }

 private:
  [[noreturn]] void Malformed(const std::string& what) {
    Fail(path_, "malformed .npy header: " + what);
  }
  char Peek() const { return p_ < end_ ? *p_ : '\0'; }
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  void Expect(char c, const std::string& what) {
    if (Peek() != c) Malformed("expected " + what);
    ++p_;
  }
  std::string ParseString(const char* what) {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Malformed(std::string("expected ") + what);
    const char* start = ++p_;
    while (p_ < end_ && *p_ != quote) ++p_;
    if (p_ == end_) Malformed("unterminated string");
    return std::string(start, p_++);
  }
  bool ParseBool() {
    const size_t left = static_cast<size_t>(end_ - p_);
    if (left >= 4 && std::memcmp(p_, "True", 4) == 0) {
      p_ += 4;
      return true;
    }
    if (left >= 5 && std::memcmp(p_, "False", 5) == 0) {
      p_ += 5;
      return false;
    }
    Malformed("'fortran_order' must be True or False");
  }
  std::vector<uint64_t> ParseShape() {
    std::vector<uint64_t> shape;
    Expect('(', "'shape' to be a tuple");
    for (;;) {
      SkipSpace();
      if (Peek() == ')') break;
      if (Peek() < '0' || Peek() > '9') Malformed("'shape' must hold non-negative integers");
      uint64_t v = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        const uint64_t digit = static_cast<uint64_t>(*p_ - '0');
        if (v > (UINT64_MAX - digit) / 10) Malformed("dimension in 'shape' is too large");
        v = v * 10 + digit;
        ++p_;
      }
      if (Peek() == 'L') ++p_;  // Python 2 wrote longs as 3L
      // A parse of a long tuple of dimensions is bounded by the header size, so no cap needed.
      shape.push_back(v);
      SkipSpace();
      if (Peek() == ',') {
        ++p_;
        continue;
      }
      SkipSpace();
      if (Peek() != ')') Malformed("expected ',' or ')' in 'shape'");
    }
    ++p_;
    return shape;
  }

  const std::string& path_;
  const char* p_;
  const char* end_;
};

uint32_t ReadLe(const unsigned char* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

template <typename T>
MatD NpyData(const std::string& path, const char* data, size_t rows, size_t cols, bool fortran) {
  const size_t count = rows * cols;
  // memcpy into an aligned buffer: the data offset need not be a multiple of sizeof(T).
  std::vector<T> tmp(count);
  std::memcpy(tmp.data(), data, count * sizeof(T));
  for (size_t k = 0; k < count; ++k) {
    if (!std::isfinite(tmp[k])) {
      const size_t r = fortran ? k % rows : k / cols;
      const size_t c = fortran ? k / rows : k % cols;
      Fail(path, "NaN/Inf value at row " + std::to_string(r + 1) + ", column " +
                     std::to_string(c + 1) + " (inputs must be finite)");
    }
  }
  const auto R = static_cast<Eigen::Index>(rows);
  const auto C = static_cast<Eigen::Index>(cols);
  if (fortran) return Eigen::Map<const Mat<T>>(tmp.data(), R, C).template cast<double>();
  using RowMajorT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajorT>(tmp.data(), R, C).template cast<double>();
}

MatD ParseNpy(const std::string& path, const std::string& bytes) {
  static const char kMagic[] = "\x93NUMPY";
  const size_t n = bytes.size();
  if (n == 0) Fail(path, "file is empty");
  if (std::memcmp(bytes.data(), kMagic, std::min<size_t>(n, 6)) != 0) {
    Fail(path, "not a NumPy file (bad magic)");
  }
  if (n < 10) Fail(path, "truncated: file ends inside the .npy preamble");
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const int major = u[6], minor = u[7];
  size_t header_start;
  size_t header_len;
  if (major == 1) {
    header_start = 10;
    header_len = ReadLe(u + 8, 2);
  } else if (major == 2 || major == 3) {
    if (n < 12) Fail(path, "truncated: file ends inside the .npy preamble");
    header_start = 12;
    header_len = ReadLe(u + 8, 4);
  } else {
    Fail(path, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  }
  if (header_len > n - header_start) {
    Fail(path, "truncated: header length " + std::to_string(header_len) + " exceeds file size " +
                   std::to_string(n));
  }
  const char* hp = bytes.data() + header_start;
  const NpyHeader h = NpyHeaderParser(path, hp, hp + header_len).Parse();

  size_t itemsize;
  const char* type_name;
  if (h.descr == "<f8") {
    itemsize = 8;
    type_name = "float64";
  } else if (h.descr == "<f4") {
    itemsize = 4;
    type_name = "float32";
  } else if (h.descr == ">f8" || h.descr == ">f4") {
    Fail(path,
         "unsupported dtype '" + h.descr + "' (big-endian; use little-endian float32 or float64)");
  } else {
    Fail(path, "unsupported dtype '" + Excerpt(h.descr.data(), h.descr.size()) +
                   "' (use float32 or float64)");
  }

  if (h.shape.empty()) Fail(path, "0-D (scalar) array not supported (expected 1-D or 2-D)");
  if (h.shape.size() > 2) {
    std::string shape = ShapeText(h.shape);
    Fail(path, std::to_string(h.shape.size()) + "-D array of shape " +
                   Excerpt(shape.data(), shape.size(), 80) +
                   " not supported (expected 1-D or 2-D)");
  }
  const uint64_t rows = h.shape[0];
  const uint64_t cols = h.shape.size() == 2 ? h.shape[1] : 1;
  const std::string dims = h.shape.size() == 2 ? std::to_string(rows) + "x" + std::to_string(cols)
                                               : std::to_string(rows);
  uint64_t count = 0, data_bytes = 0;
  // Everything below is validated against the real file size before any allocation, so a
  // header declaring a huge shape costs nothing.
  if (__builtin_mul_overflow(rows, cols, &count) ||
      __builtin_mul_overflow(count, uint64_t{itemsize}, &data_bytes) ||
      count > static_cast<uint64_t>(PTRDIFF_MAX) / 8) {
    Fail(path, "header says " + dims + " " + type_name + ", which is too large");
  }
  const size_t available = n - header_start - header_len;
  if (data_bytes > available) {
    Fail(path, "truncated: header says " + dims + " " + type_name + " (" +
                   std::to_string(data_bytes) + " bytes of data), file has " +
                   std::to_string(available));
  }
  if (count == 0) Fail(path, "array is empty (shape " + ShapeText(h.shape) + ")");

  const char* data = hp + header_len;
  return itemsize == 8 ? NpyData<double>(path, data, rows, cols, h.fortran_order)
                       : NpyData<float>(path, data, rows, cols, h.fortran_order);
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
  const std::string bytes = ReadWholeFile(path);
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

template <typename T>
std::string to_npy(const Mat<T>& m, bool as_vector) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  if (as_vector && m.cols() != 1 && m.rows() != 1) {
    throw std::invalid_argument("to_npy: as_vector needs a single row or column, got " +
                                std::to_string(m.rows()) + "x" + std::to_string(m.cols()));
  }
  const char* descr = std::is_same_v<T, double> ? "<f8" : "<f4";
  const std::string shape =
      as_vector ? "(" + std::to_string(m.size()) + ",)"
                : "(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")";
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy pads so that the data starts at a multiple of 64 bytes (magic 6 + version 2 +
  // length 2 + dict + newline), which lets it memory-map the data aligned.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';

  const size_t data_bytes = static_cast<size_t>(m.size()) * sizeof(T);
  std::string out;
  out.reserve(10 + dict.size() + data_bytes);
  out.append("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  const size_t data_at = out.size();
  out.resize(data_at + data_bytes);
  if (data_bytes == 0) return out;
  if (as_vector) {
    // A single row or column is contiguous in column-major storage too.
    std::memcpy(&out[data_at], m.data(), data_bytes);
  } else {
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = m;
    std::memcpy(&out[data_at], rm.data(), data_bytes);
  }
  return out;
}

void write_csv(const std::string& path, const MatD& m) { write_file_atomic(path, to_csv(m)); }

template <typename T>
void write_npy(const std::string& path, const Mat<T>& m, bool as_vector) {
  write_file_atomic(path, to_npy<T>(m, as_vector));
}

template std::string to_npy<float>(const Mat<float>&, bool);
template std::string to_npy<double>(const Mat<double>&, bool);
template void write_npy<float>(const std::string&, const Mat<float>&, bool);
template void write_npy<double>(const std::string&, const Mat<double>&, bool);

}  // namespace sih
