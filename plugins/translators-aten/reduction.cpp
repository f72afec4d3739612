// Reductions, arg-reductions and softmax.
//
// ONNX moved `axes` from an attribute to an input at different opsets:
// ReduceSum at 13, every other Reduce* at 18. Translators of the other
// Reduce* ops are therefore registered twice, for [13, 17] (attribute) and
// [18, ...) (input), as the `AxesAsInput` template parameter selects.
//
// Arguments are read by name, bound to the op's schema (NodeArgs,
// docs/architecture.md §4a); an overload is told apart by the arguments its
// schema has (`dim`, `other`, `unbiased`), not by how many the node passes.
#include "families.hpp"

#include <cmath>

namespace onnxport::aten {
namespace {

constexpr bool kAxesAttribute = false;
constexpr bool kAxesInput = true;

// True when the bound overload has an argument of this name.
bool takes(const NodeArgs& a, std::string_view name) { return a.schema().argument_index(name).has_value(); }

// Reduction dims: the `dim` argument (int, int[1] or int[1]?); an overload
// without one, None and [] mean every dim.
std::vector<int64_t> reduction_axes(TranslateContext& ctx, const NodeArgs& a) {
  std::vector<int64_t> axes;
  if (!takes(a, "dim")) return axes;
  if (auto dims = a.optional_ints("dim")) {
    const int64_t rank = rank_of(ctx, a, "self");
    for (int64_t d : *dims) axes.push_back(normalize_dim(ctx, d, rank));
  }
  return axes;
}

// keepdim, false for the overloads without one.
bool keepdim_of(const NodeArgs& a) { return takes(a, "keepdim") && a.boolean("keepdim"); }

// The reduced input: cast to the dtype argument if one is given, else to the
// output dtype (torch sums bools and small ints as int64).
std::string reduction_input(TranslateContext& ctx, const NodeArgs& a) {
  std::optional<DType> d = takes(a, "dtype") ? a.dtype("dtype") : std::nullopt;
  return input_as(ctx, a, "self", d.value_or(output_dtype(ctx)));
}

// ONNX Reduce{Max,Min,Prod} have no bool kernels in ONNX Runtime: reduce as
// int32 and cast back.
std::string reduce_any_dtype(TranslateContext& ctx, std::string_view op, const std::string& x, DType dtype,
                             const std::vector<int64_t>& axes, bool keepdims, bool axes_as_input) {
  if (dtype != DType::Bool) return reduce(ctx, op, x, axes, keepdims, axes_as_input);
  std::string r = reduce(ctx, op, cast_to(ctx, x, DType::Int32), axes, keepdims, axes_as_input);
  return cast_to(ctx, r, DType::Bool);
}

// sum(Tensor self, *, ScalarType? dtype=None)
// sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)
// ReduceSum takes axes as an input from opset 13 on, so one translator serves 13+.
void translate_sum(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string x = reduction_input(ctx, a);
  set_result(ctx, reduce(ctx, "ReduceSum", x, reduction_axes(ctx, a), keepdim_of(a), kAxesInput));
}

// mean(Tensor self, *, ScalarType? dtype=None)
// mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)
template <bool AxesAsInput>
void translate_mean(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string x = reduction_input(ctx, a);
  set_result(ctx, reduce(ctx, "ReduceMean", x, reduction_axes(ctx, a), keepdim_of(a), AxesAsInput));
}

// prod(Tensor self, *, ScalarType? dtype=None)
// prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None)
template <bool AxesAsInput>
void translate_prod(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string x = reduction_input(ctx, a);
  set_result(ctx, reduce_any_dtype(ctx, "ReduceProd", x, output_dtype(ctx), reduction_axes(ctx, a), keepdim_of(a),
                                   AxesAsInput));
}

// amax/amin(Tensor self, int[1] dim=[], bool keepdim=False)
template <bool AxesAsInput, bool IsMax>
void translate_amax(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, reduce_any_dtype(ctx, IsMax ? "ReduceMax" : "ReduceMin", a.input("self"), arg_dtype(ctx, a, "self"),
                                   reduction_axes(ctx, a), keepdim_of(a), AxesAsInput));
}

// max(Tensor self)                                   -> the maximum over everything
// max.other(Tensor self, Tensor other)               -> elementwise
// max.dim(Tensor self, int dim, bool keepdim=False)  -> (values, indices)
template <bool AxesAsInput, bool IsMax>
void translate_max(TranslateContext& ctx) {
  const char* reduce_op = IsMax ? "ReduceMax" : "ReduceMin";
  const NodeArgs a(ctx);
  DType d = arg_dtype(ctx, a, "self");
  if (takes(a, "other")) {
    DType common = result_type(ctx, a, {"self", "other"});
    std::string r = ctx.op(IsMax ? "Max" : "Min", {input_as(ctx, a, "self", common), input_as(ctx, a, "other", common)});
    set_result(ctx, cast(ctx, r, common, output_dtype(ctx)));
    return;
  }
  if (!takes(a, "dim")) {
    set_result(ctx, reduce_any_dtype(ctx, reduce_op, a.input("self"), d, {}, false, AxesAsInput));
    return;
  }
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  const bool keepdim = a.boolean("keepdim");
  std::string x = a.input("self");
  ctx.set_output(0, reduce_any_dtype(ctx, reduce_op, x, d, {axis}, keepdim, AxesAsInput));
  if (ctx.node().outputs.size() > 1) {
    std::string arg_input = d == DType::Bool ? cast_to(ctx, x, DType::Int32) : x;
    ctx.set_output(1, ctx.op(IsMax ? "ArgMax" : "ArgMin", {arg_input},
                             {{"axis", axis}, {"keepdims", int64_t{keepdim ? 1 : 0}}}));
  }
}

// argmax/argmin(Tensor self, int? dim=None, bool keepdim=False)
template <bool IsMax>
void translate_argmax(TranslateContext& ctx) {
  const char* op = IsMax ? "ArgMax" : "ArgMin";
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const bool keepdim = a.boolean("keepdim");
  std::string x = a.input("self");
  if (arg_dtype(ctx, a, "self") == DType::Bool) x = cast_to(ctx, x, DType::Int32);
  if (!a.has("dim")) {
    // Over the flattened tensor; keepdim keeps a 1 for every dim.
    std::string r = ctx.op(op, {reshape(ctx, x, {-1})}, {{"axis", int64_t{0}}, {"keepdims", int64_t{0}}});
    set_result(ctx, keepdim ? reshape(ctx, r, std::vector<int64_t>(static_cast<size_t>(rank), 1)) : r);
    return;
  }
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank);
  set_result(ctx, ctx.op(op, {x}, {{"axis", axis}, {"keepdims", int64_t{keepdim ? 1 : 0}}}));
}

