#!/usr/bin/python3
"""Writes the fixtures of tests/formats/test_pytorch.cpp and test_npz.cpp.

Made with Debian 12's python3-torch 1.13.1 and python3-numpy 1.24.2 (scripts/setup-deps.sh
--with-extras); CI does not run this script, the tests read the committed files.

tests/data/pytorch/
  <name>.pt            written by torch.save (zip format, torch >= 1.6)
  expected.tsv         one line per tensor of each checkpoint, as torch.load sees it:
                       file, dotted name, dtype, shape (comma-separated), reference file
  ref/<file>/<name>.npy  the tensor's values as numpy float64, flattened (tensor.double())
  legacy.pt            torch.save(..., _use_new_zipfile_serialization=False)
  torchscript.pt       torch.jit.save of a tiny module
  *_bad.pt, malicious.pt  zips written with python's zipfile / struct around pickles
                       written opcode by opcode (the refusals the tests expect)
tests/data/npz/
  stored.npz (np.savez), compressed.npz (np.savez_compressed), ref/<name>.npy (np.save),
  int_member.npz (an int64 member, refused), bad zips.

Usage: /usr/bin/python3 scripts/reference/make_pytorch_fixtures.py [REPO_ROOT]
"""
import collections
import os
import pickle
import struct
import sys
import zipfile
import zlib

import numpy as np
import torch

repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
pt_dir = os.path.join(repo, "tests", "data", "pytorch")
npz_dir = os.path.join(repo, "tests", "data", "npz")
os.makedirs(os.path.join(pt_dir, "ref"), exist_ok=True)
os.makedirs(os.path.join(npz_dir, "ref"), exist_ok=True)

torch.manual_seed(0)
expected = []


def flatten(prefix, obj, out):
    if isinstance(obj, torch.Tensor):
        out.append((prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(f"{prefix}.{i}" if prefix else str(i), v, out)


def save(name, obj, strip=None):
    """torch.save(obj), then torch.load it back and record every tensor as torch sees it."""
    path = os.path.join(pt_dir, name)
    torch.save(obj, path)
    loaded = torch.load(path)
    tensors = []
    flatten("", loaded, tensors)
    os.makedirs(os.path.join(pt_dir, "ref", name), exist_ok=True)
    for full, t in tensors:
        shown = full[len(strip) + 1:] if strip and full.startswith(strip + ".") else full
        dtype = str(t.dtype).replace("torch.", "")
        ref = os.path.join("ref", name, (full or "_") + ".npy")
        np.save(os.path.join(pt_dir, ref), t.detach().double().numpy().reshape(-1))
        shape = ",".join(str(s) for s in t.shape)
        expected.append("\t".join([name, shown, full, dtype, shape, ref]))


def small_model():
    m = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 2 * 2, 5),
    )
    m(torch.randn(2, 3, 4, 4))  # one training step of BatchNorm: running stats and count move
    return m


model = small_model()
sd = model.state_dict()
save("plain.pt", sd)
save("nested_state_dict.pt", {"state_dict": sd, "epoch": 3, "lr": 0.1, "arch": "small"},
     strip="state_dict")
save("nested_model.pt", {"model": sd, "step": 7, "best": [1.5, 2.5], "flag": True,
                         "extra": {"ema": {"w": torch.randn(2, 3)}}}, strip="model")
save("dtypes.pt", collections.OrderedDict([
    ("w_f32", torch.randn(3, 5)),
    ("w_f16", torch.randn(4, 3).half()),
    ("w_bf16", torch.randn(2, 6).bfloat16()),
    ("w_f64", torch.randn(3, 2).double()),
    ("conv_f16", torch.randn(2, 3, 2, 2).half()),
    ("conv_bf16", torch.randn(3, 2, 1, 3).bfloat16()),
    ("idx_i32", torch.arange(6, dtype=torch.int32).reshape(2, 3)),
    ("mask", torch.tensor([True, False, True])),
    ("bytes", torch.arange(4, dtype=torch.uint8)),
    ("scalar", torch.tensor(2.5)),
    ("empty", torch.zeros(0, 3)),
]))
base = torch.randn(4, 6)
big = torch.randn(20)
save("views.pt", {
    "transposed": torch.randn(3, 5).t(),      # non-contiguous: strides (1, 5)
    "base": base,                            # shares its storage with the two below
    "rows_1_3": base[1:3],                   # storage offset 6
    "column_2": base[:, 2],                  # stride 6, offset 2
    "slice_step": big[3:15:4],               # offset 3, stride 4, storage of 20
    "expanded": torch.randn(3, 1).expand(3, 4),  # stride 0 along the expanded dimension
})
save("parameter.pt", {"weight": torch.nn.Parameter(torch.randn(2, 2)),
                      "tensor": torch.randn(3)})
