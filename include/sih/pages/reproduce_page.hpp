#pragma once
// The pages of `sih reproduce`: the index over every experiment and the claims table.
#include <string>

#include "sih/experiments/reproduce.hpp"

namespace sih {

// The index page.
std::string reproduce_index_html(const ReproduceOutcome& outcome, const ReproduceOptions& options);
std::string reproduce_claims_csv(const ReproduceOutcome& outcome);
}  // namespace sih
