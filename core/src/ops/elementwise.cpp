// Elementwise ops: unary math and activations, binary arithmetic and
// comparisons (tensor-tensor and tensor-scalar, torch type promotion and
// broadcasting), and the ternary where / clamp / masked_fill.
//
// Every op is a meta (result dtype + broadcast shape) and a kernel that
// converts its operands to one compute dtype, runs a tight loop with the
// op's scalar function, and casts the result back for float16/bfloat16.
#include "op_support.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <limits>

namespace onnxport::ops {
namespace {

// ---------------------------------------------------------------- result rules

// How an op's output dtype follows from its operands' common dtype.
enum class Result {
  Promoted,  // the common dtype (add, mul, ...)
  Floating,  // the common dtype, ints/bool as float32 (div, exp, ...)
  Bool,      // bool (comparisons, logical ops)
};

DType result_dtype(DType common, Result r) {
  switch (r) {
    case Result::Promoted: return common;
    case Result::Floating: return to_floating(common);
    case Result::Bool: return DType::Bool;
  }
  return common;
}

// The dtype the operands are converted to before the loop.
DType operand_compute_dtype(DType common, Result r) {
  return compute_dtype(r == Result::Floating ? to_floating(common) : common);
}

// The named arguments as operands (each a tensor or a Python scalar).
std::vector<const OpArg*> operands_named(const OpArgs& a, std::initializer_list<std::string_view> names) {
  std::vector<const OpArg*> out;
  for (std::string_view name : names) out.push_back(&a.arg(name));
  return out;
}

Shape broadcast_all(const std::vector<const OpArg*>& operands) {
  Shape shape;
  for (const OpArg* a : operands)
    if (a->is_tensor()) shape = broadcast_shapes(shape, a->meta.shape);
  return shape;
}

// ---------------------------------------------------------------- loops

template <class T, class Out, class F>
Tensor map_unary(const Tensor& a, F&& f) {
  Tensor out = Tensor::zeros(dtype_of<Out>(), a.shape());
  const T* pa = a.data<T>();
  Out* po = out.mutable_data<Out>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) po[i] = static_cast<Out>(f(pa[i]));
  return out;
}

template <class T, class Out, class F>
Tensor map_binary(const Tensor& a, const Tensor& b, const std::vector<int64_t>& sizes, F&& f) {
  Tensor out = Tensor::zeros(dtype_of<Out>(), sizes);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  Out* po = out.mutable_data<Out>();
  const int64_t n = out.numel();
  const bool a_full = a.shape() == sizes, b_full = b.shape() == sizes;
  // Fast paths: same shapes, or one side a single value.
  if (a_full && b_full) {
    for (int64_t i = 0; i < n; ++i) po[i] = static_cast<Out>(f(pa[i], pb[i]));
  } else if (a_full && b.numel() == 1) {
    const T vb = pb[0];
    for (int64_t i = 0; i < n; ++i) po[i] = static_cast<Out>(f(pa[i], vb));
  } else if (b_full && a.numel() == 1) {
    const T va = pa[0];
    for (int64_t i = 0; i < n; ++i) po[i] = static_cast<Out>(f(va, pb[i]));
  } else {
    for_each_offset<2>(sizes, {broadcast_strides(a.shape(), sizes), broadcast_strides(b.shape(), sizes)},
                       [&](const std::array<int64_t, 2>& o) { *po++ = static_cast<Out>(f(pa[o[0]], pb[o[1]])); });
  }
  return out;
}

template <class A, class B, class C, class Out, class F>
Tensor map_ternary(const Tensor& a, const Tensor& b, const Tensor& c, const std::vector<int64_t>& sizes, F&& f) {
  Tensor out = Tensor::zeros(dtype_of<Out>(), sizes);
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  const C* pc = c.data<C>();
  Out* po = out.mutable_data<Out>();
  for_each_offset<3>(sizes,
                     {broadcast_strides(a.shape(), sizes), broadcast_strides(b.shape(), sizes),
                      broadcast_strides(c.shape(), sizes)},
                     [&](const std::array<int64_t, 3>& o) { *po++ = static_cast<Out>(f(pa[o[0]], pb[o[1]], pc[o[2]])); });
  return out;
}

// ---------------------------------------------------------------- unary

// Every unary op's tensor is `self`; its other arguments are read by the
// op's `make` function (below) by their schema names.
TensorMeta unary_meta(const OpArgs& a, Result r) {
  const TensorMeta& in = a.tensor("self");
  return TensorMeta{result_dtype(in.dtype, r), in.shape};
}

// Runs f over `self`. R picks the compute types f must support: only
// float/double for Floating ops, every dtype otherwise.
template <Result R, class F>
Tensor run_unary(const OpArgs& args, F&& f) {
  const Tensor& in = args.data("self");
  const DType out_dtype = result_dtype(in.dtype(), R);
  const DType calc = operand_compute_dtype(in.dtype(), R);
  Tensor a = converted(in, calc);
  Tensor out;
  if constexpr (R == Result::Floating) {
    out = visit_floating(calc, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return map_unary<T, T>(a, f);
    });
  } else {
    out = visit_dtype(calc, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return map_unary<T, std::conditional_t<R == Result::Bool, bool, T>>(a, f);
    });
  }
  return finish(std::move(out), out_dtype);
}

