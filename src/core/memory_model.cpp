// The memory model of a run: the arrays it holds at its peak, by size and precision.
#include "sih/core/memory_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

namespace sih {
namespace {

long double run_memory_bytes(const Config& c) {
  const long double n = c.n, d = c.d, h = c.h, n_test = c.n_test;
  const long double rank = std::min(h, d);
  long double elements = n * d + n_test * d;  // X_train, X_test
  if (c.fix_last_layer) elements += n * d;    // X_probe
  elements += 4 * h * d;                      // W, its gradient, two Adam moments
  elements += 3 * n * h;                      // activations and their gradients
  // The generic student kernel (any activation but tanh, or biases) keeps act'(z) too.
  if (c.activation != Activation::kTanh || c.bias) elements += n * h;
  elements += n * h + n_test * h;              // features at a checkpoint
  elements += h * h + rank * rank;             // Gram matrices
  if (c.plot_overlaps) elements += 6 * h * d;  // SVD factors of W_k, W_k+1 and their difference
  const long double element_size = c.precision == Precision::kFloat64 ? 8 : 4;
  return element_size * elements + 64.0L * 1024 * 1024;
}

}  // namespace

std::size_t estimate_run_memory_bytes(const Config& config) {
  long double bytes = run_memory_bytes(config);
  const long double most = static_cast<long double>(std::numeric_limits<std::size_t>::max());
  return bytes >= most ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(bytes);
}

void check_memory_fits(const Config& config, std::uint64_t available_bytes) {
  long double needed = run_memory_bytes(config);
  if (needed <= static_cast<long double>(available_bytes)) return;
  throw InputError(fmt::format(
      "config needs about {:.1f} GB of memory (n={}, d={}, h={}, {}); this machine has {:.1f} GB "
      "available",
      static_cast<double>(needed / 1e9L), config.n, config.d, config.h,
      precision_name(config.precision), static_cast<double>(available_bytes) / 1e9));
}

std::uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kib) == 1)
      return static_cast<std::uint64_t>(kib) * 1024;
  }
  return 0;
}

void check_memory_fits(const Config& config) {
  // No MemAvailable (not Linux, or a restricted /proc): nothing to compare against.
  if (const std::uint64_t available = available_memory_bytes())
    check_memory_fits(config, available);
}

void check_memory_fits_together(const std::vector<const Config*>& configs,
                                std::uint64_t available_bytes) {
  if (configs.empty() || available_bytes == 0) return;
  long double needed = 0;
  for (const Config* c : configs) needed += run_memory_bytes(*c);
  if (needed <= static_cast<long double>(available_bytes)) return;
  throw InputError(fmt::format(
      "{} runs in flight need about {:.1f} GB of memory together; this machine has {:.1f} GB "
      "available (lower --jobs)",
      configs.size(), static_cast<double>(needed / 1e9L),
      static_cast<double>(available_bytes) / 1e9));
}

}  // namespace sih
