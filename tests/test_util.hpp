#pragma once
// Shared helpers of the test suite: fixture paths, temp folders, tolerant comparisons that
// print expected vs actual.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#ifndef SIH_REFERENCE_DIR
#define SIH_REFERENCE_DIR "/work/shared/reference"
#endif

namespace sih::test {

inline std::string ref(const std::string& rel) { return std::string(SIH_REFERENCE_DIR) + "/" + rel; }

// A fresh temporary folder removed at scope exit.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sih-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// |actual - expected| <= rel * max(|expected|, floor)
inline ::testing::AssertionResult near_rel(double expected, double actual, double rel,
                                           double floor = 1e-300) {
  const double err = std::abs(actual - expected);
  const double scale = std::max(std::abs(expected), floor);
  if (err <= rel * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << std::setprecision(17) << expected << ", actual " << actual
         << ", relative error " << err / scale << " > tolerance " << rel;
}

}  // namespace sih::test