// `make(args)` returns the scalar function (it may read op parameters such
// as gelu's `approximate` or leaky_relu's slope).
template <Result R, class Make>
void def_unary(OpLibrary& lib, const std::string& name, Make make) {
  define_by_schema(
      lib, name, "elementwise", [](const OpArgs& a) { return std::vector<TensorMeta>{unary_meta(a, R)}; },
      [make](const OpArgs& a) { return std::vector<Tensor>{run_unary<R>(a, make(a))}; });
}

// A scalar function without parameters.
template <class F>
auto plain(F f) {
  return [f](const OpArgs&) { return f; };
}

template <class T>
T sigmoid_of(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <class T>
T gelu_of(T x, bool tanh_approx) {
  if (tanh_approx) {
    const T k = T(0.7978845608028654);  // sqrt(2/pi)
    return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
  }
  return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
}

// ReLU6-style clip of (x + 3) to [0, 6], shared by hardsigmoid and hardswish.
template <class T>
T relu6_shifted(T x) {
  return std::min(std::max(x + T(3), T(0)), T(6));
}

template <class T>
T softplus_of(T x, double beta, double threshold) {
  const T bx = x * static_cast<T>(beta);
  return bx > static_cast<T>(threshold) ? x : std::log1p(std::exp(bx)) / static_cast<T>(beta);
}

void register_unary(OpLibrary& lib) {
  constexpr Result F = Result::Floating, S = Result::Promoted;
  // Float math: ints and bool compute as float32.
  def_unary<F>(lib, "aten::exp", plain([](auto x) { return std::exp(x); }));
  def_unary<F>(lib, "aten::log", plain([](auto x) { return std::log(x); }));
  def_unary<F>(lib, "aten::log2", plain([](auto x) { return std::log2(x); }));
  def_unary<F>(lib, "aten::log10", plain([](auto x) { return std::log10(x); }));
  def_unary<F>(lib, "aten::log1p", plain([](auto x) { return std::log1p(x); }));
  def_unary<F>(lib, "aten::expm1", plain([](auto x) { return std::expm1(x); }));
  def_unary<F>(lib, "aten::sqrt", plain([](auto x) { return std::sqrt(x); }));
  def_unary<F>(lib, "aten::rsqrt", plain([](auto x) { return decltype(x)(1) / std::sqrt(x); }));
  def_unary<F>(lib, "aten::reciprocal", plain([](auto x) { return decltype(x)(1) / x; }));
  def_unary<F>(lib, "aten::sin", plain([](auto x) { return std::sin(x); }));
  def_unary<F>(lib, "aten::cos", plain([](auto x) { return std::cos(x); }));
  def_unary<F>(lib, "aten::tan", plain([](auto x) { return std::tan(x); }));
  def_unary<F>(lib, "aten::asin", plain([](auto x) { return std::asin(x); }));
  def_unary<F>(lib, "aten::acos", plain([](auto x) { return std::acos(x); }));
  def_unary<F>(lib, "aten::atan", plain([](auto x) { return std::atan(x); }));
  def_unary<F>(lib, "aten::sinh", plain([](auto x) { return std::sinh(x); }));
  def_unary<F>(lib, "aten::cosh", plain([](auto x) { return std::cosh(x); }));
  def_unary<F>(lib, "aten::tanh", plain([](auto x) { return std::tanh(x); }));
  def_unary<F>(lib, "aten::erf", plain([](auto x) { return std::erf(x); }));
  def_unary<F>(lib, "aten::sigmoid", plain([](auto x) { return sigmoid_of(x); }));
  def_unary<F>(lib, "aten::silu", plain([](auto x) { return x * sigmoid_of(x); }));
  def_unary<F>(lib, "aten::mish", plain([](auto x) { return x * std::tanh(std::log1p(std::exp(x))); }));
  def_unary<F>(lib, "aten::hardsigmoid", plain([](auto x) { return relu6_shifted(x) / decltype(x)(6); }));
  def_unary<F>(lib, "aten::hardswish", plain([](auto x) { return x * relu6_shifted(x) / decltype(x)(6); }));
  // gelu(Tensor self, *, str approximate="none")
  def_unary<F>(lib, "aten::gelu", [](const OpArgs& a) {
    const std::string mode = a.str("approximate");
    if (mode != "none" && mode != "tanh") fail("approximate must be 'none' or 'tanh', got '" + mode + "'");
    const bool tanh_approx = mode == "tanh";
    return [tanh_approx](auto x) { return gelu_of(x, tanh_approx); };
  });
  // leaky_relu(Tensor self, Scalar negative_slope=0.01)
  def_unary<F>(lib, "aten::leaky_relu", [](const OpArgs& a) {
    const double slope = a.f64("negative_slope");
    return [slope](auto x) { return x > 0 ? x : x * static_cast<decltype(x)>(slope); };
  });
  // elu(self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)
  def_unary<F>(lib, "aten::elu", [](const OpArgs& a) {
    const double alpha = a.f64("alpha"), scale = a.f64("scale"), in_scale = a.f64("input_scale");
    return [=](auto x) {
      using T = decltype(x);
      return x > 0 ? T(scale) * x : T(scale) * T(alpha) * (std::exp(x * T(in_scale)) - T(1));
    };
  });
  // softplus(self, Scalar beta=1, Scalar threshold=20)
  def_unary<F>(lib, "aten::softplus", [](const OpArgs& a) {
    const double beta = a.f64("beta"), threshold = a.f64("threshold");
    return [=](auto x) { return softplus_of(x, beta, threshold); };
  });

  // log_sigmoid(self) = min(x, 0) - log1p(exp(-|x|)), as torch computes it (finite for very negative x).
  def_unary<F>(lib, "aten::log_sigmoid", plain([](auto x) {
                 using T = decltype(x);
                 return std::min(x, T(0)) - std::log1p(std::exp(-std::abs(x)));
               }));
  // hardshrink / softshrink(self, Scalar lambd=0.5)
  def_unary<F>(lib, "aten::hardshrink", [](const OpArgs& a) {
    const double lambd = a.f64("lambd");
    return [lambd](auto x) {
      using T = decltype(x);
      return (x >= -T(lambd) && x <= T(lambd)) ? T(0) : x;
    };
  });
  def_unary<F>(lib, "aten::softshrink", [](const OpArgs& a) {
    const double lambd = a.f64("lambd");
    if (lambd < 0) fail("lambd must be non-negative, got " + std::to_string(lambd));
    return [lambd](auto x) {
      using T = decltype(x);
      return x > T(lambd) ? x - T(lambd) : (x < -T(lambd) ? x + T(lambd) : T(0));  // NaN becomes 0, as in torch
    };
  });
  // isnan / isinf(self) -> bool; integers and bools are neither.
  def_unary<Result::Bool>(lib, "aten::isnan", plain([](auto x) {
                            if constexpr (std::is_floating_point_v<decltype(x)>) return std::isnan(x);
                            else return false;
                          }));
  def_unary<Result::Bool>(lib, "aten::isinf", plain([](auto x) {
                            if constexpr (std::is_floating_point_v<decltype(x)>) return std::isinf(x);
                            else return false;
                          }));
  def_unary<Result::Bool>(lib, "aten::isfinite", plain([](auto x) {
                            if constexpr (std::is_floating_point_v<decltype(x)>) return std::isfinite(x);
                            else return true;
                          }));
  // selu(self); celu(self, Scalar alpha=1.0)
  def_unary<F>(lib, "aten::selu", plain([](auto x) {
                 using T = decltype(x);
                 const T alpha = T(1.6732632423543772848170429916717), scale = T(1.0507009873554804934193349852946);
                 return x > T(0) ? scale * x : scale * alpha * (std::exp(x) - T(1));
               }));
  def_unary<F>(lib, "aten::celu", [](const OpArgs& a) {
    const double alpha = a.f64("alpha");
    if (alpha == 0) fail("alpha must not be 0 (celu divides by it)");
    return [alpha](auto x) {
      using T = decltype(x);
      return x > T(0) ? x : T(alpha) * (std::exp(x / T(alpha)) - T(1));
    };
  });
  // Inverse hyperbolics, exp2, erfc, degree/radian conversion, frac, sinc.
  def_unary<F>(lib, "aten::acosh", plain([](auto x) { return std::acosh(x); }));
  def_unary<F>(lib, "aten::asinh", plain([](auto x) { return std::asinh(x); }));
  def_unary<F>(lib, "aten::atanh", plain([](auto x) { return std::atanh(x); }));
  def_unary<F>(lib, "aten::exp2", plain([](auto x) { return std::exp2(x); }));
  def_unary<F>(lib, "aten::erfc", plain([](auto x) { return std::erfc(x); }));
  def_unary<F>(lib, "aten::deg2rad", plain([](auto x) { return x * decltype(x)(std::numbers::pi / 180.0); }));
  def_unary<F>(lib, "aten::rad2deg", plain([](auto x) { return x * decltype(x)(180.0 / std::numbers::pi); }));
  def_unary<F>(lib, "aten::frac", plain([](auto x) { return x - std::trunc(x); }));
  // sinc(x) = sin(pi x) / (pi x), 1 at 0.
  def_unary<F>(lib, "aten::sinc", plain([](auto x) {
                 using T = decltype(x);
                 if (x == T(0)) return T(1);
                 const T px = T(std::numbers::pi) * x;
                 return std::sin(px) / px;
               }));
  // logit(self, float? eps=None) = log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given.
  def_unary<F>(lib, "aten::logit", [](const OpArgs& a) {
    const std::optional<double> eps = a.optional_f64("eps");
    return [eps](auto x) {
      using T = decltype(x);
      if (eps) x = std::clamp(x, T(*eps), T(1.0 - *eps));  // NaN stays NaN
      return std::log(x / (T(1) - x));
    };
  });
  // signbit / isposinf / isneginf / isreal(self) -> bool.
  def_unary<Result::Bool>(lib, "aten::signbit", plain([](auto x) {
                            using T = decltype(x);
                            if constexpr (std::is_floating_point_v<T>) return std::signbit(x);
                            else if constexpr (std::is_signed_v<T>) return x < T(0);
                            else return false;
                          }));
  def_unary<Result::Bool>(lib, "aten::isposinf", plain([](auto x) {
                            if constexpr (std::is_floating_point_v<decltype(x)>) return std::isinf(x) && x > 0;
                            else return false;
                          }));
  def_unary<Result::Bool>(lib, "aten::isneginf", plain([](auto x) {
                            if constexpr (std::is_floating_point_v<decltype(x)>) return std::isinf(x) && x < 0;
                            else return false;
                          }));
  def_unary<Result::Bool>(lib, "aten::isreal", plain([](auto) { return true; }));  // no complex tensors here
  // resolve_conj / resolve_neg / conj_physical(self): the identity on real tensors.
  def_unary<S>(lib, "aten::resolve_conj", plain([](auto x) { return x; }));
  def_unary<S>(lib, "aten::resolve_neg", plain([](auto x) { return x; }));
  def_unary<S>(lib, "aten::conj_physical", plain([](auto x) { return x; }));
  // nan_to_num(self, float? nan=None, float? posinf=None, float? neginf=None):
  // the infinities default to the largest finite values of the input's dtype
  // (not of the compute dtype: float16 computes in float32).
  def_unary<S>(lib, "aten::nan_to_num", [](const OpArgs& a) {
    const DType d = a.tensor("self").dtype;
    const double max = d == DType::Float16    ? 65504.0
                       : d == DType::BFloat16 ? 3.3895313892515355e38
                       : d == DType::Float32  ? static_cast<double>(std::numeric_limits<float>::max())
                                              : std::numeric_limits<double>::max();
    const double nan = a.optional_f64("nan").value_or(0.0);
    const double posinf = a.optional_f64("posinf").value_or(max), neginf = a.optional_f64("neginf").value_or(-max);
    return [=](auto x) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x)) return static_cast<T>(nan);
        if (std::isinf(x)) return static_cast<T>(x > 0 ? posinf : neginf);
      }
      return x;
    };
  });

  // Dtype-preserving ops.
  def_unary<S>(lib, "aten::neg", plain([](auto x) {
              using T = decltype(x);
              if constexpr (std::is_same_v<T, bool>) fail("negation of a bool tensor is not supported, use logical_not");
              return static_cast<T>(-x);
            }));
  def_unary<S>(lib, "aten::abs", plain([](auto x) {
              using T = decltype(x);
              if constexpr (std::is_signed_v<T>) return static_cast<T>(x < 0 ? -x : x);
              else return x;
            }));
  def_unary<S>(lib, "aten::sign", plain([](auto x) {
              using T = decltype(x);
              return static_cast<T>((T(0) < x) - (x < T(0)));
            }));
  // sgn(self): sign for real tensors.
  def_unary<S>(lib, "aten::sgn", plain([](auto x) {
              using T = decltype(x);
              return static_cast<T>((T(0) < x) - (x < T(0)));
            }));
  def_unary<S>(lib, "aten::relu", plain([](auto x) {
              using T = decltype(x);
              return x > T(0) ? x : T(0);
            }));
  def_unary<S>(lib, "aten::square", plain([](auto x) { return x * x; }));
  def_unary<S>(lib, "aten::floor", plain([](auto x) {
              if constexpr (std::is_floating_point_v<decltype(x)>) return std::floor(x);
              else return x;
            }));
  def_unary<S>(lib, "aten::ceil", plain([](auto x) {
              if constexpr (std::is_floating_point_v<decltype(x)>) return std::ceil(x);
              else return x;
            }));
  def_unary<S>(lib, "aten::trunc", plain([](auto x) {
              if constexpr (std::is_floating_point_v<decltype(x)>) return std::trunc(x);
              else return x;
            }));
  // round(Tensor self): half to even, as torch does. round.decimals(self, *,
  // int decimals) as torch's CPU kernel: scale by p = 10^|decimals| in the
  // tensor's dtype (x * p, or x / p for negative decimals), round, unscale.
  def_unary<S>(lib, "aten::round", [](const OpArgs& a) {
    const int64_t decimals = a.schema().overload == "decimals" ? a.i64("decimals") : 0;
    const double p = std::pow(10.0, static_cast<double>(decimals < 0 ? -decimals : decimals));
    return [decimals, p](auto x) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        if (decimals == 0) return std::nearbyint(x);
        const T scale = static_cast<T>(p);
        return decimals > 0 ? std::nearbyint(x * scale) / scale : std::nearbyint(x / scale) * scale;
      } else {
        return x;
      }
    };
  });
  // hardtanh(self, Scalar min_val=-1, Scalar max_val=1); relu6 = hardtanh(0, 6)
  def_unary<S>(lib, "aten::hardtanh", [](const OpArgs& a) {
    const double lo = a.f64("min_val"), hi = a.f64("max_val");
    return [lo, hi](auto x) {
      using T = decltype(x);
      return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
    };
  });
  def_unary<S>(lib, "aten::relu6", plain([](auto x) {
              using T = decltype(x);
              return x < T(0) ? T(0) : (x > T(6) ? T(6) : x);
            }));
  def_unary<Result::Bool>(lib, "aten::logical_not", plain([](auto x) { return !x; }));
  def_unary<S>(lib, "aten::bitwise_not", plain([](auto x) {
              using T = decltype(x);
              if constexpr (std::is_same_v<T, bool>) return !x;
              else if constexpr (std::is_integral_v<T>) return static_cast<T>(~x);
              else {
                fail("bitwise_not needs an integer or bool tensor");
                return x;
              }
            }));
}

