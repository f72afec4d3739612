// Small conversions between onnxport's IR types and ONNX protobufs.
#pragma once

#include <onnxport/shape.hpp>
#include <onnxport/tensor.hpp>

#include <onnx/onnx_pb.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport::onnx_build {

// Copies the tensor's bytes once into raw_data (no per-element conversion).
void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& out);
// The same tensor as a lent initializer (lent_weights.hpp) when lending is
// on and it is large enough; false, with `out` untouched, otherwise.
bool lend_weight(const Tensor& tensor, const std::string& name, onnx::TensorProto& out);

// A tensor type: elem type + shape (static dims -> dim_value, symbolic -> dim_param).
void set_tensor_type(onnx::ValueInfoProto& info, const std::string& name, DType dtype, const Shape& shape);

// Node provenance as NodeProto.metadata_props (see proto_util.cpp for how
// this works with ONNX 1.12, whose NodeProto has no such field yet).
void add_metadata(onnx::NodeProto& node, std::string_view key, std::string_view value);
std::vector<std::pair<std::string, std::string>> read_node_metadata(const onnx::NodeProto& node);
// Value of a node's metadata_props entry, or "" when absent.
std::string metadata_value(const onnx::NodeProto& node, std::string_view key);

}  // namespace onnxport::onnx_build
