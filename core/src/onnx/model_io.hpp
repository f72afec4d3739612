// Private helpers of onnx_passes.cpp, exposed for tests.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <onnx/onnx_pb.h>

namespace onnxport::onnx_build {

// Writes `file` through "<file>.tmp.<pid>" in the same folder (created when
// missing): `write` fills the open descriptor and returns false with a
// message on failure; then fsync and rename. On any failure the temp file is
// removed, `file` is left as it was, and std::runtime_error names the file.
void write_file_atomic(const std::filesystem::path& file,
                       const std::function<bool(int fd, std::string& error)>& write);

// Serializes `model` to `fd`, the same bytes as SerializeToZeroCopyStream
// would write with every lent initializer's bytes in its raw_data
// (lent_weights.hpp): those bytes are written straight from where they are,
// by one write(2) each, never copied into the heap. The model is taken apart
// and put back meanwhile (also on failure). False with `error` set when a
// write fails.
//
// `sizes`: Current when ByteSizeLong ran on the model and nothing changed it
// since, so that the plain path (no lent or large initializer) writes from
// the cached sizes instead of walking the whole model once more for them
// (on a long graph each walk is a pass of cache misses: bench/README.md,
// "Start-up and transposes").
enum class CachedSizes { Stale, Current };
bool serialize_model(onnx::ModelProto& model, int fd, std::string& error, CachedSizes sizes = CachedSizes::Stale);

}  // namespace onnxport::onnx_build
