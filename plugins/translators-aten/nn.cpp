// Neural-network layers: pooling, normalization, embedding, padding, resizing.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <onnxport/op_schema.hpp>

#include <cmath>
#include <limits>

namespace onnxport::aten {
namespace {

// Kernel/stride/padding/dilation lists: torch allows one int for every
// spatial dim; an empty list means `if_empty` (the kernel size for a pool's
// stride=[]), and is an error where `if_empty` is empty too.
std::vector<int64_t> per_spatial(TranslateContext& ctx, const NodeArgs& a, std::string_view name, size_t spatial,
                                 std::vector<int64_t> if_empty = {}) {
  std::vector<int64_t> v = a.optional_ints(name).value_or(std::vector<int64_t>{});
  if (v.empty()) {
    if (if_empty.empty()) fail(ctx, std::string(name) + " must not be empty");
    return if_empty;
  }
  if (v.size() == 1) return std::vector<int64_t>(spatial, v[0]);
  if (v.size() != spatial)
    fail(ctx, std::string(name) + " has " + std::to_string(v.size()) + " values for " + std::to_string(spatial) +
                  " spatial dims");
  return v;
}

std::vector<int64_t> symmetric_pads(const std::vector<int64_t>& padding) {
  std::vector<int64_t> pads(padding);
  pads.insert(pads.end(), padding.begin(), padding.end());
  return pads;
}

// Spatial dims of a pooling input: rank - 2 (batched; unbatched inputs are
// rejected, ONNX pools need N and C).
size_t pooled_dims(TranslateContext& ctx, const NodeArgs& a, size_t expected) {
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank != static_cast<int64_t>(expected) + 2)
    fail(ctx, "expected a batched input of rank " + std::to_string(expected + 2) + ", got rank " +
                  std::to_string(rank),
         "unsqueeze the batch dim before pooling");
  return expected;
}

// max_pool{1,2,3}d[_with_indices](Tensor self, int[] kernel_size, int[] stride=[], int[] padding=0,
//                                 int[] dilation=1, bool ceil_mode=False)
template <size_t Spatial>
void translate_max_pool(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const size_t n = pooled_dims(ctx, a, Spatial);
  std::vector<int64_t> kernel = per_spatial(ctx, a, "kernel_size", n);
  OnnxAttrs attrs{{"kernel_shape", kernel},
                  {"strides", per_spatial(ctx, a, "stride", n, kernel)},
                  {"pads", symmetric_pads(per_spatial(ctx, a, "padding", n))},
                  {"dilations", per_spatial(ctx, a, "dilation", n)},
                  {"ceil_mode", int64_t{a.boolean("ceil_mode") ? 1 : 0}}};
  const std::string x = a.input("self");
  if (ctx.node().outputs.size() < 2) {
    set_result(ctx, ctx.op("MaxPool", {x}, attrs));
    return;
  }
  // max_pool*_with_indices: torch's indices are flat within each (n, c)
  // plane, ONNX's within the whole tensor: take them modulo the plane size.
  std::vector<std::string> r = ctx.op_n("MaxPool", {x}, 2, attrs);
  std::string spatial_dims = ctx.op("Slice", {shape_of(ctx, x), ctx.const_i64({2}), ctx.const_i64({static_cast<int64_t>(n + 2)})});
  std::string plane = ctx.op("ReduceProd", {spatial_dims}, {{"keepdims", int64_t{0}}});
  ctx.set_output(0, r[0]);
  ctx.set_output(1, ctx.op("Mod", {r[1], plane}));
}

// avg_pool{1,2,3}d(Tensor self, int[] kernel_size, int[] stride=[], int[] padding=0,
//                  bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None)
// (avg_pool1d has no divisor_override.)
template <size_t Spatial>
void translate_avg_pool(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const size_t n = pooled_dims(ctx, a, Spatial);
  std::vector<int64_t> kernel = per_spatial(ctx, a, "kernel_size", n);
  if (a.schema().argument_index("divisor_override") && a.has("divisor_override"))
    fail(ctx, "divisor_override is not supported");
  const std::vector<int64_t> padding = per_spatial(ctx, a, "padding", n);
  const bool ceil_mode = a.boolean("ceil_mode");
  bool count_include_pad = a.boolean("count_include_pad");
  std::string input = a.input("self");
  std::vector<int64_t> pads = symmetric_pads(padding);
  if (ceil_mode && count_include_pad) {
    // torch divides a window by its extent clipped to the padded input: it
    // counts the padding but not the ceil-mode overhang past it, where ONNX's
    // count_include_pad counts both. Zero-padding the input explicitly and
    // counting only elements inside it gives torch's divisor.
    if (std::any_of(padding.begin(), padding.end(), [](int64_t p) { return p != 0; })) {
      std::vector<int64_t> full(2 * (n + 2), 0);
      for (size_t k = 0; k < n; ++k) full[2 + k] = full[n + 4 + k] = padding[k];
      input = ctx.op("Pad", {input, ctx.const_i64(full)}, {{"mode", std::string("constant")}});
      pads.assign(2 * n, 0);
    }
    count_include_pad = false;
  }
  OnnxAttrs attrs{{"kernel_shape", kernel},
                  {"strides", per_spatial(ctx, a, "stride", n, kernel)},
                  {"pads", pads},
                  {"ceil_mode", int64_t{ceil_mode ? 1 : 0}},
                  {"count_include_pad", int64_t{count_include_pad ? 1 : 0}}};
  set_result(ctx, ctx.op("AveragePool", {input}, attrs));
}

// adaptive_avg_pool{1,2}d(Tensor self, int[] output_size): GlobalAveragePool
// for an all-ones output, else AveragePool when every input size divides by
// its output size (then the adaptive windows are uniform).
template <size_t Spatial>
void translate_adaptive_avg_pool(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const size_t n = pooled_dims(ctx, a, Spatial);
  std::vector<int64_t> out = per_spatial(ctx, a, "output_size", n);
  if (std::all_of(out.begin(), out.end(), [](int64_t s) { return s == 1; })) {
    set_result(ctx, ctx.op("GlobalAveragePool", {a.input("self")}));
    return;
  }
  std::vector<int64_t> kernel;
  for (size_t k = 0; k < n; ++k) {
    auto in = static_dim(ctx, a, "self", static_cast<int64_t>(k + 2));
    if (!in || out[k] <= 0 || *in % out[k] != 0)
      fail(ctx, "spatial dim " + std::to_string(k) + " (size " + (in ? std::to_string(*in) : std::string("symbolic")) +
                    ") is not a multiple of output size " + std::to_string(out[k]),
           "only uniform adaptive pooling (input size divisible by output size) can be exported");
    kernel.push_back(*in / out[k]);
  }
  set_result(ctx, ctx.op("AveragePool", {a.input("self")}, {{"kernel_shape", kernel}, {"strides", kernel}}));
}

// adaptive_max_pool{1,2}d(Tensor self, int[] output_size) -> (values, indices):
// MaxPool with uniform windows (input divisible by output). torch's indices
// are flat within each (n, c) plane, ONNX's within the whole tensor: take
// them modulo the plane size.
template <size_t Spatial>
void translate_adaptive_max_pool(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const size_t n = pooled_dims(ctx, a, Spatial);
  std::vector<int64_t> out = per_spatial(ctx, a, "output_size", n);
  std::vector<int64_t> kernel;
  int64_t plane = 1;
  for (size_t k = 0; k < n; ++k) {
    auto in = static_dim(ctx, a, "self", static_cast<int64_t>(k + 2));
    if (!in || out[k] <= 0 || *in % out[k] != 0)
      fail(ctx, "spatial dim " + std::to_string(k) + " is not a static multiple of output size " +
                    std::to_string(out[k]),
           "only uniform adaptive pooling (input size divisible by output size) can be exported");
    kernel.push_back(*in / out[k]);
    plane *= *in;
  }
  const size_t outputs = ctx.node().outputs.size();
  std::vector<std::string> r = ctx.op_n("MaxPool", {a.input("self")}, outputs >= 2 ? 2 : 1,
                                        {{"kernel_shape", kernel}, {"strides", kernel}});
  ctx.set_output(0, r[0]);
  if (outputs >= 2) ctx.set_output(1, ctx.op("Mod", {r[1], ctx.const_scalar(static_cast<double>(plane), DType::Int64)}));
}

// The normalization family reads its arguments by name, bound to the op's
// schema with its defaults (NodeArgs, docs/architecture.md §4a).

// Channel count (dim 1) of the input, needed when a norm's weight or bias is None.
int64_t channels(TranslateContext& ctx, const NodeArgs& a) {
  if (rank_of(ctx, a, "input") < 2) fail(ctx, "input must have a channel dim (rank >= 2)");
  auto c = static_dim(ctx, a, "input", 1);
  if (!c) fail(ctx, "the channel dim must be static when weight or bias is None");
  return *c;
}

// The named tensor argument in the input's dtype, or `fill` of `shape` when it is None.
std::string param_or(TranslateContext& ctx, const NodeArgs& a, std::string_view name,
                     const std::vector<int64_t>& shape, double fill) {
  const DType d = arg_dtype(ctx, a, "input");
  if (a.has(name)) return input_as(ctx, a, name, d);
  return filled(ctx, shape, fill, d);
}

// batch_norm with batch statistics (training=True, or no running
// statistics): each channel normalized by the mean and biased variance over
// the batch and spatial dims, as torch computes the output. The running
// statistics torch would update in place are not outputs of the op.
std::string batch_stats_norm(TranslateContext& ctx, const NodeArgs& a) {
  const int64_t rank = rank_of(ctx, a, "input");
  if (rank < 2) fail(ctx, "input must have a channel dim (rank >= 2)");
  const DType d = arg_dtype(ctx, a, "input");
  std::vector<int64_t> axes{0};
  for (int64_t k = 2; k < rank; ++k) axes.push_back(k);
  const bool axes_as_input = ctx.opset() >= 18;
  std::string x = a.input("input");
  std::string centered = ctx.op("Sub", {x, reduce(ctx, "ReduceMean", x, axes, true, axes_as_input)});
  std::string var = reduce(ctx, "ReduceMean", ctx.op("Mul", {centered, centered}), axes, true, axes_as_input);
  std::string y =
      ctx.op("Div", {centered, ctx.op("Sqrt", {ctx.op("Add", {var, ctx.const_scalar(a.f64("eps"), d)})})});
  // weight and bias are [C]: as [C, 1, ...] they broadcast over the spatial dims.
  std::vector<int64_t> per_channel(static_cast<size_t>(rank - 1), 1);
  per_channel[0] = -1;
  if (a.has("weight")) y = ctx.op("Mul", {y, reshape(ctx, input_as(ctx, a, "weight", d), per_channel)});
  if (a.has("bias")) y = ctx.op("Add", {y, reshape(ctx, input_as(ctx, a, "bias", d), per_channel)});
  return y;
}

// Normalization by running_mean / running_var per channel (batch_norm in
// eval mode, instance_norm with use_input_stats=False): ONNX's inference
// BatchNormalization.
std::string running_stats_norm(TranslateContext& ctx, const NodeArgs& a) {
  std::vector<std::string> inputs;
  if (!a.has("weight") || !a.has("bias")) {
    const int64_t c = channels(ctx, a);
    inputs = {a.input("input"), param_or(ctx, a, "weight", {c}, 1.0), param_or(ctx, a, "bias", {c}, 0.0)};
  } else {
    inputs = {a.input("input"), a.input("weight"), a.input("bias")};
  }
  inputs.push_back(a.input("running_mean"));
  inputs.push_back(a.input("running_var"));
  return ctx.op("BatchNormalization", inputs, {{"epsilon", a.f64("eps")}});
}

// aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var,
//                  bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor
void translate_batch_norm(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const bool training = a.boolean("training");
  if (training || !a.has("running_mean") || !a.has("running_var")) {
    if (training && a.has("running_mean"))
      ctx.warn("batch_norm with training=True: normalized by batch statistics; the in-place update of "
               "running_mean/running_var is not exported");
    set_result(ctx, batch_stats_norm(ctx, a));
    return;
  }
  set_result(ctx, running_stats_norm(ctx, a));
}

// aten::instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var,
//                     bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor
void translate_instance_norm(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (!a.boolean("use_input_stats")) {
    // nn.InstanceNorm*(track_running_stats=True) in eval mode: every
    // instance is normalized by the running statistics, as batch_norm's eval.
    if (!a.has("running_mean") || !a.has("running_var"))
      fail(ctx, "instance_norm with use_input_stats=False needs running_mean and running_var");
    set_result(ctx, running_stats_norm(ctx, a));
    return;
  }
  std::string scale, bias;
  if (a.has("weight") && a.has("bias")) {
    scale = a.input("weight");
    bias = a.input("bias");
  } else {
    const int64_t c = channels(ctx, a);
    scale = param_or(ctx, a, "weight", {c}, 1.0);
    bias = param_or(ctx, a, "bias", {c}, 0.0);
  }
  set_result(ctx, ctx.op("InstanceNormalization", {a.input("input"), scale, bias}, {{"epsilon", a.f64("eps")}}));
}

// aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None,
//                  float eps=1e-05, bool cudnn_enable=True) -> Tensor
struct LayerNormArgs {
  std::vector<int64_t> normalized_shape;
  int64_t first_axis;  // the first normalized axis, negative (counted from the end)
};

LayerNormArgs layer_norm_args(TranslateContext& ctx, const NodeArgs& a) {
  LayerNormArgs l;
  l.normalized_shape = a.ints("normalized_shape");
  if (l.normalized_shape.empty()) fail(ctx, "normalized_shape must not be empty");
  if (static_cast<int64_t>(l.normalized_shape.size()) > rank_of(ctx, a, "input"))
    fail(ctx, "normalized_shape has more dims than the input");
  l.first_axis = -static_cast<int64_t>(l.normalized_shape.size());
  return l;
}

// Opset 17+: LayerNormalization (scale is required there: ones when None).
void translate_layer_norm_17(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const LayerNormArgs l = layer_norm_args(ctx, a);
  std::vector<std::string> inputs{a.input("input"), param_or(ctx, a, "weight", l.normalized_shape, 1.0)};
  if (a.has("bias")) inputs.push_back(a.input("bias"));
  set_result(ctx, ctx.op("LayerNormalization", inputs, {{"axis", l.first_axis}, {"epsilon", a.f64("eps")}}));
}

// Opsets 13-16: (x - mean) / sqrt(var + eps) * weight + bias, with the
// moments over the normalized (trailing) axes.
void translate_layer_norm_13(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const LayerNormArgs l = layer_norm_args(ctx, a);
  const DType d = arg_dtype(ctx, a, "input");
  std::vector<int64_t> axes;
  for (int64_t k = l.first_axis; k < 0; ++k) axes.push_back(k);
  std::string x = a.input("input");
  // ReduceMean takes axes as an attribute before opset 18.
  std::string centered = ctx.op("Sub", {x, reduce(ctx, "ReduceMean", x, axes, true, false)});
  std::string var = reduce(ctx, "ReduceMean", ctx.op("Mul", {centered, centered}), axes, true, false);
  std::string stddev = ctx.op("Sqrt", {ctx.op("Add", {var, ctx.const_scalar(a.f64("eps"), d)})});
  std::string y = ctx.op("Div", {centered, stddev});
  if (a.has("weight")) y = ctx.op("Mul", {y, a.input("weight")});
  if (a.has("bias")) y = ctx.op("Add", {y, a.input("bias")});
  set_result(ctx, y);
}

// aten::group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None,
//                  float eps=1e-05, bool cudnn_enabled=True) -> Tensor
// No ONNX op before 18 (and opset 18's GroupNormalization scales per group,
// not per channel), so: InstanceNormalization over [N, G, -1], reshape back,
// then the per-channel affine.
void translate_group_norm(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t groups = a.i64("num_groups");
  const int64_t rank = rank_of(ctx, a, "input");
  if (rank < 2) fail(ctx, "input must have a channel dim (rank >= 2)");
  if (groups <= 0) fail(ctx, "num_groups must be positive");
  const DType d = arg_dtype(ctx, a, "input");
  std::string x = a.input("input");
  std::string grouped = reshape(ctx, x, {0, groups, -1});
  std::string normalized =
      ctx.op("InstanceNormalization", {grouped, filled(ctx, {groups}, 1.0, d), filled(ctx, {groups}, 0.0, d)},
             {{"epsilon", a.f64("eps")}});
  std::string y = ctx.op("Reshape", {normalized, shape_of(ctx, x)});
  // weight/bias are [C]: make them [C, 1, ...] to broadcast over the spatial dims.
  std::vector<int64_t> trailing;
  for (int64_t k = 1; k <= rank - 2; ++k) trailing.push_back(k);
  auto per_channel = [&](std::string_view name) {
    std::string p = a.input(name);
    return trailing.empty() ? p : unsqueeze(ctx, p, trailing);
  };
  if (a.has("weight")) y = ctx.op("Mul", {y, per_channel("weight")});
  if (a.has("bias")) y = ctx.op("Add", {y, per_channel("bias")});
  set_result(ctx, y);
}

// embedding(Tensor weight, Tensor indices, int padding_idx=-1,
//           bool scale_grad_by_freq=False, bool sparse=False)
void translate_embedding(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx,
             ctx.op("Gather", {a.input("weight"), input_as(ctx, a, "indices", DType::Int64)}, {{"axis", int64_t{0}}}));
}

