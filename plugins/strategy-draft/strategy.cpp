// The `draft` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <exception>
#include <memory>

namespace {

class DraftStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "draft"; }
  std::string_view description() const override {
    return "Evaluates the program on example (or seeded random) inputs and specializes data-dependent branches, with runtime assertions; the graph is not sound.";
  }

  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions& options,
                                  onnxport::HostServices& host) override {
    onnxport::TracePolicy policy;
    policy.strategy = "draft";
    policy.data_dependent = onnxport::DataDependentPolicy::Specialize;
    policy.evaluate_concretely = true;
    policy.report_all_errors = true;  // DESIGN.md section 4: it reports every problem it meets
    try {
      return onnxport::trace_program(program, options, policy, host);
    } catch (const std::exception& e) {  // never let an exception out of capture()
      onnxport::CaptureResult failed;
      onnxport::Diagnostic d;
      d.code = "internal-error";
      d.stage = "capture";
      d.plugin = "draft";
      d.message = std::string("draft capture failed: ") + e.what();
      failed.diagnostics.push_back(std::move(d));
      return failed;
    }
  }
};

void register_strategy(onnxport::Registrar& registrar) { registrar.add_strategy(std::make_unique<DraftStrategy>()); }

}  // namespace

ONNXPORT_PLUGIN("strategy-draft", ONNXPORT_SDK_VERSION, "Evaluates the program on example (or seeded random) inputs and specializes data-dependent branches, with runtime assertions; the graph is not sound.", register_strategy)
