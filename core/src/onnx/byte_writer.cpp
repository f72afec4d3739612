// byte_writer.hpp: the kernel copies mapped weights file to file; the rest is
// written from memory.
#include "byte_writer.hpp"

#include "base/mapped_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

namespace onnxport::onnx_build {

namespace {

// The weights file behind the bytes ended before them: it was truncated
// while the export ran. The file is named when the size check finds it (it
// does, unless the file grew back meanwhile).
std::string shrank_error() {
  if (const auto file = mapped_file_problem()) return shrank_file_text(*file);
  return "its memory-mapped weights file shrank while the output was written; a weights file must not change during "
         "an export";
}

// Linux moves at most 0x7ffff000 bytes per call; ask for 1 GiB at a time.
constexpr size_t kMaxPerCall = size_t{1} << 30;
// The buffer for mapped bytes the kernel cannot copy: large enough that the
// system calls do not matter, small enough to stay in the cache.
constexpr size_t kBounceBytes = size_t{256} << 10;

bool write_all(int fd, const char* data, size_t size, std::string& error) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, std::min(size, kMaxPerCall));
    if (n < 0) {
      if (errno == EINTR) continue;
      // EFAULT: a page of a mapped file that vanished (the file shrank).
      error = errno == EFAULT ? shrank_error() : std::strerror(errno);
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The errors copy_file_range(2) gives when it cannot copy between these two
// files at all: the caller writes the bytes itself instead.
bool kernel_cannot_copy(int err) {
  return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == EBADF || err == EPERM ||
         err == ETXTBSY;
}

enum class Copied { All, Unsupported, Failed };

// Copies `size` bytes of `in_fd` from `offset` to `out_fd`'s position; on
// Unsupported, `done` bytes were copied (the rest is the caller's).
Copied copy_in_kernel(int out_fd, int in_fd, uint64_t offset, size_t size, size_t& done, std::string& error) {
  done = 0;
  auto in_offset = static_cast<off64_t>(offset);
  while (done < size) {
    const ssize_t n = ::copy_file_range(in_fd, &in_offset, out_fd, nullptr, std::min(size - done, kMaxPerCall), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (kernel_cannot_copy(errno)) return Copied::Unsupported;
      error = std::strerror(errno);
      return Copied::Failed;
    }
    if (n == 0) {  // the file ends before the tensor does: it was truncated
      error = shrank_error();
      return Copied::Failed;
    }
    done += static_cast<size_t>(n);
  }
  return Copied::All;
}

// Mapped bytes through a small buffer: one page fault per page outside the
// write, instead of inside it (see the header).
bool write_through_buffer(int fd, std::string_view bytes, std::string& error) {
  const std::unique_ptr<char[]> buffer(new char[kBounceBytes]);
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kBounceBytes);
    std::memcpy(buffer.get(), bytes.data(), n);
    if (!write_all(fd, buffer.get(), n, error)) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

}  // namespace

bool append_bytes(int fd, std::string_view bytes, std::string& error) {
  if (bytes.empty()) return true;
  const auto mapped = mapped_file_range(bytes.data(), bytes.size());
  if (!mapped) return write_all(fd, bytes.data(), bytes.size(), error);
  size_t done = 0;
  switch (copy_in_kernel(fd, mapped->fd, mapped->offset, bytes.size(), done, error)) {
    case Copied::All:
      return true;
    case Copied::Failed:
      return false;
    case Copied::Unsupported:
      break;
  }
  return write_through_buffer(fd, bytes.substr(done), error);
}

}  // namespace onnxport::onnx_build
