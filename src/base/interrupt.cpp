#include "sih/base/interrupt.hpp"

#include "sih/base/types.hpp"

namespace sih {

std::atomic<int>& interrupt_signal() {
  static std::atomic<int> signal{0};
  return signal;
}

void throw_if_interrupted() {
  if (const int sig = interrupt_signal().load(std::memory_order_relaxed)) throw Interrupted(sig);
}

}  // namespace sih