// ---------------------------------------------------------------- binary

// The two operands of a binary op: `self` and `other` in every overload
// (Tensor, Scalar, Scalar_Tensor), except pow's `self` and `exponent`.
std::vector<const OpArg*> binary_operands(const OpArgs& a) {
  return operands_named(a, {"self", a.schema().argument_index("exponent") ? "exponent" : "other"});
}

TensorMeta binary_meta(const OpArgs& a, Result r) {
  auto operands = binary_operands(a);
  return TensorMeta{result_dtype(result_type(operands), r), broadcast_all(operands)};
}

template <Result R, class F>
Tensor run_binary(const OpArgs& args, F&& f) {
  const TensorMeta m = binary_meta(args, R);
  const std::vector<const OpArg*> operands = binary_operands(args);
  const DType calc = operand_compute_dtype(result_type(operands), R);
  Tensor a = operand_tensor(*operands[0], calc), b = operand_tensor(*operands[1], calc);
  const std::vector<int64_t> sizes = concrete(m.shape);
  auto loop = [&](auto tag) {
    using T = typename decltype(tag)::type;
    return map_binary<T, std::conditional_t<R == Result::Bool, bool, T>>(a, b, sizes, f);
  };
  Tensor out;
  if constexpr (R == Result::Floating) out = visit_floating(calc, loop);
  else out = visit_dtype(calc, loop);
  return finish(std::move(out), m.dtype);
}

