// Layers of the torch.nn zoo (issue 10, docs/corpus.md) that no other family
// covered: nn.RReLU (eval), nn.Bilinear, adaptive average pooling with uneven
// windows, nn.TripletMarginLoss, nn.MultiMarginLoss, nn.MaxUnpool2d/3d,
// nn.Fold. Each reads its arguments by name (docs/architecture.md §4a).
#include "families.hpp"

#include <onnxport/op_schema.hpp>

#include <algorithm>
#include <cmath>

namespace onnxport::aten {
namespace {

// aten::rrelu(Tensor self, Scalar lower=0.125, Scalar upper=0.333..., bool training=False,
//             Generator? generator=None) -> Tensor
// Eval mode: a leaky relu with slope (lower + upper) / 2; training mode draws
// a random slope per element, which no model can reproduce, and is refused.
void translate_rrelu(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (a.boolean("training"))
    fail(ctx, "rrelu with training=True draws a random slope per element, which a model cannot reproduce",
         "call model.eval() before capturing");
  const double slope = (a.f64("lower") + a.f64("upper")) / 2;
  set_result(ctx, ctx.op("LeakyRelu", {a.input("self")}, {{"alpha", slope}}));
}

// aten::bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) -> Tensor
// y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o], as
//   x1 [N, in1] @ (W as [in1, out*in2]) -> [N, out, in2], times x2 [N, 1, in2],
//   ReduceSum over in2 -> [N, out], + b, then back to x1's leading dims.
void translate_bilinear(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Value& w = a.value("weight");
  if (w.shape.size() != 3 || !shape_is_static(w.shape))
    fail(ctx, "weight must be a static 3-D tensor, got " + w.type_str());
  const int64_t outs = w.shape[0].value(), n1 = w.shape[1].value(), n2 = w.shape[2].value();
  const DType d = arg_dtype(ctx, a.index("input1"));
  const std::string x1 = a.input("input1");
  const std::string x2 = input_as(ctx, a.index("input2"), d);
  const std::string wt = reshape(
      ctx, ctx.op("Transpose", {input_as(ctx, a.index("weight"), d)}, {{"perm", std::vector<int64_t>{1, 0, 2}}}),
      {n1, outs * n2});
  const std::string t = reshape(ctx, ctx.op("MatMul", {reshape(ctx, x1, {-1, n1}), wt}), {-1, outs, n2});
  const std::string p = ctx.op("Mul", {t, unsqueeze(ctx, reshape(ctx, x2, {-1, n2}), {1})});
  std::string y = ctx.op("ReduceSum", {p, ctx.const_i64({2})}, {{"keepdims", int64_t{0}}});
  if (a.has("bias")) y = ctx.op("Add", {y, input_as(ctx, a.index("bias"), d)});
  // Back to input1's leading dims (none for a 1-D input), then `out`.
  const std::string lead = ctx.op("Slice", {shape_of(ctx, x1), ctx.const_i64({0}), ctx.const_i64({-1}),
                                            ctx.const_i64({0})});
  const std::string target = ctx.op("Concat", {lead, ctx.const_i64({outs})}, {{"axis", int64_t{0}}});
  set_result(ctx, ctx.op("Reshape", {y, target}));
}

// adaptive_avg_pool{1,2,3}d(Tensor self, SymInt[N] output_size) when an input
// size is not a multiple of its output size (nn.AdaptiveAvgPool2d(3) on 10x10):
// the windows are uneven, [floor(i*in/out), ceil((i+1)*in/out)), so no one
// AveragePool covers them. A window average over a box is the average over
// one axis of the averages over the others, so each spatial axis in turn is
// cut into its windows: Slice, ReduceSum (axes as an input at every opset
// from 13), times 1/width, Concat. It is registered below the uniform
// translator (nn.cpp), which is tried first and refuses uneven windows.
constexpr int64_t kMaxAdaptiveWindows = 512;  // per axis: beyond it the graph grows too large

template <size_t Spatial>
void translate_adaptive_avg_pool_windows(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Value& in = a.value("self");
  const std::vector<int64_t> out = a.ints("output_size");
  if (out.size() != Spatial) fail(ctx, "output_size needs " + std::to_string(Spatial) + " sizes");
  if (in.shape.size() != Spatial + 1 && in.shape.size() != Spatial + 2)
    fail(ctx, "input must have " + std::to_string(Spatial) + " spatial dims after (N,) C, got " + in.type_str());
  const DType d = arg_dtype(ctx, a.index("self"));
  const size_t first = in.shape.size() - Spatial;
  std::string x = a.input("self");
  for (size_t k = 0; k < Spatial; ++k) {
    const Dim& size = in.shape[first + k];
    if (!size.is_static() || out[k] <= 0 || out[k] > kMaxAdaptiveWindows)
      fail(ctx, "adaptive pooling with uneven windows needs a static input size and 1.." +
                    std::to_string(kMaxAdaptiveWindows) + " outputs per spatial dim, got size " + size.str() +
                    " to " + std::to_string(out[k]));
    const int64_t n = size.value(), o = out[k];
    const int64_t axis = static_cast<int64_t>(first + k);
    if (n == o) continue;  // windows of one: the identity
    std::vector<std::string> windows;
    for (int64_t i = 0; i < o; ++i) {
      const int64_t start = (i * n) / o, end = ((i + 1) * n + o - 1) / o;
      const std::string piece = ctx.op("Slice", {x, ctx.const_i64({start}), ctx.const_i64({end}), ctx.const_i64({axis})});
      const std::string sum = ctx.op("ReduceSum", {piece, ctx.const_i64({axis})}, {{"keepdims", int64_t{1}}});
      windows.push_back(ctx.op("Mul", {sum, ctx.const_scalar(1.0 / static_cast<double>(end - start), d)}));
    }
    x = windows.size() == 1 ? windows[0] : ctx.op("Concat", windows, {{"axis", axis}});
  }
  set_result(ctx, x);
}

// aten::triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1.,
//     float p=2., float eps=1e-06, bool swap=False, int reduction=1) -> Tensor
// max(margin + d(a, p) - d(a, n), 0) per row (Relu), d(x, y) = ||x - y + eps||_p
// over the last dim: Pow(ReduceSum(Pow(|x - y + eps|, p)), 1/p); swap takes
// min(d(a, n), d(p, n)).
void translate_triplet_margin_loss(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a.index("anchor"));
  const double p = a.f64("p"), eps = a.f64("eps"), margin = a.f64("margin");
  const int64_t reduction = a.i64("reduction");
  if (!(p > 0) || !std::isfinite(p)) fail(ctx, "p must be a finite norm degree > 0");
  if (reduction < 0 || reduction > 2) fail(ctx, "reduction must be 0 (none), 1 (mean) or 2 (sum)");
  auto distance = [&](const std::string& x, const std::string& y) {
    const std::string diff = ctx.op("Abs", {ctx.op("Add", {ctx.op("Sub", {x, y}), ctx.const_scalar(eps, d)})});
    const std::string powered = p == 1.0 ? diff : p == 2.0 ? ctx.op("Mul", {diff, diff})
                                                           : ctx.op("Pow", {diff, ctx.const_scalar(p, d)});
    const std::string sum = ctx.op("ReduceSum", {powered, ctx.const_i64({-1})}, {{"keepdims", int64_t{0}}});
    return p == 1.0 ? sum : p == 2.0 ? ctx.op("Sqrt", {sum}) : ctx.op("Pow", {sum, ctx.const_scalar(1.0 / p, d)});
  };
  const std::string an = a.input("anchor"), po = input_as(ctx, a.index("positive"), d),
                    ne = input_as(ctx, a.index("negative"), d);
  std::string d_an = distance(an, ne);
  if (a.boolean("swap")) d_an = ctx.op("Min", {d_an, distance(po, ne)});
  const std::string loss =
      ctx.op("Relu", {ctx.op("Sub", {ctx.op("Add", {distance(an, po), ctx.const_scalar(margin, d)}), d_an})});
  if (reduction == 0) {
    set_result(ctx, loss);
    return;
  }
  set_result(ctx, reduction == 2 ? reduce(ctx, "ReduceSum", loss, {}, false, true)
                                 : reduce(ctx, "ReduceMean", loss, {}, false, ctx.opset() >= 18));
}

// aten::multi_margin_loss(Tensor self, Tensor target, Scalar p=1, Scalar margin=1,
//     Tensor? weight=None, int reduction=1) -> Tensor
// Per row: h_i = max(0, margin - x[y] + x[i]) (Relu; squared for p=2, times
// weight[y]), masked to i != y (Range vs target), summed over the C classes, / C.
void translate_multi_margin_loss(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Value& xv = a.value("self");
  if (xv.shape.empty() || xv.shape.size() > 2) fail(ctx, "self must be 1-D [C] or 2-D [N, C]");
  if (!xv.shape.back().is_static()) fail(ctx, "the number of classes must be static");
  const int64_t classes = xv.shape.back().value();
  const bool unbatched = xv.shape.size() == 1;
  const double p = a.f64("p");
  if (p != 1.0 && p != 2.0) fail(ctx, "only p = 1 and p = 2 are supported (as in PyTorch)");
  const int64_t reduction = a.i64("reduction");
  if (reduction < 0 || reduction > 2) fail(ctx, "reduction must be 0 (none), 1 (mean) or 2 (sum)");
  const DType d = arg_dtype(ctx, a.index("self"));
  std::string x = a.input("self");
  std::string y = cast(ctx, a.input("target"), arg_dtype(ctx, a.index("target")), DType::Int64);
  if (unbatched) {
    x = unsqueeze(ctx, x, {0});
    y = unsqueeze(ctx, y, {0});
  }
  const std::string y_col = unsqueeze(ctx, y, {1});  // [N, 1]
  const std::string xy = ctx.op("GatherElements", {x, y_col}, {{"axis", int64_t{1}}});
  std::string h = ctx.op("Relu", {ctx.op("Add", {ctx.op("Sub", {ctx.const_scalar(a.f64("margin"), d), xy}), x})});
  if (p == 2.0) h = ctx.op("Mul", {h, h});
  if (a.has("weight")) h = ctx.op("Mul", {h, ctx.op("Gather", {input_as(ctx, a.index("weight"), d), y_col})});
  const std::string classes_range =
      ctx.op("Range", {ctx.const_scalar(0, DType::Int64), ctx.const_scalar(static_cast<double>(classes), DType::Int64),
                       ctx.const_scalar(1, DType::Int64)});  // Range takes 0-d bounds
  const std::string others = cast(ctx, ctx.op("Not", {ctx.op("Equal", {classes_range, y_col})}), DType::Bool, d);
  std::string loss = ctx.op("ReduceSum", {ctx.op("Mul", {h, others}), ctx.const_i64({1})}, {{"keepdims", int64_t{0}}});
  loss = ctx.op("Div", {loss, ctx.const_scalar(static_cast<double>(classes), d)});
  if (reduction == 0) {
    set_result(ctx, unbatched ? squeeze(ctx, loss, {0}) : loss);
    return;
  }
  set_result(ctx, reduction == 2 ? reduce(ctx, "ReduceSum", loss, {}, false, true)
                                 : reduce(ctx, "ReduceMean", loss, {}, false, ctx.opset() >= 18));
}

// aten::max_unpool2d(self, indices, int[2] output_size) and
// aten::max_unpool3d(self, indices, int[3] output_size, stride, padding):
// per (n, c) plane, zeros of the output size with each value scattered to its
// index (flat within the plane, as torch's max_pool indices are; ONNX
// MaxUnpool wants them flat over the whole tensor, so ScatterElements on
// [..., plane] views is used instead).
template <size_t Spatial>
void translate_max_unpool(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Value& xv = a.value("self");
  if (xv.shape.size() != Spatial + 1 && xv.shape.size() != Spatial + 2)
    fail(ctx, "self must have " + std::to_string(Spatial) + " spatial dims after (N,) C");
  const std::vector<int64_t> size = a.ints("output_size");
  if (size.size() != Spatial) fail(ctx, "output_size must have " + std::to_string(Spatial) + " sizes");
  int64_t plane = 1;
  for (int64_t s : size) plane *= s;
  const DType d = arg_dtype(ctx, a.index("self"));
  const std::string x = a.input("self");
  const std::string idx = cast(ctx, a.input("indices"), arg_dtype(ctx, a.index("indices")), DType::Int64);
  const int64_t lead_rank = static_cast<int64_t>(xv.shape.size() - Spatial);
  const std::string lead = ctx.op("Slice", {shape_of(ctx, x), ctx.const_i64({0}), ctx.const_i64({lead_rank}),
                                            ctx.const_i64({0})});
  auto shaped = [&](const std::vector<int64_t>& tail) {
    return ctx.op("Concat", {lead, ctx.const_i64(tail)}, {{"axis", int64_t{0}}});
  };
  const std::string flat_shape = shaped({-1});
  const std::string zeros = ctx.op("Expand", {ctx.const_scalar(0.0, d), shaped({plane})});
  const std::string scattered =
      ctx.op("ScatterElements", {zeros, ctx.op("Reshape", {idx, flat_shape}), ctx.op("Reshape", {x, flat_shape})},
             {{"axis", int64_t{-1}}});
  set_result(ctx, ctx.op("Reshape", {scattered, shaped(size)}));
}

// aten::col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation,
//              int[2] padding, int[2] stride) -> Tensor   (F.fold, nn.Fold)
// Fold is the adjoint of Unfold, and Unfold is a grouped convolution with
// one-hot kernels (output channel (c, i, j) picks pixel (i, j) of channel c),
// so Fold is the ConvTranspose with the same one-hot weight [C*kh*kw, 1, kh,
// kw], group C, and the window's strides, dilations and pads, on the columns
// viewed as [N, C*kh*kw, bh, bw]. Opsets 13-18 alike (opset 18's Col2Im is
// not needed). Exact for finite values: the zero taps multiply other
// columns' values by 0, so an inf or NaN column would spread NaN.
void translate_col2im(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Value& xv = a.value("self");
  const bool batched = xv.shape.size() == 3;
  if (xv.shape.size() != 2 && xv.shape.size() != 3) fail(ctx, "self must be 2-D or 3-D");
  const std::vector<int64_t> size = a.ints("output_size"), kernel = a.ints("kernel_size");
  const std::vector<int64_t> dilation = a.ints("dilation"), padding = a.ints("padding"), stride = a.ints("stride");
  for (const auto* v : {&size, &kernel, &dilation, &padding, &stride})
    if (v->size() != 2) fail(ctx, "output_size, kernel_size, dilation, padding and stride take 2 values each");
  const Dim rows = xv.shape[batched ? 1 : 0];
  if (!rows.is_static() || rows.value() % (kernel[0] * kernel[1]) != 0)
    fail(ctx, "the column rows must be a static multiple of kh*kw");
  const int64_t channels = rows.value() / (kernel[0] * kernel[1]);
  int64_t blocks[2];
  for (int k = 0; k < 2; ++k) {
    blocks[k] = (size[static_cast<size_t>(k)] + 2 * padding[static_cast<size_t>(k)] -
                 dilation[static_cast<size_t>(k)] * (kernel[static_cast<size_t>(k)] - 1) - 1) /
                    stride[static_cast<size_t>(k)] +
                1;
    if (blocks[k] <= 0) fail(ctx, "the kernel does not fit in the padded output size");
  }
  const DType d = arg_dtype(ctx, a.index("self"));
  // One-hot weight: row (c, i, j) has a 1 at kernel position (i, j).
  const int64_t taps = kernel[0] * kernel[1];
  std::vector<double> one_hot(static_cast<size_t>(channels * taps * taps), 0.0);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t t = 0; t < taps; ++t) one_hot[static_cast<size_t>((c * taps + t) * taps + t)] = 1.0;
  Tensor weight = Tensor::zeros(d, {channels * taps, 1, kernel[0], kernel[1]});
  for (size_t i = 0; i < one_hot.size(); ++i) weight.set_double(static_cast<int64_t>(i), one_hot[i]);
  std::string x = a.input("self");
  if (!batched) x = unsqueeze(ctx, x, {0});
  x = reshape(ctx, x, {0, channels * taps, blocks[0], blocks[1]});
  // ConvTranspose's output is (b - 1) * stride + dilation * (k - 1) + 1 - pads; output_padding
  // covers the rows of the output no window reaches (torch's output_size may be larger).
  std::vector<int64_t> output_padding(2);
  for (size_t k = 0; k < 2; ++k) {
    const int64_t reached = (blocks[k] - 1) * stride[k] + dilation[k] * (kernel[k] - 1) + 1 - 2 * padding[k];
    output_padding[k] = size[k] - reached;
    if (output_padding[k] < 0 || output_padding[k] >= std::max(stride[k], dilation[k]))
      fail(ctx, "output_size " + std::to_string(size[k]) + " does not follow from the window positions");
  }
  std::string y = ctx.op("ConvTranspose", {x, ctx.constant(weight)},
                         {{"group", channels},
                          {"kernel_shape", kernel},
                          {"strides", stride},
                          {"dilations", dilation},
                          {"pads", std::vector<int64_t>{padding[0], padding[1], padding[0], padding[1]}},
                          {"output_padding", output_padding}});
  if (!batched) y = squeeze(ctx, y, {0});
  set_result(ctx, y);
}

}  // namespace

