#include "sih/experiments/analyze_compare.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "sih/base/interrupt.hpp"
#include "sih/base/text.hpp"
#include "sih/experiments/analyze_peft.hpp"
#include "sih/formats/csv_table.hpp"
#include "sih/spectra/weight_gram.hpp"

extern "C" void openblas_set_num_threads(int);

namespace sih {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Machine epsilon of a stored dtype (the unit roundoff the two checkpoints were rounded to).
double dtype_eps(const std::string& dtype) {
  std::string t;
  for (char c : dtype) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "f64" || t == "float64" || t == "double") return 2.220446049250313e-16;
  if (t == "f16" || t == "float16" || t == "half") return 9.765625e-4;
  if (t == "bf16" || t == "bfloat16") return 7.8125e-3;
  return 1.1920928955078125e-07;  // float32 and anything else
}

double metric(const std::vector<AnalyzeRow>& rows, const std::map<std::string, std::size_t>& at,
              const std::string& name, std::optional<double> MetricsRow::*m) {
  const auto it = at.find(name);
  if (it == at.end()) return kNaN;
  const std::optional<double>& v = rows[it->second].metrics.*m;
  return v ? *v : kNaN;
}

std::string list_text(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 6;
  std::string s;
  for (std::size_t k = 0; k < std::min(names.size(), kShown); ++k) s += (k ? ", " : "") + names[k];
  if (names.size() > kShown) s += fmt::format(" and {} more", names.size() - kShown);
  return s;
}

// The distances and the difference's ESD of one pair; W and W0 are loaded here and freed on
// return.
// `delta`: NEW is W0 + delta (a PEFT update) rather than a tensor of a file, and W's own
// diagnostics go to *merged (NEW's table row).
ComparePair compare_pair(const AnalyzeInput& nw, const AnalyzeInput& base,
                         const AnalyzeOptions& opt, const Tensor* delta = nullptr,
                         AnalyzeRow* merged = nullptr) {
  ComparePair p;
  p.name = nw.name;
  Tensor w0 = base.file->load(base.index);
  Tensor w;
  if (delta != nullptr) {
    if (delta->data.size() != w0.data.size())
      throw InputError(base.source + ": tensor " + base.name + ": the update has " +
                       std::to_string(delta->data.size()) + " values, the tensor " +
                       std::to_string(w0.data.size()));
    w = *delta;
    for (std::size_t i = 0; i < w.data.size(); ++i) w.data[i] += w0.data[i];
    w.dtype = w0.dtype;
    AnalyzeInput m = nw;
    m.file = nullptr;
    m.tensor = w;
    *merged = analyze_input(m, opt);
    if (opt.randomize) add_randomized(std::move(m.tensor), opt, *merged);
    merged->dtype = "lora+" + w0.dtype;
    p.alpha_new = merged->metrics.alpha.value_or(kNaN);
    p.num_spikes_new = merged->metrics.num_spikes.value_or(kNaN);
  } else {
    w = nw.file->load(nw.index);
  }
  if (w0.data.size() != w.data.size())  // a reader disagreeing with its own header
    throw InputError(base.source + ": tensor " + base.name + ": " + std::to_string(w0.data.size()) +
                     " values, " + std::to_string(w.data.size()) + " in " + nw.source);
  p.shape = shape_text(w.shape);
  p.dtype_new = delta != nullptr ? "lora" : w.dtype;
  p.dtype_base = w0.dtype;
  AnalyzeInput d;
  d.name = nw.name;
  d.source = nw.source;
  d.kind = nw.kind;
  d.tensor.shape = w.shape;
  d.tensor.dtype = "float64";
  d.tensor.data.resize(w.data.size());
  double f0 = 0, fd = 0;
  for (std::size_t i = 0; i < w.data.size(); ++i) {
    d.tensor.data[i] = w.data[i] - w0.data[i];
    f0 += w0.data[i] * w0.data[i];
    fd += d.tensor.data[i] * d.tensor.data[i];
  }
  {
    // BASE's own diagnostics (its alpha and num_spikes), as analyze computes NEW's.
    AnalyzeInput b = base;
    b.tensor = std::move(w0);
    const AnalyzeRow r = analyze_input(b, opt);
    p.alpha_base = r.metrics.alpha.value_or(kNaN);
    p.num_spikes_base = r.metrics.num_spikes.value_or(kNaN);
  }
  p.frobenius_base = std::sqrt(f0);
  p.frobenius_diff = std::sqrt(fd);
  p.relative_frobenius = p.frobenius_diff / p.frobenius_base;
  const Eigen::Index h = w.shape[0];
  const Eigen::Index cols = static_cast<Eigen::Index>(w.data.size()) / std::max<Eigen::Index>(h, 1);
  p.diff_alpha = p.diff_num_spikes = kNaN;
  VecD eigs;  // of (W - W0)^T (W - W0), the tensor flattened to shape[0] x the rest
  const bool flat = w.shape.size() != 4 || opt.conv == "flatten";
  if (fd > 0) {
    // the ESD of the difference under analyze's tensor policy (conv slices pooled)
    const AnalyzeRow r = analyze_input(d, opt);
    p.diff_alpha = r.metrics.alpha.value_or(kNaN);
    p.diff_num_spikes = r.metrics.num_spikes.value_or(kNaN);
    if (flat) eigs = r.eigs;
  }
  if (eigs.size() == 0) eigs = eigenvalues_row_major(d.tensor.data.data(), h, cols);
  const double lmax = eigs.size() ? std::max(eigs.maxCoeff(), 0.0) : 0.0;
  p.spectral_norm_diff = std::sqrt(lmax);
  p.diff_stable_rank = lmax > 0 ? fd / lmax : kNaN;
  // numpy's matrix_rank tolerance at the stored precision: the difference of two float32
  // checkpoints is exact to float32's eps, not float64's. Never below float32's eps: the
  // eigenvalues of the float64 Gram matrix resolve singular values down to ~1e-7 sigma_max.
  const double eps = std::max({dtype_eps(delta != nullptr ? p.dtype_base : p.dtype_new),
                               dtype_eps(p.dtype_base), 1.1920928955078125e-07});
  p.diff_rank_tolerance = p.spectral_norm_diff * static_cast<double>(std::max(h, cols)) * eps;
  long rank = 0;
  for (Eigen::Index i = 0; i < eigs.size(); ++i)
    if (lmax > 0 && std::sqrt(std::max(eigs[i], 0.0)) > p.diff_rank_tolerance) ++rank;
  p.diff_numerical_rank = static_cast<double>(rank);
  return p;
}

