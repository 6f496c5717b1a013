#!/usr/bin/env bash
# `sih completion bash` in a real bash: the script loads, registers a completion for sih, and
# completes subcommands, options and --set keys as a user's TAB would (COMP_WORDS/COMP_CWORD).
# Usage: completion.sh SIH_BINARY
set -u
sih=$1
fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2], got [$3]"
    fail=1
  else
    echo "ok   $1"
  fi
}

registered=$(bash -c "source <('$sih' completion bash) && complete -p sih")
check registered "complete -o bashdefault -o filenames -F _sih sih" "$registered"

# complete WORDS...: the candidates for the last word, sorted, one line.
complete_words() {
  bash -c '
    source <("$0" completion bash) || exit 1
    COMP_WORDS=("$@")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _sih
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
  ' "$sih" "$@"
}

check "sih ru" "run" "$(complete_words sih ru)"
check "sih re" "report reproduce" "$(complete_words sih re)"
check "sih bulk-" "bulk-losses bulk-lr" "$(complete_words sih bulk-)"
check "sih comp" "completion" "$(complete_words sih comp)"
check "--set lr_sch" \
  "lr_scheduler_cls= lr_scheduler_kwargs.T_max= lr_scheduler_kwargs.end_factor= lr_scheduler_kwargs.eta_min= lr_scheduler_kwargs.gamma= lr_scheduler_kwargs.start_factor= lr_scheduler_kwargs.step_size= lr_scheduler_kwargs.total_iters=" \
  "$(complete_words sih run configs/main.yml --set lr_sch)"
check "--set batch" "batch_size= batch_size_test=" "$(complete_words sih sweep x.yml --set batch)"
check "run --q" "--quiet" "$(complete_words sih run --q)"
check "analyze --pl" "--pl-bootstrap --plot" "$(complete_words sih analyze --pl)"
check "config --describe mom" "momentum" "$(complete_words sih config --describe mom)"
check "merge -" "--help --quiet -q" "$(complete_words sih merge -)"

# Otherwise file names.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/main_cfg.yml" "$tmp/main_other.yml"
check "files" "$tmp/main_cfg.yml $tmp/main_other.yml" "$(complete_words sih run "$tmp/main_")"

exit $fail
