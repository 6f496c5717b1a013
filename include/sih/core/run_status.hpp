#pragma once
// How a run ended, as the trainer reports it and summary.json and runs.csv record it. Here in
// the core so that the trainer and the reader of run folders (rundir) share it.
#include <optional>
#include <string>

namespace sih {

// A diverged run is a result (recorded in summary.json), not an error.
enum class RunStatus { kOk, kDiverged };
const char* run_status_name(RunStatus status);  // "ok" | "diverged"
// nullopt for any other name: the caller says which file held it.
std::optional<RunStatus> run_status_from_name(const std::string& name);

}  // namespace sih
