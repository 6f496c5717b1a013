#pragma once
// `sih analyze NEW --compare BASE` (docs/OUTPUT.md, "compare.csv"): what changed from a base
// checkpoint to a new one, tensor by tensor. Tensors of both (by name, among those analyze
// takes) with the same shape are paired; per pair the distances of W - W0 and the ESD of the
// difference itself (what fine-tuning added: low rank, heavy tailed). Streams: each worker
// holds one pair (W, W0 and W - W0) at a time, loaded by index from each TensorFile.
#include <string>
#include <vector>

#include "sih/experiments/analyze.hpp"

namespace sih {

struct ComparePair {
  std::string name, shape, dtype_new, dtype_base;
  double frobenius_base = 0;       // ||W0||_F
  double frobenius_diff = 0;       // ||W - W0||_F
  double relative_frobenius = 0;   // ||W - W0||_F / ||W0||_F
  double spectral_norm_diff = 0;   // ||W - W0||_2 (largest singular value)
  double diff_stable_rank = 0;     // ||W - W0||_F^2 / ||W - W0||_2^2
  double diff_numerical_rank = 0;  // singular values above the tolerance below
  double diff_rank_tolerance = 0;  // sigma_max * max(h, d) * eps (the stored dtypes' eps)
  double alpha_new = 0, alpha_base = 0, num_spikes_new = 0, num_spikes_base = 0;
  double diff_alpha = 0, diff_num_spikes = 0;  // the ESD of W - W0 (NaN when W == W0)
};

struct CompareResult {
  std::string new_path, base_path;
  std::vector<ComparePair> pairs;  // in NEW's order
  // Unpaired tensors: names, and for shape_differs "name: NEWSHAPE vs BASESHAPE"; with their
  // shapes for compare.csv's unpaired rows.
  std::vector<std::string> only_new, only_base, shape_differs;
  struct Unpaired {
    std::string name, status, shape;  // status: only_new, only_base or shape_differs
  };
  std::vector<Unpaired> unpaired;
  // NEW a PEFT LoRA adapter (analyze_peft.hpp): W = W0 + scale B A per adapted layer, and
  // these are W's table rows (the adapter folder has no weights of its own to analyse).
  bool peft = false;
  std::vector<AnalyzeRow> merged_rows;
};

// Pairs opt.paths[0] (NEW; a checkpoint, or a PEFT LoRA adapter folder whose updates are
// added to BASE's tensors) with opt.compare (BASE) under analyze's tensor policy (--layers,
// --min-evals, ...). `new_rows` is NEW's analysis (alpha, num_spikes by name). No common tensor,
// or common tensors that all differ in shape, throw InputError naming --compare.
CompareResult compare_checkpoints(const AnalyzeOptions& opt,
                                  const std::vector<AnalyzeRow>& new_rows, std::ostream& err);

std::string compare_csv(const CompareResult& r);
// The unpaired tensors as "[sih] ..." lines (empty when every tensor is paired).
std::string compare_unpaired_lines(const CompareResult& r);
}  // namespace sih
