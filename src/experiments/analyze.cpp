#include "sih/experiments/analyze.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <regex>

#include "sih/base/interrupt.hpp"
#include "sih/base/text.hpp"
#include "sih/core/config.hpp"
#include "sih/core/parallel.hpp"
#include "sih/experiments/analyze_peft.hpp"
#include "sih/experiments/analyze_randomize.hpp"
#include "sih/experiments/layer_kind.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/formats/csv_table.hpp"
#include "sih/formats/mapped_file.hpp"
#include "sih/spectra/spectral.hpp"
#include "sih/spectra/weight_gram.hpp"

extern "C" void openblas_set_num_threads(int);

namespace sih {

namespace fs = std::filesystem;

namespace {

bool ends_with_nocase(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

// M x rf of weightwatcher's matrices of a tensor (see weight_matrices), for the conv policy.
long num_eigenvalues(const std::vector<std::int64_t>& sh, const std::string& conv) {
  if (sh.size() == 4 && conv == "slices") {
    const bool torch_layout = sh[0] + sh[1] >= sh[2] + sh[3];
    return static_cast<long>(torch_layout ? std::min(sh[0], sh[1]) * sh[2] * sh[3]
                                          : std::min(sh[2], sh[3]) * sh[0] * sh[1]);
  }
  long rest = 1;
  for (std::size_t k = 1; k < sh.size(); ++k) rest *= static_cast<long>(sh[k]);
  return std::min<long>(static_cast<long>(sh[0]), rest);
}

// Tensors of a file left out, by reason, for one note line per reason.
struct Skipped {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_reason;
  void add(const std::string& reason, const std::string& name) {
    for (auto& [r, names] : by_reason)
      if (r == reason) return names.push_back(name);
    by_reason.push_back({reason, {name}});
  }
};

void report_skipped(const std::string& path, const Skipped& skipped, std::ostream& err) {
  constexpr std::size_t kShown = 6;
  for (const auto& [reason, names] : skipped.by_reason) {
    std::string list;
    for (std::size_t k = 0; k < std::min(names.size(), kShown); ++k)
      list += (k ? ", " : "") + names[k];
    if (names.size() > kShown) list += fmt::format(" and {} more", names.size() - kShown);
    err << fmt::format("[sih] {}: skipped {} {}: {}\n", path, names.size(),
                       names.size() == 1 ? "tensor" : "tensors", reason) +
               "      " + list + '\n';
  }
}

// The tensors of a checkpoint that analyze takes, by weightwatcher's rules: floating, rank
// >= 2 (1-D biases and norms are listed as skipped), enough eigenvalues, the --layers regex.
void collect_file(const std::string& path, const AnalyzeOptions& opt, const std::regex* layers,
                  std::ostream& err, std::vector<AnalyzeInput>& out) {
  std::shared_ptr<const TensorFile> file = open_tensor_file(path);
  const auto& infos = file->tensors();
  const bool single = infos.size() == 1 && infos[0].name.empty();
  Skipped skipped;
  std::size_t taken = 0, filtered = 0;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const TensorInfo& info = infos[i];
    const std::string name = single ? fs::path(path).stem().string() : info.name;
    if (layers != nullptr && !std::regex_search(name, *layers)) {
      ++filtered;
      continue;
    }
    if (!info.floating) {
      const bool quantized = info.dtype.rfind("q", 0) == 0 || info.dtype.rfind("iq", 0) == 0 ||
                             info.dtype.rfind("tq", 0) == 0;
      skipped.add(quantized ? "quantized as " + info.dtype + ", which sih does not decode"
                            : "not floating point (" + info.dtype + ")",
                  name);
      continue;
    }
    if (info.shape.size() < 2) {
      if (single)
        throw InputError(path + ": a 1-D array (shape " + shape_text(info.shape) +
                         "); analyze needs a matrix");
      skipped.add("1-D (biases, norms, scales)", name);
      continue;
    }
    const long evals = num_eigenvalues(info.shape, opt.conv);
    if (evals < opt.min_evals) {
      skipped.add(fmt::format("fewer than {} eigenvalues (--min-evals)", opt.min_evals), name);
      continue;
    }
    if (opt.max_evals > 0 && evals > opt.max_evals) {
      skipped.add(fmt::format("more than {} eigenvalues (--max-evals)", opt.max_evals), name);
      continue;
    }
    AnalyzeInput in;
    in.name = name;
    in.source = path;
    in.kind = layer_kind(name, info.shape);
    in.file = file;
    in.index = i;
    in.init_variance = opt.init_std * opt.init_std;
    out.push_back(std::move(in));
    ++taken;
  }
  if (opt.quiet) return;
  if (!single || taken == 0)
    err << fmt::format("[sih] {}: {} reader, {} tensors: {} to analyse{}\n", path, file->reader(),
                       infos.size(), taken,
                       filtered ? fmt::format(", {} not matching --layers", filtered) : "");
  report_skipped(path, skipped, err);
}

// Reads one path into inputs; throws InputError for a bad one.
void collect_one(const std::string& path, const AnalyzeOptions& opt, const std::regex* layers,
                 std::ostream& err, std::vector<AnalyzeInput>& out) {
  const double s2 = opt.init_std * opt.init_std;
  std::error_code ec;
  if (is_peft_adapter(path))
    throw InputError(path +
                     ": a PEFT adapter folder: give the base model with --compare BASE (the "
                     "adapter's updates are analysed on the base's weights)");
  if (fs::is_directory(path, ec) && !is_huggingface_folder(path)) {
    const fs::path weights = fs::path(path) / "weights";
    if (!fs::is_directory(weights, ec))
      throw InputError(path +
                       ": a folder but neither a sih run folder (no weights/; run with "
                       "save_weights: true) nor a HuggingFace model folder (no model.safetensors, "
                       "pytorch_model.bin or their .index.json)");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(weights))
      if (ends_with_nocase(e.path().string(), ".npy")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      throw_if_interrupted();
      AnalyzeInput in;
      in.tensor = read_npy_tensor(f.string());
      if (in.tensor.shape.size() < 2) continue;  // the second layer a: a vector
      in.name = f.stem().string();
      in.source = f.string();
      in.kind = "other";
      // sih initialises W with N(0, 1) entries (docs/MODEL.md §2)
      const bool is_w = in.name.size() >= 2 && in.name.compare(in.name.size() - 2, 2, "_W") == 0;
      in.init_variance = !std::isnan(s2) ? s2 : (is_w ? 1.0 : s2);
      out.push_back(std::move(in));
    }
    if (files.empty()) throw InputError(weights.string() + ": no .npy weights in the folder");
    return;
  }
  if (!fs::exists(path, ec)) throw InputError(path + ": no such file or folder");
  if (!ends_with_nocase(path, ".csv")) return collect_file(path, opt, layers, err, out);
  AnalyzeInput in;
  const MatD m = read_array(path);
  in.tensor.shape = {m.rows(), m.cols()};
  in.tensor.dtype = "float64";
  in.tensor.data.resize(static_cast<std::size_t>(m.size()));
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c)
      in.tensor.data[static_cast<std::size_t>(r * m.cols() + c)] = m(r, c);
  in.name = fs::path(path).stem().string();
  in.source = path;
  in.kind = "other";
  in.init_variance = s2;
  out.push_back(std::move(in));
}

