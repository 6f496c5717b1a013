#include "sih/base/text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace sih {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  return seconds < 120 ? fmt::format("{:.1f} s", seconds) : fmt::format("{:.1f} min", seconds / 60);
}

}  // namespace sih
