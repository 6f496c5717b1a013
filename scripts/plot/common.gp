# Shared setup of the sih plot scripts. Every script starts with
#   SCRIPT = ARG0; DIR = ARG1
#   _i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
#   load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"
# so that it works from any working directory (gnuplot -c scripts/plot/<name>.gp OUT_DIR).
# The arguments are copied first because `load` hides ARG0..ARGC from the loaded file.
#
# Protocol (sih plot relies on it): a script prints the path of every PNG it wrote on stdout,
# one per line, and nothing else there. Notes (printerr "note: ...") and errors go to stderr; an
# error exits non-zero with a one-line message (gnuplot's last stderr line).
# Paths reach the shell only through q(), which single-quotes them.

if (DIR eq "") { exit error "usage: gnuplot -c " . SCRIPT . " OUT_DIR" }
while (strlen(DIR) > 1 && DIR[strlen(DIR):strlen(DIR)] eq "/") { DIR = DIR[1:strlen(DIR) - 1] }
# sih plot draws into a staging folder (SIH_PLOTS_DIR) and renames it to DIR/plots when every
# figure is complete; run by hand, a script draws straight into DIR/plots.
PLOTS = system("printf '%s' \"$SIH_PLOTS_DIR\"")
if (PLOTS eq "") { PLOTS = DIR . "/plots" }

# --- shell helpers ---------------------------------------------------------------------------
_shq(s) = (strstrt(s, "'") == 0) ? s : \
    s[1:strstrt(s, "'") - 1] . "'\\''" . _shq(s[strstrt(s, "'") + 1:])
q(s) = "'" . _shq(s) . "'"
file_exists(f) = int(system("test -f " . q(f) . " && echo 1 || echo 0"))
dir_exists(d) = int(system("test -d " . q(d) . " && echo 1 || echo 0"))
# Non-blank lines of a file (0 if absent).
count_lines(f) = int(system("awk 'NF{n++} END{print n+0}' " . q(f) . " 2>/dev/null || echo 0"))
# awk program text shared by the helpers below: k = index of the column named c (0 if absent);
# a finite number is what the CSV writer prints (no nan/inf, no empty cell).
_AWK_COL = "NR==1{for(i=1;i<=NF;i++)if($i==c)k=i;next} "
_AWK_NUM = "$k~/^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/"
_AWK_FIN = "k&&" . _AWK_NUM
# Number of finite values in column c of CSV file f (0 when the column is absent).
count_valid(f, c) = int(system("awk -F, -v c=" . q(c) . " '" . _AWK_COL . _AWK_FIN \
    . "{n++} END{print n+0}' " . q(f)))
# The same, counting only the rows whose first column is v.
count_valid_where(f, c, v) = int(system("awk -F, -v c=" . q(c) . " -v v=" . q(v) . " '" \
    . _AWK_COL . "$1==v&&" . _AWK_FIN . "{n++} END{print n+0}' " . q(f)))
# Value of column c in the row whose column "step" equals s, or "" when missing.
value_at_step(f, c, s) = system("awk -F, -v c=" . q(c) . " -v s=" . q(s) \
    . " 'NR==1{for(i=1;i<=NF;i++){if($i==c)k=i;if($i==\"step\")j=i};next} " \
    . "j&&k&&$j+0==s+0&&" . _AWK_NUM . "{print $k; exit}' " . q(f))
# Space-separated distinct values of the first column: in numeric order (numeric = 1) or in
# order of appearance.
first_column_values(f, numeric) = system("awk -F, 'NR>1&&$1!=\"\"&&!seen[$1]++{print $1}' " \
    . q(f) . (numeric ? " | sort -g" : "") . " | tr '\\n' ' '")
# A gnuplot data source: the header of f, then its rows whose first column is v, sorted by
# the numeric column sortcol (sweeps need lines drawn in x order whatever the row order).
rows_where(f, v, sortcol) = "< awk -F, -v v=" . q(v) . " 'NR==1{print;fflush();next} " \
    . "$1==v{print | \"sort -t, -k" . sortcol . "," . sortcol . "g\"}' " . q(f)
