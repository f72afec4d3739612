// One registration function per op family; plugin.cpp calls them all.
#pragma once

#include "common.hpp"

namespace onnxport::aten {

void register_elementwise(Registrar& r);   // elementwise.cpp
void register_reduction(Registrar& r);     // reduction.cpp
void register_linear(Registrar& r);        // linear.cpp
void register_shape_ops(Registrar& r);     // shape_ops.cpp
void register_nn(Registrar& r);            // nn.cpp
void register_control_flow(Registrar& r);  // control_flow.cpp
void register_conversion(Registrar& r);    // conversion.cpp
void register_recurrent(Registrar& r);     // recurrent.cpp
void register_attention(Registrar& r);     // attention.cpp
void register_loss(Registrar& r);          // loss.cpp
void register_activations(Registrar& r);   // activations.cpp
void register_rearrange(Registrar& r);     // rearrange.cpp
void register_scatter(Registrar& r);       // scatter.cpp
void register_composite(Registrar& r);     // composite.cpp
void register_placement(Registrar& r);     // placement.cpp
void register_sequences(Registrar& r);     // sequences.cpp
void register_layers(Registrar& r);        // layers.cpp
void register_quantize(Registrar& r);      // quantize.cpp

}  // namespace onnxport::aten