// torch's pad list runs from the last dim backwards in (begin, end) pairs;
// ONNX wants every dim's begin, then every dim's end.
std::vector<int64_t> onnx_pads_from_torch(TranslateContext& ctx, const std::vector<int64_t>& pad, int64_t rank) {
  if (pad.size() % 2 != 0 || static_cast<int64_t>(pad.size() / 2) > rank)
    fail(ctx, "pad must have an even number of values, at most 2 per dim");
  std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
  for (size_t k = 0; k < pad.size() / 2; ++k) {
    const size_t dim = static_cast<size_t>(rank) - 1 - k;
    pads[dim] = pad[2 * k];
    pads[dim + static_cast<size_t>(rank)] = pad[2 * k + 1];
  }
  return pads;
}

// Circular padding (ONNX Pad has no wrap mode before opset 19): per padded
// dim, Concat(last `before` entries, x, first `after` entries).
std::string circular_pad(TranslateContext& ctx, const NodeArgs& a, const std::vector<int64_t>& pads, int64_t rank) {
  std::string x = a.input("self");
  for (int64_t dim = 0; dim < rank; ++dim) {
    const int64_t before = pads[static_cast<size_t>(dim)], after = pads[static_cast<size_t>(dim + rank)];
    if (before == 0 && after == 0) continue;
    if (before < 0 || after < 0) fail(ctx, "negative pad values are not supported with mode='circular'");
    auto size = static_dim(ctx, a, "self", dim);
    if (!size) fail(ctx, "mode='circular' needs static sizes in the padded dims");
    if (before > *size || after > *size)
      fail(ctx, "pad " + std::to_string(std::max(before, after)) + " is larger than dim " + std::to_string(dim) + " of size " +
                    std::to_string(*size) + " (torch refuses it too)");
    const std::string axes = ctx.const_i64({dim});
    std::vector<std::string> parts;
    if (before > 0) parts.push_back(ctx.op("Slice", {x, ctx.const_i64({*size - before}), ctx.const_i64({*size}), axes}));
    parts.push_back(x);
    if (after > 0) parts.push_back(ctx.op("Slice", {x, ctx.const_i64({0}), ctx.const_i64({after}), axes}));
    x = ctx.op("Concat", parts, {{"axis", dim}});
  }
  return ctx.op("Identity", {x});
}

