// The `draft` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <memory>

namespace {

constexpr const char* kDescription =
    "Evaluates the program on example (or seeded random) inputs and specializes data-dependent branches, with runtime assertions; the graph is not sound.";

onnxport::TracePolicy make_policy() {
  onnxport::TracePolicy policy;
  policy.data_dependent = onnxport::DataDependentPolicy::Specialize;
  policy.evaluate_concretely = true;
  policy.report_all_errors = true;  // docs/architecture.md §4: it reports every problem it meets
  return policy;
}

void register_strategy(onnxport::Registrar& registrar) {
  registrar.add_strategy(std::make_unique<onnxport::TracingStrategy>("draft", kDescription, make_policy()));
}

}  // namespace

ONNXPORT_PLUGIN("strategy-draft", ONNXPORT_SDK_VERSION, kDescription, register_strategy)