template <Result R, class Make>
void def_binary(OpLibrary& lib, const std::string& name, Make make) {
  define_by_schema(
      lib, name, "elementwise", [](const OpArgs& a) { return std::vector<TensorMeta>{binary_meta(a, R)}; },
      [make](const OpArgs& a) { return std::vector<Tensor>{run_binary<R>(a, make(a))}; });
}

template <class T>
void check_int_divisor(T b) {
  if constexpr (std::is_integral_v<T>)
    if (b == T(0)) fail("integer division by zero");
}

// Python's floor division and modulo (the result takes the divisor's sign).
template <class T>
T floor_div(T a, T b) {
  check_int_divisor(b);
  if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return static_cast<T>(T(0) - a);  // avoids INT_MIN / -1 overflow
    T q = static_cast<T>(a / b);
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  } else {
    return std::floor(a / b);
  }
}

template <class T>
T trunc_div(T a, T b) {
  check_int_divisor(b);
  if constexpr (std::is_same_v<T, bool>) return a;
  else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return static_cast<T>(T(0) - a);
    return static_cast<T>(a / b);
  } else {
    return std::trunc(a / b);
  }
}

template <class T>
T python_mod(T a, T b) {
  check_int_divisor(b);
  if constexpr (std::is_same_v<T, bool>) return false;
  else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return T(0);
    T r = static_cast<T>(a % b);
    if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
    return r;
  } else {
    T r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  }
}

