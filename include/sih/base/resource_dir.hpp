#pragma once
// The folders of files sih reads at run time (the gnuplot scripts, the paper configs), found
// the same way wherever the binary runs.
#include <string>

namespace sih {

// $env_var when set and non-empty; else <folder of the executable>/../rel (a build tree inside
// the source tree) or <folder of the executable>/../share/sih/rel (installed) when it holds
// `marker` (a file name; empty: the folder exists); else the source tree's `rel`.
std::string resource_dir(const char* env_var, const std::string& rel, const std::string& marker);

}  // namespace sih
