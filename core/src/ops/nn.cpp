// NN ops: convolution (1-D/2-D/3-D, groups, dilation, "same"/"valid"
// padding, transposed), pooling (max, avg and adaptive, 1-D to 3-D), normalization (batch, layer, group,
// instance), embedding, pixel_shuffle / pixel_unshuffle,
// prelu, glu, threshold.
//
// 1-D ops run through the 2-D kernels with a height of 1. 2-D convolution is
// im2col + gemm_accumulate per (batch, group); 3-D ops are direct loops.
#include "base/checked_math.hpp"
#include "gemm.hpp"
#include "op_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxport::ops {
namespace {

// ---------------------------------------------------------------- window geometry

// Per spatial dim: kernel size, stride, dilation and padding on each side.
struct Window {
  std::vector<int64_t> kernel, stride, dilation, pad_before, pad_after;
  bool ceil_mode = false;
};

// An int[N] argument: one value repeated, or exactly N values; `fallback`
// when it is None or empty (a max_pool stride of []).
std::vector<int64_t> expand_param(const OpArgs& args, std::string_view name, size_t n, int64_t fallback) {
  std::vector<int64_t> v = args.optional_ints(name).value_or(std::vector<int64_t>{});
  if (v.empty()) v.assign(n, fallback);
  if (v.size() == 1) v.assign(n, v[0]);
  if (v.size() != n) fail(std::string(name) + " must have 1 or " + std::to_string(n) + " values, got " + sizes_str(v));
  return v;
}

// Kernel sizes, strides and dilations are positive, as torch requires: a
// stride of 0 divides by zero in window_output, and a negative value makes
// every size computed from it meaningless.
void check_positive(const std::vector<int64_t>& values, const char* what) {
  for (int64_t v : values)
    if (v <= 0) fail(std::string(what) + " must be positive, got " + sizes_str(values));
}

void check_window(const Window& w) {
  check_positive(w.kernel, "kernel size");
  check_positive(w.stride, "stride");
  check_positive(w.dilation, "dilation");
  for (const auto* pad : {&w.pad_before, &w.pad_after})
    for (int64_t p : *pad)
      if (p < 0) fail("padding must be non-negative, got " + sizes_str(*pad));
}

// a op b for window arithmetic on values from the program: an overflow is a
// clear error, never a wrapped size.
int64_t window_mul(int64_t a, int64_t b) {
  if (auto v = checked_mul(a, b)) return *v;
  fail("the window arithmetic overflows 64 bits (" + std::to_string(a) + " * " + std::to_string(b) + ")");
}
int64_t window_add(int64_t a, int64_t b) {
  if (auto v = checked_add(a, b)) return *v;
  fail("the window arithmetic overflows 64 bits (" + std::to_string(a) + " + " + std::to_string(b) + ")");
}

// Output size of a sliding window along one dim, symbolic when the input is.
// k, s, d >= 1 and before, after >= 0 (check_window).
Dim window_output(const Dim& in, int64_t k, int64_t s, int64_t d, int64_t before, int64_t after, bool ceil_mode) {
  const int64_t reach = window_add(window_mul(d, k - 1), 1);
  const int64_t padding = window_add(before, after);
  if (in.is_static()) {
    const int64_t span = window_add(in.value(), padding) - reach;
    if (span < 0)
      fail("the window (" + std::to_string(reach) + " after dilation) is larger than the padded input (" +
           std::to_string(in.value() + before + after) + ")");
    int64_t out = window_add(span, ceil_mode ? s - 1 : 0) / s + 1;
    // The last window must start inside the input or the left padding.
    if (ceil_mode && (out - 1) * s >= in.value() + before) --out;
    return Dim(out);
  }
  // (in + c) // s + 1 written as (in + c + s) // s, so stride 1 folds to in + c + 1.
  return dim_floordiv(dim_add(in, Dim(window_add(padding - reach + (ceil_mode ? s - 1 : 0), s))), Dim(s));
}

// Layout of an input with `spatial` trailing dims after an optional batch dim and channels.
struct Layout {
  bool batched = true;
  Shape shape;  // always [N, C, spatial...] (N = 1 when unbatched)
};

Layout input_layout(const TensorMeta& in, size_t spatial, const char* op) {
  Layout l;
  if (in.shape.size() == spatial + 2) {
    l.shape = in.shape;
  } else if (in.shape.size() == spatial + 1) {
    l.batched = false;
    l.shape = in.shape;
    l.shape.insert(l.shape.begin(), Dim(1));
  } else {
    fail(std::string(op) + " expects a " + std::to_string(spatial + 1) + "-D (unbatched) or " + std::to_string(spatial + 2) +
         "-D (batched) input, got shape " + shape_str(in.shape));
  }
  return l;
}

Shape output_shape(const Layout& l, const Dim& channels, const std::vector<Dim>& spatial) {
  Shape out;
  if (l.batched) out.push_back(l.shape[0]);
  out.push_back(channels);
  out.insert(out.end(), spatial.begin(), spatial.end());
  return out;
}

std::vector<Dim> window_outputs(const Layout& l, const Window& w) {
  check_window(w);
  std::vector<Dim> out;
  for (size_t i = 0; i < w.kernel.size(); ++i)
    out.push_back(window_output(l.shape[2 + i], w.kernel[i], w.stride[i], w.dilation[i], w.pad_before[i], w.pad_after[i], w.ceil_mode));
  return out;
}

// Concrete [N, C, H, W] view of a 1-D or 2-D spatial input (1-D gets H = 1).
std::vector<int64_t> as_nchw(const std::vector<int64_t>& sizes, size_t spatial) {
  std::vector<int64_t> s = sizes;
  if (s.size() == spatial + 1) s.insert(s.begin(), 1);
  if (spatial == 1) s.insert(s.begin() + 2, 1);
  return s;
}

// The window lifted to 2-D (height 1 for 1-D ops).
Window as_2d(const Window& w) {
  if (w.kernel.size() == 2) return w;
  Window v = w;
  v.kernel.insert(v.kernel.begin(), 1);
  v.stride.insert(v.stride.begin(), 1);
  v.dilation.insert(v.dilation.begin(), 1);
  v.pad_before.insert(v.pad_before.begin(), 0);
  v.pad_after.insert(v.pad_after.begin(), 0);
  return v;
}

// Concrete [N, C, D, H, W] view of a 3-D spatial input (unbatched gets N = 1).
std::vector<int64_t> as_ncdhw(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> s = sizes;
  if (s.size() == 4) s.insert(s.begin(), 1);
  return s;
}

// ---------------------------------------------------------------- convolution

// conv{1,2}d(input, weight, bias?, stride, padding, dilation, groups);
// padding is int[N] or "same"/"valid" (the conv{1,2}d.padding overload).
struct ConvCall {
  Layout layout;
  Window window;
  int64_t groups = 1;
  Shape out_shape;
  DType dtype;
};

// conv{1,2,3}d(Tensor input, Tensor weight, Tensor? bias=None, int[N] stride=1, int[N] padding=0,
// int[N] dilation=1, int groups=1), conv{N}d.padding (str padding="valid"), and
// convolution / _convolution(input, weight, bias, int[] stride, int[] padding,
// int[] dilation, bool transposed, int[] output_padding, int groups, ...) with
// transposed false: the same names.
ConvCall conv_call(const OpArgs& args, size_t spatial) {
  const TensorMeta& in = args.tensor("input");
  const TensorMeta& weight = args.tensor("weight");
  ConvCall c;
  c.layout = input_layout(in, spatial, "convolution");
  if (weight.shape.size() != spatial + 2)
    fail("weight must be " + std::to_string(spatial + 2) + "-D, got shape " + shape_str(weight.shape));
  if (in.dtype != weight.dtype)
    fail("input dtype " + std::string(dtype_name(in.dtype)) + " differs from weight dtype " + std::string(dtype_name(weight.dtype)));
  c.dtype = in.dtype;
  c.groups = args.i64("groups");
  if (c.groups <= 0) fail("groups must be positive, got " + std::to_string(c.groups));
  Window& w = c.window;
  for (size_t i = 0; i < spatial; ++i) {
    const Dim& k = weight.shape[2 + i];
    if (k.is_symbolic()) fail("the kernel size must be static, got weight shape " + shape_str(weight.shape));
    w.kernel.push_back(k.value());
  }
  w.stride = expand_param(args, "stride", spatial, 1);
  w.dilation = expand_param(args, "dilation", spatial, 1);
  check_positive(w.kernel, "kernel size");  // before "same" padding is computed from them
  check_positive(w.dilation, "dilation");
  const OpArg& padding = args.arg("padding");
  if (padding.kind == OpArg::Kind::Constant && padding.constant.is_string()) {
    const std::string mode = padding.constant.get<std::string>();
    if (mode == "valid") {
      w.pad_before.assign(spatial, 0);
    } else if (mode == "same") {
      for (int64_t s : w.stride)
        if (s != 1) fail("padding='same' is not supported for strided convolutions (stride " + sizes_str(w.stride) + ")");
      for (size_t i = 0; i < spatial; ++i) {
        const int64_t total = w.dilation[i] * (w.kernel[i] - 1);
        w.pad_before.push_back(total / 2);
        w.pad_after.push_back(total - total / 2);  // the extra one goes after, as torch does
      }
    } else {
      fail("padding must be 'same', 'valid' or a list of ints, got '" + mode + "'");
    }
  } else {
    w.pad_before = expand_param(args, "padding", spatial, 0);
  }
  if (w.pad_after.empty()) w.pad_after = w.pad_before;
  const Dim& channels = c.layout.shape[1];
  const Dim expected = dim_mul(weight.shape[1], Dim(c.groups));
  if (channels.is_static() && expected.is_static() && channels.value() != expected.value())
    fail("input of shape " + shape_str(in.shape) + " has " + channels.str() + " channels, but weight of shape " +
         shape_str(weight.shape) + " with groups=" + std::to_string(c.groups) + " expects " + expected.str());
  const Dim& out_channels = weight.shape[0];
  if (out_channels.is_static() && out_channels.value() % c.groups != 0)
    fail("out channels " + out_channels.str() + " are not divisible by groups=" + std::to_string(c.groups));
  if (const OpArg* bias = args.optional_tensor("bias")) {
    if (bias->meta.shape.size() != 1 || !(bias->meta.shape[0] == out_channels))
      fail("bias must have shape [" + out_channels.str() + "], got " + shape_str(bias->meta.shape));
  }
  c.out_shape = output_shape(c.layout, out_channels, window_outputs(c.layout, w));
  return c;
}

// Unfolds one group of one image into columns: rows (c, ki, kj), columns (oh, ow).
template <class T>
void im2col(const T* image, int64_t channels, int64_t H, int64_t W, const Window& w, int64_t OH, int64_t OW, T* cols) {
  const int64_t kh = w.kernel[0], kw = w.kernel[1];
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ki = 0; ki < kh; ++ki)
      for (int64_t kj = 0; kj < kw; ++kj) {
        T* row = cols + ((c * kh + ki) * kw + kj) * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t ih = oh * w.stride[0] - w.pad_before[0] + ki * w.dilation[0];
          T* dst = row + oh * OW;
          if (ih < 0 || ih >= H) {
            std::fill(dst, dst + OW, T(0));
            continue;
          }
          const T* src = image + (c * H + ih) * W;
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t iw = ow * w.stride[1] - w.pad_before[1] + kj * w.dilation[1];
            dst[ow] = (iw >= 0 && iw < W) ? src[iw] : T(0);
          }
        }
      }
}

