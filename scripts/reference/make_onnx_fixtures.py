#!/usr/bin/python3
"""Regenerates tests/data/onnx/: small ONNX models and their reference arrays.

Usage: scripts/reference/make_onnx_fixtures.py [OUT_DIR]   (default: tests/data/onnx)

Made with Debian 12's python3-onnx 1.12.0 (onnx.helper, onnx.numpy_helper) and python3-numpy;
the script refuses another onnx version so that regenerated files stay comparable. The models
are built with onnx.helper (make_tensor, make_node, make_graph, make_model) and
numpy_helper.from_array, saved with onnx.save_model (external data: save_as_external_data,
all_tensors_to_one_file, size_threshold=0), then loaded back with onnx.load; every reference
array is numpy_helper.to_array of the loaded TensorProto, so the values come from onnx's own
reader. Dequantized weights follow the DequantizeLinear spec in numpy, in float32:
y = (float32(int32(x) - int32(zero_point))) * float32(scale), per tensor or along `axis`
(onnx 1.12 has no onnx.reference to run the node).

Each model M.onnx has M.tsv, one line per tensor the reader lists, in its order:
name, dtype, shape (comma-separated, empty for a scalar), floating (0/1), reference .npy
(float64, flattened in row-major order: sih's .npy reader reads 1-D and 2-D arrays), or "-"
when the reader refuses to decode it. The reader's naming scheme (subgraph tensors as
"<node>/<attribute>/<tensor>") is spelled out here as the expected names.

bad/ holds files the reader must refuse (see BAD below).
"""

import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

if onnx.__version__ != "1.12.0":
    sys.exit(f"make_onnx_fixtures: made with onnx 1.12.0 (Debian 12), this is {onnx.__version__}")

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "onnx")
rng = np.random.default_rng(20261203)
OPSET = [helper.make_opsetid("", 13)]


