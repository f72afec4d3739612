// The `strict` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <exception>
#include <memory>

namespace {

class StrictStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "strict"; }
  std::string_view description() const override {
    return "Traces the program and refuses anything it cannot capture soundly; reports every problem at once.";
  }

  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions& options,
                                  onnxport::HostServices& host) override {
    onnxport::TracePolicy policy;
    policy.strategy = "strict";
    policy.data_dependent = onnxport::DataDependentPolicy::Error;
    policy.refuse_dynamic_dim_guards = true;
    policy.side_effects_are_errors = true;
    policy.report_all_errors = true;
    try {
      return onnxport::trace_program(program, options, policy, host);
    } catch (const std::exception& e) {  // never let an exception out of capture()
      onnxport::CaptureResult failed;
      onnxport::Diagnostic d;
      d.code = "internal-error";
      d.stage = "capture";
      d.plugin = "strict";
      d.message = std::string("strict capture failed: ") + e.what();
      failed.diagnostics.push_back(std::move(d));
      return failed;
    }
  }
};

void register_strategy(onnxport::Registrar& registrar) { registrar.add_strategy(std::make_unique<StrictStrategy>()); }

}  // namespace

ONNXPORT_PLUGIN("strategy-strict", ONNXPORT_SDK_VERSION, "Traces the program and refuses anything it cannot capture soundly; reports every problem at once.", register_strategy)
