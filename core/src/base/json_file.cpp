#include "base/json_file.hpp"

#include <onnxport/diagnostics.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace onnxport {

std::string read_text_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw InputError(file.string(), "", "is a directory, expected a file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string(), "", std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw InputError(file.string(), "", "read error");
  return std::move(buf).str();
}

std::pair<size_t, size_t> line_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, offset - line_start + 1};
}

namespace {

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3,
// column 1: syntax error while parsing ..."; keep only the part after the
// position, which we report ourselves.
std::string parse_error_reason(const std::string& what) {
  const auto colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& file) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the position of the character that broke the parse.
    const size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    const auto [line, col] = line_column(text, offset);
    std::string reason = parse_error_reason(e.what());
    // The parser gave up on the last byte: the text simply stops.
    if (e.byte >= text.size()) reason += " (the file looks truncated)";
    throw InputError(file.string(), "line " + std::to_string(line) + ", column " + std::to_string(col),
                     "malformed JSON: " + reason);
  }
}

nlohmann::json read_json_file(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  return parse_json_text(text, file);
}

}  // namespace onnxport
