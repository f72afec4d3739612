// Activations that need more than one ONNX op or an argument rearranged
// (prelu, glu, threshold, log_sigmoid, hardshrink, softshrink),
// and the non-finite value ops (isnan, isinf, nan_to_num).
//
// Arguments are read by name, bound to the op's schema (NodeArgs,
// docs/architecture.md §4a).
#include "families.hpp"

#include <limits>

namespace onnxport::aten {
namespace {

// prelu(Tensor self, Tensor weight): weight has 1 or C (dim 1) entries. ONNX
// PRelu broadcasts the slope from the right, so a per-channel weight becomes
// [C, 1, ..., 1] (one 1 per spatial dim).
void translate_prelu(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const int64_t weight_rank = rank_of(ctx, a, "weight");
  if (weight_rank > 1) fail(ctx, "weight must be 0-D or 1-D, got rank " + std::to_string(weight_rank));
  const DType d = arg_dtype(ctx, a, "self");
  std::string slope = input_as(ctx, a, "weight", d);
  const std::optional<int64_t> count =
      weight_rank == 0 ? std::optional<int64_t>(1) : static_dim(ctx, a, "weight", 0);
  if (!count) fail(ctx, "the number of weights must be static");
  if (*count == 1) {
    slope = reshape(ctx, slope, {});  // one slope for every element
  } else {
    if (rank < 2) fail(ctx, "a per-channel weight needs an input with a channel dim (rank >= 2)");
    std::vector<int64_t> per_channel(static_cast<size_t>(rank - 1), 1);
    per_channel[0] = -1;
    slope = reshape(ctx, slope, per_channel);
  }
  set_result(ctx, ctx.op("PRelu", {a.input("self"), slope}));
}

// Slice of `x` along `axis` over [start, end) (1-D int64 names).
std::string slice_axis(TranslateContext& ctx, const std::string& x, const std::string& start, const std::string& end,
                       int64_t axis) {
  return ctx.op("Slice", {x, start, end, ctx.const_i64({axis})});
}

// glu(Tensor self, int dim=-1): first half * sigmoid(second half) along dim.
void translate_glu(TranslateContext& ctx) {
  const NodeArgs args(ctx);
  const int64_t rank = rank_of(ctx, args, "self");
  if (rank == 0) fail(ctx, "glu does not take a 0-D tensor");
  const int64_t dim = normalize_dim(ctx, args.i64("dim"), rank);
  std::string x = args.input("self");
  std::string half, full;
  if (auto size = static_dim(ctx, args, "self", dim)) {
    if (*size % 2 != 0) fail(ctx, "glu halves dim " + std::to_string(dim) + ", but its size " + std::to_string(*size) + " is odd");
    half = ctx.const_i64({*size / 2});
    full = ctx.const_i64({*size});
  } else {
    full = ctx.op("Gather", {shape_of(ctx, x), ctx.const_i64({dim})}, {{"axis", int64_t{0}}});
    half = ctx.op("Div", {full, ctx.const_i64({2})});
  }
  std::string a = slice_axis(ctx, x, ctx.const_i64({0}), half, dim);
  std::string b = slice_axis(ctx, x, half, full, dim);
  set_result(ctx, ctx.op("Mul", {a, ctx.op("Sigmoid", {b})}));
}

// threshold(Tensor self, Scalar threshold, Scalar value): x > threshold ? x : value.
void translate_threshold(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, "self");
  std::string x = a.input("self");
  std::string above = ctx.op("Greater", {x, input_as(ctx, a, "threshold", d)});
  set_result(ctx, ctx.op("Where", {above, x, input_as(ctx, a, "value", d)}));
}

// log_sigmoid(Tensor self) = -softplus(-x): finite for very negative x, where
// Log(Sigmoid(x)) underflows to -inf.
void translate_log_sigmoid(TranslateContext& ctx) {
  std::string x = input_as(ctx, NodeArgs(ctx), "self", output_dtype(ctx));
  set_result(ctx, ctx.op("Neg", {ctx.op("Softplus", {ctx.op("Neg", {x})})}));
}

// hardshrink(Tensor self, Scalar lambd=0.5): x where |x| > lambd, else 0.
// softshrink(Tensor self, Scalar lambd=0.5): x -+ lambd outside [-lambd, lambd], else 0.
// ONNX Shrink is both (bias 0 and bias lambd); hardshrink keeps NaN.
template <bool Soft>
void translate_shrink(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const double lambd = a.f64("lambd");
  if (Soft && lambd < 0) fail(ctx, "lambd must be non-negative, got " + std::to_string(lambd));
  std::string x = a.input("self");
  std::string shrunk = ctx.op("Shrink", {x}, {{"lambd", lambd}, {"bias", Soft ? lambd : 0.0}});
  // Shrink maps NaN to 0 (both comparisons fail), as torch's softshrink
  // does; torch's hardshrink keeps NaN.
  set_result(ctx, Soft ? shrunk : ctx.op("Where", {ctx.op("Equal", {x, x}), shrunk, x}));
}

// scale * (x > 0 ? x : alpha * (exp(x / divisor) - 1)): selu (divisor 1) and
// celu (scale 1, divisor alpha). Decomposed: ONNX Runtime's Selu and Celu take
// float32 only. Where keeps NaN (the exp branch), as torch does.
std::string exponential_unit(TranslateContext& ctx, double alpha, double scale, double divisor) {
  const DType d = output_dtype(ctx);
  std::string x = input_as(ctx, NodeArgs(ctx), "self", d);
  std::string a = ctx.const_scalar(alpha, d);
  std::string scaled = divisor == 1.0 ? x : ctx.op("Div", {x, ctx.const_scalar(divisor, d)});
  std::string neg = ctx.op("Mul", {a, ctx.op("Sub", {ctx.op("Exp", {scaled}), ctx.const_scalar(1.0, d)})});
  std::string y = ctx.op("Where", {ctx.op("Greater", {x, ctx.const_scalar(0.0, d)}), x, neg});
  return scale == 1.0 ? y : ctx.op("Mul", {y, ctx.const_scalar(scale, d)});
}

// selu(Tensor self), with torch's constants.
void translate_selu(TranslateContext& ctx) {
  set_result(ctx, exponential_unit(ctx, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0));
}

// celu(Tensor self, Scalar alpha=1.0)
void translate_celu(TranslateContext& ctx) {
  const double alpha = NodeArgs(ctx).f64("alpha");
  if (alpha == 0) fail(ctx, "alpha must not be 0 (celu divides by it)");
  set_result(ctx, exponential_unit(ctx, alpha, 1.0, alpha));
}

// resolve_conj / resolve_neg / conj_physical(Tensor self): the identity on real tensors.
void translate_identity(TranslateContext& ctx) {
  set_result(ctx, ctx.op("Identity", {NodeArgs(ctx).input("self")}));
}

// ---- non-finite values ----------------------------------------------------------

// The tested operand: `self`, or `a` on the overloads of one Python float
// (isnan.float ...).
std::string operand(TranslateContext& ctx, const NodeArgs& a) { return a.input(schema_arg_name(ctx, a, 0)); }

// IsNaN / IsInf take float and double in ONNX Runtime: half types are
// widened first. Integers and bools are never NaN or infinite.
std::string as_checkable_float(TranslateContext& ctx, const NodeArgs& a, DType d) {
  return cast(ctx, operand(ctx, a), d, d == DType::Float64 ? DType::Float64 : DType::Float32);
}

std::string all_false(TranslateContext& ctx, const NodeArgs& a) {
  std::string x = operand(ctx, a);
  // Equal(x, x) is true everywhere for integers and bools.
  return ctx.op("Not", {ctx.op("Equal", {x, x})});
}

// isnan(Tensor self) -> Tensor(bool)
void translate_isnan(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, schema_arg_name(ctx, a, 0));
  set_result(ctx, is_floating(d) ? ctx.op("IsNaN", {as_checkable_float(ctx, a, d)}) : all_false(ctx, a));
}

