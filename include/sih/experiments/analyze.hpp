#pragma once
// The analysis behind `sih analyze PATH...`: the ESD diagnostics of esd_diagnostics.hpp for weight
// matrices a user brings (.npy, .csv, .safetensors, sih run folders), one row per matrix
// (docs/OUTPUT.md, "sih analyze").
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sih/core/metrics_schema.hpp"
#include "sih/formats/matrix_readers.hpp"
#include "sih/spectra/esd_diagnostics.hpp"

namespace sih {

struct AnalyzeOptions {
  std::vector<std::string> paths;
  std::string out_file;        // "" = stdout
  std::string format = "csv";  // csv | json
  std::string plot_dir;        // "" = no plots
  int jobs = 0;                // threads across matrices; 0 = min(matrices, cores)
  bool keep_going = false;     // analyse the good inputs when some are bad (exit 2 anyway)
  bool quiet = false;          // no progress bar / notes on stderr
  int pl_bootstrap = 0;        // bootstrap GOF samples (0 = off)
  std::uint64_t seed = 0;
  // standard deviation of the initial entries, for mp_lambda_plus_init / num_spikes_init;
  // NaN = unknown (sih run folders: W's init is N(0, 1), so 1 for *_W.npy)
  double init_std = std::numeric_limits<double>::quiet_NaN();
  double tpl_alpha_max = std::numeric_limits<double>::infinity();
};

// One analysed matrix.
struct AnalyzeRow {
  std::string name;    // file stem, safetensors key or run weight name
  std::string source;  // the file it came from
  std::string shape;   // as stored, e.g. 768x3072 or 64x32x3x3
  std::string dtype;
  double N = 0, M = 0;
  long rf = 1;
  VecD eigs;            // pooled ascending eigenvalues (for plots)
  EsdDiagnostics diag;  // the whole fit (the plots draw its MP and power-law fits)
  MetricsRow metrics;   // the written columns (metrics_schema.hpp's analyze columns)
};

// A matrix to analyse, as read.
struct AnalyzeInput {
  std::string name, source;
  Tensor tensor;          // empty while lazy_npy
  bool lazy_npy = false;  // a .npy file read by the worker that analyses it (source)
  double init_variance = std::numeric_limits<double>::quiet_NaN();
};

// Expands the paths into matrices. Bad inputs throw InputError, or with keep_going are
// reported on `err` (one line each) and counted in *errors. Notes (skipped tensors) go to
// `err` unless quiet.
std::vector<AnalyzeInput> collect_analyze_inputs(const AnalyzeOptions& opt, std::ostream& err,
                                                 int* errors);

// The diagnostics of one input (pooled eigenvalues of weightwatcher's matrices of the tensor;
// a lazy .npy input is read first).
AnalyzeRow analyze_input(const AnalyzeInput& in, const AnalyzeOptions& opt);

// CSV (header + one line per row, 17 significant digits, empty cell = NaN) or JSON.
std::string analyze_csv(const std::vector<AnalyzeRow>& rows);
std::string analyze_json(const std::vector<AnalyzeRow>& rows);

// Validates the options, reads and analyses every input (in parallel across matrices) and
// returns the rows of the good ones in input order. Bad inputs throw InputError, or with
// keep_going are reported on `err` and counted in *bad_inputs.
std::vector<AnalyzeRow> analyze_all(const AnalyzeOptions& opt, std::ostream& err, int* bad_inputs);
}  // namespace sih