def rnd(shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def tensor_by_name(graph, name):
    for t in graph.initializer:
        if t.name == name:
            return t
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return n.attribute[0].t
    raise KeyError(name)


def subgraph(graph, node_name, attr):
    for n in graph.node:
        if n.name == node_name:
            for a in n.attribute:
                if a.name == attr:
                    return a.g
    raise KeyError(node_name)


def dtype_name(t):
    return {TensorProto.FLOAT: "float32", TensorProto.FLOAT16: "float16",
            TensorProto.BFLOAT16: "bfloat16", TensorProto.DOUBLE: "float64",
            TensorProto.INT8: "int8", TensorProto.UINT8: "uint8", TensorProto.INT32: "int32",
            TensorProto.INT64: "int64", TensorProto.BOOL: "bool"}[t.data_type]


class Manifest:
    def __init__(self, folder, model):
        self.folder, self.model, self.lines = folder, model, []

    def add(self, name, tensor, values=None, dtype=None, floating=None):
        """values: the reference (default: numpy_helper.to_array(tensor))."""
        if values is None:
            values = numpy_helper.to_array(tensor)
        values = np.asarray(values)
        assert list(values.shape) == list(tensor.dims), (name, values.shape, tensor.dims)
        dtype = dtype or dtype_name(tensor)
        if floating is None:
            floating = dtype in ("float32", "float16", "bfloat16", "float64")
        npy = f"{self.model}.{len(self.lines)}.npy"
        np.save(os.path.join(self.folder, npy), values.astype(np.float64).reshape(-1))
        shape = ",".join(str(d) for d in tensor.dims)
        self.lines.append(f"{name}\t{dtype}\t{shape}\t{int(floating)}\t{npy}")

    def refused(self, name, dtype, dims):
        self.lines.append(f"{name}\t{dtype}\t{','.join(map(str, dims))}\t0\t-")

    def write(self):
        with open(os.path.join(self.folder, self.model + ".tsv"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def save_plain(model, path):
    """Bytes as they are (onnx.save_model would move EXTERNAL tensors' raw_data to files)."""
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


# ---------------------------------------------------------------- weights.onnx
def make_weights(folder):
    w32 = numpy_helper.from_array(rnd((4, 3)), "w_f32")
    w16 = numpy_helper.from_array(rnd((3, 5), np.float16), "w_f16")
    w64 = numpy_helper.from_array(rnd((2, 3), np.float64), "w_f64")
    # typed fields: make_tensor(raw=False) puts float32 in float_data, float16 and bfloat16 bits
    # in int32_data, int64 in int64_data
    bf = helper.make_tensor("w_bf16", TensorProto.BFLOAT16, [2, 4], rnd((2, 4)).ravel().tolist())
    f32t = helper.make_tensor("w_f32_typed", TensorProto.FLOAT, [3, 2], rnd((3, 2)).ravel().tolist())
    f16t = helper.make_tensor("w_f16_typed", TensorProto.FLOAT16, [2, 2],
                              rnd((2, 2), np.float16).ravel().tolist())
    i64 = helper.make_tensor("shape_i64", TensorProto.INT64, [3], [2, -1, 7])
    i8t = helper.make_tensor("i8_typed", TensorProto.INT8, [2, 3], [-128, -1, 0, 1, 5, 127])
    u8t = helper.make_tensor("u8_typed", TensorProto.UINT8, [4], [0, 1, 200, 255])
    bt = helper.make_tensor("bool_typed", TensorProto.BOOL, [3], [True, False, True])
    i32 = numpy_helper.from_array(np.array([[1, -2], [3, 2147483647]], np.int32), "i32_raw")
    sc = numpy_helper.from_array(np.array(0.5, np.float32), "scalar")
    const_t = numpy_helper.from_array(rnd((3, 3)), "const_value")
    const = helper.make_node("Constant", [], ["const_w"], name="c0", value=const_t)
    # value_float constants are scalars, not weights: the reader ignores them
    scal = helper.make_node("Constant", [], ["const_scalar"], name="c1", value_float=2.0)

    then_w = numpy_helper.from_array(rnd((2, 2)), "then_w")
    then_c = helper.make_node("Constant", [], ["then_c"],
                              value=numpy_helper.from_array(rnd((2,)), "then_c_value"))
    then_g = helper.make_graph([then_c, helper.make_node("Add", ["then_w", "then_c"], ["then_out"])],
                               "then", [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [2, 2])],
                               [then_w])
    else_w = numpy_helper.from_array(rnd((2, 2), np.float64).astype(np.float32), "else_w")
    else_g = helper.make_graph([helper.make_node("Identity", ["else_w"], ["else_out"])], "else", [],
                               [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [2, 2])],
                               [else_w])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    if_node = helper.make_node("If", ["cond"], ["if_out"], name="gate", then_branch=then_g,
                               else_branch=else_g)

    # Loop body with its own weight and an unnamed If inside (named "If#1" by the reader)
    deep_w = numpy_helper.from_array(rnd((1, 3), np.float16), "deep_w")
    deep_then = helper.make_graph([helper.make_node("Identity", ["deep_w"], ["d_out"])], "deep_then",
                                  [], [helper.make_tensor_value_info("d_out", TensorProto.FLOAT16, [1, 3])],
                                  [deep_w])
    deep_else = helper.make_graph([helper.make_node("Identity", ["deep_w2"], ["d_out2"])], "deep_else",
                                  [], [helper.make_tensor_value_info("d_out2", TensorProto.FLOAT16, [1, 3])],
                                  [numpy_helper.from_array(rnd((1, 3), np.float16), "deep_w2")])
    body_w = numpy_helper.from_array(rnd((3, 4)), "body_w")
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("If", ["cond_in"], ["inner_out"], then_branch=deep_then,
                          else_branch=deep_else),
         helper.make_node("Identity", ["body_w"], ["scan_out"])],
        "body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, [3, 4])],
        [body_w])
    trip = numpy_helper.from_array(np.array(2, np.int64), "trip")
    loop = helper.make_node("Loop", ["trip", "cond"], ["loop_scan"], name="loop", body=body)

    scan_w = numpy_helper.from_array(rnd((2, 2), np.float64), "scan_w")
    scan_body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "scan_w"], ["s_out"])], "scan_body",
        [helper.make_tensor_value_info("s_in", TensorProto.DOUBLE, [2, 2])],
        [helper.make_tensor_value_info("s_out", TensorProto.DOUBLE, [2, 2])], [scan_w])
    scan_x = helper.make_tensor_value_info("scan_x", TensorProto.DOUBLE, [3, 2, 2])
    scan = helper.make_node("Scan", ["scan_x"], ["scan_y"], name="scan", body=scan_body,
                            num_scan_inputs=1)

    graph = helper.make_graph(
        [const, scal, if_node, loop, scan], "weights", [cond, scan_x],
        [helper.make_tensor_value_info("if_out", TensorProto.FLOAT, [2, 2]),
         helper.make_tensor_value_info("loop_scan", TensorProto.FLOAT, [None, 3, 4]),
         helper.make_tensor_value_info("scan_y", TensorProto.DOUBLE, [3, 2, 2])],
        [w32, w16, w64, bf, f32t, f16t, i64, i8t, u8t, bt, i32, sc, trip])
    model = helper.make_model(graph, producer_name="sih-fixtures", opset_imports=OPSET)
    onnx.checker.check_model(model)
    path = os.path.join(folder, "weights.onnx")
    onnx.save_model(model, path)

    g = onnx.load(path).graph
    m = Manifest(folder, "weights")
    for name in ["w_f32", "w_f16", "w_f64", "w_bf16", "w_f32_typed", "w_f16_typed", "shape_i64",
                 "i8_typed", "u8_typed", "bool_typed", "i32_raw", "scalar", "trip"]:
        m.add(name, tensor_by_name(g, name))
    m.add("const_w", tensor_by_name(g, "const_w"))
    # a node's attributes are stored sorted by name (make_node): else_branch before then_branch
    tg, eg = subgraph(g, "gate", "then_branch"), subgraph(g, "gate", "else_branch")
    m.add("gate/else_branch/else_w", tensor_by_name(eg, "else_w"))
    m.add("gate/then_branch/then_w", tensor_by_name(tg, "then_w"))
    m.add("gate/then_branch/then_c", tensor_by_name(tg, "then_c"))
    bg = subgraph(g, "loop", "body")
    m.add("loop/body/body_w", tensor_by_name(bg, "body_w"))
    inner = {a.name: a.g for a in [n for n in bg.node if n.op_type == "If"][0].attribute}
    m.add("loop/body/If#1/else_branch/deep_w2", tensor_by_name(inner["else_branch"], "deep_w2"))
    m.add("loop/body/If#1/then_branch/deep_w", tensor_by_name(inner["then_branch"], "deep_w"))
    m.add("scan/body/scan_w", tensor_by_name(subgraph(g, "scan", "body"), "scan_w"))
    m.write()


