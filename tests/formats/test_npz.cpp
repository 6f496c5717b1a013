// The .npz reader against numpy 1.24's own np.savez (stored) and np.savez_compressed
// (deflated) files, with each array's values saved by np.save as float64 (tests/data/npz, made
// by scripts/reference/make_pytorch_fixtures.py); bad zips written with python's struct.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "sih/formats/matrix_readers.hpp"
#include "sih/formats/tensor_file.hpp"
#include "test_util.hpp"

namespace sih {
namespace {

std::string data_dir() { return test::reference_dir() + "/../npz"; }
std::string fixture(const std::string& name) { return data_dir() + "/" + name; }

std::string error_of(const std::string& path) {
  try {
    auto f = open_tensor_file(path);
    for (std::size_t i = 0; i < f->tensors().size(); ++i) f->load(i);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Want {
  const char* name;
  const char* dtype;
  std::vector<std::int64_t> shape;
};

TEST(Npz, StoredAndCompressedAsNumpyWroteThem) {
  const Want want[] = {{"W1", "float32", {4, 3}},
                       {"bias", "float64", {5}},
                       {"emb", "float16", {2, 6}},
                       {"Wf", "float64", {3, 4}}};  // Fortran order in the file
  for (const char* file : {"stored.npz", "compressed.npz"}) {
    SCOPED_TRACE(file);
    const auto f = open_tensor_file(fixture(file));
    EXPECT_EQ(f->reader(), "npz");
    ASSERT_EQ(f->tensors().size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
      const TensorInfo& info = f->tensors()[i];
      EXPECT_EQ(info.name, want[i].name);
      EXPECT_EQ(info.dtype, want[i].dtype);
      EXPECT_EQ(info.shape, want[i].shape);
      EXPECT_TRUE(info.floating);
      const Tensor t = f->load(i);
      const Tensor ref = read_npy_tensor(data_dir() + "/ref/" + want[i].name + ".npy");
      ASSERT_EQ(t.data.size(), ref.data.size());
      for (std::size_t k = 0; k < ref.data.size(); ++k)
        ASSERT_EQ(t.data[k], ref.data[k]) << want[i].name << " flat index " << k << ": expected "
                                          << ref.data[k] << ", actual " << t.data[k];
    }
  }
}

TEST(Npz, EmptyArchiveHasNoArrays) {
  const auto f = open_tensor_file(fixture("empty.npz"));
  EXPECT_EQ(f->reader(), "npz");
  EXPECT_TRUE(f->tensors().empty());
}

TEST(Npz, BadInputIsOneLineNamingFileAndArray) {
  const std::pair<const char*, const char*> cases[] = {
      {"int_member.npz", "array 'labels': unsupported dtype '<i8'"},
      {"not_npy.npz", "member 'notes.txt' is not an .npy array (an .npz holds .npy members only)"},
      {"lying_size.npz",
       "member 'W.npy': inflates to 224 bytes, its header says 324 (truncated or lying size)"},
      {"encrypted.npz", "member 'W.npy' is encrypted (sih reads unencrypted archives only)"},
      {"bzip2.npz",
       "member 'W.npy': is compressed with bzip2 (sih reads stored and deflated members)"},
      {"bomb.npz", "member 'W.npy': 4294967280 uncompressed bytes cannot come from "},
  };
  for (const auto& [file, message] : cases) {
    const std::string path = fixture(file);
    const std::string err = error_of(path);
    EXPECT_EQ(err.rfind(path + ": " + message, 0), 0u)
        << "expected: " << path << ": " << message << "...\nactual:   " << err;
  }
}

TEST(Npz, CorruptDeflateDataIsRefusedOnLoad) {
  std::ifstream in(fixture("compressed.npz"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  // The first member's compressed data starts after its local header (30 bytes), its name
  // ("W1.npy") and its extra field (numpy writes a Zip64 one); its size is at byte 18.
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t data = 30 + (u[26] | u[27] << 8) + (u[28] | u[29] << 8);
  const std::size_t csize = u[18] | u[19] << 8 | u[20] << 16 | std::size_t{u[21]} << 24;
  ASSERT_GT(csize, 60u);
  // the tail of the stream: the header (the first bytes) still inflates, the data does not
  for (std::size_t k = data + csize - 12; k < data + csize - 4; ++k)
    bytes[k] = static_cast<char>(~bytes[k]);
  test::TempDir dir;
  const std::string path = dir / "corrupt.npz";
  std::ofstream(path, std::ios::binary) << bytes;
  const std::string err = error_of(path);
  EXPECT_EQ(err.rfind(path + ": member 'W1.npy': ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
}

}  // namespace
}  // namespace sih
