// Resampling ops: upsample_nearest{1,2,3}d, _upsample_nearest_exact{1,2,3}d,
// upsample_linear1d, upsample_bilinear2d, upsample_trilinear3d and
// upsample_bicubic2d (what F.interpolate calls for each mode), and
// grid_sampler (F.grid_sample).
//
// One separable kernel serves every mode: per spatial dim and output index,
// a list of (source index, weight) taps computed exactly as ATen's
// UpSample.h does (torch 1.13), then every output element is the weighted sum
// over the product of its dims' taps.
#include "op_support.hpp"

#include <algorithm>
#include <cmath>

namespace onnxport::ops {
namespace {

enum class Mode { Nearest, NearestExact, Linear, Cubic };

// Both overloads of every upsample op:
//   .vec(input, SymInt[]? output_size, [bool align_corners,] float[]? scale_factors)
//   default(self, SymInt[N] output_size, [bool align_corners,] float? scales_d/h/w...)
struct UpsampleCall {
  size_t spatial = 0;
  Shape out_shape;
  bool align_corners = false;
  std::vector<std::optional<double>> scales;  // per spatial dim, as given (they set the source coordinates)
};

std::vector<double> float_list(const OpArg& list, const char* what) {
  std::vector<double> out;
  if (list.kind == OpArg::Kind::List)
    for (const OpArg& f : list.items) out.push_back(f.as_double());
  else if (list.kind == OpArg::Kind::Constant && list.constant.is_array())
    for (const auto& f : list.constant) {
      if (!f.is_number()) fail(std::string(what) + " must be a list of numbers, got " + list.constant.dump());
      out.push_back(f.get<double>());
    }
  else if (list.kind == OpArg::Kind::Constant && list.constant.is_number())
    out.push_back(list.constant.get<double>());
  else
    fail(std::string(what) + " must be a list of numbers");
  return out;
}

// upsample_*.vec(Tensor input, SymInt[]? output_size, [bool align_corners,] float[]? scale_factors)
// upsample_*(Tensor self, SymInt[N] output_size, [bool align_corners,] float? scales_d/_h/_w=None)
// (one `scales` for 1-D).
const char* upsample_input(const OpArgs& args) { return args.schema().overload == "vec" ? "input" : "self"; }

std::vector<std::string_view> per_dim_scales(size_t spatial) {
  if (spatial == 1) return {"scales"};
  if (spatial == 2) return {"scales_h", "scales_w"};
  return {"scales_d", "scales_h", "scales_w"};
}

UpsampleCall upsample_call(const OpArgs& args, size_t spatial, bool has_align_corners) {
  const TensorMeta& in = args.tensor(upsample_input(args));
  if (in.shape.size() != spatial + 2)
    fail("expected a " + std::to_string(spatial + 2) + "-D input [N, C, " + (spatial == 1 ? "W" : spatial == 2 ? "H, W" : "D, H, W") +
         "], got shape " + shape_str(in.shape));
  UpsampleCall u;
  u.spatial = spatial;
  if (has_align_corners) u.align_corners = args.boolean("align_corners");
  u.scales.assign(spatial, std::nullopt);
  // The .vec overload has one scale_factors list where the other has one float? per dim.
  const bool vec_overload = args.schema().overload == "vec";
  std::vector<Dim> sizes;
  if (args.has("output_size")) sizes = args.dims("output_size");
  if (vec_overload && args.has("scale_factors")) {
    std::vector<double> factors = float_list(args.arg("scale_factors"), "scale_factors");
    if (factors.size() != spatial)
      fail("scale_factors must have " + std::to_string(spatial) + " values, got " + std::to_string(factors.size()));
    if (!sizes.empty()) fail("give either output_size or scale_factors, not both");
    for (size_t i = 0; i < spatial; ++i) {
      if (!(factors[i] > 0) || !std::isfinite(factors[i]))
        fail("scale_factors must be positive and finite, got " + std::to_string(factors[i]));
      const Dim& d = in.shape[2 + i];
      u.scales[i] = factors[i];
      // torch: int64(input_size * scale), truncating the double product.
      if (d.is_static()) sizes.emplace_back(static_cast<int64_t>(static_cast<double>(d.value()) * factors[i]));
      else if (factors[i] == std::floor(factors[i])) sizes.push_back(dim_mul(d, Dim(static_cast<int64_t>(factors[i]))));
      else fail("a fractional scale factor on the symbolic dim " + d.expr() + " is not supported");
    }
  } else if (!vec_overload) {
    const std::vector<std::string_view> scales = per_dim_scales(spatial);
    for (size_t i = 0; i < spatial; ++i) u.scales[i] = args.optional_f64(scales[i]);
  }
  if (sizes.empty()) fail("either output_size or scale_factors must be given");
  if (sizes.size() != spatial) fail("output_size must have " + std::to_string(spatial) + " values, got " + shape_str(sizes));
  for (const Dim& s : sizes)
    if (s.is_static() && s.value() <= 0) fail("the output size must be positive, got " + shape_str(sizes));
  u.out_shape = Shape{in.shape[0], in.shape[1]};
  u.out_shape.insert(u.out_shape.end(), sizes.begin(), sizes.end());
  return u;
}

// ATen's compute_scales_value: 1/scale when the caller gave a positive scale, else in/out.
template <class T>
T scales_value(const std::optional<double>& given, int64_t in, int64_t out) {
  return given && *given > 0 ? static_cast<T>(1.0 / *given) : static_cast<T>(in) / static_cast<T>(out);
}

// ATen's area_pixel_compute_scale.
template <class T>
T area_scale(int64_t in, int64_t out, bool align_corners, const std::optional<double>& given) {
  if (align_corners) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  return scales_value<T>(given, in, out);
}

// ATen's area_pixel_compute_source_index.
template <class T>
T source_index(T scale, int64_t dst, bool align_corners, bool cubic) {
  if (align_corners) return scale * static_cast<T>(dst);
  const T src = scale * (static_cast<T>(dst) + T(0.5)) - T(0.5);
  return (!cubic && src < T(0)) ? T(0) : src;
}

double cubic_near(double x, double a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }           // |x| <= 1
double cubic_far(double x, double a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }  // 1 < |x| < 2

struct Tap {
  int64_t index;
  double weight;
};

// The taps of every output index along one dim. T is the dtype torch
// computes the coordinates in (float for float32 inputs, double for float64).
template <class T>
std::vector<std::vector<Tap>> dim_taps(Mode mode, int64_t in, int64_t out, bool align_corners, const std::optional<double>& given) {
  std::vector<std::vector<Tap>> taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    auto& t = taps[static_cast<size_t>(o)];
    switch (mode) {
      case Mode::Nearest: {
        int64_t src;
        if (out == in) src = o;
        else if (out == 2 * in) src = o >> 1;
        else {
          // nearest_idx computes in float whatever the input dtype.
          const float scale = scales_value<float>(given, in, out);
          src = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
        }
        t.push_back({src, 1.0});
        break;
      }
      case Mode::NearestExact: {
        const float scale = scales_value<float>(given, in, out);
        t.push_back({std::min(static_cast<int64_t>(std::floor((static_cast<float>(o) + 0.5f) * scale)), in - 1), 1.0});
        break;
      }
      case Mode::Linear: {
        const T scale = area_scale<T>(in, out, align_corners, given);
        const T real = source_index<T>(scale, o, align_corners, false);
        const int64_t i0 = std::min(static_cast<int64_t>(std::floor(real)), in - 1);
        const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
        const double lambda = std::min(std::max(static_cast<double>(real) - static_cast<double>(i0), 0.0), 1.0);
        t.push_back({i0, 1.0 - lambda});
        t.push_back({i1, lambda});
        break;
      }
      case Mode::Cubic: {
        const T scale = area_scale<T>(in, out, align_corners, given);
        const T real = source_index<T>(scale, o, align_corners, true);
        const int64_t i = static_cast<int64_t>(std::floor(real));
        const double x = static_cast<double>(real) - static_cast<double>(i);
        const double a = -0.75;
        const double w[4] = {cubic_far(x + 1, a), cubic_near(x, a), cubic_near(1 - x, a), cubic_far(2 - x, a)};
        for (int k = 0; k < 4; ++k) t.push_back({std::clamp<int64_t>(i - 1 + k, 0, in - 1), w[k]});
        break;
      }
    }
  }
  return taps;
}

template <class T>
void resample_loop(const Tensor& in, Tensor& out, const std::vector<std::vector<std::vector<Tap>>>& taps) {
  const auto& is = in.shape();
  const auto& os = out.shape();
  const size_t n = taps.size();
  const int64_t planes = is[0] * is[1];
  const int64_t in_plane = numel_of(std::vector<int64_t>(is.begin() + 2, is.end()));
  const int64_t out_plane = numel_of(std::vector<int64_t>(os.begin() + 2, os.end()));
  const std::vector<int64_t> in_strides = contiguous_strides(std::vector<int64_t>(is.begin() + 2, is.end()));
  const std::vector<int64_t> out_sizes(os.begin() + 2, os.end());
  const T* p = in.data<T>();
  T* q = out.mutable_data<T>();
  std::vector<int64_t> idx(n, 0);
  std::vector<std::pair<int64_t, double>> terms;
  for (int64_t o = 0; o < out_plane; ++o) {
    // idx = the multi-index of output element o within a plane.
    int64_t rest = o;
    for (size_t d = n; d-- > 0;) {
      idx[d] = rest % out_sizes[d];
      rest /= out_sizes[d];
    }
    // Sum over the product of the dims' taps (at most 4 per dim).
    size_t combos = 1;
    for (size_t d = 0; d < n; ++d) combos *= taps[d][static_cast<size_t>(idx[d])].size();
    terms.clear();
    for (size_t c = 0; c < combos; ++c) {
      size_t r = c;
      int64_t offset = 0;
      double weight = 1.0;
      for (size_t d = n; d-- > 0;) {
        const auto& dim_taps = taps[d][static_cast<size_t>(idx[d])];
        const Tap& tap = dim_taps[r % dim_taps.size()];
        r /= dim_taps.size();
        offset += tap.index * in_strides[d];
        weight *= tap.weight;
      }
      terms.emplace_back(offset, weight);
    }
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* src = p + plane * in_plane;
      double sum = 0;
      for (const auto& [offset, weight] : terms) sum += weight * static_cast<double>(src[offset]);
      q[plane * out_plane + o] = static_cast<T>(sum);
    }
  }
}

