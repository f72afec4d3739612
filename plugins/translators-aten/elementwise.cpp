// Elementwise ops: arithmetic, comparisons, logic, activations.
//
// Binary ops compute in torch's result type (torch.result_type of the two
// operands), so `x * 2` on a float32 tensor multiplies by a float32 constant
// and `int_tensor / 2` divides in float32.
//
// Arguments are read by name, bound to the op's schema (NodeArgs,
// docs/architecture.md §4a). Overloads on Python numbers name their operands
// `a` and `b` where the tensor overloads say `self` and `other`, so binary ops
// take the bound schema's first two arguments, whatever it calls them.
#include "families.hpp"

#include <cmath>
#include <numbers>

namespace onnxport::aten {
namespace {

// The node's output 0 is `name`, computed in `computed`; a Cast reconciles it
// with the graph's dtype when the two disagree (e.g. an op ONNX evaluates in
// another type than torch reports).
void finish(TranslateContext& ctx, const std::string& name, DType computed) {
  set_result(ctx, cast(ctx, name, computed, output_dtype(ctx)));
}

// Both operands of a binary op as ONNX names in the common dtype.
struct Operands {
  std::string a, b;
  DType dtype;
};

Operands named_operands(TranslateContext& ctx, const NodeArgs& a, std::string_view x, std::string_view y) {
  DType d = result_type(ctx, a, {x, y});
  return {input_as(ctx, a, x, d), input_as(ctx, a, y, d), d};
}

Operands binary_operands(TranslateContext& ctx, const NodeArgs& a) {
  return named_operands(ctx, a, schema_arg_name(ctx, a, 0), schema_arg_name(ctx, a, 1));
}

Operands binary_operands(TranslateContext& ctx) {
  return binary_operands(ctx, NodeArgs(ctx));
}

// other * alpha, with the multiplication left out for alpha == 1 (and for
// the int/float overloads, which have no alpha).
std::string scaled_by_alpha(TranslateContext& ctx, const NodeArgs& a, const std::string& other, DType dtype) {
  if (!a.schema().argument_index("alpha") || !a.has("alpha")) return other;
  if (is_constant(a, "alpha") && a.f64("alpha") == 1.0) return other;
  return ctx.op("Mul", {other, input_as(ctx, a, "alpha", dtype)});
}

// add(Tensor self, Tensor|Scalar other, *, Scalar alpha=1)
void translate_add(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  Operands o = binary_operands(ctx, a);
  if (o.dtype == DType::Bool) {  // bool + bool is logical or in torch
    finish(ctx, ctx.op("Or", {o.a, o.b}), o.dtype);
    return;
  }
  finish(ctx, ctx.op("Add", {o.a, scaled_by_alpha(ctx, a, o.b, o.dtype)}), o.dtype);
}

// sub(Tensor self, Tensor|Scalar other, *, Scalar alpha=1)
void translate_sub(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  Operands o = binary_operands(ctx, a);
  finish(ctx, ctx.op("Sub", {o.a, scaled_by_alpha(ctx, a, o.b, o.dtype)}), o.dtype);
}

// rsub(Tensor self, Tensor|Scalar other, *, Scalar alpha=1) = other - alpha * self
void translate_rsub(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  Operands o = binary_operands(ctx, a);
  finish(ctx, ctx.op("Sub", {o.b, scaled_by_alpha(ctx, a, o.a, o.dtype)}), o.dtype);
}

// mul(Tensor self, Tensor|Scalar other)
void translate_mul(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  if (o.dtype == DType::Bool) {  // ONNX Mul has no bool kernel; bool * bool is "and"
    finish(ctx, ctx.op("And", {o.a, o.b}), o.dtype);
    return;
  }
  finish(ctx, ctx.op("Mul", {o.a, o.b}), o.dtype);
}

// trunc(x) for floats without the (opset-less) Trunc op: sign(x) * floor(|x|).
std::string trunc_float(TranslateContext& ctx, const std::string& x) {
  return ctx.op("Mul", {ctx.op("Sign", {x}), ctx.op("Floor", {ctx.op("Abs", {x})})});
}

// Floor division of integers: ONNX Div truncates toward zero, so step one
// down where the remainder is non-zero and the signs differ.
std::string floor_div_int(TranslateContext& ctx, const std::string& a, const std::string& b, DType dtype) {
  std::string q = ctx.op("Div", {a, b});
  std::string r = ctx.op("Sub", {a, ctx.op("Mul", {q, b})});
  std::string zero = ctx.const_scalar(0, dtype);
  std::string inexact = ctx.op("Not", {ctx.op("Equal", {r, zero})});
  std::string signs_differ = ctx.op("Xor", {ctx.op("Less", {a, zero}), ctx.op("Less", {b, zero})});
  std::string adjust = cast_to(ctx, ctx.op("And", {inexact, signs_differ}), dtype);
  return ctx.op("Sub", {q, adjust});
}

std::string floor_div(TranslateContext& ctx, const Operands& o) {
  if (is_floating(o.dtype)) return ctx.op("Floor", {ctx.op("Div", {o.a, o.b})});
  return floor_div_int(ctx, o.a, o.b, o.dtype);
}

// True when none of the arguments is a tensor: Python numbers (constants,
// SymInt/SymFloat values), as in `x.size(0) / 3` or `a / b` on int inputs.
bool only_scalars(TranslateContext& ctx, const NodeArgs& a, const std::vector<std::string_view>& names) {
  for (std::string_view name : names)
    if (is_tensor_value(ctx, a, name)) return false;
  return true;
}

// div(Tensor self, Tensor|Scalar other, *, str? rounding_mode=None)
void translate_div(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const bool has_mode = a.schema().argument_index("rounding_mode") && a.has("rounding_mode");
  std::optional<std::string> mode = has_mode ? std::optional<std::string>(a.str("rounding_mode")) : std::nullopt;
  if (!mode) {
    // True division: integer tensors divide as float32 (torch's default
    // dtype); two Python numbers (SymInts, ints) as a Python float, float64.
    const std::string_view x = schema_arg_name(ctx, a, 0), y = schema_arg_name(ctx, a, 1);
    DType d = result_type(ctx, a, {x, y});
    if (!is_floating(d)) d = only_scalars(ctx, a, {x, y}) ? DType::Float64 : DType::Float32;
    finish(ctx, ctx.op("Div", {input_as(ctx, a, x, d), input_as(ctx, a, y, d)}), d);
    return;
  }
  Operands o = binary_operands(ctx, a);
  if (*mode == "trunc") {
    std::string q = ctx.op("Div", {o.a, o.b});  // integer Div already truncates
    finish(ctx, is_floating(o.dtype) ? trunc_float(ctx, q) : q, o.dtype);
  } else if (*mode == "floor") {
    finish(ctx, floor_div(ctx, o), o.dtype);
  } else {
    fail(ctx, "unknown rounding_mode '" + *mode + "' (expected 'trunc', 'floor' or None)");
  }
}

// floor_divide(Tensor self, Tensor|Scalar other); floordiv(int a, int b) on SymInts.
void translate_floor_divide(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  finish(ctx, floor_div(ctx, o), o.dtype);
}

// remainder(Tensor self, Tensor|Scalar other): Python's modulo (sign of the divisor).
void translate_remainder(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  if (is_floating(o.dtype)) {
    std::string q = ctx.op("Floor", {ctx.op("Div", {o.a, o.b})});
    finish(ctx, ctx.op("Sub", {o.a, ctx.op("Mul", {q, o.b})}), o.dtype);
  } else {
    finish(ctx, ctx.op("Mod", {o.a, o.b}, {{"fmod", int64_t{0}}}), o.dtype);
  }
}

// fmod(Tensor self, Tensor|Scalar other): C's fmod (sign of the dividend).
void translate_fmod(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  finish(ctx, ctx.op("Mod", {o.a, o.b}, {{"fmod", int64_t{1}}}), o.dtype);
}

// pow(Tensor self, Tensor|Scalar exponent) and pow(Scalar self, Tensor exponent)
void translate_pow(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  finish(ctx, ctx.op("Pow", {o.a, o.b}), o.dtype);
}

// maximum/minimum(Tensor self, Tensor other); max/min(self, other) share it.
template <const char* OnnxOp>
void translate_binary_extreme(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  finish(ctx, ctx.op(OnnxOp, {o.a, o.b}), o.dtype);
}
constexpr char kMax[] = "Max";
constexpr char kMin[] = "Min";

// ---- comparisons and logic ------------------------------------------------

template <const char* OnnxOp, bool Negate = false>
void translate_compare(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  // Greater/Less (and their OrEqual forms) take no bool operands in ONNX;
  // PyTorch orders false < true, as int32 0 < 1 does (ONNX Runtime has no
  // uint8 Greater/Less kernels).
  if (o.dtype == DType::Bool && std::string_view(OnnxOp) != "Equal") {
    o.a = cast_to(ctx, o.a, DType::Int32);
    o.b = cast_to(ctx, o.b, DType::Int32);
  }
  std::string r = ctx.op(OnnxOp, {o.a, o.b});
  finish(ctx, Negate ? ctx.op("Not", {r}) : r, DType::Bool);
}
constexpr char kGreater[] = "Greater";
constexpr char kLess[] = "Less";
constexpr char kGreaterOrEqual[] = "GreaterOrEqual";
constexpr char kLessOrEqual[] = "LessOrEqual";
constexpr char kEqual[] = "Equal";

// logical_and/or/xor: both operands as bool, result bool.
template <const char* OnnxOp>
void translate_logical(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  finish(ctx, ctx.op(OnnxOp, {input_as(ctx, a, "self", DType::Bool), input_as(ctx, a, "other", DType::Bool)}),
         DType::Bool);
}
constexpr char kAnd[] = "And";
constexpr char kOr[] = "Or";
constexpr char kXor[] = "Xor";

void translate_logical_not(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  finish(ctx, ctx.op("Not", {input_as(ctx, a, "self", DType::Bool)}), DType::Bool);
}

// __and__ / __or__ / __xor__ / bitwise_*: logical on bools; on integers
// ONNX has Bitwise* only from opset 18.
template <const char* LogicalOp, const char* BitwiseOp>
void translate_bitwise(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  if (o.dtype == DType::Bool) {
    finish(ctx, ctx.op(LogicalOp, {o.a, o.b}), o.dtype);
    return;
  }
  if (is_floating(o.dtype)) fail(ctx, "bitwise ops need integer or bool operands");
  if (ctx.opset() < 18)
    fail(ctx, "bitwise ops on integers need ONNX opset 18 (" + std::string(BitwiseOp) + ")",
         "export with --opset 18, or use bool operands");
  finish(ctx, ctx.op(BitwiseOp, {o.a, o.b}), o.dtype);
}
constexpr char kBitwiseAnd[] = "BitwiseAnd";
constexpr char kBitwiseOr[] = "BitwiseOr";
constexpr char kBitwiseXor[] = "BitwiseXor";

void translate_bitwise_not(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = arg_dtype(ctx, a, "self");
  if (d == DType::Bool) {
    finish(ctx, ctx.op("Not", {a.input("self")}), d);
    return;
  }
  if (ctx.opset() < 18) fail(ctx, "bitwise_not on integers needs ONNX opset 18", "export with --opset 18");
  finish(ctx, ctx.op("BitwiseNot", {a.input("self")}), d);
}

// where(Tensor condition, Tensor|Scalar self, Tensor|Scalar other)
void translate_where(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (!a.schema().argument_index("self")) fail(ctx, "where(condition) (nonzero indices) is not supported");
  Operands o = named_operands(ctx, a, "self", "other");
  const std::string condition = input_as(ctx, a, "condition", DType::Bool);
  if (o.dtype == DType::Bool) {  // ONNX Runtime has no bool Where: choose between int32s
    const std::string r = ctx.op("Where", {condition, cast_to(ctx, o.a, DType::Int32), cast_to(ctx, o.b, DType::Int32)});
    finish(ctx, cast_to(ctx, r, DType::Bool), o.dtype);
    return;
  }
  finish(ctx, ctx.op("Where", {condition, o.a, o.b}), o.dtype);
}

// masked_fill(Tensor self, Tensor mask, Scalar|Tensor value)
void translate_masked_fill(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = arg_dtype(ctx, a, "self");
  std::string value = input_as(ctx, a, "value", d);
  if (rank_of(ctx, a, "value") > 0) value = to_scalar(ctx, value);  // a 1-element tensor value
  finish(ctx, ctx.op("Where", {input_as(ctx, a, "mask", DType::Bool), value, a.input("self")}), d);
}

// ---- unary ops --------------------------------------------------------------

// The input cast to the output's dtype: float-only ops (exp, sigmoid, ...)
// take integer tensors in torch and return float32.
// The operand is `self`, or `a` on the overloads of Python numbers (floor.int ...).
std::string unary_input(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  return input_as(ctx, a, schema_arg_name(ctx, a, 0), output_dtype(ctx));
}

template <const char* OnnxOp>
void translate_unary(TranslateContext& ctx) {
  set_result(ctx, ctx.op(OnnxOp, {unary_input(ctx)}));
}
constexpr char kAbs[] = "Abs";
constexpr char kExp[] = "Exp";
constexpr char kLog[] = "Log";
constexpr char kSqrt[] = "Sqrt";
constexpr char kSin[] = "Sin";
constexpr char kCos[] = "Cos";
constexpr char kTan[] = "Tan";
constexpr char kTanh[] = "Tanh";
constexpr char kSigmoid[] = "Sigmoid";
constexpr char kRelu[] = "Relu";
constexpr char kErf[] = "Erf";
constexpr char kReciprocal[] = "Reciprocal";
constexpr char kFloor[] = "Floor";
constexpr char kCeil[] = "Ceil";
constexpr char kIdentity[] = "Identity";

// aten::round(Tensor self) and round.decimals(Tensor self, *, int decimals):
// torch scales by 10^|decimals| in the tensor's own dtype (x * p for
// decimals > 0, x / p below 0), rounds half to even and undoes the scaling;
// Mul/Div, Round and Div/Mul in that dtype give the same values.
void translate_round(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const std::string x = unary_input(ctx);
  const int64_t decimals = a.schema().overload == "decimals" ? a.i64("decimals") : 0;
  const DType d = output_dtype(ctx);
  if (!is_floating(d)) {
    // An integer tensor is its own rounding (torch returns it); ONNX Round takes floats only.
    if (decimals != 0) fail(ctx, "round with decimals=" + std::to_string(decimals) + " needs a floating tensor");
    set_result(ctx, ctx.op("Identity", {x}));
    return;
  }
  if (decimals == 0) {
    set_result(ctx, ctx.op("Round", {x}));
    return;
  }
  const std::string p = ctx.const_scalar(std::pow(10.0, static_cast<double>(std::abs(decimals))), d);
  const bool scale_up = decimals > 0;
  const std::string rounded = ctx.op("Round", {ctx.op(scale_up ? "Mul" : "Div", {x, p})});
  set_result(ctx, ctx.op(scale_up ? "Div" : "Mul", {rounded, p}));
}

void translate_neg(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const std::string_view x = schema_arg_name(ctx, a, 0);  // self, or a for neg.int / neg.float
  if (arg_dtype(ctx, a, x) == DType::Bool) fail(ctx, "negation of a bool tensor is not defined (use logical_not)");
  set_result(ctx, ctx.op("Neg", {a.input(x)}));
}

void translate_rsqrt(TranslateContext& ctx) {
  set_result(ctx, ctx.op("Reciprocal", {ctx.op("Sqrt", {unary_input(ctx)})}));
}

void translate_log1p(TranslateContext& ctx) {
  DType d = output_dtype(ctx);
  set_result(ctx, ctx.op("Log", {ctx.op("Add", {unary_input(ctx), ctx.const_scalar(1, d)})}));
}

void translate_trunc(TranslateContext& ctx) {
  DType d = output_dtype(ctx);
  set_result(ctx, is_floating(d) ? trunc_float(ctx, unary_input(ctx)) : ctx.op("Identity", {unary_input(ctx)}));
}

// gelu(Tensor self, *, str approximate='none')
void translate_gelu(TranslateContext& ctx) {
  DType d = output_dtype(ctx);
  std::string x = unary_input(ctx);
  const std::string approximate = NodeArgs(ctx).str("approximate");
  std::string inner;
  if (approximate == "none") {
    // 0.5 * x * (1 + erf(x / sqrt(2)))
    inner = ctx.op("Erf", {ctx.op("Mul", {x, ctx.const_scalar(1.0 / std::numbers::sqrt2, d)})});
  } else if (approximate == "tanh") {
    // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
    std::string x3 = ctx.op("Mul", {ctx.op("Mul", {x, x}), x});
    std::string poly = ctx.op("Add", {x, ctx.op("Mul", {x3, ctx.const_scalar(0.044715, d)})});
    double k = std::sqrt(2.0 / std::numbers::pi);
    inner = ctx.op("Tanh", {ctx.op("Mul", {poly, ctx.const_scalar(k, d)})});
  } else {
    fail(ctx, "unknown approximate='" + approximate + "' (expected 'none' or 'tanh')");
  }
  std::string one_plus = ctx.op("Add", {inner, ctx.const_scalar(1, d)});
  set_result(ctx, ctx.op("Mul", {ctx.op("Mul", {x, ctx.const_scalar(0.5, d)}), one_plus}));
}

// silu(x) = x * sigmoid(x)
void translate_silu(TranslateContext& ctx) {
  std::string x = unary_input(ctx);
  set_result(ctx, ctx.op("Mul", {x, ctx.op("Sigmoid", {x})}));
}

// torch's hardsigmoid is relu6(x + 3) / 6: ONNX HardSigmoid with alpha 1/6, beta 1/2.
std::string hard_sigmoid(TranslateContext& ctx, const std::string& x) {
  return ctx.op("HardSigmoid", {x}, {{"alpha", 1.0 / 6.0}, {"beta", 0.5}});
}

void translate_hardsigmoid(TranslateContext& ctx) {
  set_result(ctx, hard_sigmoid(ctx, unary_input(ctx)));
}

// HardSwish exists from opset 14; before, x * hardsigmoid(x).
void translate_hardswish_13(TranslateContext& ctx) {
  std::string x = unary_input(ctx);
  set_result(ctx, ctx.op("Mul", {x, hard_sigmoid(ctx, x)}));
}

void translate_hardswish_14(TranslateContext& ctx) {
  set_result(ctx, ctx.op("HardSwish", {unary_input(ctx)}));
}

// Clip with optional bounds of the input's dtype ("" leaves a bound out).
std::string clip(TranslateContext& ctx, const std::string& x, DType d, std::optional<double> lo,
                 std::optional<double> hi) {
  std::string lo_name = lo ? ctx.const_scalar(*lo, d) : "";
  std::string hi_name = hi ? ctx.const_scalar(*hi, d) : "";
  if (hi) return ctx.op("Clip", {x, lo_name, hi_name});
  if (lo) return ctx.op("Clip", {x, lo_name});
  return ctx.op("Identity", {x});
}

// hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1)
void translate_hardtanh(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = arg_dtype(ctx, a, "self");
  set_result(ctx, clip(ctx, a.input("self"), d, a.f64("min_val"), a.f64("max_val")));
}

void translate_relu6(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, clip(ctx, a.input("self"), arg_dtype(ctx, a, "self"), 0.0, 6.0));
}

// leaky_relu(Tensor self, Scalar negative_slope=0.01)
void translate_leaky_relu(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("LeakyRelu", {a.input("self")}, {{"alpha", a.f64("negative_slope")}}));
}

// elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)
void translate_elu(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (a.f64("scale") != 1.0 || a.f64("input_scale") != 1.0) fail(ctx, "only scale=1 and input_scale=1 are supported");
  set_result(ctx, ctx.op("Elu", {a.input("self")}, {{"alpha", a.f64("alpha")}}));
}

// softplus(Tensor self, Scalar beta=1, Scalar threshold=20)
void translate_softplus(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = arg_dtype(ctx, a, "self");
  double beta = a.f64("beta");
  double threshold = a.f64("threshold");
  std::string x = a.input("self");
  std::string bx = beta == 1.0 ? x : ctx.op("Mul", {x, ctx.const_scalar(beta, d)});
  std::string soft = ctx.op("Softplus", {bx});
  if (beta != 1.0) soft = ctx.op("Div", {soft, ctx.const_scalar(beta, d)});
  // torch reverts to the identity where beta * x > threshold.
  std::string linear_region = ctx.op("Greater", {bx, ctx.const_scalar(threshold, d)});
  set_result(ctx, ctx.op("Where", {linear_region, x, soft}));
}

// clamp(Tensor self, Scalar|Tensor? min=None, Scalar|Tensor? max=None)
void translate_clamp(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = output_dtype(ctx);
  std::string x = input_as(ctx, a, "self", d);
  bool tensor_bounds = is_value(a, "min") || is_value(a, "max");
  if (!tensor_bounds) {
    set_result(ctx, clip(ctx, x, d, a.optional_f64("min"), a.optional_f64("max")));
    return;
  }
  // Tensor bounds broadcast; Clip wants scalars, so use Max/Min.
  if (a.has("min")) x = ctx.op("Max", {x, input_as(ctx, a, "min", d)});
  if (a.has("max")) x = ctx.op("Min", {x, input_as(ctx, a, "max", d)});
  set_result(ctx, x);
}

