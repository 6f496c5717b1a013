#!/usr/bin/env bash
# Installs every build/test dependency of sih from Debian packages (idempotent).
# Usage: scripts/setup-deps.sh [--with-extras]   (extras: python3-torch for bench/torch_ref.py and
#   scripts/reference/make_fixtures.sh; matplotlib, tqdm for bench/authors_ref.sh, which runs
#   the authors' own PyTorch code)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libeigen3-dev libyaml-cpp-dev libspectra-dev libfmt-dev libcli11-dev
  libdnnl-dev  # src/core/sgemm.cpp: oneDNN's sgemm for the float32 products
  nlohmann-json3-dev libgtest-dev libopenblas-dev liblapacke-dev
  gnuplot-nox
  slurm-wlm munge  # tests/slurm: a one-node SLURM cluster (scripts/slurm/cluster-up.sh)
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer targets
  libomp-dev  # scripts/test-sanitize.sh builds with clang, whose OpenMP runtime this is
  clang-format  # scripts/format-check.sh
  libonnx-dev libprotobuf-dev  # src/formats/onnx.cpp: ONNX's generated protobuf classes
  libminizip-dev zlib1g-dev  # src/formats/zip_archive.cpp: PyTorch checkpoints and .npz
  python3-numpy  # tests/formats/test_array_io.cpp: .npy files read and written by numpy
  git  # tests/standalone/check.sh clones the repository
  chromium  # tests/report/browser_check.sh: sih report's page in a headless browser
)
if [[ "${1:-}" == "--with-extras" ]]; then
  packages+=(python3-torch)
  packages+=(python3-matplotlib python3-tqdm)  # bench/authors_ref.sh (their code also needs python3-yaml, a torch dependency)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi
echo "setup-deps: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
