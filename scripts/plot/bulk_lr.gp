# Figures of a bulk-lr sweep: final-checkpoint metrics against log10(lr), one curve per
# optimizer (sgd "GD", adam "FB-Adam"), mean over repeats with a ±std band. Reads
# DIR/aggregate.csv; writes DIR/plots/bulk_losses.png (train solid, test dashed),
# bulk_kta.png, bulk_w_beta_alignment.png, bulk_alpha_hill.png, bulk_alpha_mle_ks.png.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/aggregate.csv"
if (!file_exists(F)) { exit error DIR . ": no aggregate.csv (not a sih sweep folder)" }
HEADER = system("head -n 1 " . q(F))
if (HEADER[1:13] ne "optimizer,lr,") {
  exit error F . ": not a bulk-lr aggregate (header must start with optimizer,lr,)"
}
# sgd and adam first, so that they keep the reference's colours whatever the row order.
_all = first_column_values(F, 0)
OPTS = ""
do for [o in "sgd adam"] { if (strstrt(" " . _all, " " . o . " ") > 0) { OPTS = OPTS . o . " " } }
do for [o in _all] { if (o ne "sgd" && o ne "adam") { OPTS = OPTS . o . " " } }
NOPT = words(OPTS)
if (NOPT == 0) { exit error F . ": no rows" }
array SRC[NOPT]
do for [j = 1:NOPT] { SRC[j] = rows_where(F, word(OPTS, j), 2) }

set xlabel "log10(η)   (learning rate)"
stats F using (log10(column("lr"))) nooutput
if (nstats(0) > 0 && STATS_max - STATS_min <= 12) { set xtics 1 }

# Plot pieces of a metric m for optimizer j: its ±std band and its mean line (`style`
# appended to the line spec). Bands are all drawn before lines, so that no band veils a line.
# A log y axis (LOGY) has no room for mean - std <= 0: the band is then clipped at YFLOOR.
YFLOOR = 0
band_lo(m, s) = (LOGY && m - s <= 0) ? YFLOOR : m - s
band(j, m, colour) = sprintf(", SRC[%d] using (log10(column('lr')))" \
    . ":(band_lo(fin(column('%s_mean')), fin(column('%s_std'))))" \
    . ":(fin(column('%s_mean')) + fin(column('%s_std'))) with filledcurves lc rgb '%s' notitle", \
    j, m, m, m, m, colour)
line(j, m, colour, style, label) = sprintf(", SRC[%d] using (log10(column('lr')))" \
    . ":(fin(column('%s_mean'))) with linespoints lw 2 lc rgb '%s' %s title '%s'", \
    j, m, colour, style, label)

# --- losses: train and test per optimizer -----------------------------------------------------
LOGY = 0
stats F using (pos(column("train_loss_mean"))) nooutput
lo = nstats(0) > 0 ? STATS_min : 1; hi = nstats(0) > 0 ? STATS_max : 1
stats F using (pos(column("val_loss_mean"))) nooutput
if (nstats(0) > 0) { lo = min(lo, STATS_min); hi = max(hi, STATS_max) }
# Diverging learning rates make losses span decades: a log axis keeps the rest readable.
if (lo > 0 && hi / lo > 1e3) { LOGY = 1; YFLOOR = lo / 10; set logscale y }
B = ""; P = ""
do for [j = 1:NOPT] {
  o = word(OPTS, j)
  if (count_valid_where(F, "train_loss_mean", o) > 0) {
    B = B . band(j, "train_loss", color(j))
    P = P . line(j, "train_loss", color(j), "pt 7 ps 1.1", optimizer_label(o) . ":train")
  }
}
do for [j = 1:NOPT] {
  o = word(OPTS, j)
  if (count_valid_where(F, "val_loss_mean", o) > 0) {
    B = B . band(j, "val_loss", color(NOPT + j))
    P = P . line(j, "val_loss", color(NOPT + j), "dt 2 pt 2 ps 1.3", optimizer_label(o) . ":test")
  }
}
if (P eq "") {
  printerr "note: bulk_lr.gp: no train/val loss means in aggregate.csv: no bulk_losses.png"
} else {
  set ylabel "final loss (MSE)"
  set title "Final train and test loss vs learning rate (mean ± std over repeats)"
  OUT = PLOTS . "/bulk_losses.png"
  set output OUT
  eval "plot " . (B . P)[3:]
  set output
  print OUT
}
unset logscale y
LOGY = 0

# --- one figure per remaining metric -----------------------------------------------------------
METRICS = "kta w_beta_alignment alpha_hill alpha_mle_ks"
array YLAB[4] = ["KTA", "sim(W, β*) = |v₁·β*|", "PL α (Hill)", "PL α (MLE+KS)"]
array TITLE[4] = ["Kernel-target alignment", "Alignment of W's top singular vector with β*", \
    "Power-law α of W's ESD, Hill estimator", "Power-law α of W's ESD, MLE + KS xmin"]
do for [im = 1:words(METRICS)] {
  m = word(METRICS, im)
  B = ""; P = ""
  do for [j = 1:NOPT] {
    o = word(OPTS, j)
    if (count_valid_where(F, m . "_mean", o) > 0) {
      B = B . band(j, m, color(j))
      P = P . line(j, m, color(j), "pt 7 ps 1.1", optimizer_label(o))
    }
  }
  if (P eq "") {
    printerr sprintf("note: bulk_lr.gp: no %s_mean values in aggregate.csv: no bulk_%s.png", m, m)
  } else {
    set ylabel YLAB[im]
    set title TITLE[im] . " vs learning rate"
    OUT = sprintf("%s/bulk_%s.png", PLOTS, m)
    set output OUT
    eval "plot " . (B . P)[3:]
    set output
    print OUT
  }
}
