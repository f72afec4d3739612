// The `non-strict` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <memory>

namespace {

constexpr const char* kDescription =
    "Traces the program; refuses to pin a declared dynamic dim, drops side effects, fails on the first branch on "
    "tensor data.";

// torch.export's non-strict mode: Python side effects are dropped, but a guard
// on a declared dynamic dim is a constraint violation as in strict mode, never
// a silent specialization (that is draft's job; docs/strategies.md).
onnxport::TracePolicy make_policy() {
  onnxport::TracePolicy policy;
  policy.data_dependent = onnxport::DataDependentPolicy::Error;
  policy.refuse_dynamic_dim_guards = true;
  return policy;
}

void register_strategy(onnxport::Registrar& registrar) {
  registrar.add_strategy(std::make_unique<onnxport::TracingStrategy>("non-strict", kDescription, make_policy()));
}

}  // namespace

ONNXPORT_PLUGIN("strategy-non-strict", ONNXPORT_SDK_VERSION, kDescription, register_strategy)