// isinf(Tensor self) -> Tensor(bool)
void translate_isinf(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, schema_arg_name(ctx, a, 0));
  set_result(ctx, is_floating(d) ? ctx.op("IsInf", {as_checkable_float(ctx, a, d)}) : all_false(ctx, a));
}

// isposinf / isneginf(Tensor self) -> Tensor(bool): IsInf of one sign.
template <bool Positive>
void translate_isinf_signed(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, "self");
  if (!is_floating(d)) {
    set_result(ctx, all_false(ctx, a));
    return;
  }
  set_result(ctx, ctx.op("IsInf", {as_checkable_float(ctx, a, d)},
                         {{"detect_positive", int64_t{Positive ? 1 : 0}}, {"detect_negative", int64_t{Positive ? 0 : 1}}}));
}

// isreal(Tensor self) -> Tensor(bool): true everywhere (no complex tensors here).
void translate_isreal(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("Not", {all_false(ctx, a)}));
}

// signbit(Tensor self) -> Tensor(bool): x < 0, and -0.0 (1 / -0.0 = -inf) for
// floats; false for bools. (The sign bit of a NaN is not looked at.)
void translate_signbit(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, "self");
  if (d == DType::Bool) {
    set_result(ctx, all_false(ctx, a));
    return;
  }
  const std::string x = a.input("self");
  const std::string zero = ctx.const_scalar(0, d);
  std::string negative = ctx.op("Less", {x, zero});
  if (is_floating(d)) {
    const std::string negative_zero =
        ctx.op("And", {ctx.op("Equal", {x, zero}), ctx.op("Less", {ctx.op("Reciprocal", {x}), zero})});
    negative = ctx.op("Or", {negative, negative_zero});
  }
  set_result(ctx, negative);
}

