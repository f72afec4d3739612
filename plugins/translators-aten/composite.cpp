// aminmax (ReduceMin and ReduceMax), outer (Mul of a column and a row),
// cosine_similarity, cross, addcmul, lerp, tensordot (Einsum),
// pairwise_distance, frobenius_norm, linalg_matrix_norm, det/logdet (Det).
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <cmath>

namespace onnxport::aten {
namespace {

// aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (min, max).
// Reduce* takes axes as an attribute before opset 18, as an input from 18.
// ONNX Runtime's ReduceMin/Max have no bool kernel: bools compare as int32.
template <bool AxesAsInput>
void translate_aminmax(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  std::vector<int64_t> axes;
  if (a.has("dim")) axes.push_back(normalize_dim(ctx, a.i64("dim"), std::max<int64_t>(rank, 1)));
  if (rank == 0) axes.clear();  // a 0-d tensor is its own min and max
  const bool keepdim = a.boolean("keepdim");
  const DType d = arg_dtype(ctx, a, "self");
  const DType calc = d == DType::Bool ? DType::Int32 : d;
  std::string x = cast(ctx, a.input("self"), d, calc);
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
  const NodeArgs a(ctx);
  if (rank_of(ctx, a, "self") != 1 || rank_of(ctx, a, "vec2") != 1) fail(ctx, "both inputs must be 1-D");
  const DType d = result_type(ctx, a, {"self", "vec2"});
  std::string column = unsqueeze(ctx, input_as(ctx, a, "self", d), {1});
  std::string row = unsqueeze(ctx, input_as(ctx, a, "vec2", d), {0});
  set_result(ctx, ctx.op(d == DType::Bool ? "And" : "Mul", {column, row}));
}

// cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08): each
// input divided by max(||x||, eps) along dim (torch 1.13's order), then the
// sum of the products. ReduceSum takes axes as an input from opset 13.
void translate_cosine_similarity(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  const int64_t rank = std::max(rank_of(ctx, args, "x1"), rank_of(ctx, args, "x2"));
  const int64_t dim = normalize_dim(ctx, args.i64("dim"), rank);
  const double eps = args.f64("eps");
  std::string a = input_as(ctx, args, "x1", d), b = input_as(ctx, args, "x2", d);
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
  const NodeArgs args(ctx);
  const Shape& out = ctx.output_value(0).shape;
  int64_t dim = -1;
  if (args.has("dim")) {  // linalg_cross's dim defaults to -1; cross's None means the first dim of size 3
    dim = normalize_dim(ctx, args.i64("dim"), static_cast<int64_t>(out.size()));
  } else {
    for (size_t k = 0; k < out.size() && dim < 0; ++k)
      if (out[k].is_static() && out[k].value() == 3) dim = static_cast<int64_t>(k);
    if (dim < 0) fail(ctx, "no dim of size 3 to take the cross product along");
  }
  std::string a = input_as(ctx, args, "self", d), b = input_as(ctx, args, "other", d);
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

// addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1):
// self + value * tensor1 * tensor2 in the output dtype, left to right as torch;
// a floating value on integer inputs is truncated toward zero first, as torch
// 1.13's CPU kernel converts it.
void translate_addcmul(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  if (d == DType::Bool) fail(ctx, "bool inputs are not supported");
  const NodeArgs a(ctx);
  std::string product = input_as(ctx, a, "tensor1", d);
  if (is_constant(a, "value") && !is_floating(d)) {
    const double value = std::trunc(a.f64("value"));
    if (value != 1.0) product = ctx.op("Mul", {ctx.const_scalar(value, d), product});
  } else if (!(is_constant(a, "value") && a.f64("value") == 1.0)) {
    product = ctx.op("Mul", {input_as(ctx, a, "value", d), product});
  }
  product = ctx.op("Mul", {product, input_as(ctx, a, "tensor2", d)});
  set_result(ctx, ctx.op("Add", {input_as(ctx, a, "self", d), product}));
}

// lerp(Tensor self, Tensor end, Scalar|Tensor weight): torch's formula, exact
// at both ends: |w| < 0.5 ? self + w * (end - self) : end - (end - self) * (1 - w).
void translate_lerp(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string a = input_as(ctx, args, "self", d), b = input_as(ctx, args, "end", d),
              w = input_as(ctx, args, "weight", d);
  std::string diff = ctx.op("Sub", {b, a});
  std::string low = ctx.op("Add", {a, ctx.op("Mul", {w, diff})});
  std::string high = ctx.op("Sub", {b, ctx.op("Mul", {diff, ctx.op("Sub", {ctx.const_scalar(1.0, d), w})})});
  std::string near_start = ctx.op("Less", {ctx.op("Abs", {w}), ctx.const_scalar(0.5, d)});
  set_result(ctx, ctx.op("Where", {near_start, low, high}));
}

// tensordot(Tensor self, Tensor other, int[] dims_self, int[] dims_other) as one
// Einsum: contracted dims share a letter; self's free dims, then other's.
void translate_tensordot(TranslateContext& ctx) {
  const NodeArgs args(ctx);
  const int64_t ra = rank_of(ctx, args, "self"), rb = rank_of(ctx, args, "other");
  std::vector<int64_t> dims_a = args.ints("dims_self");
  std::vector<int64_t> dims_b = args.ints("dims_other");
  if (dims_a.size() != dims_b.size()) fail(ctx, "dims_self and dims_other differ in length");
  if (ra + rb > 52) fail(ctx, "more than 52 dims in all");
  auto letter = [](int64_t k) { return static_cast<char>(k < 26 ? 'a' + k : 'A' + (k - 26)); };
  std::string la, lb(static_cast<size_t>(rb), ' '), out;
  for (int64_t k = 0; k < ra; ++k) la += letter(k);
  std::vector<bool> contracted_a(static_cast<size_t>(ra), false);
  for (size_t k = 0; k < dims_a.size(); ++k) {
    const int64_t a = normalize_dim(ctx, dims_a[k], ra), b = normalize_dim(ctx, dims_b[k], rb);
    if (contracted_a[static_cast<size_t>(a)] || lb[static_cast<size_t>(b)] != ' ') fail(ctx, "a dim is contracted twice");
    contracted_a[static_cast<size_t>(a)] = true;
    lb[static_cast<size_t>(b)] = la[static_cast<size_t>(a)];
  }
  for (int64_t k = 0; k < ra; ++k)
    if (!contracted_a[static_cast<size_t>(k)]) out += la[static_cast<size_t>(k)];
  int64_t next = ra;
  for (char& c : lb)
    if (c == ' ') {
      c = letter(next++);
      out += c;
    }
  const DType d = output_dtype(ctx);
  set_result(ctx, ctx.op("Einsum", {input_as(ctx, args, "self", d), input_as(ctx, args, "other", d)},
                         {{"equation", la + "," + lb + "->" + out}}));
}

// pairwise_distance(Tensor x1, Tensor x2, float p=2, float eps=1e-06, bool keepdim=False):
// the p-norm of x1 - x2 + eps over the last dim (p = 0 counts non-zeros,
// p = inf is the largest magnitude). Reduce* other than ReduceSum take axes
// as an input only from opset 18.
void translate_pairwise_distance(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs a(ctx);
  const double p = a.f64("p"), eps = a.f64("eps");
  const bool keepdim = a.boolean("keepdim");
  if (p < 0) fail(ctx, "p must be non-negative");
  std::string diff =
      ctx.op("Add", {ctx.op("Sub", {input_as(ctx, a, "x1", d), input_as(ctx, a, "x2", d)}), ctx.const_scalar(eps, d)});
  std::string magnitude = ctx.op("Abs", {diff});
  std::string result;
  if (std::isinf(p)) {
    result = reduce(ctx, "ReduceMax", magnitude, {-1}, keepdim, ctx.opset() >= 18);
  } else if (p == 0) {
    std::string nonzero = ctx.op("Not", {ctx.op("Equal", {diff, ctx.const_scalar(0.0, d)})});
    result = reduce(ctx, "ReduceSum", cast(ctx, nonzero, DType::Bool, d), {-1}, keepdim, true);
  } else if (p == 1) {
    result = reduce(ctx, "ReduceSum", magnitude, {-1}, keepdim, true);
  } else if (p == 2) {
    result = ctx.op("Sqrt", {reduce(ctx, "ReduceSum", ctx.op("Mul", {diff, diff}), {-1}, keepdim, true)});
  } else {
    std::string powered = ctx.op("Pow", {magnitude, ctx.const_scalar(p, d)});
    result = ctx.op("Pow", {reduce(ctx, "ReduceSum", powered, {-1}, keepdim, true), ctx.const_scalar(1.0 / p, d)});
  }
  set_result(ctx, result);
}

// frobenius_norm(Tensor self) / frobenius_norm.dim(Tensor self, int[1] dim, bool keepdim=False):
// Sqrt(ReduceSum(x * x)) over dim (every dim without one).
void translate_frobenius_norm(TranslateContext& ctx) {
  const NodeArgs args(ctx);
  const bool has_dim = args.schema().argument_index("dim").has_value();  // frobenius_norm.dim
  const int64_t rank = rank_of(ctx, args, "self");
  std::vector<int64_t> axes = has_dim ? args.ints("dim") : std::vector<int64_t>{};
  for (int64_t& a : axes) a = normalize_dim(ctx, a, std::max<int64_t>(rank, 1));
  if (rank == 0) axes.clear();
  const bool keepdim = has_dim && args.boolean("keepdim");
  std::string x = args.input("self");
  set_result(ctx, ctx.op("Sqrt", {reduce(ctx, "ReduceSum", ctx.op("Mul", {x, x}), axes, keepdim, true)}));
}

// det(Tensor self) / linalg_det(Tensor A): Det; logdet(Tensor self): Log(Det)
// (NaN for a negative determinant, -inf for zero, as torch).
template <bool Log>
void translate_det(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string det = ctx.op("Det", {a.input(schema_arg_name(ctx, a, 0))});
  set_result(ctx, Log ? ctx.op("Log", {det}) : det);
}

// linalg_matrix_norm(Tensor self, Scalar ord, int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None)
// linalg_matrix_norm.str_ord(Tensor self, str ord='fro', ...): 'fro' is
// Sqrt(ReduceSum(x * x)); 1 / -1 ReduceSum(|x|) down dim[0], then ReduceMax /
// ReduceMin along dim[1]; inf / -inf the same with the dims swapped. 2, -2 and
// 'nuc' need singular values (the op library refuses them). ReduceMax/Min take
// axes as an input only from opset 18.
void translate_matrix_norm(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const std::vector<int64_t> dims = a.ints("dim");
  if (dims.size() != 2) fail(ctx, "dim must name 2 dims");
  const int64_t d0 = normalize_dim(ctx, dims[0], rank), d1 = normalize_dim(ctx, dims[1], rank);
  const bool keepdim = a.boolean("keepdim");
  const DType d = output_dtype(ctx);
  std::string x = cast(ctx, a.input("self"), arg_dtype(ctx, a, "self"), d);
  // The .str_ord overload takes ord as a string ('fro').
  if (a.schema().arguments[*a.schema().argument_index("ord")].type.kind == SchemaType::Kind::Str) {
    const std::string name = a.str("ord");
    if (name != "fro") fail(ctx, "ord='" + name + "' is not supported ('fro', 1, -1, inf, -inf are)");
    set_result(ctx, ctx.op("Sqrt", {reduce(ctx, "ReduceSum", ctx.op("Mul", {x, x}), {d0, d1}, keepdim, true)}));
    return;
  }
  const double ord = a.f64("ord");
  if (std::abs(ord) != 1 && !std::isinf(ord)) fail(ctx, "ord is not supported (1, -1, inf, -inf, 'fro' are)");
  const int64_t sum_dim = std::isinf(ord) ? d1 : d0, pick_dim = std::isinf(ord) ? d0 : d1;
  std::string sums = reduce(ctx, "ReduceSum", ctx.op("Abs", {x}), {sum_dim}, true, true);
  std::string picked = reduce(ctx, ord > 0 ? "ReduceMax" : "ReduceMin", sums, {pick_dim}, true, ctx.opset() >= 18);
  set_result(ctx, keepdim ? picked : squeeze(ctx, picked, {std::min(d0, d1), std::max(d0, d1)}));
}

}  // namespace

void register_composite(Registrar& r) {
  add(r, "aten::cross", translate_cross<false>, kMinOpset, kOpenEnded, "Gathers of the rotated components, Mul, Sub");
  add(r, "aten::linalg_cross", translate_cross<true>, kMinOpset, kOpenEnded, "Gathers of the rotated components, Mul, Sub");
  add(r, "aten::cosine_similarity", translate_cosine_similarity, kMinOpset, kOpenEnded, "ReduceSum, Max(eps^2), Sqrt, Div");
  add(r, "aten::aminmax", translate_aminmax<false>, kMinOpset, 17, "ReduceMin, ReduceMax (axes attribute)");
  add(r, "aten::aminmax", translate_aminmax<true>, 18, kOpenEnded, "ReduceMin, ReduceMax (axes input)");
  add(r, "aten::outer", translate_outer, kMinOpset, kOpenEnded, "Unsqueeze both, Mul");
  add(r, "aten::addcmul", translate_addcmul, kMinOpset, kOpenEnded, "Mul, Mul, Add");
  add(r, "aten::lerp", translate_lerp, kMinOpset, kOpenEnded, "both of torch's forms, Where(|w| < 0.5)");
  add(r, "aten::tensordot", translate_tensordot, kMinOpset, kOpenEnded, "Einsum");
  add(r, "aten::pairwise_distance", translate_pairwise_distance, kMinOpset, kOpenEnded, "Sub, Add(eps), p-norm over the last dim");
  add(r, "aten::frobenius_norm", translate_frobenius_norm, kMinOpset, kOpenEnded, "Mul, ReduceSum, Sqrt");
  add(r, "aten::linalg_matrix_norm", translate_matrix_norm, kMinOpset, kOpenEnded,
      "'fro': Mul, ReduceSum, Sqrt; +-1, +-inf: ReduceSum(Abs), ReduceMax/Min");
  add(r, "aten::det", translate_det<false>, kMinOpset, kOpenEnded, "Det");
  add(r, "aten::linalg_det", translate_det<false>, kMinOpset, kOpenEnded, "Det");
  add(r, "aten::logdet", translate_det<true>, kMinOpset, kOpenEnded, "Det, Log");
}

}  // namespace onnxport::aten
