// Reading a JSON input file the way every reader of the host does: regular
// files only, within the size and nesting limits (docs/limits.md), and every
// problem an InputError naming the file and the line and column.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace onnxport {

nlohmann::json read_json_file(const std::filesystem::path& file);

}  // namespace onnxport
