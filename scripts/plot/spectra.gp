# Spectra of a run's checkpoints (absent when the run was lightweight): reads
# DIR/spectra/step<s>_W_{eigs,sv,entries_hist}.csv and step<s>_a_entries_hist.csv, writes to
# DIR/plots/:
#   step<s>_W_esd.png       histogram of log10(eigenvalues of W^T W), log density axis, with
#                           the Marchenko-Pastur density of the start and the fitted one
#                           (metrics.csv's mp_lambda_plus_init, mp_lambda_plus) and the
#                           eigenvalues above the fitted edge marked
#   step<s>_features_esd.png  the same histogram for the probe features' Gram matrix
#                           (features_spectrum)
#   step<s>_W_sv.png        singular values of W, descending (bar plot)
#   step<s>_W_entries.png   histogram of W's entries
#   W_esd_first_last.png, W_esd_first_last_linear.png   first vs last checkpoint's ESD,
#                           log10 and linear eigenvalue axes
#   W_entries_first_last.png, a_entries_first_last.png  first vs last histogram of entries
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

S = DIR . "/spectra"
if (!dir_exists(S)) {
  printerr "note: spectra.gp: no spectra/ (lightweight run or probe_weights off): skipped"
  exit
}
STEPS = steps_with(S, "step", "_W_eigs\\.csv")
if (words(STEPS) == 0) {
  printerr "note: spectra.gp: no spectra/step<s>_W_eigs.csv files: skipped"
  exit
}
spec(s, what) = sprintf("%s/step%s_%s.csv", S, s, what)
NBINS = 100
# Histogram of X(column 1) of the file HF in 100 equal bins from its min to its max, as
# matplotlib's hist(bins=100, density=True): `eval HIST_STATS` sets Hn (valid values, 0 if
# none), Hlo and Hw (bin width); bin_of(x, Hlo, Hw) is the centre of x's bin and each value
# weighs 1 / (Hn * Hw). A constant column gets a small width rather than a division by zero.
bin_of(x, lo, w) = lo + w * (min(floor((x - lo) / w), NBINS - 1) + 0.5)
HIST_STATS = "Hn = 0; stats HF using (X($1)) nooutput; " \
    . "if (nstats(0) > 0) { Hn = nstats(0); Hlo = STATS_min; " \
    . "Hw = STATS_max > STATS_min ? (STATS_max - STATS_min) / NBINS " \
    . ": max(abs(STATS_min), 1) * 1e-3 }"

logx(v) = v > 0 ? log10(v) : NaN
linx(v) = fin(v)
set style fill transparent solid 0.5 border
# The MP density of an h x d matrix's W^T W eigenvalues with upper edge b, as a density of
# t = log10(lambda): lower edge a = b ((1 - sqrt y) / (1 + sqrt y))^2, y = min(h, d) / max(h, d),
# rho(lambda) = sqrt((b - lambda)(lambda - a)) / (2 pi s2 y lambda), s2 = ((sqrt a + sqrt b) / 2)^2.
M_ = DIR . "/metrics.csv"; C_ = DIR . "/config.json"
cfg_int(k) = int(system("grep -o '\"" . k . "\": *[0-9]*' " . q(C_) . " | head -n1 | grep -o '[0-9]*$' || echo 0"))
HH = file_exists(C_) ? cfg_int("h") : 0; DD = file_exists(C_) ? cfg_int("d") : 0
YMP = (HH > 0 && DD > 0) ? (1.0 * min(HH, DD) / max(HH, DD)) : 0
mp_a(b) = b * ((1 - sqrt(YMP)) / (1 + sqrt(YMP)))**2
mp_s2(b) = ((sqrt(mp_a(b)) + sqrt(b)) / 2)**2
mp_logdens(t, b) = (10**t > mp_a(b) && 10**t < b) ? \
    sqrt((b - 10**t) * (10**t - mp_a(b))) * log(10) / (2 * pi * mp_s2(b) * YMP) : NaN

