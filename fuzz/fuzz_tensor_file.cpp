// libFuzzer target for sih::open_tensor_file and every TensorFile::load: the checkpoint
// readers (npy, safetensors, and each format of the formats layer). The first input byte picks
// the file's extension (the readers decide by content; the extension only matters for formats
// without magic bytes), the rest is the file. Only InputError is an acceptable outcome for bad
// input: any other exception escapes and libFuzzer reports it, as it does crashes, sanitizer
// findings and oversized allocations (-rss_limit_mb / -malloc_limit_mb).
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sih/formats/tensor_file.hpp"

namespace {

std::string TempDir() {
  const char* env = std::getenv("TMPDIR");
  if (env && *env) return env;
  return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";  // tmpfs: ~50x more runs
}

const char* const kExtensions[] = {".bin", ".onnx", ".gguf", ".pt", ".npz", ".safetensors"};
constexpr std::size_t kNumExtensions = sizeof kExtensions / sizeof kExtensions[0];

// The pid keeps parallel fuzzing jobs (-jobs/-workers) from sharing one file.
std::string PathFor(std::size_t k) {
  return TempDir() + "/sih_fuzz_tensor_" + std::to_string(::getpid()) + kExtensions[k];
}

void RemoveTempFiles() {
  for (std::size_t k = 0; k < kNumExtensions; ++k) std::remove(PathFor(k).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = std::atexit(RemoveTempFiles) == 0;
  (void)registered;
  if (size == 0) return 0;
  const std::string path = PathFor(data[0] % kNumExtensions);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness itself is broken; do not report a false negative
  if (size > 1 && std::fwrite(data + 1, 1, size - 1, f) != size - 1) std::abort();
  if (std::fclose(f) != 0) std::abort();
  try {
    const auto file = sih::open_tensor_file(path);
    for (std::size_t i = 0; i < file->tensors().size(); ++i) {
      const sih::TensorInfo& info = file->tensors()[i];
      if (!info.floating) continue;
      try {
        const sih::Tensor t = file->load(i);
        // A tensor that loads must be what the index said, and finite.
        std::size_t count = 1;
        for (auto s : info.shape) count *= static_cast<std::size_t>(s);
        if (t.shape != info.shape || t.data.size() != count) std::abort();
        for (double v : t.data)
          if (!std::isfinite(v)) std::abort();
      } catch (const sih::InputError&) {
      }
    }
  } catch (const sih::InputError&) {
  }
  return 0;
}
