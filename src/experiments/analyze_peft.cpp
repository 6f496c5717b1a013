#include "sih/experiments/analyze_peft.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "sih/base/text.hpp"
#include "sih/base/types.hpp"

namespace sih {

namespace fs = std::filesystem;

namespace {

// "base_model.model.X.lora_A.weight" or "...lora_A.default.weight" -> X, and which factor.
bool lora_key(const std::string& key, std::string& module, char& factor) {
  for (const char f : {'A', 'B'}) {
    for (const std::string& tail :
         {std::string(".lora_") + f + ".weight", std::string(".lora_") + f + ".default.weight"}) {
      if (key.size() > tail.size() &&
          key.compare(key.size() - tail.size(), tail.size(), tail) == 0) {
        module = key.substr(0, key.size() - tail.size());
        const std::string prefix = "base_model.model.";
        if (module.rfind(prefix, 0) == 0) module = module.substr(prefix.size());
        factor = f;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool is_peft_adapter(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) &&
         fs::is_regular_file(fs::path(path) / "adapter_config.json", ec) &&
         fs::is_regular_file(fs::path(path) / "adapter_model.safetensors", ec);
}

PeftAdapter open_peft_adapter(const std::string& path) {
  PeftAdapter a;
  a.path = path;
  const std::string config = (fs::path(path) / "adapter_config.json").string();
  nlohmann::json j;
  try {
    std::ifstream in(config);
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw InputError(config + ": not JSON (" + e.what() + ")");
  }
  if (j.value("peft_type", std::string("LORA")) != "LORA")
    throw InputError(config + ": peft_type " + j.value("peft_type", std::string()) +
                     ": only LORA adapters are read");
  if (!j.contains("lora_alpha") || !j["lora_alpha"].is_number())
    throw InputError(config + ": no numeric lora_alpha");
  a.lora_alpha = j["lora_alpha"].get<double>();
  a.use_rslora = j.value("use_rslora", false);
  a.fan_in_fan_out = j.value("fan_in_fan_out", false);
  if (j.contains("alpha_pattern") && j["alpha_pattern"].is_object() && !j["alpha_pattern"].empty())
    throw InputError(config + ": alpha_pattern (per-module lora_alpha) is not supported yet");
  const std::string weights = (fs::path(path) / "adapter_model.safetensors").string();
  a.file = open_tensor_file(weights);
  std::map<std::string, std::pair<long, long>> at;  // module -> (A, B) indices
  std::vector<std::string> order;
  const auto& infos = a.file->tensors();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    std::string module;
    char f = 0;
    if (!lora_key(infos[i].name, module, f)) continue;
    auto [it, fresh] = at.emplace(module, std::make_pair(-1L, -1L));
    if (fresh) order.push_back(module);
    (f == 'A' ? it->second.first : it->second.second) = static_cast<long>(i);
  }
  for (const auto& m : order) {
    const auto [ia, ib] = at[m];
    if (ia < 0 || ib < 0)
      throw InputError(weights + ": " + m + ": lora_" + (ia < 0 ? "A" : "B") +
                       " missing (an adapter holds both factors of each layer)");
    const auto& sa = infos[static_cast<std::size_t>(ia)].shape;
    const auto& sb = infos[static_cast<std::size_t>(ib)].shape;
    if (sa.size() != 2 || sb.size() != 2 || sb[1] != sa[0])
      throw InputError(weights + ": " + m + ": lora_B " + shape_text(sb) + " times lora_A " +
                       shape_text(sa) + " is not a product (conv LoRA is not supported yet)");
    a.pairs.push_back(
        {m, m + ".weight", static_cast<std::size_t>(ia), static_cast<std::size_t>(ib)});
  }
  if (a.pairs.empty()) throw InputError(weights + ": no lora_A/lora_B tensors");
  return a;
}

Tensor peft_delta(const PeftAdapter& adapter, const PeftPair& pair) {
  const Tensor ta = adapter.file->load(pair.a), tb = adapter.file->load(pair.b);
  const Eigen::Index r = ta.shape[0], in = ta.shape[1], out = tb.shape[0];
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> A(ta.data.data(), r, in), B(tb.data.data(), out, r);
  const double scale = adapter.lora_alpha / (adapter.use_rslora ? std::sqrt(static_cast<double>(r))
                                                                : static_cast<double>(r));
  Tensor d;
  d.dtype = "float64";
  RowMat m = scale * (B * A);
  if (adapter.fan_in_fan_out) m.transposeInPlace();
  d.shape = {m.rows(), m.cols()};
  d.data.assign(m.data(), m.data() + m.size());
  return d;
}

}  // namespace sih
