#pragma once
// The figures of `sih analyze --plot`.
#include <string>
#include <vector>

#include "sih/experiments/analyze.hpp"

namespace sih {

// --plot DIR: per matrix, DIR/<name>_esd.png (ESD histogram, the fitted MP density, spikes
// marked) and DIR/<name>_ccdf.png (empirical CCDF with the power-law fit above xmin), drawn by
// scripts/plot/analyze_esd.gp from the .dat files written beside them. Returns the PNGs.
// Throws InputError when gnuplot or the script is missing.
std::vector<std::string> write_analyze_plots(const std::vector<AnalyzeRow>& rows,
                                             const std::string& dir);

}  // namespace sih