template <class T>
T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      if (base == T(1)) return T(1);
      if (base == T(-1)) return (exp % 2 == 0) ? T(1) : T(-1);
      fail("integers to negative integer powers are not allowed");
    }
  }
  T result = 1;
  while (exp > 0) {
    if (exp & 1) result = static_cast<T>(result * base);
    base = static_cast<T>(base * base);
    exp = static_cast<T>(exp >> 1);
  }
  return result;
}

// maximum/minimum propagate NaN, like torch.
template <class T>
T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  return a > b ? a : b;
}
template <class T>
T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  return a < b ? a : b;
}

template <class T>
T bitwise(char op, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == '&' ? (a && b) : op == '|' ? (a || b) : (a != b);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(op == '&' ? (a & b) : op == '|' ? (a | b) : (a ^ b));
  } else {
    fail("bitwise ops need integer or bool tensors");
  }
}

// alpha of add/sub/rsub (the schema's default is 1).
auto with_alpha(int sign, bool reversed) {
  return [sign, reversed](const OpArgs& args) {
    const double alpha = args.f64("alpha") * sign;
    return [alpha, reversed](auto a, auto b) {
      using T = decltype(a);
      if (reversed) std::swap(a, b);
      if (alpha == 1.0) return static_cast<T>(a + b);
      if (alpha == -1.0) return static_cast<T>(a - b);
      return static_cast<T>(a + static_cast<T>(alpha) * b);
    };
  };
}

