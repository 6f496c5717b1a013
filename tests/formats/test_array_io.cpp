#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sih/formats/array_io.hpp"
#include "sih/formats/matrix_readers.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

std::string Fmt17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Bitwise comparison (0.0 vs -0.0 and exact last bits matter for a lossless round trip), with
// the first few differences spelled out.
::testing::AssertionResult SameMatrix(const MatD& expected, const MatD& actual) {
  if (expected.rows() != actual.rows() || expected.cols() != actual.cols()) {
    return ::testing::AssertionFailure()
           << "shape: expected " << expected.rows() << "x" << expected.cols() << ", actual "
           << actual.rows() << "x" << actual.cols();
  }
  std::ostringstream diffs;
  int n_diff = 0;
  for (Eigen::Index j = 0; j < expected.cols(); ++j) {
    for (Eigen::Index i = 0; i < expected.rows(); ++i) {
      const double e = expected(i, j), a = actual(i, j);
      if (std::memcmp(&e, &a, sizeof e) != 0) {
        if (n_diff < 5) {
          diffs << " (" << i << "," << j << "): expected " << Fmt17(e) << ", actual " << Fmt17(a)
                << ";";
        }
        ++n_diff;
      }
    }
  }
  if (n_diff == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << n_diff << " values differ:" << diffs.str();
}

MatD Tricky(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> expo(-300, 300);
  MatD m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) {
    m.data()[k] = normal(gen) * std::pow(10.0, k % 3 == 0 ? expo(gen) : 0);
  }
  // Values whose shortest decimal forms are long or unusual.
  const double specials[] = {0.1,
                             -0.0,
                             1.0 / 3.0,
                             5e-324,
                             2.2250738585072014e-308,
                             1.7976931348623157e308,
                             -123456789.125,
                             1e21,
                             1e-7};
  for (size_t k = 0; k < std::size(specials) && k < static_cast<size_t>(m.size()); ++k) {
    m.data()[k] = specials[k];
  }
  return m;
}

Mat<float> TrickyFloat(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> expo(-30, 30);
  Mat<float> m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) {
    m.data()[k] = normal(gen) * std::pow(10.0f, static_cast<float>(k % 3 == 0 ? expo(gen) : 0));
  }
  const float specials[] = {0.1f, -0.0f, 1.0f / 3.0f, 1.4e-45f, std::numeric_limits<float>::max()};
  for (size_t k = 0; k < std::size(specials) && k < static_cast<size_t>(m.size()); ++k) {
    m.data()[k] = specials[k];
  }
  return m;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A hand-made .npy file, so the reader is tested on layouts our writer never produces.
std::string MakeNpy(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const size_t preamble = major == 1 ? 10 : 12;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const size_t len = header.size();
  const int len_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

bool HaveNumpy() {
  if (::access(kPython, X_OK) != 0) return false;
  return std::system((std::string(kPython) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
}

int RunPython(const std::string& script) {
  const std::string cmd = std::string(kPython) + " -c \"" + script + "\"";
  return std::system(cmd.c_str());
}

class ArrayIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sih_array_io_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string p = Path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::vector<std::string> DirEntries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

// ----------------------------------------------------------------------------------- CSV

TEST_F(ArrayIoTest, CsvRoundTripDoubleMatrixIsExact) {
  const MatD m = Tricky(13, 7, 1);
  write_csv(Path("m.csv"), m);
  EXPECT_TRUE(SameMatrix(m, read_array(Path("m.csv"))));
}

TEST_F(ArrayIoTest, CsvRoundTripVectorIsOneValuePerLine) {
  const MatD v = Tricky(20, 1, 2);
  write_csv(Path("v.csv"), v);
  const std::string text = ReadText(Path("v.csv"));
  EXPECT_EQ(text.find(','), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 20);
  EXPECT_TRUE(SameMatrix(v, read_array(Path("v.csv"))));
}

TEST_F(ArrayIoTest, CsvRoundTripFloatWith9Digits) {
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> u(-1e4f, 1e4f);
  Mat<float> f = TrickyFloat(9, 4, 3);
  for (Eigen::Index k = 5; k < f.size(); k += 2) f.data()[k] = u(gen) / 7.0f;
  write_file_atomic(Path("f.csv"), to_csv(f.cast<double>(), 9));
  const Mat<float> back = read_array(Path("f.csv")).cast<float>();
  EXPECT_TRUE(SameMatrix(f.cast<double>(), back.cast<double>()));
}

TEST_F(ArrayIoTest, ToCsvMatchesPrintfG) {
  const MatD m = Tricky(50, 3, 4);
  for (int digits : {1, 6, 9, 17}) {
    std::string expected;
    char buf[64];
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      for (Eigen::Index j = 0; j < m.cols(); ++j) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, m(i, j));
        expected += (j ? "," : "") + std::string(buf);
      }
      expected += '\n';
    }
    EXPECT_EQ(expected, to_csv(m, digits)) << "digits=" << digits;
  }
  EXPECT_EQ(to_csv(MatD(0, 3)), "");
  EXPECT_THROW(to_csv(m, 0), std::invalid_argument);
  EXPECT_THROW(to_csv(m, 18), std::invalid_argument);
}