void register_layers(Registrar& r) {
  add(r, "aten::col2im", translate_col2im, kMinOpset, kOpenEnded,
      "ConvTranspose with one-hot kernels, group C (the adjoint of im2col's grouped convolution)");
  add(r, "aten::max_unpool2d", translate_max_unpool<2>, kMinOpset, kOpenEnded,
      "ScatterElements of the values into zeros, per (n, c) plane");
  add(r, "aten::max_unpool3d", translate_max_unpool<3>, kMinOpset, kOpenEnded,
      "ScatterElements of the values into zeros, per (n, c) plane");
  add(r, "aten::multi_margin_loss", translate_multi_margin_loss, kMinOpset, kOpenEnded,
      "Relu(margin - x[y] + x) (squared for p=2, weighted), masked to the other classes, summed / C");
  add(r, "aten::triplet_margin_loss", translate_triplet_margin_loss, kMinOpset, kOpenEnded,
      "Relu(margin + d(a, p) - d(a, n)), d = ReduceSum of |x - y + eps|^p to the 1/p");
  // Tried after nn.cpp's uniform AveragePool translator, which refuses uneven windows.
  for (auto [op, fn] : {std::pair{"aten::adaptive_avg_pool1d", &translate_adaptive_avg_pool_windows<1>},
                        std::pair{"aten::adaptive_avg_pool2d", &translate_adaptive_avg_pool_windows<2>},
                        std::pair{"aten::adaptive_avg_pool3d", &translate_adaptive_avg_pool_windows<3>}}) {
    TranslatorSpec spec;
    spec.op = op;
    spec.fn = fn;
    spec.since_opset = kMinOpset;
    spec.until_opset = kOpenEnded;
    spec.priority = -1;
    spec.description = "uneven adaptive windows: Slice, ReduceSum, scale and Concat per spatial dim";
    r.add_translator(std::move(spec));
  }
  add(r, "aten::rrelu", translate_rrelu, kMinOpset, kOpenEnded, "eval mode: LeakyRelu, slope (lower + upper) / 2");
  add(r, "aten::bilinear", translate_bilinear, kMinOpset, kOpenEnded,
      "MatMul with the weight as [in1, out*in2], Mul by input2, ReduceSum, Add bias");
}

}  // namespace onnxport::aten
