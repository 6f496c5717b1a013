# Figure of a bulk-losses sweep: train (solid) and val (dashed) loss vs step, one colour per
# value of the varied parameter (n, label_noise_std, reg_lambda or gamma), mean over repeats
# with a ±std band. Reads DIR/aggregate.csv; writes DIR/plots/bulk_losses.png.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/aggregate.csv"
if (!file_exists(F)) { exit error DIR . ": no aggregate.csv (not a sih sweep folder)" }
HEADER = system("head -n 1 " . q(F))
PARAM = HEADER[1:strstrt(HEADER, ",") - 1]
if (strstrt(HEADER, PARAM . ",step,") != 1 || PARAM eq "") {
  exit error F . ": not a bulk-losses aggregate (header must start with <varying_param>,step,)"
}
# The paper's symbols: λ (reg_lambda), σ (label_noise_std), γ (StepLR gamma).
SYM = PARAM eq "reg_lambda" ? "λ" : PARAM eq "label_noise_std" ? "σ" : \
      PARAM eq "gamma" ? "γ" : PARAM
PNAME = PARAM eq "gamma" ? "γ (StepLR gamma)" : SYM eq PARAM ? PARAM : SYM . " (" . PARAM . ")"
VALUES = first_column_values(F, 1)
NV = words(VALUES)
if (NV == 0) { exit error F . ": no rows" }
array SRC[NV]
do for [j = 1:NV] { SRC[j] = rows_where(F, word(VALUES, j), 2) }

# A log y axis (losses spanning decades) has no room for mean - std <= 0: clip at YFLOOR.
LOGY = 0; YFLOOR = 0
stats F using (pos(column("train_loss_mean"))) nooutput
lo = nstats(0) > 0 ? STATS_min : 1; hi = nstats(0) > 0 ? STATS_max : 1
stats F using (pos(column("val_loss_mean"))) nooutput
if (nstats(0) > 0) { lo = min(lo, STATS_min); hi = max(hi, STATS_max) }
if (lo > 0 && hi / lo > 1e3) { LOGY = 1; YFLOOR = lo / 10; set logscale y }
band_lo(m, s) = (LOGY && m - s <= 0) ? YFLOOR : m - s
band(j, m, colour) = sprintf(", SRC[%d] using 'step'" \
    . ":(band_lo(fin(column('%s_mean')), fin(column('%s_std'))))" \
    . ":(fin(column('%s_mean')) + fin(column('%s_std'))) with filledcurves lc rgb '%s' notitle", \
    j, m, m, m, m, colour)
# Bands are all drawn before lines, so that no band veils a line.
line(j, m, colour, style, label) = sprintf(", SRC[%d] using 'step':(fin(column('%s_mean')))" \
    . " with linespoints lw 2 lc rgb '%s' %s %s", j, m, colour, style, \
    label eq "" ? "notitle" : "title '" . label . "'")

B = ""; P = ""; any_train = 0; any_val = 0
do for [j = 1:NV] {
  v = word(VALUES, j)
  label = sprintf("%s=%.6g", SYM, real(v))
  has_train = count_valid_where(F, "train_loss_mean", v) > 0
  if (has_train) {
    any_train = 1
    B = B . band(j, "train_loss", color(j))
    P = P . line(j, "train_loss", color(j), "pt 7 ps 1.0", label)
  }
  if (count_valid_where(F, "val_loss_mean", v) > 0) {
    any_val = 1
    B = B . band(j, "val_loss", color(j))
    P = P . line(j, "val_loss", color(j), "dt 2 pt 2 ps 1.2", has_train ? "" : label)
  }
}
if (P eq "") {
  printerr "note: bulk_losses.gp: no loss means in aggregate.csv: skipped"
  exit
}
# Line styles explained once, in black, rather than a train and a val entry per value.
if (any_train) { P = P . ", keyentry with lines lw 2 lc rgb 'black' title 'train (solid)'" }
if (any_val) { P = P . ", keyentry with lines lw 2 dt 2 lc rgb 'black' title 'val (dashed)'" }
eval STEP_XTICS
set xlabel "step"
set ylabel "loss (MSE)"
set title sprintf("Train and val loss for each %s (mean ± std over repeats)", PNAME)
OUT = PLOTS . "/bulk_losses.png"
set output OUT
eval "plot " . (B . P)[3:]
set output
print OUT
