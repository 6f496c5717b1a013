# `sih analyze --plot` / `sih report` on an analyze folder: the layer-by-layer figures.
# gnuplot -c analyze_layers.gp DIR reads the files sih wrote there from analyze.csv (rows with
# a failed power-law fit left out of the alpha columns):
#   layers_alpha.dat       row of analyze.csv, alpha, kind number (1-based, into layers.kinds)
#   layers_norms.dat       row, log_norm, kind number (rows with a finite log_norm)
#   layers_alpha_weighted.dat  row, alpha_weighted, kind number (fitted rows only)
#   layers_alpha_hist.dat  bin centre, count, bin width
#   layers.kinds           the kinds, space-separated, in kind-number order
#   layers.title           the title
# and writes DIR/layers_alpha.png, DIR/layers_norms.png (a panel per non-empty file of the two)
# and DIR/layers_alpha_hist.png for the .dat files present. Paths reach the shell single-quoted.
D = ARG1
if (D eq "") { exit error "usage: gnuplot -c analyze_layers.gp DIR" }
_shq(s) = (strstrt(s, "'") == 0) ? s : \
    s[1:strstrt(s, "'") - 1] . "'\\''" . _shq(s[strstrt(s, "'") + 1:])
q(s) = "'" . _shq(s) . "'"
nonempty(f) = int(system("test -s " . q(f) . " && echo 1 || echo 0"))
TITLE = system("cat " . q(D . "/layers.title"))
KINDS = system("cat " . q(D . "/layers.kinds"))
K = words(KINDS)
# One colour per kind, the same in every figure (Paul Tol's bright and muted schemes).
array COL[12] = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", \
                 "#332288", "#117733", "#999933", "#882255", "#bbbbbb", "#000000"]
col(i) = COL[(i - 1) % 12 + 1]
set terminal pngcairo size 1000,560 font "DejaVu Sans,12" noenhanced linewidth 1.5
set grid
set key outside right top
set xlabel "layer (row of analyze.csv)"
set offsets 0.5, 0.5, 0, 0
set format x "%.0f"

A = D . "/layers_alpha.dat"
if (nonempty(A)) {
  set output D . "/layers_alpha.png"
  set title TITLE . ": alpha per layer (band 2..6)"
  set ylabel "alpha (power-law exponent of the ESD)"
  set object 1 rect from graph 0, first 2 to graph 1, first 6 fc rgb "#d9ead3" fs solid 0.6 noborder behind
  stats A using 2 nooutput
  set yrange [0 < STATS_min - 0.5 ? 0 : STATS_min - 0.5 : (STATS_max > 6.5 ? STATS_max * 1.05 : 7)]
  plot for [i = 1:K] A using 1:($3 == i ? $2 : NaN) with points pt 7 ps 1.1 lc rgb col(i) \
       title word(KINDS, i), \
       NaN with boxes fs solid 0.6 lc rgb "#d9ead3" title "2 <= alpha <= 6"
  unset object 1
  set autoscale y
}

N = D . "/layers_norms.dat"
W = D . "/layers_alpha_weighted.dat"
PANELS = nonempty(N) + nonempty(W)
if (PANELS > 0) {
  set output D . "/layers_norms.png"
  set terminal pngcairo size 1000,(PANELS == 2 ? 760 : 480) font "DejaVu Sans,12" noenhanced linewidth 1.5
  set multiplot layout PANELS,1 title TITLE
  if (nonempty(N)) {
    set title "log_norm per layer (log10 of the squared Frobenius norm)"
    set ylabel "log_norm"
    plot for [i = 1:K] N using 1:($3 == i ? $2 : NaN) with points pt 7 ps 1 lc rgb col(i) \
         title word(KINDS, i)
  }
  if (nonempty(W)) {
    set title "alpha_weighted per layer (alpha x log10 of the largest eigenvalue)"
    set ylabel "alpha_weighted"
    plot for [i = 1:K] W using 1:($3 == i ? $2 : NaN) with points pt 7 ps 1 lc rgb col(i) \
         title word(KINDS, i)
  }
  unset multiplot
  set terminal pngcairo size 1000,560 font "DejaVu Sans,12" noenhanced linewidth 1.5
}

H = D . "/layers_alpha_hist.dat"
if (nonempty(H)) {
  set output D . "/layers_alpha_hist.png"
  set title TITLE . ": histogram of the layers' alphas"
  set xlabel "alpha"
  set offsets 0, 0, 0, 0
  set format x "%g"
  set ylabel "layers"
  set style fill solid 0.6 border lc rgb "#333333"
  set yrange [0:*]
  # 2 and 6 always in view
  stats H using 1 nooutput
  CMIN = STATS_min
  CMAX = STATS_max
  stats H using 3 nooutput
  HW = STATS_max
  set xrange [(CMIN - HW < 1.5 ? CMIN - HW : 1.5) : (CMAX + HW > 6.5 ? CMAX + HW : 6.5)]
  set arrow 1 from 2, graph 0 to 2, graph 1 nohead front dt 2 lc rgb "#228833"
  set arrow 2 from 6, graph 0 to 6, graph 1 nohead front dt 2 lc rgb "#228833"
  set key inside right top
  plot H using 1:2:3 with boxes lc rgb "#4477aa" title "layers per bin", \
       NaN with lines dt 2 lc rgb "#228833" title "alpha = 2 and 6"
}
set output
