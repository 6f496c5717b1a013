#pragma once
// Basic numeric types shared by every module. Matrices are Eigen's default column-major;
// in the formulas a sample is a row (X is n x d, W is h x d).
#include <Eigen/Dense>
#include <stdexcept>
#include <string>

namespace sih {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
using MatD = Mat<double>;
using VecD = Vec<double>;

enum class Precision { kFloat32, kFloat64 };

// Bad user input (config, CLI arguments, input files): the CLI prints what() on one line
// and exits with status 2. The message names the key/file, the value and the rule.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Results could not be written (disk full, I/O error): the CLI prints what() on one line and
// exits with status 1 (not bad input: the same command works once there is space). No file
// is left half-written under its final name.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run interrupted by SIGINT/SIGTERM: the CLI exits 128 + signal.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int sig) : std::runtime_error("interrupted"), signal(sig) {}
  int signal;
};

}  // namespace sih