save("single_tensor.pt", torch.randn(2, 3))
# The harmless globals torch.save emits for values that are not tensors: a dtype, a torch.Size,
# bytes (_codecs.encode), a bare storage (torch.storage.UntypedStorage): all skipped.
save("extras.pt", {"w": torch.randn(2, 2), "dtype": torch.float16, "shape": torch.Size([2, 3]),
                   "blob": b"ab", "raw": torch.UntypedStorage(4), "opt": {0: torch.randn(3)}})
save("list.pt", [torch.randn(2), torch.randn(1, 2)])

with open(os.path.join(pt_dir, "expected.tsv"), "w") as f:
    f.write("# file\tname\tstored_name\tdtype\tshape\treference (torch %s)\n" % torch.__version__)
    f.write("\n".join(expected) + "\n")

# Legacy (pre-1.6) format and a TorchScript archive: both refused with their own messages.
torch.save({"w": torch.randn(2, 2)}, os.path.join(pt_dir, "legacy.pt"),
           _use_new_zipfile_serialization=False)


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)


torch.jit.save(torch.jit.script(Tiny()), os.path.join(pt_dir, "torchscript.pt"))


# Hand-made pickles inside zips, as torch lays them out (<archive>/data.pkl, data/<key>).
def member(name):
    return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same bytes every run


def pt_zip(name, pkl, records=(), archive="archive", method=zipfile.ZIP_STORED, extra=()):
    with zipfile.ZipFile(os.path.join(pt_dir, name), "w", method) as z:
        z.writestr(member(f"{archive}/data.pkl"), pkl, method)
        for key, data in records:
            z.writestr(member(f"{archive}/data/{key}"), data, method)
        for key, data in extra:
            z.writestr(member(f"{archive}/{key}"), data)
        z.writestr(member(f"{archive}/version"), "3\n")


def uni(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


# A GLOBAL 'os system' with REDUCE: torch.load would run `echo pwned`.
pt_zip("malicious.pt", b"\x80\x02cos\nsystem\n" + uni("echo pwned") + b"\x85R.")


def tensor_expr(storage_type, numel, offset, size, stride, key="0"):
    """_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) as torch pickles it"""
    def tup(xs):
        return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in xs) + b"t"
    pid = (b"(" + uni("storage") + b"ctorch\n" + storage_type.encode() + b"\n" + uni(key) +
           uni("cpu") + b"J" + struct.pack("<i", numel) + b"tQ")
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"J" + struct.pack("<i", offset) +
            tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)RtR")


def tensor_pickle(storage_type, numel, offset, size, stride, key="0"):
    """{'w': tensor_expr(...)}"""
    return (b"\x80\x02}(" + uni("w") + tensor_expr(storage_type, numel, offset, size, stride, key) +
            b"u.")


f32 = np.arange(12, dtype="<f4").tobytes()
pt_zip("handmade_ok.pt", tensor_pickle("FloatStorage", 12, 1, [2, 3], [1, 4]), [("0", f32)])
# torch >= 2.1 on a big-endian machine: a byteorder record says "big"
pt_zip("big_endian.pt", tensor_pickle("FloatStorage", 12, 1, [2, 3], [1, 4]),
       [("0", np.arange(12, dtype=">f4").tobytes())], extra=[("byteorder", "big")])
pt_zip("deflated_storage.pt", tensor_pickle("FloatStorage", 12, 1, [2, 3], [1, 4]), [("0", f32)],
       method=zipfile.ZIP_DEFLATED)
# element (1, 2) sits at 1 + 1*4 + 2*5 = 15 > 11: the stride walks past the storage
pt_zip("stride_past_storage.pt", tensor_pickle("FloatStorage", 12, 1, [2, 3], [4, 5]),
       [("0", f32)])
pt_zip("numel_lies.pt", tensor_pickle("FloatStorage", 20, 0, [2, 3], [3, 1]), [("0", f32)])
pt_zip("missing_record.pt", tensor_pickle("FloatStorage", 12, 0, [2, 3], [3, 1], key="7"),
       [("0", f32)])
pt_zip("complex_storage.pt", tensor_pickle("ComplexFloatStorage", 6, 0, [2, 3], [3, 1]),
       [("0", f32)])
# {'a': t, 'b': None, 'a': t2}: the same key set twice keeps its first place and its last value,
# as torch.load; {'x.y': t, 'x': {'y': t2}}: two tensors both named x.y, refused
pt_zip("repeated_key.pt", b"\x80\x02}(" + uni("a") + tensor_expr("FloatStorage", 12, 0, [3], [1]) +
       uni("b") + b"N" + uni("a") + tensor_expr("FloatStorage", 12, 2, [2], [1]) + b"u.",
       [("0", f32)])