// all/any(Tensor self) and all.dim/any.dim(Tensor self, int dim, bool keepdim=False):
// ONNX has no boolean reductions, so reduce "is non-zero" as int32 with Min / Max.
template <bool AxesAsInput, bool IsAll>
void translate_all(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string truth = cast_to(ctx, input_as(ctx, a, "self", DType::Bool), DType::Int32);
  std::string r =
      reduce(ctx, IsAll ? "ReduceMin" : "ReduceMax", truth, reduction_axes(ctx, a), keepdim_of(a), AxesAsInput);
  set_result(ctx, cast_to(ctx, r, output_dtype(ctx)));
}

// norm.Scalar(Tensor self, Scalar p=2)
// norm.ScalarOpt_dim(Tensor self, Scalar? p, int[1] dim, bool keepdim=False[, *, ScalarType dtype])
// linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)
// linalg_norm(Tensor self, Scalar? ord | str ord, int[1]? dim, bool keepdim, *, ScalarType? dtype): the
// vector-norm cases the op library captures (ord None or 'fro' is the 2-norm).
// p = 1, 2: ReduceL1/L2; inf/-inf: max/min of |x|; 0: count of non-zeros;
// other p: (sum |x|^p)^(1/p).
template <bool AxesAsInput>
void translate_norm(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  // The order is `p` (norm) or `ord` (linalg_*); None, and linalg_norm's
  // str ord ('fro' on vectors), are the 2-norm.
  const std::string_view order = takes(a, "p") ? "p" : "ord";
  double p = 2.0;
  if (a.has(order) && a.schema().arguments[*a.schema().argument_index(order)].type.kind != SchemaType::Kind::Str)
    p = a.f64(order);
  std::vector<int64_t> axes = reduction_axes(ctx, a);
  const bool keepdim = keepdim_of(a);
  const DType d = output_dtype(ctx);
  std::string x = input_as(ctx, a, "self", d);  // a dtype argument converts the input first, as torch does
  std::string r;
  if (p == 2.0) {
    r = reduce(ctx, "ReduceL2", x, axes, keepdim, AxesAsInput);
  } else if (p == 1.0) {
    r = reduce(ctx, "ReduceL1", x, axes, keepdim, AxesAsInput);
  } else if (std::isinf(p)) {
    r = reduce(ctx, p > 0 ? "ReduceMax" : "ReduceMin", ctx.op("Abs", {x}), axes, keepdim, AxesAsInput);
  } else if (p == 0.0) {
    std::string nonzero = ctx.op("Not", {ctx.op("Equal", {x, ctx.const_scalar(0, d)})});
    r = reduce(ctx, "ReduceSum", cast_to(ctx, nonzero, d), axes, keepdim, true);
  } else {
    std::string powered = ctx.op("Pow", {ctx.op("Abs", {x}), ctx.const_scalar(p, d)});
    r = ctx.op("Pow", {reduce(ctx, "ReduceSum", powered, axes, keepdim, true), ctx.const_scalar(1.0 / p, d)});
  }
  set_result(ctx, r);
}