TEST_F(ArrayIoTest, CsvToleratesSpacesCrlfBomAndTrailingBlankLines) {
  const MatD expected = (MatD(2, 3) << 1, -2.5, 300, 0.25, 4e-3, -0.0).finished();
  const std::vector<std::string> variants = {
      "1,-2.5,3e2\n0.25,0.004,-0\n",
      "1,-2.5,3e2\n0.25,0.004,-0",
      " 1 , -2.5,\t3e2 \r\n0.25 ,0.004 , -0\r\n",
      "\xEF\xBB\xBF+1,-2.5,300\n.25,4E-3,-0.0\n\n\n",
      "1,-2.5,300\n0.25,0.004,-0\n  \r\n\n",
      "1,-2.5,0x1.2cp8\n0.25,0.004,-0\n",
  };
  for (size_t k = 0; k < variants.size(); ++k) {
    const std::string p = Write("t" + std::to_string(k) + ".csv", variants[k]);
    MatD got;
    ASSERT_NO_THROW(got = read_array(p)) << "variant " << k;
    EXPECT_TRUE(SameMatrix(expected, got)) << "variant " << k;
  }
}

TEST_F(ArrayIoTest, CsvSingleValuePerLineIsAColumn) {
  const MatD got = read_array(Write("col.csv", "1\n2\n3\n"));
  EXPECT_TRUE(SameMatrix((MatD(3, 1) << 1, 2, 3).finished(), got));
  const MatD row = read_array(Write("row.csv", "1,2,3\n"));
  EXPECT_TRUE(SameMatrix((MatD(1, 3) << 1, 2, 3).finished(), row));
}

TEST_F(ArrayIoTest, CsvUnderflowBecomesZeroLikeStrtod) {
  const MatD got = read_array(Write("u.csv", "1e-400,4e-320\n"));
  EXPECT_TRUE(SameMatrix(
      (MatD(1, 2) << std::strtod("1e-400", nullptr), std::strtod("4e-320", nullptr)).finished(),
      got));
}

TEST_F(ArrayIoTest, UppercaseExtensionIsAccepted) {
  EXPECT_TRUE(SameMatrix((MatD(1, 1) << 2).finished(), read_array(Write("A.CSV", "2\n"))));
}

// ----------------------------------------------------------------------------------- NPY

TEST_F(ArrayIoTest, NpyRoundTripDoubleAndFloatMatrixAndVector) {
  const MatD m = Tricky(6, 5, 5);
  write_npy(Path("m.npy"), m);
  EXPECT_TRUE(SameMatrix(m, read_array(Path("m.npy"))));

  const Mat<float> f = TrickyFloat(4, 7, 6);
  write_npy(Path("f.npy"), f);
  EXPECT_TRUE(SameMatrix(f.cast<double>(), read_array(Path("f.npy"))));

  const MatD v = Tricky(11, 1, 7);
  write_npy(Path("v.npy"), v, /*as_vector=*/true);
  EXPECT_NE(ReadText(Path("v.npy")).find("'shape': (11,)"), std::string::npos);
  EXPECT_TRUE(SameMatrix(v, read_array(Path("v.npy"))));

  const Mat<float> fv = TrickyFloat(1, 8, 8);  // a row also writes as 1-D
  write_npy(Path("fv.npy"), fv, /*as_vector=*/true);
  EXPECT_TRUE(SameMatrix(fv.transpose().cast<double>(), read_array(Path("fv.npy"))));

  EXPECT_THROW(to_npy(m, /*as_vector=*/true), std::invalid_argument);
}

