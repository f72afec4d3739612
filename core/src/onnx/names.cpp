#include "names.hpp"

namespace onnxport::onnx_build {

std::string onnx_safe_name(const std::string& name) {
  if (name.empty()) return "v";
  std::string out = name;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' || c == ',' ||
        c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '=')
      c = '_';
  }
  return out;
}

std::string NameTable::unique(const std::string& base) {
  if (taken_.insert(base)) return base;
  return unique_from_counter(base, next_suffix_[base]);
}

std::string NameTable::unique_from_counter(const std::string& base, int& counter) {
  if (counter < 1 && &counter != &fresh_counter_) counter = 1;
  std::string candidate;
  do {
    candidate = base + "_" + std::to_string(counter++);
  } while (!taken_.insert(candidate));
  return candidate;
}

}  // namespace onnxport::onnx_build
