// Two tiny plugins for sdk_helpers_test, chosen by OP_PLUGIN_KIND at compile
// time: one adds an op the library already has (aten::relu), one adds an op
// whose name has no domain.
#include <onnxport/sdk.hpp>

namespace {

std::vector<onnxport::TensorMeta> same_as_first(const std::vector<onnxport::OpArg>& args) { return {args[0].meta}; }

void register_ops(onnxport::Registrar& r) {
#if OP_PLUGIN_KIND == 1
  r.add_op({.name = "aten::relu", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
  r.add_op({.name = "optest::fresh", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
#else
  r.add_op({.name = "swish", .meta = same_as_first, .kernel = {}, .family = "elementwise"});
#endif
}

}  // namespace

ONNXPORT_PLUGIN(OP_PLUGIN_NAME, "0.0.1", "sdk_helpers_test op plugin", register_ops)
