// Fused attention ops of the PyTorch 1.13 inference fast paths (see
// core/src/ops/attention.cpp for their schemas and when modules call them):
// aten::_native_multi_head_attention and aten::_transformer_encoder_layer_fwd
// become plain ONNX: MatMul projections, a scaled-dot-product attention with
// Softmax, LayerNormalization (opset 17+, decomposed before) and the MLP.
//
// Everything is batch-first: query [B, T, E], key/value [B, S, E]. Heads are
// split with Reshape [0, 0, H, E/H] (0 copies a dim, so B, T and S may be
// symbolic) and Transpose to [B, H, T, E/H].
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <cmath>
#include <numbers>

namespace onnxport::aten {
namespace {

constexpr int64_t kKeyPaddingMask = 1;

// x [.., in] @ w[rows_begin:rows_end, :]^T + b[rows_begin:rows_end].
// Slices and transposes of parameters are folded into initializers.
std::string projection(TranslateContext& ctx, const std::string& x, const std::string& w, const std::string& b,
                       int64_t rows_begin, int64_t rows_end, bool whole) {
  std::string wr = w, br = b;
  if (!whole) {
    wr = ctx.op("Slice", {w, ctx.const_i64({rows_begin}), ctx.const_i64({rows_end}), ctx.const_i64({0})});
    br = ctx.op("Slice", {b, ctx.const_i64({rows_begin}), ctx.const_i64({rows_end}), ctx.const_i64({0})});
  }
  std::string wt = ctx.op("Transpose", {wr}, {{"perm", std::vector<int64_t>{1, 0}}});
  return ctx.op("Add", {ctx.op("MatMul", {x, wt}), br});
}

std::string linear(TranslateContext& ctx, const std::string& x, const std::string& w, const std::string& b) {
  return projection(ctx, x, w, b, 0, 0, true);
}

struct AttentionArgs {
  DType dtype;
  int64_t embed = 0, heads = 0;
  std::string qkv_w, qkv_b, proj_w, proj_b;
  std::string key_padding;  // bool [B, S], true = ignore; "" without a mask
};

// embed_dim, the head count (`heads`: num_head or num_heads), the four
// projection tensors (qkv_weight, qkv_bias, proj_weight, proj_bias) and the
// mask arguments; `input` is the first input (query or src).
AttentionArgs attention_args(TranslateContext& ctx, const NodeArgs& args, std::string_view input,
                             std::string_view heads) {
  AttentionArgs a;
  a.dtype = arg_dtype(ctx, args, input);
  if (!is_floating(a.dtype)) fail(ctx, "attention needs a floating-point input");
  if (rank_of(ctx, args, input) != 3) fail(ctx, "input must be 3-D [batch, seq, embed]");
  a.embed = args.i64("embed_dim");
  a.heads = args.i64(heads);
  if (a.heads <= 0 || a.embed % a.heads != 0) fail(ctx, "embed_dim must be a multiple of num_heads");
  a.qkv_w = input_as(ctx, args, "qkv_weight", a.dtype);
  a.qkv_b = input_as(ctx, args, "qkv_bias", a.dtype);
  a.proj_w = input_as(ctx, args, "proj_weight", a.dtype);
  a.proj_b = input_as(ctx, args, "proj_bias", a.dtype);
  if (args.has("mask")) {
    if (args.optional_i64("mask_type") != kKeyPaddingMask || rank_of(ctx, args, "mask") != 2)
      fail(ctx, "only a 2-D key padding mask (mask_type 1) is supported",
           "nn.MultiheadAttention / nn.TransformerEncoderLayer only pass key padding masks on their fast paths");
    // torch reads a non-bool mask as "non-zero = ignore".
    a.key_padding = cast(ctx, args.input("mask"), arg_dtype(ctx, args, "mask"), DType::Bool);
  }
  return a;
}

// [B, L, E] -> [B, H, L, E/H]
std::string split_heads(TranslateContext& ctx, const AttentionArgs& a, const std::string& x) {
  std::string r = reshape(ctx, x, {0, 0, a.heads, a.embed / a.heads});
  return ctx.op("Transpose", {r}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
}

struct Attended {
  std::string out;    // [B, T, E]
  std::string probs;  // [B, H, T, S]
};

// Multi-head attention: projections, softmax(q k^T / sqrt(d)) v, output projection.
Attended attend(TranslateContext& ctx, const AttentionArgs& a, const std::string& query, const std::string& key,
                const std::string& value) {
  const int64_t e = a.embed;
  const bool self_attention = query == key && key == value;
  std::string q, k, v;
  if (self_attention) {
    // One [.., 3E] projection, split into q, k, v.
    std::string qkv = linear(ctx, query, a.qkv_w, a.qkv_b);
    auto part = [&](int64_t n) {
      return ctx.op("Slice", {qkv, ctx.const_i64({n * e}), ctx.const_i64({(n + 1) * e}), ctx.const_i64({-1})});
    };
    q = part(0), k = part(1), v = part(2);
  } else {
    q = projection(ctx, query, a.qkv_w, a.qkv_b, 0, e, false);
    k = projection(ctx, key, a.qkv_w, a.qkv_b, e, 2 * e, false);
    v = projection(ctx, value, a.qkv_w, a.qkv_b, 2 * e, 3 * e, false);
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(e / a.heads));
  std::string qh = ctx.op("Mul", {split_heads(ctx, a, q), ctx.const_scalar(scale, a.dtype)});
  std::string kt = ctx.op("Transpose", {reshape(ctx, k, {0, 0, a.heads, e / a.heads})},
                          {{"perm", std::vector<int64_t>{0, 2, 3, 1}}});  // [B, H, E/H, S]
  std::string scores = ctx.op("MatMul", {qh, kt});                      // [B, H, T, S]
  if (!a.key_padding.empty()) {
    std::string ignore = unsqueeze(ctx, a.key_padding, {1, 2});  // [B, 1, 1, S]
    scores = ctx.op("Where", {ignore, ctx.const_scalar(-INFINITY, a.dtype), scores});
  }
  Attended r;
  r.probs = ctx.op("Softmax", {scores}, {{"axis", int64_t{-1}}});
  std::string context = ctx.op("MatMul", {r.probs, split_heads(ctx, a, v)});  // [B, H, T, E/H]
  context = ctx.op("Transpose", {context}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  r.out = linear(ctx, reshape(ctx, context, {0, 0, e}), a.proj_w, a.proj_b);
  return r;
}

// _native_multi_head_attention(query, key, value, embed_dim, num_head, qkv_weight,
//     qkv_bias, proj_weight, proj_bias, mask=None, need_weights=True,
//     average_attn_weights=True, mask_type=None) -> (out, weights)
void translate_native_mha(TranslateContext& ctx) {
  const NodeArgs args(ctx);
  const AttentionArgs a = attention_args(ctx, args, "query", "num_head");
  for (const char* name : {"key", "value"})
    if (rank_of(ctx, args, name) != 3) fail(ctx, "key and value must be 3-D [batch, seq, embed]");
  // The same graph value for query, key and value gives the same ONNX name.
  const Attended r = attend(ctx, a, input_as(ctx, args, "query", a.dtype), input_as(ctx, args, "key", a.dtype),
                            input_as(ctx, args, "value", a.dtype));
  bind_output(ctx, 0, r.out);
  // Without need_weights the weights are undefined (None): the node has no
  // value for them.
  if (ctx.node().outputs.size() < 2) return;
  if (!args.boolean("need_weights")) fail(ctx, "the node has a weights output but need_weights is false");
  if (!args.boolean("average_attn_weights")) {
    bind_output(ctx, 1, r.probs);
    return;
  }
  // torch sums the heads' weights, then divides by the head count.
  std::string sum = reduce(ctx, "ReduceSum", r.probs, {1}, false, true);
  bind_output(ctx, 1, ctx.op("Div", {sum, ctx.const_scalar(static_cast<double>(a.heads), a.dtype)}));
}

// LayerNormalization over the last axis; opsets 13-16 spell it out.
std::string layer_norm(TranslateContext& ctx, DType d, const std::string& x, const std::string& w,
                       const std::string& b, double eps) {
  if (ctx.opset() >= 17)
    return ctx.op("LayerNormalization", {x, w, b}, {{"axis", int64_t{-1}}, {"epsilon", eps}});
  std::string centered = ctx.op("Sub", {x, reduce(ctx, "ReduceMean", x, {-1}, true, false)});
  std::string var = reduce(ctx, "ReduceMean", ctx.op("Mul", {centered, centered}), {-1}, true, false);
  std::string stddev = ctx.op("Sqrt", {ctx.op("Add", {var, ctx.const_scalar(eps, d)})});
  return ctx.op("Add", {ctx.op("Mul", {ctx.op("Div", {centered, stddev}), w}), b});
}

// Exact (erf) GELU: 0.5 * x * (1 + erf(x / sqrt(2))); ONNX Gelu only exists from opset 20.
std::string gelu(TranslateContext& ctx, DType d, const std::string& x) {
  std::string erf = ctx.op("Erf", {ctx.op("Mul", {x, ctx.const_scalar(1.0 / std::numbers::sqrt2, d)})});
  std::string one_plus = ctx.op("Add", {erf, ctx.const_scalar(1.0, d)});
  return ctx.op("Mul", {ctx.op("Mul", {x, one_plus}), ctx.const_scalar(0.5, d)});
}

// _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight, qkv_bias,
//     proj_weight, proj_bias, use_gelu, norm_first, eps, norm_weight_1, norm_bias_1,
//     norm_weight_2, norm_bias_2, ffn_weight_1, ffn_bias_1, ffn_weight_2, ffn_bias_2,
//     mask=None, mask_type=None) -> out
// norm_first: x + sa(ln1(x)), then + ff(ln2(.)); otherwise ln1(x + sa(x)), then ln2(. + ff(.)).
void translate_encoder_layer(TranslateContext& ctx) {
  const NodeArgs args(ctx);
  const AttentionArgs a = attention_args(ctx, args, "src", "num_heads");
  const DType d = a.dtype;
  const bool use_gelu = args.boolean("use_gelu");
  const bool norm_first = args.boolean("norm_first");
  const double eps = args.f64("eps");
  std::vector<std::string> p;  // norm1 w, b, norm2 w, b, ffn1 w, b, ffn2 w, b
  for (const char* name : {"norm_weight_1", "norm_bias_1", "norm_weight_2", "norm_bias_2", "ffn_weight_1",
                           "ffn_bias_1", "ffn_weight_2", "ffn_bias_2"})
    p.push_back(input_as(ctx, args, name, d));
  auto norm = [&](const std::string& x, int which) { return layer_norm(ctx, d, x, p[2 * which], p[2 * which + 1], eps); };
  auto self_attention = [&](const std::string& x) { return attend(ctx, a, x, x, x).out; };
  auto feed_forward = [&](const std::string& x) {
    std::string h = linear(ctx, x, p[4], p[5]);
    h = use_gelu ? gelu(ctx, d, h) : ctx.op("Relu", {h});
    return linear(ctx, h, p[6], p[7]);
  };
  std::string x = input_as(ctx, args, "src", d);
  if (norm_first) {
    x = ctx.op("Add", {x, self_attention(norm(x, 0))});
    x = ctx.op("Add", {x, feed_forward(norm(x, 1))});
  } else {
    x = norm(ctx.op("Add", {x, self_attention(x)}), 0);
    x = norm(ctx.op("Add", {x, feed_forward(x)}), 1);
  }
  set_result(ctx, x);
}

}  // namespace

void register_attention(Registrar& r) {
  add(r, "aten::_native_multi_head_attention", translate_native_mha, kMinOpset, kOpenEnded,
      "MatMul projections, Softmax attention");
  add(r, "aten::_transformer_encoder_layer_fwd", translate_encoder_layer, kMinOpset, kOpenEnded,
      "attention + LayerNormalization (decomposed before 17) + MLP");
}

}  // namespace onnxport::aten
