#!/usr/bin/python3
"""Regenerates tests/data/gguf/ with llama.cpp's own Python package, gguf-py.

Usage: make_gguf_fixtures.py GGUF_PY_DIR OUT_DIR

GGUF_PY_DIR is the gguf-py folder of a llama.cpp checkout (the fixtures were made from
ggerganov/llama.cpp commit c392e5094deaf2d1a7c18683214f007fad3fe42b, gguf-py 0.15.0). Its
`gguf` package is imported unchanged: GGUFWriter writes the files and gguf.quants.dequantize
computes every reference array (float32, saved as .npy), except:
  - Q8_K, which quants.py of that version cannot dequantize: its reference is computed here
    from the block layout in ggml/src/ggml-common.h (block_q8_K: float d, int8 qs[256],
    int16 bsums[16]; value = d * qs[i] in float32, as dequantize_row_q8_K does);
  - F64, which quants.dequantize does not list: the reference is the float64 array itself.
Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 tensors are quantized from random floats by gguf-py's
quantizer; the K-quants (which gguf-py cannot quantize) are random block bytes with finite
float16 scales, written with raw_dtype. The v2 file is written by the same GGUFWriter with the
module's GGUF_VERSION set to 2 (the v2 and v3 layouts are identical for little-endian files).
Needs python3-numpy (and python3-yaml, which gguf-py imports); sentencepiece is stubbed.
"""

import os
import sys
import types

import numpy as np