// Values whose squares could overflow float64 in the Gram product are refused before LAPACK
// sees them (an Inf in the Gram matrix made the eigensolver fail as an internal error, "LAPACK
// info 39"). Refusing rather than rescaling: a bound of sqrt(DBL_MAX / k), k the length each
// Gram entry sums over, is far beyond any trained weight (1.3e151 for k = 10^6), and
// eigenvalues near 1e308 would overflow the diagnostics computed from them anyway.
template <typename T>
void check_squares_fit(const T* w, std::size_t count, double summed, const std::string& path,
                       const std::string& name) {
  const double bound = std::sqrt(std::numeric_limits<double>::max() / std::max(summed, 1.0));
  for (std::size_t i = 0; i < count; ++i) {
    const double v = static_cast<double>(w[i]);
    if (std::abs(v) > bound)
      throw InputError(fmt::format(
          "{}: tensor {}: value {:.3g} at flat index {}: too large (the Gram product sums {} "
          "squares, which overflow float64 beyond |value| {:.3g}; rescale the tensor)",
          path, name, v, i, summed, bound));
  }
}

// The diagnostics of row.eigs (N, M, rf already set).
void finish_row(AnalyzeRow& row, const AnalyzeInput& in, const AnalyzeOptions& opt) {
  EsdDiagnosticsOptions o;
  o.N = row.N;
  o.M = row.M;
  o.h = row.N;
  o.d = row.M;
  o.init_variance = in.init_variance;
  o.pl_bootstrap = opt.pl_bootstrap;
  o.seed = opt.seed;
  o.tail.tpl_alpha_max = opt.tpl_alpha_max;
  row.diag = esd_diagnostics(row.eigs, o);
  fill_metrics(row.diag, EsdTarget::kAnalyze, true, row.metrics);
}

