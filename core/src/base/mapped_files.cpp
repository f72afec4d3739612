#include "base/mapped_files.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

#include <onnxport/diagnostics.hpp>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace onnxport {

namespace {

// Fixed tables, so that the handler reads them without allocating or
// locking. A slot is in use while `begin` (or `used`) is non-zero; its
// text is written before the slot is published.
constexpr int kMaxMappings = 64;
constexpr int kMaxStaged = 8;
constexpr size_t kMaxPath = 4096;

struct MappingSlot {
  std::atomic<uintptr_t> begin{0};
  size_t size = 0;
  int fd = -1;
  std::atomic<bool> faulted{false};  // a SIGBUS hit it: its tail reads zeros now
  char path[kMaxPath] = {};
};

struct StagedSlot {
  std::atomic<bool> used{false};
  bool is_folder = false;
  char path[kMaxPath] = {};
};

MappingSlot mappings[kMaxMappings];
StagedSlot staged[kMaxStaged];
std::mutex table_mutex;  // writers only; the handler never locks
// The file of a mapping that faulted or shrank and was forgotten (unmapped)
// before anyone asked: the export that read it must still fail.
std::string forgotten_fault;
std::once_flag handler_installed;

void copy_path(char (&out)[kMaxPath], const std::string& path) {
  const size_t n = std::min(path.size(), kMaxPath - 1);
  std::memcpy(out, path.data(), n);
  out[n] = '\0';
}

void say(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  static_cast<void>(ignored);
}

constexpr const char* kShrankText =
    "the file shrank while the export was reading it (it is memory-mapped: a weights file must not change "
    "during an export); no model was written";

// Maps zero pages over the mapping from the faulting page to its end, so
// that the faulting read (and every later one) returns. Only mmap(2), which
// is a plain system call; false when it fails.
bool replace_tail_with_zeros(const MappingSlot& m, uintptr_t addr) {
  const long page = ::sysconf(_SC_PAGESIZE);
  if (page <= 0) return false;
  const auto page_size = static_cast<uintptr_t>(page);
  const uintptr_t begin = m.begin.load(std::memory_order_acquire);
  const uintptr_t from = addr & ~(page_size - 1);
  const uintptr_t end = (begin + m.size + page_size - 1) & ~(page_size - 1);
  if (from < (begin & ~(page_size - 1)) || from >= end) return false;
  void* p = ::mmap(reinterpret_cast<void*>(from), end - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return p != MAP_FAILED;
}

void on_sigbus(int sig, siginfo_t* info, void*) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  MappingSlot* hit = nullptr;
  for (MappingSlot& m : mappings) {
    const uintptr_t begin = m.begin.load(std::memory_order_acquire);
    if (begin != 0 && addr >= begin && addr - begin < m.size) hit = &m;
  }
  if (hit == nullptr) {
    // Not one of our mappings: let the default action happen when the
    // faulting access is retried.
    std::signal(sig, SIG_DFL);
    return;
  }
  if (replace_tail_with_zeros(*hit, addr)) {
    hit->faulted.store(true, std::memory_order_release);
    return;  // the read is retried on the zero pages; mapped_file_problem reports it
  }
  // The zero pages could not be mapped: end the process here, as cleanly
  // as a signal handler can (no report: it cannot be written from here).
  say("error: ");
  say(hit->path);
  say(": ");
  say(kShrankText);
  say("\n");
  for (int pass = 0; pass < 2; ++pass)
    for (const StagedSlot& s : staged)
      if (s.used.load(std::memory_order_acquire) && s.is_folder == (pass == 1))
        static_cast<void>(pass == 0 ? ::unlink(s.path) : ::rmdir(s.path));
  ::_exit(2);
}

void install_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
}

}  // namespace

void note_mapping(const void* data, size_t size, const std::string& path, int fd) {
  std::call_once(handler_installed, install_handler);
  std::lock_guard lock(table_mutex);
  for (MappingSlot& m : mappings) {
    if (m.begin.load(std::memory_order_relaxed) != 0) continue;
    m.size = size;
    m.fd = fd;
    m.faulted.store(false);
    copy_path(m.path, path);
    m.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
    return;
  }
  // More live mappings than slots: a fault in the others keeps the default
  // action (the process dies with SIGBUS, the output paths still intact).
}

void forget_mapping(const void* data) {
  std::lock_guard lock(table_mutex);
  for (MappingSlot& m : mappings) {
    if (m.begin.load(std::memory_order_relaxed) != reinterpret_cast<uintptr_t>(data)) continue;
    // Unmapped before anyone asked (the program is freed before the export
    // ends): a file that shrank meanwhile must still fail the export.
    struct stat st {};
    const bool smaller = m.fd >= 0 && ::fstat(m.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < m.size;
    if ((m.faulted.load(std::memory_order_acquire) || smaller) && forgotten_fault.empty()) forgotten_fault = m.path;
    m.begin.store(0);
    m.fd = -1;
  }
}

std::optional<MappedFileRange> mapped_file_range(const void* data, size_t size) {
  const auto begin = reinterpret_cast<uintptr_t>(data);
  std::lock_guard lock(table_mutex);
  for (const MappingSlot& m : mappings) {
    const uintptr_t start = m.begin.load(std::memory_order_acquire);
    if (start == 0 || m.fd < 0 || begin < start) continue;
    const uintptr_t offset = begin - start;
    if (offset > m.size || size > m.size - offset) continue;
    return MappedFileRange{m.fd, static_cast<uint64_t>(offset)};
  }
  return std::nullopt;
}

std::optional<std::string> mapped_file_problem() {
  std::lock_guard lock(table_mutex);
  if (!forgotten_fault.empty()) return forgotten_fault;
  for (const MappingSlot& m : mappings) {
    if (m.begin.load(std::memory_order_acquire) == 0) continue;
    struct stat st {};
    const bool smaller = m.fd >= 0 && ::fstat(m.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < m.size;
    if (m.faulted.load(std::memory_order_acquire) || smaller) return std::string(m.path);
  }
  return std::nullopt;
}

void forget_unmapped_file_problems() {
  std::lock_guard lock(table_mutex);
  forgotten_fault.clear();
}

std::string shrank_file_text(const std::string& file) { return file + ": " + kShrankText; }

void throw_if_a_mapped_file_shrank() {
  if (const auto file = mapped_file_problem()) throw InputError(*file, "", kShrankText);
}

void note_staged_path(const std::string& path, bool is_folder) {
  std::lock_guard lock(table_mutex);
  for (StagedSlot& s : staged) {
    if (s.used.load(std::memory_order_relaxed)) continue;
    s.is_folder = is_folder;
    copy_path(s.path, path);
    s.used.store(true, std::memory_order_release);
    return;
  }
}

void forget_staged_path(const std::string& path) {
  std::lock_guard lock(table_mutex);
  for (StagedSlot& s : staged)
    if (s.used.load(std::memory_order_relaxed) && path == s.path) s.used.store(false);
}

}  // namespace onnxport
