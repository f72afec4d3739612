// Quantized tensors in the Graph: quantized_decomposed::quantize_per_tensor,
// dequantize_per_tensor, quantize_per_channel, dequantize_per_channel
// (schemas in schema/engine_schemas.inc).
//
// The Graph holds a quantized tensor as its integer representation (uint8 for
// quint8, int8 for qint8) and passes the scale and zero point explicitly to
// the ops that convert it, as PyTorch 2's decomposed quantization does; the
// tracing engine keeps which integer tensors are quantized and with which
// parameters (docs/architecture.md §4b). Each op maps to one ONNX
// QuantizeLinear / DequantizeLinear.
//
// The kernels compute as PyTorch 1.13's quantize_val / dequantize_val do:
// q = clamp(zero_point + nearbyint(x * (1.0f / float(scale))), quant_min,
// quant_max), rounding half to even, and x = (float(q) - zero_point) * scale
// with the scale in double.
#include "op_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxport::ops {
namespace {

bool is_integer_representation(DType d) { return d == DType::UInt8 || d == DType::Int8 || d == DType::Int32; }

std::pair<int64_t, int64_t> representable_range(DType d) {
  switch (d) {
    case DType::UInt8: return {0, 255};
    case DType::Int8: return {-128, 127};
    default: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  }
}

// `dtype` (the integer representation) and [quant_min, quant_max] inside it.
DType checked_representation(const OpArgs& args) {
  const std::optional<DType> d = args.dtype("dtype");
  if (!d || !is_integer_representation(*d))
    fail("dtype must be the integer representation of a quantized dtype (uint8, int8 or int32), got " +
         (d ? std::string(dtype_name(*d)) : std::string("None")));
  const int64_t qmin = args.i64("quant_min");
  const int64_t qmax = args.i64("quant_max");
  const auto [lo, hi] = representable_range(*d);
  if (qmin > qmax || qmin < lo || qmax > hi)
    fail("[quant_min, quant_max] = [" + std::to_string(qmin) + ", " + std::to_string(qmax) + "] does not fit " +
         std::string(dtype_name(*d)) + " [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return *d;
}

// The per-channel parameters: 1-d, one entry per slice of `axis`.
int64_t checked_channel_axis(const OpArgs& args, const Shape& input) {
  const int64_t axis = normalize_dim(args.i64("axis"), static_cast<int64_t>(input.size()));
  for (const char* name : {"scales", "zero_points"}) {
    const TensorMeta& p = args.tensor(name);
    if (p.shape.size() != 1) fail(std::string(name) + " must be 1-d, got shape " + shape_str(p.shape));
    if (p.shape[0].is_static() && input[static_cast<size_t>(axis)].is_static() &&
        p.shape[0].value() != input[static_cast<size_t>(axis)].value())
      fail(std::string(name) + " has " + std::to_string(p.shape[0].value()) + " entries but dim " + std::to_string(axis) +
           " of the input has size " + std::to_string(input[static_cast<size_t>(axis)].value()));
  }
  return axis;
}

// Per-tensor parameters: numbers (`quantize_per_tensor`) or one-element
// tensors (the `.tensor` overloads).
bool tensor_qparams(const OpArgs& args) { return args.schema().overload == "tensor"; }

void check_tensor_qparams(const OpArgs& args) {
  if (!tensor_qparams(args)) return;
  for (const char* name : {"scale", "zero_point"}) {
    const TensorMeta& p = args.tensor(name);
    const Dim n = shape_numel(p.shape);
    if (n.is_static() && n.value() != 1) fail(std::string(name) + " must have one element, got shape " + shape_str(p.shape));
  }
}

std::vector<TensorMeta> quantize_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("input");
  if (!is_floating(in.dtype)) fail("input must be a floating-point tensor, got " + std::string(dtype_name(in.dtype)));
  const DType d = checked_representation(args);
  if (args.schema().argument_index("axis")) checked_channel_axis(args, in.shape);
  check_tensor_qparams(args);
  return {TensorMeta{d, in.shape}};
}

std::vector<TensorMeta> dequantize_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("input");
  const DType d = checked_representation(args);
  if (in.dtype != d)
    fail("input is " + std::string(dtype_name(in.dtype)) + " but dtype says the integer representation is " +
         std::string(dtype_name(d)));
  if (args.schema().argument_index("axis")) checked_channel_axis(args, in.shape);
  check_tensor_qparams(args);
  return {TensorMeta{DType::Float32, in.shape}};
}

