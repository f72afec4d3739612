// What broadcasting assumed about symbolic dims (docs/strategies.md, "Guards").
// broadcast_shapes() gives `batch` vs a static 4 the size 4: that only holds
// when batch is 4 (or 1), a guard on the symbol. The tracing engine opens a
// collector around each meta function and turns what it collected into
// guards, which strict and non-strict refuse on a declared dynamic dim.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace onnxport {

struct BroadcastAssumption {
  std::string dim;    // the symbolic dim's expression ("batch", "(batch*2)")
  int64_t size = 0;   // the static size it was broadcast against (never 1)
};

// While alive, collects on this thread every assumption broadcast_shapes()
// makes (collectors nest; the innermost one collects).
class BroadcastAssumptions {
 public:
  BroadcastAssumptions();
  ~BroadcastAssumptions();
  BroadcastAssumptions(const BroadcastAssumptions&) = delete;
  BroadcastAssumptions& operator=(const BroadcastAssumptions&) = delete;

  std::vector<BroadcastAssumption> taken;

 private:
  BroadcastAssumptions* previous_;
};

// Called by broadcast_shapes(); a no-op without a collector.
void note_broadcast_assumption(const std::string& dim, int64_t size);

}  // namespace onnxport