TEST_F(ArrayIoTest, NpyLayoutIsV1COrderAlignedTo64) {
  const MatD m = (MatD(2, 3) << 1, 2, 3, 4, 5, 6).finished();
  const std::string bytes = to_npy(m);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u) << "header_len=" << header_len;
  EXPECT_EQ(bytes.size(), 10 + header_len + 6 * sizeof(double));
  const std::string header = bytes.substr(10, header_len);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(header.rfind("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 0), 0u)
      << header;
  std::vector<double> data(6);
  std::memcpy(data.data(), bytes.data() + 10 + header_len, 6 * sizeof(double));
  EXPECT_EQ(data, (std::vector<double>{1, 2, 3, 4, 5, 6})) << "data must be row-major";
  EXPECT_NE(to_npy(m.cast<float>().eval()).find("'descr': '<f4'"), std::string::npos);
}

TEST_F(ArrayIoTest, NpyHandMadeFortranAndCOrder) {
  const MatD expected = (MatD(2, 3) << 1, 2, 3, 4, 5, 6).finished();
  const std::string f8 = MakeNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                                 Bytes<double>({1, 4, 2, 5, 3, 6}));
  EXPECT_TRUE(SameMatrix(expected, read_array(Write("f8.npy", f8))));
  const std::string c8 = MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                                 Bytes<double>({1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(SameMatrix(expected, read_array(Write("c8.npy", c8))));
  const std::string f4 = MakeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                 Bytes<float>({1, 4, 2, 5, 3, 6}));
  EXPECT_TRUE(SameMatrix(expected, read_array(Write("f4.npy", f4))));
  // Key order, quoting and spacing as other writers may produce them; Python 2 long suffix.
  const std::string odd = MakeNpy("{\"shape\":(2L,3L),\"fortran_order\":False,\"descr\":\"<f4\"}",
                                  Bytes<float>({1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(SameMatrix(expected, read_array(Write("odd.npy", odd))));
}

TEST_F(ArrayIoTest, NpyShapesNAndN1AreColumns) {
  const MatD expected = (MatD(4, 1) << 0.5, -1, 2, 8).finished();
  for (const char* shape : {"(4,)", "(4, 1)"}) {
    for (const char* order : {"False", "True"}) {
      const std::string bytes = MakeNpy(
          std::string("{'descr': '<f8', 'fortran_order': ") + order + ", 'shape': " + shape + ", }",
          Bytes<double>({0.5, -1, 2, 8}));
      EXPECT_TRUE(SameMatrix(expected, read_array(Write("s.npy", bytes))))
          << "shape " << shape << " fortran_order " << order;
    }
  }
}

TEST_F(ArrayIoTest, NpyVersion2And3Headers) {
  const MatD expected = (MatD(1, 2) << 3, 4).finished();
  for (int major : {2, 3}) {
    const std::string bytes = MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
                                      Bytes<double>({3, 4}), major);
    EXPECT_TRUE(SameMatrix(expected, read_array(Write("v.npy", bytes)))) << "version " << major;
  }
}

// ------------------------------------------------------------------------- real NumPy

TEST_F(ArrayIoTest, ReadsFilesWrittenByNumpy) {
  if (!HaveNumpy()) GTEST_SKIP() << kPython << " with numpy is not available";
  // Each value i/7 is computed identically (IEEE division) here and in NumPy.
  const std::string script = "import numpy as np; d='" + dir_ +
                             "'; a=np.arange(12).reshape(3,4)/7; "
                             "np.save(d+'/c.npy', a); "
                             "np.save(d+'/f.npy', np.asfortranarray(a)); "
                             "np.save(d+'/f32.npy', np.arange(12,dtype=np.float32).reshape(3,4)/"
                             "np.float32(7)); "
                             "np.save(d+'/v.npy', np.arange(5)/7); "
                             "np.save(d+'/big.npy', np.ones((3,4,2))); "
                             "np.save(d+'/i.npy', np.arange(3)); "
                             "np.savetxt(d+'/t.csv', a, delimiter=',')";
  ASSERT_EQ(RunPython(script), 0) << script;

  MatD a(3, 4);
  Mat<float> a32(3, 4);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      a(i, j) = (4 * i + j) / 7.0;
      a32(i, j) = static_cast<float>(4 * i + j) / 7.0f;
    }
  }
  EXPECT_TRUE(SameMatrix(a, read_array(Path("c.npy"))));
  EXPECT_TRUE(SameMatrix(a, read_array(Path("f.npy"))));
  EXPECT_TRUE(SameMatrix(a32.cast<double>(), read_array(Path("f32.npy"))));
  MatD v(5, 1);
  for (int i = 0; i < 5; ++i) v(i) = i / 7.0;
  EXPECT_TRUE(SameMatrix(v, read_array(Path("v.npy"))));
  // savetxt writes %.18e, which must parse to the same doubles.
  EXPECT_TRUE(SameMatrix(a, read_array(Path("t.csv"))));
  EXPECT_THROW(read_array(Path("big.npy")), InputError);
  EXPECT_THROW(read_array(Path("i.npy")), InputError);
}

// read_array and sih analyze's read_npy_tensor share one .npy parser and decoder
// (formats/npy.hpp). Before, read_array refused float16 and big-endian files, and the analyze
// reader refused headers numpy does not write but other writers do (double quotes, keys in
// another order); each file below was refused by one of them.
TEST_F(ArrayIoTest, BothNpyReadersReadFloat16AndBigEndianFilesWrittenByNumpy) {
  if (!HaveNumpy()) GTEST_SKIP() << kPython << " with numpy is not available";
  // k/8 and -k/4 are exact in float16, so every dtype holds the same values.
  const std::string script =
      "import numpy as np; d='" + dir_ +
      "'; a=(np.arange(12).reshape(3,4)/8 - (np.arange(12).reshape(3,4)%3)/4); "
      "np.save(d+'/h.npy', a.astype('<f2')); "
      "np.save(d+'/hf.npy', np.asfortranarray(a.astype('<f2'))); "
      "np.save(d+'/bh.npy', a.astype('>f2')); "
      "np.save(d+'/b4.npy', a.astype('>f4')); "
      "np.save(d+'/b8f.npy', np.asfortranarray(a.astype('>f8'))); "
      "np.save(d+'/hv.npy', a[1].astype('<f2'))";
  ASSERT_EQ(RunPython(script), 0) << script;

  MatD a(3, 4);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) a(i, j) = (4 * i + j) / 8.0 - ((4 * i + j) % 3) / 4.0;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"h.npy", "float16"},  {"hf.npy", "float16"},  {"bh.npy", "float16"},
      {"b4.npy", "float32"}, {"b8f.npy", "float64"},
  };
  for (const auto& [name, dtype] : files) {
    EXPECT_TRUE(SameMatrix(a, read_array(Path(name)))) << name;
    const Tensor t = read_npy_tensor(Path(name));
    EXPECT_EQ(t.shape, (std::vector<std::int64_t>{3, 4})) << name;
    EXPECT_EQ(t.dtype, dtype) << name;
    const MatD as_read =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            t.data.data(), 3, 4);
    EXPECT_TRUE(SameMatrix(a, as_read)) << name;
  }
  EXPECT_TRUE(SameMatrix(a.row(1).transpose(), read_array(Path("hv.npy"))));
  EXPECT_EQ(read_npy_tensor(Path("hv.npy")).shape, (std::vector<std::int64_t>{4}));

  // numpy's reader accepts the hand-made header the analyze reader used to refuse.
  const std::string odd = MakeNpy("{\"shape\":(2L,3L),\"fortran_order\":True,\"descr\":\"=f4\"}",
                                  Bytes<float>({1, 4, 2, 5, 3, 6}));
  Write("odd.npy", odd);
  ASSERT_EQ(RunPython("import numpy as np; a=np.load('" + Path("odd.npy") +
                      "'); assert a.tolist()==[[1,2,3],[4,5,6]], a"),
            0);
  EXPECT_EQ(read_npy_tensor(Path("odd.npy")).data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(SameMatrix((MatD(2, 3) << 1, 2, 3, 4, 5, 6).finished(), read_array(Path("odd.npy"))));
}