def main():
    gguf_py, out = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.abspath(gguf_py))
    # gguf/__init__ imports vocab.py, which imports sentencepiece at module level; the
    # writer and quants never use it, so an empty stand-in module is enough.
    if "sentencepiece" not in sys.modules:
        stub = types.ModuleType("sentencepiece")
        stub.SentencePieceProcessor = None
        sys.modules["sentencepiece"] = stub
    import gguf
    from gguf import GGMLQuantizationType as T
    from gguf import quants
    import gguf.gguf_writer as gw

    rng = np.random.default_rng(20261203)
    os.makedirs(out, exist_ok=True)

    def finite_halves(n):
        return rng.uniform(-0.05, 0.05, size=n).astype(np.float16)

    def raw_blocks(qtype, rows, ne0):
        """Random bytes for rows x ne0 values of a block type, scales made finite float16."""
        bs, ts = gguf.GGML_QUANT_SIZES[qtype]
        nb = rows * ne0 // bs
        b = rng.integers(0, 256, size=(nb, ts), dtype=np.uint8)
        # byte offsets of the float16 scale fields in each block (ggml-common.h)
        half_fields = {
            T.Q2_K: [16 + 64, 16 + 64 + 2],          # scales[16], qs[64], d, dmin
            T.Q3_K: [32 + 64 + 12],                  # hmask[32], qs[64], scales[12], d
            T.Q4_K: [0, 2],                          # d, dmin, scales[12], qs[128]
            T.Q5_K: [0, 2],                          # d, dmin, scales[12], qh[32], qs[128]
            T.Q6_K: [128 + 64 + 16],                 # ql[128], qh[64], scales[16], d
            T.IQ4_NL: [0],
        }[qtype]
        for off in half_fields:
            b[:, off:off + 2] = finite_halves(nb).view(np.uint8).reshape(nb, 2)
        return b.reshape(rows, -1)

    def save_ref(name, arr, dtype=np.float32):
        np.save(os.path.join(out, "ref_" + name + ".npy"), np.ascontiguousarray(arr, dtype=dtype))

    # ---- v3, default alignment (32), one tensor per supported type, llama names ----------
    w = gguf.GGUFWriter(os.path.join(out, "llama_v3.gguf"), "llama")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 1.5)
    w.add_uint64("test.u64", 2**63)
    w.add_int64("test.i64", -(2**62))
    w.add_float64("test.f64", 2.25)
    w.add_bool("test.bool", True)
    w.add_string("general.name", "tiny llama for sih's gguf reader")
    w.add_array("tokenizer.ggml.tokens", ["<s>", "</s>", "hello", "w\u00f6rld", ""])
    w.add_array("test.int_array", [1, 2, 3])
    w.add_array("test.float_array", [0.5, -1.0])
    w.add_array("test.nested_array", [[1, 2], [3]])

    quantizable = [  # (gguf name, type, rows, ne0)
        ("token_embd.weight", T.F32, 5, 8),
        ("blk.0.attn_q.weight", T.Q8_0, 3, 64),
        ("blk.0.attn_k.weight", T.Q4_0, 2, 64),
        ("blk.0.attn_v.weight", T.Q4_1, 2, 64),
        ("blk.0.attn_output.weight", T.Q5_0, 3, 32),
        ("blk.0.ffn_gate.weight", T.Q5_1, 2, 64),
        ("blk.0.attn_norm.weight", T.F16, 1, 16),
        ("blk.0.ffn_norm.weight", T.BF16, 1, 16),
    ]
    for name, qt, rows, ne0 in quantizable:
        x = rng.standard_normal((rows, ne0)).astype(np.float32)
        if name.endswith("norm.weight"):
            x = x.reshape(ne0)
        if qt == T.F32:
            w.add_tensor(name, x)
            save_ref(qt.name.lower(), quants.dequantize(x.view(np.uint8), qt).reshape(x.shape))
            continue
        if qt == T.F16:
            q = x.astype(np.float16)
            w.add_tensor(name, q)
            save_ref(qt.name.lower(), quants.dequantize(q.view(np.uint8), qt).reshape(x.shape))
            continue
        q = quants.quantize(x, qt)
        w.add_tensor(name, q, raw_dtype=qt)
        save_ref(qt.name.lower(), quants.dequantize(q, qt))

    kquants = [
        ("blk.0.ffn_up.weight", T.Q2_K, 2, 256),
        ("blk.0.ffn_down.weight", T.Q3_K, 2, 256),
        ("blk.1.attn_q.weight", T.Q4_K, 2, 256),
        ("blk.1.attn_k.weight", T.Q5_K, 2, 256),
        ("output.weight", T.Q6_K, 2, 512),
    ]
    for name, qt, rows, ne0 in kquants:
        b = raw_blocks(qt, rows, ne0)
        w.add_tensor(name, b, raw_dtype=qt)
        save_ref(qt.name.lower(), quants.dequantize(b, qt))

    # Q8_K: gguf-py 0.15.0 has no dequantizer; reference from ggml-common.h's layout.
    nb = 2
    d = rng.uniform(-0.01, 0.01, size=nb).astype(np.float32)
    qs = rng.integers(-128, 128, size=(nb, 256), dtype=np.int16).astype(np.int8)
    bsums = qs.reshape(nb, 16, 16).astype(np.int16).sum(axis=-1).astype(np.int16)
    blocks = np.concatenate([d.view(np.uint8).reshape(nb, 4), qs.view(np.uint8),
                             bsums.view(np.uint8).reshape(nb, 32)], axis=1)
    w.add_tensor("output_norm.weight", blocks.reshape(1, -1), raw_dtype=T.Q8_K)
    save_ref("q8_k", (d[:, None] * qs.astype(np.float32)).reshape(1, 512).astype(np.float32))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # ---- v2, alignment 64, F64, integer and unsupported-quant tensors, unknown names, ranks --
    gw.GGUF_VERSION = 2
    w = gguf.GGUFWriter(os.path.join(out, "other_v2_align64.gguf"), "gpt2")
    w.add_custom_alignment(64)
    w.add_array("test.strings", ["a", "bc", ""])
    w.add_string("test.empty", "")
    x = rng.standard_normal((2, 3, 4))
    w.add_tensor("some.f64.tensor", x)  # float64 -> F64
    save_ref("f64", x.reshape(2, 12), np.float64)  # sih's npy reader takes 1-D or 2-D
    w.add_tensor("vec.weight", np.arange(7, dtype=np.float32) - 3)  # 1-D, unknown arch
    save_ref("vec", np.arange(7, dtype=np.float32) - 3)
    w.add_tensor("blk.0.attn_q.weight", rng.standard_normal((3, 5)).astype(np.float32))
    w.add_tensor("ids", np.arange(6, dtype=np.int32).reshape(2, 3))  # I32
    w.add_tensor("blk.0.iq.weight", raw_blocks(T.IQ4_NL, 2, 32), raw_dtype=T.IQ4_NL)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    gw.GGUF_VERSION = 3


if __name__ == "__main__":
    main()
