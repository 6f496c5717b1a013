#include "sih/formats/npy.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "file_bytes.hpp"
#include "sih/base/text.hpp"

// The writer copies host floats byte for byte into little-endian data, and '=' (native order)
// in a header is read as little-endian.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.cpp assumes a little-endian host"
#endif

namespace sih {
namespace {

using formats_detail::excerpt;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

// The header as numpy writes it: (2, 3, 4), and (10,) for one dimension.
template <typename Int>
std::string tuple_text(const std::vector<Int>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

struct NpyDict {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};

// The header is a Python dict literal as written by numpy.lib.format; only the subset numpy
// produces (quoted strings, True/False, tuples of integers) is accepted.
class NpyDictParser {
 public:
  NpyDictParser(const std::string& path, const char* p, const char* end)
      : path_(path), p_(p), end_(end) {}

  NpyDict Parse() {
    NpyDict h;
    bool have_descr = false, have_order = false, have_shape = false;
    SkipSpace();
    Expect('{', "the header to start with '{'");
    for (;;) {
      SkipSpace();
      if (Peek() == '}') break;
      const std::string key = ParseString("a quoted key");
      SkipSpace();
      Expect(':', "':' after key '" + excerpt(key.data(), key.size()) + "'");
      SkipSpace();
      if (key == "descr") {
        if (Peek() != '\'' && Peek() != '"') {
          fail(path_,
               "unsupported dtype (structured or non-string 'descr'; use float16, float32 or "
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
        Malformed("unexpected key '" + excerpt(key.data(), key.size()) + "'");
      }
      SkipSpace();
      if (Peek() == ',') {
        ++p_;
        continue;
      }
      SkipSpace();
      if (Peek() != '}')
        Malformed("expected ',' or '}' after the value of '" + excerpt(key.data(), key.size()) +
                  "'");
    }
    if (!have_descr) Malformed("no 'descr' key");
    if (!have_order) Malformed("no 'fortran_order' key");
    if (!have_shape) Malformed("no 'shape' key");
    return h;
  }

 private:
  [[noreturn]] void Malformed(const std::string& what) {
    fail(path_, "malformed .npy header: " + what);
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
  std::vector<std::uint64_t> ParseShape() {
    std::vector<std::uint64_t> shape;
    Expect('(', "'shape' to be a tuple");
    for (;;) {
      SkipSpace();
      if (Peek() == ')') break;
      if (Peek() < '0' || Peek() > '9') Malformed("'shape' must hold non-negative integers");
      std::uint64_t v = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        const auto digit = static_cast<std::uint64_t>(*p_ - '0');
        if (v > (UINT64_MAX - digit) / 10) Malformed("dimension in 'shape' is too large");
        v = v * 10 + digit;
        ++p_;
      }
      if (Peek() == 'L') ++p_;  // Python 2 wrote longs as 3L
      // A long tuple of dimensions is bounded by the header size, so no cap needed.
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

// The dtype is dispatched once, outside the loop (2.4M items of a 768 x 3072 matrix).
template <typename Load>
std::vector<double> decode_with(const char* p, std::size_t count, Load load_one) {
  // reserve + push_back: no zero fill of a buffer about to be overwritten
  std::vector<double> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(load_one(p, i));
  return out;
}

template <typename F, typename U>
double load_float(const char* q, bool big) {
  U u;
  if (big) {
    u = formats_detail::load_uint<U>(q, true);
  } else {
    std::memcpy(&u, q, sizeof u);
  }
  F f;
  std::memcpy(&f, &u, sizeof f);
  return static_cast<double>(f);
}

}  // namespace

std::string npy_shape_text(const std::vector<std::int64_t>& shape) { return tuple_text(shape); }

double half_to_double(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = std::ldexp(mant, -24);  // subnormal
  else if (exp == 31)
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(mant + 1024, exp - 25);
  return sign ? -v : v;
}

double bfloat16_to_double(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::vector<double> decode_floats(const char* p, std::size_t count, const std::string& dtype,
                                  bool big) {
  if (dtype == "float16")
    return decode_with(p, count, [big](const char* q, std::size_t i) {
      return half_to_double(formats_detail::load_uint<std::uint16_t>(q + 2 * i, big));
    });
  if (dtype == "bfloat16")
    return decode_with(p, count, [big](const char* q, std::size_t i) {
      return bfloat16_to_double(formats_detail::load_uint<std::uint16_t>(q + 2 * i, big));
    });
  if (dtype == "float32")
    return decode_with(p, count, [big](const char* q, std::size_t i) {
      return load_float<float, std::uint32_t>(q + 4 * i, big);
    });
  if (dtype == "float64")
    return decode_with(p, count, [big](const char* q, std::size_t i) {
      return load_float<double, std::uint64_t>(q + 8 * i, big);
    });
  throw std::invalid_argument("decode_floats: unknown dtype '" + dtype + "'");
}

void require_finite(const std::vector<double>& values, const std::vector<std::int64_t>& shape,
                    const std::string& label) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (std::isfinite(values[k])) continue;
    std::string where = "flat index " + std::to_string(k);
    if (shape.size() == 2 && shape[1] > 0) {
      const auto cols = static_cast<std::size_t>(shape[1]);
      where += ", row " + std::to_string(k / cols + 1) + ", column " + std::to_string(k % cols + 1);
    }
    fail(label, std::string(std::isnan(values[k]) ? "NaN" : "infinite") + " entry at " + where +
                    " (values must be finite)");
  }
}

NpyLayout parse_npy_header(const char* bytes, std::size_t n, const std::string& path) {
  static const char kMagic[] = "\x93NUMPY";
  if (n == 0) fail(path, "file is empty");
  if (std::memcmp(bytes, kMagic, std::min<size_t>(n, 6)) != 0) {
    fail(path, "not a NumPy file (bad magic)");
  }
  if (n < 10) fail(path, "truncated: file ends inside the .npy preamble");
  const auto* u = reinterpret_cast<const unsigned char*>(bytes);
  const int major = u[6], minor = u[7];
  size_t header_start;
  size_t header_len;
  if (major == 1) {
    header_start = 10;
    header_len = formats_detail::load_uint<std::uint16_t>(u + 8, false);
  } else if (major == 2 || major == 3) {
    if (n < 12) fail(path, "truncated: file ends inside the .npy preamble");
    header_start = 12;
    header_len = formats_detail::load_uint<std::uint32_t>(u + 8, false);
  } else {
    fail(path, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  }
  if (header_len > n - header_start) {
    fail(path, "truncated: header length " + std::to_string(header_len) + " exceeds file size " +
                   std::to_string(n));
  }
  const char* hp = bytes + header_start;
  const NpyDict h = NpyDictParser(path, hp, hp + header_len).Parse();

  NpyLayout l;
  const std::string& d = h.descr;
  // '=' is the host order, and this code runs on little-endian hosts only (x86-64, arm64).
  if (d.size() != 3 || (d[0] != '<' && d[0] != '>' && d[0] != '=') || d[1] != 'f' ||
      (d[2] != '2' && d[2] != '4' && d[2] != '8')) {
    fail(path, "unsupported dtype '" + excerpt(d.data(), d.size()) +
                   "' (use float16, float32 or float64)");
  }
  l.big_endian = d[0] == '>';
  l.item = static_cast<std::size_t>(d[2] - '0');
  l.dtype = l.item == 2 ? "float16" : l.item == 4 ? "float32" : "float64";
  l.fortran = h.fortran_order;

  if (h.shape.empty()) fail(path, "0-D (scalar) array not supported (expected 1-D or 2-D)");
  if (h.shape.size() > 2) {
    const std::string shape = tuple_text(h.shape);
    fail(path, std::to_string(h.shape.size()) + "-D array of shape " +
                   excerpt(shape.data(), shape.size(), 80) +
                   " not supported (expected 1-D or 2-D)");
  }
  // Everything below is validated against the real file size before any allocation.
  std::uint64_t count = 1, data_bytes = 0;
  bool too_large = false;
  for (const std::uint64_t dim : h.shape) {
    too_large = too_large || dim > static_cast<std::uint64_t>(PTRDIFF_MAX) ||
                __builtin_mul_overflow(count, dim, &count);
  }
  too_large = too_large || __builtin_mul_overflow(count, std::uint64_t{l.item}, &data_bytes) ||
              count > static_cast<std::uint64_t>(PTRDIFF_MAX) / 8;
  if (too_large) {
    fail(path, "header says " + shape_text(h.shape) + " " + l.dtype + ", which is too large");
  }
  const size_t available = n - header_start - header_len;
  if (data_bytes > available) {
    fail(path, "truncated: header says " + shape_text(h.shape) + " " + l.dtype + " (" +
                   std::to_string(data_bytes) + " bytes of data), file has " +
                   std::to_string(available));
  }
  for (const std::uint64_t dim : h.shape) l.shape.push_back(static_cast<std::int64_t>(dim));
  l.count = static_cast<std::size_t>(count);
  l.data_offset = header_start + header_len;
  return l;
}

std::vector<double> read_npy_values(const char* bytes, const NpyLayout& l,
                                    const std::string& path) {
  std::vector<double> v = decode_floats(bytes + l.data_offset, l.count, l.dtype, l.big_endian);
  if (l.fortran && l.shape.size() == 2) {
    const auto rows = static_cast<std::size_t>(l.shape[0]);
    const auto cols = static_cast<std::size_t>(l.shape[1]);
    std::vector<double> c_order(v.size());
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) c_order[r * cols + c] = v[c * rows + r];
    v = std::move(c_order);
  }
  require_finite(v, l.shape, path);
  return v;
}

template <typename T>
std::string to_npy(const Mat<T>& m, bool as_vector) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  if (as_vector && m.cols() != 1 && m.rows() != 1) {
    throw std::invalid_argument("to_npy: as_vector needs a single row or column, got " +
                                shape_text(m.rows(), m.cols()));
  }
  const char* descr = std::is_same_v<T, double> ? "<f8" : "<f4";
  const std::string shape = as_vector ? tuple_text(std::vector<std::int64_t>{m.size()})
                                      : tuple_text(std::vector<std::int64_t>{m.rows(), m.cols()});
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

template std::string to_npy<float>(const Mat<float>&, bool);
template std::string to_npy<double>(const Mat<double>&, bool);

}  // namespace sih
