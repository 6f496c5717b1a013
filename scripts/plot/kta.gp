# Kernel-target alignment of the hidden features vs step: DIR/metrics.csv -> DIR/plots/kta.png
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/metrics.csv"
if (!file_exists(F)) { exit error DIR . ": no metrics.csv (not a sih run folder)" }
if (count_valid(F, "kta") == 0) {
  printerr "note: kta.gp: no kta values in metrics.csv (probe_features off?): skipped"
  exit
}
eval STEP_XTICS
set xlabel "step"
set ylabel "KTA"
set title "Kernel-target alignment of the hidden features"
OUT = PLOTS . "/kta.png"
set output OUT
plot F using "step":(fin(column("kta"))) with linespoints lw 2 pt 7 ps 1.1 lc rgb color(1) \
       title "layer 0 (W)"
set output
print OUT
