#include "sih/formats/matrix_readers.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "sih/base/text.hpp"

namespace sih {

namespace {

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw InputError(label + ": " + what);
}

// The whole file in one read into a buffer of its size (no stream copies: a 768 x 3072
// float32 matrix is 9.4 MB).
std::string read_file_bytes(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long size = std::ftell(f);
    if (size > 0) bytes.reserve(static_cast<std::size_t>(size));
    std::rewind(f);
  }
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, got);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) fail(path, "read error");
  return bytes;
}

std::uint16_t load_u16(const char* p, bool big) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return big ? static_cast<std::uint16_t>(b[0] << 8 | b[1])
             : static_cast<std::uint16_t>(b[1] << 8 | b[0]);
}

template <typename U>
U load_le(const char* p, bool big) {
  U v = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    const std::size_t k = big ? i : sizeof(U) - 1 - i;
    v = static_cast<U>(v << 8 | b[k]);
  }
  return v;
}

// Decodes `count` items of `dtype` into doubles and rejects NaN/Inf (first offending index).
// The dtype is dispatched once, outside the loop (2.4M items of a 768 x 3072 matrix).
template <typename Load>
void decode_with(const char* p, std::size_t count, std::vector<double>& out,
                 const std::string& label, Load load) {
  // reserve + push_back: no zero fill of a buffer about to be overwritten
  out.clear();
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(load(p, i));
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::isfinite(out[i]))
      fail(label, std::string(std::isnan(out[i]) ? "NaN" : "infinite") + " entry at flat index " +
                      std::to_string(i) + " (weights must be finite)");
  }
}

void decode(const char* p, std::size_t count, const std::string& dtype, bool big,
            std::vector<double>& out, const std::string& label) {
  if (dtype == "float16") {
    decode_with(p, count, out, label, [big](const char* q, std::size_t i) {
      return half_to_double(load_u16(q + 2 * i, big));
    });
  } else if (dtype == "bfloat16") {
    decode_with(p, count, out, label, [big](const char* q, std::size_t i) {
      return bfloat16_to_double(load_u16(q + 2 * i, big));
    });
  } else if (dtype == "float32") {
    decode_with(p, count, out, label, [big](const char* q, std::size_t i) {
      std::uint32_t u;
      if (big) {
        u = load_le<std::uint32_t>(q + 4 * i, true);
      } else {
        std::memcpy(&u, q + 4 * i, 4);
      }
      float f;
      std::memcpy(&f, &u, 4);
      return static_cast<double>(f);
    });
  } else {
    decode_with(p, count, out, label, [big](const char* q, std::size_t i) {
      std::uint64_t u;
      if (big) {
        u = load_le<std::uint64_t>(q + 8 * i, true);
      } else {
        std::memcpy(&u, q + 8 * i, 8);
      }
      double v;
      std::memcpy(&v, &u, 8);
      return v;
    });
  }
}

std::size_t checked_count(const std::vector<std::int64_t>& shape, const std::string& label) {
  std::size_t n = 1;
  for (std::int64_t s : shape) {
    if (s < 0) fail(label, "negative dimension " + std::to_string(s));
    if (s != 0 && n > std::numeric_limits<std::size_t>::max() / 16 / static_cast<std::size_t>(s))
      fail(label, "shape too large");
    n *= static_cast<std::size_t>(s);
  }
  return n;
}

}  // namespace

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

