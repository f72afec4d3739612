// Fused attention ops: the inference fast paths of nn.MultiheadAttention and
// nn.TransformerEncoderLayer (PyTorch 1.13). TorchScript calls them when the
// module is in eval mode, grad is disabled, batch_first is set, no attn_mask /
// src_mask is given and num_heads is even; the tracing engine answers the
// environment queries as eager PyTorch under no_grad (docs/strategies.md), so
// captures of such modules contain these ops.
//
//   _native_multi_head_attention(query, key, value, int embed_dim, int num_head,
//       qkv_weight [3E, E], qkv_bias [3E], proj_weight [E, E], proj_bias [E],
//       Tensor? mask, bool need_weights, bool average_attn_weights, int? mask_type)
//     -> (out [B, T, E], weights [B, T, S] averaged, [B, H, T, S] per head,
//         or undefined when need_weights is false: Python sees None)
//   _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight, qkv_bias,
//       proj_weight, proj_bias, bool use_gelu, bool norm_first, float eps,
//       norm_weight_1, norm_bias_1, norm_weight_2, norm_bias_2,
//       ffn_weight_1, ffn_bias_1, ffn_weight_2, ffn_bias_2, Tensor? mask, int? mask_type)
//     -> out [B, T, E]
//
// Inputs are batch-first. The only mask the modules pass on these paths is a
// key padding mask [B, S] (mask_type 1; True or non-zero = ignore that key),
// since an attn_mask / src_mask makes them take the slow path.
#include "gemm.hpp"
#include "op_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxport::ops {
namespace {

constexpr int64_t kKeyPaddingMask = 1;

// ---------------------------------------------------------------- metas

struct AttentionShape {
  Dim batch, target, source;
  int64_t embed = 0, heads = 0;
};

// Checks query/key/value [B, T, E], [B, S, E] against embed_dim and num_heads.
AttentionShape attention_shape(const TensorMeta& q, const TensorMeta& k, const TensorMeta& v, int64_t embed,
                               int64_t heads) {
  for (const TensorMeta* m : {&q, &k, &v})
    if (m->shape.size() != 3) fail("query, key and value must be 3-D [batch, seq, embed], got " + shape_str(m->shape));
  if (heads <= 0 || embed <= 0 || embed % heads != 0)
    fail("embed_dim " + std::to_string(embed) + " is not a positive multiple of num_heads " + std::to_string(heads));
  for (const TensorMeta* m : {&q, &k, &v})
    if (m->shape[2].is_static() && m->shape[2].value() != embed)
      fail("feature size of " + shape_str(m->shape) + " is not embed_dim " + std::to_string(embed));
  // torch's kernel requires it too (only self-attention reaches the fast path).
  if (q.shape != k.shape || k.shape != v.shape)
    fail("query, key and value must have the same shape, got " + shape_str(q.shape) + ", " + shape_str(k.shape) +
         " and " + shape_str(v.shape));
  if (!is_floating(q.dtype)) fail_dtype(q.dtype, "attention");
  return AttentionShape{q.shape[0], q.shape[1], k.shape[1], embed, heads};
}

// Both ops' `Tensor? mask=None, ..., int? mask_type=None`.
void check_mask_type(const OpArgs& args) {
  const OpArg* mask = args.optional_tensor("mask");
  if (mask == nullptr) return;
  if (args.optional_i64("mask_type").value_or(-1) != kKeyPaddingMask)
    fail("only a key padding mask (mask_type 1) is supported, as nn.MultiheadAttention and "
         "nn.TransformerEncoderLayer pass on their fast paths");
  if (mask->meta.shape.size() != 2) fail("the key padding mask must be 2-D [batch, source]");
}

// _native_multi_head_attention(Tensor query, Tensor key, Tensor value, int embed_dim, int num_head,
//   Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, Tensor? mask=None,
//   bool need_weights=True, bool average_attn_weights=True, int? mask_type=None) -> (Tensor, Tensor)
std::vector<TensorMeta> mha_meta(const OpArgs& args) {
  const TensorMeta& q = args.tensor("query");
  const AttentionShape s =
      attention_shape(q, args.tensor("key"), args.tensor("value"), args.i64("embed_dim"), args.i64("num_head"));
  check_mask_type(args);
  if (!args.boolean("need_weights")) return {TensorMeta{q.dtype, q.shape}, TensorMeta{DType::Undefined, {}}};
  const Shape weights = args.boolean("average_attn_weights") ? Shape{s.batch, s.target, s.source}
                                                : Shape{s.batch, Dim(s.heads), s.target, s.source};
  return {TensorMeta{q.dtype, q.shape}, TensorMeta{q.dtype, weights}};
}

// _transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight,
//   Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps,
//   Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2,
//   Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2,
//   Tensor? mask=None, int? mask_type=None) -> Tensor
std::vector<TensorMeta> encoder_layer_meta(const OpArgs& args) {
  const TensorMeta& src = args.tensor("src");
  attention_shape(src, src, src, args.i64("embed_dim"), args.i64("num_heads"));
  check_mask_type(args);
  return {TensorMeta{src.dtype, src.shape}};
}

// ---------------------------------------------------------------- kernels

// y[rows, out] = x[rows, in] * w[out, in]^T + b[out].
template <class T>
std::vector<T> linear_rows(const T* x, int64_t rows, int64_t in, const T* w, const T* b, int64_t out) {
  std::vector<T> y(static_cast<size_t>(rows * out), T(0));
  gemm_accumulate<T>(rows, out, in, {x, in, 1}, {w, 1, in}, y.data());
  if (b)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < out; ++j) y[static_cast<size_t>(r * out + j)] += b[j];
  return y;
}

