// What every fuzz target shares (docs/fuzzing.md): the oracle and a private
// scratch folder.
//
// The oracle: an InputError (a clear "error: <file>: <place>: ..." for the
// user) is an expected outcome of any input. Any other exception escaping a
// reader is a finding: the target prints it and aborts, so libFuzzer saves
// the input as a crash artifact. Crashes, sanitizer reports, hangs
// (-timeout) and runaway allocations (-rss_limit_mb, -malloc_limit_mb) are
// findings libFuzzer detects by itself.
#pragma once

#include <onnxport/diagnostics.hpp>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

namespace onnxport::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "\n==onnxport-fuzz== FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs `body`; an InputError is fine, anything else escaping is a finding.
template <class Body>
void expect_input_errors_only(const char* stage, Body&& body) {
  try {
    body();
  } catch (const InputError&) {
    // The expected outcome for a bad input.
  } catch (const std::exception& e) {
    finding(std::string(stage) + ": an exception that is not an InputError escaped: " + typeid(e).name() + ": " +
            e.what());
  } catch (...) {
    finding(std::string(stage) + ": an exception of unknown type escaped");
  }
}

// A folder of this process's own (readers open files by path, as the CLI
// does), removed when the process exits normally. In /dev/shm when there is
// one: on ext4 (/tmp on most machines) closing a file that was truncated and
// rewritten starts its writeback, a disk flush per input that took a third
// of the fuzzers' time; tmpfs has none.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ignored;
    const std::filesystem::path shm = "/dev/shm";
    const std::filesystem::path base =
        std::filesystem::is_directory(shm, ignored) && ::access(shm.c_str(), W_OK) == 0
            ? shm
            : std::filesystem::temp_directory_path();
    std::string pattern = (base / "onnxport-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline const ScratchDir& scratch() {
  static const ScratchDir dir;
  return dir;
}

// Replaces `file` with exactly these bytes.
inline void write_file(const std::filesystem::path& file, const uint8_t* data, size_t size) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) finding("cannot write the scratch file " + file.string());
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace onnxport::fuzz
