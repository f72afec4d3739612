// The `non-strict` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <exception>
#include <memory>

namespace {

class NonStrictStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "non-strict"; }
  std::string_view description() const override {
    return "Traces the program; specializes shape branches with guards, drops side effects, fails on the first branch on tensor data.";
  }

  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions& options,
                                  onnxport::HostServices& host) override {
    onnxport::TracePolicy policy;
    policy.strategy = "non-strict";
    policy.data_dependent = onnxport::DataDependentPolicy::Error;
    try {
      return onnxport::trace_program(program, options, policy, host);
    } catch (const std::exception& e) {  // never let an exception out of capture()
      onnxport::CaptureResult failed;
      onnxport::Diagnostic d;
      d.code = "internal-error";
      d.stage = "capture";
      d.plugin = "non-strict";
      d.message = std::string("non-strict capture failed: ") + e.what();
      failed.diagnostics.push_back(std::move(d));
      return failed;
    }
  }
};

void register_strategy(onnxport::Registrar& registrar) { registrar.add_strategy(std::make_unique<NonStrictStrategy>()); }

}  // namespace

ONNXPORT_PLUGIN("strategy-non-strict", ONNXPORT_SDK_VERSION, "Traces the program; specializes shape branches with guards, drops side effects, fails on the first branch on tensor data.", register_strategy)
