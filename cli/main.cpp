// The `sih` executable: signal handling around the in-process command line (src/commands/cli.cpp).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "sih/commands/cli.hpp"

namespace {
// Only records the signal: the training loop and sweep workers poll it between steps and
// unwind cleanly (staging folders removed, finished runs kept). A second signal while that
// is under way terminates at once, as kill -9 would (a re-run cleans up what is left).
void on_signal(int sig) {
  if (sih::cli_interrupt_signal().exchange(sig) != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
// OpenBLAS (used only for LAPACK) and libgomp read their environment once, when the libraries
// load, before main; so sih sets what it needs and re-executes itself once (~2 ms) when
// something is missing. SIH_NO_REEXEC=1 turns this off.
//  - OPENBLAS_NUM_THREADS=1: unset, the pthread OpenBLAS starts one worker per core, each
//    spinning (sched_yield) ~0.1 s before sleeping; on 2 cores that took a core from the data
//    generation (~70 ms of a 0.8 s main.yml run).
//  - OPENBLAS_CORETYPE=Haswell (its AVX2 kernels) when the CPU has AVX2 and FMA: unset, Debian's
//    OpenBLAS 0.3.21 picks its AVX-512 kernels on AVX-512 CPUs, whose eigenvalues differ in the
//    last digits, so a bare `sih` and the scripts (which pin Haswell) gave other numbers for the
//    same config and seed. A value set by the user is kept (docs/RELIABILITY.md).
//  - GOMP_SPINCOUNT=1000 unless GOMP_SPINCOUNT or OMP_WAIT_POLICY is set: libgomp's default
//    lets an idle OpenMP thread spin 300000 pause instructions before it sleeps, which its
//    authors estimate at 3 ms but which takes ~36 ms on these VMs (120 ns per pause). Beside
//    another process those spins burn the CPU it needs: main.yml beside another run took 1.8x
//    longer and 1.8x the CPU time with the default (docs/PERFORMANCE.md, "Two processes on one
//    machine"). 1000 spins (~0.1 ms here) still bridge the short gaps between a training
//    step's parallel regions.
void pin_library_environment(char** argv) {
  if (std::getenv("SIH_NO_REEXEC")) return;
  bool changed = false;
  if (!std::getenv("OPENBLAS_NUM_THREADS")) {
    if (::setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
    changed = true;
  }
  if (!std::getenv("OPENBLAS_CORETYPE") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma")) {
    if (::setenv("OPENBLAS_CORETYPE", "Haswell", 1) != 0) return;
    changed = true;
  }
  if (!std::getenv("GOMP_SPINCOUNT") && !std::getenv("OMP_WAIT_POLICY")) {
    if (::setenv("GOMP_SPINCOUNT", "1000", 1) != 0) return;
    changed = true;
  }
  if (!changed) return;
  ::execv("/proc/self/exe", argv);
  // execv only returns on failure (no /proc, say): carry on with OpenBLAS as it loaded.
}
}  // namespace

int main(int argc, char** argv) {
  pin_library_environment(argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return sih::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
