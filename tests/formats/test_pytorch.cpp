// The PyTorch checkpoint reader against files written by torch.save (Debian's python3-torch
// 1.13) and the values torch.load gives back, dumped by numpy (tests/data/pytorch, made by
// scripts/reference/make_pytorch_fixtures.py); the refusals against hand-made pickles in zips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sih/formats/matrix_readers.hpp"
#include "sih/formats/tensor_file.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

std::string data_dir() { return test::reference_dir() + "/../pytorch"; }
std::string fixture(const std::string& name) { return data_dir() + "/" + name; }

struct Expected {
  std::string name, stored_name, dtype, ref;
  std::vector<std::int64_t> shape;
};

// expected.tsv: file, name, stored name (path from the top of the pickle), dtype, shape, ref.
std::map<std::string, std::vector<Expected>> read_expected() {
  std::ifstream in(fixture("expected.tsv"));
  EXPECT_TRUE(in) << fixture("expected.tsv");
  std::map<std::string, std::vector<Expected>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (f.size() == 5) f.insert(f.begin() + 4, "");  // a scalar's empty shape
    EXPECT_EQ(f.size(), 6u) << line;
    if (f.size() != 6) continue;
    Expected e;
    e.name = f[1];
    e.stored_name = f[2];
    e.dtype = f[3];
    std::stringstream sh(f[4]);
    while (std::getline(sh, cell, ',')) e.shape.push_back(std::stoll(cell));
    e.ref = f[5];
    out[f[0]].push_back(e);
  }
  return out;
}

