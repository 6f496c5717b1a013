// open_tensor_file: the reader chosen by content, and the HuggingFace folder (one file or
// shards listed by an index) composed over the per-file readers. Values are checked against
// the float32 values written into the files here.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sih/formats/array_io.hpp"
#include "sih/formats/tensor_file.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace sih {
namespace {

using test::TempDir;

std::string f32s(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

// A safetensors file of float32 tensors, in the order given.
struct Named {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};
std::string safetensors(const std::vector<Named>& ts) {
  std::string header = "{", data;
  for (const auto& t : ts) {
    std::string shape;
    for (auto s : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(s);
    header += (header.size() > 1 ? "," : "") + std::string("\"") + t.name +
              "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(data.size()) + "," +
              std::to_string(data.size() + 4 * t.values.size()) + "]}";
    data += f32s(t.values);
  }
  header += "}";
  std::uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OpenTensorFile, PicksTheReaderByContentNotExtension) {
  TempDir tmp;
  MatD m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  write_npy(tmp / "weights.bin", m);  // an .npy under another name
  test::write_text(tmp / "model.dat", safetensors({{"w", {3, 2}, {1, 2, 3, 4, 5, 6}}}));
  const auto npy = open_tensor_file(tmp / "weights.bin");
  EXPECT_EQ(npy->reader(), "npy");
  ASSERT_EQ(npy->tensors().size(), 1u);
  EXPECT_EQ(npy->tensors()[0].shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(npy->load(0).data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  const auto st = open_tensor_file(tmp / "model.dat");
  EXPECT_EQ(st->reader(), "safetensors");
  EXPECT_EQ(st->tensors()[0].name, "w");
  EXPECT_EQ(st->load(0).data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(OpenTensorFile, RefusesWhatNoReaderKnowsFifosAndMissingFiles) {
  TempDir tmp;
  test::write_text(tmp / "notes.txt", "hello, these are not weights\n");
  const std::string unknown = message_of([&] { open_tensor_file(tmp / "notes.txt"); });
  EXPECT_EQ(unknown.rfind(tmp / "notes.txt" + ": not a file any reader recognises (tried npy, ", 0),
            0u)
      << unknown;
  EXPECT_NE(unknown.find("safetensors"), std::string::npos) << unknown;
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(message_of([&] { open_tensor_file(tmp / "fifo"); }),
            tmp / "fifo" + ": not a regular file (a FIFO)");
  EXPECT_EQ(message_of([&] { open_tensor_file(tmp / "absent.npy"); }),
            tmp / "absent.npy" + ": cannot open: no such file");
}

TEST(Safetensors, TensorsComeInTheFileOrderNotTheHeaderKeyOrder) {
  TempDir tmp;
  // Keys sort as a, b, c; the data is laid out c, a, b (as writers order by layer).
  test::write_text(
      tmp / "m.safetensors",
      safetensors({{"c", {1, 2}, {5, 6}}, {"a", {1, 2}, {1, 2}}, {"b", {1, 2}, {3, 4}}}));
  const auto f = open_tensor_file(tmp / "m.safetensors");
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->tensors()[0].name, "c");
  EXPECT_EQ(f->tensors()[1].name, "a");
  EXPECT_EQ(f->tensors()[2].name, "b");
  EXPECT_EQ(f->load(1).data, (std::vector<double>{1, 2}));
}

// Two shards and an index whose order (layers.2 before layers.10, not sorted) is kept.
void write_sharded(const TempDir& tmp) {
  test::write_text(
      tmp / "model-00001-of-00002.safetensors",
      safetensors({{"layers.10.w", {2, 2}, {1, 2, 3, 4}}, {"embed", {3, 2}, {1, 0, 0, 1, 1, 1}}}));
  test::write_text(tmp / "model-00002-of-00002.safetensors",
                   safetensors({{"layers.2.w", {2, 2}, {5, 6, 7, 8}}}));
  test::write_text(tmp / "model.safetensors.index.json",
                   R"({"metadata": {"total_size": 56}, "weight_map": {)"
                   R"("embed": "model-00001-of-00002.safetensors",)"
                   R"("layers.2.w": "model-00002-of-00002.safetensors",)"
                   R"("layers.10.w": "model-00001-of-00002.safetensors"}})");
}

TEST(HuggingFaceFolder, ShardsInTheIndexOrderWithTheirValues) {
  TempDir tmp;
  write_sharded(tmp);
  ASSERT_TRUE(is_huggingface_folder(tmp.path()));
  const auto f = open_tensor_file(tmp.path());
  EXPECT_EQ(f->reader(), "huggingface");
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->tensors()[0].name, "embed");
  EXPECT_EQ(f->tensors()[1].name, "layers.2.w");
  EXPECT_EQ(f->tensors()[2].name, "layers.10.w");
  EXPECT_EQ(f->load(1).data, (std::vector<double>{5, 6, 7, 8}));
  EXPECT_EQ(f->load(2).data, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(f->load(0).shape, (std::vector<std::int64_t>{3, 2}));
}

TEST(HuggingFaceFolder, OneWeightsFileWithoutIndex) {
  TempDir tmp;
  test::write_text(tmp / "model.safetensors", safetensors({{"w", {2, 2}, {1, 2, 3, 4}}}));
  test::write_text(tmp / "config.json", "{}");
  const auto f = open_tensor_file(tmp.path());
  ASSERT_EQ(f->tensors().size(), 1u);
  EXPECT_EQ(f->load(0).data, (std::vector<double>{1, 2, 3, 4}));
}

TEST(HuggingFaceFolder, BadIndexesNameTheIndexTheShardAndTheTensor) {
  TempDir tmp;
  const std::string index = tmp / "model.safetensors.index.json";
  write_sharded(tmp);
  fs::remove(tmp / "model-00002-of-00002.safetensors");
  EXPECT_EQ(message_of([&] { open_tensor_file(tmp.path()); }),
            index +
                ": shard 'model-00002-of-00002.safetensors' (of tensor 'layers.2.w') is "
                "missing from " +
                tmp.path());

  write_sharded(tmp);
  test::write_text(index, R"({"weight_map": {"embed": "model-00001-of-00002.safetensors",)"
                          R"("layers.10.w": "model-00001-of-00002.safetensors",)"
                          R"("ghost": "model-00002-of-00002.safetensors"}})");
  EXPECT_EQ(message_of([&] { open_tensor_file(tmp.path()); }),
            index + ": tensor 'ghost' is not in its shard 'model-00002-of-00002.safetensors'");

  test::write_text(index, R"({"weight_map": {"embed": "model-00001-of-00002.safetensors"}})");
  EXPECT_EQ(message_of([&] { open_tensor_file(tmp.path()); }),
            index +
                ": shard 'model-00001-of-00002.safetensors' holds tensor 'layers.10.w' that "
                "the index does not list");

  test::write_text(index, R"({"weight_map": {"embed": "../elsewhere.safetensors"}})");
  EXPECT_NE(message_of([&] { open_tensor_file(tmp.path()); }).find("sih reads nothing outside it"),
            std::string::npos);

  test::write_text(index, R"({"weight_map": ["embed"]})");
  EXPECT_NE(message_of([&] { open_tensor_file(tmp.path()); }).find("needs an object"),
            std::string::npos);
  test::write_text(index, "{truncated");
  EXPECT_NE(message_of([&] { open_tensor_file(tmp.path()); }).find("not valid JSON"),
            std::string::npos);
}

TEST(HuggingFaceFolder, AFolderWithoutWeightsIsNotOne) {
  TempDir tmp;
  test::write_text(tmp / "config.json", "{}");
  EXPECT_FALSE(is_huggingface_folder(tmp.path()));
  EXPECT_NE(
      message_of([&] { open_tensor_file(tmp.path()); }).find("not a HuggingFace model folder"),
      std::string::npos);
}

}  // namespace
}  // namespace sih
