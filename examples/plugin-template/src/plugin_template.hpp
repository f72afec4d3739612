// The components of the template plugin, one per source file;
// plugin.cpp registers them.
#pragma once

#include <onnxport/registrar.hpp>

namespace plugin_template {

void register_swish_clamp(onnxport::Registrar& r);  // swish_clamp.cpp: custom op + ONNX function
void register_fused_gelu(onnxport::Registrar& r);   // fused_gelu.cpp: overrides aten::gelu's translator
void register_gelu_types(onnxport::Registrar& r);   // gelu_types.cpp: overrides aten::gelu's op definition
void register_node_budget(onnxport::Registrar& r);  // node_budget.cpp: a small strategy

}  // namespace plugin_template