TEST_F(ArrayIoTest, NumpyReadsFilesWeWrite) {
  if (!HaveNumpy()) GTEST_SKIP() << kPython << " with numpy is not available";
  MatD a(3, 4);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) a(i, j) = (4 * i + j) / 7.0;
  }
  write_npy(Path("a.npy"), a);
  write_npy(Path("a32.npy"), Mat<float>(a.cast<float>()));
  write_npy(Path("v.npy"), MatD(a.col(1)), /*as_vector=*/true);
  write_csv(Path("a.csv"), a);
  const std::string script =
      "import numpy as np, sys; d='" + dir_ +
      "'; e=np.arange(12).reshape(3,4)/7; "
      "x=np.load(d+'/a.npy'); y=np.load(d+'/a32.npy'); v=np.load(d+'/v.npy'); "
      "t=np.loadtxt(d+'/a.csv', delimiter=',', ndmin=2); "
      "ok=[x.dtype==np.float64, x.shape==(3,4), np.array_equal(x,e), "
      "y.dtype==np.float32, np.array_equal(y,e.astype(np.float32)), "
      "v.shape==(3,), np.array_equal(v,e[:,1]), np.array_equal(t,e)]; "
      "print('numpy checks:', ok) if not all(ok) else None; sys.exit(0 if all(ok) else 1)";
  EXPECT_EQ(RunPython(script), 0) << script;
}

