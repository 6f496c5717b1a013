# `sih analyze --plot DIR`, one matrix: gnuplot -c analyze_esd.gp PREFIX reads the files
# sih wrote for it (PREFIX.esd.dat: histogram centre, density; PREFIX.mp.dat: the fitted MP
# density; PREFIX.spikes.dat: eigenvalues above the fitted edge; PREFIX.ccdf.dat: eigenvalue,
# empirical CCDF; PREFIX.plfit.dat: the power law fitted above xmin; PREFIX.title) and writes
# PREFIX_esd.png and PREFIX_ccdf.png. Paths reach the shell single-quoted.
P = ARG1
if (P eq "") { exit error "usage: gnuplot -c analyze_esd.gp PREFIX" }
_shq(s) = (strstrt(s, "'") == 0) ? s : \
    s[1:strstrt(s, "'") - 1] . "'\\''" . _shq(s[strstrt(s, "'") + 1:])
q(s) = "'" . _shq(s) . "'"
nonempty(f) = int(system("test -s " . q(f) . " && echo 1 || echo 0"))
TITLE = system("cat " . q(P . ".title"))
set terminal pngcairo size 900,600 font "DejaVu Sans,12" noenhanced linewidth 1.5
set grid

set output P . "_esd.png"
set title TITLE
set xlabel "eigenvalue of W^T W"
set ylabel "density"
set style fill solid 0.4 noborder
if (nonempty(P . ".spikes.dat")) {
  plot P . ".esd.dat" using 1:2 with boxes lc rgb "#4477aa" title "ESD", \
       P . ".mp.dat" using 1:2 with lines lw 2 lc rgb "#cc3311" title "fitted MP density", \
       P . ".spikes.dat" using 1:(0) with points pt 9 ps 2 lc rgb "#ee7733" title "spikes (> fitted edge)"
} else {
  plot P . ".esd.dat" using 1:2 with boxes lc rgb "#4477aa" title "ESD", \
       P . ".mp.dat" using 1:2 with lines lw 2 lc rgb "#cc3311" title "fitted MP density"
}
set output P . "_ccdf.png"
set logscale xy
set xlabel "eigenvalue"
set ylabel "P(Lambda >= lambda)"
if (nonempty(P . ".plfit.dat")) {
  plot P . ".ccdf.dat" using 1:2 with points pt 7 ps 0.6 lc rgb "#4477aa" title "empirical CCDF", \
       P . ".plfit.dat" using 1:2 with lines lw 2 lc rgb "#cc3311" title "power law above xmin (MLE+KS)"
} else {
  plot P . ".ccdf.dat" using 1:2 with points pt 7 ps 0.6 lc rgb "#4477aa" title "empirical CCDF"
}
set output
