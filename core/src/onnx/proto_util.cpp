#include "proto_util.hpp"

#include "lent_weights.hpp"

#include <google/protobuf/unknown_field_set.h>

namespace onnxport::onnx_build {

void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& out) {
  out.set_name(name);
  out.set_data_type(dtype_to_onnx(tensor.dtype()));
  for (int64_t d : tensor.shape()) out.add_dims(d);
  // One copy, straight from the (possibly memory-mapped) borrowed bytes.
  if (tensor.nbytes() > 0) out.set_raw_data(tensor.bytes(), tensor.nbytes());
  else out.set_raw_data(std::string());
}

bool lend_weight(const Tensor& tensor, const std::string& name, onnx::TensorProto& out) {
  if (!LendingScope::active() || tensor.nbytes() <= kLendMinBytes) return false;
  out.set_name(name);
  out.set_data_type(dtype_to_onnx(tensor.dtype()));
  for (int64_t d : tensor.shape()) out.add_dims(d);
  return lend_tensor(tensor, out);
}

void set_tensor_type(onnx::ValueInfoProto& info, const std::string& name, DType dtype, const Shape& shape) {
  info.set_name(name);
  auto* tensor_type = info.mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(dtype_to_onnx(dtype));
  auto* out_shape = tensor_type->mutable_shape();  // present even for 0-d tensors
  for (const Dim& d : shape) {
    auto* dim = out_shape->add_dim();
    if (d.is_static()) dim->set_dim_value(d.value());
    else dim->set_dim_param(d.expr());
  }
}

// ONNX 1.12's NodeProto predates metadata_props (field 9 of NodeProto since
// IR 10). We write the entries as that field's wire format, kept by protobuf
// as unknown fields: ONNX >= 1.16 and recent ONNX Runtime read them as real
// metadata_props, and 1.12 carries them through copy/serialize untouched.
constexpr int kNodeMetadataPropsField = 9;

void add_metadata(onnx::NodeProto& node, std::string_view key, std::string_view value) {
  onnx::StringStringEntryProto entry;
  entry.set_key(std::string(key));
  entry.set_value(std::string(value));
  node.mutable_unknown_fields()->AddLengthDelimited(kNodeMetadataPropsField, entry.SerializeAsString());
}

std::vector<std::pair<std::string, std::string>> read_node_metadata(const onnx::NodeProto& node) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& fields = node.unknown_fields();
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& field = fields.field(i);
    if (field.number() != kNodeMetadataPropsField ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
      continue;
    onnx::StringStringEntryProto entry;
    if (entry.ParseFromString(field.length_delimited())) out.emplace_back(entry.key(), entry.value());
  }
  return out;
}

std::string metadata_value(const onnx::NodeProto& node, std::string_view key) {
  for (const auto& [k, v] : read_node_metadata(node))
    if (k == key) return v;
  return {};
}

}  // namespace onnxport::onnx_build
