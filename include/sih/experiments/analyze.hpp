#pragma once
// The analysis behind `sih analyze PATH...`: the ESD diagnostics of esd_diagnostics.hpp for weight
// matrices a user brings (any checkpoint a reader of formats/tensor_file.hpp opens, .csv, sih
// run folders), one row per matrix (docs/OUTPUT.md, "sih analyze"; docs/CHECKPOINTS.md).
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sih/core/metrics_schema.hpp"
#include "sih/formats/matrix_readers.hpp"
#include "sih/formats/tensor_file.hpp"
#include "sih/spectra/esd_diagnostics.hpp"

namespace sih {

struct AnalyzeOptions {
  std::vector<std::string> paths;
  std::string out_file;  // "" = stdout
  // A folder for every output: analyze.csv (or .json), summary.json, compare.csv
  // (docs/OUTPUT.md); "" = none. Exclusive with out_file.
  std::string out_dir;
  std::string compare;         // BASE checkpoint of --compare; "" = none
  std::string format = "csv";  // csv | json
  std::string plot_dir;        // "" = no plots
  int jobs = 0;                // threads across matrices; 0 = min(matrices, cores)
  bool keep_going = false;     // analyse the good inputs when some are bad (exit 2 anyway)
  bool quiet = false;          // no progress bar / notes on stderr
  int pl_bootstrap = 0;        // bootstrap GOF samples (0 = off)
  // Each matrix's entries permuted and its ESD compared with the original: the rand_* columns
  // and correlation_trap (analyze_randomize.hpp); off, they are empty and cost nothing.
  bool randomize = false;
  std::uint64_t seed = 0;  // of the bootstrap and of --randomize's permutations
  // standard deviation of the initial entries, for mp_lambda_plus_init / num_spikes_init;
  // NaN = unknown (sih run folders: W's init is N(0, 1), so 1 for *_W.npy)
  double init_std = std::numeric_limits<double>::quiet_NaN();
  double tpl_alpha_max = std::numeric_limits<double>::infinity();
  // Which tensors (weightwatcher's filters): names matching `layers` (ECMAScript regex,
  // searched; "" = all), with at least min_evals and, when max_evals > 0, at most max_evals
  // eigenvalues (weightwatcher: 10 and 15000; sih has no upper bound by default).
  std::string layers;
  long min_evals = 10;
  long max_evals = 0;
  // Conv kernels (out, in, kh, kw): "slices" (weightwatcher's default: the kh*kw slices of
  // out x in, eigenvalues pooled) or "flatten" (one out x in*kh*kw matrix).
  std::string conv = "slices";
  // --plot without DIR: the figures of the page into out_dir/plots (--plot DIR: plot_dir)
  bool plot_into_out_dir = false;
};

// One analysed matrix.
struct AnalyzeRow {
  std::string name;    // file stem, safetensors key or run weight name
  std::string source;  // the file it came from
  std::string shape;   // as stored, e.g. 768x3072 or 64x32x3x3
  std::string dtype;
  std::string kind;  // layer_kind.hpp: embedding, attention_q, mlp, conv, ...
  double N = 0, M = 0;
  long rf = 1;
  VecD eigs;            // pooled ascending eigenvalues (for plots)
  EsdDiagnostics diag;  // the whole fit (the plots draw its MP and power-law fits)
  MetricsRow metrics;   // the written columns (metrics_schema.hpp's analyze columns)
};

// A matrix to analyse: in memory (.csv, run folders), or a tensor of a checkpoint decoded by
// the worker that analyses it (so only the tensors in flight are in memory).
struct AnalyzeInput {
  std::string name, source, kind;
  Tensor tensor;                           // empty until loaded when `file` is set
  std::shared_ptr<const TensorFile> file;  // the tensor's file, or null (in memory)
  std::size_t index = 0;                   // the tensor in `file`
  double init_variance = std::numeric_limits<double>::quiet_NaN();
  // The shape and dtype, known before the tensor is decoded.
  const std::vector<std::int64_t>& shape() const {
    return file ? file->tensors()[index].shape : tensor.shape;
  }
};

// Expands the paths into matrices. Bad inputs throw InputError, or with keep_going are
// reported on `err` (one line each) and counted in *errors. Notes (skipped tensors) go to
// `err` unless quiet.
std::vector<AnalyzeInput> collect_analyze_inputs(const AnalyzeOptions& opt, std::ostream& err,
                                                 int* errors);

// The diagnostics of one input (pooled eigenvalues of weightwatcher's matrices of the tensor;
// a tensor of a file is decoded first).
AnalyzeRow analyze_input(const AnalyzeInput& in, const AnalyzeOptions& opt);

// With opt.randomize, fills row's --randomize columns from `tensor` (the row's tensor, decoded;
// move it in when done with it: it is permuted in place) permuted; without, does nothing.
void add_randomized(Tensor tensor, const AnalyzeOptions& opt, AnalyzeRow& row);

// CSV (header + one line per row, 17 significant digits, empty cell = NaN) or JSON.
std::string analyze_csv(const std::vector<AnalyzeRow>& rows);
// One CSV cell of analyze's tables: empty for NaN, "inf"/"-inf", integers without a decimal
// point, else 17 significant digits (text fields: csv_field, formats/csv_table.hpp).
std::string analyze_cell(double v);
std::string analyze_json(const std::vector<AnalyzeRow>& rows);

// InputError naming the option when one is out of range (--format, --jobs, --conv, ...).
void check_analyze_options(const AnalyzeOptions& opt);

// Validates the options, reads and analyses every input (in parallel across matrices) and
// returns the rows of the good ones in input order. Bad inputs throw InputError, or with
// keep_going are reported on `err` and counted in *bad_inputs.
std::vector<AnalyzeRow> analyze_all(const AnalyzeOptions& opt, std::ostream& err, int* bad_inputs);
}  // namespace sih
