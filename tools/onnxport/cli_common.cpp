#include "cli_common.hpp"

#include <onnxport_core/config.hpp>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

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

namespace {
// 1-based line and column of byte `offset` in `text`.
std::string line_and_column(const std::string& text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}
}  // namespace

nlohmann::json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string(), "", "cannot open the file");
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann reports the byte just past the problem.
    const size_t at = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    if (auto pos = what.find("parse error"); pos != std::string::npos) what = what.substr(pos);
    throw InputError(file.string(), line_and_column(text, at), "malformed JSON: " + what);
  }
}

}  // namespace onnxport::cli
