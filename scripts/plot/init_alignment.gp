# |V^T beta| of the initial W (right singular vectors, descending singular value) with its
# maximum marked: DIR/init_pc_beta_alignment.csv -> DIR/plots/init_pc_beta_alignment.png
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

F = DIR . "/init_pc_beta_alignment.csv"
if (!file_exists(F)) {
  printerr "note: init_alignment.gp: no init_pc_beta_alignment.csv: skipped"
  exit
}
if (count_valid(F, "alignment") == 0) { exit error F . ": no alignment values" }
stats F using (column("i")):(fin(column("alignment"))) nooutput
imax = STATS_pos_max_y
amax = STATS_max_y
set arrow 1 from imax, graph 0 to imax, graph 1 nohead dt 2 lw 2 lc rgb color(4)
set xlabel "i (right singular vector of the initial W, by descending σᵢ)"
set ylabel "alignment |vᵢ·β*|"
set title "Initial W: alignment of its principal components with β*"
OUT = PLOTS . "/init_pc_beta_alignment.png"
set output OUT
plot F using "i":(fin(column("alignment"))) with lines lw 2 lc rgb color(1) title "|vᵢ·β*|", \
     keyentry with lines dt 2 lw 2 lc rgb color(4) title sprintf("max %.2f at i=%d", amax, imax)
set output
print OUT