// div.Tensor / div.Scalar(self, other): true division; div.Tensor_mode /
// div.Scalar_mode(self, other, *, str? rounding_mode): the mode when not None.
std::string rounding_mode(const OpArgs& a) {
  if (!a.schema().argument_index("rounding_mode") || !a.has("rounding_mode")) return "";
  std::string mode = a.str("rounding_mode");
  if (mode != "trunc" && mode != "floor") fail("rounding_mode must be 'trunc', 'floor' or None, got '" + mode + "'");
  return mode;
}

void register_div(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::div", "elementwise",
      [](const OpArgs& args) {
        const Result r = rounding_mode(args).empty() ? Result::Floating : Result::Promoted;
        return std::vector<TensorMeta>{binary_meta(args, r)};
      },
      [](const OpArgs& args) {
        const std::string mode = rounding_mode(args);
        if (mode == "trunc") return std::vector<Tensor>{run_binary<Result::Promoted>(args, [](auto a, auto b) { return trunc_div(a, b); })};
        if (mode == "floor") return std::vector<Tensor>{run_binary<Result::Promoted>(args, [](auto a, auto b) { return floor_div(a, b); })};
        return std::vector<Tensor>{run_binary<Result::Floating>(args, [](auto a, auto b) { return a / b; })};
      });
}

