// libFuzzer target for sih::read_array. The first input byte picks the reader (odd, e.g.
// ASCII "1": .npy; even, e.g. "0": .csv), as in the seeds in corpus/array/; the rest is the
// file content. Only InputError is an acceptable outcome for bad input: any other exception
// escapes and libFuzzer reports it, as it does crashes, sanitizer findings and oversized
// allocations (-rss_limit_mb / -malloc_limit_mb).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sih/formats/array_io.hpp"

namespace {

std::string TempDir() {
  const char* env = std::getenv("TMPDIR");
  if (env && *env) return env;
  // Every input goes through a real file: on tmpfs that is ~50x faster than a disk-backed
  // /tmp, which otherwise caps the run at a few hundred executions per second.
  return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

// The pid keeps parallel fuzzing jobs (-jobs/-workers) from sharing one file.
const std::string kStem = TempDir() + "/sih_fuzz_array_" + std::to_string(::getpid());
const std::string kCsvPath = kStem + ".csv";
const std::string kNpyPath = kStem + ".npy";

void RemoveTempFiles() {
  std::remove(kCsvPath.c_str());
  std::remove(kNpyPath.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = std::atexit(RemoveTempFiles) == 0;
  (void)registered;
  if (size == 0) return 0;
  const std::string& path = (data[0] & 1) ? kNpyPath : kCsvPath;

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness itself is broken; do not report a false negative
  if (size > 1 && std::fwrite(data + 1, 1, size - 1, f) != size - 1) std::abort();
  if (std::fclose(f) != 0) std::abort();

  try {
    const sih::MatD m = sih::read_array(path);
    // A successful read must produce a non-empty, finite matrix.
    if (m.size() == 0 || !m.allFinite()) std::abort();
  } catch (const sih::InputError&) {
  }
  return 0;
}