std::string error_of(const std::string& path) {
  try {
    auto f = open_tensor_file(path);
    for (std::size_t i = 0; i < f->tensors().size(); ++i) f->load(i);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool is_float(const std::string& dtype) {
  return dtype == "float32" || dtype == "float64" || dtype == "float16" || dtype == "bfloat16";
}

// Every tensor of every torch.save fixture: names, order, dtype, shape, and values equal to
// torch.load's (converted to float64 by torch: exact for these dtypes, so compared exactly).
TEST(PyTorch, TensorsAsTorchLoadSeesThem) {
  const auto expected = read_expected();
  ASSERT_GE(expected.size(), 8u);
  for (const auto& [file, want] : expected) {
    SCOPED_TRACE(file);
    const auto f = open_tensor_file(fixture(file));
    EXPECT_EQ(f->reader(), "pytorch");
    ASSERT_EQ(f->tensors().size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const TensorInfo& info = f->tensors()[i];
      const Expected& e = want[i];
      SCOPED_TRACE(e.stored_name);
      EXPECT_EQ(info.name, e.name);
      EXPECT_EQ(info.stored_name, e.name == e.stored_name ? "" : e.stored_name);
      EXPECT_EQ(info.dtype, e.dtype);
      EXPECT_EQ(info.shape, e.shape);
      EXPECT_EQ(info.floating, is_float(e.dtype));
      const Tensor t = f->load(i);
      EXPECT_EQ(t.name, e.name);
      EXPECT_EQ(t.shape, e.shape);
      std::size_t count = 1;
      for (auto s : e.shape) count *= static_cast<std::size_t>(s);
      ASSERT_EQ(t.data.size(), count);
      if (count == 0) continue;
      const Tensor ref = read_npy_tensor(data_dir() + "/" + e.ref);
      ASSERT_EQ(ref.data.size(), count);
      int shown = 0, differ = 0;
      for (std::size_t k = 0; k < count; ++k) {
        if (t.data[k] == ref.data[k]) continue;
        if (shown++ < 3)
          ADD_FAILURE() << "flat index " << k << ": expected " << ref.data[k] << ", actual "
                        << t.data[k];
        ++differ;
      }
      EXPECT_EQ(differ, 0);
    }
  }
}

TEST(PyTorch, NonTensorValuesAreNotListed) {
  // {"state_dict": sd, "epoch": 3, "lr": 0.1, "arch": "small"}: the wrapper's tensors only,
  // named as in the state dict.
  const auto f = open_pytorch_file(fixture("nested_state_dict.pt"));
  for (const auto& t : f->tensors()) {
    EXPECT_EQ(t.stored_name, "state_dict." + t.name);
    EXPECT_NE(t.name, "epoch");
  }
  // {"model": sd, ..., "extra": {"ema": {"w": ...}}}: outside the wrapper, the full path.
  const auto g = open_pytorch_file(fixture("nested_model.pt"));
  EXPECT_EQ(g->tensors().back().name, "extra.ema.w");
  EXPECT_EQ(g->tensors().back().stored_name, "");
}

TEST(PyTorch, StridedViewOfAHandMadeStorage) {
  // storage 0..11 as float32, offset 1, size (2, 3), stride (1, 4): element (i, j) = 1 + i + 4j
  const auto f = open_tensor_file(fixture("handmade_ok.pt"));
  const Tensor t = f->load(0);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(t.data, (std::vector<double>{1, 5, 9, 2, 6, 10}));
}

TEST(PyTorch, RepeatedKeyKeepsFirstPlaceLastValue) {
  // {'a': t, 'b': None, 'a': t2}: torch.load gives {'a': t2 ([2., 3.]), 'b': None}
  const auto f = open_tensor_file(fixture("repeated_key.pt"));
  ASSERT_EQ(f->tensors().size(), 1u);
  EXPECT_EQ(f->tensors()[0].name, "a");
  EXPECT_EQ(f->load(0).data, (std::vector<double>{2, 3}));
}

TEST(PyTorch, BigEndianByteOrderRecord) {
  // the same tensor as handmade_ok.pt, its storage written big-endian with byteorder "big"
  const auto f = open_tensor_file(fixture("big_endian.pt"));
  EXPECT_EQ(f->load(0).data, (std::vector<double>{1, 5, 9, 2, 6, 10}));
}

TEST(PyTorch, RefusesLegacyTorchScriptAndCode) {
  const std::string legacy = error_of(fixture("legacy.pt"));
  EXPECT_NE(legacy.find(fixture("legacy.pt") + ": a legacy PyTorch checkpoint (torch.save before "
                                               "1.6, or _use_new_zipfile_serialization=False)"),
            std::string::npos)
      << legacy;
  EXPECT_NE(legacy.find("torch.save(torch.load(path, map_location='cpu'), 'new.pt')"),
            std::string::npos)
      << legacy;
  const std::string ts = error_of(fixture("torchscript.pt"));
  EXPECT_NE(ts.find(fixture("torchscript.pt") + ": a TorchScript archive (torch.jit.save"),
            std::string::npos)
      << ts;
  EXPECT_NE(ts.find("torch.save(torch.jit.load(path).state_dict(), 'weights.pt')"),
            std::string::npos)
      << ts;
  EXPECT_EQ(error_of(fixture("malicious.pt")),
            fixture("malicious.pt") +
                ": refuses global 'os.system' (a checkpoint is data; sih executes nothing from "
                "it)");
  EXPECT_EQ(error_of(fixture("complex_storage.pt")),
            fixture("complex_storage.pt") +
                ": refuses global 'torch.ComplexFloatStorage' (a checkpoint is data; sih "
                "executes nothing from it)");
}

struct BadCase {
  const char* file;
  const char* message;  // after "<path>: "
};

TEST(PyTorch, BadInputIsOneLineNamingFileAndRule) {
  const BadCase cases[] = {
      {"stride_past_storage.pt",
       "tensor 'w': size 2x3, stride 4x5 and offset 1 reach element 15 of storage '0', which "
       "holds 12"},
      {"deflated_storage.pt",
       "tensor 'w': its storage record 'archive/data/0' is compressed (torch.save stores "
       "records uncompressed"},
      {"numel_lies.pt",
       "tensor 'w': storage '0' holds 48 bytes, its persistent id says 20 float32 elements"},
      {"missing_record.pt",
       "tensor 'w': its storage record 'archive/data/7' is not in the archive"},
      {"name_collision.pt",
       "two tensors are both named 'x.y' (a key with a '.' in it collides with a nested one)"},
      {"unknown_opcode.pt",
       "data.pkl: unknown or unsupported pickle opcode (opcode 0xff at byte 3)"},
      {"deep_nesting.pt", "data.pkl: containers nested deeper than 64 levels"},
      {"deep_dicts.pt", "data.pkl: containers nested deeper than 64 levels (at 'k.k.k."},
      {"self_cycle.pt", "data.pkl: containers nested deeper than 64 levels"},
      {"too_many_objects.pt",
       "data.pkl: more than 4194304 objects (a state dict has about 20 per tensor) "
       "(opcode 0x5d at byte 4194306)"},
      {"huge_memo.pt", "data.pkl: memo index 4294967295 beyond the pickle's size (opcode 0x72"},
      {"memo_get_missing.pt", "data.pkl: memo index 5 read before it was written (opcode 0x68"},
      {"truncated_pickle.pt", "data.pkl: truncated pickle: 65536 bytes needed, 2 left"},
      {"no_stop.pt", "data.pkl: truncated pickle: no STOP opcode"},
      {"range_past_end.pt", "member 'archive/data/0': its 1048576 bytes at offset "},
      {"duplicate_member.pt", "member 'archive/data.pkl' appears twice in the archive"},
  };
  for (const BadCase& c : cases) {
    const std::string path = fixture(c.file);
    const std::string err = error_of(path);
    EXPECT_EQ(err.rfind(path + ": " + c.message, 0), 0u)
        << "expected: " << path << ": " << c.message << "...\nactual:   " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PyTorch, TruncatedOrCorruptZipIsRefused) {
  test::TempDir dir;
  const std::string bytes = file_bytes(fixture("plain.pt"));
  // (torch writes Zip64 end records: the last 22 bytes, the plain record, may go missing and
  // the archive still reads whole)
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 60, std::size_t{30}}) {
    const std::string path = dir / ("cut" + std::to_string(keep) + ".pt");
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
    const std::string err = error_of(path);
    EXPECT_EQ(err.rfind(path + ": not a readable zip archive", 0), 0u) << err;
  }
  // A central directory pointing past the end: the first record's local header offset moved.
  std::string moved = bytes;
  const auto cd = moved.find("PK\x01\x02");
  ASSERT_NE(cd, std::string::npos);
  moved[cd + 42] = '\x7f';
  const std::string path = dir / "moved.pt";
  std::ofstream(path, std::ios::binary) << moved;
  const std::string err = error_of(path);
  EXPECT_EQ(err.rfind(path + ": member 'plain/data.pkl': local header unreadable", 0), 0u) << err;
}

TEST(PyTorch, NotAZipNorLegacy) {
  test::TempDir dir;
  const std::string path = dir / "x.pt";
  std::ofstream(path, std::ios::binary) << "hello, not a checkpoint";
  EXPECT_EQ(error_of(path), path +
                                ": not a PyTorch checkpoint (torch.save since 1.6 writes a "
                                "zip archive)");
}

}  // namespace
}  // namespace sih
