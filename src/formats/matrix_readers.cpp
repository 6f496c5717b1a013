#include "sih/formats/matrix_readers.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "file_bytes.hpp"
#include "sih/base/text.hpp"

namespace sih {

namespace {

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw InputError(label + ": " + what);
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

Tensor read_npy_tensor(const std::string& path) {
  const std::string bytes = formats_detail::read_file_bytes(path);
  const NpyLayout l = parse_npy_header(bytes.data(), bytes.size(), path);
  Tensor t;
  t.shape = l.shape;
  t.dtype = l.dtype;
  t.data = read_npy_values(bytes.data(), l, path);
  return t;
}

std::vector<Tensor> parse_safetensors(const std::string& bytes, const std::string& label,
                                      std::vector<std::string>* skipped) {
  if (bytes.size() < 8)
    fail(label, "truncated: " + std::to_string(bytes.size()) +
                    " bytes, a safetensors file starts with an 8-byte header length");
  std::uint64_t hlen;  // little-endian, as the host (npy.cpp checks the host order)
  std::memcpy(&hlen, bytes.data(), sizeof hlen);
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
    t.data = decode_floats(bytes.data() + data_start + b, count, t.dtype, false);
    require_finite(t.data, t.shape, where);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Tensor> read_safetensors(const std::string& path, std::vector<std::string>* skipped) {
  return parse_safetensors(formats_detail::read_file_bytes(path), path, skipped);
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
