#include "sih/core/rng.hpp"

#include <cmath>

#include "sih/core/parallel.hpp"

namespace sih {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Chunk size for parallel normal filling: large enough to amortise the seeding, small
// enough to balance two threads on the smallest arrays we care about.
constexpr std::size_t kChunk = 1 << 15;

}  // namespace

std::uint64_t derive_seed(std::uint64_t seed, std::string_view stream, std::uint64_t index) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : stream) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  std::uint64_t state = seed ^ rotl(h, 17);
  std::uint64_t a = splitmix64(state);
  state ^= index * 0xD1B54A32D192ED03ULL;
  return a ^ splitmix64(state);
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (auto& s : s_) s = splitmix64(state);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

namespace {

// Ziggurat tables (Marsaglia & Tsang 2000 in Doornik's ZIGNOR form, 2005: 128 layers,
// R = 3.442619855899, V = 9.91256303526217e-3). x[i] are the layer edges, ratio[i] =
// x[i+1] / x[i] the share of layer i inside the density. Built once from std::exp/std::log,
// which are correctly rounded enough here that every libm gives the same doubles.
struct ZigguratTables {
  static constexpr int kLayers = 128;
  static constexpr double kR = 3.442619855899;
  static constexpr double kV = 9.91256303526217e-3;
  double x[kLayers + 1];
  double ratio[kLayers];
  ZigguratTables() {
    double f = std::exp(-0.5 * kR * kR);
    x[0] = kV / f;  // the bottom layer: a box of area V plus the tail beyond R
    x[1] = kR;
    x[kLayers] = 0;
    for (int i = 2; i < kLayers; ++i) {
      x[i] = std::sqrt(-2 * std::log(kV / x[i - 1] + f));
      f = std::exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < kLayers; ++i) ratio[i] = x[i + 1] / x[i];
  }
};

const ZigguratTables& ziggurat() {
  static const ZigguratTables t;
  return t;
}

}  // namespace

// Ziggurat sampling: ~98.8% of draws are one 64-bit random number, a table lookup and a
// multiply (the Marsaglia polar method this replaced needed a log, a sqrt and a division per
// pair, and took 85% of data generation). Bits 0-6 pick the layer, bits 11-63 give
// u in (-1, 1); the rare wedge and tail cases fall back to exact rejection sampling.
namespace {

struct ZigguratDraw {
  int layer;
  double u;
};
inline ZigguratDraw split_draw(std::uint64_t r) {
  return {static_cast<int>(r & 0x7F), (static_cast<double>(r >> 11) + 0.5) * 0x1.0p-52 - 1.0};
}

// One normal: the common case (a draw inside its layer's inner box) inline, the rest in
// Rng::normal_after_edge.
inline double draw_normal(Rng& rng, const ZigguratTables& z) {
  const ZigguratDraw d = split_draw(rng.next_u64());
  return std::abs(d.u) < z.ratio[d.layer] ? d.u * z.x[d.layer]
                                          : rng.normal_after_edge(d.layer, d.u);
}

}  // namespace

double Rng::normal() { return draw_normal(*this, ziggurat()); }

// The rest of a draw whose first number fell outside its layer's inner box: the tail, or the
// wedge and, if that rejects, a fresh draw.
double Rng::normal_after_edge(int i, double u) {
  const ZigguratTables& z = ziggurat();
  if (i == 0) {
    // Tail beyond R (Marsaglia 1964): exact, from two uniforms in (0, 1).
    double x, y;
    do {
      x = std::log(uniform_open()) / ZigguratTables::kR;
      y = std::log(uniform_open());
    } while (-2 * y < x * x);
    return u < 0 ? x - ZigguratTables::kR : ZigguratTables::kR - x;
  }
  // Wedge between layers i and i+1: accept under the density.
  const double x = u * z.x[i];
  const double f0 = std::exp(-0.5 * (z.x[i] * z.x[i] - x * x));
  const double f1 = std::exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - x * x));
  if (f1 + uniform() * (f0 - f1) < 1.0) return x;
  return draw_normal(*this, z);  // rejected (~1% of wedge visits): start over
}

double Rng::uniform_open() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

std::uint64_t Rng::below(std::uint64_t bound) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % bound;
}

std::uint64_t Rng::bounded(std::uint64_t bound) {
  // Lemire (2019), "Fast random integer generation in an interval": the high word of x * bound
  // is uniform once the low word's biased range (below 2^64 mod bound) is rejected.
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

template <typename T>
void fill_normal(T* data, std::size_t count, std::uint64_t seed, double scale) {
  const std::ptrdiff_t chunks = static_cast<std::ptrdiff_t>((count + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) num_threads(threads_for_elements(double(count)))
  for (std::ptrdiff_t c = 0; c < chunks; ++c) {
    Rng rng(derive_seed(seed, "normal-chunk", static_cast<std::uint64_t>(c)));
    const std::size_t begin = static_cast<std::size_t>(c) * kChunk;
    const std::size_t end = std::min(count, begin + kChunk);
    // Rng::normal() with its common case inlined (2x faster; the same numbers).
    const ZigguratTables& z = ziggurat();
    for (std::size_t i = begin; i < end; ++i) data[i] = static_cast<T>(draw_normal(rng, z) * scale);
  }
}

template void fill_normal<float>(float*, std::size_t, std::uint64_t, double);
template void fill_normal<double>(double*, std::size_t, std::uint64_t, double);

std::vector<long> random_permutation(long n, Rng& rng) {
  std::vector<long> p(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) p[i] = i;
  for (long i = n - 1; i > 0; --i) {
    const long j = static_cast<long>(rng.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(p[i], p[j]);
  }
  return p;
}

}  // namespace sih
