// The host's limits on what it reads and allocates (docs/limits.md). Each is
// far above what a real program needs and low enough that a crafted file
// gets a clear error instead of exhausting the stack, the memory or the time.
#pragma once

#include <cstdint>
#include <string>

namespace onnxport::limits {

// Nesting of arrays and objects in any JSON file the host reads (program.json,
// configs, dumped graphs, safetensors headers). Readers and everything after
// them recurse along this nesting, so it bounds their stack depth; it also
// bounds the module tree depth (two levels per module) and the nesting of
// control-flow blocks (four levels per prim::If) of a program.
constexpr int kMaxJsonDepth = 256;

// Size of a JSON or text input file (program.json, config, dumped graph).
constexpr int64_t kMaxTextFileBytes = int64_t{1} << 30;  // 1 GiB

// Bytes of one tensor the host allocates (drawn example inputs, constants,
// intermediate values of the reference kernels). Weights are memory-mapped
// and not counted. ONNXPORT_MAX_TENSOR_BYTES (a byte count) raises it.
constexpr int64_t kDefaultMaxTensorBytes = int64_t{4} << 30;  // 4 GiB
int64_t max_tensor_bytes();

// "4 GiB", "512 MiB", "1000 bytes".
std::string bytes_text(int64_t bytes);

}  // namespace onnxport::limits