void register_binary(OpLibrary& lib) {
  constexpr Result P = Result::Promoted, B = Result::Bool;
  def_binary<P>(lib, "aten::add", with_alpha(1, false));
  def_binary<P>(lib, "aten::sub", with_alpha(-1, false));
  def_binary<P>(lib, "aten::rsub", with_alpha(-1, true));
  def_binary<P>(lib, "aten::mul", plain([](auto a, auto b) { return static_cast<decltype(a)>(a * b); }));
  register_div(lib);
  def_binary<Result::Floating>(lib, "aten::true_divide", plain([](auto a, auto b) { return a / b; }));
  def_binary<P>(lib, "aten::floor_divide", plain([](auto a, auto b) { return floor_div(a, b); }));
  def_binary<P>(lib, "aten::remainder", plain([](auto a, auto b) { return python_mod(a, b); }));
  def_binary<P>(lib, "aten::fmod", plain([](auto a, auto b) {
               using T = decltype(a);
               check_int_divisor(b);
               if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
               else if constexpr (std::is_same_v<T, bool>) return false;
               else return static_cast<T>(b == T(-1) ? T(0) : a % b);
             }));
  def_binary<P>(lib, "aten::pow", plain([](auto a, auto b) {
               using T = decltype(a);
               if constexpr (std::is_floating_point_v<T>) return std::pow(a, b);
               else if constexpr (std::is_same_v<T, bool>) return a || !b;
               else return int_pow(a, b);
             }));
  def_binary<Result::Floating>(lib, "aten::atan2", plain([](auto a, auto b) { return std::atan2(a, b); }));
  // log(exp(a) + exp(b)) without overflow; a == b (infinities included) is a + log 2.
  def_binary<Result::Floating>(lib, "aten::logaddexp", plain([](auto a, auto b) {
                                 using T = decltype(a);
                                 if (a == b) return a + T(std::numbers::ln2);
                                 return std::max(a, b) + std::log1p(std::exp(-std::abs(a - b)));
                               }));
  def_binary<Result::Floating>(lib, "aten::logaddexp2", plain([](auto a, auto b) {
                                 using T = decltype(a);
                                 if (a == b) return a + T(1);
                                 return std::max(a, b) + std::log1p(std::exp2(-std::abs(a - b))) / T(std::numbers::ln2);
                               }));
  def_binary<Result::Floating>(lib, "aten::hypot", plain([](auto a, auto b) { return std::hypot(a, b); }));
  def_binary<Result::Floating>(lib, "aten::copysign", plain([](auto a, auto b) { return std::copysign(a, b); }));
  // xlogy(self, other) = self * log(other), 0 where self is 0 (unless other is NaN).
  def_binary<Result::Floating>(lib, "aten::xlogy", plain([](auto a, auto b) {
                                 using T = decltype(a);
                                 if (std::isnan(b)) return b;
                                 return a == T(0) ? T(0) : a * std::log(b);
                               }));
  // fmax / fmin: maximum / minimum that take the other operand where one is NaN.
  def_binary<P>(lib, "aten::fmax", plain([](auto a, auto b) {
                  if constexpr (std::is_floating_point_v<decltype(a)>) {
                    if (std::isnan(a)) return b;
                    if (std::isnan(b)) return a;
                  }
                  return a < b ? b : a;
                }));
  def_binary<P>(lib, "aten::fmin", plain([](auto a, auto b) {
                  if constexpr (std::is_floating_point_v<decltype(a)>) {
                    if (std::isnan(a)) return b;
                    if (std::isnan(b)) return a;
                  }
                  return b < a ? b : a;
                }));
  def_binary<P>(lib, "aten::maximum", plain([](auto a, auto b) { return max_nan(a, b); }));
  def_binary<P>(lib, "aten::minimum", plain([](auto a, auto b) { return min_nan(a, b); }));

  def_binary<B>(lib, "aten::eq", plain([](auto a, auto b) { return a == b; }));
  def_binary<B>(lib, "aten::ne", plain([](auto a, auto b) { return a != b; }));
  def_binary<B>(lib, "aten::lt", plain([](auto a, auto b) { return a < b; }));
  def_binary<B>(lib, "aten::le", plain([](auto a, auto b) { return a <= b; }));
  def_binary<B>(lib, "aten::gt", plain([](auto a, auto b) { return a > b; }));
  def_binary<B>(lib, "aten::ge", plain([](auto a, auto b) { return a >= b; }));
  def_binary<B>(lib, "aten::logical_and", plain([](auto a, auto b) { return a != 0 && b != 0; }));
  def_binary<B>(lib, "aten::logical_or", plain([](auto a, auto b) { return a != 0 || b != 0; }));
  def_binary<B>(lib, "aten::logical_xor", plain([](auto a, auto b) { return (a != 0) != (b != 0); }));

  for (const char* name : {"aten::__and__", "aten::bitwise_and"})
    def_binary<P>(lib, name, plain([](auto a, auto b) { return bitwise('&', a, b); }));
  for (const char* name : {"aten::__or__", "aten::bitwise_or"})
    def_binary<P>(lib, name, plain([](auto a, auto b) { return bitwise('|', a, b); }));
  for (const char* name : {"aten::__xor__", "aten::bitwise_xor"})
    def_binary<P>(lib, name, plain([](auto a, auto b) { return bitwise('^', a, b); }));
}

// ---------------------------------------------------------------- ternary

