# Power-law exponents of W's ESD vs step, Hill and MLE+KS (and xmin_peak when present):
# DIR/metrics.csv -> DIR/plots/alpha.png
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/metrics.csv"
if (!file_exists(F)) { exit error DIR . ": no metrics.csv (not a sih run folder)" }
n_hill = count_valid(F, "alpha_hill")
n_mle = count_valid(F, "alpha_mle_ks")
n_peak = count_valid(F, "alpha_peak")
if (n_hill + n_mle == 0) {
  printerr "note: alpha.gp: no alpha_hill/alpha_mle_ks values in metrics.csv: skipped"
  exit
}
eval STEP_XTICS
set xlabel "step"
set ylabel "power-law α"
set title "Power-law α of the ESD of W"
# Only columns with values are plotted: a file with no valid point is an error for gnuplot.
P = ""
if (n_hill > 0) { P = P . ", F using 'step':(fin(column('alpha_hill'))) with linespoints lw 2" \
  . " pt 7 ps 1.1 lc rgb color(1) title 'α Hill (xmin = median eigenvalue)'" }
if (n_mle > 0) { P = P . ", F using 'step':(fin(column('alpha_mle_ks'))) with linespoints lw 2" \
  . " pt 5 ps 1.0 lc rgb color(2) title 'α MLE+KS (xmin by min KS distance)'" }
if (n_peak > 0) { P = P . ", F using 'step':(fin(column('alpha_peak'))) with linespoints lw 2" \
  . " pt 9 ps 1.1 dt 2 lc rgb color(3) title 'α xmin_peak'" }
OUT = PLOTS . "/alpha.png"
set output OUT
eval "plot " . P[3:]
set output
print OUT