// The largest finite value of a floating dtype (nan_to_num's default for +inf).
double finite_max(DType d) {
  switch (d) {
    case DType::Float16: return 65504.0;
    case DType::BFloat16: return 3.3895313892515355e38;
    case DType::Float32: return std::numeric_limits<float>::max();
    default: return std::numeric_limits<double>::max();
  }
}

// isfinite(Tensor self) -> Tensor(bool): neither NaN nor infinite (true for integers).
void translate_isfinite(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, schema_arg_name(ctx, a, 0));
  if (!is_floating(d)) {
    std::string x = operand(ctx, a);
    set_result(ctx, ctx.op("Equal", {x, x}));
    return;
  }
  std::string checked = as_checkable_float(ctx, a, d);
  set_result(ctx, ctx.op("Not", {ctx.op("Or", {ctx.op("IsNaN", {checked}), ctx.op("IsInf", {checked})})}));
}

// nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None):
// NaN -> nan (0), +inf -> posinf (the dtype's max), -inf -> neginf (the dtype's lowest).
void translate_nan_to_num(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, "self");
  if (!is_floating(d)) {  // nothing to replace in integers and bools
    set_result(ctx, ctx.op("Identity", {a.input("self")}));
    return;
  }
  // None means torch's replacement: 0 for NaN, the dtype's extremes for infinities.
  const double nan = a.optional_f64("nan").value_or(0.0);
  const double posinf = a.optional_f64("posinf").value_or(finite_max(d));
  const double neginf = a.optional_f64("neginf").value_or(-finite_max(d));
  std::string x = a.input("self");
  std::string checked = as_checkable_float(ctx, a, d);
  std::string y = ctx.op("Where", {ctx.op("IsNaN", {checked}), ctx.const_scalar(nan, d), x});
  y = ctx.op("Where", {ctx.op("IsInf", {checked}, {{"detect_negative", int64_t{0}}}), ctx.const_scalar(posinf, d), y});
  y = ctx.op("Where", {ctx.op("IsInf", {checked}, {{"detect_positive", int64_t{0}}}), ctx.const_scalar(neginf, d), y});
  set_result(ctx, y);
}

}  // namespace

void register_activations(Registrar& r) {
  add(r, "aten::prelu", translate_prelu, kMinOpset, kOpenEnded, "PRelu with the weight as [C, 1, ...]");
  add(r, "aten::glu", translate_glu, kMinOpset, kOpenEnded, "two Slices, Sigmoid, Mul");
  add(r, "aten::threshold", translate_threshold, kMinOpset, kOpenEnded, "Greater, Where");
  add(r, "aten::log_sigmoid", translate_log_sigmoid, kMinOpset, kOpenEnded, "-Softplus(-x)");
  add(r, "aten::hardshrink", translate_shrink<false>, kMinOpset, kOpenEnded, "Shrink(bias=0)");
  add(r, "aten::softshrink", translate_shrink<true>, kMinOpset, kOpenEnded, "Shrink(bias=lambd)");
  add(r, "aten::isnan", translate_isnan, kMinOpset, kOpenEnded, "IsNaN (false for integers)");
  add(r, "aten::isinf", translate_isinf, kMinOpset, kOpenEnded, "IsInf (false for integers)");
  add(r, "aten::isposinf", translate_isinf_signed<true>, kMinOpset, kOpenEnded, "IsInf of +inf (false for integers)");
  add(r, "aten::isneginf", translate_isinf_signed<false>, kMinOpset, kOpenEnded, "IsInf of -inf (false for integers)");
  add(r, "aten::isreal", translate_isreal, kMinOpset, kOpenEnded, "all true (real tensors only)");
  add(r, "aten::signbit", translate_signbit, kMinOpset, kOpenEnded, "Less than 0, or -0.0 by its reciprocal");
  add(r, "aten::nan_to_num", translate_nan_to_num, kMinOpset, kOpenEnded, "IsNaN, IsInf, Where");
  add(r, "aten::isfinite", translate_isfinite, kMinOpset, kOpenEnded, "Not(IsNaN or IsInf) (true for integers)");
  add(r, "aten::selu", translate_selu, kMinOpset, kOpenEnded, "Greater, Exp, Where, Mul (ONNX Runtime's Selu is float32-only)");
  add(r, "aten::celu", translate_celu, kMinOpset, kOpenEnded, "Greater, Exp, Where (ONNX Runtime's Celu is float32-only)");
  add(r, "aten::resolve_conj", translate_identity, kMinOpset, kOpenEnded, "Identity (real tensors)");
  add(r, "aten::resolve_neg", translate_identity, kMinOpset, kOpenEnded, "Identity (real tensors)");
  add(r, "aten::conj_physical", translate_identity, kMinOpset, kOpenEnded, "Identity (real tensors)");
}

}  // namespace onnxport::aten
