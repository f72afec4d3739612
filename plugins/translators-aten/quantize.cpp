// Quantized tensors: the engine's quantized_decomposed ops
// (docs/architecture.md §4b) as ONNX QuantizeLinear / DequantizeLinear, the
// QDQ form torch.onnx.export writes.
//
// The Graph holds a quantized tensor as its integer representation (uint8
// for quint8, int8 for qint8); the scale and zero point are explicit
// arguments: numbers, one-element tensors, or 1-d tensors along `axis` (per
// channel, which QuantizeLinear supports from opset 13 on). ONNX takes the
// scale as float32 and the zero point in the representation's dtype, and
// rounds half to even as PyTorch does.
#include "families.hpp"

namespace onnxport::aten {
namespace {

// The representation's dtype; QuantizeLinear saturates to its full range, so
// a narrower [quant_min, quant_max] cannot be expressed and is refused.
DType representation(TranslateContext& ctx, const NodeArgs& a) {
  const std::optional<DType> d = a.dtype("dtype");
  if (d != DType::UInt8 && d != DType::Int8)
    fail(ctx, "QuantizeLinear / DequantizeLinear take uint8 or int8 tensors, got dtype " +
                  (d ? std::string(dtype_name(*d)) : std::string("None")));
  const int64_t lo = *d == DType::UInt8 ? 0 : -128, hi = *d == DType::UInt8 ? 255 : 127;
  if (a.i64("quant_min") != lo || a.i64("quant_max") != hi)
    fail(ctx, "[quant_min, quant_max] = [" + std::to_string(a.i64("quant_min")) + ", " + std::to_string(a.i64("quant_max")) +
                  "] is narrower than " + std::string(dtype_name(*d)) + "'s range, which ONNX's QuantizeLinear saturates to");
  return *d;
}

struct QParams {
  std::string scale, zero_point;
  OnnxAttrs attrs;  // axis, per channel
};

QParams qparams(TranslateContext& ctx, const NodeArgs& a, DType representation) {
  QParams q;
  if (a.schema().argument_index("axis")) {
    q.scale = input_as(ctx, a, "scales", DType::Float32);
    q.zero_point = input_as(ctx, a, "zero_points", representation);
    q.attrs.push_back({"axis", a.i64("axis")});
    return q;
  }
  q.scale = input_as(ctx, a, "scale", DType::Float32);
  q.zero_point = input_as(ctx, a, "zero_point", representation);
  // Per tensor, ONNX wants scalars: a one-element tensor parameter is made 0-d.
  if (is_value(a, "scale") && rank_of(ctx, a, "scale") != 0) q.scale = to_scalar(ctx, q.scale);
  if (is_value(a, "zero_point") && rank_of(ctx, a, "zero_point") != 0) q.zero_point = to_scalar(ctx, q.zero_point);
  return q;
}

// quantize_per_tensor(input, scale, zero_point, quant_min, quant_max, dtype),
// its .tensor overload, quantize_per_channel(input, scales, zero_points, axis, ...).
void translate_quantize(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = representation(ctx, a);
  const std::string x = input_as(ctx, a, "input", DType::Float32);
  const QParams q = qparams(ctx, a, d);
  set_result(ctx, ctx.op("QuantizeLinear", {x, q.scale, q.zero_point}, q.attrs));
}

// dequantize_per_tensor / dequantize_per_channel: float32 out.
void translate_dequantize(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = representation(ctx, a);
  if (arg_dtype(ctx, a, "input") != d)
    fail(ctx, "input is " + std::string(dtype_name(arg_dtype(ctx, a, "input"))) + " but dtype is " + std::string(dtype_name(d)));
  const QParams q = qparams(ctx, a, d);
  set_result(ctx, ctx.op("DequantizeLinear", {a.input("input"), q.scale, q.zero_point}, q.attrs));
}

}  // namespace

void register_quantize(Registrar& r) {
  add(r, "quantized_decomposed::quantize_per_tensor", translate_quantize, kMinOpset, kOpenEnded, "QuantizeLinear");
  add(r, "quantized_decomposed::quantize_per_channel", translate_quantize, kMinOpset, kOpenEnded,
      "QuantizeLinear with axis");
  add(r, "quantized_decomposed::dequantize_per_tensor", translate_dequantize, kMinOpset, kOpenEnded, "DequantizeLinear");
  add(r, "quantized_decomposed::dequantize_per_channel", translate_dequantize, kMinOpset, kOpenEnded,
      "DequantizeLinear with axis");
}

}  // namespace onnxport::aten