// `self` padded by the list argument `pad_name` (pad, or padding of the *_pad ops).
std::string pad_tensor(TranslateContext& ctx, const NodeArgs& a, std::string_view pad_name, const std::string& mode,
                       std::optional<double> value) {
  const int64_t rank = rank_of(ctx, a, "self");
  std::vector<int64_t> pads = onnx_pads_from_torch(ctx, a.ints(pad_name), rank);
  if (mode == "circular") return circular_pad(ctx, a, pads, rank);
  std::string onnx_mode;
  if (mode == "constant") onnx_mode = "constant";
  else if (mode == "reflect") onnx_mode = "reflect";
  else if (mode == "replicate") onnx_mode = "edge";
  else fail(ctx, "pad mode '" + mode + "' is not supported (constant, reflect, replicate, circular are)");
  std::vector<std::string> inputs{a.input("self"), ctx.const_i64(pads)};
  if (onnx_mode == "constant" && value && *value != 0.0)
    inputs.push_back(ctx.const_scalar(*value, arg_dtype(ctx, a, "self")));
  return ctx.op("Pad", inputs, {{"mode", onnx_mode}});
}

// pad(Tensor self, SymInt[] pad, str mode="constant", float? value=None)
void translate_pad(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, pad_tensor(ctx, a, "pad", a.str("mode"), a.optional_f64("value")));
}

// constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0)
void translate_constant_pad_nd(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, pad_tensor(ctx, a, "pad", "constant", a.f64("value")));
}

// reflection_pad / replication_pad{1,2,3}d(Tensor self, SymInt[] padding)
template <bool Reflect>
void translate_named_pad(TranslateContext& ctx) {
  set_result(ctx, pad_tensor(ctx, NodeArgs(ctx), "padding", Reflect ? "reflect" : "replicate", std::nullopt));
}

// ---- Resize -------------------------------------------------------------------

struct ResizeArgs {
  std::optional<std::vector<int64_t>> output_size;
  std::optional<std::vector<double>> scales;
  bool align_corners = false;
};

// upsample_nearest{1,2,3}d(Tensor self, SymInt[] output_size, float? scales...)       (per-dim scales)
// upsample_nearest{1,2,3}d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors)
// upsample_{linear1d,bilinear2d,trilinear3d,bicubic2d}(Tensor self, SymInt[] output_size, bool align_corners, float? scales...)
// upsample_{linear1d,bilinear2d,trilinear3d,bicubic2d}.vec(Tensor input, SymInt[]? output_size, bool align_corners,
//                                                          float[]? scale_factors)
// (_upsample_nearest_exact{1,2,3}d take the nearest forms.)
ResizeArgs resize_args(TranslateContext& ctx, const NodeArgs& args, bool has_align_corners, size_t spatial) {
  ResizeArgs a;
  const std::string_view input = schema_arg_name(ctx, args, 0);  // self, or input of .vec
  a.output_size = args.optional_ints("output_size");
  if (a.output_size && a.output_size->empty()) a.output_size.reset();
  if (has_align_corners) a.align_corners = args.boolean("align_corners");
  // The .vec overload has one float[] argument; the other one float? per dim
  // (scales, or scales_d/scales_h/scales_w), right after output_size and
  // align_corners.
  if (args.schema().argument_index("scale_factors")) {
    a.scales = floats_arg(ctx, args, "scale_factors");
  } else {
    const size_t first_scale = *args.schema().argument_index("output_size") + (has_align_corners ? 2 : 1);
    // One float? per dim next to output_size: torch sizes the output by
    // output_size but places the source coordinates by 1/scale where a scale
    // is given. Resize takes either sizes or scales, so this is exported only
    // when one of them says the same as both.
    std::vector<std::optional<double>> per_dim;
    bool any = false;
    for (size_t k = 0; k < spatial; ++k) {
      per_dim.push_back(args.optional_f64(schema_arg_name(ctx, args, first_scale + k)));
      any = any || (per_dim.back() && *per_dim.back() > 0);
    }
    if (any && a.output_size) {
      if (a.output_size->size() != spatial) fail(ctx, "output_size must have " + std::to_string(spatial) + " values");
      bool sizes_agree = true, scales_agree = true;
      std::vector<double> implied;
      for (size_t k = 0; k < spatial; ++k) {
        auto in = static_dim(ctx, args, input, static_cast<int64_t>(k + 2));
        if (!in) fail(ctx, "scales next to output_size need static spatial dims");
        const int64_t out = (*a.output_size)[k];
        const std::optional<double>& sc = per_dim[k];
        const bool given = sc && *sc > 0;
        // With sizes, Resize uses out/in; with scales, the scale and floor(in * scale).
        // A dim without a scale places its pixels by in/out, the scale out/in.
        const double scale = given ? *sc : static_cast<double>(out) / static_cast<double>(*in);
        if (given && *sc != static_cast<double>(out) / static_cast<double>(*in)) sizes_agree = false;
        if (static_cast<int64_t>(std::floor(static_cast<double>(*in) * scale)) != out) scales_agree = false;
        implied.push_back(scale);
      }
      if (!sizes_agree) {
        if (!scales_agree)
          fail(ctx, "the scales argument does not match output_size",
               "torch places source pixels by 1/scale but sizes the output by output_size; ONNX Resize takes only one");
        a.scales = implied;
        a.output_size.reset();
      }
    }
  }
  if (a.scales && a.scales->size() == 1 && spatial > 1) a.scales = std::vector<double>(spatial, a.scales->front());
  if (a.scales && a.scales->size() != spatial)
    fail(ctx, "scale_factors must have " + std::to_string(spatial) + " values, got " + std::to_string(a.scales->size()));
  if (!a.output_size && !a.scales) fail(ctx, "either output_size or scale factors are required");
  return a;
}

