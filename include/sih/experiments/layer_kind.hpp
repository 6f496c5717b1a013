#pragma once
// What a tensor is in its model, recognised from its name (and rank) as checkpoints spell it:
// HuggingFace (q_proj, dense_h_to_4h, c_attn, embed_tokens, wte), llama.cpp/GGUF (attn_q,
// ffn_up, token_embd), torchvision/timm (conv, downsample, fc). Shown in `sih analyze`'s
// `kind` column and used by the model views to colour and group layers.
#include <cstdint>
#include <string>
#include <vector>

namespace sih {

// One of: embedding, lm_head, attention_q, attention_k, attention_v, attention_qkv,
// attention_o, mlp, conv, other.
std::string layer_kind(const std::string& name, const std::vector<std::int64_t>& shape);

}  // namespace sih
