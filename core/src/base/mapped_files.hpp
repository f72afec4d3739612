// Memory-mapped input files, and what happens when one shrinks while the
// export runs: a read of a page past the file's new end raises SIGBUS. The
// handler installed here turns that into an error naming the file, removes
// the staged output files (the files at the output paths were never
// touched: docs/large-models.md, "No partial output") and exits with 2 (bad
// input). Reads by write(2) from such a page fail with EFAULT instead,
// which the writers report as an error of their own.
#pragma once

#include <cstddef>
#include <string>

namespace onnxport {

// Records that [data, data + size) maps `path` (the first call installs the
// SIGBUS handler); forget it before unmapping.
void note_mapping(const void* data, size_t size, const std::string& path);
void forget_mapping(const void* data);

// A staged output file or folder the handler removes (files first, then
// folders, in the order noted); forget it once it is moved or removed.
void note_staged_path(const std::string& path, bool is_folder);
void forget_staged_path(const std::string& path);

}  // namespace onnxport
