#pragma once
// Weight matrices a user brings to `sih analyze`: .npy (float16/32/64, 2-D), .csv (one matrix
// row per line), .safetensors (every floating tensor of rank >= 2), or a sih run folder (its
// weights/*.npy). Every reader validates what it reads and throws InputError with one line
// naming the file (and the tensor), the value and the rule.
#include <cstdint>
#include <string>
#include <vector>

#include "sih/base/types.hpp"
#include "sih/formats/npy.hpp"

namespace sih {

// One tensor as read, in C (row-major) order, converted to double.
struct Tensor {
  std::string name;                 // "" for single-matrix files; the safetensors key
  std::vector<std::int64_t> shape;  // as stored
  std::vector<double> data;         // prod(shape) values, row-major
  std::string dtype;                // as stored: float16, bfloat16, float32, float64
};

// .npy as npy.hpp reads it (float16/32/64, either byte order, C or Fortran order, 1-D or
// 2-D; 1-D comes back as shape {n}).
Tensor read_npy_tensor(const std::string& path);

// .safetensors: 8-byte little-endian header length, JSON header (nlohmann), data offsets
// checked against the header (end - begin = prod(shape) x item size, contiguous, in bounds
// of the file). Returns the tensors of rank >= 2 with a floating dtype (F16, BF16, F32, F64);
// integer/bool tensors are listed in `skipped` (name: reason). Unknown dtype strings, offsets
// that lie, truncated files and NaN/Inf entries are errors naming file and tensor.
std::vector<Tensor> read_safetensors(const std::string& path,
                                     std::vector<std::string>* skipped = nullptr);

// Parses safetensors bytes already in memory (for tests); `label` names them in errors.
std::vector<Tensor> parse_safetensors(const std::string& bytes, const std::string& label,
                                      std::vector<std::string>* skipped = nullptr);

// The matrices weightwatcher analyses for a tensor of rank >= 2 (its set_weight_matrices /
// conv2D_Wmats with pool=True, conv2d_norm=True):
//  - rank 2: the matrix itself (h x d);
//  - rank 4 (conv kernel, out x in x kh x kw in PyTorch's layout; detected as weightwatcher
//    does: out + in >= kh + kw, else kh x kw x in x out): the kh*kw slices W[:, :, i, j],
//    each multiplied by sqrt(1/2) (weightwatcher's conv2d_norm), eigenvalues pooled;
//  - rank 3 or >= 5 (weightwatcher skips these): reshaped to shape[0] x prod(rest).
struct WeightMatrices {
  std::vector<MatD> slices;  // each N x M or M x N as stored
  double N = 0, M = 0;       // larger / smaller dimension of one slice
  long rf = 1;               // number of slices
  bool reshaped = false;     // rank 3 or >= 5 flattened
};
WeightMatrices weight_matrices(const Tensor& t);

}  // namespace sih
