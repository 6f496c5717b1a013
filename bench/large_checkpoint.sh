#!/usr/bin/env bash
# `sih analyze` of a checkpoint larger than comfort: a HuggingFace folder with Llama-7B's
# shapes (32 layers of q/k/v/o 4096 x 4096 and gate/up/down 11008 x 4096, embed_tokens and
# lm_head 32000 x 4096, the RMS norms) in bfloat16, 13.5 GB in 3 safetensors shards with an
# index, filled with seeded N(0, 0.02^2) values. Prints sih's wall time and peak resident
# memory (/usr/bin/time -v) for the tensors selected by --layers (default: the embedding,
# lm_head and layer 0, which open and index the whole folder but analyse 9 matrices; pass
# --layers . for all 226, ~20 min on 2 cores). The point is the memory: bounded by the tensors
# in flight, not the 13.5 GB.
#
# Usage: [SIH_BIN=build/sih] bench/large_checkpoint.sh [--dir DIR] [--layers REGEX] [--jobs N]
#   DIR (default /tmp/sih-llama7b-shapes) is made once and reused (delete it to regenerate).
# stdout: one CSV line tensors,wall_s,max_rss_mb,checkpoint_gb ; stderr: the CPU and sih's notes.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=/tmp/sih-llama7b-shapes layers='embed_tokens|lm_head|layers\.0\.' jobs=0
while (($#)); do
  case "$1" in
    --dir) dir="$2"; shift ;;
    --layers) layers="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    *) echo "large_checkpoint: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
sih="${SIH_BIN:-build/sih}"
[[ -x "$sih" ]] || { echo "large_checkpoint: $sih missing (scripts/build.sh)" >&2; exit 2; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores" >&2

if [[ ! -f "$dir/model.safetensors.index.json" ]]; then
  echo "large_checkpoint: writing $dir (13.5 GB, a few minutes)" >&2
  mkdir -p "$dir"
  /usr/bin/python3 - "$dir" <<'PY'
import json, os, struct, sys
import numpy as np
d = sys.argv[1]
H, F, V, L = 4096, 11008, 32000, 32
tensors = [("model.embed_tokens.weight", (V, H))]
for l in range(L):
    p = f"model.layers.{l}."
    tensors += [(p + "self_attn.q_proj.weight", (H, H)), (p + "self_attn.k_proj.weight", (H, H)),
                (p + "self_attn.v_proj.weight", (H, H)), (p + "self_attn.o_proj.weight", (H, H)),
                (p + "mlp.gate_proj.weight", (F, H)), (p + "mlp.up_proj.weight", (F, H)),
                (p + "mlp.down_proj.weight", (H, F)), (p + "input_layernorm.weight", (H,)),
                (p + "post_attention_layernorm.weight", (H,))]
tensors += [("model.norm.weight", (H,)), ("lm_head.weight", (V, H))]
per = (len(tensors) + 2) // 3
shards = [tensors[i:i + per] for i in range(0, len(tensors), per)]
rng = np.random.default_rng(7)
weight_map = {}
for s, group in enumerate(shards):
    name = f"model-{s + 1:05d}-of-{len(shards):05d}.safetensors"
    header, off = {}, 0
    for t, shape in group:
        n = int(np.prod(shape)) * 2
        header[t] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
        weight_map[t] = name
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(d, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for t, shape in group:
            n = int(np.prod(shape))
            for start in range(0, n, 1 << 26):
                k = min(1 << 26, n - start)
                x = (rng.standard_normal(k, dtype=np.float32) * 0.02)
                if len(shape) == 1:
                    x = np.ones(k, dtype=np.float32)
                f.write((x.view(np.uint32) >> 16).astype(np.uint16).tobytes())
with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)
PY
fi
size=$(du -sb "$dir" | cut -f1)
out=$(mktemp)
trap 'rm -f "$out" "$out.time"' EXIT
start=$(date +%s.%N)
/usr/bin/time -v "$sih" analyze "$dir" --layers "$layers" --jobs "$jobs" --out "$out" 2> "$out.time" ||
  { cat "$out.time" >&2; exit 1; }
end=$(date +%s.%N)
grep '^\[sih\]' "$out.time" >&2 || true
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$out.time")
rows=$(($(wc -l < "$out") - 1))
echo "tensors,wall_s,max_rss_mb,checkpoint_gb"
echo "$rows,$(echo "$end - $start" | bc),$((rss_kb / 1024)),$(echo "scale=1; $size / 10^9" | bc)"
