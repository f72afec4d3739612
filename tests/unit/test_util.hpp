// Helpers shared by the unit tests: a scratch folder per test and the repo root.
#pragma once

#include <onnxport/diagnostics.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace onnxport::test {

inline std::filesystem::path repo_root() { return ONNXPORT_REPO_ROOT; }
inline std::filesystem::path example(const std::string& name) { return repo_root() / "examples" / name; }

// A fresh directory under the system temp dir, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("onnxport-unit-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

  // Copies a bundle (or any folder) into the scratch dir; returns the copy.
  std::filesystem::path copy_of(const std::filesystem::path& src, const std::string& name = "bundle") const {
    const auto dst = path_ / name;
    std::filesystem::copy(src, dst, std::filesystem::copy_options::recursive);
    return dst;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Runs `f`, expects an InputError, and returns it for further checks.
template <class F>
InputError expect_input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an InputError";
  return InputError("", "", "");
}

}  // namespace onnxport::test
