// A well-formed plugin written exactly as the sdk.hpp example shows: one
// strategy and two translators, exported with ONNXPORT_PLUGIN.
#include <onnxport/sdk.hpp>

#include <stdexcept>

namespace {

// Behaviour chosen by the program's name, so the host tests can exercise
// safe_capture: "throw" throws, "nothing" returns an empty result.
class EchoStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "plugintest-echo"; }
  std::string_view description() const override { return "test strategy"; }
  onnxport::CaptureResult capture(const onnxport::Program& program, const onnxport::CaptureOptions&,
                                  onnxport::HostServices&) override {
    if (program.name == "throw") throw std::runtime_error("boom from the test strategy");
    if (program.name == "throw-int") throw 42;
    onnxport::CaptureResult result;
    if (program.name == "nothing") return result;
    result.graph.emplace();
    result.graph->name = program.name;
    return result;
  }
};

void translate_double(onnxport::TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("Mul", {ctx.input(0), ctx.const_scalar(2.0, onnxport::DType::Float32)}));
}

void translate_reshape_flat(onnxport::TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("Reshape", {ctx.input(0), ctx.const_i64({-1, INT64_MAX})}));
}

void register_all(onnxport::Registrar& r) {
  r.add_strategy(std::make_unique<EchoStrategy>());
  r.add_translator({.op = "plugintest::double", .fn = translate_double, .since_opset = 13, .description = "x + x"});
  r.add_translator({.op = "plugintest::flat", .fn = translate_reshape_flat, .since_opset = 13, .until_opset = 17,
                    .priority = 1, .description = "flatten"});
}

}  // namespace

ONNXPORT_PLUGIN("plugintest-good", "1.2.3", "A good test plugin", register_all)