# Steps s with a file <d>/<prefix><s><suffix>, ascending, space-separated.
steps_with(d, prefix, suffix) = system("ls " . q(d) . " 2>/dev/null | sed -n 's/^" . prefix \
    . "\\([0-9][0-9]*\\)" . suffix . "$/\\1/p' | sort -n | tr '\\n' ' '")

# --- numbers -----------------------------------------------------------------------------
# Non-finite values (a diverged run writes nan/inf) become undefined points, not axis breakers.
fin(x) = (x == x && abs(x) < 1e300) ? x : NaN
pos(x) = (x == x && x > 0 && x < 1e300) ? x : NaN
max(a, b) = a > b ? a : b
min(a, b) = a < b ? a : b

# --- look ----------------------------------------------------------------------------------
# noenhanced: file names and keys contain "_" which enhanced text would turn into subscripts.
set terminal pngcairo size 800,600 font "DejaVu Sans,13" noenhanced linewidth 1.5
set encoding utf8
set datafile separator ","
set grid lc rgb "#dddddd" lw 1
# The key sits below the graph: inside, it would hide data whatever corner it took.
set key below center horizontal Left reverse maxrows 4 nobox samplen 4 spacing 1.1 width 1 \
    height 0.5
set title font ",14"
# Room around the data, so end points do not sit on the axes.
set offsets graph 0.02, graph 0.02, graph 0.04, 0
set autoscale xfix
set border lw 1
set tics nomirror out
# "%g": no "1.000000" on log axes, no trailing zeros on linear ones.
set format xy "%g"
set border 3
set style fill transparent solid 0.2 noborder
# matplotlib's tab10, so colours match the paper's figures.
COLORS = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf"
color(i) = word(COLORS, ((i - 1) % 10) + 1)
optimizer_label(o) = o eq "sgd" ? "GD" : (o eq "adam" ? "FB-Adam" : o)

if (!dir_exists(DIR)) { exit error DIR . ": no such folder" }
_mk = system("mkdir -p " . q(PLOTS) . " 2>&1")
if (_mk ne "") { exit error "cannot create " . PLOTS . ": " . _mk }
set print "-"

# Valid points found by the last stats: one that finds none leaves STATS_* undefined, so its
# results are read only when nstats(0) > 0.
nstats(unused) = exists("STATS_records") ? STATS_records : 0  # gnuplot wants an argument

# `eval STEP_XTICS` after setting F (a CSV with a "step" column): integer ticks on short runs,
# where gnuplot's automatic ticks would land on half steps.
STEP_XTICS = "stats F using (column('step')) nooutput; " \
    . "if (nstats(0) > 0 && STATS_max - STATS_min <= 12) { set xtics 1 }"

# --- sweep helpers (column c by number) ------------------------------------------------------
# Number of distinct non-empty values in column c, and the k-th of them in order of appearance.
count_distinct(f, c) = int(system("awk -F, -v c=" . c . " 'NR>1&&$c!=\"\"&&!seen[$c]++{n++} " \
    . "END{print n+0}' " . q(f)))
nth_distinct(f, c, k) = system("awk -F, -v c=" . c . " -v k=" . k . " 'NR>1&&$c!=\"\"&&" \
    . "!seen[$c]++{if(++n==k){print $c; exit}}' " . q(f))
# A data source: the header of f, then its rows whose column c is v, sorted by column sortcol
# (0: in file order).
rows_where_col(f, c, v, sortcol) = "< awk -F, -v c=" . c . " -v v=" . q(v) \
    . " 'NR==1{print;fflush();next} $c==v{print" . (sortcol > 0 ? " | \"sort -t, -k" \
    . sortcol . "," . sortcol . "g\"" : "") . "}' " . q(f)
# The value of column named n in the second line of f (the first data row).
first_value(f, n) = system("awk -F, -v c=" . q(n) . " 'NR==1{for(i=1;i<=NF;i++)if($i==c)k=i;" \
    . "next} {print (k ? $k : \"\"); exit}' " . q(f))
# Metric names with a <m>_mean column in the header of f, space-separated.
mean_columns(f) = system("head -n 1 " . q(f) . " | tr ',' '\\n' | sed -n 's/_mean$//p' " \
    . "| tr '\\n' ' '")
