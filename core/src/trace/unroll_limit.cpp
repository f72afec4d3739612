// The loop-unrolling budget of the tracing engine (onnxport_core/unroll_limit.hpp).
#include <onnxport_core/unroll_limit.hpp>

namespace onnxport {

namespace {
thread_local int64_t current_unroll_limit = kDefaultUnrollLimitNodes;
}  // namespace

int64_t unroll_limit_nodes() { return current_unroll_limit; }

UnrollLimitScope::UnrollLimitScope(int64_t nodes) : previous_(current_unroll_limit) { current_unroll_limit = nodes; }

UnrollLimitScope::~UnrollLimitScope() { current_unroll_limit = previous_; }

}  // namespace onnxport
