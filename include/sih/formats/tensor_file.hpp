#pragma once
// A checkpoint seen as a list of named tensors that are decoded one at a time: `sih analyze`
// walks the list and holds one tensor in memory, never the whole file (checkpoints larger than
// memory). One reader per file format lives in the formats layer (formats/<format>.cpp) and
// implements TensorFile; open_tensor_file picks the reader from the file's first bytes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sih/formats/matrix_readers.hpp"

namespace sih {

// What the file says about one tensor, before any data is decoded.
struct TensorInfo {
  std::string name;         // the layer's name as shown: as in the file ("" for a single-array
                            // file), or where a format uses names of its own (GGUF's blk.N.attn_q),
                            // the HuggingFace name they were converted from when known
  std::string stored_name;  // the name in the file when `name` differs from it
  std::vector<std::int64_t> shape;  // row-major order, outermost first (PyTorch's order: a
                                    // linear layer is (out, in)); GGUF's ne[] reversed
  std::string dtype;                // as stored, lower case: float32, bfloat16, int64, q4_k, ...
  bool floating = false;            // load() yields real weights (float or quantized); false for
                                    // integer and bool tensors, which analyze lists as skipped
};

class TensorFile {
 public:
  virtual ~TensorFile() = default;
  // The reader's name as shown to the user: "npy", "safetensors", "pytorch", "onnx", "gguf",
  // "npz", "huggingface".
  virtual std::string reader() const = 0;
  // Every tensor in file order (for an index/shards: the index's order).
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  // Decodes tensor i to double (row-major, as TensorInfo::shape). Throws InputError naming
  // the file and the tensor when its bytes are bad (truncated, NaN/Inf, out of bounds). The
  // result's name, shape and dtype are those of tensors()[i].
  virtual Tensor load(std::size_t i) const = 0;
};

// Opens `path` with the reader its content calls for (magic bytes first; the extension only
// where a format has no magic; a HuggingFace model folder for a folder). Throws InputError "<path>:
// ..." when no reader fits, naming the formats tried.
std::unique_ptr<TensorFile> open_tensor_file(const std::string& path);

// Readers, one per format (each in its own formats/<format>.cpp). Every one validates the
// whole index on open (names, shapes, dtypes, byte ranges within the file) and throws
// InputError with one line naming the file and the tensor.
std::unique_ptr<TensorFile> open_npy_file(const std::string& path);
std::unique_ptr<TensorFile> open_safetensors_file(const std::string& path);
// GGUF v2/v3 (llama.cpp): F32, F16, BF16, F64 and the quantized types Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q2_K-Q6_K, Q8_K, dequantized as ggml does; integer tensors are listed with floating
// false, other quantizations (IQ*, TQ*, Q8_1) too, and load() refuses them naming the type.
std::unique_ptr<TensorFile> open_gguf_file(const std::string& path);

// A HuggingFace model folder: model.safetensors or pytorch_model.bin, or their shards listed
// by model.safetensors.index.json / pytorch_model.bin.index.json (every listed shard must
// exist and hold exactly the tensors the index gives it). is_huggingface_folder: the folder
// has one of those four files.
bool is_huggingface_folder(const std::string& path);
std::unique_ptr<TensorFile> open_huggingface_folder(const std::string& path);
// ONNX (formats/onnx.cpp): initializers, Constant values and subgraph weights (named
// "<node>/<attribute>/<tensor>"), integer weights behind a DequantizeLinear dequantized;
// external data files resolved inside the model's folder and mapped.
std::unique_ptr<TensorFile> open_onnx_file(const std::string& path);

// PyTorch checkpoints written by torch.save since 1.6 (a zip with <archive>/data.pkl), read
// with a restricted unpickler that executes nothing (any global outside a tensor state dict's
// few is refused by name); legacy (pre-1.6) and TorchScript files are refused with a line
// saying how to re-save them. Tensors are found in nested dicts, lists and tuples and named by
// their dotted path (list items by index); the one top-level key "state_dict",
// "model_state_dict" or "model" holding a dict is left out of its tensors' names (stored_name
// keeps the path). Other values (epoch, lr, strings) are skipped and listed nowhere. Integer
// and bool tensors are listed (floating = false) and load() decodes them too
// (formats/pytorch.cpp).
std::unique_ptr<TensorFile> open_pytorch_file(const std::string& path);
// NumPy .npz (np.savez, np.savez_compressed): each member through the .npy reader, named
// without ".npy", in the archive's order (formats/npz.cpp).
std::unique_ptr<TensorFile> open_npz_file(const std::string& path);

}  // namespace sih
