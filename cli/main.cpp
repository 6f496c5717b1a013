// The `sih` executable: the libraries' environment (re-exec), signal handling, and the in-process
// command line (src/commands/cli.cpp).

#include <csignal>
#include <iostream>

#include "sih/base/library_environment.hpp"
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
}  // namespace

int main(int argc, char** argv) {
  sih::pin_library_environment(argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return sih::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