// Scale and zero point of each element: one pair (per tensor) or one per
// slice of the axis (per channel).
struct QParams {
  std::vector<double> scale;
  std::vector<int64_t> zero_point;
  int64_t axis = -1;  // -1: per tensor
};

QParams qparams(const OpArgs& args) {
  QParams q;
  if (args.schema().argument_index("axis")) {
    const Tensor& scales = args.data("scales");
    const Tensor& zero_points = args.data("zero_points");
    q.axis = normalize_dim(args.i64("axis"), args.data("input").dim());
    for (int64_t i = 0; i < scales.numel(); ++i) q.scale.push_back(scales.get_double(i));
    for (int64_t i = 0; i < zero_points.numel(); ++i) q.zero_point.push_back(zero_points.get_int(i));
    if (q.scale.size() != q.zero_point.size() ||
        static_cast<int64_t>(q.scale.size()) != args.data("input").shape()[static_cast<size_t>(q.axis)])
      fail("scales and zero_points must have one entry per slice of dim " + std::to_string(q.axis));
  } else if (tensor_qparams(args)) {
    q.scale = {args.data("scale").get_double(0)};
    q.zero_point = {args.data("zero_point").get_int(0)};
  } else {
    q.scale = {args.f64("scale")};
    q.zero_point = {args.i64("zero_point")};
  }
  return q;
}

// Channel of each flat element along q.axis (0 for per-tensor parameters).
template <class Fn>
void for_each_element(const Tensor& t, const QParams& q, Fn&& fn) {
  const int64_t n = t.numel();
  int64_t inner = 1, channels = 1;
  if (q.axis >= 0) {
    channels = t.shape()[static_cast<size_t>(q.axis)];
    for (size_t d = static_cast<size_t>(q.axis) + 1; d < t.shape().size(); ++d) inner *= t.shape()[d];
  }
  for (int64_t i = 0; i < n; ++i) fn(i, q.axis >= 0 ? static_cast<size_t>((i / inner) % channels) : size_t{0});
}

std::vector<Tensor> quantize_kernel(const OpArgs& args) {
  const Tensor& in = args.data("input");
  const DType d = checked_representation(args);
  const QParams q = qparams(args);
  const int64_t qmin = args.i64("quant_min"), qmax = args.i64("quant_max");
  for (double s : q.scale)
    if (!(s > 0) || !std::isfinite(s)) fail("scale must be positive and finite, got " + std::to_string(s));
  Tensor out = Tensor::zeros(d, in.shape());
  for_each_element(in, q, [&](int64_t i, size_t c) {
    const float inverse = 1.0f / static_cast<float>(q.scale[c]);
    const float scaled = static_cast<float>(in.get_double(i)) * inverse;
    const int64_t value = q.zero_point[c] + static_cast<int64_t>(std::nearbyint(scaled));
    out.set_double(i, static_cast<double>(std::clamp(value, qmin, qmax)));
  });
  return {out};
}

std::vector<Tensor> dequantize_kernel(const OpArgs& args) {
  const Tensor& in = args.data("input");
  checked_representation(args);
  const QParams q = qparams(args);
  Tensor out = Tensor::zeros(DType::Float32, in.shape());
  float* o = out.mutable_data<float>();
  for_each_element(in, q, [&](int64_t i, size_t c) {
    const float shifted = static_cast<float>(in.get_int(i) - q.zero_point[c]);
    o[i] = static_cast<float>(static_cast<double>(shifted) * q.scale[c]);
  });
  return {out};
}

}  // namespace

void register_quantize_ops(OpLibrary& lib) {
  define_by_schema(lib, "quantized_decomposed::quantize_per_tensor", "quantize", quantize_meta, quantize_kernel);
  define_by_schema(lib, "quantized_decomposed::quantize_per_channel", "quantize", quantize_meta, quantize_kernel);
  define_by_schema(lib, "quantized_decomposed::dequantize_per_tensor", "quantize", dequantize_meta, dequantize_kernel);
  define_by_schema(lib, "quantized_decomposed::dequantize_per_channel", "quantize", dequantize_meta, dequantize_kernel);
}

}  // namespace onnxport::ops