// --------------------------------------------------------------------- reference fixture

std::vector<std::string> SplitCells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) cells.push_back(cell);
  return cells;
}

TEST(ArrayIoReference, ReadsW0AndBetaExactly) {
  const std::string dir = test::ref("traj_init");
  const std::string w0_path = dir + "/W0.csv";
  ASSERT_TRUE(fs::exists(w0_path)) << "reference fixture missing: " << w0_path;

  const MatD w0 = read_array(w0_path);
  ASSERT_EQ(w0.rows(), 60);
  ASSERT_EQ(w0.cols(), 40);
  std::ifstream in(w0_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 60u);
  const auto first = SplitCells(lines.front());
  const auto last = SplitCells(lines.back());
  ASSERT_EQ(first.size(), 40u);
  ASSERT_EQ(last.size(), 40u);
  EXPECT_EQ(Fmt17(w0(0, 0)), Fmt17(std::strtod(first[0].c_str(), nullptr)));
  EXPECT_EQ(Fmt17(w0(0, 17)), Fmt17(std::strtod(first[17].c_str(), nullptr)));
  EXPECT_EQ(Fmt17(w0(59, 39)), Fmt17(std::strtod(last[39].c_str(), nullptr)));

  const std::string beta_path = dir + "/beta.csv";
  const MatD beta = read_array(beta_path);
  ASSERT_EQ(beta.rows(), 40);
  ASSERT_EQ(beta.cols(), 1);
  std::ifstream bin(beta_path);
  std::string b0;
  std::getline(bin, b0);
  EXPECT_EQ(Fmt17(beta(0, 0)), Fmt17(std::strtod(b0.c_str(), nullptr)));
}

// ------------------------------------------------------------------------------ bad input

struct BadFile {
  std::string name;  // created in the temp dir unless `create` is false
  std::string bytes;
  std::string fragment;  // expected in what(), after "<path>: "
  bool create = true;
};

std::string NpyF8(const std::string& shape, const std::string& data) {
  return MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }", data);
}