// A row from eigenvalues computed elsewhere (the mapped .npy path: a plain h x d matrix).
AnalyzeRow analyze_eigenvalues(const AnalyzeInput& in, VecD eigs, const AnalyzeOptions& opt) {
  AnalyzeRow row;
  row.name = in.name;
  row.source = in.source;
  row.shape = shape_text(in.tensor.shape);
  row.dtype = in.tensor.dtype;
  row.kind = in.kind;
  row.N = static_cast<double>(std::max(in.tensor.shape[0], in.tensor.shape[1]));
  row.M = static_cast<double>(std::min(in.tensor.shape[0], in.tensor.shape[1]));
  row.eigs = std::move(eigs);
  finish_row(row, in, opt);
  return row;
}

// Fast path for the common input, a 2-D little-endian C-order float32/float64 .npy: the file
// is mapped, and the Gram product accumulated by dsyrk over blocks of 256 rows (or columns)
// converted to float64, so W is never copied whole (for the bench's 24 matrices the
// float64 copies and their page faults were ~15% of the CPU time). NaN/Inf entries are
// rejected while converting. Returns false (nothing done) for any other layout, which then
// takes the general path; bad files throw the same InputErrors as read_npy_tensor.
bool mapped_npy_eigenvalues(const std::string& path, std::vector<std::int64_t>& shape,
                            std::string& dtype, VecD& eigs, bool& too_small, long min_evals) {
  const MappedFile file(path);
  if (!file.ok()) return false;
  const char* bytes = file.data();
  const std::size_t size = file.size();
  const NpyLayout l = parse_npy_header(bytes, size, path);
  if (l.shape.size() != 2 || l.fortran || l.big_endian || l.item == 2) return false;
  shape = l.shape;
  dtype = l.dtype;
  const Eigen::Index h = l.shape[0], d = l.shape[1], n = std::min(h, d);
  too_small = n < min_evals;
  if (too_small) return true;
  const char* base = bytes + l.data_offset;
  // numpy pads headers so the data is 64-byte aligned; anything else takes the general path
  if (reinterpret_cast<std::uintptr_t>(base) % l.item != 0) return false;
  const double summed = static_cast<double>(std::max(h, d));
  const std::string name = fs::path(path).stem().string();
  if (l.item == 4)
    check_squares_fit(reinterpret_cast<const float*>(base), static_cast<std::size_t>(h * d), summed,
                      path, name);
  else
    check_squares_fit(reinterpret_cast<const double*>(base), static_cast<std::size_t>(h * d),
                      summed, path, name);
  MatD g(n, n);
  if (l.item == 4)
    row_major_gram(reinterpret_cast<const float*>(base), h, d, g, path);
  else
    row_major_gram(reinterpret_cast<const double*>(base), h, d, g, path);
  eigs = gram_eigenvalues(g);
  return true;
}

}  // namespace

