// (c) A small strategy: `node-budget` refuses programs larger than a fixed
// number of TorchScript nodes (a stand-in for any policy: a size limit, an
// allow-list of ops, ...), with a diagnostic that says why and what to do;
// the host then falls back to the next strategy of the config. Programs
// within budget are traced by the shared engine under strict's policy.
#include "plugin_template.hpp"

#include <onnxport/strategy.hpp>
#include <onnxport/trace.hpp>

#include <exception>
#include <memory>
#include <string>

namespace plugin_template {
namespace {

// [doc:strategy]
constexpr size_t kMaxNodes = 12;

class NodeBudgetStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "node-budget"; }
  std::string_view description() const override {
    return "Strict tracing of programs with at most 12 TorchScript nodes; refuses larger ones.";
  }

  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions& options,
                                  onnxport::HostServices& host) override {
    size_t nodes = 0;
    program.for_each_node([&](const onnxport::ProgramNode&) { ++nodes; });
    if (nodes > kMaxNodes) return refuse(program, nodes);
    host.log(onnxport::Severity::Note, "node-budget: " + std::to_string(nodes) + " of " +
                                           std::to_string(kMaxNodes) + " nodes, tracing strictly");
    onnxport::TracePolicy policy;
    policy.strategy = "node-budget";
    policy.report_all_errors = true;
    try {
      return onnxport::trace_program(program, options, policy, host);
    } catch (const std::exception& e) {  // capture() must not throw
      return refuse_with("internal-error", std::string("tracing failed: ") + e.what(), "");
    }
  }

 private:
  static onnxport::CaptureResult refuse(const onnxport::Program& program, size_t nodes) {
    return refuse_with("over-node-budget",
                       "program `" + program.name + "` has " + std::to_string(nodes) +
                           " TorchScript nodes, over node-budget's limit of " + std::to_string(kMaxNodes),
                       "the next strategy of the config handles it; remove node-budget to skip this check");
  }

  static onnxport::CaptureResult refuse_with(std::string code, std::string message, std::string hint) {
    onnxport::Diagnostic d;
    d.code = std::move(code);
    d.stage = "capture";
    d.plugin = "node-budget";
    d.message = std::move(message);
    d.hint = std::move(hint);
    onnxport::CaptureResult failed;
    failed.diagnostics.push_back(std::move(d));
    return failed;
  }
};
// [doc:end]

}  // namespace

// [doc:register-strategy]
void register_node_budget(onnxport::Registrar& r) { r.add_strategy(std::make_unique<NodeBudgetStrategy>()); }
// [doc:end]

}  // namespace plugin_template