// Normalizes each row of x[rows, E] in place (biased variance, as torch).
template <class T>
void layer_norm_rows(std::vector<T>& x, int64_t rows, int64_t embed, const T* gamma, const T* beta, double eps) {
  for (int64_t r = 0; r < rows; ++r) {
    T* row = x.data() + r * embed;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < embed; ++j) mean += row[j];
    mean /= static_cast<double>(embed);
    for (int64_t j = 0; j < embed; ++j) var += (row[j] - mean) * (row[j] - mean);
    const double inv = 1.0 / std::sqrt(var / static_cast<double>(embed) + eps);
    for (int64_t j = 0; j < embed; ++j) row[j] = static_cast<T>((row[j] - mean) * inv) * gamma[j] + beta[j];
  }
}

template <class T>
struct AttentionWeights {
  const T *qkv_w, *qkv_b, *proj_w, *proj_b;
};

template <class T>
struct AttentionResult {
  std::vector<T> out;    // [B, T, E]
  std::vector<T> probs;  // [B, H, T, S]
};

// Multi-head attention over batch-first rows. `ignore_key(b, s)` says whether
// key s of batch item b is masked out.
template <class T, class Mask>
AttentionResult<T> attend(const T* query, const T* key, const T* value, int64_t batch, int64_t target, int64_t source,
                          int64_t embed, int64_t heads, const AttentionWeights<T>& w, Mask ignore_key) {
  const int64_t head_dim = embed / heads;
  const std::vector<T> q = linear_rows<T>(query, batch * target, embed, w.qkv_w, w.qkv_b, embed);
  const std::vector<T> k = linear_rows<T>(key, batch * source, embed, w.qkv_w + embed * embed, w.qkv_b + embed, embed);
  const std::vector<T> v =
      linear_rows<T>(value, batch * source, embed, w.qkv_w + 2 * embed * embed, w.qkv_b + 2 * embed, embed);
  const T scale = T(1) / std::sqrt(static_cast<T>(head_dim));
  AttentionResult<T> r;
  r.probs.assign(static_cast<size_t>(batch * heads * target * source), T(0));
  std::vector<T> context(static_cast<size_t>(batch * target * embed), T(0));
  std::vector<T> head_context(static_cast<size_t>(target * head_dim));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      // scores[T, S] = (q_bh * scale) k_bh^T, rows of q/k strided by embed.
      T* p = r.probs.data() + (b * heads + h) * target * source;
      const T* qh = q.data() + b * target * embed + h * head_dim;
      const T* kh = k.data() + b * source * embed + h * head_dim;
      const T* vh = v.data() + b * source * embed + h * head_dim;
      gemm_accumulate<T>(target, source, head_dim, {qh, embed, 1}, {kh, 1, embed}, p);
      for (int64_t t = 0; t < target; ++t) {
        T* row = p + t * source;
        T top = -std::numeric_limits<T>::infinity();
        for (int64_t s = 0; s < source; ++s) {
          row[s] = ignore_key(b, s) ? -std::numeric_limits<T>::infinity() : row[s] * scale;
          top = std::max(top, row[s]);
        }
        if (std::isinf(top)) {
          // Every key of this row is masked: PyTorch 1.13's softmax gives
          // NaN (0 / 0), and so does ONNX Softmax; the row stays NaN.
          std::fill(row, row + source, std::numeric_limits<T>::quiet_NaN());
          continue;
        }
        T sum = 0;
        for (int64_t s = 0; s < source; ++s) {
          row[s] = std::exp(row[s] - top);
          sum += row[s];
        }
        for (int64_t s = 0; s < source; ++s) row[s] /= sum;
      }
      // gemm_accumulate writes a contiguous [T, Dh] block; the head's slice
      // of context has row stride embed, so go through a scratch block.
      std::fill(head_context.begin(), head_context.end(), T(0));
      gemm_accumulate<T>(target, head_dim, source, {p, source, 1}, {vh, embed, 1}, head_context.data());
      for (int64_t t = 0; t < target; ++t)
        std::copy_n(head_context.data() + t * head_dim, head_dim,
                    context.data() + (b * target + t) * embed + h * head_dim);
    }
  }
  r.out = linear_rows<T>(context.data(), batch * target, embed, w.proj_w, w.proj_b, embed);
  return r;
}

