// Where onnxport's data files are (the shipped configs, the ONNX Runtime
// runner): <prefix>/share/onnxport when installed, <build>/share/onnxport in
// a build tree, which mirrors the install tree (docs/architecture.md §7).
// Found from where the running executable and libonnxport are, never from a
// path recorded at build time, so an installation can move.
#pragma once

#include <filesystem>
#include <vector>

namespace onnxport {

// Existing candidates, best first: beside the executable (<exe>/../share/onnxport),
// then beside libonnxport (its libdir's relative path to the data dir).
std::vector<std::filesystem::path> onnxport_data_dirs();

}  // namespace onnxport
