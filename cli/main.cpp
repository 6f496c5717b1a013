// The `sih` executable: signal handling around the in-process command line (src/cli.cpp).
#include <csignal>
#include <iostream>

#include "sih/cli.hpp"
#include "sih/trainer.hpp"

namespace {
// Only records the signal: the training loop and sweep workers poll it between steps and
// unwind cleanly (staging folders removed, finished runs kept). A second signal while that
// is under way terminates at once, as kill -9 would (a re-run cleans up what is left).
void on_signal(int sig) {
  if (sih::g_interrupt_signal.exchange(sig) != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return sih::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
