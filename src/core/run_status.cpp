#include "sih/core/run_status.hpp"

namespace sih {

const char* run_status_name(RunStatus status) {
  return status == RunStatus::kOk ? "ok" : "diverged";
}

std::optional<RunStatus> run_status_from_name(const std::string& name) {
  if (name == "ok") return RunStatus::kOk;
  if (name == "diverged") return RunStatus::kDiverged;
  return std::nullopt;
}

}  // namespace sih
