#include "sih/experiments/init_from.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <utility>

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

namespace {

// The arrays a run reads from init_from, in reading order, with the shape each must have: the
// one list behind both the loading and the run id's hash of the files.
struct InitArray {
  const char* name;
  long rows, cols;
  const char* shape;
};

std::vector<InitArray> init_arrays(const Config& c) {
  std::vector<InitArray> a = {
      {"beta", c.d, 1, "d x 1"}, {"W0", c.h, c.d, "h x d"}, {"a0", c.h, 1, "h x 1"}};
  if (c.bias) a.push_back({"b0", c.h, 1, "h x 1"});
  a.push_back({"X_train", c.n, c.d, "n x d"});
  a.push_back({"y_train", c.n, 1, "n x 1"});
  if (c.fix_last_layer) {
    a.push_back({"X_probe", c.n, c.d, "n x d"});
    a.push_back({"y_probe", c.n, 1, "n x 1"});
  }
  a.push_back({"X_test", c.n_test, c.d, "n_test x d"});
  a.push_back({"y_test", c.n_test, 1, "n_test x 1"});
  return a;
}

}  // namespace

std::vector<std::string> init_from_arrays(const Config& c) {
  std::vector<std::string> names;
  for (const InitArray& a : init_arrays(c)) names.emplace_back(a.name);
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

template <typename T>
Problem<T> load_problem(const std::string& dir, const Config& c) {
  if (!std::filesystem::is_directory(dir))
    throw InputError(fmt::format("init_from: {}: not a folder", dir));
  std::map<std::string, Mat<T>> read;
  for (const InitArray& a : init_arrays(c))
    read[a.name] = load_checked<T>(dir, a.name, a.rows, a.cols, a.shape);
  Problem<T> p;
  p.beta = read["beta"];
  p.W0 = std::move(read["W0"]);
  p.a0 = read["a0"];
  if (c.bias) p.b0 = read["b0"];
  p.train.X = std::move(read["X_train"]);
  p.train.y = read["y_train"];
  if (c.fix_last_layer) {
    p.probe.X = std::move(read["X_probe"]);
    p.probe.y = read["y_probe"];
  }
  p.test.X = std::move(read["X_test"]);
  p.test.y = read["y_test"];
  return p;
}

template Problem<float> load_problem<float>(const std::string&, const Config&);
template Problem<double> load_problem<double>(const std::string&, const Config&);

}  // namespace sih