// torch's source coordinate per mode (ATen UpSample.h), as Resize attributes:
// nearest        src = floor(dst * in / out)              asymmetric + floor
// nearest-exact  src = floor((dst + 0.5) * in / out)      half_pixel + round_prefer_ceil
// linear, cubic  src = (dst + 0.5) * in / out - 0.5        half_pixel (align_corners: align_corners)
// (torch's linear clamps a negative src to 0, as ONNX Runtime's linear
// Resize does; half_pixel rather than pytorch_half_pixel because torch
// applies the formula to an output size of 1 too.) Cubic uses torch's
// A = -0.75 and clamps taps to the edge, as Resize does with exclude_outside=0.
enum class ResizeMode { Nearest, NearestExact, Linear, Cubic };

void translate_resize(TranslateContext& ctx, ResizeMode mode, size_t spatial) {
  const NodeArgs args(ctx);
  const std::string_view input = schema_arg_name(ctx, args, 0);  // self, or input of .vec
  if (rank_of(ctx, args, input) != static_cast<int64_t>(spatial) + 2)
    fail(ctx, "expected a batched input of rank " + std::to_string(spatial + 2));
  const bool has_align_corners = mode == ResizeMode::Linear || mode == ResizeMode::Cubic;
  ResizeArgs a = resize_args(ctx, args, has_align_corners, spatial);
  if (mode == ResizeMode::Nearest && a.scales) {
    // torch's nearest copies a dim whose output is as long as its input, and
    // repeats every source pixel twice when it is twice as long, whatever the
    // scale said (nearest_idx); a scale of exactly 1 or 2 makes
    // Resize do the same. A symbolic dim keeps the scale only when it is integral.
    for (size_t k = 0; k < spatial; ++k) {
      double& sc = (*a.scales)[k];
      auto in = static_dim(ctx, args, input, static_cast<int64_t>(k + 2));
      if (!in) {
        if (sc != std::floor(sc)) fail(ctx, "a fractional scale factor on a symbolic dim is not supported");
        continue;
      }
      const int64_t out = static_cast<int64_t>(std::floor(static_cast<double>(*in) * sc));
      if (out == *in) sc = 1.0;
      else if (out == 2 * *in) sc = 2.0;
    }
  }
  if (a.scales) {
    // torch sizes the output as int64(in * scale) in double; ONNX Runtime as
    // floor(in * scale) in float. Where float rounding lands on the other
    // side of an integer, the scale is moved by a few ulps (the source
    // coordinates move by as little) until both give the same size.
    for (size_t k = 0; k < spatial; ++k) {
      auto in = static_dim(ctx, args, input, static_cast<int64_t>(k + 2));
      if (!in) continue;
      double& sc = (*a.scales)[k];
      const int64_t want = static_cast<int64_t>(static_cast<double>(*in) * sc);
      float f = static_cast<float>(sc);
      for (int step = 0; step < 8 && static_cast<int64_t>(std::floor(static_cast<float>(*in) * f)) != want; ++step)
        f = std::nextafter(f, static_cast<int64_t>(std::floor(static_cast<float>(*in) * f)) < want
                                  ? std::numeric_limits<float>::infinity()
                                  : -std::numeric_limits<float>::infinity());
      if (static_cast<int64_t>(std::floor(static_cast<float>(*in) * f)) != want)
        fail(ctx, "scale factor " + std::to_string(sc) + " gives a different output size in float than torch's " +
                      std::to_string(want));
      sc = f;
    }
  }
  OnnxAttrs attrs;
  switch (mode) {
    case ResizeMode::Nearest:
      attrs = {{"mode", std::string("nearest")},
               {"coordinate_transformation_mode", std::string("asymmetric")},
               {"nearest_mode", std::string("floor")}};
      break;
    case ResizeMode::NearestExact:
      attrs = {{"mode", std::string("nearest")},
               {"coordinate_transformation_mode", std::string("half_pixel")},
               {"nearest_mode", std::string("round_prefer_ceil")}};
      break;
    case ResizeMode::Linear:
    case ResizeMode::Cubic:
      attrs = {{"mode", std::string(mode == ResizeMode::Linear ? "linear" : "cubic")},
               {"coordinate_transformation_mode", std::string(a.align_corners ? "align_corners" : "half_pixel")}};
      if (mode == ResizeMode::Cubic) attrs.push_back({"cubic_coeff_a", -0.75});
      break;
  }
  const std::string x = args.input(input);
  std::vector<std::string> inputs{x, "" /* roi */};
  if (a.output_size) {
    // sizes = [N, C] of the input, then the requested spatial sizes.
    std::string nc = ctx.op("Slice", {shape_of(ctx, x), ctx.const_i64({0}), ctx.const_i64({2})});
    std::string sizes = ctx.op("Concat", {nc, ctx.const_i64(*a.output_size)}, {{"axis", int64_t{0}}});
    inputs.push_back("" /* scales */);
    inputs.push_back(sizes);
  } else {
    std::vector<double> scales{1.0, 1.0};
    scales.insert(scales.end(), a.scales->begin(), a.scales->end());
    Tensor t = Tensor::zeros(DType::Float32, {static_cast<int64_t>(scales.size())});
    for (size_t k = 0; k < scales.size(); ++k) t.set_double(static_cast<int64_t>(k), scales[k]);
    inputs.push_back(ctx.constant(t));
  }
  set_result(ctx, ctx.op("Resize", inputs, attrs));
}

