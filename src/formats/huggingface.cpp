// A HuggingFace model folder: one weights file or shards listed by an index
// (`<weights>.index.json`: {"weight_map": {tensor: shard file}}), safetensors preferred to
// pytorch_model.bin as transformers loads them. Each shard is opened by the reader its content
// calls for; the folder's tensors come in the index's order.
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "file_bytes.hpp"
#include "sih/formats/tensor_file.hpp"

namespace sih {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw InputError(label + ": " + what);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The weights files transformers looks for, in its order of preference.
constexpr const char* kWeightFiles[] = {"model.safetensors", "pytorch_model.bin"};

class HuggingFaceFolder final : public TensorFile {
 public:
  explicit HuggingFaceFolder(const std::string& folder) : folder_(folder) {
    for (const char* name : kWeightFiles) {
      const fs::path index = fs::path(folder) / (std::string(name) + ".index.json");
      if (is_file(index)) {
        open_index(index);
        return;
      }
      if (is_file(fs::path(folder) / name)) {
        open_single(fs::path(folder) / name);
        return;
      }
    }
    fail(folder,
         "a folder without model.safetensors, pytorch_model.bin or their .index.json (not a "
         "HuggingFace model folder)");
  }
  std::string reader() const override { return "huggingface"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(std::size_t i) const override {
    const Where& w = where_.at(i);
    return shards_[w.shard]->load(w.index);
  }

 private:
  struct Where {
    std::size_t shard, index;
  };

  void open_single(const fs::path& file) {
    shards_.push_back(open_tensor_file(file.string()));
    const auto& ts = shards_.back()->tensors();
    for (std::size_t k = 0; k < ts.size(); ++k) {
      infos_.push_back(ts[k]);
      where_.push_back({0, k});
    }
  }

  void open_index(const fs::path& index) {
    const std::string label = index.string();
    nlohmann::ordered_json j;  // ordered: the index's order is the layers' order
    try {
      j = nlohmann::ordered_json::parse(formats_detail::read_file_bytes(label));
    } catch (const nlohmann::json::exception& e) {
      fail(label, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(label, "needs an object \"weight_map\": {tensor name: shard file}");
    // Shards in order of first mention; each opened once and checked against the index.
    std::map<std::string, std::size_t> shard_of_file;
    std::vector<std::map<std::string, std::size_t>> by_name;
    for (const auto& [tensor, shard] : j["weight_map"].items()) {
      if (!shard.is_string()) fail(label, "tensor '" + tensor + "': shard is not a file name");
      const std::string file = shard.get<std::string>();
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
        fail(label, "tensor '" + tensor + "': shard '" + file +
                        "' is not a file name in the folder (sih reads nothing outside it)");
      auto it = shard_of_file.find(file);
      if (it == shard_of_file.end()) {
        const fs::path path = fs::path(folder_) / file;
        if (!is_file(path))
          fail(label,
               "shard '" + file + "' (of tensor '" + tensor + "') is missing from " + folder_);
        shards_.push_back(open_tensor_file(path.string()));
        by_name.emplace_back();
        const auto& ts = shards_.back()->tensors();
        for (std::size_t k = 0; k < ts.size(); ++k) by_name.back()[ts[k].name] = k;
        it = shard_of_file.emplace(file, shards_.size() - 1).first;
      }
      const auto found = by_name[it->second].find(tensor);
      if (found == by_name[it->second].end())
        fail(label, "tensor '" + tensor + "' is not in its shard '" + file + "'");
      infos_.push_back(shards_[it->second]->tensors()[found->second]);
      where_.push_back({it->second, found->second});
      by_name[it->second].erase(found);
    }
    for (const auto& [file, s] : shard_of_file)
      if (!by_name[s].empty())
        fail(label, "shard '" + file + "' holds tensor '" + by_name[s].begin()->first +
                        "' that the index does not list");
  }

  std::string folder_;
  std::vector<std::unique_ptr<TensorFile>> shards_;
  std::vector<TensorInfo> infos_;
  std::vector<Where> where_;
};

}  // namespace

bool is_huggingface_folder(const std::string& path) {
  for (const char* name : kWeightFiles)
    if (is_file(fs::path(path) / name) ||
        is_file(fs::path(path) / (std::string(name) + ".index.json")))
      return true;
  return false;
}

std::unique_ptr<TensorFile> open_huggingface_folder(const std::string& path) {
  return std::make_unique<HuggingFaceFolder>(path);
}

}  // namespace sih
