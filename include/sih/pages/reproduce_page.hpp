#pragma once
// The pages of `sih reproduce`: the index over every experiment and the claims table.
#include <string>

#include "sih/experiments/reproduce.hpp"

namespace sih {

// The index page.
std::string reproduce_index_html(const ReproduceOutcome& outcome, const ReproduceOptions& options);
// The data of a threshold figure (scripts/plot/thresholds.gp): one block per fit group, the
// thresholds found against the fit axis with the fitted power law. Empty without a fit.
std::string thresholds_dat(const ThresholdSpec& spec, const ThresholdResult& r);

std::string reproduce_claims_csv(const ReproduceOutcome& outcome);
}  // namespace sih
