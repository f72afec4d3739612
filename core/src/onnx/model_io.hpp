// Private helpers of onnx_passes.cpp, exposed for tests.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace onnxport::onnx_build {

// Writes `file` through "<file>.tmp.<pid>" in the same folder (created when
// missing): `write` fills the open descriptor and returns false with a
// message on failure; then fsync and rename. On any failure the temp file is
// removed, `file` is left as it was, and std::runtime_error names the file.
void write_file_atomic(const std::filesystem::path& file,
                       const std::function<bool(int fd, std::string& error)>& write);

}  // namespace onnxport::onnx_build
