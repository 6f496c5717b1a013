#pragma once
// The `sih` command line as a library function, so that tests run it in-process.
#include <atomic>
#include <ostream>
#include <string>
#include <vector>

namespace sih {

// Runs `sih args...` (args without the program name). Results go to `out` (stdout stays
// parseable: the last line is the output folder), logs and errors to `err`. Returns the exit
// status: 0 success, 2 bad input, 1 internal failure or results not writable (disk full),
// 128+signal when interrupted.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The signal that interrupts the commands run_cli runs (0 = none): the executable's
// SIGINT/SIGTERM handler stores the signal here, and runs and sweeps poll it between steps.
std::atomic<int>& cli_interrupt_signal();

}  // namespace sih
