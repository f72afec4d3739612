// Unique, ONNX-safe value names for one model. ONNX requires every name to be
// assigned once across the main graph and all of its subgraphs (SSA over
// nested scopes), so one table serves the whole model.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace onnxport::onnx_build {

// Replaces characters that make a name awkward in ONNX text and tools
// (whitespace, quotes, control characters) by '_'; keeps dots ("mlp.0.weight").
std::string onnx_safe_name(const std::string& name);

class NameTable {
 public:
  // `base` when it is free, else "base_1", "base_2", ... (amortized O(1):
  // the next suffix to try is remembered per base).
  std::string unique(const std::string& base);
  // "val_0", "val_1", ... skipping names already taken.
  std::string fresh() { return unique_from_counter("val", fresh_counter_); }
  bool taken(const std::string& name) const { return taken_.count(name) != 0; }

 private:
  std::string unique_from_counter(const std::string& base, int& counter);

  std::unordered_set<std::string> taken_;
  std::unordered_map<std::string, int> next_suffix_;
  int fresh_counter_ = 0;
};

}  // namespace onnxport::onnx_build