# ---------------------------------------------------------------- external/model.onnx
def make_external(folder):
    os.makedirs(folder, exist_ok=True)
    a = numpy_helper.from_array(rnd((5, 4)), "ext_a")
    b = numpy_helper.from_array(rnd((4, 4), np.float16), "ext_b")
    c = numpy_helper.from_array(np.array([3, 1, 4, 1, 5], np.int64), "ext_i64")
    const = helper.make_node("Constant", [], ["ext_const"],
                             value=numpy_helper.from_array(rnd((2, 3), np.float64), "ext_const_v"))
    graph = helper.make_graph(
        [const, helper.make_node("MatMul", ["x", "ext_a"], ["y"])], "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [a, b, c])
    model = helper.make_model(graph, producer_name="sih-fixtures", opset_imports=OPSET)
    path = os.path.join(folder, "model.onnx")
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=0, convert_attribute=True)
    stored = onnx.load(path, load_external_data=False).graph
    assert all(t.data_location == TensorProto.EXTERNAL for t in stored.initializer)
    assert stored.node[0].attribute[0].t.data_location == TensorProto.EXTERNAL
    g = onnx.load(path).graph  # onnx reads the external file
    m = Manifest(folder, "model")
    for name in ["ext_a", "ext_b", "ext_i64"]:
        m.add(name, tensor_by_name(g, name))
    m.add("ext_const", tensor_by_name(g, "ext_const"))
    m.write()