// clamp_min(self, min) / clamp_max(self, max)
template <bool IsMin>
void translate_clamp_one(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = output_dtype(ctx);
  std::string x = input_as(ctx, a, "self", d);
  std::string bound = input_as(ctx, a, IsMin ? "min" : "max", d);
  set_result(ctx, ctx.op(IsMin ? "Max" : "Min", {x, bound}));
}

constexpr char kAsin[] = "Asin";
constexpr char kAcos[] = "Acos";
constexpr char kAtan[] = "Atan";
constexpr char kSinh[] = "Sinh";
constexpr char kCosh[] = "Cosh";

void translate_square(TranslateContext& ctx) {
  std::string x = unary_input(ctx);
  set_result(ctx, ctx.op("Mul", {x, x}));
}

void translate_expm1(TranslateContext& ctx) {
  DType d = output_dtype(ctx);
  set_result(ctx, ctx.op("Sub", {ctx.op("Exp", {unary_input(ctx)}), ctx.const_scalar(1, d)}));
}

// log2/log10: Log(x) / log(base).
template <int Base>
void translate_log_base(TranslateContext& ctx) {
  DType d = output_dtype(ctx);
  std::string ln = ctx.op("Log", {unary_input(ctx)});
  set_result(ctx, ctx.op("Div", {ln, ctx.const_scalar(std::log(static_cast<double>(Base)), d)}));
}