// A key padding mask [B, S] as a predicate (None -> nothing ignored).
struct KeyPadding {
  std::vector<uint8_t> ignored;  // empty: no mask
  int64_t source = 0;
  bool operator()(int64_t b, int64_t s) const {
    return !ignored.empty() && ignored[static_cast<size_t>(b * source + s)] != 0;
  }
};

KeyPadding key_padding(const OpArgs& args, int64_t batch, int64_t source) {
  KeyPadding m;
  if (!args.has("mask")) return m;
  const Tensor mask = converted(args.data("mask"), DType::Float64);
  if (mask.shape() != std::vector<int64_t>{batch, source})
    fail("key padding mask of shape " + sizes_str(mask.shape()) + " does not match [" + std::to_string(batch) + ", " +
         std::to_string(source) + "]");
  m.source = source;
  m.ignored.resize(static_cast<size_t>(batch * source));
  const double* d = mask.data<double>();
  for (size_t k = 0; k < m.ignored.size(); ++k) m.ignored[k] = d[k] != 0;  // torch converts non-bool masks so
  return m;
}

template <class T>
AttentionWeights<T> attention_weights(const std::vector<Tensor>& w) {
  return {w[0].data<T>(), w[1].data<T>(), w[2].data<T>(), w[3].data<T>()};
}

// The named tensor arguments, converted to `calc`.
std::vector<Tensor> floats_named(const OpArgs& args, std::initializer_list<std::string_view> names, DType calc) {
  std::vector<Tensor> out;
  for (std::string_view name : names) out.push_back(converted(args.data(name), calc));
  return out;
}

// The in/out projections, in attention_weights' order.
std::vector<Tensor> projections(const OpArgs& args, DType calc) {
  return floats_named(args, {"qkv_weight", "qkv_bias", "proj_weight", "proj_bias"}, calc);
}