std::vector<Tensor> upsample_kernel(const OpArgs& args, Mode mode, size_t spatial) {
  const bool has_align = mode == Mode::Linear || mode == Mode::Cubic;
  const UpsampleCall u = upsample_call(args, spatial, has_align);
  const Tensor& raw = args.data(upsample_input(args));
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  const std::vector<int64_t> os = concrete(u.out_shape);
  Tensor out = Tensor::zeros(calc, os);
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<std::vector<std::vector<Tap>>> taps;
    for (size_t d = 0; d < spatial; ++d)
      taps.push_back(dim_taps<T>(mode, in.shape()[2 + d], os[2 + d], u.align_corners, u.scales[d]));
    resample_loop<T>(in, out, taps);
  });
  return {finish(std::move(out), raw.dtype())};
}

// ---------------------------------------------------------------- grid_sampler

// grid_sampler(input [N, C, H, W], grid [N, Ho, Wo, 2], int interpolation_mode
// (0 bilinear, 1 nearest, 2 bicubic), int padding_mode (0 zeros, 1 border,
// 2 reflection), bool align_corners) -> [N, C, Ho, Wo]: ATen's
// GridSampler.h, 4-D only.
enum class GridPadding { Zeros = 0, Border = 1, Reflection = 2 };

double unnormalize(double coord, int64_t size, bool align_corners) {
  return align_corners ? (coord + 1) / 2 * static_cast<double>(size - 1) : ((coord + 1) * static_cast<double>(size) - 1) / 2;
}