do for [s in STEPS] {
  # ESD on log10 eigenvalues with a log density axis, as the reference's plot_esd.
  HF = spec(s, "W_eigs"); X(v) = logx(v)
  eval HIST_STATS
  if (Hn > 0) {
    lo_s = Hlo; w_s = Hw; H = 1.0 / (Hn * Hw)
    set logscale y
    set offsets graph 0.02, graph 0.02, 0, 0  # log axes already pad to a decade
    set boxwidth Hw absolute
    set xlabel "log10(λᵢ)   (eigenvalues of WᵀW)"
    set ylabel "ESD density (log scale)"
    set title sprintf("ESD of W at step %s (%d eigenvalues)", s, Hn)
    OUT = sprintf("%s/step%s_W_esd.png", PLOTS, s)
    B0 = file_exists(M_) ? value_at_step(M_, "mp_lambda_plus_init", s) : ""
    BF = file_exists(M_) ? value_at_step(M_, "mp_lambda_plus", s) : ""
    P = sprintf("HF using (bin_of(X($1), lo_s, w_s)):(H) smooth frequency with boxes " \
        . "lc rgb color(1) title 'step %s'", s)
    set samples 800
    if (YMP > 0 && B0 ne "") {
      b0 = real(B0)
      P = P . ", mp_logdens(x, b0) with lines lw 2 dt 2 lc rgb 'black' title 'MP of the start'"
    }
    if (YMP > 0 && BF ne "") {
      bf = real(BF)
      P = P . ", mp_logdens(x, bf) with lines lw 2 lc rgb color(4) title 'MP fit (weightwatcher)'"
      P = P . ", HF using (X($1)):($1 > bf ? 3 * H : NaN) with points pt 11 ps 1.5 " \
          . "lc rgb color(4) title 'spikes (above the fitted edge)'"
    }
    set output OUT
    eval "plot " . P
    set output
    print OUT
    unset logscale y
    set offsets graph 0.02, graph 0.02, graph 0.04, 0
  }

  HF = spec(s, "W_sv")
  n = 0
  if (file_exists(HF)) { stats HF using (fin($1)) nooutput; n = nstats(0) }
  if (n > 0) {
    set boxwidth 0.8 relative
    set xlabel "i (descending order)"
    set ylabel "singular value σᵢ of W"
    set title sprintf("Singular values of W at step %s", s)
    OUT = sprintf("%s/step%s_W_sv.png", PLOTS, s)
    set output OUT
    plot HF using 0:(fin(column("sigma"))) with boxes fs solid 0.8 noborder lc rgb color(1) \
         title sprintf("step %s (%d values)", s, n)
    set output
    print OUT
  }

  # The probe features' ESD (features_spectrum), on the same axes.
  HF = spec(s, "features_eigs"); X(v) = logx(v)
  if (file_exists(HF)) {
    eval HIST_STATS
    if (Hn > 0) {
      lo_s = Hlo; w_s = Hw; H = 1.0 / (Hn * Hw)
      set logscale y
      set offsets graph 0.02, graph 0.02, 0, 0
      set boxwidth Hw absolute
      set xlabel "log10(λᵢ)   (eigenvalues of ΦᵀΦ, the probe features' Gram matrix)"
      set ylabel "ESD density (log scale)"
      set title sprintf("ESD of the probe features at step %s (%d eigenvalues)", s, Hn)
      OUT = sprintf("%s/step%s_features_esd.png", PLOTS, s)
      set output OUT
      plot HF using (bin_of(X($1), lo_s, w_s)):(H) smooth frequency with boxes \
           lc rgb color(3) title sprintf("step %s", s)
      set output
      print OUT
      unset logscale y
      set offsets graph 0.02, graph 0.02, graph 0.04, 0
    }
  }

  HF = spec(s, "W_entries_hist")
  n = 0
  if (file_exists(HF)) { stats HF using ($2 - $1):(fin($3)) nooutput; n = nstats(0) }
  if (n > 0) {
    set boxwidth STATS_max_x absolute
    set xlabel "entry value of W"
    set ylabel "density"
    set title sprintf("Histogram of W's entries at step %s", s)
    OUT = sprintf("%s/step%s_W_entries.png", PLOTS, s)
    set output OUT
    plot HF using (($1 + $2) / 2):(fin($3)):($2 - $1) with boxes lc rgb color(1) \
         title sprintf("step %s", s)
    set output
    print OUT
  }
}

