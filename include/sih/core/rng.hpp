#pragma once
// Deterministic, portable random numbers. std::normal_distribution is implementation-defined,
// so sih uses its own generator (xoshiro256**) and normal sampler (ziggurat, since sih 0.2; the
// Marsaglia polar method before): the same seed gives the same arrays with any compiler,
// standard library or thread count.
#include <algorithm>
#include <array>
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
  // The same distribution by Lemire's multiply-shift (a 128-bit product; a division only in the
  // rare rejection), several times faster than below()'s two divisions, but another stream.
  std::uint64_t bounded(std::uint64_t bound);

 private:
  std::uint64_t s_[4];
};

// Fills data[0..count) with N(0, 1) * scale. The array is cut into fixed chunks, each with
// its own stream derived from `seed`, and chunks are filled in parallel: the result does not
// depend on the number of threads.
template <typename T>
void fill_normal(T* data, std::size_t count, std::uint64_t seed, double scale = 1.0);

// Permutes data[0..n) uniformly at random in place. Up to 2^15 values: Fisher-Yates from the
// end (bounded()). Beyond, Fisher-Yates's random swaps miss the cache on every step (a
// 768 x 3072 float64 matrix is 19 MB), so one Rao-Sandelius pass comes first: each value goes
// to one of 256 buckets uniformly at random (sequential writes to 256 streams), then each
// bucket is shuffled the same way and the buckets are concatenated. A uniform order within
// uniformly filled buckets is a uniform permutation of the whole.
template <typename T>
void shuffle_in_place(T* data, long n, Rng& rng) {
  constexpr long kDirect = 1L << 15;
  if (n <= kDirect) {
    for (long i = n - 1; i > 0; --i) {
      const long j = static_cast<long>(rng.bounded(static_cast<std::uint64_t>(i + 1)));
      std::swap(data[i], data[j]);
    }
    return;
  }
  constexpr int kBuckets = 256;
  std::vector<std::uint8_t> bucket(static_cast<std::size_t>(n));
  std::array<long, kBuckets + 1> start{};
  for (long i = 0; i < n; ++i) {
    bucket[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(rng.next_u64() >> 56);
    ++start[bucket[static_cast<std::size_t>(i)] + 1];
  }
  for (int b = 0; b < kBuckets; ++b) start[b + 1] += start[b];
  std::vector<T> out(static_cast<std::size_t>(n));
  std::array<long, kBuckets + 1> next = start;
  for (long i = 0; i < n; ++i) out[next[bucket[static_cast<std::size_t>(i)]]++] = data[i];
  for (int b = 0; b < kBuckets; ++b)
    shuffle_in_place(out.data() + start[b], start[b + 1] - start[b], rng);
  std::copy(out.begin(), out.end(), data);
}

// A uniformly random permutation of 0..n-1 (Fisher-Yates by below(): the stream runs have
// always shuffled their batches with).
std::vector<long> random_permutation(long n, Rng& rng);

}  // namespace sih