double reflect(double in, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return 0;
  const double low = static_cast<double>(twice_low) / 2, span = static_cast<double>(twice_high - twice_low) / 2;
  in = std::fabs(in - low);
  const double extra = std::fmod(in, span);
  const int64_t flips = static_cast<int64_t>(std::floor(in / span));
  return flips % 2 == 0 ? extra + low : span - extra + low;
}

// A coordinate as an index; far-off and NaN coordinates become -1 (outside
// the input, so they read as zero) rather than an undefined conversion.
int64_t as_index(double v) { return (v > -1e15 && v < 1e15) ? static_cast<int64_t>(std::floor(v)) : -1; }

double clip(double coord, int64_t size) { return std::min(static_cast<double>(size - 1), std::max(coord, 0.0)); }

double padded_coordinate(double coord, int64_t size, GridPadding pad, bool align_corners) {
  if (pad == GridPadding::Border) return clip(coord, size);
  if (pad == GridPadding::Reflection) {
    coord = align_corners ? reflect(coord, 0, 2 * (size - 1)) : reflect(coord, -1, 2 * size - 1);
    return clip(coord, size);
  }
  return coord;
}

struct GridCall {
  int64_t mode;
  GridPadding padding;
  bool align_corners;
  Shape out_shape;
};

// grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners)
GridCall grid_call(const OpArgs& args) {
  const TensorMeta& in = args.tensor("input");
  const TensorMeta& grid = args.tensor("grid");
  if (in.shape.size() != 4) fail("only 4-D inputs [N, C, H, W] are supported, got shape " + shape_str(in.shape));
  if (grid.shape.size() != 4 || !(grid.shape[3] == Dim(2)))
    fail("grid must have shape [N, H_out, W_out, 2], got " + shape_str(grid.shape));
  if (in.dtype != grid.dtype)
    fail("input dtype " + std::string(dtype_name(in.dtype)) + " differs from grid dtype " + std::string(dtype_name(grid.dtype)));
  GridCall g;
  g.mode = args.i64("interpolation_mode");
  if (g.mode < 0 || g.mode > 2) fail("interpolation_mode must be 0 (bilinear), 1 (nearest) or 2 (bicubic), got " + std::to_string(g.mode));
  const int64_t pad = args.i64("padding_mode");
  if (pad < 0 || pad > 2) fail("padding_mode must be 0 (zeros), 1 (border) or 2 (reflection), got " + std::to_string(pad));
  g.padding = static_cast<GridPadding>(pad);
  g.align_corners = args.boolean("align_corners");
  g.out_shape = Shape{in.shape[0], in.shape[1], grid.shape[1], grid.shape[2]};
  return g;
}

