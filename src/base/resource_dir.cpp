#include "sih/base/resource_dir.hpp"

#include <cstdlib>
#include <filesystem>

namespace sih {

namespace fs = std::filesystem;

std::string resource_dir(const char* env_var, const std::string& rel, const std::string& marker) {
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const std::string& prefix : {std::string("../"), std::string("../share/sih/")}) {
      const fs::path candidate = (exe.parent_path() / (prefix + rel)).lexically_normal();
      const bool found = marker.empty() ? fs::is_directory(candidate, ec)
                                        : fs::is_regular_file(candidate / marker, ec);
      if (found) return candidate.string();
    }
  }
#ifdef SIH_SOURCE_DIR
  return std::string(SIH_SOURCE_DIR) + "/" + rel;
#else
  return rel;
#endif
}

}  // namespace sih