TEST_F(ArrayIoTest, BadFilesGiveOneLineMessagesNamingFileAndProblem) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::string bad_version = NpyF8("(1,)", Bytes<double>({1}));
  bad_version[6] = 9;
  std::string long_header = NpyF8("(1,)", Bytes<double>({1}));
  long_header[8] = '\xff';
  long_header[9] = '\x7f';
  const std::string long_cell(5000, 'z');

  const std::vector<BadFile> cases = {
      {"missing.csv", "", "cannot open: No such file or directory", false},
      {"missing.npy", "", "cannot open: No such file or directory", false},
      {"empty.csv", "", "file is empty"},
      {"blank.csv", "\n \r\n\n", "file is empty"},
      {"empty.npy", "", "file is empty"},
      {"ragged.csv", "1,2,3\n4,5,6\n7,8\n",
       "line 3 has 2 values, expected 3 (rows must have the "
       "same length)"},
      {"long_row.csv", "1,2\n3,4,5\n", "line 2 has 3 values, expected 2"},
      {"word.csv", "1,2\n3,abc\n", "line 2, column 2: 'abc' is not a number"},
      {"suffix.csv", "1.5x\n", "line 1, column 1: '1.5x' is not a number"},
      {"two_numbers.csv", "1 2\n", "'1 2' is not a number"},
      {"semicolon.csv", "1;2\n", "'1;2' is not a number"},
      {"empty_cell.csv", "1,,3\n", "line 1, column 2: empty value"},
      {"trailing_comma.csv", "1,2,\n", "line 1, column 3: empty value"},
      {"gap.csv", "1\n\n2\n", "line 2 is empty"},
      {"nan.csv", "1,2\nnan,3\n", "NaN/Inf value at line 2, column 1 (inputs must be finite)"},
      {"inf.csv", "1,-inf\n", "NaN/Inf value at line 1, column 2 (inputs must be finite)"},
      {"infinity.csv", "Infinity\n", "NaN/Inf value at line 1, column 1"},
      {"overflow.csv", "1e999\n", "line 1, column 1: '1e999' is out of range for float64"},
      {"binary.csv", std::string("1,\x01\x02\n", 5), "'\\x01\\x02' is not a number"},
      {"long_cell.csv", long_cell, "'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' is not"},
      {"x.npy", NpyF8("(60, 40)", std::string(1000, '\0')),
       "truncated: header says 60x40 float64 (19200 bytes of data), file has 1000"},
      {"vec.npy", NpyF8("(10,)", std::string(8, '\0')),
       "truncated: header says 10 float64 (80 bytes of data), file has 8"},
      {"huge.npy", NpyF8("(1000000, 1000000)", std::string(8, '\0')),
       "truncated: header says 1000000x1000000 float64 (8000000000000 bytes of data), file has 8"},
      {"overflowing.npy", NpyF8("(99999999999999, 99999999999999)", ""),
       "header says 99999999999999x99999999999999 float64, which is too large"},
      {"dim_overflow.npy", NpyF8("(99999999999999999999999,)", ""),
       "malformed .npy header: dimension in 'shape' is too large"},
      {"magic.npy", "hello, world, this is not numpy", "not a NumPy file (bad magic)"},
      {"short.npy", "\x93NUM", "truncated: file ends inside the .npy preamble"},
      {"i8.npy",
       MakeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", std::string(16, '\0')),
       "unsupported dtype '<i8' (use float16, float32 or float64)"},
      {"c16.npy",
       MakeNpy("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", std::string(32, '\0')),
       "unsupported dtype '<c16'"},
      {"be_int.npy",
       MakeNpy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", std::string(8, '\0')),
       "unsupported dtype '>i4'"},
      {"f2_short.npy",
       MakeNpy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", std::string(4, '\0')),
       "truncated: header says 3 float16 (6 bytes of data), file has 4"},
      {"struct.npy",
       MakeNpy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }",
               std::string(16, '\0')),
       "unsupported dtype (structured"},
      {"3d.npy", NpyF8("(2, 3, 4)", std::string(192, '\0')),
       "3-D array of shape (2, 3, 4) not supported (expected 1-D or 2-D)"},
      {"scalar.npy", NpyF8("()", std::string(8, '\0')), "0-D (scalar) array not supported"},
      {"zero.npy", NpyF8("(0, 3)", ""), "array is empty (shape (0, 3))"},
      {"nan.npy", NpyF8("(2, 2)", Bytes<double>({1, 2, 3, nan})),
       "NaN entry at flat index 3, row 2, column 2 (values must be finite)"},
      {"inf_f2.npy",
       MakeNpy("{'descr': '<f2', 'fortran_order': True, 'shape': (2, 2), }",
               Bytes<uint16_t>({0x3C00, 0x7C00, 0x4000, 0x4200})),
       "infinite entry at flat index 2, row 2, column 1 (values must be finite)"},
      {"version.npy", bad_version, "unsupported .npy version 9.0"},
      {"header_len.npy", long_header, "truncated: header length 32767 exceeds file size"},
      {"no_shape.npy", MakeNpy("{'descr': '<f8', 'fortran_order': False}", ""),
       "malformed .npy header: no 'shape' key"},
      {"order.npy", MakeNpy("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}", ""),
       "malformed .npy header: 'fortran_order' must be True or False"},
      {"dict.npy", MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,", ""),
       "malformed .npy header"},
      {"extra.npy", MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", ""),
       "malformed .npy header: unexpected key 'x'"},
      {"data.txt", "1,2\n", "unsupported array file extension (use .csv or .npy)"},
      {"noext", "1,2\n", "unsupported array file extension (use .csv or .npy)"},
  };
  ASSERT_GE(cases.size(), 12u);
  fs::create_directory(Path("adir.csv"));

  std::vector<BadFile> all = cases;
  all.push_back({"adir.csv", "", "cannot open: Is a directory", false});
  for (const auto& c : all) {
    const std::string path = c.create ? Write(c.name, c.bytes) : Path(c.name);
    try {
      const MatD m = read_array(path);
      ADD_FAILURE() << c.name << ": expected InputError containing '" << c.fragment << "', got a "
                    << m.rows() << "x" << m.cols() << " matrix";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_TRUE(msg.rfind(path + ": ", 0) == 0) << "message must start with the path: " << msg;
      EXPECT_TRUE(msg.find(c.fragment) != std::string::npos)
          << c.name << "\n  expected fragment: " << c.fragment << "\n  actual message:    " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "message must be one line: " << msg;
      EXPECT_LT(msg.size(), path.size() + 200) << "message too long: " << msg;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name << ": expected InputError, got another exception: " << e.what();
    }
  }
}

