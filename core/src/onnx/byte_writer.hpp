// Appending tensor bytes to an output file (the model, or its external data
// file) at the descriptor's position.
//
// Bytes that lie in a memory-mapped weights file (mapped_files.hpp) are
// copied file to file by the kernel with copy_file_range(2), as cp does:
// a write(2) straight from the mapping faults the mapping's pages in inside
// the call and measured 2-5x slower than cp on a 3 GB weights file
// (bench/README.md, "Writing weights like cp"). Where the kernel cannot copy
// between the two files (another file system on older kernels, a file
// system without support) the bytes go through a small buffer instead.
// Bytes in ordinary memory (a transposed piece, a folded constant) are
// written directly.
#pragma once

#include <string>
#include <string_view>

namespace onnxport::onnx_build {

// Appends all of `bytes` to `fd`. False with `error` set when it fails:
// errno's text, or for mapped bytes whose file ended before them (it was
// truncated during the export) the message that names the weights file and
// says it shrank (mapped_files.hpp's, as every other place that finds it).
bool append_bytes(int fd, std::string_view bytes, std::string& error);

}  // namespace onnxport::onnx_build
