// Tracer: quantized tensors (docs/architecture.md §4b).
//
// A quantized tensor (quint8, qint8) is captured as its integer
// representation, a plain uint8 / int8 Graph value, and the engine keeps its
// scale, zero point and axis beside it (FakeTensor::quantization). The rules
// here turn PyTorch's quantization ops into the engine's own
// quantized_decomposed ops (core/src/ops/quantize.cpp), which carry those
// parameters explicitly and become ONNX QuantizeLinear / DequantizeLinear:
//
//   torch.quantize_per_tensor(x, s, z, dtype)   quantized_decomposed::quantize_per_tensor
//   torch.quantize_per_channel(x, s, z, a, dt)  quantized_decomposed::quantize_per_channel
//   q.dequantize()                              quantized_decomposed::dequantize_per_*
//   q.int_repr()                                the integer representation itself
//   q.q_scale(), q.q_zero_point(), ...          the parameters
//
// Any other op given a quantized tensor is refused (refuse_quantized_inputs):
// it would compute on the integer representation, a wrong model.
#include "named_inputs.hpp"
#include "tracer.hpp"

#include <onnxport/op_schema.hpp>

#include <unordered_map>
#include <unordered_set>

namespace onnxport::trace {

// The integer representation of a quantized dtype: its ScalarType code
// (uint8 / int8) and range.
struct Representation {
  int64_t torch_dtype;
  int64_t quant_min, quant_max;
};

struct QuantizedOps {
  using Rule = std::vector<EValue> (*)(Tracer& t, const ProgramNode& n, const NamedInputs& a);
  static const std::unordered_map<std::string, Rule>& rules();

  // c10::ScalarType codes of the quantized dtypes the engine captures, and of
  // their integer representations.
  static constexpr int64_t kQInt8 = 12, kQUInt8 = 13;
  static constexpr int64_t kUInt8 = 0, kInt8 = 1, kInt64 = 4, kFloat32 = 6, kFloat64 = 7;

  static EValue c(nlohmann::json v) { return EValue::of_constant(std::move(v)); }
  static EValue op(Tracer& t, const ProgramNode& n, const std::string& kind, std::vector<EValue> args) {
    std::vector<EValue> outs = t.call_tensor_op(n, kind, std::move(args));
    if (outs.size() != 1) t.fail("internal", kind + " returned " + std::to_string(outs.size()) + " tensors, expected 1");
    return outs[0];
  }
  static EValue cast(Tracer& t, const ProgramNode& n, const EValue& v, int64_t torch_dtype) {
    return op(t, n, "aten::to", {v, c(torch_dtype), c(false), c(false)});
  }

  using Representation = onnxport::trace::Representation;
  // The integer representation of a quantized dtype and its range; other
  // dtypes are refused naming the op.
  static Representation representation(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& d = a["dtype"];
    const int64_t code = d.is_constant() && d.constant.is_number_integer() ? d.constant.get<int64_t>() : -1;
    if (code == kQUInt8) return {kUInt8, 0, 255};
    if (code == kQInt8) return {kInt8, -128, 127};
    t.fail("unsupported-quantized-op",
           n.kind + ": dtype " + (code < 0 ? describe(d) : quantized_dtype_name(code)) +
               " is not supported; onnxport exports quint8 and qint8 tensors (ONNX QuantizeLinear produces uint8 or "
               "int8)");
  }

  static const FakeTensor& float_input(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& x = a["self"];
    if (!x.is_tensor()) t.fail("bad-argument", n.kind + ": `self` must be a tensor, got a " + describe(x));
    if (x.quantization) t.fail("bad-argument", n.kind + ": `self` is already quantized");
    if (x.tensor->dtype != DType::Float32)
      t.fail("bad-argument", n.kind + ": PyTorch quantizes float32 tensors only, got " + describe(x));
    return *x.tensor;
  }

  static EValue quantized(EValue integer, int64_t torch_dtype, EValue scale, EValue zero_point,
                          std::optional<int64_t> axis) {
    integer.quantization = std::make_shared<const Quantization>(
        Quantization{torch_dtype, std::move(scale), std::move(zero_point), axis});
    return integer;
  }

