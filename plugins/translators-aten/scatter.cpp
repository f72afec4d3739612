// Scatters as ONNX ScatterElements: scatter (src, value, reduce), scatter_add,
// index_add. Accumulating forms need ScatterElements' reduction attribute,
// which exists from opset 16: a plain ScatterElements onto zeros would keep
// only one of several updates to the same position, so they are not
// exported below 16.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

namespace onnxport::aten {
namespace {

// True when the bound overload has an argument of this name.
bool takes(const NodeArgs& a, std::string_view name) { return a.schema().argument_index(name).has_value(); }

// The tensor `src` cut to index's shape (ScatterElements wants updates shaped
// like the indices; torch reads src only where index has entries).
std::string updates_like_index(TranslateContext& ctx, const NodeArgs& a, std::string_view src, int64_t rank) {
  bool same = rank_of(ctx, a, src) == rank_of(ctx, a, "index");
  for (int64_t k = 0; same && k < rank; ++k) {
    auto s = static_dim(ctx, a, src, k), i = static_dim(ctx, a, "index", k);
    same = s && i && *s == *i;
  }
  if (same) return a.input(src);
  std::vector<int64_t> axes(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) axes[static_cast<size_t>(k)] = k;
  return ctx.op("Slice", {a.input(src), ctx.const_i64(std::vector<int64_t>(static_cast<size_t>(rank), 0)),
                          shape_of(ctx, a.input("index")), ctx.const_i64(axes)});
}

std::string onnx_reduction(TranslateContext& ctx, const std::string& torch_reduce) {
  if (torch_reduce == "add" || torch_reduce == "sum") return "add";
  if (torch_reduce == "multiply" || torch_reduce == "prod") return "mul";
  fail(ctx, "reduce='" + torch_reduce + "' is not supported (add, multiply are)");
}

void check_rank(TranslateContext& ctx, const NodeArgs& a) {
  if (rank_of(ctx, a, "self") == 0) fail(ctx, "0-D self is not supported", "unsqueeze self to 1-D first");
  if (rank_of(ctx, a, "index") != rank_of(ctx, a, "self")) fail(ctx, "index must have the same number of dims as self");
}

// scatter.src / .value(Tensor self, int dim, Tensor index, Tensor src | Scalar value)
// scatter.reduce / .value_reduce(..., *, str reduce)
void translate_scatter(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  check_rank(ctx, a);
  const int64_t rank = rank_of(ctx, a, "self");
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank);
  const DType d = arg_dtype(ctx, a, "self");
  std::string updates;
  if (takes(a, "src")) {
    updates = cast(ctx, updates_like_index(ctx, a, "src", rank), arg_dtype(ctx, a, "src"), d);
  } else {
    updates = ctx.op("Expand", {input_as(ctx, a, "value", d), shape_of(ctx, a.input("index"))});
  }
  OnnxAttrs attrs{{"axis", axis}};
  if (takes(a, "reduce")) {
    if (ctx.opset() < 16) fail(ctx, "scatter with reduce needs opset 16 (ScatterElements reduction)", "export with --opset 16 or later");
    attrs.push_back({"reduction", onnx_reduction(ctx, a.str("reduce"))});
  }
  set_result(ctx, ctx.op("ScatterElements", {a.input("self"), input_as(ctx, a, "index", DType::Int64), updates}, attrs));
}

// scatter_add(Tensor self, int dim, Tensor index, Tensor src)
void translate_scatter_add(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  check_rank(ctx, a);
  const int64_t rank = rank_of(ctx, a, "self");
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank);
  std::string updates = updates_like_index(ctx, a, "src", rank);
  set_result(ctx, ctx.op("ScatterElements", {a.input("self"), input_as(ctx, a, "index", DType::Int64), updates},
                         {{"axis", axis}, {"reduction", std::string("add")}}));
}

// index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1):
// index expanded along `dim` to source's shape, then a ScatterElements add.
void translate_index_add(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank == 0) fail(ctx, "0-D self is not supported", "unsqueeze self to 1-D first");
  if (rank_of(ctx, a, "source") != rank) fail(ctx, "source must have the same number of dims as self");
  if (rank_of(ctx, a, "index") > 1) fail(ctx, "index must be 0-D or 1-D");
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank);
  const DType d = arg_dtype(ctx, a, "self");
  std::vector<int64_t> along(static_cast<size_t>(rank), 1);
  along[static_cast<size_t>(axis)] = -1;
  std::string index = reshape(ctx, input_as(ctx, a, "index", DType::Int64), along);
  std::string source = a.input("source");
  std::string indices = ctx.op("Expand", {index, shape_of(ctx, source)});
  std::string updates = source;
  if (!(is_constant(a, "alpha") && a.f64("alpha") == 1.0)) updates = ctx.op("Mul", {source, input_as(ctx, a, "alpha", d)});
  set_result(ctx, ctx.op("ScatterElements", {a.input("self"), indices, updates}, {{"axis", axis}, {"reduction", std::string("add")}}));
}

}  // namespace

void register_scatter(Registrar& r) {
  add(r, "aten::scatter", translate_scatter, kMinOpset, kOpenEnded, "ScatterElements (reduce needs opset 16)");
  add(r, "aten::scatter_add", translate_scatter_add, 16, kOpenEnded, "ScatterElements(reduction=add)");
  add(r, "aten::index_add", translate_index_add, 16, kOpenEnded, "Expand(index), ScatterElements(reduction=add)");
}

}  // namespace onnxport::aten
