#pragma once
// Deterministic, portable random numbers. std::normal_distribution is implementation-defined,
// so sih uses its own generator (xoshiro256**) and normal sampler (ziggurat, since sih 0.2; the
// Marsaglia polar method before): the same seed gives the same arrays with any compiler,
// standard library or thread count.
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace sih {

// Mixes (seed, stream name, index) into an independent 64-bit seed (splitmix64 finaliser over
// an FNV-1a hash of the name), so that every random object of a run or sweep has its own
// stream derived from the user's one `seed`.
std::uint64_t derive_seed(std::uint64_t seed, std::string_view stream, std::uint64_t index = 0);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next_u64();
  double uniform();       // in [0, 1)
  double uniform_open();  // in (0, 1)
  double normal();        // N(0, 1)
  // The ziggurat's slow path for a first draw (layer i, u) outside the layer's inner box.
  double normal_after_edge(int i, double u);
  // Uniform integer in [0, bound) without modulo bias.
  std::uint64_t below(std::uint64_t bound);

 private:
  std::uint64_t s_[4];
};

// Fills data[0..count) with N(0, 1) * scale. The array is cut into fixed chunks, each with
// its own stream derived from `seed`, and chunks are filled in parallel: the result does not
// depend on the number of threads.
template <typename T>
void fill_normal(T* data, std::size_t count, std::uint64_t seed, double scale = 1.0);

// Permutes data[0..n) uniformly at random in place (Fisher-Yates, from the end).
template <typename T>
void shuffle_in_place(T* data, long n, Rng& rng) {
  for (long i = n - 1; i > 0; --i) {
    const long j = static_cast<long>(rng.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(data[i], data[j]);
  }
}

// A uniformly random permutation of 0..n-1 (shuffle_in_place of 0, 1, ..., n-1).
std::vector<long> random_permutation(long n, Rng& rng);

}  // namespace sih
