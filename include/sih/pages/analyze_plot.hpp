#pragma once
// The figures of `sih analyze --plot`.
#include <cstddef>
#include <string>
#include <vector>

#include "sih/experiments/analyze.hpp"

namespace sih {

struct AnalyzePlots {
  std::vector<std::string> pngs;   // written, in page order
  std::vector<std::string> notes;  // rows or figures not drawn, and why
};

// The outlier layers whose ESD figures `--plot` with `--out-dir` draws (alpha_outliers).
inline constexpr std::size_t kAnalyzeOutlierFigures = 4;

// --plot DIR: the layer figures (analyze_layers.hpp: layers_alpha.png, layers_norms.png,
// layers_alpha_hist.png) and, per matrix, DIR/<name>_esd.png (ESD histogram, the fitted MP
// density, spikes marked) and DIR/<name>_ccdf.png (empirical CCDF with the power-law fit above
// xmin), drawn by scripts/plot/analyze_layers.gp and analyze_esd.gp from the data files
// written beside them. Throws InputError when gnuplot or a script is missing.
AnalyzePlots write_analyze_plots(const std::vector<AnalyzeRow>& rows, const std::string& dir);

// --plot with --out-dir OUT: the layer figures and the ESD and CCDF figures of the (up to
// kAnalyzeOutlierFigures) layers whose alpha lies farthest outside 2..6, into OUT/plots/:
// drawn into a staging folder, every PNG checked, swapped in whole (PlotStaging).
AnalyzePlots write_analyze_folder_plots(const std::vector<AnalyzeRow>& rows,
                                        const std::string& out_dir);

}  // namespace sih