NpyLayout parse_npy_header(const char* bytes, std::size_t size, const std::string& path) {
  if (size < 6 || std::memcmp(bytes, "\x93NUMPY", 6) != 0)
    fail(path, "not a NumPy .npy file (bad magic)");
  if (size < 10) fail(path, "truncated: file ends inside the .npy preamble");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t hlen, hstart;
  if (major == 1) {
    hlen = load_le<std::uint16_t>(bytes + 8, false);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(path, "truncated: file ends inside the .npy preamble");
    hlen = load_le<std::uint32_t>(bytes + 8, false);
    hstart = 12;
  } else {
    fail(path, "unsupported .npy version " + std::to_string(major));
  }
  if (hlen > size - hstart) fail(path, "truncated: file ends inside the .npy header");
  const std::string header(bytes + hstart, hlen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    fail(path, "malformed .npy header: no 'descr'");
  const std::string descr = m[1];
  if (!std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")))
    fail(path, "malformed .npy header: no 'fortran_order'");
  NpyLayout l;
  l.fortran = m[1] == "True";
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    fail(path, "malformed .npy header: no 'shape'");
  {
    std::string dims = m[1];
    std::stringstream ss(dims);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \tL") + 1);
      if (item.empty()) continue;
      if (item.find_first_not_of("0123456789") != std::string::npos)
        fail(path, "malformed .npy header: shape entry '" + item + "'");
      l.shape.push_back(std::stoll(item));
    }
  }
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '>' && descr[0] != '=') ||
      descr[1] != 'f' || (descr[2] != '2' && descr[2] != '4' && descr[2] != '8'))
    fail(path, "unsupported dtype '" + descr + "' (analyze reads float16, float32, float64)");
  l.big_endian = descr[0] == '>';
  l.item = static_cast<std::size_t>(descr[2] - '0');
  l.dtype = l.item == 2 ? "float16" : l.item == 4 ? "float32" : "float64";
  if (l.shape.empty() || l.shape.size() > 2)
    fail(path, "shape " + shape_text(l.shape) + ": analyze reads 1-D or 2-D .npy arrays");
  const std::size_t count = checked_count(l.shape, path);
  l.data_offset = hstart + hlen;
  if (size - l.data_offset < count * l.item)
    fail(path, "truncated: shape " + shape_text(l.shape) + " needs " +
                   std::to_string(count * l.item) + " data bytes, the file has " +
                   std::to_string(size - l.data_offset));
  return l;
}

Tensor read_npy_tensor(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  const NpyLayout l = parse_npy_header(bytes.data(), bytes.size(), path);
  Tensor t;
  t.shape = l.shape;
  t.dtype = l.dtype;
  const std::size_t count = checked_count(t.shape, path);
  std::vector<double> flat;
  decode(bytes.data() + l.data_offset, count, t.dtype, l.big_endian, flat, path);
  if (l.fortran && t.shape.size() == 2) {
    const auto R = static_cast<std::size_t>(t.shape[0]), C = static_cast<std::size_t>(t.shape[1]);
    t.data.resize(count);
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t c = 0; c < C; ++c) t.data[r * C + c] = flat[c * R + r];
  } else {
    t.data = std::move(flat);
  }
  return t;
}