template <class T>
void conv2d_loop(const Tensor& input, const Tensor& weight, const Tensor* bias, const Window& w, int64_t groups,
                 Tensor& out) {
  const auto& is = input.shape();
  const auto& os = out.shape();
  const int64_t N = is[0], C = is[1], H = is[2], W = is[3];
  const int64_t O = os[1], OH = os[2], OW = os[3];
  const int64_t Cg = C / groups, Og = O / groups;
  const int64_t K = Cg * w.kernel[0] * w.kernel[1], P = OH * OW;
  const bool pointwise = w.kernel[0] == 1 && w.kernel[1] == 1 && w.stride[0] == 1 && w.stride[1] == 1 &&
                         w.pad_before[0] == 0 && w.pad_before[1] == 0;
  std::vector<T> cols(pointwise ? 0 : static_cast<size_t>(K * P));
  const T* in = input.data<T>();
  const T* wt = weight.data<T>();
  T* po = out.mutable_data<T>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t g = 0; g < groups; ++g) {
      const T* image = in + (n * C + g * Cg) * H * W;
      T* dst = po + (n * O + g * Og) * P;
      if (bias)
        for (int64_t o = 0; o < Og; ++o) std::fill(dst + o * P, dst + (o + 1) * P, bias->data<T>()[g * Og + o]);
      const T* B = image;  // a 1x1 unit-stride conv reads the image as its columns
      if (!pointwise) {
        im2col(image, Cg, H, W, w, OH, OW, cols.data());
        B = cols.data();
      }
      gemm_accumulate<T>(Og, P, K, {wt + g * Og * K, K, 1}, {B, P, 1}, dst);
    }
}

// 3-D convolution, a direct loop (reference speed; video models are rare in
// draft captures): out[n, o, z, y, x] = bias[o] + sum over the group's
// channels and the kernel volume, zero outside the input.
template <class T>
void conv3d_loop(const Tensor& input, const Tensor& weight, const Tensor* bias, const Window& w, int64_t groups,
                 Tensor& out) {
  const auto& is = input.shape();
  const auto& os = out.shape();
  const int64_t N = is[0], C = is[1], D = is[2], H = is[3], W = is[4];
  const int64_t O = os[1], OD = os[2], OH = os[3], OW = os[4];
  const int64_t Cg = C / groups, Og = O / groups;
  const int64_t KD = w.kernel[0], KH = w.kernel[1], KW = w.kernel[2];
  const T* in = input.data<T>();
  const T* wt = weight.data<T>();
  T* po = out.mutable_data<T>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      const int64_t g = o / Og;
      for (int64_t z = 0; z < OD; ++z)
        for (int64_t y = 0; y < OH; ++y)
          for (int64_t x = 0; x < OW; ++x) {
            double sum = bias ? static_cast<double>(bias->data<T>()[o]) : 0.0;
            for (int64_t c = 0; c < Cg; ++c) {
              const T* image = in + ((n * C + g * Cg + c) * D) * H * W;
              const T* kernel = wt + ((o * Cg + c) * KD) * KH * KW;
              for (int64_t kd = 0; kd < KD; ++kd) {
                const int64_t iz = z * w.stride[0] - w.pad_before[0] + kd * w.dilation[0];
                if (iz < 0 || iz >= D) continue;
                for (int64_t kh = 0; kh < KH; ++kh) {
                  const int64_t iy = y * w.stride[1] - w.pad_before[1] + kh * w.dilation[1];
                  if (iy < 0 || iy >= H) continue;
                  for (int64_t kw = 0; kw < KW; ++kw) {
                    const int64_t ix = x * w.stride[2] - w.pad_before[2] + kw * w.dilation[2];
                    if (ix < 0 || ix >= W) continue;
                    sum += static_cast<double>(image[(iz * H + iy) * W + ix]) * static_cast<double>(kernel[(kd * KH + kh) * KW + kw]);
                  }
                }
              }
            }
            po[(((n * O + o) * OD + z) * OH + y) * OW + x] = static_cast<T>(sum);
          }
    }
}

std::vector<Tensor> conv3d_kernel(const ConvCall& c, const OpArgs& args) {
  const DType calc = compute_dtype(c.dtype);
  Tensor input = converted(args.data("input"), calc);
  input = input.reshaped(as_ncdhw(input.shape()));
  Tensor weight = converted(args.data("weight"), calc);
  Tensor bias;
  if (args.has("bias")) bias = converted(args.data("bias"), calc);
  const std::vector<int64_t> out_sizes = concrete(c.out_shape);
  Tensor out = Tensor::zeros(calc, as_ncdhw(out_sizes));
  visit_floating(calc, [&](auto tag) {
    conv3d_loop<typename decltype(tag)::type>(input, weight, bias.defined() ? &bias : nullptr, c.window, c.groups, out);
  });
  return {finish(out.reshaped(out_sizes), c.dtype)};
}

std::vector<Tensor> conv_kernel(const OpArgs& args, size_t spatial) {
  const ConvCall c = conv_call(args, spatial);
  if (spatial == 3) return conv3d_kernel(c, args);
  const DType calc = compute_dtype(c.dtype);
  Tensor input = converted(args.data("input"), calc);
  Tensor weight = converted(args.data("weight"), calc);
  input = input.reshaped(as_nchw(input.shape(), spatial));
  weight = weight.reshaped(as_nchw(weight.shape(), spatial));
  Tensor bias;
  if (args.has("bias")) bias = converted(args.data("bias"), calc);
  const std::vector<int64_t> out_sizes = concrete(c.out_shape);
  Tensor out = Tensor::zeros(calc, as_nchw(out_sizes, spatial));
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    conv2d_loop<T>(input, weight, bias.defined() ? &bias : nullptr, as_2d(c.window), c.groups, out);
  });
  return {finish(out.reshaped(out_sizes), c.dtype)};
}

// conv_transpose{1,2,3}d(Tensor input, Tensor weight [C_in, C_out/groups, k...], Tensor? bias=None,
// int[N] stride=1, int[N] padding=0, int[N] output_padding=0, int groups=1, int[N] dilation=1)
// (and convolution / _convolution with transposed true): the gradient of a convolution.
struct TransposedCall {
  ConvCall conv;
  std::vector<int64_t> output_padding;
};

TransposedCall conv_transpose_call(const OpArgs& args, size_t spatial) {
  const TensorMeta& in = args.tensor("input");
  const TensorMeta& weight = args.tensor("weight");
  TransposedCall t;
  ConvCall& c = t.conv;
  c.layout = input_layout(in, spatial, "transposed convolution");
  if (weight.shape.size() != spatial + 2)
    fail("weight must be " + std::to_string(spatial + 2) + "-D, got shape " + shape_str(weight.shape));
  if (in.dtype != weight.dtype)
    fail("input dtype " + std::string(dtype_name(in.dtype)) + " differs from weight dtype " + std::string(dtype_name(weight.dtype)));
  c.dtype = in.dtype;
  c.groups = args.i64("groups");
  if (c.groups <= 0) fail("groups must be positive, got " + std::to_string(c.groups));
  Window& w = c.window;
  for (size_t i = 0; i < spatial; ++i) {
    if (weight.shape[2 + i].is_symbolic()) fail("the kernel size must be static, got weight shape " + shape_str(weight.shape));
    w.kernel.push_back(weight.shape[2 + i].value());
  }
  w.stride = expand_param(args, "stride", spatial, 1);
  w.pad_before = expand_param(args, "padding", spatial, 0);
  w.pad_after = w.pad_before;
  t.output_padding = expand_param(args, "output_padding", spatial, 0);
  w.dilation = expand_param(args, "dilation", spatial, 1);
  check_window(w);
  for (int64_t p : t.output_padding)
    if (p < 0) fail("output_padding must be non-negative, got " + sizes_str(t.output_padding));
  for (size_t i = 0; i < spatial; ++i)
    if (t.output_padding[i] >= std::max(w.stride[i], w.dilation[i]))
      fail("output_padding " + sizes_str(t.output_padding) + " must be smaller than stride or dilation");
  const Dim& channels = c.layout.shape[1];
  if (channels.is_static() && weight.shape[0].is_static() && channels.value() != weight.shape[0].value())
    fail("input of shape " + shape_str(in.shape) + " has " + channels.str() + " channels, but weight of shape " +
         shape_str(weight.shape) + " expects " + weight.shape[0].str());
  const Dim out_channels = dim_mul(weight.shape[1], Dim(c.groups));
  if (const OpArg* bias = args.optional_tensor("bias")) {
    if (bias->meta.shape.size() != 1 || !(bias->meta.shape[0] == out_channels))
      fail("bias must have shape [" + out_channels.str() + "], got " + shape_str(bias->meta.shape));
  }
  std::vector<Dim> sizes;
  for (size_t i = 0; i < spatial; ++i) {
    // (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    const int64_t extra = window_add(window_add(window_mul(-2, w.pad_before[i]), window_mul(w.dilation[i], w.kernel[i] - 1)),
                                     t.output_padding[i] + 1);
    const Dim& in_size = c.layout.shape[2 + i];
    if (in_size.is_static()) window_add(window_mul(in_size.value() - 1, w.stride[i]), extra);  // fails on overflow
    Dim size = dim_add(dim_mul(dim_sub(in_size, Dim(1)), Dim(w.stride[i])), Dim(extra));
    if (size.is_static() && size.value() <= 0) fail("the output size " + size.str() + " is not positive");
    sizes.push_back(size);
  }
  c.out_shape = output_shape(c.layout, out_channels, sizes);
  return t;
}

// Scatters columns (rows (c, ki, kj), columns (ih, iw)) back into an image: the adjoint of im2col.
template <class T>
void col2im(const T* cols, int64_t channels, int64_t H, int64_t W, const Window& w, int64_t OH, int64_t OW, T* image) {
  const int64_t kh = w.kernel[0], kw = w.kernel[1];
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ki = 0; ki < kh; ++ki)
      for (int64_t kj = 0; kj < kw; ++kj) {
        const T* row = cols + ((c * kh + ki) * kw + kj) * H * W;
        for (int64_t ih = 0; ih < H; ++ih) {
          const int64_t oh = ih * w.stride[0] - w.pad_before[0] + ki * w.dilation[0];
          if (oh < 0 || oh >= OH) continue;
          T* dst = image + (c * OH + oh) * OW;
          for (int64_t iw = 0; iw < W; ++iw) {
            const int64_t ow = iw * w.stride[1] - w.pad_before[1] + kj * w.dilation[1];
            if (ow >= 0 && ow < OW) dst[ow] += row[ih * W + iw];
          }
        }
      }
}

