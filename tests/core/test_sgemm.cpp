// The float GEMM of src/core/sgemm.cpp (oneDNN's sgemm for full products, sih's AVX-512 kernel
// for lower triangles and strided views; ctest also runs this file with SIH_GEMM=sih, sih's
// kernel for everything) against a double-precision product of the same operands (an
// independent reference: Eigen's double GEMM), over shapes that exercise every edge of the
// blocking (rows not a multiple of 32, columns not a multiple of 12, depths below and above
// 512), all four transpose combinations, strided blocks, and the same bits for every thread
// count (the documented determinism), on sih's own training shapes too.
#include <omp.h>

#include "sih/core/linalg.hpp"
#include "sih/core/parallel.hpp"
#include "sih/core/rng.hpp"
#include "test_util.hpp"

using namespace sih;

namespace {

// Every product on all its threads, however small, so that the thread counts compared below
// really differ (parallel.hpp keeps small products on one thread).
const bool kAllProductsParallel = (set_min_seconds_per_thread(0), true);

Mat<float> random_matrix(long rows, long cols, std::uint64_t seed) {
  Mat<float> m(rows, cols);
  fill_normal(m.data(), static_cast<std::size_t>(m.size()), seed);
  return m;
}

// |C - C_ref| <= tol * sqrt(k) * (|A| |B|)_ij: float rounding of a k-term dot product.
void expect_close(const Mat<float>& c, const MatD& ref, const MatD& abs_ref, long k,
                  const std::string& what) {
  ASSERT_EQ(c.rows(), ref.rows());
  ASSERT_EQ(c.cols(), ref.cols());
  const double tol = 4 * std::numeric_limits<float>::epsilon() * std::sqrt(double(k));
  double worst = 0;
  long wi = 0, wj = 0;
  for (long j = 0; j < c.cols(); ++j)
    for (long i = 0; i < c.rows(); ++i) {
      const double err = std::abs(double(c(i, j)) - ref(i, j)) / (abs_ref(i, j) + 1e-30);
      if (err > worst) worst = err, wi = i, wj = j;
    }
  EXPECT_LE(worst, tol) << what << ": worst relative error at (" << wi << ", " << wj
                        << "): expected " << ref(wi, wj) << ", got " << c(wi, wj);
}

struct Shape {
  long m, n, k;
};

}  // namespace

class Sgemm : public ::testing::TestWithParam<Shape> {
 protected:
  void SetUp() override {
    if (!sgemm_available()) GTEST_SKIP() << "built without AVX-512: Eigen's product is used";
  }
};

TEST_P(Sgemm, MatchesDoubleProductForEveryTransposeCombination) {
  const auto [m, n, k] = GetParam();
  const Mat<float> A = random_matrix(m, k, 1), At = A.transpose();
  const Mat<float> B = random_matrix(k, n, 2), Bt = B.transpose();
  const MatD ref = A.cast<double>() * B.cast<double>();
  const MatD abs_ref = A.cast<double>().cwiseAbs() * B.cast<double>().cwiseAbs();
  // C is written, never read: NaN in it beforehand must not leak into the result.
  Mat<float> c = Mat<float>::Constant(m, n, std::numeric_limits<float>::quiet_NaN());
  product_fixed_depth(c, A, B);
  expect_close(c, ref, abs_ref, k, "A B");
  c.setConstant(7);
  product_fixed_depth(c, At.transpose(), B);
  expect_close(c, ref, abs_ref, k, "(A^T)^T B");
  c.setConstant(7);
  product_fixed_depth(c, A, Bt.transpose());
  expect_close(c, ref, abs_ref, k, "A (B^T)^T");
  c.setConstant(7);
  product_fixed_depth(c, At.transpose(), Bt.transpose());
  expect_close(c, ref, abs_ref, k, "(A^T)^T (B^T)^T");
}

