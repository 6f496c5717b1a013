# Figures of a `sih sweep`: each final metric against the first numeric axis, one line (mean
# ± std band over repeats) per combination of the other axes. Reads DIR/final.csv; writes
# DIR/plots/final_<metric>.png.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/final.csv"
if (!file_exists(F)) { exit error DIR . ": no final.csv (not a sih sweep folder)" }
if (count_valid(F, "plot_x") == 0) {
  printerr "note: sweep_final.gp: no numeric axis: no metric-vs-axis figures"
  exit
}
XNAME = first_value(F, "plot_xname")
LOGX = int(first_value(F, "plot_logx"))
NS = count_distinct(F, 2)  # plot_series
array SRC[NS]
array LABEL[NS]
do for [j = 1:NS] {
  LABEL[j] = nth_distinct(F, 2, j)
  SRC[j] = rows_where_col(F, 2, LABEL[j], 4)  # sorted by plot_x
}
if (LOGX) { set logscale x }
set xlabel XNAME . (LOGX ? " (log scale)" : "")
band(j, m, colour) = sprintf(", SRC[%d] using 'plot_x'" \
    . ":(fin(column('%s_mean')) - fin(column('%s_std')))" \
    . ":(fin(column('%s_mean')) + fin(column('%s_std'))) with filledcurves lc rgb '%s' notitle", \
    j, m, m, m, m, colour)
line(j, m, colour, label) = sprintf(", SRC[%d] using 'plot_x':(fin(column('%s_mean')))" \
    . " with linespoints lw 2 pt 7 lc rgb '%s' title '%s'", j, m, colour, label)

METRICS = mean_columns(F)
do for [m in METRICS] {
  if (count_valid(F, m . "_mean") > 0) {
    B = ""; P = ""
    do for [j = 1:NS] {
      B = B . band(j, m, color(j))
      P = P . line(j, m, color(j), NS == 1 && LABEL[j] eq "all" ? "mean" : LABEL[j])
    }
    set ylabel m
    set title sprintf("%s at the last checkpoint vs %s (mean ± std over repeats)", m, XNAME)
    OUT = PLOTS . "/final_" . m . ".png"
    set output OUT
    eval "plot " . (B . P)[3:]
    set output
    print OUT
  }
}