// NEW a PEFT LoRA adapter: each adapted layer's W = W0 + scale B A against BASE's W0, one
// layer per worker (W0, the update and W in memory).
CompareResult compare_peft(const AnalyzeOptions& opt, std::ostream& err) {
  CompareResult res;
  res.peft = true;
  res.new_path = opt.paths[0];
  res.base_path = opt.compare;
  const PeftAdapter adapter = open_peft_adapter(opt.paths[0]);
  AnalyzeOptions quiet = opt;
  quiet.quiet = true;
  quiet.keep_going = false;
  quiet.paths = {opt.compare};
  std::vector<AnalyzeInput> base;
  try {
    base = collect_analyze_inputs(quiet, err, nullptr);
  } catch (const InputError& e) {
    throw InputError(std::string("--compare: ") + e.what());
  }
  std::map<std::string, std::size_t> base_at;
  for (std::size_t k = 0; k < base.size(); ++k)
    if (base[k].file) base_at.emplace(base[k].name, k);
  std::vector<std::pair<std::size_t, std::size_t>> todo;  // (adapter pair, base input)
  const auto& infos = adapter.file->tensors();
  for (std::size_t k = 0; k < adapter.pairs.size(); ++k) {
    const PeftPair& pp = adapter.pairs[k];
    const std::int64_t out = infos[pp.b].shape[0], in = infos[pp.a].shape[1];
    const std::vector<std::int64_t> shape = adapter.fan_in_fan_out
                                                ? std::vector<std::int64_t>{in, out}
                                                : std::vector<std::int64_t>{out, in};
    const auto it = base_at.find(pp.base_name);
    if (it == base_at.end()) {
      res.only_new.push_back(pp.base_name);
      res.unpaired.push_back({pp.base_name, "only_new", shape_text(shape)});
    } else if (base[it->second].shape() != shape) {
      const std::string both = shape_text(shape) + " vs " + shape_text(base[it->second].shape());
      res.shape_differs.push_back(pp.base_name + ": " + both);
      res.unpaired.push_back({pp.base_name, "shape_differs", both});
    } else {
      todo.emplace_back(k, it->second);
    }
  }
  if (todo.empty())
    throw InputError(fmt::format(
        "--compare: {}: none of the adapter's {} layers is a tensor there with the update's "
        "shape (e.g. {})",
        opt.compare, adapter.pairs.size(),
        res.shape_differs.empty() ? adapter.pairs[0].base_name + ": not there"
                                  : res.shape_differs[0]));
  std::vector<ComparePair> pairs(todo.size());
  std::vector<AnalyzeRow> rows(todo.size());
  const int n = static_cast<int>(todo.size());
  int jobs = opt.jobs > 0 ? opt.jobs : std::max(1, std::min(n, omp_get_max_threads()));
  jobs = std::max(1, std::min(jobs, n));
  openblas_set_num_threads(1);
  std::vector<std::string> bad(todo.size());
  std::string internal_error;
  std::mutex mu;
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs)
  for (int i = 0; i < n; ++i) {
    if (interrupt_signal().load(std::memory_order_relaxed) != 0) continue;
    const auto [k, b] = todo[static_cast<std::size_t>(i)];
    try {
      const Tensor delta = peft_delta(adapter, adapter.pairs[k]);
      AnalyzeInput nw = base[b];
      nw.source = opt.paths[0];
      pairs[static_cast<std::size_t>(i)] =
          compare_pair(nw, base[b], opt, &delta, &rows[static_cast<std::size_t>(i)]);
    } catch (const InputError& e) {
      bad[static_cast<std::size_t>(i)] = e.what();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu);
      if (internal_error.empty()) internal_error = adapter.pairs[k].module + ": " + e.what();
    }
  }
  throw_if_interrupted();
  if (!internal_error.empty()) throw std::runtime_error(internal_error);
  for (const auto& e : bad)
    if (!e.empty()) throw InputError("--compare: " + e);
  res.pairs = std::move(pairs);
  res.merged_rows = std::move(rows);
  return res;
}

}  // namespace

