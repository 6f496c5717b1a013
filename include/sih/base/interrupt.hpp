#pragma once
// The process's pending SIGINT/SIGTERM. The executable's handler stores the signal here; the
// long loops of every command (training steps, sweep workers, sweep planning, analyze's
// tensors, plot's figures, report) poll it and unwind with Interrupted, removing what they
// staged, so the first signal ends any command within about a second.
#include <atomic>

namespace sih {

// The signal number, 0 when none has arrived. Tests store into it to interrupt in-process.
std::atomic<int>& interrupt_signal();

// Throws Interrupted(signal) when a signal has arrived.
void throw_if_interrupted();

}  // namespace sih