// softmax/log_softmax(Tensor self, int dim, ScalarType? dtype=None); opset 13
// Softmax normalizes along one axis, as torch does.
template <bool IsLog>
void translate_softmax(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  std::string x = reduction_input(ctx, a);
  set_result(ctx, ctx.op(IsLog ? "LogSoftmax" : "Softmax", {x}, {{"axis", axis}}));
}

// logsumexp(Tensor self, int[1] dim, bool keepdim=False)
template <bool AxesAsInput>
void translate_logsumexp(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string x = input_as(ctx, a, "self", output_dtype(ctx));
  set_result(ctx, reduce(ctx, "ReduceLogSumExp", x, reduction_axes(ctx, a), a.boolean("keepdim"), AxesAsInput));
}

// var/std(Tensor self, bool unbiased=True)
// (var_mean/std_mean take the same arguments and return (var or std, mean).)
// var/std.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False)
// var/std.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)
// = sum((x - mean)^2) / max(count - correction, 0), count = elements per slot.
template <bool AxesAsInput, bool Sqrt>
void translate_variance(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  const int64_t rank = rank_of(ctx, args, "self");
  const std::vector<int64_t> axes = reduction_axes(ctx, args);
  // unbiased (var, var.dim) or correction (var.correction, where None is 1).
  // A bool parameter also takes an int, so a var.correction node
  // (x, dim, 2, keepdim) also binds to var.dim, which comes first: an int
  // where `unbiased` is is that node's correction, not a truth value.
  int64_t correction = 1;
  if (takes(args, "unbiased")) {
    const Arg& unbiased = args.arg("unbiased");
    const bool is_int = unbiased.is_constant() && unbiased.constant.is_number_integer();
    correction = is_int ? unbiased.constant.get<int64_t>() : (args.boolean("unbiased") ? 1 : 0);
  } else {
    correction = args.optional_i64("correction").value_or(1);
  }
  const bool keepdim = keepdim_of(args);
  std::vector<int64_t> all_axes = axes;
  if (all_axes.empty())
    for (int64_t k = 0; k < rank; ++k) all_axes.push_back(k);
  std::string x = input_as(ctx, args, "self", d);
  std::string centered = ctx.op("Sub", {x, reduce(ctx, "ReduceMean", x, axes, true, AxesAsInput)});
  std::string squares = reduce(ctx, "ReduceSum", ctx.op("Mul", {centered, centered}), axes, keepdim, true);
  // Elements per output slot: static when every reduced dim is.
  std::optional<int64_t> count = 1;
  for (int64_t a : all_axes) {
    auto size = static_dim(ctx, args, "self", a);
    count = size && count ? std::optional<int64_t>(*count * *size) : std::nullopt;
  }
  std::string denom;
  if (count) {
    denom = ctx.const_scalar(static_cast<double>(std::max<int64_t>(*count - correction, 0)), d);
  } else {
    std::string sizes = ctx.op("Gather", {shape_of(ctx, x), ctx.const_i64(all_axes)}, {{"axis", int64_t{0}}});
    std::string n = reduce(ctx, "ReduceProd", sizes, {}, false, AxesAsInput);
    std::string n_minus = ctx.op("Sub", {n, ctx.const_scalar(static_cast<double>(correction), DType::Int64)});
    denom = cast_to(ctx, ctx.op("Max", {n_minus, ctx.const_scalar(0, DType::Int64)}), d);
  }
  std::string var = ctx.op("Div", {squares, denom});
  set_result(ctx, Sqrt ? ctx.op("Sqrt", {var}) : var);
  // var_mean/std_mean: the mean is the second output.
  if (ctx.node().outputs.size() >= 2) bind_output(ctx, 1, reduce(ctx, "ReduceMean", x, axes, keepdim, AxesAsInput));
}