CompareResult compare_checkpoints(const AnalyzeOptions& opt,
                                  const std::vector<AnalyzeRow>& new_rows, std::ostream& err) {
  if (opt.paths.size() != 1)
    throw InputError(fmt::format("--compare: compares one checkpoint with BASE; {} paths given",
                                 opt.paths.size()));
  if (is_peft_adapter(opt.paths[0])) return compare_peft(opt, err);
  CompareResult res;
  res.new_path = opt.paths[0];
  res.base_path = opt.compare;
  AnalyzeOptions quiet = opt;
  quiet.quiet = true;
  quiet.keep_going = false;
  std::vector<AnalyzeInput> nw = collect_analyze_inputs(quiet, err, nullptr);
  quiet.paths = {opt.compare};
  std::vector<AnalyzeInput> base;
  try {
    base = collect_analyze_inputs(quiet, err, nullptr);
  } catch (const InputError& e) {
    throw InputError(std::string("--compare: ") + e.what());
  }
  for (const auto* side : {&nw, &base})
    for (const auto& in : *side)
      if (!in.file)
        throw InputError("--compare: " + in.source +
                         ": compare reads checkpoints (safetensors, PyTorch, ONNX, GGUF, .npz, "
                         ".npy, HuggingFace folders), not .csv or run folders");
  // Two single-matrix files (W_step100.npy vs W_step0.npy): their one tensors pair whatever
  // the file stems that name them.
  const bool single = nw.size() == 1 && base.size() == 1 && nw[0].file->tensors().size() == 1 &&
                      base[0].file->tensors().size() == 1 &&
                      nw[0].file->tensors()[0].name.empty() &&
                      base[0].file->tensors()[0].name.empty();
  if (single) base[0].name = nw[0].name;
  std::map<std::string, std::size_t> base_at, new_at, row_at;
  for (std::size_t k = 0; k < base.size(); ++k) base_at.emplace(base[k].name, k);
  for (std::size_t k = 0; k < nw.size(); ++k) new_at.emplace(nw[k].name, k);
  for (std::size_t k = 0; k < new_rows.size(); ++k) row_at.emplace(new_rows[k].name, k);
  std::vector<std::pair<std::size_t, std::size_t>> todo;
  for (std::size_t k = 0; k < nw.size(); ++k) {
    const auto it = base_at.find(nw[k].name);
    if (it == base_at.end()) {
      res.only_new.push_back(nw[k].name);
      res.unpaired.push_back({nw[k].name, "only_new", shape_text(nw[k].shape())});
    } else if (nw[k].shape() != base[it->second].shape()) {
      res.shape_differs.push_back(nw[k].name + ": " + shape_text(nw[k].shape()) + " vs " +
                                  shape_text(base[it->second].shape()));
      res.unpaired.push_back(
          {nw[k].name, "shape_differs",
           shape_text(nw[k].shape()) + " vs " + shape_text(base[it->second].shape())});
    } else {
      todo.emplace_back(k, it->second);
    }
  }
  for (const auto& b : base)
    if (new_at.find(b.name) == new_at.end()) {
      res.only_base.push_back(b.name);
      res.unpaired.push_back({b.name, "only_base", shape_text(b.shape())});
    }
  if (todo.empty() && res.shape_differs.empty())
    throw InputError(fmt::format(
        "--compare: {}: no tensor in common with {} ({} analysable tensors there, e.g. {}; {} "
        "here, e.g. {})",
        opt.compare, res.new_path, nw.size(), nw.empty() ? "none" : nw[0].name, base.size(),
        base.empty() ? "none" : base[0].name));
  if (todo.empty())
    throw InputError(
        fmt::format("--compare: {}: all {} tensors in common with {} differ in shape "
                    "(e.g. {})",
                    opt.compare, res.shape_differs.size(), res.new_path, res.shape_differs[0]));
  const int n = static_cast<int>(todo.size());
  int jobs = opt.jobs > 0 ? opt.jobs : std::max(1, std::min(n, omp_get_max_threads()));
  jobs = std::max(1, std::min(jobs, n));
  openblas_set_num_threads(1);
  std::vector<ComparePair> pairs(todo.size());
  std::vector<std::string> bad(todo.size());
  std::string internal_error;
  std::mutex mu;
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs)
  for (int i = 0; i < n; ++i) {
    if (interrupt_signal().load(std::memory_order_relaxed) != 0) continue;
    const auto [a, b] = todo[static_cast<std::size_t>(i)];
    try {
      pairs[static_cast<std::size_t>(i)] = compare_pair(nw[a], base[b], opt);
    } catch (const InputError& e) {
      bad[static_cast<std::size_t>(i)] = e.what();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu);
      if (internal_error.empty()) internal_error = nw[a].name + ": " + e.what();
    }
  }
  throw_if_interrupted();
  if (!internal_error.empty()) throw std::runtime_error(internal_error);
  for (const auto& e : bad)
    if (!e.empty()) throw InputError("--compare: " + e);
  for (std::size_t i = 0; i < todo.size(); ++i) {
    ComparePair& p = pairs[i];
    p.alpha_new = metric(new_rows, row_at, p.name, &MetricsRow::alpha);
    p.num_spikes_new = metric(new_rows, row_at, p.name, &MetricsRow::num_spikes);
    res.pairs.push_back(std::move(p));
  }
  return res;
}