// mish(x) = x * tanh(softplus(x)). Decomposed at every opset: ONNX's Mish
// op (opset 18) is unknown to the ONNX 1.12 the host validates nodes with,
// and the decomposition is exact.
void translate_mish(TranslateContext& ctx) {
  std::string x = unary_input(ctx);
  set_result(ctx, ctx.op("Mul", {x, ctx.op("Tanh", {ctx.op("Softplus", {x})})}));
}

// atan2(Tensor self, Tensor other) = the angle of (other, self): ONNX has no
// Atan2, so atan(y / x) corrected by +-pi in the left half-plane and set
// explicitly on the y axis (x == 0).
void translate_atan2(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = result_type(ctx, a, {"self", "other"});
  if (!is_floating(d)) d = DType::Float32;
  std::string y = input_as(ctx, a, "self", d);
  std::string x = input_as(ctx, a, "other", d);
  std::string zero = ctx.const_scalar(0, d);
  std::string pi = ctx.const_scalar(std::numbers::pi, d);
  std::string half_pi = ctx.const_scalar(std::numbers::pi / 2, d);
  std::string base = ctx.op("Atan", {ctx.op("Div", {y, x})});
  // x < 0: add pi when y >= 0, subtract it when y < 0.
  std::string y_negative = ctx.op("Less", {y, zero});
  std::string shift = ctx.op("Where", {y_negative, ctx.op("Neg", {pi}), pi});
  std::string left = ctx.op("Add", {base, shift});
  std::string r = ctx.op("Where", {ctx.op("Less", {x, zero}), left, base});
  // x == 0: +-pi/2 by the sign of y, 0 at the origin.
  std::string on_axis = ctx.op("Mul", {ctx.op("Sign", {y}), half_pi});
  r = ctx.op("Where", {ctx.op("Equal", {x, zero}), on_axis, r});
  set_result(ctx, cast(ctx, r, d, output_dtype(ctx)));
}

