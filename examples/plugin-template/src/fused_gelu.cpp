// (b) Overriding a built-in translator: aten::gelu becomes ONNX Runtime's
// fused contrib op (com.microsoft Gelu, or FastGelu for approximate='tanh')
// instead of the five standard nodes translators-aten emits. Registered at
// priority 10, above the built-in's 0, so the registry picks it; a config can
// still choose the built-in back with "pin": {"aten::gelu": "translators-aten"}.
#include "plugin_template.hpp"

#include <onnxport/op_schema.hpp>
#include <onnxport/translator.hpp>

namespace plugin_template {
namespace {

// [doc:override]
// aten::gelu(Tensor self, *, str approximate="none") -> Tensor
void translate_gelu_fused(onnxport::TranslateContext& ctx) {
  const onnxport::NodeArgs a(ctx);  // bound by name to the schema, with its defaults
  const bool tanh = a.str("approximate") == "tanh";
  ctx.set_output(0, ctx.op(tanh ? "FastGelu" : "Gelu", {a.input("self")}, {}, "com.microsoft"));
}
// [doc:end]

}  // namespace

// [doc:register-override]
void register_fused_gelu(onnxport::Registrar& r) {
  r.add_translator({.op = "aten::gelu", .fn = translate_gelu_fused, .since_opset = 13, .priority = 10,
                    .description = "ONNX Runtime's fused Gelu / FastGelu (com.microsoft)",
                    .arguments = {"self", "approximate"}});  // checked against the schema at load
}
// [doc:end]

}  // namespace plugin_template
