# The threshold figures of `sih reproduce` (reproduce.thresholds with fit, docs/REPRODUCE.md):
# per DIR/thresholds_<k>.dat, the threshold against the fit axis on log-log axes, one colour per
# group (points: the thresholds found on the grid; line: the least-squares power law, its slope
# and 95% interval in the key). Writes DIR/plots/thresholds_<k>.png.
# The .dat: "# title: ...", "# xlabel: ...", "# ylabel: ...", then one block per group (two
# blank lines apart) whose first line is its quoted key text and whose rows are x, threshold,
# fitted threshold.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

FILES = system("ls " . q(DIR) . "/thresholds_*.dat 2>/dev/null")
if (words(FILES) == 0) { printerr "note: thresholds.gp: no thresholds_*.dat"; exit }
system("mkdir -p " . q(PLOTS))
set datafile separator whitespace
set logscale xy
do for [F in FILES] {
  NB = int(system("grep -c '^\"' " . q(F)))
  T = system("sed -n 's/^# title: //p' " . q(F))
  XL = system("sed -n 's/^# xlabel: //p' " . q(F))
  YL = system("sed -n 's/^# ylabel: //p' " . q(F))
  if (NB > 0) {
    set title T
    set xlabel XL . " (log scale)"
    set ylabel YL . " (log scale)"
    B = F[strstrt(F, "thresholds_"):strlen(F) - 4]
    OUT = PLOTS . "/" . B . ".png"
    set output OUT
    plot for [i = 0:NB - 1] F index i using 1:2 with points pt 7 ps 1.5 lc rgb color(i + 1) \
           title columnheader(1), \
         for [i = 0:NB - 1] F index i using 1:3 with lines lw 2 dt 2 lc rgb color(i + 1) notitle
    set output
    print OUT
  }
}