// where.self / ScalarOther / ScalarSelf / Scalar(Tensor condition, self, other):
// self/other may be Python scalars. where(Tensor condition) is nonzero's job.
void register_where(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& cond = args.tensor("condition");
    if (cond.dtype != DType::Bool && cond.dtype != DType::UInt8)
      fail("condition must be a bool tensor, got " + std::string(dtype_name(cond.dtype)));
    auto values = operands_named(args, {"self", "other"});
    Shape shape = broadcast_shapes(cond.shape, broadcast_all(values));
    return TensorMeta{result_type(values), shape};
  };
  define_by_schema(
      lib, "aten::where", "elementwise",
      [meta](const OpArgs& args) {
        if (!args.schema().argument_index("self"))
          fail("where(condition) has a data-dependent output size; use nonzero");
        return std::vector<TensorMeta>{meta(args)};
      },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const DType calc = compute_dtype(m.dtype);
        Tensor cond = converted(args.data("condition"), DType::Bool);
        Tensor a = operand_tensor(args.arg("self"), calc), b = operand_tensor(args.arg("other"), calc);
        Tensor out = visit_dtype(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          return map_ternary<bool, T, T, T>(cond, a, b, concrete(m.shape), [](bool c, T x, T y) { return c ? x : y; });
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

// masked_fill.Scalar / .Tensor(Tensor self, Tensor mask, value): value is a
// Scalar or a 0-d tensor.
void register_masked_fill(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& self = args.tensor("self");
    const TensorMeta& mask = args.tensor("mask");
    if (mask.dtype != DType::Bool) fail("mask must be a bool tensor, got " + std::string(dtype_name(mask.dtype)));
    const OpArg& value = args.arg("value");
    if (value.is_tensor() && !value.meta.shape.empty())
      fail("value must be a 0-d tensor or a number, got shape " + shape_str(value.meta.shape));
    return TensorMeta{self.dtype, broadcast_shapes(self.shape, mask.shape)};
  };
  define_by_schema(
      lib, "aten::masked_fill", "elementwise", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const DType calc = compute_dtype(m.dtype);
        Tensor self = converted(args.data("self"), calc);
        Tensor mask = args.data("mask");
        Tensor value = operand_tensor(args.arg("value"), calc);
        Tensor out = visit_dtype(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          return map_ternary<T, bool, T, T>(self, mask, value, concrete(m.shape),
                                            [](T x, bool masked, T v) { return masked ? v : x; });
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

// clamp / clip(Tensor self, Scalar? min=None, Scalar? max=None) and their
// .Tensor overloads (Tensor? bounds); clamp_min(self, min) / clamp_max(self,
// max) with a Scalar or a Tensor bound. A bound the op's schema lacks, or
// None, is no bound.
void def_clamp(OpLibrary& lib, const std::string& name) {
  auto bound = [](const OpArgs& args, std::string_view which) -> const OpArg* {
    return args.schema().argument_index(which) && args.has(which) ? &args.arg(which) : nullptr;
  };
  auto meta = [=](const OpArgs& args) {
    const OpArg* lo = bound(args, "min");
    const OpArg* hi = bound(args, "max");
    if (!lo && !hi) fail("at least one of min and max must not be None");
    std::vector<const OpArg*> operands{&args.arg("self"), lo, hi};
    Shape shape = args.tensor("self").shape;
    for (const OpArg* a : {lo, hi})
      if (a && a->is_tensor()) shape = broadcast_shapes(shape, a->meta.shape);
    return TensorMeta{result_type(operands), shape};
  };
  define_by_schema(
      lib, name, "elementwise", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [=](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const DType calc = compute_dtype(m.dtype);
        const OpArg* lo = bound(args, "min");
        const OpArg* hi = bound(args, "max");
        Tensor self = converted(args.data("self"), calc);
        // An absent bound is a 0-d placeholder that the function ignores.
        Tensor lo_t = lo ? operand_tensor(*lo, calc) : Tensor::zeros(calc, {});
        Tensor hi_t = hi ? operand_tensor(*hi, calc) : Tensor::zeros(calc, {});
        const bool has_lo = lo != nullptr, has_hi = hi != nullptr;
        Tensor out = visit_numeric(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          return map_ternary<T, T, T, T>(self, lo_t, hi_t, concrete(m.shape), [=](T x, T l, T h) {
            if constexpr (std::is_floating_point_v<T>)
              if (std::isnan(x)) return x;
            if (has_lo && x < l) x = l;
            if (has_hi && x > h) x = h;
            return x;
          });
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

}  // namespace

void register_elementwise_ops(OpLibrary& lib) {
  register_unary(lib);
  register_binary(lib);
  register_where(lib);
  register_masked_fill(lib);
  for (const char* name : {"aten::clamp", "aten::clip", "aten::clamp_min", "aten::clamp_max"}) def_clamp(lib, name);
}

}  // namespace onnxport::ops
