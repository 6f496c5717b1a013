# Sourced by the tests of sih's re-exec (src/base/library_environment.cpp): what the
# re-executed process's environment holds. Needs SIH (the binary) and tmp (a scratch folder).
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
