#include "sih/experiments/init_from.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "sih/base/text.hpp"
#include "sih/config/config_fields.hpp"
#include "sih/formats/array_io.hpp"

namespace sih {

namespace {

// Finds `<dir>/<name>.npy` or `<dir>/<name>.csv`.
std::string find_array(const std::string& dir, const std::string& name, bool required) {
  for (const char* ext : {".npy", ".csv"}) {
    const std::string path = (std::filesystem::path(dir) / (name + ext)).string();
    if (std::filesystem::exists(path)) return path;
  }
  if (required)
    throw InputError(
        fmt::format("init_from: {}: no {}.npy or {}.csv in this folder", dir, name, name));
  return {};
}

template <typename T>
Mat<T> load_checked(const std::string& dir, const std::string& name, long rows, long cols,
                    const char* shape_name) {
  const std::string path = find_array(dir, name, true);
  MatD m = read_array(path);
  if (m.rows() != rows || m.cols() != cols) {
    throw InputError(fmt::format("init_from: {}: shape {}, expected {} = {}", path,
                                 sih::shape_text(m.rows(), m.cols()), shape_name,
                                 sih::shape_text(rows, cols)));
  }
  // A double that float32 cannot hold would become Inf and fail deep inside LAPACK.
  Mat<T> out = m.cast<T>();
  if (!out.allFinite() || !std::isfinite(out.squaredNorm()))
    throw InputError(
        fmt::format("init_from: {}: values too large for {} (largest |x| = {:g}; "
                    "the sum of squares must stay below {:g})",
                    path, sizeof(T) == 4 ? "float32" : "float64", m.cwiseAbs().maxCoeff(),
                    double(std::numeric_limits<T>::max())));
  return out;
}

}  // namespace

std::vector<std::string> init_from_arrays(const Config& c) {
  std::vector<std::string> names = {"beta", "W0", "a0"};
  if (c.bias) names.emplace_back("b0");
  names.insert(names.end(), {"X_train", "y_train"});
  if (c.fix_last_layer) names.insert(names.end(), {"X_probe", "y_probe"});
  names.insert(names.end(), {"X_test", "y_test"});
  return names;
}

std::string init_from_hash(const Config& c) {
  if (c.init_from.empty()) return {};
  const std::string& dir = c.init_from;
  if (!std::filesystem::is_directory(dir))
    throw InputError(fmt::format("init_from: {}: not a folder", dir));
  StableHash hash;
  std::vector<char> buffer(std::size_t{1} << 20);
  for (const std::string& name : init_from_arrays(c)) {
    const std::string path = find_array(dir, name, true);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw InputError(fmt::format("init_from: {}: not a regular file", path));
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw InputError(fmt::format("init_from: {}: cannot read: {}", path, std::strerror(errno)));
    // The file's name is hashed with its bytes: beta.npy and beta.csv holding the same bytes
    // are different inputs, and the size marks where one file ends and the next begins.
    const auto size = std::filesystem::file_size(path, ec);
    hash.update(
        fmt::format("{}:{}:", std::filesystem::path(path).filename().string(), ec ? 0 : size));
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      hash.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad())
      throw InputError(fmt::format("init_from: {}: cannot read: {}", path, std::strerror(errno)));
  }
  return hash.hex();
}

// Reads the arrays init_from_arrays names: keep the two in step (the run id hashes that list).
template <typename T>
Problem<T> load_problem(const std::string& dir, const Config& c) {
  if (!std::filesystem::is_directory(dir))
    throw InputError(fmt::format("init_from: {}: not a folder", dir));
  Problem<T> p;
  p.beta = load_checked<T>(dir, "beta", c.d, 1, "d x 1");
  p.W0 = load_checked<T>(dir, "W0", c.h, c.d, "h x d");
  p.a0 = load_checked<T>(dir, "a0", c.h, 1, "h x 1");
  if (c.bias) p.b0 = load_checked<T>(dir, "b0", c.h, 1, "h x 1");
  p.train.X = load_checked<T>(dir, "X_train", c.n, c.d, "n x d");
  p.train.y = load_checked<T>(dir, "y_train", c.n, 1, "n x 1");
  if (c.fix_last_layer) {
    p.probe.X = load_checked<T>(dir, "X_probe", c.n, c.d, "n x d");
    p.probe.y = load_checked<T>(dir, "y_probe", c.n, 1, "n x 1");
  }
  p.test.X = load_checked<T>(dir, "X_test", c.n_test, c.d, "n_test x d");
  p.test.y = load_checked<T>(dir, "y_test", c.n_test, 1, "n_test x 1");
  return p;
}

template Problem<float> load_problem<float>(const std::string&, const Config&);
template Problem<double> load_problem<double>(const std::string&, const Config&);

}  // namespace sih