std::vector<AnalyzeInput> collect_analyze_inputs(const AnalyzeOptions& opt, std::ostream& err,
                                                 int* errors) {
  std::vector<AnalyzeInput> out;
  std::optional<std::regex> layers;
  if (!opt.layers.empty()) {
    try {
      layers.emplace(opt.layers);
    } catch (const std::regex_error& e) {
      throw InputError("--layers: '" + opt.layers + "': not a regular expression (" + e.what() +
                       ")");
    }
  }
  for (const auto& p : opt.paths) {
    throw_if_interrupted();
    try {
      collect_one(p, opt, layers ? &*layers : nullptr, err, out);
    } catch (const InputError& e) {
      if (!opt.keep_going) throw;
      err << "sih: error: " << e.what() << std::endl;
      if (errors) ++*errors;
    }
  }
  return out;
}

AnalyzeRow analyze_input(const AnalyzeInput& in, const AnalyzeOptions& opt) {
  if (in.file && in.tensor.shape.empty()) {
    AnalyzeInput loaded = in;
    loaded.tensor = in.file->load(in.index);
    return analyze_input(loaded, opt);
  }
  AnalyzeRow row;
  row.name = in.name;
  row.source = in.source;
  row.shape = shape_text(in.tensor.shape);
  row.dtype = in.tensor.dtype;
  row.kind = in.kind;
  const auto& s = in.tensor.shape;
  // A 4-D tensor's slices sum over fewer values than all of them: the bound is conservative.
  const double summed = s.size() == 4
                            ? static_cast<double>(in.tensor.data.size())
                            : std::max(static_cast<double>(s[0]),
                                       static_cast<double>(in.tensor.data.size()) /
                                           static_cast<double>(std::max<std::int64_t>(s[0], 1)));
  check_squares_fit(in.tensor.data.data(), in.tensor.data.size(), summed, in.source, in.name);
  if (s.size() != 4 || opt.conv == "flatten") {
    // a matrix (or a flattened tensor): straight from the row-major buffer
    const Eigen::Index h = s[0];
    Eigen::Index d = 1;
    for (std::size_t k = 1; k < s.size(); ++k) d *= s[k];
    row.N = static_cast<double>(std::max(h, d));
    row.M = static_cast<double>(std::min(h, d));
    row.eigs = eigenvalues_row_major(in.tensor.data.data(), h, d);
  } else {
    const WeightMatrices w = weight_matrices(in.tensor);
    row.N = w.N;
    row.M = w.M;
    row.rf = w.rf;
    std::vector<double> all;
    for (const MatD& m : w.slices) {
      const VecD e = esd_eigenvalues(m);
      all.insert(all.end(), e.data(), e.data() + e.size());
    }
    std::sort(all.begin(), all.end());
    row.eigs = Eigen::Map<const VecD>(all.data(), static_cast<Eigen::Index>(all.size()));
  }
  finish_row(row, in, opt);
  return row;
}

void add_randomized(Tensor tensor, const AnalyzeOptions& opt, AnalyzeRow& row) {
  if (!opt.randomize) return;
  const RandomizedEsd r = randomized_eigenvalues(std::move(tensor), opt.conv, row.M,
                                                 randomize_seed(opt.seed, row.name));
  fill_randomized_columns(row.eigs, r, row.N, row.M, row.metrics);
}

