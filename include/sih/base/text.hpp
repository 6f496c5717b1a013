#pragma once
// The one wording of a shape and of a duration in sih's messages, pages and progress lines.
#include <cstdint>
#include <string>
#include <vector>

namespace sih {

// "768x3072" (a vector: "768"; rank 0: ""). Dimensions as stored, outermost first; unsigned
// dimensions too, for file headers that may declare more than an int64 holds.
template <typename Int>
std::string shape_text(const std::vector<Int>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}
inline std::string shape_text(std::int64_t rows, std::int64_t cols) {
  return shape_text(std::vector<std::int64_t>{rows, cols});
}

// "12.3 s" below two minutes, else "20.5 min"; "?" when unknown (NaN, infinite or negative,
// e.g. the time left before the first run finished).
std::string duration_text(double seconds);

}  // namespace sih
