#pragma once
// A file mapped read-only into memory, unmapped when the object goes: readers take tensors
// from it without reading the whole file (larger-than-memory checkpoints).
#include <cstddef>
#include <string>

namespace sih {

class MappedFile {
 public:
  // ok() is false when the file cannot be opened or mapped, or is empty.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  bool ok() const { return data_ != nullptr; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace sih
