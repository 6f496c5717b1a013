# Figures of a `sih sweep`: each metric against the checkpoint step, one line (mean over
# repeats) per grid point. Reads DIR/aggregate.csv (its first column `point` names the grid
# point); writes DIR/plots/steps_<metric>.png.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/aggregate.csv"
if (!file_exists(F)) { exit error DIR . ": no aggregate.csv (not a sih sweep folder)" }
HEADER = system("head -n 1 " . q(F))
if (HEADER[1:6] ne "point,") { exit error F . ": not a sweep aggregate (no point column)" }
NP = count_distinct(F, 1)
if (NP > 40) {
  printerr sprintf("note: sweep_steps.gp: %d grid points: one line each would not be legible; skipped", NP)
  exit
}
array SRC[NP]
array LABEL[NP]
do for [j = 1:NP] {
  LABEL[j] = nth_distinct(F, 1, j)
  SRC[j] = rows_where_col(F, 1, LABEL[j], 0)
}
eval STEP_XTICS
set xlabel "step"
if (NP > 8) { set key off }
do for [m in "train_loss val_loss kta w_beta_alignment alpha_hill alpha_mle_ks"] {
  if (count_valid(F, m . "_mean") > 0) {
    P = ""
    do for [j = 1:NP] {
      P = P . sprintf(", SRC[%d] using 'step':(fin(column('%s_mean'))) with linespoints " \
          . "lw 1.5 pt 7 ps 0.6 lc rgb '%s' title '%s'", j, m, color(j), LABEL[j])
    }
    set ylabel m
    set title sprintf("%s vs step, one line per grid point (mean over repeats)", m)
    OUT = PLOTS . "/steps_" . m . ".png"
    set output OUT
    eval "plot " . P[3:]
    set output
    print OUT
  }
}
