#pragma once
// A restricted unpickler for the data.pkl of a PyTorch checkpoint: it builds an inert graph of
// values (dicts, lists, tuples, numbers, strings, tensors) and never imports or calls anything.
// Only the opcodes pickle protocol 2 emits for a tensor state dict are implemented (plus the
// framing and short-string opcodes of protocols 3-5), and only these globals are accepted:
//   collections.OrderedDict                                   (called with no arguments)
//   torch._utils._rebuild_tensor_v2                           (storage, offset, size, stride,
//                                                              requires_grad, hooks[, metadata])
//   torch._utils._rebuild_parameter, _rebuild_parameter_with_state  (a tensor, returned as is)
//   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage,
//   torch.storage.UntypedStorage                              (in a storage's persistent id)
//   torch.Size (its tuple), _codecs.encode (protocol 2's bytes), torch.float32 and the other
//   dtypes (values only)
// Any other global is refused as soon as it is read: "<label>: refuses global 'os.system' (a
// checkpoint is data; sih executes nothing from it)". Not part of the public headers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sih::formats_detail {

// A storage as its persistent id names it: its record (data/<key>), element type and count.
struct PickleStorage {
  std::string key;
  std::string dtype;  // float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool
  std::size_t item_bytes = 0;
  bool floating = false;
  std::uint64_t numel = 0;
};

// A tensor as _rebuild_tensor_v2 received it.
struct PickleTensor {
  std::size_t storage = 0;  // index into PickleGraph::storages
  std::int64_t offset = 0;
  std::vector<std::int64_t> size, stride;
};

struct PyValue {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor
  };
  Kind kind = Kind::None;
  bool big = false;                // an Int beyond 64 bits (its value is not kept)
  std::int64_t i = 0;              // Int (and Bool: 0/1)
  double f = 0;                    // Float
  std::string s;                   // Str, Bytes; Global: "module.name"
  std::vector<std::size_t> items;  // Tuple, List; Dict: key, value, key, value, ... (file order)
  std::size_t ref = 0;             // Storage, Tensor: index into PickleGraph::storages, tensors
};

// The unpickled graph: values refer to each other by index into `values` (no ownership, so a
// cyclic or deeply nested pickle is harmless here; walkers must bound their depth).
struct PickleGraph {
  std::vector<PyValue> values;
  std::vector<PickleStorage> storages;
  std::vector<PickleTensor> tensors;
  std::size_t root = 0;
};

// At most this many objects (values) in one pickle (~90 bytes each here): a state dict has
// about 20 per tensor, so this admits some 200000 tensors.
constexpr std::size_t kMaxPickleValues = std::size_t{1} << 22;

// Throws InputError "<label>: ..." naming the opcode (in hex) and its byte offset for malformed
// or unsupported pickles, and the global for a refused one.
PickleGraph unpickle_checkpoint(const char* data, std::size_t n, const std::string& label);

}  // namespace sih::formats_detail
