// Scatters as ONNX ScatterElements: scatter (src, value, reduce), scatter_add,
// index_add. Accumulating forms need ScatterElements' reduction attribute,
// which exists from opset 16: a plain ScatterElements onto zeros would keep
// only one of several updates to the same position, so they are not
// exported below 16.
#include "families.hpp"

namespace onnxport::aten {
namespace {

// src cut to index's shape (ScatterElements wants updates shaped like the
// indices; torch reads src only where index has entries).
std::string updates_like_index(TranslateContext& ctx, size_t src_at, size_t index_at, int64_t rank) {
  bool same = rank_of(ctx, src_at) == rank_of(ctx, index_at);
  for (int64_t k = 0; same && k < rank; ++k) {
    auto a = static_dim(ctx, src_at, k), b = static_dim(ctx, index_at, k);
    same = a && b && *a == *b;
  }
  if (same) return ctx.input(src_at);
  std::vector<int64_t> axes(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) axes[static_cast<size_t>(k)] = k;
  return ctx.op("Slice", {ctx.input(src_at), ctx.const_i64(std::vector<int64_t>(static_cast<size_t>(rank), 0)),
                          shape_of(ctx, ctx.input(index_at)), ctx.const_i64(axes)});
}

std::string onnx_reduction(TranslateContext& ctx, const std::string& torch_reduce) {
  if (torch_reduce == "add" || torch_reduce == "sum") return "add";
  if (torch_reduce == "multiply" || torch_reduce == "prod") return "mul";
  fail(ctx, "reduce='" + torch_reduce + "' is not supported (add, multiply are)");
}

void check_rank(TranslateContext& ctx) {
  if (rank_of(ctx, 0) == 0) fail(ctx, "0-D self is not supported", "unsqueeze self to 1-D first");
  if (rank_of(ctx, 2) != rank_of(ctx, 0)) fail(ctx, "index must have the same number of dims as self");
}

// scatter(Tensor self, int dim, Tensor index, Tensor src | Scalar value, *, str? reduce)
void translate_scatter(TranslateContext& ctx) {
  check_rank(ctx);
  const int64_t rank = rank_of(ctx, 0);
  const int64_t axis = normalize_dim(ctx, int_arg(ctx, 1, "dim"), rank);
  const DType d = arg_dtype(ctx, 0);
  std::string updates;
  if (is_tensor_value(ctx, 3)) {
    updates = cast(ctx, updates_like_index(ctx, 3, 2, rank), arg_dtype(ctx, 3), d);
  } else {
    updates = ctx.op("Expand", {input_as(ctx, 3, d), shape_of(ctx, ctx.input(2))});
  }
  OnnxAttrs attrs{{"axis", axis}};
  if (ctx.has_input(4)) {
    if (ctx.opset() < 16) fail(ctx, "scatter with reduce needs opset 16 (ScatterElements reduction)", "export with --opset 16 or later");
    attrs.push_back({"reduction", onnx_reduction(ctx, str_arg(ctx, 4).value_or(""))});
  }
  set_result(ctx, ctx.op("ScatterElements", {ctx.input(0), input_as(ctx, 2, DType::Int64), updates}, attrs));
}

// scatter_add(Tensor self, int dim, Tensor index, Tensor src)
void translate_scatter_add(TranslateContext& ctx) {
  check_rank(ctx);
  const int64_t rank = rank_of(ctx, 0);
  const int64_t axis = normalize_dim(ctx, int_arg(ctx, 1, "dim"), rank);
  std::string updates = updates_like_index(ctx, 3, 2, rank);
  set_result(ctx, ctx.op("ScatterElements", {ctx.input(0), input_as(ctx, 2, DType::Int64), updates},
                         {{"axis", axis}, {"reduction", std::string("add")}}));
}

// index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1):
// index expanded along `dim` to source's shape, then a ScatterElements add.
void translate_index_add(TranslateContext& ctx) {
  const int64_t rank = rank_of(ctx, 0);
  if (rank == 0) fail(ctx, "0-D self is not supported", "unsqueeze self to 1-D first");
  if (rank_of(ctx, 3) != rank) fail(ctx, "source must have the same number of dims as self");
  if (rank_of(ctx, 2) > 1) fail(ctx, "index must be 0-D or 1-D");
  const int64_t axis = normalize_dim(ctx, int_arg(ctx, 1, "dim"), rank);
  const DType d = arg_dtype(ctx, 0);
  std::vector<int64_t> along(static_cast<size_t>(rank), 1);
  along[static_cast<size_t>(axis)] = -1;
  std::string index = reshape(ctx, input_as(ctx, 2, DType::Int64), along);
  std::string source = ctx.input(3);
  std::string indices = ctx.op("Expand", {index, shape_of(ctx, source)});
  std::string updates = source;
  if (ctx.has_input(4) && !(is_constant(ctx, 4) && float_arg(ctx, 4, "alpha") == 1.0))
    updates = ctx.op("Mul", {source, input_as(ctx, 4, d)});
  set_result(ctx, ctx.op("ScatterElements", {ctx.input(0), indices, updates}, {{"axis", axis}, {"reduction", std::string("add")}}));
}

}  // namespace

void register_scatter(Registrar& r) {
  add(r, "aten::scatter", translate_scatter, kMinOpset, kOpenEnded, "ScatterElements (reduce needs opset 16)");
  add(r, "aten::scatter_add", translate_scatter_add, 16, kOpenEnded, "ScatterElements(reduction=add)");
  add(r, "aten::index_add", translate_index_add, 16, kOpenEnded, "Expand(index), ScatterElements(reduction=add)");
}

}  // namespace onnxport::aten