std::string analyze_csv(const std::vector<AnalyzeRow>& rows) {
  std::string s = "name,source,shape,dtype,kind,N,M,rf";
  for (const MetricColumn& m : analyze_columns()) s += "," + std::string(m.name);
  s += '\n';
  for (const auto& r : rows) {
    s += csv_field(r.name) + "," + csv_field(r.source) + "," + r.shape + "," + r.dtype + "," +
         r.kind + "," + analyze_cell(r.N) + "," + analyze_cell(r.M) + "," + std::to_string(r.rf);
    for (const MetricColumn& m : analyze_columns())
      s += "," + analyze_cell((r.metrics.*m.value).value_or(std::nan("")));
    s += '\n';
  }
  return s;
}

std::string analyze_json(const std::vector<AnalyzeRow>& rows) {
  std::string s = "[\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    nlohmann::ordered_json j;
    const auto& r = rows[i];
    j["name"] = r.name;
    j["source"] = r.source;
    j["shape"] = r.shape;
    j["dtype"] = r.dtype;
    j["kind"] = r.kind;
    j["N"] = r.N;
    j["M"] = r.M;
    j["rf"] = r.rf;
    for (const MetricColumn& m : analyze_columns()) {
      const std::optional<double>& v = r.metrics.*m.value;
      if (v && std::isfinite(*v))
        j[std::string(m.name)] = *v;
      else
        j[std::string(m.name)] = nullptr;
    }
    s += "  " + j.dump() + (i + 1 < rows.size() ? ",\n" : "\n");
  }
  return s + "]\n";
}

void check_analyze_options(const AnalyzeOptions& opt) {
  if (opt.format != "csv" && opt.format != "json")
    throw InputError("--format: " + opt.format + ": must be csv or json");
  check_jobs(opt.jobs);
  if (opt.pl_bootstrap < 0)
    throw InputError("--pl-bootstrap: " + std::to_string(opt.pl_bootstrap) + ": must be >= 0");
  if (opt.conv != "slices" && opt.conv != "flatten")
    throw InputError("--conv: " + opt.conv + ": must be slices or flatten");
  if (opt.min_evals < 1)
    throw InputError("--min-evals: " + std::to_string(opt.min_evals) + ": must be >= 1");
  if (opt.max_evals < 0)
    throw InputError("--max-evals: " + std::to_string(opt.max_evals) +
                     ": must be >= 0 (0 = no limit)");
}