// sign / sgn: ONNX's Sign takes no bool; the sign of a bool is itself.
void translate_sign(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const std::string_view x = schema_arg_name(ctx, a, 0);
  set_result(ctx, ctx.op(arg_dtype(ctx, a, x) == DType::Bool ? "Identity" : "Sign", {unary_input(ctx)}));
}

constexpr char kAcosh[] = "Acosh";
constexpr char kAsinh[] = "Asinh";
constexpr char kAtanh[] = "Atanh";

// deg2rad / rad2deg: x times a constant.
template <int Numerator, int Denominator>
void translate_angle_scale(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const double pi = std::numbers::pi;
  const double factor = (Numerator == 0 ? pi : Numerator) / (Denominator == 0 ? pi : Denominator);
  set_result(ctx, ctx.op("Mul", {unary_input(ctx), ctx.const_scalar(factor, d)}));
}

// exp2(x) = 2 ** x
void translate_exp2(TranslateContext& ctx) {
  set_result(ctx, ctx.op("Pow", {ctx.const_scalar(2, output_dtype(ctx)), unary_input(ctx)}));
}

// erfc(x) = 1 - erf(x)
void translate_erfc(TranslateContext& ctx) {
  set_result(ctx, ctx.op("Sub", {ctx.const_scalar(1, output_dtype(ctx)), ctx.op("Erf", {unary_input(ctx)})}));
}

