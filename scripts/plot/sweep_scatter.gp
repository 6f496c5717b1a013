# Figures of a `sih sweep`: each run's final alpha against its val_loss and its
# w_beta_alignment, with the rank correlations over the runs (correlations.csv) in the title.
# Reads DIR/runs.csv and DIR/correlations.csv; writes DIR/plots/scatter_<alpha>_<y>.png.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/runs.csv"; C = DIR . "/correlations.csv"
if (!file_exists(F)) { exit error DIR . ": no runs.csv (not a sih sweep folder)" }
if (!file_exists(C)) { exit error DIR . ": no correlations.csv (run sih merge)" }
corr(x, y, what) = system("awk -F, -v x=" . q(x) . " -v y=" . q(y) . " -v w=" . q(what) \
    . " 'NR==1{for(i=1;i<=NF;i++)if($i==w)k=i;next} $1==x&&$2==y{print $k; exit}' " . q(C))
set key off
# (Loop variables are not named x or y: those are gnuplot's dummy variables inside `using`.)
do for [ALPHA in "alpha_hill alpha_mle_ks"] {
  do for [OTHER in "val_loss w_beta_alignment"] {
    if (count_valid(F, ALPHA) > 0 && count_valid(F, OTHER) > 0) {
      rho = corr(ALPHA, OTHER, "spearman"); tau = corr(ALPHA, OTHER, "kendall")
      n = corr(ALPHA, OTHER, "n")
      set xlabel ALPHA . " (last checkpoint)"
      set ylabel OTHER
      set title sprintf("%s vs %s over %s runs: Spearman %s, Kendall %s", OTHER, ALPHA, n, \
          rho eq "" ? "undefined" : sprintf("%.3f", real(rho)), \
          tau eq "" ? "undefined" : sprintf("%.3f", real(tau)))
      OUT = PLOTS . "/scatter_" . ALPHA . "_" . OTHER . ".png"
      set output OUT
      plot F using (fin(column(ALPHA))):(fin(column(OTHER))) with points pt 7 ps 1.2 \
          lc rgb color(1)
      set output
      print OUT
    }
  }
}