std::vector<AnalyzeRow> analyze_all(const AnalyzeOptions& opt, std::ostream& err, int* bad_inputs) {
  check_analyze_options(opt);
  if (opt.paths.empty())
    throw InputError(
        "analyze: no input (give checkpoints, HuggingFace folders, .npy/.csv files or run "
        "folders)");
  int errors = 0;
  std::vector<AnalyzeInput> inputs = collect_analyze_inputs(opt, err, &errors);
  const int n = static_cast<int>(inputs.size());
  int jobs = opt.jobs > 0 ? opt.jobs : std::max(1, std::min(n, available_cpus()));
  jobs = std::max(1, std::min(jobs, std::max(n, 1)));
  // parallel across matrices, each BLAS/LAPACK call single-threaded: also makes the output
  // independent of --jobs (a threaded Gram product rounds differently)
  openblas_set_num_threads(1);
  std::vector<AnalyzeRow> rows(static_cast<std::size_t>(n));
  // per input: "" analysed, else a note (skipped) or an error, reported in input order
  std::vector<std::string> notes(static_cast<std::size_t>(n)), bad(static_cast<std::size_t>(n));
  std::vector<char> ok(static_cast<std::size_t>(n), 0);
  std::mutex mu;
  int done = 0;
  const bool progress = !opt.quiet && n > 1;
  // A bar redrawn with \r only on a terminal; `err` is the process's stderr in the CLI.
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::string internal_error;
  // Largest first (the eigensolve costs ~ N M^2): the last tensors to finish are then the
  // small ones, so both workers stay busy to the end of a model whose embedding is its largest
  // tensor. Rows are kept in input order whatever the order of work.
  std::vector<std::size_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto cost = [&](std::size_t k) {
    const auto& sh = inputs[k].shape();
    if (sh.size() < 2) return 0.0;
    double big = static_cast<double>(sh[0]), rest = 1;
    for (std::size_t j = 1; j < sh.size(); ++j) rest *= static_cast<double>(sh[j]);
    const double small = std::min(big, rest);
    big = std::max(big, rest);
    return big * small * small;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cost(a) > cost(b); });
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs)
  for (int i = 0; i < n; ++i) {
    const std::size_t k = order[static_cast<std::size_t>(i)];
    AnalyzeInput& in = inputs[k];
    // After a signal the workers take no new tensor; those in flight finish (each takes well
    // under a second at the sizes analyze reads) and the loop ends.
    if (interrupt_signal().load(std::memory_order_relaxed) != 0) continue;
    try {
      std::vector<std::int64_t> shape;
      std::string dtype;
      VecD eigs;
      bool too_small = false;
      const bool npy = in.file && in.file->reader() == "npy";
      if (npy && mapped_npy_eigenvalues(in.source, shape, dtype, eigs, too_small, opt.min_evals)) {
        in.tensor.shape = shape;
        in.tensor.dtype = dtype;
        if (too_small) {
          notes[k] = in.source + ": skipped, shape " + shape_text(shape) + " gives fewer than " +
                     std::to_string(opt.min_evals) + " eigenvalues";
        } else {
          rows[k] = analyze_eigenvalues(in, std::move(eigs), opt);
          // the fast path never decoded the tensor: --randomize needs its entries
          if (opt.randomize) add_randomized(in.file->load(in.index), opt, rows[k]);
          ok[k] = 1;
        }
      } else {
        if (in.file) in.tensor = in.file->load(in.index);
        if (num_eigenvalues(in.tensor.shape, opt.conv) < opt.min_evals) {
          // weightwatcher's min_evals: too few eigenvalues for an ESD
          notes[k] = in.source + (in.name.empty() ? "" : ": " + in.name) + ": skipped, shape " +
                     shape_text(in.tensor.shape) + " gives fewer than " +
                     std::to_string(opt.min_evals) + " eigenvalues";
        } else {
          rows[k] = analyze_input(in, opt);
          if (opt.randomize) add_randomized(std::move(in.tensor), opt, rows[k]);
          ok[k] = 1;
        }
      }
    } catch (const InputError& e) {
      bad[k] = e.what();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu);
      if (internal_error.empty()) internal_error = in.source + ": " + e.what();
    }
    in.tensor.data = std::vector<double>();  // free the matrix as soon as it is done
    if (progress) {
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      const int width = 30, filled = done * width / n;
      if (tty) {
        err << "\r[sih] analyze [" << std::string(static_cast<std::size_t>(filled), '#')
            << std::string(static_cast<std::size_t>(width - filled), ' ') << "] " << done << "/"
            << n << std::flush;
      } else if (done == n || (done * 20 / n) != ((done - 1) * 20 / n)) {
        // Not a terminal (a log, a pipe): plain lines, one per twentieth, as sweeps write.
        err << "[sih] analyze " << done << "/" << n << " inputs\n";
      }
    }
  }
  if (progress && tty) err << '\n';
  throw_if_interrupted();
  if (!internal_error.empty()) throw std::runtime_error(internal_error);
  for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
    if (!bad[k].empty()) {
      if (!opt.keep_going) throw InputError(bad[k]);
      err << "sih: error: " << bad[k] << std::endl;
      ++errors;
    } else if (!notes[k].empty() && !opt.quiet) {
      err << "[sih] " << notes[k] << '\n';
    }
  }
  std::vector<AnalyzeRow> good;
  for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k)
    if (ok[k]) good.push_back(std::move(rows[k]));
  if (bad_inputs != nullptr) *bad_inputs = errors;
  return good;
}

std::string analyze_cell(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.17g}", v);
}

}  // namespace sih