template <ResizeMode Mode, size_t Spatial>
void translate_upsample(TranslateContext& ctx) {
  translate_resize(ctx, Mode, Spatial);
}

// grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode,
// bool align_corners): GridSample (opset 16; 4-D). Both follow the same
// coordinate rules (unnormalize, then border clip or reflection per mode).
void translate_grid_sampler(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (rank_of(ctx, a, "input") != 4) fail(ctx, "only 4-D inputs are supported (ONNX GridSample is 2-D)");
  static const char* const kModes[] = {"bilinear", "nearest", "bicubic"};
  static const char* const kPadding[] = {"zeros", "border", "reflection"};
  const int64_t mode = a.i64("interpolation_mode");
  const int64_t padding = a.i64("padding_mode");
  if (mode < 0 || mode > 2) fail(ctx, "interpolation_mode " + std::to_string(mode) + " is not 0, 1 or 2");
  if (padding < 0 || padding > 2) fail(ctx, "padding_mode " + std::to_string(padding) + " is not 0, 1 or 2");
  set_result(ctx, ctx.op("GridSample", {a.input("input"), a.input("grid")},
                         {{"mode", std::string(kModes[mode])},
                          {"padding_mode", std::string(kPadding[padding])},
                          {"align_corners", int64_t{a.boolean("align_corners") ? 1 : 0}}}));
}