# ---------------------------------------------------------------- quant.onnx
def quantize(w, scale, zp, axis, qtype):
    info = np.iinfo(qtype)
    shape = [1] * w.ndim
    if axis is not None:
        shape[axis] = -1
    s, z = np.reshape(scale, shape), np.reshape(zp, shape)
    return np.clip(np.round(w / s) + z, info.min, info.max).astype(qtype)


def dequantize(q, scale, zp, axis):
    shape = [1] * q.ndim
    if axis is not None:
        shape[axis] = -1
    diff = (q.astype(np.int32) - np.reshape(zp, shape).astype(np.int32)).astype(np.float32)
    return diff * np.reshape(scale, shape).astype(np.float32)


def make_quant(folder):
    inits, nodes, expected = [], [], []

    def weight(name, shape, qtype, axis, with_zp=True, node_axis=None):
        w = rnd(shape)
        n = 1 if axis is None else shape[axis]
        scale = (np.abs(rng.standard_normal(n)) * 0.05 + 0.01).astype(np.float32)
        lo = -3 if qtype == np.int8 else 120
        zp = rng.integers(lo, lo + 7, n).astype(qtype) if with_zp else np.zeros(n, qtype)
        if axis is None:
            scale, zp = scale.reshape(()), zp.reshape(())
        q = quantize(w, scale, zp, axis, qtype)
        inits.append(numpy_helper.from_array(q, name + "_quantized"))
        inits.append(numpy_helper.from_array(scale, name + "_scale"))
        ins = [name + "_quantized", name + "_scale"]
        if with_zp:
            inits.append(numpy_helper.from_array(zp, name + "_zero_point"))
            ins.append(name + "_zero_point")
        kw = {} if node_axis is None else {"axis": node_axis}
        nodes.append(helper.make_node("DequantizeLinear", ins, [name], name=name + "_dq", **kw))
        expected.append((name, q, scale, zp, axis, with_zp))

    weight("fc1", (4, 6), np.int8, None)                 # per tensor, int8
    weight("fc2", (6, 3), np.int8, 0, node_axis=0)       # per axis 0, int8
    weight("fc3", (3, 5), np.uint8, 1)                   # per axis, default axis 1, uint8
    weight("fc4", (2, 3, 4), np.int8, 2, node_axis=-1)   # per axis -1 of a 3-D weight
    weight("fc5", (5, 2), np.int8, None, with_zp=False)  # no zero point
    # activations: QuantizeLinear/DequantizeLinear pair on the input (not a weight)
    inits.append(numpy_helper.from_array(np.array(0.1, np.float32), "x_scale"))
    inits.append(numpy_helper.from_array(np.array(0, np.int8), "x_zero_point"))
    nodes.insert(0, helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zero_point"], ["x_q"]))
    nodes.insert(1, helper.make_node("DequantizeLinear", ["x_q", "x_scale", "x_zero_point"],
                                     ["x_dq"]))
    nodes.append(helper.make_node("MatMul", ["x_dq", "fc1"], ["h1"]))
    nodes.append(helper.make_node("MatMul", ["h1", "fc2"], ["h2"]))
    graph = helper.make_graph(
        nodes, "quant", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("h2", TensorProto.FLOAT, [1, 3])], inits)
    model = helper.make_model(graph, producer_name="sih-fixtures", opset_imports=OPSET)
    onnx.checker.check_model(model)
    path = os.path.join(folder, "quant.onnx")
    onnx.save_model(model, path)
    g = onnx.load(path).graph
    m = Manifest(folder, "quant")
    by_name = {e[0]: e for e in expected}
    for t in g.initializer:
        base = t.name.rsplit("_quantized", 1)[0]
        if t.name.endswith("_quantized") and base in by_name:
            _, q, scale, zp, axis, with_zp = by_name[base]
            x = numpy_helper.to_array(t)
            assert np.array_equal(x, q)
            s = numpy_helper.to_array(tensor_by_name(g, base + "_scale"))
            z = numpy_helper.to_array(tensor_by_name(g, base + "_zero_point")) if with_zp else 0
            y = dequantize(x, s, z, axis)
            assert y.dtype == np.float32
            m.add(t.name, t, values=y, dtype=dtype_name(t) + " (dequantized)", floating=True)
        else:
            m.add(t.name, t)
    m.write()


