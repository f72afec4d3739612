// Memory-mapped input files, and what happens when one shrinks while the
// export runs. A read of a page past the file's new end raises SIGBUS; the
// handler installed here records which file shrank and maps zero pages over
// the rest of that mapping, so the read returns and the export goes on to
// its next check (mapped_file_problem), which turns the record into an
// ordinary error naming the file: the report is written, the staged output
// files are removed by their owners, nothing is moved to the output path
// (docs/large-models.md, "No partial output"). Nothing computed from those
// zero pages can reach an output: StagedModel::commit and
// write_file_atomic refuse to move a file into place while a mapped file
// has shrunk. Reads by write(2) from a vanished page fail with EFAULT
// instead, which the writers report as an error of their own.
//
// A file truncated inside its last page reads zeros past its new end
// without any signal; mapped_file_problem also compares each file's size
// (fstat of a descriptor kept open) with its mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace onnxport {

// Records that [data, data + size) maps `path`, opened as `fd` (kept open
// for the size check; the first call installs the SIGBUS handler); forget
// it before unmapping. The caller still owns `fd`.
void note_mapping(const void* data, size_t size, const std::string& path, int fd);
void forget_mapping(const void* data);

// Where [data, data + size) lies in a noted mapping's file: the descriptor
// kept open for it and the offset of `data` in the file (mappings start at
// offset 0). nullopt when the range is not inside one noted mapping. Writers
// use it to copy weights file to file in the kernel (byte_writer.hpp); the
// descriptor stays valid until forget_mapping.
struct MappedFileRange {
  int fd = -1;
  uint64_t offset = 0;
};
std::optional<MappedFileRange> mapped_file_range(const void* data, size_t size);

// The path of the first noted mapping whose file shrank since it was
// mapped (a SIGBUS in it, or a size now smaller than the mapping); nullopt
// while every mapped file is intact. A mapping that faulted or shrank stays
// reported after it is forgotten.
std::optional<std::string> mapped_file_problem();
// Drops what is remembered of mappings already unmapped: each export starts
// with it (a process may export again after an export that failed on a
// shrunk file); live mappings are still checked.
void forget_unmapped_file_problems();
// Throws InputError(file, "", why) when mapped_file_problem() has one.
void throw_if_a_mapped_file_shrank();
// "FILE: the file shrank while the export was reading it (...)": the text of
// that error, for a writer that finds it first (byte_writer.hpp).
std::string shrank_file_text(const std::string& file);

// A staged output file or folder the handler removes when it has to end
// the process (files first, then folders, in the order noted); forget it
// once it is moved or removed.
void note_staged_path(const std::string& path, bool is_folder);
void forget_staged_path(const std::string& path);

}  // namespace onnxport
