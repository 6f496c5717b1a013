# Spikes and tail tests of W's ESD vs step: DIR/metrics.csv -> DIR/plots/spikes.png (eigenvalues
# above the fitted MP edge with and without weightwatcher's Tracy-Widom margin, above the MP
# edge of the start) and DIR/plots/tail_tests.png (the p-values of the power law against the
# exponential, lognormal and truncated power law; the sign of R says which is favoured).
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/metrics.csv"
if (!file_exists(F)) { exit error DIR . ": no metrics.csv (not a sih run folder)" }
eval STEP_XTICS
set xlabel "step"
P = ""; k = 0
do for [c in "num_spikes num_spikes_edge num_spikes_init"] {
  k = k + 1
  if (count_valid(F, c) > 0) {
    P = P . sprintf(", F using 'step':(fin(column('%s'))) with linespoints lw 2 pt %d " \
        . "lc rgb '%s' title '%s'", c, 5 + 2 * k, color(k), \
        c eq "num_spikes" ? "above the fitted edge + TW margin" : \
        c eq "num_spikes_edge" ? "above the fitted edge" : "above the MP edge of the start")
  }
}
if (P eq "") {
  printerr "note: spikes.gp: no spike counts in metrics.csv (probe_weights off?): skipped"
  exit
}
set ylabel "eigenvalues outside the bulk"
set title "Spikes of the ESD of W"
OUT = PLOTS . "/spikes.png"
set output OUT
eval "plot " . P[3:]
set output
print OUT

P = ""; k = 0
do for [alt in "exponential lognormal truncated_power_law"] {
  k = k + 1
  if (count_valid(F, "p_" . alt) > 0) {
    P = P . sprintf(", F using 'step':(fin(column('p_%s'))) with linespoints lw 2 pt 7 " \
        . "lc rgb '%s' title 'vs %s'", alt, color(k), alt)
  }
}
if (P eq "") {
  printerr "note: spikes.gp: no tail-test p-values in metrics.csv: no tail_tests.png"
  exit
}
set ylabel "p-value (normalised log-likelihood ratio, Vuong)"
set yrange [0:1]
set title "Power law vs alternative tails (p < 0.1: the sign of R decides)"
OUT = PLOTS . "/tail_tests.png"
set output OUT
eval "plot " . P[3:] . ", 0.1 with lines dt 3 lc rgb 'gray' title 'p = 0.1'"
set output
print OUT
