# Overlaps of W's singular vectors with those of the update M = W_{k+1} - W_k (runs with
# plot_overlaps), per consecutive checkpoint pair k. Reads DIR/overlaps/pair<k>_M_sv.csv and
# pair<k>_<Wk|Wk1>_<U|V>_plot.csv (block-averaged matrices), step numbers from
# DIR/metrics.csv; writes DIR/plots/:
#   pair<k>_M_sv.png             singular values of M (bar plot)
#   pair<k>_<Wk|Wk1>_<U|V>.png   heat map of (U_W^T U_M)^2 (or V), W = W_k or W_{k+1}
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

O = DIR . "/overlaps"
if (!dir_exists(O)) {
  printerr "note: overlaps.gp: no overlaps/ (plot_overlaps off): skipped"
  exit
}
PAIRS = steps_with(O, "pair", "_M_sv\\.csv")
if (words(PAIRS) == 0) {
  printerr "note: overlaps.gp: no overlaps/pair<k>_M_sv.csv files: skipped"
  exit
}
M = DIR . "/metrics.csv"
CKPT = file_exists(M) ? system("awk -F, 'NR>1{print $1}' " . q(M) . " | tr '\\n' ' '") : ""
# Pair k joins checkpoints k and k+1; name their steps when metrics.csv lists them.
pair_name(k) = words(CKPT) >= k + 2 ? \
    sprintf("steps %s → %s", word(CKPT, k + 1), word(CKPT, k + 2)) : sprintf("pair %d", k)
ckpt_name(k) = words(CKPT) >= k + 1 ? sprintf("step %s", word(CKPT, k + 1)) : sprintf("W_%d", k)

# viridis, reversed as the reference's viridis_r scatter: strong overlaps dark.
set palette defined (0 "#fde725", 0.25 "#5ec962", 0.5 "#21918c", 0.75 "#3b528b", 1 "#440154")

do for [ks in PAIRS] {
  k = int(ks)
  F = sprintf("%s/pair%s_M_sv.csv", O, ks)
  stats F using (fin($1)) nooutput
  NSV = nstats(0)
  if (NSV == 0) {
    printerr sprintf("note: overlaps.gp: %s has no values: no pair%s_M_sv.png", F, ks)
  } else {
    set boxwidth 0.8 relative
    set xlabel "i (descending order)"
    set ylabel "singular value σᵢ of M"
    set title sprintf("Singular values of the update M = W_k+1 − W_k (%s)", pair_name(k))
    OUT = sprintf("%s/pair%s_M_sv.png", PLOTS, ks)
    set output OUT
    plot F using 0:(fin(column("sigma"))) with boxes fs solid 0.8 noborder lc rgb color(1) \
         title sprintf("σᵢ(M), %d values", NSV)
    set output
    print OUT
  }

  do for [which in "Wk Wk1"] {
    do for [side in "U V"] {
      H = sprintf("%s/pair%s_%s_%s_plot.csv", O, ks, which, side)
      # (stats on an empty matrix file is a fatal error, not an empty result.)
      if (count_lines(H) == 0) {
        printerr sprintf("note: overlaps.gp: %s missing or empty: skipped", H)
      } else {
        # Block-averaged to B x B: a cell stands for N / B singular-vector indices.
        set datafile separator whitespace
        stats H matrix nooutput
        if (nstats(0) == 0) {
          printerr sprintf("note: overlaps.gp: %s has no values: skipped", H)
          set datafile separator ","
          continue
        }
        B = STATS_size_x
        # Most overlaps are tiny next to the few strong ones: a log colour scale spanning four
        # decades below the maximum shows both (smaller values get the lightest colour).
        cbhi = STATS_max > 0 ? STATS_max : 1
        cblo = cbhi * 1e-4
        set logscale cb
        set cbrange [cblo:cbhi]
        set format cb "%.0e"
        sc = (NSV > 0 && B > 0) ? real(NSV) / B : 1
        Wname = which eq "Wk" ? ckpt_name(k) : ckpt_name(k + 1)
        set xlabel sprintf("j: singular vector %s_M of the update M", side)
        set ylabel sprintf("i: singular vector %s_W of W (%s)", side, Wname)
        set cblabel sprintf("(%s_Wᵀ %s_M)²  (block mean, log scale)", side, side)
        set title sprintf("Overlap of %s's singular vectors with M's (%s, %s side)", \
            which eq "Wk" ? "W_k" : "W_k+1", pair_name(k), side eq "U" ? "left" : "right")
        set autoscale xfix; set autoscale yfix
        set offsets 0, 0, 0, 0
        set size ratio -1
        set tics out
        set grid noxtics noytics
        set key off
        OUT = sprintf("%s/pair%s_%s_%s.png", PLOTS, ks, which, side)
        set output OUT
        set style fill solid 1
        plot H matrix using (($1 + 0.5) * sc - 0.5):(($2 + 0.5) * sc - 0.5):(max($3, cblo)) \
             with image notitle
        set output
        print OUT
        set size noratio
        set grid xtics ytics
        set key on
        set style fill transparent solid 0.2 noborder
        set offsets graph 0.02, graph 0.02, graph 0.04, 0
        set autoscale y
        set datafile separator ","
      }
    }
  }
}
