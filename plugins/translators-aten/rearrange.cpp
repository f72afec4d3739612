// Ops that move elements without computing: roll, pixel_unshuffle, channel_shuffle and im2col (F.unfold).
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <limits>

namespace onnxport::aten {
namespace {

// Rolls `x` by `shift` along `axis`: the last (shift mod n) entries move to
// the front, as Concat(Slice(x, n - s, n), Slice(x, 0, n - s)). A static
// size folds everything to constants; a symbolic one computes s with Mod
// (ONNX integer Mod takes the divisor's sign, so s is in [0, n)).
std::string roll_axis(TranslateContext& ctx, const std::string& x, int64_t shift, int64_t axis, std::optional<int64_t> size) {
  const std::string axes = ctx.const_i64({axis});
  std::string split, end;
  if (size) {
    if (*size == 0) return x;
    const int64_t s = ((shift % *size) + *size) % *size;
    if (s == 0) return x;
    split = ctx.const_i64({*size - s});
    end = ctx.const_i64({*size});
  } else {
    std::string n = ctx.op("Gather", {shape_of(ctx, x), axes}, {{"axis", int64_t{0}}});
    // Max(n, 1) keeps an empty dim from dividing by zero (its slices are empty anyway).
    std::string s = ctx.op("Mod", {ctx.const_i64({shift}), ctx.op("Max", {n, ctx.const_i64({1})})});
    split = ctx.op("Sub", {n, s});
    end = ctx.const_i64({std::numeric_limits<int64_t>::max()});
  }
  std::string tail = ctx.op("Slice", {x, split, end, axes});
  std::string head = ctx.op("Slice", {x, ctx.const_i64({0}), split, axes});
  return ctx.op("Concat", {tail, head}, {{"axis", axis}});
}

// roll(Tensor self, int[1] shifts, int[1] dims=[]): without dims the
// flattened tensor rolls and takes its shape back.
void translate_roll(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const std::vector<int64_t> shifts = a.ints("shifts");
  const std::vector<int64_t> dims = a.ints("dims");
  std::string x = a.input("self");
  if (dims.empty()) {
    if (shifts.size() != 1) fail(ctx, "shifts must have one value when dims is empty, got " + std::to_string(shifts.size()));
    std::string flat = reshape(ctx, x, {-1});
    std::optional<int64_t> numel = 1;
    for (int64_t d = 0; d < rank && numel; ++d) {
      auto s = static_dim(ctx, a, "self", d);
      numel = s ? std::optional<int64_t>(*numel * *s) : std::nullopt;
    }
    set_result(ctx, ctx.op("Reshape", {roll_axis(ctx, flat, shifts[0], 0, numel), shape_of(ctx, x)}));
    return;
  }
  if (shifts.size() != dims.size())
    fail(ctx, "shifts and dims must have the same length, got " + std::to_string(shifts.size()) + " and " +
                  std::to_string(dims.size()));
  for (size_t k = 0; k < dims.size(); ++k) {
    const int64_t axis = normalize_dim(ctx, dims[k], rank);
    x = roll_axis(ctx, x, shifts[k], axis, static_dim(ctx, a, "self", axis));
  }
  set_result(ctx, ctx.op("Identity", {x}));
}

// pixel_unshuffle(Tensor self, int downscale_factor): [*, C, H, W] ->
// [*, C*r*r, H/r, W/r] with output channel c*r*r + i*r + j taking
// input (c, h*r + i, w*r + j). ONNX SpaceToDepth orders the channels the
// other way (block offset first), so: Reshape to [-1, C, H/r, r, W/r, r],
// Transpose to [-1, C, r, r, H/r, W/r], Reshape back with the leading dims.
void translate_pixel_unshuffle(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank < 3) fail(ctx, "pixel_unshuffle expects at least 3 dims, got rank " + std::to_string(rank));
  const int64_t r = a.i64("downscale_factor");
  if (r <= 0) fail(ctx, "downscale_factor must be positive, got " + std::to_string(r));
  const auto c = static_dim(ctx, a, "self", rank - 3), h = static_dim(ctx, a, "self", rank - 2),
             w = static_dim(ctx, a, "self", rank - 1);
  if (!c || !h || !w) fail(ctx, "the channel, height and width dims must be static");
  if (*h % r != 0 || *w % r != 0)
    fail(ctx, "height " + std::to_string(*h) + " and width " + std::to_string(*w) + " must be divisible by downscale_factor " +
                  std::to_string(r));
  std::string x = a.input("self");
  std::string blocks = reshape(ctx, x, {-1, *c, *h / r, r, *w / r, r});
  std::string moved = ctx.op("Transpose", {blocks}, {{"perm", std::vector<int64_t>{0, 1, 3, 5, 2, 4}}});
  std::string tail = ctx.const_i64({*c * r * r, *h / r, *w / r});
  std::string shape = tail;
  if (rank > 3) {
    std::string lead = ctx.op("Slice", {shape_of(ctx, x), ctx.const_i64({0}), ctx.const_i64({rank - 3})});
    shape = ctx.op("Concat", {lead, tail}, {{"axis", int64_t{0}}});
  }
  set_result(ctx, ctx.op("Reshape", {moved, shape}));
}

// channel_shuffle(Tensor self, int groups): Reshape to [N, g, C/g, -1],
// swap the group dims, Reshape back to the input's shape.
void translate_channel_shuffle(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank < 3) fail(ctx, "channel_shuffle expects at least 3 dims, got rank " + std::to_string(rank));
  const int64_t g = a.i64("groups");
  const auto c = static_dim(ctx, a, "self", 1);
  if (!c || g <= 0 || *c % g != 0) fail(ctx, "needs a static channel dim divisible by a positive groups");
  const std::string x = a.input("self");
  std::string grouped = reshape(ctx, x, {0, g, *c / g, -1});
  std::string swapped = ctx.op("Transpose", {grouped}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  set_result(ctx, ctx.op("Reshape", {swapped, shape_of(ctx, x)}));
}

// im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding,
// int[2] stride), F.unfold: one strided Slice of the zero-padded input per
// kernel offset (i, j), each [N, C, oh, ow]; stacked on a new axis after C
// they are [N, C, kh*kw, oh, ow], which is torch's [N, C*kh*kw, oh*ow] once
// reshaped. A Slice's end counts back from the padded end, so dynamic
// H and W need no size arithmetic.
void translate_im2col(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank != 3 && rank != 4) fail(ctx, "im2col expects a 3-D or 4-D input, got rank " + std::to_string(rank));
  // int[2]: a lone int is repeated by the accessor.
  auto pair = [&](const char* name, int64_t least) {
    std::vector<int64_t> v = a.ints(name);
    if (v.size() != 2) fail(ctx, std::string(name) + " must have 1 or 2 values");
    for (int64_t e : v)
      if (e < least) fail(ctx, std::string(name) + " must be at least " + std::to_string(least));
    return v;
  };
  const std::vector<int64_t> kernel = pair("kernel_size", 1), dilation = pair("dilation", 1),
                             padding = pair("padding", 0), stride = pair("stride", 1);
  const auto channels = static_dim(ctx, a, "self", rank - 3);
  if (!channels) fail(ctx, "the channel dim must be static");
  std::string x = a.input("self");
  if (rank == 3) x = unsqueeze(ctx, x, {0});
  if (padding[0] > 0 || padding[1] > 0)
    x = ctx.op("Pad", {x, ctx.const_i64({0, 0, padding[0], padding[1], 0, 0, padding[0], padding[1]})});
  const std::string axes = ctx.const_i64({2, 3}), steps = ctx.const_i64(stride);
  auto end_from_back = [](int64_t rest) { return rest == 0 ? std::numeric_limits<int64_t>::max() : -rest; };
  std::vector<std::string> columns;
  for (int64_t i = 0; i < kernel[0]; ++i)
    for (int64_t j = 0; j < kernel[1]; ++j) {
      const int64_t top = i * dilation[0], left = j * dilation[1];
      const std::string ends = ctx.const_i64({end_from_back(dilation[0] * (kernel[0] - 1) - top),
                                              end_from_back(dilation[1] * (kernel[1] - 1) - left)});
      columns.push_back(unsqueeze(ctx, ctx.op("Slice", {x, ctx.const_i64({top, left}), ends, axes, steps}), {2}));
    }
  const std::string stacked = columns.size() == 1 ? columns[0] : ctx.op("Concat", columns, {{"axis", int64_t{2}}});
  std::string out = ctx.op("Reshape", {stacked, ctx.const_i64({0, *channels * kernel[0] * kernel[1], -1})});
  if (rank == 3) out = squeeze(ctx, out, {0});
  set_result(ctx, out);
}

}  // namespace

void register_rearrange(Registrar& r) {
  add(r, "aten::roll", translate_roll, kMinOpset, kOpenEnded, "Slice + Concat per rolled dim");
  add(r, "aten::pixel_unshuffle", translate_pixel_unshuffle, kMinOpset, kOpenEnded, "Reshape, Transpose, Reshape");
  add(r, "aten::channel_shuffle", translate_channel_shuffle, kMinOpset, kOpenEnded, "Reshape, Transpose, Reshape");
  add(r, "aten::im2col", translate_im2col, kMinOpset, kOpenEnded, "Pad, a strided Slice per kernel offset, Concat, Reshape");
}

}  // namespace onnxport::aten
