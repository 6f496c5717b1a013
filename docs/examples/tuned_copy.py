# The synthetic "fine-tuned" copy of README's "Analysing a model" comparison (no fine-tuned
# PaddleOCR pair is at hand offline): rank-4 Gaussian updates of 5% of ||W||_F added to every
# third 2-D weight or 1x1 conv kernel (in file order) of an ONNX model whose weights are
# Constant nodes, as PaddleOCR's exports are.
# Usage: python3 docs/examples/tuned_copy.py IN.onnx OUT.onnx  (needs onnx and numpy)
import sys

import numpy as np
import onnx
from onnx import numpy_helper

m = onnx.load(sys.argv[1])
rng = np.random.default_rng(0)
k = 0
changed = []
for n in m.graph.node:
    if n.op_type != "Constant":
        continue
    for a in n.attribute:
        if a.name != "value" or len(a.t.dims) < 2:
            continue
        w = numpy_helper.to_array(a.t)
        if w.ndim == 2 or (w.ndim == 4 and w.shape[2:] == (1, 1)):
            k += 1
            if k % 3:
                continue
            M = w.reshape(w.shape[0], -1).astype(np.float64)
            d = rng.standard_normal((M.shape[0], 4)) @ rng.standard_normal((4, M.shape[1]))
            M = M + 0.05 * np.linalg.norm(M) / np.linalg.norm(d) * d
            a.t.CopyFrom(numpy_helper.from_array(M.reshape(w.shape).astype(w.dtype), a.t.name))
            changed.append(n.output[0])
onnx.save(m, sys.argv[2])
print(len(changed), "tensors changed:", ", ".join(changed))