pt_zip("name_collision.pt", b"\x80\x02}(" + uni("x.y") +
       tensor_expr("FloatStorage", 12, 0, [3], [1]) + uni("x") + b"}(" + uni("y") +
       tensor_expr("FloatStorage", 12, 2, [2], [1]) + b"uu.", [("0", f32)])
pt_zip("unknown_opcode.pt", b"\x80\x02}\xff.")
pt_zip("deep_nesting.pt", b"\x80\x02" + b"]" * 100000 + b"a" * 99999 + b".",
       method=zipfile.ZIP_DEFLATED)
pt_zip("too_many_objects.pt", b"\x80\x02" + b"N" * (1 << 22) + b"]" + b".",
       method=zipfile.ZIP_DEFLATED)
pt_zip("deep_dicts.pt", b"\x80\x02" + (b"}" + uni("k")) * 200 + b"}" + b"s" * 200 + b".")
pt_zip("huge_memo.pt", b"\x80\x02}r\xff\xff\xff\xffj\xfe\xff\xff\xff.")
pt_zip("memo_get_missing.pt", b"\x80\x02}q\x00h\x05.")
pt_zip("truncated_pickle.pt", b"\x80\x02}" + b"X\x00\x00\x01\x00ab")
pt_zip("no_stop.pt", b"\x80\x02}")
pt_zip("self_cycle.pt", b"\x80\x02]q\x00h\x00a.")


def raw_zip(path, members, deflate=False, flags=0):
    """A zip written with struct: [(name, data, declared_size)] (declared_size, the
    uncompressed size, lies when given), so the tests see sizes that python's zipfile refuses
    to write."""
    out, central = b"", b""
    for name, data, declared in members:
        nb = name.encode()
        crc = zlib.crc32(data)
        usize = declared if declared is not None else len(data)
        if deflate:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = c.compress(data) + c.flush()
        csize = len(data) if deflate else usize
        method = 8 if deflate else 0
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0, crc, csize,
                             usize, len(nb), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0, crc,
                               csize, usize, len(nb), 0, 0, 0, 0, 0, len(out)) + nb
        out += header + nb + data
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                       len(out), 0)
    with open(path, "wb") as f:
        f.write(out + central + eocd)


raw_zip(os.path.join(pt_dir, "range_past_end.pt"),
        [("archive/data.pkl", tensor_pickle("FloatStorage", 12, 0, [3], [1]), None),
         ("archive/data/0", f32, 1 << 20)])
raw_zip(os.path.join(pt_dir, "duplicate_member.pt"),
        [("archive/data.pkl", b"\x80\x02}.", None), ("archive/data.pkl", b"\x80\x02}.", None)])

# .npz: numpy's own writer, stored and deflated; references as plain .npy.
rng = np.random.default_rng(0)
arrays = collections.OrderedDict([
    ("W1", rng.standard_normal((4, 3)).astype(np.float32)),
    ("bias", rng.standard_normal(5)),
    ("emb", rng.standard_normal((2, 6)).astype(np.float16)),
    ("Wf", np.asfortranarray(rng.standard_normal((3, 4)))),
])
np.savez(os.path.join(npz_dir, "stored.npz"), **arrays)
np.savez_compressed(os.path.join(npz_dir, "compressed.npz"), **arrays)
for k, v in arrays.items():
    np.save(os.path.join(npz_dir, "ref", k + ".npy"), np.ascontiguousarray(v, dtype=np.float64))
np.savez(os.path.join(npz_dir, "int_member.npz"), W=arrays["W1"], labels=np.arange(3))
np.savez(os.path.join(npz_dir, "empty.npz"))
with zipfile.ZipFile(os.path.join(npz_dir, "not_npy.npz"), "w") as z:
    z.writestr(member("W.npy"), open(os.path.join(npz_dir, "ref", "W1.npy"), "rb").read())
    z.writestr(member("notes.txt"), "hello")
w1 = open(os.path.join(npz_dir, "ref", "W1.npy"), "rb").read()
raw_zip(os.path.join(npz_dir, "lying_size.npz"), [("W.npy", w1, len(w1) + 100)], deflate=True)
raw_zip(os.path.join(npz_dir, "bomb.npz"), [("W.npy", w1, 0xFFFFFFF0)], deflate=True)
raw_zip(os.path.join(npz_dir, "encrypted.npz"), [("W.npy", w1, None)], flags=1)
with zipfile.ZipFile(os.path.join(npz_dir, "bzip2.npz"), "w", zipfile.ZIP_BZIP2) as z:
    z.writestr(member("W.npy"), w1, zipfile.ZIP_BZIP2)
print("fixtures written to", pt_dir, "and", npz_dir)
