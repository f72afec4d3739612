// Adds components, then throws: the host must refuse the plugin and keep none
// of what it added before the throw.
#include <onnxport/sdk.hpp>

#include <stdexcept>

namespace {

class DoomedStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "plugintest-doomed"; }
  onnxport::CaptureResult capture(const onnxport::Program&, const onnxport::CaptureOptions&,
                                  onnxport::HostServices&) override {
    return {};
  }
};

void translate_nothing(onnxport::TranslateContext&) {}

void register_all(onnxport::Registrar& r) {
  r.add_strategy(std::make_unique<DoomedStrategy>());
  r.add_translator({.op = "plugintest::doomed", .fn = translate_nothing, .description = "never used"});
  throw std::runtime_error("cannot initialise the doomed plugin");
}

}  // namespace

ONNXPORT_PLUGIN("plugintest-throwing", "0.0.1", "Throws during registration", register_all)
