// The plugin template (examples/plugin-template) with a bug introduced on
// purpose, for the matrix's regression test (run_matrix.py --expect-broken):
// a translator of aten::relu at a priority above the built-in's that emits
// Identity, so every model whose graph has a ReLU exports a wrong model
// that verification catches. Built as libonnxport-matrixtest-template.so in
// a folder of its own; searched first (--plugin-path), it replaces the good
// build for the "template" combination only.
#include "plugin_template.hpp"

#include <onnxport/sdk.hpp>
#include <onnxport/translator.hpp>

namespace {

void translate_relu_wrongly(onnxport::TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("Identity", {ctx.input(0)}));
}

void register_all(onnxport::Registrar& r) {
  plugin_template::register_swish_clamp(r);
  plugin_template::register_fused_gelu(r);
  plugin_template::register_node_budget(r);
  r.add_translator({.op = "aten::relu", .fn = translate_relu_wrongly, .since_opset = 13, .priority = 50,
                    .description = "WRONG on purpose: ReLU as Identity (tests/matrix)"});
}

}  // namespace

ONNXPORT_PLUGIN("plugin-template", "0.1.1-broken",
                "The plugin template with a deliberately wrong aten::relu translator (tests/matrix)", register_all)
