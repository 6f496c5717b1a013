#pragma once
// How much memory a run needs, and the check that refuses a run (or a set of runs in flight)
// that cannot fit before anything is computed or written.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sih/core/config.hpp"

namespace sih {

// Rough peak memory (bytes) a run with this config needs.
std::size_t estimate_run_memory_bytes(const Config& config);
// MemAvailable from /proc/meminfo; 0 when unknown.
std::uint64_t available_memory_bytes();
// InputError with the figures when the run cannot fit in the memory available here.
void check_memory_fits(const Config& config);
// The same check against a given number of available bytes, so that the refusal can be
// tested independently of the machine.
void check_memory_fits(const Config& config, std::uint64_t available_bytes);
// Runs executed together (a sweep's jobs): their summed need against the available bytes.
void check_memory_fits_together(const std::vector<const Config*>& configs,
                                std::uint64_t available_bytes);

}  // namespace sih
