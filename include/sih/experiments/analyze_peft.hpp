#pragma once
// A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) as the NEW side
// of `sih analyze ADAPTER --compare BASE`: each layer's update is the product
// W - W0 = scale B A (docs/OUTPUT.md, "compare.csv").
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "sih/formats/tensor_file.hpp"

namespace sih {

struct PeftPair {
  std::string module;        // e.g. model.layers.0.self_attn.q_proj
  std::string base_name;     // the base model's tensor: module + ".weight"
  std::size_t a = 0, b = 0;  // lora_A (r x in) and lora_B (out x r) in the adapter file
};

struct PeftAdapter {
  std::string path;
  std::shared_ptr<const TensorFile> file;
  double lora_alpha = 0;
  bool use_rslora = false;      // scale alpha / sqrt(r) instead of alpha / r
  bool fan_in_fan_out = false;  // the base stores (in, out) (GPT-2's Conv1D): update transposed
  std::vector<PeftPair> pairs;  // in the file's order
};

// A folder holding adapter_config.json and adapter_model.safetensors.
bool is_peft_adapter(const std::string& path);
// Reads the config and pairs lora_A/lora_B tensors; InputError naming the file otherwise.
PeftAdapter open_peft_adapter(const std::string& path);
// scale B A as a (out, in) tensor ((in, out) with fan_in_fan_out), float64; scale = lora_alpha
// / r (or / sqrt(r) with use_rslora), r = the rows of this pair's A (so rank_pattern holds).
Tensor peft_delta(const PeftAdapter& adapter, const PeftPair& pair);

}  // namespace sih