std::vector<Tensor> mha_kernel(const OpArgs& args) {
  mha_meta(args);  // validates the arguments
  const DType dtype = args.tensor("query").dtype, calc = compute_dtype(dtype);
  const std::vector<Tensor> qkv = floats_named(args, {"query", "key", "value"}, calc);
  const std::vector<Tensor> params = projections(args, calc);
  const int64_t batch = qkv[0].shape()[0], target = qkv[0].shape()[1], source = qkv[1].shape()[1];
  const int64_t embed = args.i64("embed_dim"), heads = args.i64("num_head");
  if (qkv[2].shape()[1] != source) fail("key and value must have the same sequence length");
  const KeyPadding mask = key_padding(args, batch, source);
  const bool need_weights = args.boolean("need_weights"), average = args.boolean("average_attn_weights");
  std::vector<Tensor> result;
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    AttentionResult<T> r = attend<T>(qkv[0].data<T>(), qkv[1].data<T>(), qkv[2].data<T>(), batch, target, source,
                                     embed, heads, attention_weights<T>(params), mask);
    result.push_back(finish(Tensor::from_vector(calc, {batch, target, embed}, r.out), dtype));
    if (!need_weights) {
      result.emplace_back();  // undefined, as the meta says
      return;
    }
    Tensor probs = Tensor::from_vector(calc, {batch, heads, target, source}, r.probs);
    if (average) {
      // torch sums over heads, then divides by the head count.
      std::vector<T> mean(static_cast<size_t>(batch * target * source), T(0));
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t k = 0; k < target * source; ++k)
            mean[static_cast<size_t>(b * target * source + k)] += r.probs[static_cast<size_t>((b * heads + h) * target * source + k)];
      for (T& m : mean) m /= static_cast<T>(heads);
      probs = Tensor::from_vector(calc, {batch, target, source}, mean);
    }
    result.push_back(finish(probs, dtype));
  });
  return result;
}

std::vector<Tensor> encoder_layer_kernel(const OpArgs& args) {
  encoder_layer_meta(args);
  const DType dtype = args.tensor("src").dtype, calc = compute_dtype(dtype);
  const Tensor src = converted(args.data("src"), calc);
  const int64_t batch = src.shape()[0], seq = src.shape()[1];
  const int64_t embed = args.i64("embed_dim"), heads = args.i64("num_heads");
  const std::vector<Tensor> attn = projections(args, calc);
  const bool use_gelu = args.boolean("use_gelu"), norm_first = args.boolean("norm_first");
  const double eps = args.f64("eps");
  const std::vector<Tensor> rest =  // norm1 w,b, norm2 w,b, ffn1 w,b, ffn2 w,b
      floats_named(args,
                   {"norm_weight_1", "norm_bias_1", "norm_weight_2", "norm_bias_2", "ffn_weight_1", "ffn_bias_1",
                    "ffn_weight_2", "ffn_bias_2"},
                   calc);
  const int64_t ffn = rest[4].shape()[0], rows = batch * seq;
  const KeyPadding mask = key_padding(args, batch, seq);
  Tensor out;
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto self_attention = [&](const std::vector<T>& x) {
      return attend<T>(x.data(), x.data(), x.data(), batch, seq, seq, embed, heads, attention_weights<T>(attn), mask).out;
    };
    auto feed_forward = [&](const std::vector<T>& x) {
      std::vector<T> h = linear_rows<T>(x.data(), rows, embed, rest[4].data<T>(), rest[5].data<T>(), ffn);
      for (T& v : h)
        v = use_gelu ? static_cast<T>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)))) : std::max(v, T(0));
      return linear_rows<T>(h.data(), rows, ffn, rest[6].data<T>(), rest[7].data<T>(), embed);
    };
    auto norm = [&](std::vector<T> x, int which) {
      layer_norm_rows<T>(x, rows, embed, rest[2 * which].data<T>(), rest[2 * which + 1].data<T>(), eps);
      return x;
    };
    auto add = [](std::vector<T> a, const std::vector<T>& b) {
      for (size_t k = 0; k < a.size(); ++k) a[k] += b[k];
      return a;
    };
    std::vector<T> x(src.data<T>(), src.data<T>() + rows * embed);
    if (norm_first) {
      x = add(x, self_attention(norm(x, 0)));
      x = add(x, feed_forward(norm(x, 1)));
    } else {
      x = norm(add(x, self_attention(x)), 0);
      x = norm(add(x, feed_forward(x)), 1);
    }
    out = Tensor::from_vector(calc, {batch, seq, embed}, x);
  });
  return {finish(out, dtype)};
}

}  // namespace

void register_attention_ops(OpLibrary& lib) {
  define_by_schema(lib, "aten::_native_multi_head_attention", "attention", mha_meta, mha_kernel);
  define_by_schema(lib, "aten::_transformer_encoder_layer_fwd", "attention", encoder_layer_meta, encoder_layer_kernel);
}

}  // namespace onnxport::ops
