#include "base/mapped_files.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

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

void on_sigbus(int sig, siginfo_t* info, void*) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  const MappingSlot* hit = nullptr;
  for (const MappingSlot& m : mappings) {
    const uintptr_t begin = m.begin.load(std::memory_order_acquire);
    if (begin != 0 && addr >= begin && addr - begin < m.size) hit = &m;
  }
  if (hit == nullptr) {
    // Not one of our mappings: let the default action happen when the
    // faulting access is retried.
    std::signal(sig, SIG_DFL);
    return;
  }
  say("error: ");
  say(hit->path);
  say(": the file shrank while the export was reading it (it is memory-mapped: a weights file must not change "
      "during an export); no model was written\n");
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

void note_mapping(const void* data, size_t size, const std::string& path) {
  std::call_once(handler_installed, install_handler);
  std::lock_guard lock(table_mutex);
  for (MappingSlot& m : mappings) {
    if (m.begin.load(std::memory_order_relaxed) != 0) continue;
    m.size = size;
    copy_path(m.path, path);
    m.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
    return;
  }
  // More live mappings than slots: a fault in the others keeps the default
  // action (the process dies with SIGBUS, the output paths still intact).
}

void forget_mapping(const void* data) {
  std::lock_guard lock(table_mutex);
  for (MappingSlot& m : mappings)
    if (m.begin.load(std::memory_order_relaxed) == reinterpret_cast<uintptr_t>(data)) m.begin.store(0);
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
