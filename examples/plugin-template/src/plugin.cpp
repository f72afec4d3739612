// The plugin's entry point: a name, a version, a description and the
// function that registers every component. ONNXPORT_PLUGIN exports the
// descriptor the host looks up and keeps exceptions inside the plugin.
#include "plugin_template.hpp"

#include <onnxport/sdk.hpp>

// [doc:plugin]
namespace {

void register_all(onnxport::Registrar& r) {
  plugin_template::register_swish_clamp(r);
  plugin_template::register_fused_gelu(r);
  plugin_template::register_gelu_types(r);
  plugin_template::register_node_budget(r);
}

}  // namespace

ONNXPORT_PLUGIN("plugin-template", "0.1.0",
                "Template: mylib::swish_clamp as an ONNX function, aten::gelu as ONNX Runtime's fused Gelu "
                "(float32 only), "
                "a node-budget strategy",
                register_all)
// [doc:end]