// frac(x) = x - trunc(x)
void translate_frac(TranslateContext& ctx) {
  const std::string x = unary_input(ctx);
  set_result(ctx, ctx.op("Sub", {x, trunc_float(ctx, x)}));
}

// sinc(x) = sin(pi x) / (pi x), 1 at 0.
void translate_sinc(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const std::string x = unary_input(ctx);
  const std::string px = ctx.op("Mul", {x, ctx.const_scalar(std::numbers::pi, d)});
  const std::string ratio = ctx.op("Div", {ctx.op("Sin", {px}), px});
  set_result(ctx, ctx.op("Where", {ctx.op("Equal", {x, ctx.const_scalar(0, d)}), ctx.const_scalar(1, d), ratio}));
}

// logit(Tensor self, float? eps=None) = log(x / (1 - x)), x clamped to
// [eps, 1 - eps] first when eps is given.
void translate_logit(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = output_dtype(ctx);
  std::string x = unary_input(ctx);
  if (a.has("eps")) {
    const double eps = a.f64("eps");
    x = ctx.op("Clip", {x, ctx.const_scalar(eps, d), ctx.const_scalar(1.0 - eps, d)});
  }
  set_result(ctx, ctx.op("Log", {ctx.op("Div", {x, ctx.op("Sub", {ctx.const_scalar(1, d), x})})}));
}

// Both operands in the output's floating dtype (logaddexp, hypot, ...: ints
// compute as float32, as in torch).
Operands floating_operands(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = output_dtype(ctx);
  return {input_as(ctx, a, schema_arg_name(ctx, a, 0), d), input_as(ctx, a, schema_arg_name(ctx, a, 1), d), d};
}

