// Registers the same strategy name and the same translator rank as the good
// plugin: the host keeps the first strategy and the registry reports a conflict.
#include <onnxport/sdk.hpp>

namespace {

class TwinStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "plugintest-echo"; }
  onnxport::CaptureResult capture(const onnxport::Program&, const onnxport::CaptureOptions&,
                                  onnxport::HostServices&) override {
    return {};
  }
};

class OwnStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "plugintest-twin-only"; }
  onnxport::CaptureResult capture(const onnxport::Program&, const onnxport::CaptureOptions&,
                                  onnxport::HostServices&) override {
    return {};
  }
};

void translate_double(onnxport::TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("Add", {ctx.input(0), ctx.input(0)}));
}

void register_all(onnxport::Registrar& r) {
  r.add_strategy(std::make_unique<TwinStrategy>());
  r.add_strategy(std::make_unique<OwnStrategy>());
  r.add_translator({.op = "plugintest::double", .fn = translate_double, .since_opset = 13, .description = "x + x"});
}

}  // namespace

ONNXPORT_PLUGIN("plugintest-twin", "0.0.1", "Collides with plugintest-good", register_all)