template <class T>
void conv_transpose2d_loop(const Tensor& input, const Tensor& weight, const Tensor* bias, const Window& w, int64_t groups,
                           Tensor& out) {
  const auto& is = input.shape();
  const auto& os = out.shape();
  const int64_t N = is[0], C = is[1], H = is[2], W = is[3];
  const int64_t O = os[1], OH = os[2], OW = os[3];
  const int64_t Cg = C / groups, Og = O / groups;
  const int64_t rows = Og * w.kernel[0] * w.kernel[1], P = H * W;
  std::vector<T> cols(static_cast<size_t>(rows * P));
  const T* in = input.data<T>();
  const T* wt = weight.data<T>();
  T* po = out.mutable_data<T>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t g = 0; g < groups; ++g) {
      std::fill(cols.begin(), cols.end(), T(0));
      // cols = W_g^T @ x_g, W_g = weight[g*Cg:(g+1)*Cg] viewed as [Cg, rows].
      gemm_accumulate<T>(rows, P, Cg, {wt + g * Cg * rows, 1, rows}, {in + (n * C + g * Cg) * P, P, 1}, cols.data());
      T* dst = po + (n * O + g * Og) * OH * OW;
      col2im(cols.data(), Og, H, W, w, OH, OW, dst);
      if (bias)
        for (int64_t o = 0; o < Og; ++o)
          for (int64_t i = 0; i < OH * OW; ++i) dst[o * OH * OW + i] += bias->data<T>()[g * Og + o];
    }
}

// 3-D transposed convolution as a scatter: every input element adds
// x * weight[c, o, k] to the output element its kernel tap lands on.
template <class T>
void conv_transpose3d_loop(const Tensor& input, const Tensor& weight, const Tensor* bias, const Window& w, int64_t groups,
                           Tensor& out) {
  const auto& is = input.shape();
  const auto& os = out.shape();
  const int64_t N = is[0], C = is[1], D = is[2], H = is[3], W = is[4];
  const int64_t O = os[1], OD = os[2], OH = os[3], OW = os[4];
  const int64_t Cg = C / groups, Og = O / groups;
  const int64_t KD = w.kernel[0], KH = w.kernel[1], KW = w.kernel[2];
  const T* in = input.data<T>();
  const T* wt = weight.data<T>();
  std::vector<double> acc(static_cast<size_t>(out.numel()), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t g = c / Cg;
      for (int64_t z = 0; z < D; ++z)
        for (int64_t y = 0; y < H; ++y)
          for (int64_t x = 0; x < W; ++x) {
            const double v = static_cast<double>(in[(((n * C + c) * D + z) * H + y) * W + x]);
            for (int64_t o = 0; o < Og; ++o) {
              const T* kernel = wt + ((c * Og + o) * KD) * KH * KW;
              double* dst = acc.data() + ((n * O + g * Og + o) * OD) * OH * OW;
              for (int64_t kd = 0; kd < KD; ++kd) {
                const int64_t oz = z * w.stride[0] - w.pad_before[0] + kd * w.dilation[0];
                if (oz < 0 || oz >= OD) continue;
                for (int64_t kh = 0; kh < KH; ++kh) {
                  const int64_t oy = y * w.stride[1] - w.pad_before[1] + kh * w.dilation[1];
                  if (oy < 0 || oy >= OH) continue;
                  for (int64_t kw = 0; kw < KW; ++kw) {
                    const int64_t ox = x * w.stride[2] - w.pad_before[2] + kw * w.dilation[2];
                    if (ox < 0 || ox >= OW) continue;
                    dst[(oz * OH + oy) * OW + ox] += v * static_cast<double>(kernel[(kd * KH + kh) * KW + kw]);
                  }
                }
              }
            }
          }
    }
  T* po = out.mutable_data<T>();
  const int64_t plane = OD * OH * OW;
  for (int64_t i = 0; i < out.numel(); ++i)
    po[i] = static_cast<T>(acc[static_cast<size_t>(i)] + (bias ? static_cast<double>(bias->data<T>()[(i / plane) % O]) : 0.0));
}

std::vector<Tensor> conv_transpose_kernel(const OpArgs& args, size_t spatial) {
  const TransposedCall t = conv_transpose_call(args, spatial);
  if (spatial == 3) {
    const DType calc = compute_dtype(t.conv.dtype);
    Tensor input = converted(args.data("input"), calc);
    input = input.reshaped(as_ncdhw(input.shape()));
    Tensor weight = converted(args.data("weight"), calc);
    Tensor bias;
    if (args.has("bias")) bias = converted(args.data("bias"), calc);
    const std::vector<int64_t> out_sizes = concrete(t.conv.out_shape);
    Tensor out = Tensor::zeros(calc, as_ncdhw(out_sizes));
    visit_floating(calc, [&](auto tag) {
      conv_transpose3d_loop<typename decltype(tag)::type>(input, weight, bias.defined() ? &bias : nullptr, t.conv.window,
                                                           t.conv.groups, out);
    });
    return {finish(out.reshaped(out_sizes), t.conv.dtype)};
  }
  const DType calc = compute_dtype(t.conv.dtype);
  Tensor input = converted(args.data("input"), calc);
  Tensor weight = converted(args.data("weight"), calc);
  input = input.reshaped(as_nchw(input.shape(), spatial));
  weight = weight.reshaped(as_nchw(weight.shape(), spatial));
  Tensor bias;
  if (args.has("bias")) bias = converted(args.data("bias"), calc);
  const std::vector<int64_t> out_sizes = concrete(t.conv.out_shape);
  Tensor out = Tensor::zeros(calc, as_nchw(out_sizes, spatial));
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    conv_transpose2d_loop<T>(input, weight, bias.defined() ? &bias : nullptr, as_2d(t.conv.window), t.conv.groups, out);
  });
  return {finish(out.reshaped(out_sizes), t.conv.dtype)};
}

// convolution / _convolution(input, weight, bias?, stride, padding, dilation, bool transposed,
// output_padding, groups, ...): their argument names are conv{N}d's and
// conv_transpose{N}d's, so conv_call / conv_transpose_call read them directly.
bool is_transposed(const OpArgs& args) { return args.boolean("transposed"); }

void register_convolution(OpLibrary& lib) {
  for (auto [name, spatial] :
       {std::pair{"aten::conv1d", size_t{1}}, std::pair{"aten::conv2d", size_t{2}}, std::pair{"aten::conv3d", size_t{3}}}) {
    define_by_schema(
        lib, name, "nn",
        [spatial = spatial](const OpArgs& args) {
          const ConvCall c = conv_call(args, spatial);
          return std::vector<TensorMeta>{TensorMeta{c.dtype, c.out_shape}};
        },
        [spatial = spatial](const OpArgs& args) { return conv_kernel(args, spatial); });
  }
  for (auto [name, spatial] : {std::pair{"aten::conv_transpose1d", size_t{1}}, std::pair{"aten::conv_transpose2d", size_t{2}},
                               std::pair{"aten::conv_transpose3d", size_t{3}}}) {
    define_by_schema(
        lib, name, "nn",
        [spatial = spatial](const OpArgs& args) {
          const ConvCall c = conv_transpose_call(args, spatial).conv;
          return std::vector<TensorMeta>{TensorMeta{c.dtype, c.out_shape}};
        },
        [spatial = spatial](const OpArgs& args) { return conv_transpose_kernel(args, spatial); });
  }
  auto spatial_of = [](const OpArgs& args) {
    const Shape& weight = args.tensor("weight").shape;
    if (weight.size() < 3 || weight.size() > 5)
      fail("only 1-D, 2-D and 3-D convolutions are supported, got weight shape " + shape_str(weight));
    return weight.size() - 2;
  };
  for (const char* name : {"aten::convolution", "aten::_convolution"}) {
    define_by_schema(
        lib, name, "nn",
        [spatial_of](const OpArgs& args) {
          const ConvCall c = is_transposed(args) ? conv_transpose_call(args, spatial_of(args)).conv
                                                 : conv_call(args, spatial_of(args));
          return std::vector<TensorMeta>{TensorMeta{c.dtype, c.out_shape}};
        },
        [spatial_of](const OpArgs& args) {
          return is_transposed(args) ? conv_transpose_kernel(args, spatial_of(args)) : conv_kernel(args, spatial_of(args));
        });
  }
}

// ---------------------------------------------------------------- pooling

// max_pool{1,2,3}d[_with_indices](Tensor self, int[N] kernel_size, int[N] stride=[], int[N] padding=0,
//                                 int[N] dilation=1, bool ceil_mode=False)
// avg_pool{1,2,3}d(Tensor self, int[N] kernel_size, int[N] stride=[], int[N] padding=0, bool ceil_mode=False,
//                  bool count_include_pad=True[, int? divisor_override=None (2-D, 3-D)])
struct PoolCall {
  Layout layout;
  Window window;
  Shape out_shape;
  bool count_include_pad = true;
  std::optional<int64_t> divisor;
};

PoolCall pool_call(const OpArgs& args, size_t spatial, bool is_max) {
  const TensorMeta& in = args.tensor("self");
  PoolCall p;
  p.layout = input_layout(in, spatial, "pooling");
  Window& w = p.window;
  w.kernel = expand_param(args, "kernel_size", spatial, 1);
  const std::vector<int64_t> stride = args.optional_ints("stride").value_or(std::vector<int64_t>{});
  w.stride = stride.empty() ? w.kernel : expand_param(args, "stride", spatial, 1);
  w.pad_before = expand_param(args, "padding", spatial, 0);
  w.pad_after = w.pad_before;
  for (size_t i = 0; i < spatial; ++i)
    if (w.pad_before[i] * 2 > w.kernel[i])
      fail("padding " + sizes_str(w.pad_before) + " must be at most half the kernel size " + sizes_str(w.kernel));
  if (is_max) {
    w.dilation = expand_param(args, "dilation", spatial, 1);
    w.ceil_mode = args.boolean("ceil_mode");
  } else {
    w.dilation.assign(spatial, 1);
    w.ceil_mode = args.boolean("ceil_mode");
    p.count_include_pad = args.boolean("count_include_pad");
    if (args.schema().argument_index("divisor_override")) p.divisor = args.optional_i64("divisor_override");
    if (p.divisor && *p.divisor == 0) fail("divisor_override must be non-zero");
  }
  p.out_shape = output_shape(p.layout, p.layout.shape[1], window_outputs(p.layout, w));
  return p;
}

// `indices` (optional) receives each maximum's flat position within its
// (n, c) plane, as max_pool*_with_indices returns it.
template <class T>
void max_pool_loop(const Tensor& in, const Window& w, Tensor& out, int64_t* indices = nullptr) {
  const auto& is = in.shape();
  const auto& os = out.shape();
  const int64_t planes = is[0] * is[1], H = is[2], W = is[3], OH = os[2], OW = os[3];
  const T* p = in.data<T>();
  T* q = out.mutable_data<T>();
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_at = -1;
        for (int64_t ki = 0; ki < w.kernel[0]; ++ki) {
          const int64_t ih = oh * w.stride[0] - w.pad_before[0] + ki * w.dilation[0];
          if (ih < 0 || ih >= H) continue;
          for (int64_t kj = 0; kj < w.kernel[1]; ++kj) {
            const int64_t iw = ow * w.stride[1] - w.pad_before[1] + kj * w.dilation[1];
            if (iw < 0 || iw >= W) continue;
            const T v = p[(plane * H + ih) * W + iw];
            // torch: the first position, then any greater value or NaN.
            if (best_at < 0 || v > best || std::isnan(v)) {
              best = v;
              best_at = ih * W + iw;
            }
          }
        }
        q[(plane * OH + oh) * OW + ow] = best;
        if (indices) indices[(plane * OH + oh) * OW + ow] = best_at;
      }
}