std::vector<Tensor> parse_safetensors(const std::string& bytes, const std::string& label,
                                      std::vector<std::string>* skipped) {
  if (bytes.size() < 8)
    fail(label, "truncated: " + std::to_string(bytes.size()) +
                    " bytes, a safetensors file starts with an 8-byte header length");
  const std::uint64_t hlen = load_le<std::uint64_t>(bytes.data(), false);
  if (hlen > bytes.size() - 8)
    fail(label, "header length " + std::to_string(hlen) + " exceeds the file (" +
                    std::to_string(bytes.size()) + " bytes): truncated or not safetensors");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(hlen));
  } catch (const nlohmann::json::exception& e) {
    fail(label, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(label, "header is not a JSON object");
  const std::size_t data_start = 8 + hlen;
  const std::size_t data_len = bytes.size() - data_start;
  std::vector<Tensor> out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = label + ": tensor '" + name + "'";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets"))
      fail(where, "header entry needs dtype, shape and data_offsets");
    const auto& jd = info["dtype"];
    const auto& js = info["shape"];
    const auto& jo = info["data_offsets"];
    if (!jd.is_string() || !js.is_array() || !jo.is_array() || jo.size() != 2 ||
        !jo[0].is_number_unsigned() || !jo[1].is_number_unsigned())
      fail(where, "malformed header entry " + info.dump());
    std::vector<std::int64_t> shape;
    for (const auto& s : js) {
      if (!s.is_number_unsigned()) fail(where, "shape entry " + s.dump() + " is not a size");
      shape.push_back(s.get<std::int64_t>());
    }
    const std::string dt = jd.get<std::string>();
    static const std::pair<const char*, int> kKnown[] = {
        {"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1},
        {"I16", 2},  {"U16", 2}, {"I32", 4},  {"U32", 4},     {"I64", 8},
        {"U64", 8},  {"F16", 2}, {"BF16", 2}, {"F32", 4},     {"F64", 8}};
    int item = 0;
    for (const auto& [k, sz] : kKnown)
      if (dt == k) item = sz;
    if (item == 0) fail(where, "unknown dtype '" + dt + "'");
    const std::size_t count = checked_count(shape, where);
    const auto b = jo[0].get<std::uint64_t>(), e = jo[1].get<std::uint64_t>();
    if (e < b || e > data_len)
      fail(where, "data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                      "] outside the data buffer (" + std::to_string(data_len) +
                      " bytes): header lies or file is truncated");
    if (e - b != count * static_cast<std::size_t>(item))
      fail(where, "data_offsets span " + std::to_string(e - b) + " bytes but dtype " + dt +
                      " x shape " + shape_text(shape) + " needs " +
                      std::to_string(count * static_cast<std::size_t>(item)));
    const bool floating = dt == "F16" || dt == "BF16" || dt == "F32" || dt == "F64";
    if (shape.size() < 2) continue;
    if (!floating) {
      if (skipped) skipped->push_back(name + ": dtype " + dt + " is not floating point");
      continue;
    }
    Tensor t;
    t.name = name;
    t.shape = shape;
    t.dtype = dt == "F16"    ? "float16"
              : dt == "BF16" ? "bfloat16"
              : dt == "F32"  ? "float32"
                             : "float64";
    decode(bytes.data() + data_start + b, count, t.dtype, false, t.data, where);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Tensor> read_safetensors(const std::string& path, std::vector<std::string>* skipped) {
  return parse_safetensors(read_file_bytes(path), path, skipped);
}

WeightMatrices weight_matrices(const Tensor& t) {
  WeightMatrices w;
  const auto& s = t.shape;
  auto row_major = [](const double* p, Eigen::Index r, Eigen::Index c) {
    return MatD(
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            p, r, c));
  };
  if (s.size() == 4) {
    const Eigen::Index a = s[0], b = s[1], i = s[2], j = s[3];
    const bool torch_layout = a + b >= i + j;  // weightwatcher's channel detection
    const Eigen::Index rows = torch_layout ? a : i, cols = torch_layout ? b : j;
    const Eigen::Index ni = torch_layout ? i : a, nj = torch_layout ? j : b;
    const double norm = std::sqrt(1.0 / 2.0);  // conv2d_norm with conv2d_count = 1
    for (Eigen::Index p = 0; p < ni; ++p)
      for (Eigen::Index q = 0; q < nj; ++q) {
        MatD m(rows, cols);
        for (Eigen::Index r = 0; r < rows; ++r)
          for (Eigen::Index c = 0; c < cols; ++c) {
            // torch: W[r, c, p, q]; keras-like: W[p, q, r, c]
            const std::size_t k = torch_layout
                                      ? static_cast<std::size_t>(((r * b + c) * i + p) * j + q)
                                      : static_cast<std::size_t>(((p * b + q) * i + r) * j + c);
            m(r, c) = t.data[k];
          }
        // weightwatcher multiplies the float32 slice by the float64 scalar under numpy's
        // value-based casting: a float32 product. For sources of <= 32 bits sih does the same
        // (so the ESD matches to rounding); float64 sources keep double.
        if (t.dtype == "float64") {
          w.slices.push_back(m * norm);
        } else {
          const float nf = static_cast<float>(norm);
          w.slices.push_back(m.unaryExpr(
              [nf](double v) { return static_cast<double>(static_cast<float>(v) * nf); }));
        }
      }
    w.N = static_cast<double>(std::max(rows, cols));
    w.M = static_cast<double>(std::min(rows, cols));
    w.rf = static_cast<long>(ni * nj);
    return w;
  }
  Eigen::Index r = 0, c = 0;
  if (s.size() == 1) {
    r = s[0];
    c = 1;
  } else {
    r = s[0];
    c = 1;
    for (std::size_t k = 1; k < s.size(); ++k) c *= s[k];
    w.reshaped = s.size() != 2;
  }
  w.slices.push_back(row_major(t.data.data(), r, c));
  w.N = static_cast<double>(std::max(r, c));
  w.M = static_cast<double>(std::min(r, c));
  return w;
}

}  // namespace sih
