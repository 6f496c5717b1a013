# Alignment |v_1 . beta| of W's top right singular vector with the teacher vs step:
# DIR/metrics.csv -> DIR/plots/w_beta_alignment.png
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/metrics.csv"
if (!file_exists(F)) { exit error DIR . ": no metrics.csv (not a sih run folder)" }
if (count_valid(F, "w_beta_alignment") == 0) {
  printerr "note: alignment.gp: no w_beta_alignment values in metrics.csv " \
      . "(probe_weights off?): skipped"
  exit
}
eval STEP_XTICS
set xlabel "step"
set ylabel "sim(W, β*) = |v₁·β*|"
set title "Alignment of W's top right singular vector with β*"
OUT = PLOTS . "/w_beta_alignment.png"
set output OUT
plot F using "step":(fin(column("w_beta_alignment"))) with linespoints lw 2 pt 7 ps 1.1 \
       lc rgb color(1) title "layer 0 (W)"
set output
print OUT
