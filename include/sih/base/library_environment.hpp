#pragma once
// The environment sih's libraries read once, when they load, before main: OpenBLAS (used only
// for LAPACK), libgomp and glibc's malloc. sih sets what it needs and re-executes itself once
// (~2 ms) when something was missing; a value the user set is kept. SIH_NO_REEXEC=1 turns
// this off. The executable and the benchmarks (which measure what the executable runs) call it
// first thing in main.

namespace sih {

struct LibraryEnvironment {
  // OPENBLAS_NUM_THREADS=1 and OPENBLAS_CORETYPE=Haswell. The benchmarks leave them to
  // scripts/bench.sh, which also measures OpenBLAS unpinned.
  bool openblas = true;
};

// Sets the missing variables and re-executes /proc/self/exe with argv; returns (and the
// process carries on as it loaded) when nothing is missing, when SIH_NO_REEXEC is set, or when
// the re-exec fails.
void pin_library_environment(char** argv, LibraryEnvironment what = {});

}  // namespace sih
