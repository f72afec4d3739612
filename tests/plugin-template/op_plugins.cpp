// Tiny plugins for sdk_helpers_test, chosen by OP_PLUGIN_KIND at compile
// time: one adds an op the library already has (aten::relu), one adds an op
// whose name has no domain; and the bad input of docs/plugin-authoring.md
// ("Bad input"): a translator and an op for aten schemas that do not exist,
// a translator keyed by an overload, an op that two plugins both add, and
// declared argument names or op schemas that do not fit; op definitions that
// override the library's at a priority.
#include <onnxport/sdk.hpp>

namespace {

[[maybe_unused]] std::vector<onnxport::TensorMeta> same_as_first(const std::vector<onnxport::OpArg>& args) { return {args[0].meta}; }

[[maybe_unused]] void translate_nothing(onnxport::TranslateContext&) {}

// An override whose effect is visible: the output is int8, whatever the input.
[[maybe_unused]] std::vector<onnxport::TensorMeta> int8_like_first(const std::vector<onnxport::OpArg>& args) {
  return {{onnxport::DType::Int8, args[0].meta.shape}};
}

void register_ops(onnxport::Registrar& r) {
#if OP_PLUGIN_KIND == 1
  r.add_op({.name = "aten::relu", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
  r.add_op({.name = "optest::fresh", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
#elif OP_PLUGIN_KIND == 2
  r.add_op({.name = "swish", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
#elif OP_PLUGIN_KIND == 3
  // A translator registered before the bad one: refused with the plugin, nothing is kept.
  r.add_translator({.op = "aten::relu", .fn = translate_nothing, .since_opset = 13, .description = "fine"});
  r.add_translator({.op = "aten::gelu_fast", .fn = translate_nothing, .since_opset = 13, .description = "typo"});
#elif OP_PLUGIN_KIND == 4
  r.add_op({.name = "aten::frobnicate", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
#elif OP_PLUGIN_KIND == 5
  r.add_translator({.op = "aten::add.Tensor", .fn = translate_nothing, .since_opset = 13, .description = "overload"});
#elif OP_PLUGIN_KIND == 6
  r.add_op({.name = "optest::shared", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
#elif OP_PLUGIN_KIND == 7
  // A translator declaring a name aten::gelu's schema lacks (a typo of "approximate").
  r.add_translator({.op = "aten::gelu", .fn = translate_nothing, .since_opset = 13, .description = "typo",
                    .arguments = {"self", "approximat"}});
#elif OP_PLUGIN_KIND == 8
  // A plugin op with a schema whose translator reads a name the schema lacks;
  // the translator is registered before the op, so the check runs after both.
  r.add_translator({.op = "optest::scaled", .fn = translate_nothing, .since_opset = 13, .description = "typo",
                    .arguments = {"self", "factor"}});
  r.add_op({.name = "optest::scaled", .meta = same_as_first, .kernel = {}, .family = "elementwise",
            .schema = "optest::scaled(Tensor self, float scale=2.) -> Tensor", .arguments = {"self", "scale"}});
#elif OP_PLUGIN_KIND == 9
  r.add_op({.name = "optest::broken", .meta = same_as_first, .kernel = {}, .family = "elementwise",
            .schema = "optest::broken(Tensor self, float) -> Tensor"});
#elif OP_PLUGIN_KIND == 10
  // Names declared for an op that has no schema cannot be checked: refused.
  r.add_op({.name = "optest::unchecked", .meta = same_as_first, .kernel = {}, .family = "elementwise",
            .arguments = {"self"}});
#elif OP_PLUGIN_KIND == 11
  // A schema for an aten op: aten ops keep PyTorch's.
  r.add_op({.name = "aten::relu", .meta = same_as_first, .kernel = {}, .family = "elementwise",
            .schema = "aten::relu(Tensor x) -> Tensor"});
#elif OP_PLUGIN_KIND == 12 || OP_PLUGIN_KIND == 13
  // Overrides of the built-in aten::relu at priority 5 (docs/plugin-authoring.md §3).
  r.add_op({.name = "aten::relu", .meta = int8_like_first, .kernel = {}, .family = "elementwise", .priority = 5});
#elif OP_PLUGIN_KIND == 14
  // An override that brings a schema of its own: refused (the op keeps its schema).
  r.add_op({.name = "optest::shared", .meta = int8_like_first, .kernel = {}, .family = "elementwise",
            .schema = "optest::shared(Tensor self, int k=1) -> Tensor", .priority = 5});
#endif
}

}  // namespace

ONNXPORT_PLUGIN(OP_PLUGIN_NAME, "0.0.1", "sdk_helpers_test op plugin", register_ops)
