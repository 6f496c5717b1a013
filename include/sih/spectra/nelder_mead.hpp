#pragma once
// A general bounded minimiser, as scipy 1.10's minimize(method='Nelder-Mead', bounds=...,
// tol=tol): the MP fit and the tail tests' distribution fits use it, and their anchors
// (weightwatcher, powerlaw) got their numbers from scipy's, so it follows scipy step by step.
#include <functional>
#include <vector>

namespace sih {

struct NelderMeadResult {
  std::vector<double> x;
  double fun = 0;
  int nfev = 0;
  int nit = 0;
  bool success = false;  // false when maxiter/maxfev (200 x dimension) stopped it
};
// Bounds: lower/upper per coordinate (+-inf = none; empty vectors = unbounded); vertices are
// clipped to them as scipy does. xatol = fatol = tol.
NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                             std::vector<double> x0, const std::vector<double>& lower,
                             const std::vector<double>& upper, double tol);

}  // namespace sih
