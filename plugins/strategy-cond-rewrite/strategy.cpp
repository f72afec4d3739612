// The `cond-rewrite` strategy: the shared tracing engine with its own policy
// (docs/strategies.md). All the work is in core's trace_program.
#include <onnxport/sdk.hpp>
#include <onnxport/trace.hpp>

#include <exception>
#include <memory>

namespace {

class CondRewriteStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "cond-rewrite"; }
  std::string_view description() const override {
    return "Traces the program and rewrites branches on tensor data into higher_order::cond (ONNX If).";
  }

  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions& options,
                                  onnxport::HostServices& host) override {
    onnxport::TracePolicy policy;
    policy.strategy = "cond-rewrite";
    policy.data_dependent = onnxport::DataDependentPolicy::Rewrite;
    policy.report_all_errors = true;  // DESIGN.md section 4: it reports every problem it meets
    try {
      return onnxport::trace_program(program, options, policy, host);
    } catch (const std::exception& e) {  // never let an exception out of capture()
      onnxport::CaptureResult failed;
      onnxport::Diagnostic d;
      d.code = "internal-error";
      d.stage = "capture";
      d.plugin = "cond-rewrite";
      d.message = std::string("cond-rewrite capture failed: ") + e.what();
      failed.diagnostics.push_back(std::move(d));
      return failed;
    }
  }
};

void register_strategy(onnxport::Registrar& registrar) { registrar.add_strategy(std::make_unique<CondRewriteStrategy>()); }

}  // namespace

ONNXPORT_PLUGIN("strategy-cond-rewrite", ONNXPORT_SDK_VERSION, "Traces the program and rewrites branches on tensor data into higher_order::cond (ONNX If).", register_strategy)