# First vs last checkpoint, overlaid (the reference's plot_initial_final_*).
if (words(STEPS) < 2) {
  printerr "note: spectra.gp: a single checkpoint: no first vs last figures"
  exit
}
S0 = word(STEPS, 1); S1 = word(STEPS, words(STEPS))
C0 = color(4); C1 = color(1)
T0 = sprintf("initial (step %s)", S0); T1 = sprintf("step %s", S1)

do for [scale in "log linear"] {
  if (scale eq "log") { X(v) = logx(v) } else { X(v) = linx(v) }
  HF = spec(S0, "W_eigs"); eval HIST_STATS; n0 = Hn; lo0 = Hlo; w0 = Hw
  HF = spec(S1, "W_eigs"); eval HIST_STATS; n1 = Hn; lo1 = Hlo; w1 = Hw
  if (n0 > 0 && n1 > 0) {
    if (scale eq "log") {
      set logscale y
      set offsets graph 0.02, graph 0.02, 0, 0  # log axes already pad to a decade
      set xlabel "log10(λᵢ)   (eigenvalues of WᵀW)"
      set ylabel "ESD density (log scale)"
      OUT = PLOTS . "/W_esd_first_last.png"
    } else {
      unset logscale y
      set offsets graph 0.02, graph 0.02, graph 0.04, 0
      set xlabel "λᵢ   (eigenvalues of WᵀW)"
      set ylabel "ESD density"
      OUT = PLOTS . "/W_esd_first_last_linear.png"
    }
    set title sprintf("ESD of W: step %s vs step %s", S0, S1)
    # gnuplot's autoscale pads the x range by the current boxwidth, even with a width column.
    set boxwidth max(w0, w1) absolute
    # Each data set has its own bins, so its own box width: tabulate, then plot with a
    # width column.
    # (Tables are written space-separated.)
    set table $H0
    plot spec(S0, "W_eigs") using (bin_of(X($1), lo0, w0)):(1.0 / (n0 * w0)) smooth frequency
    set table $H1
    plot spec(S1, "W_eigs") using (bin_of(X($1), lo1, w1)):(1.0 / (n1 * w1)) smooth frequency
    unset table
    set datafile separator whitespace
    set output OUT
    plot $H0 using 1:2:(w0) with boxes lc rgb C0 title T0, \
         $H1 using 1:2:(w1) with boxes lc rgb C1 title T1
    set output
    set datafile separator ","
    print OUT
  }
}
unset logscale y
set offsets graph 0.02, graph 0.02, graph 0.04, 0

do for [L in "W a"] {
  F0 = spec(S0, L . "_entries_hist"); F1 = spec(S1, L . "_entries_hist")
  n0 = 0; n1 = 0
  if (file_exists(F0) && file_exists(F1)) {
    stats F0 using ($2 - $1):(fin($3)) nooutput
    if (nstats(0) > 0) { n0 = nstats(0); bw = STATS_max_x }
    stats F1 using ($2 - $1):(fin($3)) nooutput
    if (nstats(0) > 0) { n1 = nstats(0); bw = max(bw, STATS_max_x) }
  }
  if (n0 > 0 && n1 > 0) {
    set boxwidth bw absolute
    set xlabel sprintf("entry value of %s", L eq "W" ? "W (hidden layer)" : "a (read-out)")
    set ylabel "density"
    set title sprintf("Histogram of %s's entries: step %s vs step %s", L, S0, S1)
    OUT = sprintf("%s/%s_entries_first_last.png", PLOTS, L)
    set output OUT
    plot F0 using (($1 + $2) / 2):(fin($3)):($2 - $1) with boxes lc rgb color(2) title T0, \
         F1 using (($1 + $2) / 2):(fin($3)):($2 - $1) with boxes lc rgb color(5) title T1
    set output
    print OUT
  }
}
