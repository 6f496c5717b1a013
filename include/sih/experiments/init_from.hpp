#pragma once
// The starting arrays of a run read from an `init_from` folder instead of generated.
#include <string>
#include <vector>

#include "sih/core/config.hpp"
#include "sih/core/data.hpp"

namespace sih {

// Loads beta, W0, a0, X_train, y_train, X_probe, y_probe, X_test, y_test (.npy preferred over
// .csv when both exist) and checks every shape against n, d, h, n_test; InputError otherwise.
// X_probe/y_probe are only required when fix_last_layer is true, b0 (h) only when bias is.
template <typename T>
Problem<T> load_problem(const std::string& dir, const Config& config);

// The arrays load_problem reads for this config, in reading order (names without extension).
std::vector<std::string> init_from_arrays(const Config& config);

// A hash (stable_hash_hex's) of the name, size and bytes of every file load_problem reads
// from config.init_from, so that editing an array gives a new run id; "" without init_from.
// A missing, non-regular or unreadable file is an InputError naming it.
std::string init_from_hash(const Config& config);

}  // namespace sih
