// translators-aten: the built-in translators from TorchScript aten ops (and
// onnxport's higher-order ops) to ONNX, for target opsets 13 to 18.
#include "families.hpp"

#include <onnxport/sdk.hpp>

namespace {

void register_all(onnxport::Registrar& r) {
  using namespace onnxport::aten;
  register_elementwise(r);
  register_reduction(r);
  register_linear(r);
  register_shape_ops(r);
  register_nn(r);
  register_control_flow(r);
  register_conversion(r);
  register_recurrent(r);
  register_attention(r);
  register_loss(r);
  register_activations(r);
  register_rearrange(r);
  register_scatter(r);
  register_composite(r);
  register_placement(r);
  register_sequences(r);
  register_layers(r);
  register_quantize(r);
}

}  // namespace

ONNXPORT_PLUGIN("translators-aten", "0.1.0",
                "Translators from TorchScript aten ops and higher_order::cond to ONNX (opsets 13-18)",
                register_all)
