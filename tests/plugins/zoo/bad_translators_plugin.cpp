// Translators that misbehave, registered above the built-in ones (priority
// 100) for ops of the seed model, so each failure falls back to the built-in
// translator of translators-aten:
//
//   aten::neg     throws
//   aten::linear  emits a node of an op type ONNX does not have
//   aten::mul     emits a node reading a tensor nobody defined
//   zoo::scale    throws; it is the only translator of that op (see
//                 zoo-custom-op in bad-strategies), so the op ends untranslatable
#include <onnxport/sdk.hpp>

#include <stdexcept>

namespace {

using namespace onnxport;

constexpr int kAboveBuiltIns = 100;

void throws(TranslateContext&) { throw std::runtime_error("the zoo translator refuses this node"); }

void unknown_op_type(TranslateContext& ctx) { ctx.set_output(0, ctx.op("NoSuchOnnxOp", {ctx.input(0)})); }

void undefined_input(TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("Mul", {ctx.input(0), "zoo_tensor_nobody_defined"}));
}

void register_all(Registrar& r) {
  r.add_translator({.op = "aten::neg", .fn = throws, .priority = kAboveBuiltIns, .description = "misbehaves"});
  r.add_translator({.op = "aten::linear", .fn = unknown_op_type, .priority = kAboveBuiltIns, .description = "misbehaves"});
  r.add_translator({.op = "aten::mul", .fn = undefined_input, .priority = kAboveBuiltIns, .description = "misbehaves"});
  r.add_translator({.op = "zoo::scale", .fn = throws, .priority = kAboveBuiltIns, .description = "misbehaves"});
}

}  // namespace

ONNXPORT_PLUGIN("plugintest-bad-translators", "0.0.1", "Translators that throw or emit invalid nodes", register_all)
