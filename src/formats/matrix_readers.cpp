#include "sih/formats/matrix_readers.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "file_bytes.hpp"
#include "sih/base/text.hpp"

namespace sih {

Tensor read_npy_tensor(const std::string& path) {
  const std::string bytes = formats_detail::read_file_bytes(path);
  const NpyLayout l = parse_npy_header(bytes.data(), bytes.size(), path);
  Tensor t;
  t.shape = l.shape;
  t.dtype = l.dtype;
  t.data = read_npy_values(bytes.data(), l, path);
  return t;
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
