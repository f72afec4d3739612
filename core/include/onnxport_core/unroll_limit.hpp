// The tracing engine's loop-unrolling budget: a loop with a known trip count
// whose estimated unrolled size (body nodes times trip count, nested loops
// multiplied out) is above it stays higher_order::loop (ONNX Loop). The
// config's "unroll_limit": {"nodes": N} (docs/config.md, docs/limits.md).
//
// The host sets it for the captures of one export with UnrollLimitScope, on
// the thread that runs them (an isolated attempt's child process inherits
// it); the engine reads it with unroll_limit_nodes(). It is a host setting
// rather than a CaptureOptions field so that the plugin ABI's structs keep
// their layout.
#pragma once

#include <cstdint>

namespace onnxport {

inline constexpr int64_t kDefaultUnrollLimitNodes = 5000;

// The budget in force on this thread (kDefaultUnrollLimitNodes outside a scope).
int64_t unroll_limit_nodes();

// Sets the budget on this thread for its lifetime, then restores the previous one.
class UnrollLimitScope {
 public:
  explicit UnrollLimitScope(int64_t nodes);
  ~UnrollLimitScope();
  UnrollLimitScope(const UnrollLimitScope&) = delete;
  UnrollLimitScope& operator=(const UnrollLimitScope&) = delete;

 private:
  int64_t previous_;
};

}  // namespace onnxport
