// The ONNX reader (src/formats/onnx.cpp) against onnx's own reader: the fixtures of
// tests/data/onnx were written by onnx 1.12 (onnx.helper, numpy_helper.from_array,
// onnx.save_model) and every reference array is numpy_helper.to_array of the TensorProto as
// onnx.load reads it back; the dequantized weights are numpy's float32 (x - zero_point) *
// scale, as the DequantizeLinear spec computes (scripts/reference/make_onnx_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "sih/base/types.hpp"
#include "sih/formats/matrix_readers.hpp"
#include "sih/formats/tensor_file.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

std::string onnx_dir() { return test::ref("../onnx"); }
std::string fixture(const std::string& rel) { return onnx_dir() + "/" + rel; }

// One line of a fixture's manifest (<model>.tsv): what the reader must list, and the .npy
// holding the values onnx's numpy_helper.to_array gave ("-": load must refuse).
struct Expected {
  std::string name, dtype;
  std::vector<std::int64_t> shape;
  bool floating = false;
  std::string npy;
};

std::vector<Expected> read_manifest(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<Expected> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) cells.push_back(cell);
    while (cells.size() < 5) cells.emplace_back();  // getline drops a trailing empty cell
    Expected e;
    e.name = cells[0];
    e.dtype = cells[1];
    std::stringstream dims(cells[2]);
    std::string d;
    while (std::getline(dims, d, ',')) e.shape.push_back(std::stoll(d));
    e.floating = cells[3] == "1";
    e.npy = cells[4];
    out.push_back(e);
  }
  return out;
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

// Every listed tensor matches the manifest in order; every value matches onnx's to_array
// within `rel` relative (0: bit-exact, for storage decoded without arithmetic).
void check_model(const std::string& model, const std::string& manifest, double rel_dequantized) {
  SCOPED_TRACE(model);
  const auto expected = read_manifest(manifest);
  ASSERT_FALSE(expected.empty());
  const auto file = open_tensor_file(model);  // the dispatcher picks the reader
  EXPECT_EQ(file->reader(), "onnx");
  const auto& infos = file->tensors();
  ASSERT_EQ(infos.size(), expected.size());
  const std::string dir = fs::path(manifest).parent_path().string();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const Expected& e = expected[i];
    SCOPED_TRACE("tensor " + std::to_string(i) + " '" + e.name + "'");
    EXPECT_EQ(infos[i].name, e.name);
    EXPECT_EQ(infos[i].dtype, e.dtype);
    EXPECT_EQ(shape_str(infos[i].shape), shape_str(e.shape));
    EXPECT_EQ(infos[i].floating, e.floating);
    const Tensor t = file->load(i);
    EXPECT_EQ(t.name, e.name);
    EXPECT_EQ(t.dtype, e.dtype);
    EXPECT_EQ(shape_str(t.shape), shape_str(e.shape));
    const Tensor ref = read_npy_tensor(dir + "/" + e.npy);
    ASSERT_EQ(t.data.size(), ref.data.size());
    const double rel = e.dtype.find("dequantized") != std::string::npos ? rel_dequantized : 0.0;
    int bad = 0;
    for (std::size_t k = 0; k < ref.data.size(); ++k) {
      const double want = ref.data[k], got = t.data[k];
      if (std::abs(got - want) > rel * std::abs(want) && bad++ < 5)
        ADD_FAILURE() << "value " << k << ": expected " << want << ", actual " << got
                      << " (tolerance " << rel << " relative)";
    }
    EXPECT_EQ(bad, 0) << bad << " of " << ref.data.size() << " values differ";
  }
}

TEST(Onnx, InitializersConstantsAndSubgraphWeightsMatchOnnxToArray) {
  // float32/float16/float64 raw_data; float32 in float_data; float16 and bfloat16 bits in
  // int32_data; int64 in int64_data and raw; a scalar; a Constant node; If branches, a Loop
  // body with an unnamed If inside, a Scan body.
  check_model(fixture("weights.onnx"), fixture("weights.tsv"), 0.0);
}

TEST(Onnx, ExternalDataIsReadFromTheMappedFileBesideTheModel) {
  // onnx.save_model(save_as_external_data, all_tensors_to_one_file, size_threshold=0,
  // convert_attribute): initializers and a Constant's value all in model.onnx.data.
  check_model(fixture("external/model.onnx"), fixture("external/model.tsv"), 0.0);
}

TEST(Onnx, DequantizeLinearWeightsAreDequantizedInFloat32) {
  // int8 per tensor, int8 per axis 0, uint8 per default axis 1, int8 per axis -1 of a 3-D
  // weight, int8 without zero point; the activation's Quantize/DequantizeLinear pair stays out.
  // numpy's float32 product and the reader's agree to the last bit; 2^-24 allows a different
  // but equally correct float32 rounding.
  check_model(fixture("quant.onnx"), fixture("quant.tsv"), std::ldexp(1.0, -24));
}

TEST(Onnx, ExternalDataFromAnotherWorkingDirectory) {
  // The location is resolved against the model's folder, not the current directory.
  const auto old = fs::current_path();
  fs::current_path(fixture("external"));
  std::unique_ptr<TensorFile> f;
  EXPECT_NO_THROW(f = open_onnx_file("model.onnx"));
  fs::current_path("/");
  if (f) {
    EXPECT_NO_THROW(f->load(0));
  }
  fs::current_path(old);
}

