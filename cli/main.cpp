// The `sih` executable: signal handling around the in-process command line (src/cli.cpp).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "sih/cli.hpp"

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
// sih pins OpenBLAS (used only for LAPACK) to one thread, but the pthread OpenBLAS starts its
// worker threads when the library loads, before main, from OPENBLAS_NUM_THREADS; unset, it
// starts one per core, and each spins (sched_yield) for ~0.1 s before sleeping. On 2 cores
// that spinner took a core from the data generation (~70 ms of a 0.8 s main.yml run). Only
// the environment at load time avoids it, so when the variable is unset sih sets it to 1 and
// re-executes itself once (~2 ms). SIH_NO_REEXEC=1 turns this off.
void start_without_openblas_threads(char** argv) {
  if (std::getenv("OPENBLAS_NUM_THREADS") || std::getenv("SIH_NO_REEXEC")) return;
  if (::setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // execv only returns on failure (no /proc, say): carry on with the threads.
}
}  // namespace

int main(int argc, char** argv) {
  start_without_openblas_threads(argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return sih::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
