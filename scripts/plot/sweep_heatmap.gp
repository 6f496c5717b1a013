# Phase diagrams of a `sih sweep` with two numeric axes: each final metric's mean over
# repeats as a heat map over (first axis, second axis), log-scaled axes where the values span
# two decades or more; one map per combination of the other axes. Reads DIR/final.csv;
# writes DIR/plots/heatmap_<metric>.png (heatmap_<metric>_<k>.png for the k-th combination).
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/final.csv"
if (!file_exists(F)) { exit error DIR . ": no final.csv (not a sih sweep folder)" }
if (count_valid(F, "plot_y") == 0) {
  printerr "note: sweep_heatmap.gp: fewer than two numeric axes: no phase diagram"
  exit
}
XNAME = first_value(F, "plot_xname"); YNAME = first_value(F, "plot_yname")
LOGX = int(first_value(F, "plot_logx")); LOGY = int(first_value(F, "plot_logy"))
NS = count_distinct(F, 3)  # plot_map
if (LOGX) { set logscale x }
if (LOGY) { set logscale y }
set xlabel XNAME . (LOGX ? " (log scale)" : "")
set ylabel YNAME . (LOGY ? " (log scale)" : "")
set offsets 0, 0, 0, 0
set autoscale xfix
set autoscale yfix
set palette defined (0 "#440154", 0.25 "#3b528b", 0.5 "#21918c", 0.75 "#5ec962", 1 "#fde725")
set style fill solid 1.0 noborder
set key off
unset grid
METRICS = mean_columns(F)
do for [m in METRICS] {
  if (count_valid(F, m . "_mean") > 0) {
    do for [j = 1:NS] {
      S = nth_distinct(F, 3, j)
      SRC = rows_where_col(F, 3, S, 0)
      set cblabel m . " (mean)"
      set title sprintf("%s at the last checkpoint%s", m, S eq "all" ? "" : " (" . S . ")")
      OUT = PLOTS . "/heatmap_" . m . (NS > 1 ? sprintf("_%d", j) : "") . ".png"
      set output OUT
      plot SRC using 'plot_x':'plot_y':'plot_x_lo':'plot_x_hi':'plot_y_lo':'plot_y_hi':\
           (fin(column(m . '_mean'))) with boxxy fc palette, \
           SRC using 'plot_x':'plot_y':(sprintf("%.3g", fin(column(m . '_mean')))) \
           with labels tc rgb "white" font ",10"
      set output
      print OUT
    }
  }
}
