// The smallest useful plugin: one strategy, one translator, one decomposition.
#include <onnxport/sdk.hpp>

namespace {

class HelloStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "oot-hello"; }
  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions&,
                                  onnxport::HostServices& host) override {
    host.log(onnxport::Severity::Note, "hello from an out-of-tree plugin");
    onnxport::CaptureResult result;
    result.graph.emplace();
    result.graph->name = program.name;
    return result;
  }
};

void translate_hello(onnxport::TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("Identity", {ctx.input(0)}));
}

void decompose_hello(onnxport::DecomposeContext&) {}

void register_all(onnxport::Registrar& r) {
  r.add_strategy(std::make_unique<HelloStrategy>());
  r.add_translator({.op = "oot::hello", .fn = translate_hello, .since_opset = 13, .priority = 2,
                    .description = "hello"});
  r.add_decomposition({.op = "oot::hello_composite", .fn = decompose_hello});
}

}  // namespace

ONNXPORT_PLUGIN("oot-hello", "0.0.1", "Out-of-tree example plugin", register_all)