// Registers `fn<false>` for opsets 13-17 and `fn<true>` from 18.
template <void (*Before18)(TranslateContext&), void (*From18)(TranslateContext&)>
void add_by_axes_form(Registrar& r, const std::string& op, const std::string& onnx_op) {
  add(r, op, Before18, kMinOpset, 17, onnx_op + " with axes as an attribute");
  add(r, op, From18, 18, kOpenEnded, onnx_op + " with axes as an input");
}

}  // namespace

void register_reduction(Registrar& r) {
  add(r, "aten::sum", translate_sum, kMinOpset, kOpenEnded, "ReduceSum with axes as an input");
  add_by_axes_form<translate_mean<kAxesAttribute>, translate_mean<kAxesInput>>(r, "aten::mean", "ReduceMean");
  add_by_axes_form<translate_prod<kAxesAttribute>, translate_prod<kAxesInput>>(r, "aten::prod", "ReduceProd");
  add_by_axes_form<translate_amax<kAxesAttribute, true>, translate_amax<kAxesInput, true>>(r, "aten::amax",
                                                                                           "ReduceMax");
  add_by_axes_form<translate_amax<kAxesAttribute, false>, translate_amax<kAxesInput, false>>(r, "aten::amin",
                                                                                             "ReduceMin");
  add_by_axes_form<translate_max<kAxesAttribute, true>, translate_max<kAxesInput, true>>(r, "aten::max",
                                                                                         "ReduceMax");
  add_by_axes_form<translate_max<kAxesAttribute, false>, translate_max<kAxesInput, false>>(r, "aten::min",
                                                                                           "ReduceMin");
  add_by_axes_form<translate_all<kAxesAttribute, true>, translate_all<kAxesInput, true>>(r, "aten::all",
                                                                                         "ReduceMin");
  add_by_axes_form<translate_all<kAxesAttribute, false>, translate_all<kAxesInput, false>>(r, "aten::any",
                                                                                           "ReduceMax");
  add_by_axes_form<translate_norm<kAxesAttribute>, translate_norm<kAxesInput>>(r, "aten::norm", "ReduceL2/L1");
  add_by_axes_form<translate_norm<kAxesAttribute>, translate_norm<kAxesInput>>(r, "aten::linalg_vector_norm",
                                                                               "ReduceL2/L1");
  add_by_axes_form<translate_norm<kAxesAttribute>, translate_norm<kAxesInput>>(r, "aten::linalg_norm",
                                                                               "ReduceL2/L1");
  add_by_axes_form<translate_logsumexp<kAxesAttribute>, translate_logsumexp<kAxesInput>>(r, "aten::logsumexp",
                                                                                        "ReduceLogSumExp");
  add_by_axes_form<translate_variance<kAxesAttribute, false>, translate_variance<kAxesInput, false>>(
      r, "aten::var", "ReduceMean/ReduceSum");
  add_by_axes_form<translate_variance<kAxesAttribute, true>, translate_variance<kAxesInput, true>>(
      r, "aten::std", "ReduceMean/ReduceSum, Sqrt");
  add_by_axes_form<translate_variance<kAxesAttribute, false>, translate_variance<kAxesInput, false>>(
      r, "aten::var_mean", "ReduceMean/ReduceSum");
  add_by_axes_form<translate_variance<kAxesAttribute, true>, translate_variance<kAxesInput, true>>(
      r, "aten::std_mean", "ReduceMean/ReduceSum, Sqrt");
  add(r, "aten::argmax", translate_argmax<true>);
  add(r, "aten::argmin", translate_argmax<false>);
  add(r, "aten::softmax", translate_softmax<false>);
  add(r, "aten::log_softmax", translate_softmax<true>);
}

}  // namespace onnxport::aten