# ---------------------------------------------------------------- bad/
def one_tensor_model(tensor, nodes=(), extra=()):
    graph = helper.make_graph(list(nodes), "bad", [], [], [tensor, *extra])
    return helper.make_model(graph, producer_name="sih-fixtures", opset_imports=OPSET)


def external_tensor(name, location, offset, length, dims=(2, 3)):
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def raw_tensor(name, data_type, dims, raw):
    """A TensorProto as given (make_tensor checks the size against dims)."""
    t = TensorProto()
    t.name, t.data_type, t.raw_data = name, data_type, raw
    t.dims.extend(dims)
    return t


def make_bad(folder):
    os.makedirs(folder, exist_ok=True)
    # the external location leaves the model's folder
    save_plain(one_tensor_model(external_tensor("escapee", "../quant.onnx", 0, 24)),
               os.path.join(folder, "escape_dotdot.onnx"))
    save_plain(one_tensor_model(external_tensor("absolute", "/etc/hostname", 0, 24)),
               os.path.join(folder, "escape_absolute.onnx"))
    # the external range ends past the data file's end (16 bytes)
    with open(os.path.join(folder, "short.bin"), "wb") as f:
        f.write(bytes(range(16)))
    save_plain(one_tensor_model(external_tensor("too_far", "short.bin", 8, 24)),
               os.path.join(folder, "past_end.onnx"))
    # raw_data of 20 bytes for dims [2, 3] of float32 (24 bytes)
    t = raw_tensor("short_raw", TensorProto.FLOAT, [2, 3], b"\0" * 20)
    save_plain(one_tensor_model(t), os.path.join(folder, "raw_mismatch.onnx"))
    # float_data with 5 values for dims [2, 3]
    t = TensorProto()
    t.name, t.data_type = "short_typed", TensorProto.FLOAT
    t.dims.extend([2, 3])
    t.float_data.extend([1, 2, 3, 4, 5])
    save_plain(one_tensor_model(t), os.path.join(folder, "typed_mismatch.onnx"))
    # int8 in int32_data with a value outside int8
    t = TensorProto()
    t.name, t.data_type = "wide_int8", TensorProto.INT8
    t.dims.extend([2])
    t.int32_data.extend([5, 300])
    save_plain(one_tensor_model(t), os.path.join(folder, "int32_data_range.onnx"))
    # data_type 99: no ONNX type
    t = raw_tensor("mystery", 99, [2], b"\0" * 8)
    save_plain(one_tensor_model(t), os.path.join(folder, "dtype_99.onnx"))
    # data_type 0: UNDEFINED
    save_plain(one_tensor_model(raw_tensor("untyped", 0, [2], b"\0" * 8)),
               os.path.join(folder, "dtype_undefined.onnx"))
    # data_type 17 (FLOAT8E4M3FN, onnx >= 1.14): listed, not decoded
    t = raw_tensor("fp8", 17, [2, 3], b"\0" * 6)
    save_plain(one_tensor_model(t), os.path.join(folder, "dtype_fp8.onnx"))
    # a per-axis scale of 3 values for an axis of 4
    q = numpy_helper.from_array(np.zeros((4, 2), np.int8), "q")
    s = numpy_helper.from_array(np.ones(3, np.float32), "q_scale")
    dq = helper.make_node("DequantizeLinear", ["q", "q_scale"], ["q_dq"], name="dq", axis=0)
    save_plain(one_tensor_model(q, [dq], [s]), os.path.join(folder, "dq_axis_mismatch.onnx"))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_weights(OUT)
    make_external(os.path.join(OUT, "external"))
    make_quant(OUT)
    make_bad(os.path.join(OUT, "bad"))
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("Made by scripts/reference/make_onnx_fixtures.py with onnx "
                f"{onnx.__version__} and numpy {np.__version__} (Debian 12); see its docstring.\n")


if __name__ == "__main__":
    main()
