// aminmax (ReduceMin and ReduceMax), outer (Mul of a column and a row),
// cosine_similarity, cross.
#include "families.hpp"

namespace onnxport::aten {
namespace {

// aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (min, max).
// Reduce* takes axes as an attribute before opset 18, as an input from 18.
// ONNX Runtime's ReduceMin/Max have no bool kernel: bools compare as int32.
template <bool AxesAsInput>
void translate_aminmax(TranslateContext& ctx) {
  const int64_t rank = rank_of(ctx, 0);
  std::vector<int64_t> axes;
  if (ctx.has_input(1)) axes.push_back(normalize_dim(ctx, int_arg(ctx, 1, "dim"), std::max<int64_t>(rank, 1)));
  if (rank == 0) axes.clear();  // a 0-d tensor is its own min and max
  const bool keepdim = bool_arg(ctx, 2, "keepdim", false);
  const DType d = arg_dtype(ctx, 0);
  const DType calc = d == DType::Bool ? DType::Int32 : d;
  std::string x = cast(ctx, ctx.input(0), d, calc);
  if (rank == 0) {
    std::string same = cast(ctx, ctx.op("Identity", {x}), calc, d);
    bind_output(ctx, 0, same);
    bind_output(ctx, 1, cast(ctx, ctx.op("Identity", {x}), calc, d));
    return;
  }
  bind_output(ctx, 0, cast(ctx, reduce(ctx, "ReduceMin", x, axes, keepdim, AxesAsInput), calc, d));
  bind_output(ctx, 1, cast(ctx, reduce(ctx, "ReduceMax", x, axes, keepdim, AxesAsInput), calc, d));
}

// outer(Tensor self, Tensor vec2) = self[:, None] * vec2[None, :] in torch's
// result type (bool * bool is And: ONNX Mul has no bool kernel).
void translate_outer(TranslateContext& ctx) {
  if (rank_of(ctx, 0) != 1 || rank_of(ctx, 1) != 1) fail(ctx, "both inputs must be 1-D");
  const DType d = result_type(ctx, {0, 1});
  std::string column = unsqueeze(ctx, input_as(ctx, 0, d), {1});
  std::string row = unsqueeze(ctx, input_as(ctx, 1, d), {0});
  set_result(ctx, ctx.op(d == DType::Bool ? "And" : "Mul", {column, row}));
}

// cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08): each
// input divided by max(||x||, eps) along dim (torch 1.13's order), then the
// sum of the products. ReduceSum takes axes as an input from opset 13.
void translate_cosine_similarity(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const int64_t rank = std::max(rank_of(ctx, 0), rank_of(ctx, 1));
  const int64_t dim = normalize_dim(ctx, int_arg(ctx, 2, "dim", 1), rank);
  const double eps = float_arg(ctx, 3, "eps", 1e-8);
  std::string a = input_as(ctx, 0, d), b = input_as(ctx, 1, d);
  // Broadcast first: the norms are taken over the broadcast shape.
  std::string shape = ctx.op("Shape", {ctx.op("Add", {a, b})});
  a = ctx.op("Expand", {a, shape});
  b = ctx.op("Expand", {b, shape});
  auto normalized = [&](const std::string& x) {
    std::string squares = reduce(ctx, "ReduceSum", ctx.op("Mul", {x, x}), {dim}, true, true);
    std::string norm = ctx.op("Sqrt", {ctx.op("Max", {squares, ctx.const_scalar(eps * eps, d)})});
    return ctx.op("Div", {x, norm});
  };
  set_result(ctx, reduce(ctx, "ReduceSum", ctx.op("Mul", {normalized(a), normalized(b)}), {dim}, false, true));
}

// cross(Tensor self, Tensor other, int? dim=None): with both broadcast,
// Gather(a, [1,2,0]) * Gather(b, [2,0,1]) - Gather(a, [2,0,1]) * Gather(b, [1,2,0])
// along dim (no dim: the first dim of size 3, read from the output shape).
// linalg_cross(Tensor self, Tensor other, *, int dim=-1): the same with dim -1 by default.
template <bool Linalg>
void translate_cross(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const Shape& out = ctx.output_value(0).shape;
  int64_t dim = -1;
  if (Linalg || ctx.has_input(2)) {
    dim = normalize_dim(ctx, int_arg(ctx, 2, "dim", -1), static_cast<int64_t>(out.size()));
  } else {
    for (size_t k = 0; k < out.size() && dim < 0; ++k)
      if (out[k].is_static() && out[k].value() == 3) dim = static_cast<int64_t>(k);
    if (dim < 0) fail(ctx, "no dim of size 3 to take the cross product along");
  }
  std::string a = input_as(ctx, 0, d), b = input_as(ctx, 1, d);
  std::string shape = ctx.op("Shape", {ctx.op("Add", {a, b})});
  a = ctx.op("Expand", {a, shape});
  b = ctx.op("Expand", {b, shape});
  auto rotated = [&](const std::string& x, std::vector<int64_t> order) {
    return ctx.op("Gather", {x, ctx.const_i64(order)}, {{"axis", dim}});
  };
  std::string first = ctx.op("Mul", {rotated(a, {1, 2, 0}), rotated(b, {2, 0, 1})});
  std::string second = ctx.op("Mul", {rotated(a, {2, 0, 1}), rotated(b, {1, 2, 0})});
  set_result(ctx, ctx.op("Sub", {first, second}));
}

}  // namespace

void register_composite(Registrar& r) {
  add(r, "aten::cross", translate_cross<false>, kMinOpset, kOpenEnded, "Gathers of the rotated components, Mul, Sub");
  add(r, "aten::linalg_cross", translate_cross<true>, kMinOpset, kOpenEnded, "Gathers of the rotated components, Mul, Sub");
  add(r, "aten::cosine_similarity", translate_cosine_similarity, kMinOpset, kOpenEnded, "ReduceSum, Max(eps^2), Sqrt, Div");
  add(r, "aten::aminmax", translate_aminmax<false>, kMinOpset, 17, "ReduceMin, ReduceMax (axes attribute)");
  add(r, "aten::aminmax", translate_aminmax<true>, 18, kOpenEnded, "ReduceMin, ReduceMax (axes input)");
  add(r, "aten::outer", translate_outer, kMinOpset, kOpenEnded, "Unsqueeze both, Mul");
}

}  // namespace onnxport::aten
