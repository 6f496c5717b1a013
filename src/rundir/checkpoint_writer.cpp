// The run folder's checkpoint files (docs/OUTPUT.md): spectra, overlaps, weights, the initial
// alignment curve and the metrics row, named and formatted here only.
#include "sih/rundir/checkpoint_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace sih {
namespace {

// Density histogram of the entries of a matrix (100 equal bins between min and max).
template <typename T>
std::string entries_histogram_csv(const Mat<T>& m) {
  constexpr int kBins = 100;
  const double lo = static_cast<double>(m.minCoeff());
  const double hi = static_cast<double>(m.maxCoeff());
  const double width = hi > lo ? (hi - lo) / kBins : 1.0;
  std::vector<double> counts(kBins, 0.0);
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    int b = static_cast<int>((static_cast<double>(m.data()[i]) - lo) / width);
    counts[static_cast<std::size_t>(std::clamp(b, 0, kBins - 1))] += 1;
  }
  std::string s = "left,right,density\n";
  const double norm = 1.0 / (static_cast<double>(m.size()) * width);
  for (int b = 0; b < kBins; ++b)
    s += fmt::format("{:.17g},{:.17g},{:.17g}\n", lo + b * width, lo + (b + 1) * width,
                     counts[static_cast<std::size_t>(b)] * norm);
  return s;
}

// Block-averages an N x N matrix to at most 200 x 200 for heat maps (gnuplot `matrix`).
template <typename T>
std::string heatmap_csv(const Mat<T>& m) {
  constexpr Eigen::Index kMax = 200;
  const Eigen::Index br = (m.rows() + kMax - 1) / kMax, bc = (m.cols() + kMax - 1) / kMax;
  const Eigen::Index rows = (m.rows() + br - 1) / br, cols = (m.cols() + bc - 1) / bc;
  std::string s;
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) {
      const Eigen::Index r0 = i * br, c0 = j * bc;
      const Eigen::Index nr = std::min(br, m.rows() - r0), nc = std::min(bc, m.cols() - c0);
      const double v = static_cast<double>(m.block(r0, c0, nr, nc).mean());
      s += fmt::format(j ? " {:.6g}" : "{:.6g}", v);
    }
    s += '\n';
  }
  return s;
}

template <typename T>
void write_entries(RunWriter& w, long step, const char* layer, const Mat<T>& M) {
  const std::string base = fmt::format("spectra/step{}_{}", step, layer);
  w.write_text(base + "_entries_hist.csv", entries_histogram_csv(M));
  w.write_matrix_npy(base + "_entries.npy", M);
}

void write_eigenvalues(RunWriter& w, long step, const char* layer, const VecD& eigs) {
  const std::string base = fmt::format("spectra/step{}_{}", step, layer);
  w.write_column(base + "_eigs.csv", "lambda", eigs);
  VecD sv = eigs.reverse().cwiseMax(0.0).cwiseSqrt();
  w.write_column(base + "_sv.csv", "sigma", sv);
}

std::string describe(const MetricsRow& r) {
  auto f = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.6g}", *v) : std::string("-");
  };
  return fmt::format(
      "step {}: train_loss {} val_loss {} kta {} align {} alpha_hill {} alpha_mle_ks {}", r.step,
      f(r.train_loss), f(r.val_loss), f(r.kta), f(r.w_beta_alignment), f(r.alpha_hill),
      f(r.alpha_mle_ks));
}

}  // namespace

bool start_checkpoint_shareable(const Config& c) {
  return c.lightweight && !c.plot_overlaps && !c.save_weights;
}

template <typename T>
void RunFolderSink<T>::weight_entries(long step, const Mat<T>& W) {
  if (keeps_spectra()) write_entries(w_, step, "W", W);
}

template <typename T>
void RunFolderSink<T>::spectra(long step, const VecD& W_eigenvalues, const Vec<T>& a) {
  if (!keeps_spectra()) return;
  write_eigenvalues(w_, step, "W", W_eigenvalues);  // W's entries: weight_entries()
  const Mat<T> a_row = a.transpose();
  VecD a_eigs(1);
  a_eigs[0] = static_cast<double>(a.squaredNorm());
  write_entries(w_, step, "a", a_row);
  write_eigenvalues(w_, step, "a", a_eigs);
}

template <typename T>
void RunFolderSink<T>::features_spectrum(long step, const VecD& eigenvalues) {
  if (!c_.lightweight) write_eigenvalues(w_, step, "features", eigenvalues);
}

template <typename T>
void RunFolderSink<T>::overlaps(const OverlapPair<T>& pair) {
  if (!keeps_overlaps()) return;
  const std::string base = fmt::format("overlaps/pair{}", pair.index);
  w_.write_column(base + "_M_sv.csv", "sigma", pair.M_sv);
  const char* names[2] = {"Wk", "Wk1"};
  for (int k = 0; k < 2; ++k) {
    w_.write_matrix_npy(fmt::format("{}_{}_U.npy", base, names[k]), pair.U[k]);
    w_.write_text(fmt::format("{}_{}_U_plot.csv", base, names[k]), heatmap_csv(pair.U[k]));
    w_.write_matrix_npy(fmt::format("{}_{}_V.npy", base, names[k]), pair.V[k]);
    w_.write_text(fmt::format("{}_{}_V_plot.csv", base, names[k]), heatmap_csv(pair.V[k]));
  }
}

template <typename T>
void RunFolderSink<T>::weights(long step, const Mat<T>& W, const Vec<T>& a, const Vec<T>* b) {
  if (!keeps_weights()) return;
  w_.write_matrix_npy(fmt::format("weights/step{}_W.npy", step), W);
  const Mat<T> a_mat = a;
  w_.write_matrix_npy(fmt::format("weights/step{}_a.npy", step), a_mat);
  if (b) {
    const Mat<T> b_mat = *b;
    w_.write_matrix_npy(fmt::format("weights/step{}_b.npy", step), b_mat);
  }
}

template <typename T>
void RunFolderSink<T>::init_alignment(const VecD& curve) {
  std::string csv = "i,alignment\n";
  for (Eigen::Index i = 0; i < curve.size(); ++i) csv += fmt::format("{},{:.17g}\n", i, curve[i]);
  w_.write_text("init_pc_beta_alignment.csv", csv);
}

template <typename T>
void RunFolderSink<T>::metrics(const MetricsRow& row) {
  w_.add_metrics(row);
  w_.log(describe(row));
}

template class RunFolderSink<float>;
template class RunFolderSink<double>;

}  // namespace sih
