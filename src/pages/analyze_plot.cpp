// `sih analyze --plot`: data files per matrix and one gnuplot call each drawing them
// (scripts/plot/analyze_esd.gp), and the layer figures (analyze_layers.hpp).
#include "sih/pages/analyze_plot.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "sih/base/interrupt.hpp"
#include "sih/experiments/analyze_summary.hpp"
#include "sih/formats/array_io.hpp"
#include "sih/pages/analyze_layers.hpp"
#include "sih/pages/plot.hpp"

namespace sih {

namespace fs = std::filesystem;

namespace {

// File-name-safe version of a matrix name ("encoder.layer.0.attn.q.weight" stays readable).
std::string safe_name(const std::string& s) {
  std::string r;
  for (char c : s)
    r +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return r.empty() ? "matrix" : r;
}

void write_plot_data(const AnalyzeRow& r, const std::string& prefix) {
  const VecD& e = r.eigs;
  const auto n = e.size();
  const EsdDiagnostics& d = r.diag;
  std::string esd, mp, spikes, ccdf, fit;
  // histogram of the ESD: 80 bins over [0, lambda_max], as a density
  const double top = e.maxCoeff() > 0 ? e.maxCoeff() : 1.0;
  const int bins = 80;
  std::vector<double> h(bins, 0.0);
  for (Eigen::Index i = 0; i < n; ++i)
    h[std::min(bins - 1, static_cast<int>(e[i] / top * bins))] += 1;
  const double w = top / bins;
  for (int b = 0; b < bins; ++b)
    esd += fmt::format("{:.9g} {:.9g}\n", (b + 0.5) * w, h[b] / (static_cast<double>(n) * w));
  // the fitted MP density in the input scale (rescaled ESD x = s2 lambda, s2 = W_scale^2)
  if (d.mp.valid) {
    const double s2 = d.mp.w_scale * d.mp.w_scale, Q = r.N / r.M, sg = d.mp.sigma_mp;
    const double a = std::pow(sg * (1 - std::sqrt(1 / Q)), 2),
                 b = std::pow(sg * (1 + std::sqrt(1 / Q)), 2);
    for (int i = 1; i < 400; ++i) {
      const double x = a + (b - a) * i / 400.0;
      const double rho = Q / (2 * M_PI * sg * sg * x) * std::sqrt((b - x) * (x - a));
      mp += fmt::format("{:.9g} {:.9g}\n", x / s2, rho * s2);
    }
    for (Eigen::Index i = 0; i < n; ++i)
      if (e[i] > d.mp.bulk_max) spikes += fmt::format("{:.9g}\n", e[i]);
  }
  // empirical CCDF of the positive eigenvalues and the power law fitted above xmin
  Eigen::Index first = 0;
  while (first < n && !(e[first] > 0)) ++first;
  const double m = static_cast<double>(n - first);
  for (Eigen::Index i = first; i < n; ++i)
    ccdf += fmt::format("{:.9g} {:.9g}\n", e[i], static_cast<double>(n - i) / m);
  if (d.alpha > 1 && d.xmin > 0) {
    Eigen::Index k = first;
    while (k < n && e[k] < d.xmin) ++k;
    const double frac = static_cast<double>(n - k) / m;
    for (int i = 0; i <= 100; ++i) {
      const double x = d.xmin * std::pow(top / d.xmin, i / 100.0);
      fit += fmt::format("{:.9g} {:.9g}\n", x, frac * std::pow(x / d.xmin, 1 - d.alpha));
    }
  }
  write_file_atomic(prefix + ".esd.dat", esd);
  write_file_atomic(prefix + ".mp.dat", mp.empty() ? "0 0\n" : mp);
  write_file_atomic(prefix + ".spikes.dat", spikes.empty() ? "" : spikes);
  write_file_atomic(prefix + ".ccdf.dat", ccdf);
  write_file_atomic(prefix + ".plfit.dat", fit.empty() ? "" : fit);
  write_file_atomic(prefix + ".title",
                    fmt::format("{} ({}): alpha={:.3g} xmin={:.3g} spikes={} sigma_mp={:.3g}\n",
                                r.name, r.shape, d.alpha, d.xmin, d.mp.num_spikes, d.mp.sigma_mp));
}

void run_gnuplot_script(const std::string& gnuplot, const std::string& script,
                        const std::string& prefix) {
  const ScriptOutput out = run_gnuplot(gnuplot, script, prefix);
  if (!WIFEXITED(out.status) || WEXITSTATUS(out.status) != 0) {
    const std::string log = prefix + ".gnuplot.log";
    write_file_atomic(log, out.out + out.err);
    throw std::runtime_error(script + " failed for " + prefix + " (see " + log + ")");
  }
}

}  // namespace

namespace {

// The figures' title: the first input's file name, and how many more.
std::string plots_title(const std::vector<AnalyzeRow>& rows) {
  std::vector<std::string> sources;
  for (const auto& r : rows)
    if (std::find(sources.begin(), sources.end(), r.source) == sources.end())
      sources.push_back(r.source);
  if (sources.empty()) return "sih analyze";
  return fs::path(sources[0]).filename().string() +
         (sources.size() > 1 ? " and " + std::to_string(sources.size() - 1) + " more" : "");
}

// The ESD and CCDF figures of rows[i] for each i, into dir; appends the PNGs.
void write_esd_plots(const std::vector<AnalyzeRow>& rows, const std::vector<std::size_t>& which,
                     const std::string& dir, std::vector<std::string>* pngs) {
  std::string gnuplot;
  try {
    gnuplot = find_gnuplot();
  } catch (const InputError& e) {
    throw InputError(std::string("--plot: ") + e.what());
  }
  const std::string script = default_plot_scripts_dir() + "/analyze_esd.gp";
  if (!fs::exists(script)) throw InputError("--plot: missing gnuplot script " + script);
  std::vector<std::string> used;
  for (const std::size_t i : which) {
    throw_if_interrupted();
    const AnalyzeRow& r = rows[i];
    std::string base = safe_name(r.name);
    // two matrices with the same name (e.g. the same key in two files) get _2, _3, ...
    std::string unique = base;
    for (int k = 2; std::find(used.begin(), used.end(), unique) != used.end(); ++k)
      unique = base + "_" + std::to_string(k);
    used.push_back(unique);
    const std::string prefix = (fs::path(dir) / unique).string();
    write_plot_data(r, prefix);
    run_gnuplot_script(gnuplot, script, prefix);
    for (const char* suffix : {"_esd.png", "_ccdf.png"}) {
      const std::string png = prefix + suffix;
      const std::string problem = png_problem(png);
      if (!problem.empty())
        throw OutputError(png + ": " + problem + " (written by analyze_esd.gp; disk full?)");
      pngs->push_back(png);
    }
  }
}

LayerFigures layer_figures(const std::vector<AnalyzeRow>& rows, const std::string& dir) {
  // Drawn from the very table analyze.csv holds, so the figures and the file agree.
  return write_layer_figures(parse_analyze_table(analyze_csv(rows), "analyze.csv"),
                             plots_title(rows), dir, default_plot_scripts_dir());
}

}  // namespace

AnalyzePlots write_analyze_plots(const std::vector<AnalyzeRow>& rows, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(dir + ": " + ec.message());
  AnalyzePlots result;
  LayerFigures layers = layer_figures(rows, dir);
  result.pngs = layers.pngs;
  result.notes = layers.notes;
  std::vector<std::size_t> all(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) all[i] = i;
  write_esd_plots(rows, all, dir, &result.pngs);
  return result;
}

AnalyzePlots write_analyze_folder_plots(const std::vector<AnalyzeRow>& rows,
                                        const std::string& out_dir) {
  PlotStaging staging(out_dir);
  const std::string staged = staging.path().string();
  LayerFigures layers = layer_figures(rows, staged);
  std::vector<double> alpha;
  for (const auto& r : rows) alpha.push_back(r.metrics.alpha.value_or(std::nan("")));
  std::vector<std::string> pngs = layers.pngs;
  write_esd_plots(rows, alpha_outliers(alpha, kAnalyzeOutlierFigures), staged, &pngs);
  throw_if_interrupted();
  staging.commit();
  AnalyzePlots result;
  result.notes = layers.notes;
  for (const auto& p : pngs)
    result.pngs.push_back((staging.final_path() / fs::path(p).filename()).string());
  return result;
}

}  // namespace sih