// logaddexp(a, b) = max + log1p(exp(-|a - b|)); logaddexp2 in base 2. Where
// a == b (both infinite included) it is a + log 2 (a + 1), as torch gives.
template <bool Base2>
void translate_logaddexp(TranslateContext& ctx) {
  const Operands o = floating_operands(ctx);
  const DType d = o.dtype;
  const std::string gap = ctx.op("Neg", {ctx.op("Abs", {ctx.op("Sub", {o.a, o.b})})});
  std::string tail;
  if (Base2) {
    const std::string ln2 = ctx.const_scalar(std::numbers::ln2, d);
    const std::string p = ctx.op("Pow", {ctx.const_scalar(2, d), gap});
    tail = ctx.op("Div", {ctx.op("Log", {ctx.op("Add", {ctx.const_scalar(1, d), p})}), ln2});
  } else {
    tail = ctx.op("Log", {ctx.op("Add", {ctx.const_scalar(1, d), ctx.op("Exp", {gap})})});
  }
  const std::string general = ctx.op("Add", {ctx.op("Max", {o.a, o.b}), tail});
  const std::string same = ctx.op("Add", {o.a, ctx.const_scalar(Base2 ? 1.0 : std::numbers::ln2, d)});
  set_result(ctx, ctx.op("Where", {ctx.op("Equal", {o.a, o.b}), same, general}));
}

// hypot(a, b) = sqrt(a^2 + b^2)
void translate_hypot(TranslateContext& ctx) {
  const Operands o = floating_operands(ctx);
  set_result(ctx, ctx.op("Sqrt", {ctx.op("Add", {ctx.op("Mul", {o.a, o.a}), ctx.op("Mul", {o.b, o.b})})}));
}

// copysign(a, b) = |a| with the sign bit of b (-0.0 included: 1 / -0.0 < 0).
void translate_copysign(TranslateContext& ctx) {
  const Operands o = floating_operands(ctx);
  const std::string zero = ctx.const_scalar(0, o.dtype);
  const std::string b_negative =
      ctx.op("Or", {ctx.op("Less", {o.b, zero}),
                    ctx.op("And", {ctx.op("Equal", {o.b, zero}), ctx.op("Less", {ctx.op("Reciprocal", {o.b}), zero})})});
  const std::string magnitude = ctx.op("Abs", {o.a});
  set_result(ctx, ctx.op("Where", {b_negative, ctx.op("Neg", {magnitude}), magnitude}));
}

// xlogy(a, b) = a * log(b), 0 where a == 0 unless b is NaN.
void translate_xlogy(TranslateContext& ctx) {
  const Operands o = floating_operands(ctx);
  const std::string zero = ctx.const_scalar(0, o.dtype);
  const std::string product = ctx.op("Mul", {o.a, ctx.op("Log", {o.b})});
  const std::string r = ctx.op("Where", {ctx.op("Equal", {o.a, zero}), zero, product});
  set_result(ctx, ctx.op("Where", {ctx.op("IsNaN", {o.b}), o.b, r}));
}

// fmax / fmin: Max / Min that take the other operand where one is NaN.
template <const char* OnnxOp>
void translate_nan_ignoring_extreme(TranslateContext& ctx) {
  Operands o = binary_operands(ctx);
  if (o.dtype == DType::Bool) {  // ONNX Runtime's Max/Min take no bool
    o.a = cast_to(ctx, o.a, DType::Int32);
    o.b = cast_to(ctx, o.b, DType::Int32);
  }
  std::string r = ctx.op(OnnxOp, {o.a, o.b});
  if (is_floating(o.dtype)) {
    r = ctx.op("Where", {ctx.op("IsNaN", {o.a}), o.b, r});
    r = ctx.op("Where", {ctx.op("IsNaN", {o.b}), o.a, r});
  }
  if (o.dtype == DType::Bool) r = cast_to(ctx, r, DType::Bool);
  finish(ctx, r, o.dtype);
}

}  // namespace

