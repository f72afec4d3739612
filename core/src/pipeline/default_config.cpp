// Where `onnxport` finds config/default.json when no -c is given: the data
// folder of the installation or build tree (base/data_dirs.hpp).
#include <onnxport_core/pipeline.hpp>

#include "base/data_dirs.hpp"

namespace onnxport {

std::optional<std::filesystem::path> default_config_file() {
  for (const auto& dir : onnxport_data_dirs()) {
    const auto file = dir / "config" / "default.json";
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) return file;
  }
  return std::nullopt;
}

}  // namespace onnxport