TEST_P(Sgemm, SameBitsForEveryThreadCountAndInsideAParallelRegion) {
  const auto [m, n, k] = GetParam();
  const Mat<float> A = random_matrix(m, k, 3), B = random_matrix(n, k, 4);
  Mat<float> c1(m, n), c2(m, n), c3(m, n), nested(m, n);
  omp_set_num_threads(1);
  product_fixed_depth(c1, A, B.transpose());
  omp_set_num_threads(2);
  product_fixed_depth(c2, A, B.transpose());
  omp_set_num_threads(3);
  product_fixed_depth(c3, A, B.transpose());
  omp_set_num_threads(2);
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    product_fixed_depth(nested, A, B.transpose());
  }
  // The gradient's layout: a transposed A (16 x 16 transposes when packed), a column-major B.
  const Mat<float> G = random_matrix(k, m, 5), X = random_matrix(k, n, 6);
  Mat<float> g1(m, n), g2(m, n);
  omp_set_num_threads(1);
  product_fixed_depth(g1, G.transpose(), X);
  omp_set_num_threads(2);
  product_fixed_depth(g2, G.transpose(), X);
  EXPECT_TRUE(g1 == g2) << "G^T X: threads 1 vs 2";
  EXPECT_TRUE(c1 == c2) << "threads 1 vs 2";
  EXPECT_TRUE(c1 == c3) << "threads 1 vs 3";
  EXPECT_TRUE(c1 == nested) << "threads 1 vs inside a parallel region";
}

// m x n >= 65536 routes to the kernel; the odd sizes hit the masked edge tiles.
INSTANTIATE_TEST_SUITE_P(Shapes, Sgemm,
                         ::testing::Values(Shape{256, 256, 64}, Shape{257, 259, 1},
                                           Shape{300, 250, 511}, Shape{301, 229, 513},
                                           Shape{1000, 70, 1100}, Shape{65, 1031, 37},
                                           Shape{2000, 150, 1000}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           return "m" + std::to_string(info.param.m) + "_n" +
                                  std::to_string(info.param.n) + "_k" +
                                  std::to_string(info.param.k);
                         });

// The training step's products at the paper's sizes (n samples, d inputs, h = 1.5 d hidden
// units): the forward X W^T (n x h, depth d) and the gradient G^T X (h x d, depth n, the
// transposed layout), including a depth far above the outputs' sides, where a library could
// split the depth across threads and round differently. Only the bits are compared here.
TEST(SgemmTrainingShapes, SameBitsForEveryThreadCount) {
  if (!sgemm_available()) GTEST_SKIP() << "built without AVX-512: Eigen's product is used";
  struct Size {
    long n, d;
  };
  for (const Size size : {Size{2000, 1000}, Size{8000, 250}, Size{16000, 100}, Size{500, 500}}) {
    const long n = size.n, d = size.d, h = 3 * d / 2;
    const Mat<float> X = random_matrix(n, d, 11), W = random_matrix(h, d, 12);
    const Mat<float> G = random_matrix(n, h, 13);
    const std::string where = "n=" + std::to_string(n) + " d=" + std::to_string(d);
    Mat<float> forward[3], gradient[3];
    for (int t = 0; t < 3; ++t) {
      omp_set_num_threads(t + 1);
      forward[t].resize(n, h);
      product_fixed_depth(forward[t], X, W.transpose());
      gradient[t].resize(h, d);
      product_fixed_depth(gradient[t], G.transpose(), X);
    }
    omp_set_num_threads(2);
    for (int t = 1; t < 3; ++t) {
      EXPECT_TRUE(forward[0] == forward[t]) << where << ": X W^T, threads 1 vs " << t + 1;
      EXPECT_TRUE(gradient[0] == gradient[t]) << where << ": G^T X, threads 1 vs " << t + 1;
    }
  }
}

TEST(SgemmBlocks, WritesOnlyItsBlockOfALargerMatrix) {
  if (!sgemm_available()) GTEST_SKIP() << "built without AVX-512";
  // gram_lower writes block columns of a larger matrix through product_fixed_depth.
  const Mat<float> A = random_matrix(600, 400, 5);
  Mat<float> big = Mat<float>::Constant(450, 420, -3.0f);
  auto block = big.block(20, 10, 400, 300);
  product_fixed_depth(block, A.middleCols(0, 400).transpose(), A.middleCols(50, 300));
  const MatD ref = A.cast<double>().transpose() * A.middleCols(50, 300).cast<double>();
  const MatD abs_ref =
      A.cast<double>().cwiseAbs().transpose() * A.middleCols(50, 300).cast<double>().cwiseAbs();
  expect_close(Mat<float>(block), ref, abs_ref, 600, "block");
  // Everything outside the block is untouched.
  Mat<float> outside = big;
  outside.block(20, 10, 400, 300).setConstant(-3.0f);
  EXPECT_TRUE((outside.array() == -3.0f).all());
}