// pixel_shuffle(Tensor self, int upscale_factor): DepthToSpace in CRD order.
void translate_pixel_shuffle(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (rank_of(ctx, a, "self") != 4) fail(ctx, "only 4-D inputs are supported");
  set_result(ctx, ctx.op("DepthToSpace", {a.input("self")},
                         {{"blocksize", a.i64("upscale_factor")}, {"mode", std::string("CRD")}}));
}

}  // namespace

void register_nn(Registrar& r) {
  add(r, "aten::max_pool1d", translate_max_pool<1>);
  add(r, "aten::max_pool2d", translate_max_pool<2>);
  add(r, "aten::max_pool3d", translate_max_pool<3>);
  add(r, "aten::max_pool1d_with_indices", translate_max_pool<1>);
  add(r, "aten::max_pool2d_with_indices", translate_max_pool<2>);
  add(r, "aten::max_pool3d_with_indices", translate_max_pool<3>);
  add(r, "aten::avg_pool1d", translate_avg_pool<1>);
  add(r, "aten::avg_pool2d", translate_avg_pool<2>);
  add(r, "aten::avg_pool3d", translate_avg_pool<3>);
  add(r, "aten::adaptive_avg_pool1d", translate_adaptive_avg_pool<1>);
  add(r, "aten::adaptive_avg_pool2d", translate_adaptive_avg_pool<2>);
  add(r, "aten::adaptive_avg_pool3d", translate_adaptive_avg_pool<3>);
  add(r, "aten::adaptive_max_pool1d", translate_adaptive_max_pool<1>);
  add(r, "aten::adaptive_max_pool2d", translate_adaptive_max_pool<2>);
  add(r, "aten::adaptive_max_pool3d", translate_adaptive_max_pool<3>);
  add(r, "aten::batch_norm", translate_batch_norm, kMinOpset, kOpenEnded,
      "BatchNormalization with running statistics; batch statistics otherwise");
  add(r, "aten::instance_norm", translate_instance_norm);
  add(r, "aten::layer_norm", translate_layer_norm_13, kMinOpset, 16, "decomposed: ReduceMean, Sub, Sqrt, Div");
  add(r, "aten::layer_norm", translate_layer_norm_17, 17, kOpenEnded, "LayerNormalization");
  add(r, "aten::group_norm", translate_group_norm, kMinOpset, kOpenEnded,
      "InstanceNormalization over groups + per-channel affine");
  add(r, "aten::embedding", translate_embedding);
  add(r, "aten::pad", translate_pad);
  add(r, "aten::constant_pad_nd", translate_constant_pad_nd);
  add(r, "aten::reflection_pad1d", translate_named_pad<true>);
  add(r, "aten::reflection_pad2d", translate_named_pad<true>);
  add(r, "aten::replication_pad1d", translate_named_pad<false>);
  add(r, "aten::replication_pad2d", translate_named_pad<false>);
  add(r, "aten::reflection_pad3d", translate_named_pad<true>);
  add(r, "aten::replication_pad3d", translate_named_pad<false>);
  add(r, "aten::upsample_nearest1d", translate_upsample<ResizeMode::Nearest, 1>);
  add(r, "aten::upsample_nearest2d", translate_upsample<ResizeMode::Nearest, 2>);
  add(r, "aten::upsample_nearest3d", translate_upsample<ResizeMode::Nearest, 3>);
  add(r, "aten::_upsample_nearest_exact1d", translate_upsample<ResizeMode::NearestExact, 1>);
  add(r, "aten::_upsample_nearest_exact2d", translate_upsample<ResizeMode::NearestExact, 2>);
  add(r, "aten::_upsample_nearest_exact3d", translate_upsample<ResizeMode::NearestExact, 3>);
  add(r, "aten::upsample_linear1d", translate_upsample<ResizeMode::Linear, 1>);
  add(r, "aten::upsample_bilinear2d", translate_upsample<ResizeMode::Linear, 2>);
  add(r, "aten::upsample_trilinear3d", translate_upsample<ResizeMode::Linear, 3>);
  add(r, "aten::upsample_bicubic2d", translate_upsample<ResizeMode::Cubic, 2>);
  add(r, "aten::pixel_shuffle", translate_pixel_shuffle);
  add(r, "aten::grid_sampler", translate_grid_sampler, 16, kOpenEnded, "GridSample (from opset 16)");
}

}  // namespace onnxport::aten
