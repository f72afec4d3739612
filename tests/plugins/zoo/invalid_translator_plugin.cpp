// Registers a translator without a function: the host's registrar rejects it,
// which fails the registration with the registrar's message.
#include <onnxport/sdk.hpp>

namespace {

void register_all(onnxport::Registrar& r) { r.add_translator({.op = "plugintest::nofn", .fn = nullptr, .description = "no function"}); }

}  // namespace

ONNXPORT_PLUGIN("plugintest-invalid-translator", "0.0.1", "Translator without a function", register_all)
