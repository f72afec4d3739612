// onnxport_data_dirs (data_dirs.hpp).
#include "base/data_dirs.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <system_error>

namespace onnxport {

namespace fs = std::filesystem;

std::vector<fs::path> onnxport_data_dirs() {
  std::vector<fs::path> candidates;
  boost::dll::fs::error_code ec;
  const auto exe = boost::dll::program_location(ec);
  if (!ec) candidates.push_back(fs::path(exe.string()).parent_path() / ".." / "share" / "onnxport");
  // This library's own file: executables other than the CLI (tests, tools
  // embedding the host) find the data beside the library they link.
  boost::dll::fs::error_code lib_ec;
  const auto lib = boost::dll::this_line_location(lib_ec);
  if (!lib_ec) {
    const fs::path lib_dir = fs::path(lib.string()).parent_path();
#ifdef ONNXPORT_LIB_TO_DATA_DIR
    candidates.push_back(lib_dir / ONNXPORT_LIB_TO_DATA_DIR);  // libdir may be lib/x86_64-linux-gnu
#endif
    candidates.push_back(lib_dir / ".." / "share" / "onnxport");  // the build tree's lib/
  }
  std::vector<fs::path> found;
  for (const fs::path& c : candidates) {
    std::error_code dir_ec;
    if (!fs::is_directory(c, dir_ec)) continue;
    fs::path normal = fs::weakly_canonical(c, dir_ec);
    if (dir_ec) normal = c.lexically_normal();
    if (std::find(found.begin(), found.end(), normal) == found.end()) found.push_back(normal);
  }
  return found;
}

}  // namespace onnxport
