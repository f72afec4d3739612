// The `non-strict` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <memory>

namespace {

constexpr const char* kDescription =
    "Traces the program; specializes shape branches with guards, drops side effects, fails on the first branch on tensor data.";

onnxport::TracePolicy make_policy() {
  onnxport::TracePolicy policy;
  policy.data_dependent = onnxport::DataDependentPolicy::Error;
  return policy;
}

void register_strategy(onnxport::Registrar& registrar) {
  registrar.add_strategy(std::make_unique<onnxport::TracingStrategy>("non-strict", kDescription, make_policy()));
}

}  // namespace

ONNXPORT_PLUGIN("strategy-non-strict", ONNXPORT_SDK_VERSION, kDescription, register_strategy)
