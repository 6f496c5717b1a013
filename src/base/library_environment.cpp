#include "sih/base/library_environment.hpp"

#include <unistd.h>

#include <cstdlib>

namespace sih {

namespace {

// Sets `name` to `value` unless it is set; true when it set it.
bool set_if_unset(const char* name, const char* value) {
  return !std::getenv(name) && ::setenv(name, value, 1) == 0;
}

}  // namespace

// What each variable is for:
//  - OPENBLAS_NUM_THREADS=1: unset, the pthread OpenBLAS starts one worker per core, each
//    spinning (sched_yield) ~0.1 s before sleeping; on 2 cores that took a core from the data
//    generation (~70 ms of a 0.8 s main.yml run).
//  - OPENBLAS_CORETYPE=Haswell (its AVX2 kernels) when the CPU has AVX2 and FMA: unset, Debian's
//    OpenBLAS 0.3.21 picks its AVX-512 kernels on AVX-512 CPUs, whose eigenvalues differ in the
//    last digits, so a bare `sih` and the scripts (which pin Haswell) gave other numbers for the
//    same config and seed (docs/RELIABILITY.md).
//  - GOMP_SPINCOUNT=1000 unless GOMP_SPINCOUNT or OMP_WAIT_POLICY is set: libgomp's default
//    lets an idle OpenMP thread spin 300000 pause instructions before it sleeps, which its
//    authors estimate at 3 ms but which takes ~36 ms on these VMs (120 ns per pause). Beside
//    another process those spins burn the CPU it needs: main.yml beside another run took 1.8x
//    longer and 1.8x the CPU time with the default (docs/PERFORMANCE.md, "Two processes on one
//    machine"). 1000 spins (~0.1 ms here) still bridge the short gaps between a training
//    step's parallel regions.
//  - GLIBC_TUNABLES (set it empty for glibc's defaults): malloc backs its memory with
//    transparent huge pages and keeps freed memory for reuse (mmap and trim thresholds 32 MB
//    and 256 MB), and grows its heap 64 MB at a time (top_pad). main.yml takes ~40K page
//    faults with glibc's defaults, every one a first touch (~6-10 us each on these VMs), and a
//    sweep's next run faults its memory again. With huge pages and reuse, ~9K faults. Most
//    of the rest were oneDNN's per-call packing buffers (posix_memalign, ~3 MB), which land
//    above the previous one for the first ~6 steps (traced), each on fresh memory: with
//    glibc's 128 KB top pad that memory came in 4 KB pages (~700 faults per product). Grown
//    64 MB at a time, the heap has huge pages ahead of them: ~2.7K faults, main.yml
//    0.54-0.59 s against 0.60-0.75 s, the same bits (docs/PERFORMANCE.md, "Memory: huge
//    pages and reuse").
void pin_library_environment(char** argv, LibraryEnvironment what) {
  if (std::getenv("SIH_NO_REEXEC")) return;
  bool changed = false;
  if (what.openblas) {
    changed |= set_if_unset("OPENBLAS_NUM_THREADS", "1");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      changed |= set_if_unset("OPENBLAS_CORETYPE", "Haswell");
  }
  if (!std::getenv("OMP_WAIT_POLICY")) changed |= set_if_unset("GOMP_SPINCOUNT", "1000");
  changed |= set_if_unset("GLIBC_TUNABLES",
                          "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
                          "glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=67108864");
  if (!changed) return;
  ::execv("/proc/self/exe", argv);
  // execv only returns on failure (no /proc, say): carry on with the libraries as they loaded.
}

}  // namespace sih