TEST(SgemmStrides, NeitherStrideOneUsesTheGenericPacking) {
  if (!sgemm_available()) GTEST_SKIP() << "built without AVX-512";
  // Every other row and column of larger matrices: no operand has a unit stride.
  const long m = 130, n = 70, k = 530;
  const Mat<float> Abig = random_matrix(2 * m, 2 * k, 7), Bbig = random_matrix(2 * k, 2 * n, 8);
  const Eigen::Map<const Mat<float>, 0, Eigen::Stride<Eigen::Dynamic, 2>> A(
      Abig.data(), m, k, Eigen::Stride<Eigen::Dynamic, 2>(4 * m, 2));
  const Eigen::Map<const Mat<float>, 0, Eigen::Stride<Eigen::Dynamic, 2>> B(
      Bbig.data(), k, n, Eigen::Stride<Eigen::Dynamic, 2>(4 * k, 2));
  const MatD Ad = A.cast<double>(), Bd = B.cast<double>();
  Mat<float> c = Mat<float>::Constant(m, n, 7.0f);
  sgemm(m, n, k, {A.data(), 2, 4 * m}, {B.data(), 2, 4 * k}, c.data(), m);
  expect_close(c, Ad * Bd, Ad.cwiseAbs() * Bd.cwiseAbs(), k, "strided A, strided B");
}

TEST(SgemmLower, GramLowerTriangleMatchesDoubleAndIsThreadCountInvariant) {
  if (!sgemm_available()) GTEST_SKIP() << "built without AVX-512";
  // Sizes around the tile edges (32 x 12) and the depth block (512), tall and wide inputs.
  for (const auto& [rows, cols] : {std::pair<long, long>{600, 300}, {517, 389}, {70, 1001}}) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    const Mat<float> A = random_matrix(rows, cols, 9);
    const MatD Ad = A.cast<double>();
    const MatD ref = Ad.transpose() * Ad, abs_ref = Ad.cwiseAbs().transpose() * Ad.cwiseAbs();
    Mat<float> g1, g2, g3;
    omp_set_num_threads(1);
    gram_lower(g1, A);
    omp_set_num_threads(3);
    gram_lower(g3, A);
    omp_set_num_threads(2);
    gram_lower(g2, A);
    // Only the lower triangle is specified: compare it, with the upper part taken from ref.
    Mat<float> lower = ref.cast<float>();
    lower.triangularView<Eigen::Lower>() = g2.triangularView<Eigen::Lower>();
    expect_close(lower, ref, abs_ref, rows, "lower triangle of A^T A");
    const auto same_lower = [&](const Mat<float>& x) {
      return Mat<float>(x.triangularView<Eigen::Lower>()) ==
             Mat<float>(g2.triangularView<Eigen::Lower>());
    };
    EXPECT_TRUE(same_lower(g1)) << "threads 1 vs 2";
    EXPECT_TRUE(same_lower(g3)) << "threads 3 vs 2";
  }
}

TEST(SgemmLower, LeavesTilesAboveTheDiagonalUntouched) {
  if (!sgemm_available()) GTEST_SKIP() << "built without AVX-512";
  const long n = 300, k = 40;
  const Mat<float> A = random_matrix(k, n, 10);
  Mat<float> c = Mat<float>::Constant(n, n, -5.0f);
  const Mat<float> At = A.transpose();
  sgemm_lower(n, k, strided_view(At), strided_view(A), c.data(), n);
  // Rows 0-31 are one register tile; its column panels from 36 on lie wholly above the
  // diagonal and must not be written.
  EXPECT_TRUE((c.topRightCorner(32, n - 48).array() == -5.0f).all());
  const MatD ref = A.cast<double>().transpose() * A.cast<double>();
  EXPECT_NEAR(c(n - 1, 0), ref(n - 1, 0), 1e-4 * std::abs(ref(n - 1, 0)) + 1e-3);
}