std::vector<Tensor> grid_sampler_kernel(const OpArgs& args) {
  const GridCall g = grid_call(args);
  const Tensor& raw = args.data("input");
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  Tensor grid = converted(args.data("grid"), DType::Float64);
  const std::vector<int64_t> os = concrete(g.out_shape);
  const int64_t N = os[0], C = os[1], Ho = os[2], Wo = os[3], H = in.shape()[2], W = in.shape()[3];
  if (grid.shape()[0] != N) fail("grid batch " + std::to_string(grid.shape()[0]) + " differs from input batch " + std::to_string(N));
  Tensor out = Tensor::zeros(calc, os);
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = in.data<T>();
    const double* pg = grid.data<double>();
    T* q = out.mutable_data<T>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t y = 0; y < Ho; ++y)
        for (int64_t x = 0; x < Wo; ++x) {
          const double gx = pg[((n * Ho + y) * Wo + x) * 2], gy = pg[((n * Ho + y) * Wo + x) * 2 + 1];
          // value(c, iy, ix): zero outside the input.
          auto at = [&](int64_t c, int64_t iy, int64_t ix) -> double {
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) return 0.0;
            return static_cast<double>(p[((n * C + c) * H + iy) * W + ix]);
          };
          for (int64_t c = 0; c < C; ++c) {
            double v = 0;
            if (g.mode == 2) {
              // Bicubic: taps around the unpadded coordinate, each tap padded on its own.
              const double ix = unnormalize(gx, W, g.align_corners), iy = unnormalize(gy, H, g.align_corners);
              const double fx = std::floor(ix), fy = std::floor(iy);
              const double tx = ix - fx, ty = iy - fy, a = -0.75;
              const double wx[4] = {cubic_far(tx + 1, a), cubic_near(tx, a), cubic_near(1 - tx, a), cubic_far(2 - tx, a)};
              const double wy[4] = {cubic_far(ty + 1, a), cubic_near(ty, a), cubic_near(1 - ty, a), cubic_far(2 - ty, a)};
              for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) {
                  const double sx = padded_coordinate(fx - 1 + j, W, g.padding, g.align_corners);
                  const double sy = padded_coordinate(fy - 1 + i, H, g.padding, g.align_corners);
                  v += wy[i] * wx[j] * at(c, as_index(sy), as_index(sx));
                }
            } else {
              const double ix = padded_coordinate(unnormalize(gx, W, g.align_corners), W, g.padding, g.align_corners);
              const double iy = padded_coordinate(unnormalize(gy, H, g.align_corners), H, g.padding, g.align_corners);
              if (g.mode == 1) {
                v = at(c, as_index(std::nearbyint(iy)), as_index(std::nearbyint(ix)));
              } else {
                const int64_t x0 = as_index(ix), y0 = as_index(iy);
                const double dx = ix - static_cast<double>(x0), dy = iy - static_cast<double>(y0);
                v = at(c, y0, x0) * (1 - dx) * (1 - dy) + at(c, y0, x0 + 1) * dx * (1 - dy) + at(c, y0 + 1, x0) * (1 - dx) * dy +
                    at(c, y0 + 1, x0 + 1) * dx * dy;
              }
            }
            q[((n * C + c) * Ho + y) * Wo + x] = static_cast<T>(v);
          }
        }
  });
  return {finish(std::move(out), raw.dtype())};
}

}  // namespace

