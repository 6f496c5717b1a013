# Train and val loss vs step of a run: DIR/metrics.csv -> DIR/plots/losses.png
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/metrics.csv"
if (!file_exists(F)) { exit error DIR . ": no metrics.csv (not a sih run folder)" }
n_train = count_valid(F, "train_loss")
n_val = count_valid(F, "val_loss")
if (n_train + n_val == 0) {
  printerr "note: losses.gp: no train_loss/val_loss values in metrics.csv: skipped"
  exit
}

# Losses of a diverging run span decades: switch to a log axis rather than flatten the rest.
stats F using (pos(column("train_loss"))) nooutput
lo = nstats(0) > 0 ? STATS_min : 1; hi = nstats(0) > 0 ? STATS_max : 1
stats F using (pos(column("val_loss"))) nooutput
if (nstats(0) > 0) { lo = min(lo, STATS_min); hi = max(hi, STATS_max) }
if (lo > 0 && hi / lo > 1e3) { set logscale y }

eval STEP_XTICS
set xlabel "step"
set ylabel "loss (MSE)"
set title "Train and val loss"
P = ""
if (n_train > 0) { P = P . ", F using 'step':(fin(column('train_loss'))) with linespoints lw 2" \
  . " pt 7 ps 1.1 lc rgb color(1) title 'train'" }
if (n_val > 0) { P = P . ", F using 'step':(fin(column('val_loss'))) with linespoints lw 2" \
  . " pt 2 ps 1.3 dt 2 lc rgb color(2) title 'val (test)'" }
OUT = PLOTS . "/losses.png"
set output OUT
eval "plot " . P[3:]
set output
print OUT
