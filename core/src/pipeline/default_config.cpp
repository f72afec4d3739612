// Where `onnxport` finds config/default.json when no -c is given.
#include <onnxport_core/pipeline.hpp>

#include <boost/dll/runtime_symbol_info.hpp>

namespace onnxport {

std::optional<std::filesystem::path> default_config_file() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  boost::dll::fs::error_code ec;
  const auto exe = boost::dll::program_location(ec);
  // Installed: <prefix>/bin/onnxport and <prefix>/share/onnxport/config.
  if (!ec) candidates.push_back(fs::path(exe.string()).parent_path() / ".." / "share" / "onnxport" / "config" / "default.json");
#ifdef ONNXPORT_SOURCE_DIR
  // Build tree: the source tree it was built from.
  candidates.push_back(fs::path(ONNXPORT_SOURCE_DIR) / "config" / "default.json");
#endif
  for (const auto& c : candidates) {
    std::error_code exists_ec;
    if (fs::is_regular_file(c, exists_ec)) return c.lexically_normal();
  }
  return std::nullopt;
}

}  // namespace onnxport