// The message is one line naming the file and, where there is one, the tensor and the rule.
void expect_refused(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no InputError; expected one naming: " << parts.front();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

void expect_open_refused(const std::string& rel, const std::vector<std::string>& parts) {
  SCOPED_TRACE(rel);
  const std::string path = fixture(rel);
  std::vector<std::string> all{path};
  all.insert(all.end(), parts.begin(), parts.end());
  expect_refused([&] { open_tensor_file(path); }, all);
}

TEST(Onnx, TruncatedProtobufIsRefused) {
  const std::string bytes = test::read_text(fixture("weights.onnx"));
  test::TempDir tmp;
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 7, std::size_t{40}}) {
    const std::string path = tmp / ("cut" + std::to_string(keep) + ".onnx");
    test::write_text(path, bytes.substr(0, keep));
    SCOPED_TRACE(path);
    expect_refused([&] { open_tensor_file(path); }, {path, "not a valid ONNX protobuf"});
  }
}

TEST(Onnx, ExternalLocationOutsideTheModelFolderIsRefused) {
  expect_open_refused("bad/escape_dotdot.onnx",
                      {"tensor 'escapee'", "'../quant.onnx'", "escapes the model's folder"});
  expect_open_refused("bad/escape_absolute.onnx",
                      {"tensor 'absolute'", "'/etc/hostname'", "escapes the model's folder"});
}

TEST(Onnx, ExternalRangePastTheFileEndIsRefused) {
  expect_open_refused("bad/past_end.onnx",
                      {"tensor 'too_far'", "[8, 32)", "past the end of 'short.bin' (16 bytes)"});
}

TEST(Onnx, MissingExternalFileIsRefused) {
  test::TempDir tmp;
  fs::copy_file(fixture("external/model.onnx"), tmp / "model.onnx");
  expect_refused([&] { open_tensor_file(tmp / "model.onnx"); },
                 {tmp / "model.onnx", "tensor 'ext_a'", "model.onnx.data", "cannot open"});
}

TEST(Onnx, StoredSizeNotMatchingDimsIsRefused) {
  expect_open_refused("bad/raw_mismatch.onnx",
                      {"tensor 'short_raw'", "raw_data holds 20 bytes", "2x3", "need 24 bytes"});
  expect_open_refused("bad/typed_mismatch.onnx",
                      {"tensor 'short_typed'", "5 values", "2x3", "6 elements"});
}

TEST(Onnx, TypedFieldValueOutsideItsTypeIsRefusedOnLoad) {
  const std::string path = fixture("bad/int32_data_range.onnx");
  const auto f = open_tensor_file(path);
  expect_refused([&] { f->load(0); },
                 {path, "tensor 'wide_int8'", "int32_data entry 1 = 300", "outside int8"});
}

TEST(Onnx, UnknownDataTypeIsRefusedByNumberAndUndefinedByName) {
  expect_open_refused("bad/dtype_99.onnx", {"tensor 'mystery'", "data_type 99", "not an ONNX"});
  expect_open_refused("bad/dtype_undefined.onnx",
                      {"tensor 'untyped'", "data_type 0 (UNDEFINED)", "not an ONNX"});
}

TEST(Onnx, KnownButUndecodedDataTypeIsListedAndItsLoadRefusedByName) {
  const std::string path = fixture("bad/dtype_fp8.onnx");
  const auto f = open_tensor_file(path);
  ASSERT_EQ(f->tensors().size(), 1u);
  EXPECT_EQ(f->tensors()[0].dtype, "float8e4m3fn");
  EXPECT_FALSE(f->tensors()[0].floating);
  expect_refused([&] { f->load(0); },
                 {path, "tensor 'fp8'", "data_type 17 (FLOAT8E4M3FN)", "not decoded"});
}

TEST(Onnx, DequantizeLinearScaleNotMatchingTheAxisIsRefused) {
  expect_open_refused("bad/dq_axis_mismatch.onnx", {"tensor 'q'", "DequantizeLinear 'dq'",
                                                    "scale has 3 values", "axis 0 has 4"});
}

TEST(Onnx, RecognisedByContentWhateverTheExtensionAndByExtensionWithoutIrVersion) {
  test::TempDir tmp;
  const std::string bytes = test::read_text(fixture("weights.onnx"));
  ASSERT_EQ(bytes.substr(0, 2), std::string("\x08\x08", 2));  // ir_version 8 first
  test::write_text(tmp / "model.bin", bytes);
  EXPECT_EQ(open_tensor_file(tmp / "model.bin")->reader(), "onnx");
  // without its leading ir_version field the bytes are still a ModelProto; .onnx decides
  test::write_text(tmp / "no_version.onnx", bytes.substr(2));
  EXPECT_EQ(open_tensor_file(tmp / "no_version.onnx")->tensors().size(),
            read_manifest(fixture("weights.tsv")).size());
  test::write_text(tmp / "no_version.bin", bytes.substr(2));
  expect_refused([&] { open_tensor_file(tmp / "no_version.bin"); },
                 {tmp / "no_version.bin", "onnx"});
}

TEST(Onnx, GarbageWithOnnxExtensionIsRefused) {
  test::TempDir tmp;
  const std::string path = tmp / "junk.onnx";
  test::write_text(path, std::string("\xff\xff\xff\xff garbage", 12));
  expect_refused([&] { open_tensor_file(path); }, {path, "not a valid ONNX protobuf"});
  // valid protobuf (an empty message) but no graph
  test::write_text(path, std::string("\x08\x07", 2));
  expect_refused([&] { open_tensor_file(path); }, {path, "no graph"});
}

}  // namespace
}  // namespace sih