template <class T>
void avg_pool_loop(const Tensor& in, const PoolCall& call, const Window& w, Tensor& out) {
  const auto& is = in.shape();
  const auto& os = out.shape();
  const int64_t planes = is[0] * is[1], H = is[2], W = is[3], OH = os[2], OW = os[3];
  const T* p = in.data<T>();
  T* q = out.mutable_data<T>();
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t h0 = oh * w.stride[0] - w.pad_before[0], w0 = ow * w.stride[1] - w.pad_before[1];
        int64_t h1 = std::min(h0 + w.kernel[0], H + w.pad_after[0]), w1 = std::min(w0 + w.kernel[1], W + w.pad_after[1]);
        const int64_t padded_count = (h1 - h0) * (w1 - w0);
        h0 = std::max<int64_t>(h0, 0);
        w0 = std::max<int64_t>(w0, 0);
        h1 = std::min(h1, H);
        w1 = std::min(w1, W);
        double sum = 0;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += p[(plane * H + ih) * W + iw];
        const int64_t divisor = call.divisor ? *call.divisor : (call.count_include_pad ? padded_count : (h1 - h0) * (w1 - w0));
        q[(plane * OH + oh) * OW + ow] = static_cast<T>(sum / static_cast<double>(divisor));
      }
}

// 3-D max / average pooling over [N, C, D, H, W]: the 2-D loops above with a
// depth dim (same NaN rule and the same divisor for windows that overhang).
template <class T>
void pool3d_loop(const Tensor& in, const PoolCall& call, bool is_max, Tensor& out, int64_t* indices = nullptr) {
  const Window& w = call.window;
  const auto& is = in.shape();
  const auto& os = out.shape();
  const int64_t planes = is[0] * is[1], D = is[2], H = is[3], W = is[4], OD = os[2], OH = os[3], OW = os[4];
  const int64_t size[3] = {D, H, W};
  const T* p = in.data<T>();
  T* q = out.mutable_data<T>();
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oz = 0; oz < OD; ++oz)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          const int64_t o[3] = {oz, oy, ox};
          const T* src = p + plane * D * H * W;
          const int64_t at = ((plane * OD + oz) * OH + oy) * OW + ox;
          if (is_max) {
            T best = -std::numeric_limits<T>::infinity();
            int64_t best_at = -1;
            for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
              const int64_t iz = oz * w.stride[0] - w.pad_before[0] + kd * w.dilation[0];
              if (iz < 0 || iz >= D) continue;
              for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
                const int64_t iy = oy * w.stride[1] - w.pad_before[1] + kh * w.dilation[1];
                if (iy < 0 || iy >= H) continue;
                for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
                  const int64_t ix = ox * w.stride[2] - w.pad_before[2] + kw * w.dilation[2];
                  if (ix < 0 || ix >= W) continue;
                  const T v = src[(iz * H + iy) * W + ix];
                  if (best_at < 0 || v > best || std::isnan(v)) {
                    best = v;
                    best_at = (iz * H + iy) * W + ix;
                  }
                }
              }
            }
            q[at] = best;
            if (indices) indices[at] = best_at;
            continue;
          }
          int64_t lo[3], hi[3], padded_count = 1, count = 1;
          for (int k = 0; k < 3; ++k) {
            lo[k] = o[k] * w.stride[k] - w.pad_before[k];
            hi[k] = std::min(lo[k] + w.kernel[k], size[k] + w.pad_after[k]);
            padded_count *= hi[k] - lo[k];
            lo[k] = std::max<int64_t>(lo[k], 0);
            hi[k] = std::min(hi[k], size[k]);
            count *= hi[k] - lo[k];
          }
          double sum = 0;
          for (int64_t iz = lo[0]; iz < hi[0]; ++iz)
            for (int64_t iy = lo[1]; iy < hi[1]; ++iy)
              for (int64_t ix = lo[2]; ix < hi[2]; ++ix) sum += src[(iz * H + iy) * W + ix];
          const int64_t divisor = call.divisor ? *call.divisor : (call.count_include_pad ? padded_count : count);
          q[at] = static_cast<T>(sum / static_cast<double>(divisor));
        }
}

// `with_indices`: max_pool*_with_indices, which also returns each maximum's
// position within its (n, c) plane (int64).
std::vector<Tensor> pool_kernel(const OpArgs& args, size_t spatial, bool is_max, bool with_indices = false) {
  const PoolCall call = pool_call(args, spatial, is_max);
  const Tensor& raw = args.data("self");
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  const std::vector<int64_t> out_sizes = concrete(call.out_shape);
  Tensor out, indices;
  if (spatial == 3) {
    in = in.reshaped(as_ncdhw(in.shape()));
    out = Tensor::zeros(calc, as_ncdhw(out_sizes));
    indices = Tensor::zeros(DType::Int64, out.shape());
    visit_floating(calc, [&](auto tag) {
      pool3d_loop<typename decltype(tag)::type>(in, call, is_max, out, with_indices ? indices.mutable_data<int64_t>() : nullptr);
    });
  } else {
    in = in.reshaped(as_nchw(in.shape(), spatial));
    out = Tensor::zeros(calc, as_nchw(out_sizes, spatial));
    indices = Tensor::zeros(DType::Int64, out.shape());
    const Window w = as_2d(call.window);
    visit_floating(calc, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (is_max) max_pool_loop<T>(in, w, out, with_indices ? indices.mutable_data<int64_t>() : nullptr);
      else avg_pool_loop<T>(in, call, w, out);
    });
  }
  std::vector<Tensor> result{finish(out.reshaped(out_sizes), raw.dtype())};
  if (with_indices) result.push_back(indices.reshaped(out_sizes));
  return result;
}

// adaptive_{avg,max}_pool{1,2,3}d(Tensor self, int[N] output_size): window o covers
// [floor(o * in / out), ceil((o + 1) * in / out)).
Shape adaptive_shape(const OpArgs& args, size_t spatial) {
  const Layout l = input_layout(args.tensor("self"), spatial, "adaptive pooling");
  std::vector<Dim> sizes = args.dims("output_size");
  if (sizes.size() == 1 && spatial > 1) sizes.assign(spatial, sizes[0]);
  if (sizes.size() != spatial) fail("output_size must have " + std::to_string(spatial) + " values, got " + shape_str(sizes));
  for (size_t i = 0; i < spatial; ++i) {
    if (sizes[i].is_static() && sizes[i].value() == -1) sizes[i] = l.shape[2 + i];  // None in the Python API
    if (sizes[i].is_static() && sizes[i].value() <= 0) fail("output_size must be positive, got " + shape_str(sizes));
  }
  return output_shape(l, l.shape[1], sizes);
}

template <class T>
void adaptive_loop(const Tensor& in, bool is_max, Tensor& out, int64_t* indices) {
  const auto& is = in.shape();
  const auto& os = out.shape();
  const int64_t planes = is[0] * is[1], H = is[2], W = is[3], OH = os[2], OW = os[3];
  const T* p = in.data<T>();
  T* q = out.mutable_data<T>();
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
        double sum = 0;
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_at = h0 * W + w0;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) {
            const T v = p[(plane * H + ih) * W + iw];
            sum += v;
            if (v > best || std::isnan(v)) {
              best = v;
              best_at = ih * W + iw;
            }
          }
        const int64_t at = (plane * OH + oh) * OW + ow;
        q[at] = is_max ? best : static_cast<T>(sum / static_cast<double>((h1 - h0) * (w1 - w0)));
        if (indices) indices[at] = best_at;
      }
    }
}

// The 3-D form of adaptive_loop: window o covers [floor(o * in / out), ceil((o + 1) * in / out)) per dim.
template <class T>
void adaptive3d_loop(const Tensor& in, bool is_max, Tensor& out, int64_t* indices) {
  const auto& is = in.shape();
  const auto& os = out.shape();
  const int64_t planes = is[0] * is[1], D = is[2], H = is[3], W = is[4], OD = os[2], OH = os[3], OW = os[4];
  const T* p = in.data<T>();
  T* q = out.mutable_data<T>();
  auto lo = [](int64_t o, int64_t n, int64_t m) { return o * n / m; };
  auto hi = [](int64_t o, int64_t n, int64_t m) { return ((o + 1) * n + m - 1) / m; };
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t oz = 0; oz < OD; ++oz)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double sum = 0;
          T best = -std::numeric_limits<T>::infinity();
          int64_t best_at = -1, count = 0;
          for (int64_t iz = lo(oz, D, OD); iz < hi(oz, D, OD); ++iz)
            for (int64_t iy = lo(oy, H, OH); iy < hi(oy, H, OH); ++iy)
              for (int64_t ix = lo(ox, W, OW); ix < hi(ox, W, OW); ++ix) {
                const int64_t at = (iz * H + iy) * W + ix;
                const T v = p[plane * D * H * W + at];
                sum += v;
                ++count;
                if (best_at < 0 || v > best || std::isnan(v)) {
                  best = v;
                  best_at = at;
                }
              }
          const int64_t o = ((plane * OD + oz) * OH + oy) * OW + ox;
          q[o] = is_max ? best : static_cast<T>(sum / static_cast<double>(count));
          if (indices) indices[o] = best_at;
        }
}

std::vector<Tensor> adaptive_kernel(const OpArgs& args, size_t spatial, bool is_max) {
  const Shape shape = adaptive_shape(args, spatial);
  const Tensor& raw = args.data("self");
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  if (spatial == 3) {
    in = in.reshaped(as_ncdhw(in.shape()));
    const std::vector<int64_t> out_sizes = concrete(shape);
    Tensor out = Tensor::zeros(calc, as_ncdhw(out_sizes));
    Tensor indices = Tensor::zeros(DType::Int64, out.shape());
    visit_floating(calc, [&](auto tag) {
      adaptive3d_loop<typename decltype(tag)::type>(in, is_max, out, is_max ? indices.mutable_data<int64_t>() : nullptr);
    });
    std::vector<Tensor> result{finish(out.reshaped(out_sizes), raw.dtype())};
    if (is_max) result.push_back(indices.reshaped(out_sizes));
    return result;
  }
  in = in.reshaped(as_nchw(in.shape(), spatial));
  const std::vector<int64_t> out_sizes = concrete(shape);
  Tensor out = Tensor::zeros(calc, as_nchw(out_sizes, spatial));
  Tensor indices = Tensor::zeros(DType::Int64, out.shape());
  visit_floating(calc, [&](auto tag) {
    adaptive_loop<typename decltype(tag)::type>(in, is_max, out, is_max ? indices.mutable_data<int64_t>() : nullptr);
  });
  std::vector<Tensor> result{finish(out.reshaped(out_sizes), raw.dtype())};
  if (is_max) result.push_back(indices.reshaped(out_sizes));
  return result;
}

