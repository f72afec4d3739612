#include "base/limits.hpp"

#include <cerrno>
#include <cstdlib>

namespace onnxport::limits {

int64_t max_tensor_bytes() {
  // Read once: the limit is a property of the run, not of each allocation.
  static const int64_t value = [] {
    const char* env = std::getenv("ONNXPORT_MAX_TENSOR_BYTES");
    if (env == nullptr || *env == '\0') return kDefaultMaxTensorBytes;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(env, &end, 10);
    // An unreadable value keeps the default rather than disabling the limit.
    if (errno != 0 || end == env || *end != '\0' || v <= 0) return kDefaultMaxTensorBytes;
    return static_cast<int64_t>(v);
  }();
  return value;
}

std::string bytes_text(int64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024 || bytes % 1024 != 0) return std::to_string(bytes) + " bytes";
  int unit = -1;
  while (bytes % 1024 == 0 && bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + " " + kUnits[unit];
}

}  // namespace onnxport::limits
