# Power-law fits of W's ESD at the last checkpoint with spectra: log-log CCDF of the
# eigenvalues of W^T W with the fitted tails P(Λ >= λ) ∝ λ^(1 - α) drawn from xmin, Hill
# (xmin = λ_floor(N/2)) and MLE+KS (xmin of least KS distance), as docs/MODEL.md §5.
# Reads DIR/spectra/step<s>_W_eigs.csv and alpha_hill/alpha_mle_ks of step s in
# DIR/metrics.csv; writes DIR/plots/W_esd_powerlaw.png.
SCRIPT = ARG0; DIR = ARG1
_i = strlen(SCRIPT); while (_i > 0 && SCRIPT[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? SCRIPT[1:_i] : "./") . "common.gp"

S = DIR . "/spectra"
STEPS = dir_exists(S) ? steps_with(S, "step", "_W_eigs\\.csv") : ""
if (words(STEPS) == 0) {
  printerr "note: powerlaw.gp: no spectra/step<s>_W_eigs.csv (lightweight run?): skipped"
  exit
}
STEP = word(STEPS, words(STEPS))
E = sprintf("%s/step%s_W_eigs.csv", S, STEP)

# Both fits in awk: the MLE+KS scan is O(N^2), beyond what a gnuplot loop does quickly.
# Prints "N i_hill xmin_hill alpha_hill D_hill i_mle xmin_mle alpha_mle D_mle positives"; a
# tail whose xmin is not positive gets alpha 1 and D 1, and is never chosen while another has
# D < 1.
FIT_AWK = 'NR > 1 && $1 != "" { v[n++] = $1 + 0; if ($1 + 0 > 0) p++ } ' \
  . 'function fit(i,   m, k, d, t) { m = n - i; A = 1; D = 1; if (v[i] <= 0) return; ' \
  . '  d = S[i] - m * log(v[i]); if (d <= 0) return; A = 1 + m / d; if (A <= 1) return; ' \
  . '  D = 0; for (k = 0; k < m; k++) { t = 1 - (v[i + k] / v[i]) ^ (1 - A) - k / m; ' \
  . '    if (t < 0) t = -t; if (t > D) D = t } } ' \
  . 'END { if (n < 2) { print n; exit } ' \
  . '  for (i = n - 1; i >= 0; i--) ' \
  . '    S[i] = (v[i] > 0 ? log(v[i]) : 0) + (i < n - 1 ? S[i + 1] : 0); ' \
  . '  h = int(n / 2); fit(h); ah = A; dh = D; best = -1; ' \
  . '  for (i = 0; i < n - 1; i++) { ' \
  . '    fit(i); if (best < 0 || D < bd) { best = i; ba = A; bd = D } } ' \
  . '  printf "%d %d %.17g %.17g %.17g %d %.17g %.17g %.17g %d\n", ' \
  . '    n, h, v[h], ah, dh, best, v[best], ba, bd, p }'
FIT = system("awk -F, '" . FIT_AWK . "' " . q(E))
N = int(word(FIT, 1))
if (N < 2 || int(word(FIT, 10)) < 2) {
  printerr sprintf("note: powerlaw.gp: %s has under 2 positive eigenvalues: skipped", E)
  exit
}
ih = int(word(FIT, 2)); xh = real(word(FIT, 3)); ah = real(word(FIT, 4)); Dh = real(word(FIT, 5))
im = int(word(FIT, 6)); xm = real(word(FIT, 7)); am = real(word(FIT, 8)); Dm = real(word(FIT, 9))

# sih's own alphas (metrics.csv) are the reported values: draw those. A disagreement with the
# recomputation above beyond float32 rounding (runs may compute in float32) means a bug on
# one side, or a near tie of KS distances, so say so.
M = DIR . "/metrics.csv"
if (file_exists(M)) {
  v = value_at_step(M, "alpha_hill", STEP)
  if (v ne "") {
    if (abs(real(v) - ah) > 1e-4 * abs(ah)) {
      printerr sprintf("note: powerlaw.gp: alpha_hill %s in metrics.csv, %.10g recomputed", v, ah)
    }
    ah = real(v)
  }
  v = value_at_step(M, "alpha_mle_ks", STEP)
  if (v ne "") {
    if (abs(real(v) - am) > 1e-4 * abs(am)) {
      printerr sprintf("note: powerlaw.gp: alpha_mle_ks %s in metrics.csv, %.10g recomputed", v, am)
    }
    am = real(v)
  }
}

# CCDF at the i-th smallest eigenvalue: P(Λ >= λ_i) = (N - i) / N.
Ch = real(N - ih) / N; Cm = real(N - im) / N
ok_h = xh > 0 && ah > 1 && ah < 1e300
ok_m = xm > 0 && am > 1 && am < 1e300
tail(x, x0, c, a) = x >= x0 ? c * (x / x0) ** (1 - a) : NaN
set logscale xy
set offsets graph 0.02, graph 0.02, 0, 0
set autoscale xfix
set samples 400
set xlabel "eigenvalue λ of WᵀW (log scale)"
set ylabel "P(Λ ≥ λ)  (CCDF, log scale)"
set title sprintf("ESD of W at step %s: CCDF and power-law fits (N=%d)", STEP, N)
if (ok_h) { set label 1 "" at xh, Ch point pt 7 ps 1.6 lc rgb color(4) front }
if (ok_m) { set label 2 "" at xm, Cm point pt 5 ps 1.4 lc rgb color(3) front }
P = sprintf(", E using (pos(column('lambda'))):((N - $0) / N) with points pt 7 ps 0.7 " \
  . "lc rgb color(1) title 'eigenvalues (step %s)'", STEP)
if (ok_h) { P = P . sprintf(", tail(x, xh, Ch, ah) with lines lw 2.5 lc rgb color(4) " \
  . "title 'Hill: α=%.3f, xmin=λ[N/2]=%.4g (D=%.3f)'", ah, xh, Dh) }
if (ok_m) { P = P . sprintf(", tail(x, xm, Cm, am) with lines lw 2.5 dt 2 lc rgb color(3) " \
  . "title 'MLE+KS: α=%.3f, xmin=%.4g (D=%.3f)'", am, xm, Dm) }
OUT = PLOTS . "/W_esd_powerlaw.png"
set output OUT
eval "plot " . P[3:]
set output
print OUT