void register_pooling(OpLibrary& lib) {
  struct Pool {
    const char* name;
    size_t spatial;
    bool is_max;
  };
  for (Pool p : {Pool{"aten::max_pool1d", 1, true}, Pool{"aten::max_pool2d", 2, true}, Pool{"aten::max_pool3d", 3, true},
                 Pool{"aten::avg_pool1d", 1, false}, Pool{"aten::avg_pool2d", 2, false}, Pool{"aten::avg_pool3d", 3, false}}) {
    define_by_schema(
        lib, p.name, "nn",
        [p](const OpArgs& args) {
          return std::vector<TensorMeta>{TensorMeta{args.tensor("self").dtype, pool_call(args, p.spatial, p.is_max).out_shape}};
        },
        [p](const OpArgs& args) { return pool_kernel(args, p.spatial, p.is_max); });
  }
  for (Pool p : {Pool{"aten::max_pool1d_with_indices", 1, true}, Pool{"aten::max_pool2d_with_indices", 2, true},
                 Pool{"aten::max_pool3d_with_indices", 3, true}}) {
    define_by_schema(
        lib, p.name, "nn",
        [p](const OpArgs& args) {
          const Shape shape = pool_call(args, p.spatial, true).out_shape;
          return std::vector<TensorMeta>{TensorMeta{args.tensor("self").dtype, shape}, TensorMeta{DType::Int64, shape}};
        },
        [p](const OpArgs& args) { return pool_kernel(args, p.spatial, true, true); });
  }
  for (Pool p : {Pool{"aten::adaptive_avg_pool1d", 1, false}, Pool{"aten::adaptive_avg_pool2d", 2, false},
                 Pool{"aten::adaptive_avg_pool3d", 3, false}, Pool{"aten::adaptive_max_pool1d", 1, true},
                 Pool{"aten::adaptive_max_pool2d", 2, true}, Pool{"aten::adaptive_max_pool3d", 3, true}}) {
    define_by_schema(
        lib, p.name, "nn",
        [p](const OpArgs& args) {
          const Shape shape = adaptive_shape(args, p.spatial);
          std::vector<TensorMeta> out{TensorMeta{args.tensor("self").dtype, shape}};
          if (p.is_max) out.push_back(TensorMeta{DType::Int64, shape});
          return out;
        },
        [p](const OpArgs& args) { return adaptive_kernel(args, p.spatial, p.is_max); });
  }
}

// ---------------------------------------------------------------- normalization

// Normalizes `groups` contiguous blocks of `block` elements each:
// y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]. `mean`/`var` give
// the statistics per block, or are null to compute them (biased variance).
// `channel_of(block_index, offset)` names the affine parameter's entry.
template <class T, class ChannelOf>
void normalize_blocks(const T* x, T* y, int64_t groups, int64_t block, double eps, const std::vector<double>* mean,
                      const std::vector<double>* var, const T* weight, const T* bias, ChannelOf channel_of) {
  for (int64_t g = 0; g < groups; ++g) {
    const T* xs = x + g * block;
    double m, v;
    if (mean) {
      m = (*mean)[static_cast<size_t>(g)];
      v = (*var)[static_cast<size_t>(g)];
    } else {
      double s = 0;
      for (int64_t i = 0; i < block; ++i) s += xs[i];
      m = s / static_cast<double>(block);
      double sq = 0;
      for (int64_t i = 0; i < block; ++i) sq += (xs[i] - m) * (xs[i] - m);
      v = sq / static_cast<double>(block);
    }
    const double inv = 1.0 / std::sqrt(v + eps);
    for (int64_t i = 0; i < block; ++i) {
      double r = (xs[i] - m) * inv;
      if (weight || bias) {
        const int64_t c = channel_of(g, i);
        if (weight) r *= weight[c];
        if (bias) r += bias[c];
      }
      y[g * block + i] = static_cast<T>(r);
    }
  }
}

// The normalization family reads its arguments by name (docs/architecture.md
// §4a): the meta functions and kernels below take the call bound to the op's
// schema, so `a.f64("eps")` is the schema's eps, defaulted when not given.

// Optional per-channel tensor argument converted to the compute dtype.
Tensor optional_param(const OpArgs& a, std::string_view name, DType calc, const Dim& channels) {
  const OpArg* p = a.optional_tensor(name);
  if (p == nullptr) return Tensor{};
  if (p->meta.shape.size() != 1 || !(p->meta.shape[0] == channels))
    fail(std::string(name) + " must have shape [" + channels.str() + "], got " + shape_str(p->meta.shape));
  return converted(a.data(name), calc);
}

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var,
//                  bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor
// aten::instance_norm(..., bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor
// Channels are dim 1. batch_norm normalizes over (N, spatial) per channel;
// instance_norm over spatial per (n, c). Running stats are used when given
// and not in training / use_input_stats mode.
constexpr std::string_view kPerChannelParams[] = {"weight", "bias", "running_mean", "running_var"};

std::vector<TensorMeta> channel_norm_meta(const OpArgs& a) {
  const TensorMeta& in = a.tensor("input");
  if (in.shape.size() < 2) fail("input must have a channel dim (at least 2-D), got shape " + shape_str(in.shape));
  for (std::string_view name : kPerChannelParams)
    if (const OpArg* p = a.optional_tensor(name))
      if (p->meta.shape.size() != 1 || !(p->meta.shape[0] == in.shape[1]))
        fail(std::string(name) + " must have shape [" + in.shape[1].str() + "], got " + shape_str(p->meta.shape));
  return {in};
}

std::vector<Tensor> channel_norm_kernel(const OpArgs& a, bool per_instance) {
  channel_norm_meta(a);
  const Tensor& raw = a.data("input");
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  const auto& s = in.shape();
  const int64_t N = s[0], C = s[1];
  const int64_t spatial = in.numel() / std::max<int64_t>(N * C, 1);
  const bool batch_stats_asked = a.boolean(per_instance ? "use_input_stats" : "training");
  const bool use_batch_stats = batch_stats_asked || !a.has("running_mean") || !a.has("running_var");
  const double eps = a.f64("eps");
  const Dim channels(C);
  Tensor weight = optional_param(a, "weight", calc, channels);
  Tensor bias = optional_param(a, "bias", calc, channels);
  Tensor out = Tensor::zeros(calc, s);
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data<T>();
    T* y = out.mutable_data<T>();
    // Statistics per (n, c) plane: computed, pooled over the batch, or running.
    std::vector<double> mean(static_cast<size_t>(N * C)), var(static_cast<size_t>(N * C));
    if (!use_batch_stats) {
      Tensor rm = converted(a.data("running_mean"), DType::Float64);
      Tensor rv = converted(a.data("running_var"), DType::Float64);
      for (int64_t p = 0; p < N * C; ++p) {
        mean[static_cast<size_t>(p)] = rm.data<double>()[p % C];
        var[static_cast<size_t>(p)] = rv.data<double>()[p % C];
      }
    } else {
      std::vector<double> sum(static_cast<size_t>(N * C), 0.0);
      for (int64_t p = 0; p < N * C; ++p)
        for (int64_t i = 0; i < spatial; ++i) sum[static_cast<size_t>(p)] += x[p * spatial + i];
      const int64_t pool = per_instance ? 1 : N;  // planes pooled into one statistic
      for (int64_t p = 0; p < N * C; ++p) {
        double total = 0;
        for (int64_t n = 0; n < pool; ++n) total += sum[static_cast<size_t>(per_instance ? p : n * C + p % C)];
        mean[static_cast<size_t>(p)] = total / static_cast<double>(pool * spatial);
      }
      std::vector<double> sq(static_cast<size_t>(N * C), 0.0);
      for (int64_t p = 0; p < N * C; ++p)
        for (int64_t i = 0; i < spatial; ++i) {
          const double d = x[p * spatial + i] - mean[static_cast<size_t>(p)];
          sq[static_cast<size_t>(p)] += d * d;
        }
      for (int64_t p = 0; p < N * C; ++p) {
        double total = 0;
        for (int64_t n = 0; n < pool; ++n) total += sq[static_cast<size_t>(per_instance ? p : n * C + p % C)];
        var[static_cast<size_t>(p)] = total / static_cast<double>(pool * spatial);
      }
    }
    normalize_blocks<T>(x, y, N * C, spatial, eps, &mean, &var, ptr_or_null<T>(weight), ptr_or_null<T>(bias),
                        [C](int64_t plane, int64_t) { return plane % C; });
  });
  return {finish(std::move(out), raw.dtype())};
}

// aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None,
//                  float eps=1e-05, bool cudnn_enable=True) -> Tensor
void register_layer_norm(OpLibrary& lib) {
  auto check = [](const OpArgs& a) {
    const TensorMeta& in = a.tensor("input");
    const std::vector<Dim> norm = a.dims("normalized_shape");
    if (norm.empty() || norm.size() > in.shape.size())
      fail("normalized_shape " + shape_str(norm) + " does not fit input shape " + shape_str(in.shape));
    const Shape tail(in.shape.end() - static_cast<long>(norm.size()), in.shape.end());
    for (size_t i = 0; i < norm.size(); ++i)
      if (tail[i].is_static() && norm[i].is_static() && tail[i].value() != norm[i].value())
        fail("normalized_shape " + shape_str(norm) + " does not match the trailing dims of input shape " + shape_str(in.shape));
    for (std::string_view name : {"weight", "bias"})
      if (const OpArg* p = a.optional_tensor(name); p != nullptr && shape_str(p->meta.shape) != shape_str(norm))
        fail(std::string(name) + " must have shape " + shape_str(norm) + ", got " + shape_str(p->meta.shape));
    return norm.size();
  };
  define_by_schema(
      lib, "aten::layer_norm", "nn",
      [check](const OpArgs& a) {
        check(a);
        return std::vector<TensorMeta>{a.tensor("input")};
      },
      [check](const OpArgs& a) {
        const size_t norm_rank = check(a);
        const Tensor& raw = a.data("input");
        const DType calc = compute_dtype(raw.dtype());
        Tensor in = converted(raw, calc);
        int64_t block = 1;
        for (size_t i = in.shape().size() - norm_rank; i < in.shape().size(); ++i) block *= in.shape()[i];
        Tensor weight = a.has("weight") ? converted(a.data("weight"), calc) : Tensor{};
        Tensor bias = a.has("bias") ? converted(a.data("bias"), calc) : Tensor{};
        Tensor out = Tensor::zeros(calc, in.shape());
        visit_floating(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          normalize_blocks<T>(in.data<T>(), out.mutable_data<T>(), in.numel() / std::max<int64_t>(block, 1), block,
                              a.f64("eps"), nullptr, nullptr, ptr_or_null<T>(weight), ptr_or_null<T>(bias),
                              [](int64_t, int64_t i) { return i; });
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// aten::group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None,
//                  float eps=1e-05, bool cudnn_enabled=True) -> Tensor
void register_group_norm(OpLibrary& lib) {
  auto check = [](const OpArgs& a) {
    const TensorMeta& in = a.tensor("input");
    if (in.shape.size() < 2) fail("input must be at least 2-D, got shape " + shape_str(in.shape));
    const int64_t groups = a.i64("num_groups");
    const Dim& c = in.shape[1];
    if (groups <= 0 || (c.is_static() && c.value() % groups != 0))
      fail("channels " + c.str() + " must be divisible by num_groups " + std::to_string(groups));
    return groups;
  };
  define_by_schema(
      lib, "aten::group_norm", "nn",
      [check](const OpArgs& a) {
        check(a);
        return std::vector<TensorMeta>{a.tensor("input")};
      },
      [check](const OpArgs& a) {
        const int64_t groups = check(a);
        const Tensor& raw = a.data("input");
        const DType calc = compute_dtype(raw.dtype());
        Tensor in = converted(raw, calc);
        const int64_t N = in.shape()[0], C = in.shape()[1];
        const int64_t spatial = in.numel() / std::max<int64_t>(N * C, 1);
        const int64_t block = (C / groups) * spatial;
        Tensor weight = optional_param(a, "weight", calc, Dim(C));
        Tensor bias = optional_param(a, "bias", calc, Dim(C));
        Tensor out = Tensor::zeros(calc, in.shape());
        visit_floating(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          normalize_blocks<T>(in.data<T>(), out.mutable_data<T>(), N * groups, block, a.f64("eps"), nullptr,
                              nullptr, ptr_or_null<T>(weight), ptr_or_null<T>(bias), [=](int64_t g, int64_t i) {
                                return (g % groups) * (C / groups) + i / spatial;
                              });
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// ---------------------------------------------------------------- embedding, upsampling, misc

// embedding(Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False,
// bool sparse=False): weight[indices].
void register_embedding(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::embedding", "nn",
      [](const OpArgs& args) {
        const TensorMeta& weight = args.tensor("weight");
        const TensorMeta& indices = args.tensor("indices");
        if (weight.shape.size() != 2) fail("weight must be 2-D, got shape " + shape_str(weight.shape));
        if (is_floating(indices.dtype) || indices.dtype == DType::Bool)
          fail("indices must be an integer tensor, got " + std::string(dtype_name(indices.dtype)));
        Shape out = indices.shape;
        out.push_back(weight.shape[1]);
        return std::vector<TensorMeta>{TensorMeta{weight.dtype, out}};
      },
      [](const OpArgs& args) {
        const Tensor& weight = args.data("weight");
        const Tensor& indices = args.data("indices");
        const int64_t rows = weight.shape()[0], dim = weight.shape()[1];
        std::vector<int64_t> out_sizes = indices.shape();
        out_sizes.push_back(dim);
        Tensor out = Tensor::zeros(weight.dtype(), out_sizes);
        const size_t row_bytes = static_cast<size_t>(dim) * dtype_size(weight.dtype());
        for (int64_t i = 0; i < indices.numel(); ++i) {
          const int64_t r = indices.get_int(i);
          if (r < 0 || r >= rows) fail("index " + std::to_string(r) + " is out of range for an embedding of " + std::to_string(rows) + " rows");
          std::copy_n(weight.bytes() + static_cast<size_t>(r) * row_bytes, row_bytes, out.mutable_bytes() + static_cast<size_t>(i) * row_bytes);
        }
        return std::vector<Tensor>{out};
      });
}

// pixel_shuffle(self, int upscale_factor): [.., C*r*r, H, W] -> [.., C, H*r, W*r]
void register_pixel_shuffle(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t r = args.i64("upscale_factor");
    if (in.shape.size() < 3) fail("pixel_shuffle expects at least 3 dims, got shape " + shape_str(in.shape));
    if (r <= 0) fail("upscale_factor must be positive");
    const size_t c = in.shape.size() - 3;
    const Dim& channels = in.shape[c];
    if (channels.is_static() && channels.value() % (r * r) != 0)
      fail("channels " + channels.str() + " are not divisible by upscale_factor^2 = " + std::to_string(r * r));
    Shape out = in.shape;
    out[c] = dim_floordiv(channels, Dim(r * r));
    out[c + 1] = dim_mul(in.shape[c + 1], Dim(r));
    out[c + 2] = dim_mul(in.shape[c + 2], Dim(r));
    return TensorMeta{in.dtype, out};
  };
  define_by_schema(
      lib, "aten::pixel_shuffle", "nn", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const Tensor& in = args.data("self");
        const int64_t r = args.i64("upscale_factor");
        const auto& s = in.shape();
        const size_t c = s.size() - 3;
        const int64_t lead = numel_of(std::vector<int64_t>(s.begin(), s.begin() + static_cast<long>(c)));
        const int64_t C = s[c] / (r * r), H = s[c + 1], W = s[c + 2];
        // [lead, C, r, r, H, W] read as [lead, C, H, r, W, r]
        const std::vector<int64_t> src_sizes{lead, C, r, r, H, W};
        const std::vector<int64_t> st = contiguous_strides(src_sizes);
        Tensor out = gather_strided(in, {lead, C, H, r, W, r}, {st[0], st[1], st[4], st[2], st[5], st[3]}, 0);
        return std::vector<Tensor>{out.reshaped(concrete(m.shape))};
      });
}

// pixel_unshuffle(self, int downscale_factor): [.., C, H*r, W*r] -> [.., C*r*r, H, W],
// the inverse of pixel_shuffle.
void register_pixel_unshuffle(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t r = args.i64("downscale_factor");
    if (in.shape.size() < 3) fail("pixel_unshuffle expects at least 3 dims, got shape " + shape_str(in.shape));
    if (r <= 0) fail("downscale_factor must be positive, got " + std::to_string(r));
    const size_t c = in.shape.size() - 3;
    for (size_t k : {c + 1, c + 2})
      if (in.shape[k].is_static() && in.shape[k].value() % r != 0)
        fail("height and width " + shape_str(in.shape) + " must be divisible by downscale_factor " + std::to_string(r));
    Shape out = in.shape;
    out[c] = dim_mul(in.shape[c], Dim(r * r));
    out[c + 1] = dim_floordiv(in.shape[c + 1], Dim(r));
    out[c + 2] = dim_floordiv(in.shape[c + 2], Dim(r));
    return TensorMeta{in.dtype, out};
  };
  define_by_schema(
      lib, "aten::pixel_unshuffle", "nn", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const Tensor& in = args.data("self");
        const int64_t r = args.i64("downscale_factor");
        const auto& s = in.shape();
        const size_t c = s.size() - 3;
        const int64_t lead = numel_of(std::vector<int64_t>(s.begin(), s.begin() + static_cast<long>(c)));
        const int64_t C = s[c], H = s[c + 1] / r, W = s[c + 2] / r;
        // out[l, ch, i, j, h, w] = in[l, ch, h*r + i, w*r + j]
        const int64_t plane = s[c + 1] * s[c + 2];
        Tensor out = gather_strided(in, {lead, C, r, r, H, W}, {C * plane, plane, s[c + 2], 1, r * s[c + 2], r}, 0);
        return std::vector<Tensor>{out.reshaped(concrete(m.shape))};
      });
}

// ---------------------------------------------------------------- channel_shuffle

// channel_shuffle(Tensor self, int groups): [N, C, *] seen as [N, g, C/g, *]
// with the two group dims swapped, so output channel j*g + i is input
// channel i*(C/g) + j (ShuffleNet's shuffle).
void register_channel_shuffle(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t g = args.i64("groups");
    if (in.shape.size() < 3) fail("channel_shuffle expects at least 3 dims, got shape " + shape_str(in.shape));
    if (g <= 0) fail("groups must be positive, got " + std::to_string(g));
    if (!in.shape[1].is_static()) fail("channel_shuffle needs a static channel dim, got " + in.shape[1].str());
    if (in.shape[1].value() % g != 0)
      fail("the channels (" + in.shape[1].str() + ") must be divisible by groups " + std::to_string(g));
    return in;
  };
  define_by_schema(
      lib, "aten::channel_shuffle", "nn", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        meta(args);
        const Tensor& in = args.data("self");
        const std::vector<int64_t>& s = in.shape();
        const int64_t g = args.i64("groups"), per = s[1] / g;
        const int64_t inner = numel_of(std::vector<int64_t>(s.begin() + 2, s.end()));
        // out[n, j, i, k] = in[n, i, j, k] over [N, C/g, g, inner]
        Tensor out = gather_strided(in, {s[0], per, g, inner}, {s[1] * inner, inner, per * inner, 1}, 0);
        return std::vector<Tensor>{out.reshaped(s)};
      });
}

// ---------------------------------------------------------------- im2col (F.unfold)

// im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride):
// every window of the zero-padded [N, C, H, W] (or [C, H, W]) input as a
// column: [N, C*kh*kw, oh*ow], row c*kh*kw + i*kw + j holding channel c at
// kernel offset (i, j), column oy*ow + ox the window's position.
struct Im2ColPlan {
  Layout layout;
  Window window;
  std::vector<Dim> positions;  // oh, ow
};

Im2ColPlan im2col_plan(const OpArgs& args) {
  Im2ColPlan p;
  p.layout = input_layout(args.tensor("self"), 2, "im2col");
  p.window.kernel = expand_param(args, "kernel_size", 2, 1);
  p.window.dilation = expand_param(args, "dilation", 2, 1);
  p.window.pad_before = expand_param(args, "padding", 2, 0);
  p.window.pad_after = p.window.pad_before;
  p.window.stride = expand_param(args, "stride", 2, 1);
  p.positions = window_outputs(p.layout, p.window);
  return p;
}

void register_im2col(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const Im2ColPlan p = im2col_plan(args);
    const Dim rows = dim_mul(p.layout.shape[1], Dim(window_mul(p.window.kernel[0], p.window.kernel[1])));
    Shape out;
    if (p.layout.batched) out.push_back(p.layout.shape[0]);
    out.push_back(rows);
    out.push_back(dim_mul(p.positions[0], p.positions[1]));
    return TensorMeta{args.tensor("self").dtype, out};
  };
  define_by_schema(
      lib, "aten::im2col", "nn", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const Im2ColPlan p = im2col_plan(args);
        const Tensor& in = args.data("self");
        const std::vector<int64_t> nchw = concrete(p.layout.shape);
        const int64_t N = nchw[0], C = nchw[1], H = nchw[2], W = nchw[3];
        const int64_t kh = p.window.kernel[0], kw = p.window.kernel[1];
        const int64_t oh = p.positions[0].value(), ow = p.positions[1].value();
        Tensor out = Tensor::zeros(in.dtype(), concrete(m.shape));
        visit_bytes(in.dtype(), [&](auto tag) {
          using U = typename decltype(tag)::type;
          const U* src = in.data<U>();
          U* dst = out.mutable_data<U>();
          for (int64_t n = 0; n < N; ++n)
            for (int64_t c = 0; c < C; ++c)
              for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                  U* row = dst + ((n * C + c) * kh * kw + i * kw + j) * oh * ow;
                  for (int64_t oy = 0; oy < oh; ++oy) {
                    const int64_t y = oy * p.window.stride[0] - p.window.pad_before[0] + i * p.window.dilation[0];
                    if (y < 0 || y >= H) continue;  // zero padding: the row stays 0
                    for (int64_t ox = 0; ox < ow; ++ox) {
                      const int64_t x = ox * p.window.stride[1] - p.window.pad_before[1] + j * p.window.dilation[1];
                      if (x >= 0 && x < W) row[oy * ow + ox] = src[((n * C + c) * H + y) * W + x];
                    }
                  }
                }
        });
        return std::vector<Tensor>{out};
      });
}

