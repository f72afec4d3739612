// The `strict` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <memory>

namespace {

constexpr const char* kDescription =
    "Traces the program and refuses anything it cannot capture soundly; reports every problem at once.";

onnxport::TracePolicy make_policy() {
  onnxport::TracePolicy policy;
  policy.data_dependent = onnxport::DataDependentPolicy::Error;
  policy.refuse_dynamic_dim_guards = true;
  policy.side_effects_are_errors = true;
  policy.report_all_errors = true;
  return policy;
}

void register_strategy(onnxport::Registrar& registrar) {
  registrar.add_strategy(std::make_unique<onnxport::TracingStrategy>("strict", kDescription, make_policy()));
}

}  // namespace

ONNXPORT_PLUGIN("strategy-strict", ONNXPORT_SDK_VERSION, kDescription, register_strategy)
