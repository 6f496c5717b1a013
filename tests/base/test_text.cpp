// The one wording of shapes and durations (base/text.hpp) that analyze's tables, the .npy and
// safetensors messages, init_from, the sweep's progress lines, the report and the reproduce
// page share.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "sih/base/text.hpp"

namespace sih {
namespace {

TEST(ShapeText, DimensionsJoinedByX) {
  EXPECT_EQ(shape_text(std::vector<std::int64_t>{768, 3072}), "768x3072");
  EXPECT_EQ(shape_text(std::vector<std::int64_t>{64, 3, 7, 7}), "64x3x7x7");
  EXPECT_EQ(shape_text(std::vector<std::int64_t>{10}), "10");
  EXPECT_EQ(shape_text(std::vector<std::int64_t>{}), "");
  EXPECT_EQ(shape_text(60, 40), "60x40");
  // An .npy header may declare more than an int64 holds; it is shown as written.
  EXPECT_EQ(shape_text(std::vector<std::uint64_t>{18446744073709551615ull, 0}),
            "18446744073709551615x0");
}

TEST(DurationText, SecondsBelowTwoMinutesElseMinutes) {
  EXPECT_EQ(duration_text(0), "0.0 s");
  EXPECT_EQ(duration_text(1.04), "1.0 s");
  EXPECT_EQ(duration_text(3.45), "3.5 s");  // 3.45 is stored as 3.4500000000000001776
  EXPECT_EQ(duration_text(119.9), "119.9 s");
  EXPECT_EQ(duration_text(120), "2.0 min");
  EXPECT_EQ(duration_text(1230), "20.5 min");
  EXPECT_EQ(duration_text(7200), "120.0 min");
}

TEST(DurationText, UnknownIsAQuestionMark) {
  EXPECT_EQ(duration_text(std::nan("")), "?");
  EXPECT_EQ(duration_text(std::numeric_limits<double>::infinity()), "?");
  EXPECT_EQ(duration_text(-1), "?");
}

}  // namespace
}  // namespace sih
