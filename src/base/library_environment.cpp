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
//    transparent huge pages, keeps freed memory for reuse (mmap and trim thresholds 32 MB and
//    256 MB) and grows its heap 64 MB at a time (top_pad). A first touch of a page is costly
//    on these VMs (~6-10 us): main.yml took ~40K faults with glibc's defaults, and a sweep's
//    next run faulted its memory again. The pad is for oneDNN's per-call packing buffers
//    (~3 MB each), which land above the previous one for the first steps: with glibc's
//    128 KB pad each met freshly grown heap in 4 KB pages (~700 faults a product). With all
//    three, ~2.7K faults and main.yml ~30% faster, the same bits (docs/PERFORMANCE.md,
//    "Memory: huge pages and reuse").
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