// prelu(Tensor self, Tensor weight): weight has 1 or C (dim 1) entries.
// glu(Tensor self, int dim=-1): first half * sigmoid(second half).
// threshold(Tensor self, Scalar threshold, Scalar value): x > threshold ? x : value.
void register_activations(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::prelu", "nn",
      [](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        const TensorMeta& w = args.tensor("weight");
        const Dim channels = in.shape.size() >= 2 ? in.shape[1] : Dim(1);
        const bool ok = w.shape.size() <= 1 && (shape_numel(w.shape) == Dim(1) || shape_numel(w.shape) == channels);
        if (!ok) fail("weight of shape " + shape_str(w.shape) + " must have 1 or " + channels.str() + " elements");
        return std::vector<TensorMeta>{in};
      },
      [](const OpArgs& args) {
        const Tensor& raw = args.data("self");
        const DType calc = compute_dtype(raw.dtype());
        Tensor in = converted(raw, calc), w = converted(args.data("weight"), calc);
        const int64_t C = in.dim() >= 2 ? in.shape()[1] : 1;
        const int64_t inner = in.dim() >= 2 ? in.numel() / std::max<int64_t>(in.shape()[0] * C, 1) : 1;
        Tensor out = Tensor::zeros(calc, in.shape());
        visit_floating(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* x = in.data<T>();
          const T* a = w.data<T>();
          T* y = out.mutable_data<T>();
          for (int64_t i = 0; i < in.numel(); ++i) {
            const T slope = w.numel() == 1 ? a[0] : a[(i / inner) % C];
            y[i] = x[i] > 0 ? x[i] : slope * x[i];
          }
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
  auto glu_meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    Shape out = in.shape;
    Dim& d = out[static_cast<size_t>(dim)];
    if (d.is_static() && d.value() % 2 != 0) fail("glu halves dim " + std::to_string(dim) + ", but its size " + d.str() + " is odd");
    d = dim_floordiv(d, Dim(2));
    return std::make_pair(dim, TensorMeta{in.dtype, out});
  };
  define_by_schema(
      lib, "aten::glu", "nn", [glu_meta](const OpArgs& args) { return std::vector<TensorMeta>{glu_meta(args).second}; },
      [glu_meta](const OpArgs& args) {
        auto [dim, m] = glu_meta(args);
        const Tensor& raw = args.data("self");
        const DType calc = compute_dtype(raw.dtype());
        Tensor in = converted(raw, calc);
        const int64_t half = in.shape()[static_cast<size_t>(dim)] / 2;
        Tensor a = slice_tensor(in, dim, 0, half), b = slice_tensor(in, dim, half, half);
        Tensor out = Tensor::zeros(calc, a.shape());
        visit_floating(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          for (int64_t i = 0; i < a.numel(); ++i)
            out.mutable_data<T>()[i] = a.data<T>()[i] / (T(1) + std::exp(-b.data<T>()[i]));
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
  define_by_schema(
      lib, "aten::threshold", "nn", [](const OpArgs& args) { return std::vector<TensorMeta>{args.tensor("self")}; },
      [](const OpArgs& args) {
        const Tensor& raw = args.data("self");
        const DType calc = compute_dtype(raw.dtype());
        Tensor in = converted(raw, calc);
        const double th = args.f64("threshold"), value = args.f64("value");
        Tensor out = Tensor::zeros(calc, in.shape());
        visit_numeric(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          for (int64_t i = 0; i < in.numel(); ++i) {
            const T x = in.data<T>()[i];
            out.mutable_data<T>()[i] = static_cast<double>(x) > th ? x : static_cast<T>(value);
          }
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// aten::rrelu(Tensor self, Scalar lower=0.125, Scalar upper=0.333..., bool training=False,
//             Generator? generator=None) -> Tensor
// In eval mode RReLU is a leaky relu whose slope is the mean of its range,
// (lower + upper) / 2; training mode draws a random slope per element, which
// no exported model can reproduce, so it is refused.
double rrelu_slope(const OpArgs& a) {
  if (a.boolean("training"))
    fail("training=True draws a random slope per element, which a model cannot reproduce; call model.eval()");
  return (a.f64("lower") + a.f64("upper")) / 2;
}

void register_rrelu(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::rrelu", "nn",
      [](const OpArgs& a) {
        rrelu_slope(a);
        const TensorMeta& in = a.tensor("self");
        if (!is_floating(in.dtype)) fail("self must be a floating-point tensor, got " + std::string(dtype_name(in.dtype)));
        return std::vector<TensorMeta>{in};
      },
      [](const OpArgs& a) {
        const double slope = rrelu_slope(a);
        const Tensor& raw = a.data("self");
        const DType calc = compute_dtype(raw.dtype());
        Tensor in = converted(raw, calc);
        Tensor out = Tensor::zeros(calc, in.shape());
        visit_floating(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          for (int64_t i = 0; i < in.numel(); ++i) {
            const T x = in.data<T>()[i];
            out.mutable_data<T>()[i] = x >= T(0) ? x : x * static_cast<T>(slope);
          }
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// aten::bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) -> Tensor
// y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]
// (nn.Bilinear). The inputs share their leading dims; torch does not broadcast them.
TensorMeta bilinear_meta(const OpArgs& a) {
  const TensorMeta& x1 = a.tensor("input1");
  const TensorMeta& x2 = a.tensor("input2");
  const TensorMeta& w = a.tensor("weight");
  if (x1.shape.empty() || x2.shape.size() != x1.shape.size())
    fail("input1 and input2 must have the same rank of at least 1, got shapes " + shape_str(x1.shape) + " and " +
         shape_str(x2.shape));
  for (size_t i = 0; i + 1 < x1.shape.size(); ++i)
    if (x1.shape[i].is_static() && x2.shape[i].is_static() && x1.shape[i].value() != x2.shape[i].value())
      fail("input1 and input2 must have the same leading dims, got shapes " + shape_str(x1.shape) + " and " +
           shape_str(x2.shape));
  if (w.shape.size() != 3 || !(w.shape[1] == x1.shape.back()) || !(w.shape[2] == x2.shape.back()))
    fail("weight must have shape [out, " + x1.shape.back().str() + ", " + x2.shape.back().str() + "], got " +
         shape_str(w.shape));
  if (const OpArg* b = a.optional_tensor("bias"); b != nullptr && !(b->meta.shape == Shape{w.shape[0]}))
    fail("bias must have shape [" + w.shape[0].str() + "], got " + shape_str(b->meta.shape));
  Shape out(x1.shape.begin(), x1.shape.end() - 1);
  out.push_back(w.shape[0]);
  return TensorMeta{x1.dtype, out};
}

void register_bilinear(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::bilinear", "nn", [](const OpArgs& a) { return std::vector<TensorMeta>{bilinear_meta(a)}; },
      [](const OpArgs& a) {
        const TensorMeta m = bilinear_meta(a);
        const Tensor& raw = a.data("input1");
        const DType calc = compute_dtype(raw.dtype());
        const Tensor x1 = converted(raw, calc), x2 = converted(a.data("input2"), calc);
        const Tensor w = converted(a.data("weight"), calc);
        const Tensor b = a.has("bias") ? converted(a.data("bias"), calc) : Tensor{};
        const int64_t outs = w.shape()[0], n1 = w.shape()[1], n2 = w.shape()[2];
        const int64_t rows = x1.numel() / std::max<int64_t>(n1, 1);
        Tensor out = Tensor::zeros(calc, concrete(m.shape));
        visit_floating(calc, [&](auto tag) {
          using T = typename decltype(tag)::type;
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t o = 0; o < outs; ++o) {
              double acc = b.defined() ? static_cast<double>(b.data<T>()[o]) : 0.0;
              for (int64_t i = 0; i < n1; ++i) {
                double inner = 0;
                for (int64_t j = 0; j < n2; ++j)
                  inner += static_cast<double>(w.data<T>()[(o * n1 + i) * n2 + j]) * static_cast<double>(x2.data<T>()[r * n2 + j]);
                acc += static_cast<double>(x1.data<T>()[r * n1 + i]) * inner;
              }
              out.mutable_data<T>()[r * outs + o] = static_cast<T>(acc);
            }
        });
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// aten::triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1.,
//     float p=2., float eps=1e-06, bool swap=False, int reduction=1) -> Tensor
// (nn.TripletMarginLoss) per row: max(margin + d(a, p) - d(a, n), 0), with
// d(x, y) = ||x - y + eps||_p over the last dim (torch.pairwise_distance), and
// with swap d(a, n) = min(d(a, n), d(p, n)). reduction: 0 none, 1 mean, 2 sum.
struct TripletCall {
  double margin, p, eps;
  bool swap;
  int64_t reduction;
  TensorMeta out;
};

TripletCall triplet_call(const OpArgs& a) {
  const TensorMeta& an = a.tensor("anchor");
  for (const char* name : {"positive", "negative"})
    if (!(a.tensor(name).shape == an.shape))
      fail(std::string(name) + " must have the anchor's shape " + shape_str(an.shape) + ", got " +
           shape_str(a.tensor(name).shape));
  if (an.shape.empty() || an.shape.size() > 2)
    fail("anchor must be 1-D or 2-D, got shape " + shape_str(an.shape));
  TripletCall c{a.f64("margin"), a.f64("p"), a.f64("eps"), a.boolean("swap"), a.i64("reduction"), {}};
  if (!(c.p > 0) || !std::isfinite(c.p)) fail("p must be a finite norm degree > 0, got " + std::to_string(c.p));
  if (c.reduction < 0 || c.reduction > 2)
    fail("reduction must be 0 (none), 1 (mean) or 2 (sum), got " + std::to_string(c.reduction));
  Shape rows(an.shape.begin(), an.shape.end() - 1);
  c.out = TensorMeta{an.dtype, c.reduction == 0 ? rows : Shape{}};
  return c;
}

void register_triplet_margin_loss(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::triplet_margin_loss", "loss",
      [](const OpArgs& a) { return std::vector<TensorMeta>{triplet_call(a).out}; },
      [](const OpArgs& a) {
        const TripletCall c = triplet_call(a);
        const Tensor& raw = a.data("anchor");
        const Tensor an = converted(raw, DType::Float64), po = converted(a.data("positive"), DType::Float64),
                     ne = converted(a.data("negative"), DType::Float64);
        const int64_t width = raw.shape().back();
        const int64_t rows = raw.numel() / std::max<int64_t>(width, 1);
        auto dist = [&](const Tensor& x, const Tensor& y, int64_t r) {
          double s = 0;
          for (int64_t k = 0; k < width; ++k)
            s += std::pow(std::abs(x.data<double>()[r * width + k] - y.data<double>()[r * width + k] + c.eps), c.p);
          return std::pow(s, 1.0 / c.p);
        };
        std::vector<double> loss(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) {
          double d_an = dist(an, ne, r);
          if (c.swap) d_an = std::min(d_an, dist(po, ne, r));
          loss[static_cast<size_t>(r)] = std::max(c.margin + dist(an, po, r) - d_an, 0.0);
        }
        Tensor out = Tensor::zeros(DType::Float64, concrete(c.out.shape));
        if (c.reduction == 0) {
          std::copy(loss.begin(), loss.end(), out.mutable_data<double>());
        } else {
          double total = 0;
          for (double v : loss) total += v;
          out.mutable_data<double>()[0] = c.reduction == 1 ? total / static_cast<double>(rows) : total;
        }
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// aten::multi_margin_loss(Tensor self, Tensor target, Scalar p=1, Scalar margin=1,
//     Tensor? weight=None, int reduction=1) -> Tensor
// (nn.MultiMarginLoss) per row n with class y = target[n] of C classes:
// sum over i != y of max(0, margin - x[y] + x[i])^p * weight[y], over C.
struct MultiMarginCall {
  int64_t p;
  double margin;
  int64_t reduction;
  TensorMeta out;
};

MultiMarginCall multi_margin_call(const OpArgs& a) {
  const TensorMeta& x = a.tensor("self");
  const TensorMeta& t = a.tensor("target");
  if (x.shape.empty() || x.shape.size() > 2) fail("self must be 1-D [C] or 2-D [N, C], got " + shape_str(x.shape));
  const Shape rows(x.shape.begin(), x.shape.end() - 1);
  if (!(t.shape == rows)) fail("target must have shape " + shape_str(rows) + ", got " + shape_str(t.shape));
  if (is_floating(t.dtype) || t.dtype == DType::Bool) fail("target must hold class indices (an integer tensor)");
  const double p = a.f64("p");
  if (p != 1.0 && p != 2.0) fail("only p = 1 and p = 2 are supported (as in PyTorch), got " + std::to_string(p));
  if (const OpArg* w = a.optional_tensor("weight"); w != nullptr && !(w->meta.shape == Shape{x.shape.back()}))
    fail("weight must have shape [" + x.shape.back().str() + "], got " + shape_str(w->meta.shape));
  MultiMarginCall c{static_cast<int64_t>(p), a.f64("margin"), a.i64("reduction"), {}};
  if (c.reduction < 0 || c.reduction > 2)
    fail("reduction must be 0 (none), 1 (mean) or 2 (sum), got " + std::to_string(c.reduction));
  c.out = TensorMeta{x.dtype, c.reduction == 0 ? rows : Shape{}};
  return c;
}

void register_multi_margin_loss(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::multi_margin_loss", "loss",
      [](const OpArgs& a) { return std::vector<TensorMeta>{multi_margin_call(a).out}; },
      [](const OpArgs& a) {
        const MultiMarginCall c = multi_margin_call(a);
        const Tensor& raw = a.data("self");
        const Tensor x = converted(raw, DType::Float64);
        const Tensor t = converted(a.data("target"), DType::Int64);
        const Tensor w = a.has("weight") ? converted(a.data("weight"), DType::Float64) : Tensor{};
        const int64_t classes = raw.shape().back();
        const int64_t rows = raw.numel() / std::max<int64_t>(classes, 1);
        std::vector<double> loss(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t y = t.data<int64_t>()[r];
          if (y < 0 || y >= classes) fail("target " + std::to_string(y) + " is out of range for " + std::to_string(classes) + " classes");
          const double xy = x.data<double>()[r * classes + y];
          double sum = 0;
          for (int64_t i = 0; i < classes; ++i) {
            if (i == y) continue;
            double h = std::max(0.0, c.margin - xy + x.data<double>()[r * classes + i]);
            if (c.p == 2) h *= h;
            if (w.defined()) h *= w.data<double>()[y];
            sum += h;
          }
          loss[static_cast<size_t>(r)] = sum / static_cast<double>(classes);
        }
        Tensor out = Tensor::zeros(DType::Float64, concrete(c.out.shape));
        if (c.reduction == 0) {
          std::copy(loss.begin(), loss.end(), out.mutable_data<double>());
        } else {
          double total = 0;
          for (double v : loss) total += v;
          out.mutable_data<double>()[0] = c.reduction == 1 ? total / static_cast<double>(rows) : total;
        }
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

// aten::max_unpool2d(Tensor self, Tensor indices, int[2] output_size) -> Tensor
// aten::max_unpool3d(Tensor self, Tensor indices, int[3] output_size, int[3] stride, int[3] padding) -> Tensor
// (nn.MaxUnpool1d/2d/3d): zeros of the output size per (n, c) plane, with
// each value written at its index, flat within the plane (max_pool's
// return_indices convention).
template <size_t Spatial>
TensorMeta max_unpool_meta(const OpArgs& a) {
  const TensorMeta& x = a.tensor("self");
  const TensorMeta& idx = a.tensor("indices");
  if (x.shape.size() != Spatial + 1 && x.shape.size() != Spatial + 2)
    fail("self must have " + std::to_string(Spatial) + " spatial dims after (N,) C, got shape " + shape_str(x.shape));
  if (!(idx.shape == x.shape)) fail("indices must have self's shape " + shape_str(x.shape) + ", got " + shape_str(idx.shape));
  if (is_floating(idx.dtype) || idx.dtype == DType::Bool) fail("indices must be an integer tensor");
  const std::vector<int64_t> size = a.ints("output_size");
  if (size.size() != Spatial) fail("output_size must have " + std::to_string(Spatial) + " sizes");
  Shape out(x.shape.begin(), x.shape.end() - static_cast<long>(Spatial));
  for (int64_t s : size) {
    if (s < 0) fail("output_size must be non-negative");
    out.push_back(Dim(s));
  }
  return TensorMeta{x.dtype, out};
}

template <size_t Spatial>
std::vector<Tensor> max_unpool_kernel(const OpArgs& a) {
  const TensorMeta m = max_unpool_meta<Spatial>(a);
  const Tensor& raw = a.data("self");
  const Tensor x = converted(raw, DType::Float64);
  const Tensor idx = converted(a.data("indices"), DType::Int64);
  int64_t plane_in = 1, plane_out = 1;
  for (size_t k = 0; k < Spatial; ++k) {
    plane_in *= raw.shape()[raw.shape().size() - 1 - k];
    plane_out *= m.shape[m.shape.size() - 1 - k].value();
  }
  const int64_t planes = raw.numel() / std::max<int64_t>(plane_in, 1);
  Tensor out = Tensor::zeros(DType::Float64, concrete(m.shape));
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < plane_in; ++i) {
      const int64_t at = idx.data<int64_t>()[p * plane_in + i];
      if (at < 0 || at >= plane_out)
        fail("index " + std::to_string(at) + " is out of range for an output plane of " + std::to_string(plane_out) +
             " elements");
      out.mutable_data<double>()[p * plane_out + at] = x.data<double>()[p * plane_in + i];
    }
  return {finish(std::move(out), raw.dtype())};
}

void register_max_unpool(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::max_unpool2d", "nn", [](const OpArgs& a) { return std::vector<TensorMeta>{max_unpool_meta<2>(a)}; },
      max_unpool_kernel<2>);
  define_by_schema(
      lib, "aten::max_unpool3d", "nn", [](const OpArgs& a) { return std::vector<TensorMeta>{max_unpool_meta<3>(a)}; },
      max_unpool_kernel<3>);
}

// aten::col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation,
//              int[2] padding, int[2] stride) -> Tensor
// (F.fold, nn.Fold): the adjoint of im2col. self is [N, C*kh*kw, L] (or
// unbatched [C*kh*kw, L]) with L the number of window positions over the
// padded output; every column value is added into the output pixel its row
// (c, i, j) and column (position) land on.
struct Col2ImPlan {
  bool batched;
  int64_t channels, kh, kw, oh, ow, bh, bw;
  std::vector<int64_t> dilation, padding, stride;
  TensorMeta out;
};

Col2ImPlan col2im_plan(const OpArgs& a) {
  const TensorMeta& x = a.tensor("self");
  Col2ImPlan p{};
  p.batched = x.shape.size() == 3;
  if (x.shape.size() != 2 && x.shape.size() != 3)
    fail("self must be 2-D [C*kh*kw, L] or 3-D [N, C*kh*kw, L], got shape " + shape_str(x.shape));
  const std::vector<int64_t> size = a.ints("output_size"), kernel = a.ints("kernel_size");
  p.dilation = a.ints("dilation");
  p.padding = a.ints("padding");
  p.stride = a.ints("stride");
  const std::vector<const std::vector<int64_t>*> lists{&size, &kernel, &p.dilation, &p.padding, &p.stride};
  for (const std::vector<int64_t>* v : lists)
    if (v->size() != 2) fail("output_size, kernel_size, dilation, padding and stride take 2 values each");
  for (int k = 0; k < 2; ++k)
    if (kernel[k] <= 0 || p.dilation[k] <= 0 || p.stride[k] <= 0 || p.padding[k] < 0 || size[k] <= 0)
      fail("kernel_size, dilation, stride and output_size must be positive and padding non-negative");
  p.kh = kernel[0];
  p.kw = kernel[1];
  p.oh = size[0];
  p.ow = size[1];
  p.bh = (p.oh + 2 * p.padding[0] - p.dilation[0] * (p.kh - 1) - 1) / p.stride[0] + 1;
  p.bw = (p.ow + 2 * p.padding[1] - p.dilation[1] * (p.kw - 1) - 1) / p.stride[1] + 1;
  if (p.bh <= 0 || p.bw <= 0) fail("the kernel does not fit in the padded output size");
  const Dim rows = x.shape[p.batched ? 1 : 0], cols = x.shape[p.batched ? 2 : 1];
  if (!rows.is_static() || rows.value() % (p.kh * p.kw) != 0)
    fail("dim " + std::string(p.batched ? "1" : "0") + " (" + rows.str() + ") must be a multiple of kh*kw = " +
         std::to_string(p.kh * p.kw));
  if (!(cols == Dim(p.bh * p.bw)))
    fail("the last dim (" + cols.str() + ") must be the number of window positions, " + std::to_string(p.bh * p.bw));
  p.channels = rows.value() / (p.kh * p.kw);
  Shape out;
  if (p.batched) out.push_back(x.shape[0]);
  for (int64_t s : {p.channels, p.oh, p.ow}) out.push_back(Dim(s));
  p.out = TensorMeta{x.dtype, out};
  return p;
}

void register_col2im(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::col2im", "nn", [](const OpArgs& a) { return std::vector<TensorMeta>{col2im_plan(a).out}; },
      [](const OpArgs& a) {
        const Col2ImPlan p = col2im_plan(a);
        const Tensor& raw = a.data("self");
        const Tensor x = converted(raw, DType::Float64);
        const int64_t N = p.batched ? raw.shape()[0] : 1;
        Tensor out = Tensor::zeros(DType::Float64, concrete(p.out.shape));
        const double* src = x.data<double>();
        double* dst = out.mutable_data<double>();
        for (int64_t n = 0; n < N; ++n)
          for (int64_t c = 0; c < p.channels; ++c)
            for (int64_t i = 0; i < p.kh; ++i)
              for (int64_t j = 0; j < p.kw; ++j) {
                const double* row = src + ((n * p.channels + c) * p.kh * p.kw + i * p.kw + j) * p.bh * p.bw;
                for (int64_t by = 0; by < p.bh; ++by) {
                  const int64_t y = by * p.stride[0] - p.padding[0] + i * p.dilation[0];
                  if (y < 0 || y >= p.oh) continue;  // lands in the padding
                  for (int64_t bx = 0; bx < p.bw; ++bx) {
                    const int64_t xx = bx * p.stride[1] - p.padding[1] + j * p.dilation[1];
                    if (xx >= 0 && xx < p.ow) dst[((n * p.channels + c) * p.oh + y) * p.ow + xx] += row[by * p.bw + bx];
                  }
                }
              }
        return std::vector<Tensor>{finish(std::move(out), raw.dtype())};
      });
}

}  // namespace

void register_nn_ops(OpLibrary& lib) {
  register_rrelu(lib);
  register_col2im(lib);
  register_max_unpool(lib);
  register_multi_margin_loss(lib);
  register_bilinear(lib);
  register_triplet_margin_loss(lib);
  register_convolution(lib);
  register_pooling(lib);
  define_by_schema(lib, "aten::batch_norm", "nn", channel_norm_meta,
                   [](const OpArgs& a) { return channel_norm_kernel(a, false); });
  define_by_schema(lib, "aten::instance_norm", "nn", channel_norm_meta,
                   [](const OpArgs& a) { return channel_norm_kernel(a, true); });
  register_layer_norm(lib);
  register_group_norm(lib);
  register_embedding(lib);
  register_pixel_shuffle(lib);
  register_pixel_unshuffle(lib);
  register_im2col(lib);
  register_channel_shuffle(lib);
  register_activations(lib);
}

}  // namespace onnxport::ops