std::string compare_csv(const CompareResult& r) {
  std::string s =
      "name,status,shape,dtype_new,dtype_base,frobenius_base,frobenius_diff,relative_frobenius,"
      "spectral_norm_diff,alpha_new,alpha_base,delta_alpha,num_spikes_new,num_spikes_base,"
      "delta_num_spikes,diff_alpha,diff_num_spikes,diff_stable_rank,diff_numerical_rank,"
      "diff_rank_tolerance\n";
  for (const auto& p : r.pairs) {
    s += csv_field(p.name) + ",paired," + p.shape + "," + p.dtype_new + "," + p.dtype_base;
    for (double v :
         {p.frobenius_base, p.frobenius_diff, p.relative_frobenius, p.spectral_norm_diff,
          p.alpha_new, p.alpha_base, p.alpha_new - p.alpha_base, p.num_spikes_new,
          p.num_spikes_base, p.num_spikes_new - p.num_spikes_base, p.diff_alpha, p.diff_num_spikes,
          p.diff_stable_rank, p.diff_numerical_rank, p.diff_rank_tolerance})
      s += "," + analyze_cell(v);
    s += '\n';
  }
  // the unpaired tensors, every number empty
  for (const auto& u : r.unpaired)
    s += csv_field(u.name) + "," + u.status + "," + u.shape + std::string(17, ',') + '\n';
  return s;
}

std::string compare_unpaired_lines(const CompareResult& r) {
  std::string s;
  if (!r.only_new.empty())
    s += fmt::format("[sih] compare: {} tensors only in {}: {}\n", r.only_new.size(), r.new_path,
                     list_text(r.only_new));
  if (!r.only_base.empty())
    s += fmt::format("[sih] compare: {} tensors only in {}: {}\n", r.only_base.size(), r.base_path,
                     list_text(r.only_base));
  if (!r.shape_differs.empty())
    s += fmt::format("[sih] compare: {} tensors differ in shape: {}\n", r.shape_differs.size(),
                     list_text(r.shape_differs));
  return s;
}

}  // namespace sih
