#pragma once
// Shared helpers of the test suite: fixture paths, temp folders, tolerant comparisons that
// print expected vs actual.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sih/commands/cli.hpp"
#include "sih/config/config_input.hpp"
#include "sih/core/data.hpp"
#include "sih/experiments/run.hpp"
#include "sih/formats/array_io.hpp"

#ifndef SIH_REFERENCE_DIR
#error "SIH_REFERENCE_DIR (tests/data/reference in the source tree) is set by CMakeLists.txt"
#endif

namespace sih::test {

// The fixtures of tests/data/reference. SIH_REFERENCE_DIR in the environment overrides the
// compiled-in path: tests/standalone/check.sh points it into a fresh clone to prove that the
// committed fixtures are complete.
inline std::string reference_dir() {
  const char* dir = std::getenv("SIH_REFERENCE_DIR");
  return dir && *dir ? dir : SIH_REFERENCE_DIR;
}
inline std::string ref(const std::string& rel) { return reference_dir() + "/" + rel; }

// A weightwatcher fixture of tests/data/ww/ (scripts/reference/*.py wrote them).
inline std::string ww_fixture(const std::string& name) {
  return std::string(SIH_SOURCE_DIR) + "/tests/data/ww/" + name;
}

// A JSON file, parsed; throws naming the file when it cannot be opened.
inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

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

// A CSV file with a header line, cells as text (empty cell = not computed).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // The cell of row r in column `col`; a missing column is a test failure.
  std::string at(std::size_t r, const std::string& col) const {
    const auto it = std::find(header.begin(), header.end(), col);
    EXPECT_NE(it, header.end()) << "no column " << col;
    if (it == header.end()) return "?";
    return rows.at(r).at(static_cast<std::size_t>(it - header.begin()));
  }
};

inline Csv read_csv(const std::string& path) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (;;) {
      const auto k = s.find(',', pos);
      out.push_back(s.substr(pos, k == std::string::npos ? std::string::npos : k - pos));
      if (k == std::string::npos) return out;
      pos = k + 1;
    }
  };
  Csv c;
  std::stringstream ss(read_text(path));
  std::string line;
  std::getline(ss, line);
  c.header = split(line);
  while (std::getline(ss, line))
    if (!line.empty()) c.rows.push_back(split(line));
  return c;
}

// Writes `p` as an init_from folder of CSV files (W0 replaced by `W0` when given).
inline void write_init_folder(const std::string& dir, const Problem<double>& p,
                              const MatD* W0 = nullptr) {
  std::filesystem::create_directories(dir);
  write_csv(dir + "/beta.csv", p.beta);
  write_csv(dir + "/W0.csv", W0 ? *W0 : p.W0);
  write_csv(dir + "/a0.csv", p.a0);
  write_csv(dir + "/X_train.csv", p.train.X);
  write_csv(dir + "/y_train.csv", p.train.y);
  write_csv(dir + "/X_probe.csv", p.probe.X);
  write_csv(dir + "/y_probe.csv", p.probe.y);
  write_csv(dir + "/X_test.csv", p.test.X);
  write_csv(dir + "/y_test.csv", p.test.y);
}

// One quiet run of a YAML config written in the test, with `out_dir` and `--set`-style
// overrides.
inline RunOutcome run_from_yaml(const std::string& yaml, const std::string& out_dir,
                                const std::vector<std::string>& sets = {}) {
  YAML::Node root = load_yaml_string(yaml, "test");
  apply_override(root, "out_dir=" + out_dir);
  for (const auto& s : sets) apply_override(root, s);
  RunRequest req;
  req.config = config_from_yaml(root);
  req.quiet = true;
  req.progress = false;
  return run_experiment(req);
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

// The smallest config the command-line tests run (a second or less per run); tests append keys.
inline constexpr const char* kTinyConfig =
    "n: 40\n"
    "d: 8\n"
    "h: 12\n"
    "n_test: 10\n"
    "num_epochs: 1\n"
    "probe_freq_steps: 1\n"
    "lightweight: true\n"
    "precision: float64\n";

// One command line run in-process through sih::run_cli.
struct CliResult {
  int status = -1;
  std::string out, err;
  // The output folder: the last line of stdout.
  std::string dir() const {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    const auto nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  }
};

inline CliResult cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  CliResult r;
  r.status = run_cli(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace sih::test
