// A small evaluator over constant ONNX tensors, for constant folding.
//
// Tensors are kept as raw little-endian element bytes plus the ONNX element
// type, so data-movement ops (Transpose, Reshape, Concat, Gather, ...) work
// for any fixed-size element type, and arithmetic decodes float/double and
// the integer types (bool included) on the fly.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport::onnx_build {

struct ConstTensor {
  int32_t elem_type = 0;  // onnx::TensorProto_DataType
  std::vector<int64_t> dims;
  std::string bytes;  // numel() * element size bytes, row-major (when not borrowed)
  // A lent weight (lent_weights.hpp) is read in place: `borrowed` views its
  // bytes and `lent` is its id, so folding allocates only what it creates.
  // A fold that made a lent entry of its own (the transpose of a lent
  // weight, lend_transposed) has `lent` and no `borrowed`: its bytes are
  // made only if a reader asks for data().
  std::string_view borrowed;
  uint64_t lent = 0;

  int64_t numel() const;
  size_t nbytes() const;
  // A lent entry whose bytes are not made (see above).
  bool is_lent_view() const { return lent != 0 && borrowed.empty(); }
  // The element bytes, wherever they are; what every reader uses.
  std::string_view data() const;
};

// Bytes per element of a fixed-size ONNX element type; 0 for strings and
// unknown types (never folded).
size_t onnx_elem_size(int32_t elem_type);

// nullopt for data the evaluator cannot read (external data, strings, a
// data field whose length does not match the dims).
std::optional<ConstTensor> const_from_proto(const onnx::TensorProto& proto);
void const_to_proto(const ConstTensor& tensor, const std::string& name, onnx::TensorProto& out);
// Same, moving the bytes (folded weights are not copied again).
void const_to_proto(ConstTensor&& tensor, const std::string& name, onnx::TensorProto& out);

// The value of a Constant node (value, value_float(s), value_int(s)).
std::optional<ConstTensor> constant_node_value(const onnx::NodeProto& node);

// True when every element of a numeric tensor equals `value` (0 and 1 are
// exact in every element type).
bool all_elements_equal(const ConstTensor& tensor, double value);

// True for the op types evaluate() knows.
bool is_foldable_op(const std::string& op_type);

// Evaluates a default-domain node on constant inputs (nullptr for an absent
// optional input). nullopt when the case is not supported (types, attributes,
// integer division by zero, outputs larger than the folding budget): the node
// is then simply kept.
std::optional<ConstTensor> evaluate_node(const onnx::NodeProto& node, const std::vector<const ConstTensor*>& inputs,
                                         int opset);

}  // namespace onnxport::onnx_build
