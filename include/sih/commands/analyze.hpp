#pragma once
// `sih analyze PATH...` (docs/OUTPUT.md, "sih analyze"): the rows of experiments/analyze.hpp
// written as CSV or JSON to stdout or --out, and the figures of --plot.
#include <ostream>

#include "sih/experiments/analyze.hpp"

namespace sih {

// The whole command; returns the exit status (0, or 2 when some input was bad).
int run_analyze(const AnalyzeOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace sih