  // quantize_per_tensor(Tensor self, float scale, int zero_point, ScalarType dtype),
  // .tensor_qparams(Tensor self, Tensor scale, Tensor zero_point, ScalarType dtype).
  static std::vector<EValue> quantize_per_tensor(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (a.schema().overload == "tensors")
      t.fail("unsupported-quantized-op", n.kind + ".tensors (a list of tensors) is not supported",
             "Quantize each tensor on its own.");
    float_input(t, n, a);
    const Representation r = representation(t, n, a);
    const EValue& scale = a["scale"];
    const EValue& zero_point = a["zero_point"];
    if (!scale.is_tensor() && !zero_point.is_tensor()) {
      // Numbers, known while tracing or only when the model runs
      // (`float(self.scale)` of a buffer, as torch.ao's Quantize module does).
      if (scale.is_constant() && scale.constant.is_number() && !(scale.constant.get<double>() > 0))
        t.fail("bad-argument", n.kind + ": scale must be positive, got " + scale.constant.dump());
      if (zero_point.is_constant() && zero_point.constant.is_number_integer()) {
        const int64_t z = zero_point.constant.get<int64_t>();
        if (z < r.quant_min || z > r.quant_max)
          t.fail("bad-argument", n.kind + ": zero_point " + std::to_string(z) + " is outside [" +
                                     std::to_string(r.quant_min) + ", " + std::to_string(r.quant_max) + "]");
      }
      const EValue q = op(t, n, "quantized_decomposed::quantize_per_tensor",
                          {a["self"], scale, zero_point, c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
      return {quantized(q, a["dtype"].constant.get<int64_t>(), scale, zero_point, std::nullopt)};
    }
    if (!scale.is_tensor() || !zero_point.is_tensor())
      t.fail("unsupported-quantized-op", n.kind + ": scale and zero_point must both be numbers or both tensors, got a " +
                                             describe(scale) + " and a " + describe(zero_point));
    // Tensors: the scale is used as float32 and the zero point in the
    // representation's dtype, as QuantizeLinear takes them.
    const EValue s = cast(t, n, scale, kFloat32);
    const EValue z = cast(t, n, zero_point, r.torch_dtype);
    const EValue q = op(t, n, "quantized_decomposed::quantize_per_tensor",
                        {a["self"], s, z, c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
    return {quantized(q, a["dtype"].constant.get<int64_t>(), s, z, std::nullopt)};
  }

  // quantize_per_channel(Tensor self, Tensor scales, Tensor zero_points, int axis, ScalarType dtype).
  static std::vector<EValue> quantize_per_channel(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = float_input(t, n, a);
    const Representation r = representation(t, n, a);
    const EValue& axis_value = a["axis"];
    if (!axis_value.is_constant() || !axis_value.constant.is_number_integer())
      t.fail("unsupported-argument", n.kind + ": `axis` must be an int known while tracing, got a " + describe(axis_value));
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = axis_value.constant.get<int64_t>();
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank)
      t.fail("bad-argument", n.kind + ": axis " + std::to_string(axis_value.constant.get<int64_t>()) +
                                 " is out of range for a " + std::to_string(rank) + "-d input");
    const EValue s = cast(t, n, a["scales"], kFloat32);
    const EValue z = cast(t, n, a["zero_points"], r.torch_dtype);
    const EValue q = op(t, n, "quantized_decomposed::quantize_per_channel",
                        {a["self"], s, z, c(axis), c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
    return {quantized(q, a["dtype"].constant.get<int64_t>(), s, z, axis)};
  }

  static Representation representation_of(const Quantization& q) {
    return q.torch_dtype == kQUInt8 ? Representation{kUInt8, 0, 255} : Representation{kInt8, -128, 127};
  }

  static EValue dequantize_one(Tracer& t, const ProgramNode& n, const EValue& v) {
    const Quantization* q = quantization_of(v);
    if (q == nullptr) {
      if (v.is_tensor() && is_floating(v.tensor->dtype))  // PyTorch: a float tensor dequantizes to float32
        return cast(t, n, v, kFloat32);
      t.fail("unsupported-quantized-op",
             n.kind + ": the engine does not know this tensor as a quantized tensor (" + describe(v) +
                 "); only tensors made by quantize_per_tensor / quantize_per_channel in the program are known",
             "Keep the quantized tensor out of control flow the engine rewrites, or dequantize it earlier.");
    }
    const Representation r = representation_of(*q);
    if (q->axis)
      return op(t, n, "quantized_decomposed::dequantize_per_channel",
                {v, q->scale, q->zero_point, c(*q->axis), c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
    return op(t, n, "quantized_decomposed::dequantize_per_tensor",
              {v, q->scale, q->zero_point, c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
  }

  // dequantize.self / .tensor (one tensor), .tensors / .list (a list).
  static std::vector<EValue> dequantize(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const std::string& overload = a.schema().overload;
    if (overload == "tensors" || overload == "list") {
      const EValue& list = a[overload == "tensors" ? "tensors" : "qtensors"];
      if (!list.is_sequence()) t.fail("bad-argument", n.kind + ": expected a list of tensors, got a " + describe(list));
      EList out;
      for (const EValue& item : *list.items) out.push_back(dequantize_one(t, n, item));
      return {EValue::list(std::move(out), t.rewrite_depth_)};
    }
    if (overload == "any") t.fail("unsupported-quantized-op", n.kind + ".any is not supported");
    return {dequantize_one(t, n, a[overload == "tensor" ? "qtensor" : "self"])};
  }

  static const Quantization& quantization(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const Quantization* q = quantization_of(a["self"]);
    if (q == nullptr)
      t.fail("bad-argument", n.kind + ": `self` is not a quantized tensor the engine knows (" + describe(a["self"]) + ")");
    return *q;
  }

  // int_repr(Tensor self): the integer representation, the same Graph value.
  static std::vector<EValue> int_repr(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    quantization(t, n, a);
    EValue integer = a["self"];
    integer.quantization.reset();
    return {integer};
  }

  static const Quantization& per_tensor(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const Quantization& q = quantization(t, n, a);
    if (q.axis) t.fail("bad-argument", n.kind + ": `self` is quantized per channel (use q_per_channel_scales)");
    return q;
  }
  static const Quantization& per_channel(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const Quantization& q = quantization(t, n, a);
    if (!q.axis) t.fail("bad-argument", n.kind + ": `self` is quantized per tensor (use q_scale / q_zero_point)");
    return q;
  }

  // q_scale -> float, q_zero_point -> int: numbers when the program gave
  // numbers; from tensor parameters they would be data-dependent.
  static std::vector<EValue> q_scale(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const Quantization& q = per_tensor(t, n, a);
    if (q.scale.is_tensor())
      t.fail("unsupported-quantized-op", n.kind + ": the scale is a tensor here, so its value is known only when the model runs");
    return {q.scale};
  }
  static std::vector<EValue> q_zero_point(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const Quantization& q = per_tensor(t, n, a);
    if (q.zero_point.is_tensor())
      t.fail("unsupported-quantized-op",
             n.kind + ": the zero point is a tensor here, so its value is known only when the model runs");
    return {q.zero_point};
  }
  // PyTorch returns the per-channel scales as float64 and zero points as int64.
  static std::vector<EValue> q_per_channel_scales(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {cast(t, n, per_channel(t, n, a).scale, kFloat64)};
  }
  static std::vector<EValue> q_per_channel_zero_points(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {cast(t, n, per_channel(t, n, a).zero_point, kInt64)};
  }
  static std::vector<EValue> q_per_channel_axis(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {c(*per_channel(t, n, a).axis)};
  }

  // ---- PyTorch's quantized operators (torch.ao.nn.quantized modules)
  //
  // quantized::conv2d(Tensor qx, Conv2dPackedParamsBase packed_weight, float
  // output_scale, int output_zero_point), quantized::linear(Tensor X,
  // LinearPackedParamsBase W_prepack, float Y_scale_i, int Y_zero_point_i),
  // their _relu variants, quantized::add / mul(Tensor qa, Tensor qb, float
  // scale, int zero_point) and quantized::cat(Tensor[] qx, int dim, float?
  // scale, int? zero_point) are captured in QDQ form, as torch.onnx.export
  // writes them: dequantize the inputs (and the int8 weight), the float op,
  // quantize the result with the op's output scale and zero point. These ops
  // are not in the aten schema table (PyTorch's quantized library registers
  // them), so their arguments are read in the order of the schemas above,
  // which TorchScript always gives in full. torch2program writes the packed
  // weights as a dict attribute (tools/torch2program/torch2program_lib/packed_params.py).

  static const EValue& input_at(Tracer& t, const ProgramNode& n, size_t i, size_t count) {
    if (n.inputs.size() != count)
      t.fail("bad-argument", n.kind + ": expected " + std::to_string(count) + " arguments, got " +
                                 std::to_string(n.inputs.size()));
    return t.in(n, i);
  }

  static const EValue& packed_part(Tracer& t, const ProgramNode& n, const EValue& packed, const char* key) {
    if (!packed.is_dict())
      t.fail("unsupported-quantized-op", n.kind + ": the packed weights are a " + describe(packed) +
                                             ", expected the dict torch2program writes for them",
             "Write the bundle with this version of tools/torch2program.");
    EValue* v = packed.dict->find(nlohmann::json(key));
    if (v == nullptr) t.fail("bad-argument", n.kind + ": the packed weights have no '" + std::string(key) + "'");
    return *v;
  }

  // The float weight: DequantizeLinear of the stored integer weight.
  static EValue packed_weight(Tracer& t, const ProgramNode& n, const EValue& packed) {
    const EValue& weight = packed_part(t, n, packed, "weight");
    const EValue& dtype = packed_part(t, n, packed, "weight_dtype");
    if (!weight.is_tensor() || !dtype.is_constant() || !dtype.constant.is_number_integer())
      t.fail("bad-argument", n.kind + ": the packed weight is not an integer tensor with its dtype");
    const int64_t code = dtype.constant.get<int64_t>();
    if (code != kQInt8 && code != kQUInt8)
      t.fail("unsupported-quantized-op", n.kind + ": a " + quantized_dtype_name(code) + " weight is not supported");
    const Representation r = code == kQUInt8 ? Representation{kUInt8, 0, 255} : Representation{kInt8, -128, 127};
    const EValue& axis = packed_part(t, n, packed, "weight_axis");
    EValue scale = packed_part(t, n, packed, "weight_scale");
    EValue zero_point = packed_part(t, n, packed, "weight_zero_point");
    if (axis.is_none()) {
      if (!scale.is_constant() || !zero_point.is_constant())
        t.fail("bad-argument", n.kind + ": a per-tensor weight needs a number scale and zero point");
      return op(t, n, "quantized_decomposed::dequantize_per_tensor",
                {weight, scale, zero_point, c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
    }
    return op(t, n, "quantized_decomposed::dequantize_per_channel",
              {weight, cast(t, n, scale, kFloat32), cast(t, n, zero_point, r.torch_dtype), axis, c(r.quant_min),
               c(r.quant_max), c(r.torch_dtype)});
  }

  // The float result quantized with the op's output parameters, in the
  // quantized dtype of `like` (PyTorch's quantized ops keep the input's).
  static EValue requantize(Tracer& t, const ProgramNode& n, const EValue& y, const EValue& scale,
                           const EValue& zero_point, const Quantization& like) {
    const Representation r = representation_of(like);
    if (!scale.is_constant() || !scale.constant.is_number() || !zero_point.is_constant() ||
        !zero_point.constant.is_number_integer())
      t.fail("unsupported-quantized-op", n.kind + ": the output scale and zero point must be numbers known while tracing");
    const EValue q = op(t, n, "quantized_decomposed::quantize_per_tensor",
                        {y, scale, zero_point, c(r.quant_min), c(r.quant_max), c(r.torch_dtype)});
    return quantized(q, like.torch_dtype, scale, zero_point, std::nullopt);
  }

  static const Quantization& quantized_input(Tracer& t, const ProgramNode& n, const EValue& v) {
    const Quantization* q = quantization_of(v);
    if (q == nullptr)
      t.fail("unsupported-quantized-op", n.kind + ": expected a quantized tensor the engine knows, got a " + describe(v),
             "Quantize the input first (a QuantStub, or torch.quantize_per_tensor).");
    return *q;
  }

  // conv1d: PyTorch packs a Conv1d's weight as a conv2d's ([out, in, 1, k],
  // stride / padding / dilation with a leading 1 / 0 / 1) and runs conv2d on
  // the input with a unit dim inserted at 2; so does the capture.
  template <bool kRelu, bool kConv1d = false>
  static std::vector<EValue> conv2d(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    const EValue& qx = input_at(t, n, 0, 4);
    const Quantization& qin = quantized_input(t, n, qx);
    const EValue& packed = t.in(n, 1);
    if (packed_part(t, n, packed, "packed").constant != "conv")
      t.fail("bad-argument", n.kind + ": the packed weights are not a convolution's");
    const EValue& transpose = packed_part(t, n, packed, "transpose");
    if (!transpose.is_constant() || transpose.constant != false)
      t.fail("unsupported-quantized-op", n.kind + ": transposed quantized convolutions are not supported");
    EValue x = dequantize_one(t, n, qx);
    if (kConv1d) x = op(t, n, "aten::unsqueeze", {x, c(2)});
    EValue y = op(t, n, "aten::conv2d",
                  {x, packed_weight(t, n, packed), packed_part(t, n, packed, "bias"), packed_part(t, n, packed, "stride"),
                   packed_part(t, n, packed, "padding"), packed_part(t, n, packed, "dilation"),
                   packed_part(t, n, packed, "groups")});
    if (kConv1d) y = op(t, n, "aten::squeeze", {y, c(2)});
    if (kRelu) y = op(t, n, "aten::relu", {y});
    return {requantize(t, n, y, t.in(n, 2), t.in(n, 3), qin)};
  }

  template <bool kRelu>
  static std::vector<EValue> linear(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    const EValue& qx = input_at(t, n, 0, 4);
    const Quantization& qin = quantized_input(t, n, qx);
    const EValue& packed = t.in(n, 1);
    if (packed_part(t, n, packed, "packed").constant != "linear")
      t.fail("bad-argument", n.kind + ": the packed weights are not a linear layer's");
    EValue y = op(t, n, "aten::linear",
                  {dequantize_one(t, n, qx), packed_weight(t, n, packed), packed_part(t, n, packed, "bias")});
    if (kRelu) y = op(t, n, "aten::relu", {y});
    return {requantize(t, n, y, t.in(n, 2), t.in(n, 3), qin)};
  }

  // quantized::add / mul (and _relu): both operands quantized tensors.
  template <int kOp, bool kRelu>  // kOp: 0 add, 1 mul
  static std::vector<EValue> binary(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    const EValue& qa = input_at(t, n, 0, 4);
    const EValue& qb = t.in(n, 1);
    const Quantization& qin = quantized_input(t, n, qa);
    quantized_input(t, n, qb);
    const EValue a = dequantize_one(t, n, qa), b = dequantize_one(t, n, qb);
    EValue y = kOp == 0 ? op(t, n, "aten::add", {a, b, c(1)}) : op(t, n, "aten::mul", {a, b});
    if (kRelu) y = op(t, n, "aten::relu", {y});
    return {requantize(t, n, y, t.in(n, 2), t.in(n, 3), qin)};
  }

  // quantized::cat(Tensor[] qx, int dim, float? scale, int? zero_point):
  // without a scale, the first input's parameters.
  static std::vector<EValue> cat(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    const EValue& list = input_at(t, n, 0, 4);
    if (!list.is_sequence() || list.items->empty())
      t.fail("bad-argument", n.kind + ": expected a non-empty list of quantized tensors, got a " + describe(list));
    const Quantization& first = quantized_input(t, n, list.items->front());
    EList floats;
    for (const EValue& item : *list.items) {
      quantized_input(t, n, item);
      floats.push_back(dequantize_one(t, n, item));
    }
    const EValue y = op(t, n, "aten::cat", {EValue::list(std::move(floats), t.rewrite_depth_), t.in(n, 1)});
    const bool own = !t.in(n, 2).is_none();
    return {requantize(t, n, y, own ? t.in(n, 2) : first.scale, own ? t.in(n, 3) : first.zero_point, first)};
  }

  // quantized::X(Tensor qx, <the float op's other arguments>, float
  // output_scale, int output_zero_point): the float op on the dequantized
  // input, quantized with the given parameters. `count` is the schema's
  // argument count; `rest` builds the float op's arguments after the input.
  using RestFn = std::vector<EValue> (*)(Tracer& t, const ProgramNode& n);
  static std::vector<EValue> with_output_qparams(Tracer& t, const ProgramNode& n, size_t count, const char* float_op,
                                                 RestFn rest) {
    const EValue& qx = input_at(t, n, 0, count);
    const Quantization& qin = quantized_input(t, n, qx);
    std::vector<EValue> args = {dequantize_one(t, n, qx)};
    for (EValue& v : rest(t, n)) args.push_back(std::move(v));
    const EValue y = op(t, n, float_op, std::move(args));
    return {requantize(t, n, y, t.in(n, count - 2), t.in(n, count - 1), qin)};
  }
  static std::vector<EValue> no_args(Tracer&, const ProgramNode&) { return {}; }
  // sigmoid(Tensor qx, float output_scale, int output_zero_point)
  static std::vector<EValue> sigmoid(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    return with_output_qparams(t, n, 3, "aten::sigmoid", &no_args);
  }
  // hardswish(Tensor input, float output_scale, int output_zero_point)
  static std::vector<EValue> hardswish(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    return with_output_qparams(t, n, 3, "aten::hardswish", &no_args);
  }
  // leaky_relu(Tensor qx, Scalar negative_slope, bool inplace, float output_scale, int output_zero_point)
  static std::vector<EValue> leaky_relu(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    return with_output_qparams(t, n, 5, "aten::leaky_relu",
                               [](Tracer& tr, const ProgramNode& nd) { return std::vector<EValue>{tr.in(nd, 1)}; });
  }
  // layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps, float output_scale,
  // int output_zero_point)
  static std::vector<EValue> layer_norm(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    return with_output_qparams(t, n, 7, "aten::layer_norm", [](Tracer& tr, const ProgramNode& nd) {
      return std::vector<EValue>{tr.in(nd, 1), tr.in(nd, 2), tr.in(nd, 3), tr.in(nd, 4)};
    });
  }
  // group_norm(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps, float output_scale,
  // int output_zero_point)
  static std::vector<EValue> group_norm(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    return with_output_qparams(t, n, 7, "aten::group_norm", [](Tracer& tr, const ProgramNode& nd) {
      return std::vector<EValue>{tr.in(nd, 1), tr.in(nd, 2), tr.in(nd, 3), tr.in(nd, 4)};
    });
  }
  // instance_norm(Tensor input, Tensor? weight, Tensor? bias, float eps, float output_scale, int output_zero_point):
  // aten::instance_norm with the input's own statistics.
  static std::vector<EValue> instance_norm(Tracer& t, const ProgramNode& n, const NamedInputs&) {
    return with_output_qparams(t, n, 6, "aten::instance_norm", [](Tracer& tr, const ProgramNode& nd) {
      return std::vector<EValue>{tr.in(nd, 1), tr.in(nd, 2), EValue::none(), EValue::none(), c(true), c(0.1),
                                 tr.in(nd, 3), c(false)};
    });
  }
};

const std::unordered_map<std::string, QuantizedOps::Rule>& QuantizedOps::rules() {
  static const std::unordered_map<std::string, Rule> table = {
      {"aten::quantize_per_tensor", &quantize_per_tensor},
      {"aten::quantize_per_channel", &quantize_per_channel},
      {"aten::dequantize", &dequantize},
      {"aten::int_repr", &int_repr},
      {"aten::q_scale", &q_scale},
      {"aten::q_zero_point", &q_zero_point},
      {"aten::q_per_channel_scales", &q_per_channel_scales},
      {"aten::q_per_channel_zero_points", &q_per_channel_zero_points},
      {"aten::q_per_channel_axis", &q_per_channel_axis},
      {"quantized::conv2d", &conv2d<false>},
      {"quantized::conv2d_relu", &conv2d<true>},
      {"quantized::conv1d", &conv2d<false, true>},
      {"quantized::conv1d_relu", &conv2d<true, true>},
      {"quantized::linear", &linear<false>},
      {"quantized::linear_relu", &linear<true>},
      {"quantized::add", &binary<0, false>},
      {"quantized::add_relu", &binary<0, true>},
      {"quantized::mul", &binary<1, false>},
      {"quantized::mul_relu", &binary<1, true>},
      {"quantized::cat", &cat},
      {"quantized::sigmoid", &sigmoid},
      {"quantized::hardswish", &hardswish},
      {"quantized::leaky_relu", &leaky_relu},
      {"quantized::layer_norm", &layer_norm},
      {"quantized::group_norm", &group_norm},
      {"quantized::instance_norm", &instance_norm},
  };
  return table;
}

bool Tracer::is_quantized_rule(const std::string& kind) { return QuantizedOps::rules().count(kind) != 0; }

void Tracer::on_quantized(const ProgramNode& n) {
  const QuantizedOps::Rule rule = QuantizedOps::rules().at(n.kind);
  if (n.kind.starts_with("quantized::")) {  // no aten schema: the rule reads its arguments in order
    const OpSchema none;
    bind_op_results(n, rule(*this, n, NamedInputs(none, {}, {})));
    return;
  }
  std::vector<EValue> args = inputs_of(n);
  std::vector<ArgSummary> kinds;
  kinds.reserve(args.size());
  for (const EValue& v : args) kinds.push_back(summarize(to_op_arg(v, false)));
  SchemaBinding binding = resolve_schema(n.kind, kinds);
  if (!binding.ok()) fail("bad-argument", n.kind + ": " + binding.error);
  const NamedInputs named(*binding.schema, std::move(args), std::move(binding.position));
  bind_op_results(n, rule(*this, n, named));
}

namespace {

// Ops that take a quantized tensor without computing on its values: Python
// containers, metadata, identity checks. Their results keep the EValue (and
// so its quantization) as it is.
bool passes_quantized_tensors(const std::string& kind) {
  static const std::unordered_set<std::string> aten = {
      "aten::size", "aten::dim", "aten::len", "aten::__getitem__", "aten::append", "aten::__is__", "aten::__isnot__",
      "aten::numel", "aten::__contains__", "aten::list", "aten::warn"};
  if (kind.starts_with("prim::")) return kind != "prim::NumToTensor" && kind != "prim::data";
  return aten.count(kind) != 0;
}

const EValue* find_quantized(const EValue& v) {
  if (quantization_of(v) != nullptr) return &v;
  if (v.is_sequence())
    for (const EValue& item : *v.items)
      if (const EValue* q = find_quantized(item)) return q;
  if (v.is_dict())
    for (const auto& entry : v.dict->entries)
      if (const EValue* q = find_quantized(entry.second)) return q;
  return nullptr;
}

}  // namespace

// Ops whose quantized form keeps its input's scale and zero point (PyTorch's
// quantized relu, max_pool2d, flatten, ...) or uses fixed ones (sigmoid,
// tanh, hardsigmoid): captured as dequantize, the float op, quantize with
// those parameters, as torch.onnx.export does.
// For shape ops and max pooling this is exact; PyTorch's integer kernels of
// average pooling may round the last step differently.
bool Tracer::requantize_same_qparams(const ProgramNode& n) {
  static const std::unordered_set<std::string> same_qparams = {
      "aten::relu", "aten::relu_", "aten::hardtanh", "aten::hardtanh_", "aten::flatten", "aten::reshape",
      "aten::view", "aten::permute", "aten::transpose", "aten::squeeze", "aten::unsqueeze", "aten::contiguous",
      "aten::clone", "aten::detach", "aten::dropout", "aten::max_pool1d", "aten::max_pool2d",
      "aten::avg_pool2d", "aten::adaptive_avg_pool2d"};
  // Ops whose quantized kernel quantizes the output with fixed parameters
  // (PyTorch 1.13's qsigmoid / qtanh / qhardsigmoid: scale 1/256 (tanh
  // 2/256), zero point 0 / 128 for quint8 and -128 / 0 for qint8).
  struct Fixed {
    double scale;
    int64_t quint8_zero_point, qint8_zero_point;
  };
  static const std::unordered_map<std::string, Fixed> fixed_qparams = {
      {"aten::sigmoid", {1.0 / 256, 0, -128}}, {"aten::sigmoid_", {1.0 / 256, 0, -128}},
      {"aten::hardsigmoid", {1.0 / 256, 0, -128}}, {"aten::hardsigmoid_", {1.0 / 256, 0, -128}},
      {"aten::tanh", {2.0 / 256, 128, 0}}, {"aten::tanh_", {2.0 / 256, 128, 0}}};
  const auto fixed = fixed_qparams.find(n.kind);
  if ((same_qparams.count(n.kind) == 0 && fixed == fixed_qparams.end()) || n.inputs.empty()) return false;
  std::vector<EValue> args = inputs_of(n);
  const Quantization* q = quantization_of(args[0]);
  if (q == nullptr || q->axis) return false;
  for (size_t i = 1; i < args.size(); ++i)
    if (find_quantized(args[i]) != nullptr) return false;
  Quantization kept = *q;
  if (fixed != fixed_qparams.end()) {
    kept.scale = QuantizedOps::c(fixed->second.scale);
    kept.zero_point = QuantizedOps::c(kept.torch_dtype == QuantizedOps::kQUInt8 ? fixed->second.quint8_zero_point
                                                                                 : fixed->second.qint8_zero_point);
  }
  const EValue original = args[0];
  args[0] = QuantizedOps::dequantize_one(*this, n, original);
  const bool inplace = n.kind.back() == '_';
  const std::string kind = inplace ? n.kind.substr(0, n.kind.size() - 1) : n.kind;
  std::vector<EValue> outs = call_tensor_op(n, kind, std::move(args));
  if (outs.size() != 1 || !outs[0].is_tensor())
    fail("internal", kind + " on a quantized tensor returned " + std::to_string(outs.size()) + " values, expected 1 tensor");
  const Representation r = QuantizedOps::representation_of(kept);
  // The kept parameters are numbers or tensors; the op's overloads take either.
  EValue y = QuantizedOps::op(*this, n, "quantized_decomposed::quantize_per_tensor",
                              {outs[0], kept.scale, kept.zero_point, QuantizedOps::c(r.quant_min),
                               QuantizedOps::c(r.quant_max), QuantizedOps::c(r.torch_dtype)});
  y = QuantizedOps::quantized(y, kept.torch_dtype, kept.scale, kept.zero_point, std::nullopt);
  if (inplace) rebind_mutated(original.tensor->id, y);
  bind_op_results(n, {y});
  return true;
}

void Tracer::refuse_quantized_inputs(const ProgramNode& n) {
  if (passes_quantized_tensors(n.kind)) return;
  for (const std::string& name : n.inputs) {
    const EValue* q = find_quantized(lookup(name, &n));
    if (q == nullptr) continue;
    fail("unsupported-quantized-op",
         n.kind + " on a quantized tensor (" + describe(*q) +
             ") is not supported: onnxport exports quantized tensors through quantize_per_tensor, quantize_per_channel, "
             "dequantize and int_repr only, and computing on the integer representation would give wrong results",
         "Dequantize the tensor before " + n.kind + " (x.dequantize()) and quantize the result again if needed.");
  }
}

}  // namespace onnxport::trace
