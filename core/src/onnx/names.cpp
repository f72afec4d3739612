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

int64_t NameTable::fresh_number(std::string_view name) {
  constexpr std::string_view kPrefix = "val_";
  if (name.size() <= kPrefix.size() || name.substr(0, kPrefix.size()) != kPrefix) return -1;
  const std::string_view digits = name.substr(kPrefix.size());
  if (digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return -1;  // 18 digits fit int64
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool NameTable::claim(const std::string& name) {
  const int64_t n = fresh_number(name);
  if (n < 0) return taken_.insert(name);
  if (n < fresh_counter_) return false;  // fresh() gave it out, or skipped it as taken
  if (!taken_.insert(name)) return false;
  claimed_fresh_form_.insert(n);
  return true;
}

bool NameTable::taken(const std::string& name) const {
  const int64_t n = fresh_number(name);
  if (n >= 0 && n < fresh_counter_) return true;
  return taken_.contains(name);
}

std::string NameTable::fresh() {
  int64_t n = fresh_counter_++;
  while (!claimed_fresh_form_.empty() && claimed_fresh_form_.count(n) != 0) n = fresh_counter_++;
  return "val_" + std::to_string(n);
}

std::string NameTable::unique(const std::string& base) {
  if (claim(base)) return base;
  return unique_from_counter(base, next_suffix_[base]);
}

std::string NameTable::unique_from_counter(const std::string& base, int& counter) {
  if (counter < 1) counter = 1;
  std::string candidate;
  do {
    candidate = base + "_" + std::to_string(counter++);
  } while (!claim(candidate));
  return candidate;
}

}  // namespace onnxport::onnx_build
