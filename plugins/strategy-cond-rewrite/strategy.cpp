// The `cond-rewrite` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <memory>

namespace {

constexpr const char* kDescription =
    "Traces the program and rewrites branches on tensor data into higher_order::cond (ONNX If).";

onnxport::TracePolicy make_policy() {
  onnxport::TracePolicy policy;
  policy.data_dependent = onnxport::DataDependentPolicy::Rewrite;
  policy.report_all_errors = true;  // docs/architecture.md §4: it reports every problem it meets
  return policy;
}

void register_strategy(onnxport::Registrar& registrar) {
  registrar.add_strategy(std::make_unique<onnxport::TracingStrategy>("cond-rewrite", kDescription, make_policy()));
}

}  // namespace

ONNXPORT_PLUGIN("strategy-cond-rewrite", ONNXPORT_SDK_VERSION, kDescription, register_strategy)
