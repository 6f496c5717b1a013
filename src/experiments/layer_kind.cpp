#include "sih/experiments/layer_kind.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace sih {

namespace {

struct KindPattern {
  const char* kind;
  const char* pattern;  // ECMAScript, searched in the lower-cased name
};

// First match wins: the fused qkv before q; the attention's output projection before the MLP
// (BERT's attention.output.dense before its MLP's output.dense).
const KindPattern kPatterns[] = {
    {"embedding",
     R"((^|\.)(embed_tokens|embeddings?|word_embeddings|position_embeddings|tok_embeddings|token_embd|wte|wpe|embed_in|shared)(\.|$))"},
    {"lm_head", R"((^|\.)(lm_head|embed_out|output)\.weight$)"},
    {"attention_qkv", R"((^|\.)(qkv_proj|c_attn|query_key_value|wqkv|attn_qkv|qkv)(\.|$))"},
    {"attention_q", R"((^|\.)(q_proj|query|wq|attn_q|q_lin|q)(\.|$))"},
    {"attention_k", R"((^|\.)(k_proj|key|wk|attn_k|k_lin|k)(\.|$))"},
    {"attention_v", R"((^|\.)(v_proj|value|wv|attn_v|v_lin|v)(\.|$))"},
    {"attention_o",
     R"((^|\.)(o_proj|out_proj|wo|attn_output|attention\.output\.dense|attn\.c_proj|out_lin|self_attention\.dense)(\.|$))"},
    {"mlp",
     R"((^|\.)(mlp|ffn|feed_forward|gate_proj|up_proj|down_proj|w1|w2|w3|fc1|fc2|c_fc|dense_h_to_4h|dense_4h_to_h|intermediate|ffn_up|ffn_down|ffn_gate|lin1|lin2|output\.dense)(\.|$))"},
};

}  // namespace

std::string layer_kind(const std::string& name, const std::vector<std::int64_t>& shape) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::vector<std::pair<std::string, std::regex>> compiled = [] {
    std::vector<std::pair<std::string, std::regex>> v;
    for (const auto& p : kPatterns) v.emplace_back(p.kind, std::regex(p.pattern));
    return v;
  }();
  for (const auto& [kind, re] : compiled)
    if (std::regex_search(lower, re)) return kind;
  // Patterns match whole dot-separated parts of the name (shared_expert is not "shared").
  // A convolution is known by its rank whatever its name (out, in, kh, kw).
  if (shape.size() == 3 || shape.size() == 4 || shape.size() == 5) return "conv";
  return "other";
}

}  // namespace sih