void register_resample_ops(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::grid_sampler", "nn",
      [](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{args.tensor("input").dtype, grid_call(args).out_shape}}; },
      grid_sampler_kernel);
  struct Upsample {
    const char* name;
    Mode mode;
    size_t spatial;
  };
  for (Upsample u : {Upsample{"aten::upsample_nearest1d", Mode::Nearest, 1}, Upsample{"aten::upsample_nearest2d", Mode::Nearest, 2},
                     Upsample{"aten::upsample_nearest3d", Mode::Nearest, 3},
                     Upsample{"aten::_upsample_nearest_exact1d", Mode::NearestExact, 1},
                     Upsample{"aten::_upsample_nearest_exact2d", Mode::NearestExact, 2},
                     Upsample{"aten::_upsample_nearest_exact3d", Mode::NearestExact, 3},
                     Upsample{"aten::upsample_linear1d", Mode::Linear, 1}, Upsample{"aten::upsample_bilinear2d", Mode::Linear, 2},
                     Upsample{"aten::upsample_trilinear3d", Mode::Linear, 3},
                     Upsample{"aten::upsample_bicubic2d", Mode::Cubic, 2}}) {
    const bool has_align = u.mode == Mode::Linear || u.mode == Mode::Cubic;
    define_by_schema(
        lib, u.name, "nn",
        [u, has_align](const OpArgs& args) {
          const DType dtype = args.tensor(upsample_input(args)).dtype;
          return std::vector<TensorMeta>{TensorMeta{dtype, upsample_call(args, u.spatial, has_align).out_shape}};
        },
        [u](const OpArgs& args) { return upsample_kernel(args, u.mode, u.spatial); });
  }
}

}  // namespace onnxport::ops
