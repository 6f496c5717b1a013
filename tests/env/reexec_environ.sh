# Sourced by the tests of sih's re-exec (src/base/library_environment.cpp): a run to compare
# under two environments, and what the re-executed process's environment holds. Needs SIH (the
# binary), tmp (a scratch folder) and fail.
#
# environ_of VAR [NAME=VALUE...]: the value of VAR in the environment sih trains with after its
# re-exec, started with none of the variables sih sets plus NAME=VALUE...; read from
# /proc/<pid>/environ during a run long enough to be caught (a million steps), then stopped
# with SIGTERM. Prints "<unset>" when VAR is absent.
reexec_bare=(env -u OPENBLAS_CORETYPE -u OPENBLAS_NUM_THREADS -u OPENBLAS_L2_SIZE -u SIH_NO_REEXEC
  -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY -u GLIBC_TUNABLES)
environ_of() {
  local var=$1 pid value="" k
  shift
  printf 'n: 64\nh: 16\nd: 8\nn_test: 16\nnum_epochs: 1000000\nlightweight: true\n' > "$tmp/long.yml"
  "${reexec_bare[@]}" "$@" "$SIH" run "$tmp/long.yml" --quiet --set out_dir="$tmp/long$RANDOM" > /dev/null 2>&1 &
  pid=$!
  for ((k = 0; k < 100; k++)); do
    # OPENBLAS_NUM_THREADS=1 marks the re-executed process (sih sets it first).
    if tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -qx 'OPENBLAS_NUM_THREADS=1'; then
      value=$(tr '\0' '\n' < "/proc/$pid/environ" | grep "^$var=" | head -n 1) || true
      value=${value:-<unset>}
      value=${value#"$var="}
      break
    fi
    sleep 0.05
  done
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" || true  # its exit status is not what is tested (143 when stopped, as expected)
  [[ $k -lt 100 ]] || fail "sih did not re-execute with OPENBLAS_NUM_THREADS=1 within 5 s"
  echo "$value"
}

# $tmp/c.yml: big enough that LAPACK's eigensolver takes its blocked paths (d > OpenBLAS's block
# size), every checkpoint metric; smaller under sanitizers (scripts/test-sanitize.sh), where sih
# runs ~50x slower.
if [[ ${SIH_SANITIZED:-0} == 1 ]]; then
  echo $'n: 200\nh: 160\nd: 120' > "$tmp/c.yml"
else
  echo $'n: 400\nh: 400\nd: 300' > "$tmp/c.yml"
fi
cat >> "$tmp/c.yml" <<'YML'
L: 2
n_test: 100
label_noise_std: 0.3
optimizer: adam
lr: 1
reg_lambda: 0.01
num_epochs: 4
probe_freq_steps: 2
probe_weights: true
probe_features: true
fix_last_layer: true
lightweight: true
YML

# run_in OUT_DIR [NAME=VALUE...]: `sih run c.yml` into OUT_DIR, started with none of the
# variables sih sets plus NAME=VALUE...; prints the run folder.
run_in() {
  local out=$1
  shift
  "${reexec_bare[@]}" "$@" "$SIH" run "$tmp/c.yml" --quiet --set out_dir="$out" | tail -n 1
}
