// Dtype conversions and tensor <-> Python scalar conversions.
//
// A Python scalar computed from tensor data (aten::Bool, aten::Int,
// aten::item, ...) is a 0-d tensor in ONNX; these translators cast and
// reshape to [] so that, e.g., an If condition gets the bool scalar ONNX wants.
//
// Arguments are read by name, bound to the op's schema (NodeArgs,
// docs/architecture.md §4a). The converted operand is `a` or `self`,
// depending on the overload: the bound schema's first argument.
#include "families.hpp"

namespace onnxport::aten {
namespace {

// Argument 0 cast to `dtype` and made 0-d (torch only converts one-element
// tensors to scalars, so the reshape is always valid at run time).
std::string scalar_of(TranslateContext& ctx, DType dtype) {
  const NodeArgs a(ctx);
  const std::string_view operand = schema_arg_name(ctx, a, 0);
  std::string x = input_as(ctx, a, operand, dtype);
  return rank_of(ctx, a, operand) == 0 ? x : to_scalar(ctx, x);
}

// Bool(Tensor a) / Bool(int|float a) / is_nonzero(Tensor self): non-zero -> true.
void translate_bool(TranslateContext& ctx) {
  set_result(ctx, scalar_of(ctx, DType::Bool));
}

// Int(Tensor a) / Int(float a): truncation toward zero, as Cast does.
void translate_int(TranslateContext& ctx) {
  set_result(ctx, scalar_of(ctx, DType::Int64));
}

// Float(Tensor a) / item(Tensor self) / ScalarImplicit(Tensor a): the graph
// records the scalar's dtype on the output.
void translate_to_scalar(TranslateContext& ctx) {
  set_result(ctx, scalar_of(ctx, output_dtype(ctx)));
}

// to(...) in all its overloads (dtype, device, other, prim_Device, prim_dtype)
// and type_as(self, other): only the dtype matters for ONNX, and the graph
// already resolved it on the output.
void translate_to(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (!is_value(a, "self")) fail(ctx, "self must be a tensor");
  const DType from = arg_dtype(ctx, a, "self");
  const DType to = output_dtype(ctx);
  set_result(ctx, cast(ctx, a.input("self"), from, to));
}

// scalar_tensor(Scalar s, *, ScalarType? dtype, ...): a 0-d tensor of the output's dtype.
void translate_scalar_tensor(TranslateContext& ctx) {
  set_result(ctx, input_as(ctx, NodeArgs(ctx), "s", output_dtype(ctx)));
}

// NumToTensor(Scalar a): the same. TorchScript's prim::NumToTensor, recorded
// as aten::NumToTensor, has no aten schema: its one argument is read by
// position (docs/plugin-authoring.md lists these exceptions).
void translate_num_to_tensor(TranslateContext& ctx) {
  if (ctx.num_inputs() != 1) fail(ctx, "expected one argument");
  set_result(ctx, arg_as(ctx, ctx.arg(0), output_dtype(ctx)));
}

}  // namespace

void register_conversion(Registrar& r) {
  add(r, "aten::Bool", translate_bool, kMinOpset, kOpenEnded, "Cast to bool, Reshape to []");
  add(r, "aten::is_nonzero", translate_bool, kMinOpset, kOpenEnded, "Cast to bool, Reshape to []");
  add(r, "aten::Int", translate_int, kMinOpset, kOpenEnded, "Cast to int64, Reshape to []");
  add(r, "aten::Float", translate_to_scalar);
  add(r, "aten::item", translate_to_scalar);
  add(r, "aten::ScalarImplicit", translate_to_scalar);
  add(r, "aten::to", translate_to);
  add(r, "aten::type_as", translate_to);
  add(r, "aten::NumToTensor", translate_num_to_tensor);
  add(r, "aten::scalar_tensor", translate_scalar_tensor);
}

}  // namespace onnxport::aten