// ---------------------------------------------------------------------- atomic writing

TEST_F(ArrayIoTest, WriteFileAtomicWritesContentAndLeavesNoTemp) {
  const std::string p = Path("out.txt");
  write_file_atomic(p, "first");
  write_file_atomic(p, std::string("second\0with nul", 15));
  EXPECT_EQ(ReadText(p), std::string("second\0with nul", 15));
  write_file_atomic(Path("empty.txt"), "");
  EXPECT_EQ(ReadText(Path("empty.txt")), "");
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"empty.txt", "out.txt"}));
}

TEST_F(ArrayIoTest, WriteFileAtomicIntoMissingDirectoryThrowsWithPath) {
  const std::string p = Path("no/such/dir/out.csv");
  try {
    write_file_atomic(p, "1\n");
    ADD_FAILURE() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), p + ": write failed: No such file or directory");
  }
  EXPECT_TRUE(DirEntries().empty());
}

TEST_F(ArrayIoTest, WriteFileAtomicRenameFailureRemovesTemp) {
  // Renaming a file over a non-empty directory fails after the data has been written.
  const std::string p = Path("target");
  fs::create_directory(p);
  Write("target/keep", "x");
  EXPECT_THROW(write_file_atomic(p, "data"), std::runtime_error);
  EXPECT_TRUE(fs::is_directory(p));
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"target"}));
}

TEST_F(ArrayIoTest, WriteFileAtomicShortWriteKeepsOldFileAndRemovesTemp) {
  // RLIMIT_FSIZE makes writes fail with EFBIG, standing in for a full disk without needing
  // a tiny filesystem.
  const std::string p = Path("old.csv");
  Write("old.csv", "old content\n");
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 4096;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0) << std::strerror(errno);
  std::string message;
  try {
    write_file_atomic(p, std::string(1 << 20, 'x'));
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(message, p + ": write failed: " + std::strerror(EFBIG));
  EXPECT_EQ(ReadText(p), "old content\n");
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"old.csv"}));
}

}  // namespace
}  // namespace sih
