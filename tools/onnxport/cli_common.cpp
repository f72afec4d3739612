#include "cli_common.hpp"

#include <onnxport_core/config.hpp>

#include <cerrno>
#include <cstdlib>
#include <iostream>

namespace onnxport::cli {

std::filesystem::path resolve_config(const std::string& given) {
  if (!given.empty()) return given;
  if (auto found = default_config_file()) return *found;
  throw InputError("<config>", "", "no config given and no default config found: pass -c CONFIG (e.g. config/default.json)");
}

std::string check_opset(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || errno != 0) return "--opset takes an integer, got '" + text + "'";
  const int opset = value < 0 ? -1 : value > 1000 ? 1000 : static_cast<int>(value);
  if (std::string why = unsupported_opset_reason(opset); !why.empty()) return why;
  return {};
}

void print_error(const std::string& message) { std::cerr << "error: " << message << std::endl; }

}  // namespace onnxport::cli
