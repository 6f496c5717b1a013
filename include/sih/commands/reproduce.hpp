#pragma once
// `sih reproduce`: the paper's experiments run, plotted, reported and their claims checked,
// with one page over all of them (<out>/index.html) and claims.csv. docs/REPRODUCE.md.
#include <ostream>

#include "sih/experiments/reproduce.hpp"

namespace sih {

// Plans and validates every experiment and claim first (nothing is written on bad input),
// then runs the selected ones (resuming), plots, reports and checks them, and writes the page.
// Progress goes to `progress`.
ReproduceOutcome reproduce(const ReproduceOptions& options, std::ostream& progress);

}  // namespace sih
