// (d) Overriding an op definition: the op library's aten::gelu, narrowed to
// the dtypes the template's fused translator (fused_gelu.cpp) can emit.
//
// ONNX Runtime's CPU provider has no float64 kernel for com.microsoft Gelu
// (it falls back to the op's function body, whose float64 Erf it lacks too):
// a float64 gelu translated to it makes a model ONNX Runtime cannot load.
// Refusing the dtype in the meta function stops the capture with a
// diagnostic at the program's source line instead; with the plugin's
// priority set to 0 the built-ins export it in standard ONNX ops. The rest
// (output meta, reference kernel) is the definition this one replaces, so
// the capture and the reference interpreter are otherwise unchanged.
#include "plugin_template.hpp"

#include <onnxport/op_schema.hpp>
#include <onnxport/ops.hpp>

#include <memory>
#include <stdexcept>

namespace plugin_template {
namespace {

// [doc:op-override]
// The definition beneath this one, copied when the plugin registers: the
// library's entry for aten::gelu becomes this override while the plugin's
// host lives, so the one it replaces must be kept aside to delegate to.
std::shared_ptr<const onnxport::OpDef> gelu_beneath;

std::vector<onnxport::TensorMeta> gelu_meta_for_fused_kernels(const std::vector<onnxport::OpArg>& args) {
  const onnxport::OpArgs a = onnxport::OpArgs::bind("aten::gelu", args);
  const onnxport::DType d = a.tensor("self").dtype;
  if (d != onnxport::DType::Float32) {
    throw onnxport::OpError("gelu of a " + std::string(onnxport::dtype_name(d)) +
                            " tensor: ONNX Runtime's fused Gelu (com.microsoft), which the plugin-template "
                            "translates gelu to, is run for float32 only; set the plugin's \"priority\" to 0 "
                            "in the config to export gelu with standard ONNX ops");
  }
  return gelu_beneath->meta(args);
}
// [doc:end]

}  // namespace

// [doc:register-op-override]
void register_gelu_types(onnxport::Registrar& r) {
  const onnxport::OpDef* current = onnxport::OpLibrary::instance().find("aten::gelu");
  if (current == nullptr) throw std::runtime_error("the op library has no aten::gelu to narrow");
  // Registered again by a second host while the first still holds this
  // override: the library's entry is our own, and the one beneath is kept.
  using MetaPointer = std::vector<onnxport::TensorMeta> (*)(const std::vector<onnxport::OpArg>&);
  const MetaPointer* target = current->meta.target<MetaPointer>();
  if (target == nullptr || *target != &gelu_meta_for_fused_kernels)
    gelu_beneath = std::make_shared<const onnxport::OpDef>(*current);
  r.add_op({.name = "aten::gelu", .meta = gelu_meta_for_fused_kernels, .kernel = gelu_beneath->kernel,
            .family = gelu_beneath->family, .arguments = {"self"},
            .priority = 10});  // above the built-in's 0: replaces it while this plugin's host lives
}
// [doc:end]

}  // namespace plugin_template