void register_elementwise(Registrar& r) {
  add(r, "aten::add", translate_add);
  add(r, "aten::sub", translate_sub);
  add(r, "aten::rsub", translate_rsub);
  add(r, "aten::mul", translate_mul);
  add(r, "aten::div", translate_div);
  add(r, "aten::true_divide", translate_div);
  add(r, "aten::floor_divide", translate_floor_divide);
  add(r, "aten::floordiv", translate_floor_divide);
  add(r, "aten::remainder", translate_remainder);
  add(r, "aten::fmod", translate_fmod);
  add(r, "aten::pow", translate_pow);
  add(r, "aten::maximum", translate_binary_extreme<kMax>);
  add(r, "aten::minimum", translate_binary_extreme<kMin>);

  add(r, "aten::gt", translate_compare<kGreater>);
  add(r, "aten::lt", translate_compare<kLess>);
  add(r, "aten::ge", translate_compare<kGreaterOrEqual>);
  add(r, "aten::le", translate_compare<kLessOrEqual>);
  add(r, "aten::eq", translate_compare<kEqual>);
  add(r, "aten::ne", translate_compare<kEqual, true>);
  add(r, "aten::logical_and", translate_logical<kAnd>);
  add(r, "aten::logical_or", translate_logical<kOr>);
  add(r, "aten::logical_xor", translate_logical<kXor>);
  add(r, "aten::logical_not", translate_logical_not);
  add(r, "aten::__and__", translate_bitwise<kAnd, kBitwiseAnd>);
  add(r, "aten::__or__", translate_bitwise<kOr, kBitwiseOr>);
  add(r, "aten::__xor__", translate_bitwise<kXor, kBitwiseXor>);
  add(r, "aten::bitwise_and", translate_bitwise<kAnd, kBitwiseAnd>);
  add(r, "aten::bitwise_or", translate_bitwise<kOr, kBitwiseOr>);
  add(r, "aten::bitwise_xor", translate_bitwise<kXor, kBitwiseXor>);
  add(r, "aten::bitwise_not", translate_bitwise_not);
  add(r, "aten::where", translate_where);
  add(r, "aten::masked_fill", translate_masked_fill);

  add(r, "aten::neg", translate_neg);
  add(r, "aten::abs", translate_unary<kAbs>);
  add(r, "aten::exp", translate_unary<kExp>);
  add(r, "aten::log", translate_unary<kLog>);
  add(r, "aten::log1p", translate_log1p);
  add(r, "aten::sqrt", translate_unary<kSqrt>);
  add(r, "aten::rsqrt", translate_rsqrt);
  add(r, "aten::sin", translate_unary<kSin>);
  add(r, "aten::cos", translate_unary<kCos>);
  add(r, "aten::tan", translate_unary<kTan>);
  add(r, "aten::tanh", translate_unary<kTanh>);
  add(r, "aten::sigmoid", translate_unary<kSigmoid>);
  add(r, "aten::relu", translate_unary<kRelu>);
  add(r, "aten::erf", translate_unary<kErf>);
  add(r, "aten::reciprocal", translate_unary<kReciprocal>);
  add(r, "aten::floor", translate_unary<kFloor>);
  add(r, "aten::ceil", translate_unary<kCeil>);
  add(r, "aten::round", translate_round);
  add(r, "aten::sign", translate_sign);
  add(r, "aten::trunc", translate_trunc);
  add(r, "aten::positive", translate_unary<kIdentity>);
  add(r, "aten::asin", translate_unary<kAsin>);
  add(r, "aten::acos", translate_unary<kAcos>);
  add(r, "aten::atan", translate_unary<kAtan>);
  add(r, "aten::sinh", translate_unary<kSinh>);
  add(r, "aten::cosh", translate_unary<kCosh>);
  add(r, "aten::atan2", translate_atan2);
  add(r, "aten::square", translate_square);
  add(r, "aten::expm1", translate_expm1);
  add(r, "aten::log2", translate_log_base<2>);
  add(r, "aten::log10", translate_log_base<10>);
  add(r, "aten::mish", translate_mish, kMinOpset, kOpenEnded, "x * Tanh(Softplus(x))");
  add(r, "aten::gelu", translate_gelu);
  add(r, "aten::silu", translate_silu);
  add(r, "aten::hardsigmoid", translate_hardsigmoid);
  add(r, "aten::hardswish", translate_hardswish_13, 13, 13, "x * HardSigmoid(x) (no HardSwish before opset 14)");
  add(r, "aten::hardswish", translate_hardswish_14, 14);
  add(r, "aten::hardtanh", translate_hardtanh);
  add(r, "aten::relu6", translate_relu6);
  add(r, "aten::leaky_relu", translate_leaky_relu);
  add(r, "aten::elu", translate_elu);
  add(r, "aten::softplus", translate_softplus);
  add(r, "aten::acosh", translate_unary<kAcosh>);
  add(r, "aten::asinh", translate_unary<kAsinh>);
  add(r, "aten::atanh", translate_unary<kAtanh>);
  add(r, "aten::deg2rad", translate_angle_scale<0, 180>);
  add(r, "aten::rad2deg", translate_angle_scale<180, 0>);
  add(r, "aten::exp2", translate_exp2);
  add(r, "aten::erfc", translate_erfc);
  add(r, "aten::frac", translate_frac);
  add(r, "aten::sinc", translate_sinc);
  add(r, "aten::logit", translate_logit);
  add(r, "aten::sgn", translate_sign);
  add(r, "aten::logaddexp", translate_logaddexp<false>);
  add(r, "aten::logaddexp2", translate_logaddexp<true>);
  add(r, "aten::hypot", translate_hypot);
  add(r, "aten::copysign", translate_copysign);
  add(r, "aten::xlogy", translate_xlogy);
  add(r, "aten::fmax", translate_nan_ignoring_extreme<kMax>);
  add(r, "aten::fmin", translate_nan_ignoring_extreme<kMin>);
  add(r, "aten::clamp", translate_clamp);
  add(r, "aten::clip", translate_clamp);
  add(r, "aten::clamp_min", translate_clamp_one<true>);
  add(r, "aten::clamp_max", translate_clamp_one<false>);
}

}  // namespace onnxport::aten
