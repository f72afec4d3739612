// Recurrent (aten::lstm, gru, rnn_tanh, rnn_relu, and their packed-sequence
// form onnxport::padded_*) and fused attention
// (aten::_native_multi_head_attention, aten::_transformer_encoder_layer_fwd)
// translators against the op library's reference kernels.
#include "harness.hpp"

#include <algorithm>

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;

// Weights of an nn.LSTM/GRU/RNN in TorchScript's flat order: per layer, per
// direction w_ih, w_hh[, b_ih, b_hh].
Arg recurrent_params(GraphBuilder& b, int64_t gates, int64_t input, int64_t hidden, int64_t layers,
                     int64_t directions, bool biases) {
  std::vector<Arg> params;
  for (int64_t layer = 0; layer < layers; ++layer) {
    const int64_t in = layer == 0 ? input : hidden * directions;
    for (int64_t d = 0; d < directions; ++d) {
      params.push_back(V(b.param(uniform({gates * hidden, in}, -0.5, 0.5))));
      params.push_back(V(b.param(uniform({gates * hidden, hidden}, -0.5, 0.5))));
      if (biases) {
        params.push_back(V(b.param(uniform({gates * hidden}, -0.5, 0.5))));
        params.push_back(V(b.param(uniform({gates * hidden}, -0.5, 0.5))));
      }
    }
  }
  return L(std::move(params));
}

// (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
std::vector<Arg> recurrent_args(Arg x, Arg hx, Arg params, bool biases, int64_t layers, bool bidirectional,
                                bool batch_first) {
  return {std::move(x), std::move(hx), std::move(params), C(biases), C(layers), C(0.0), C(false), C(bidirectional),
          C(batch_first)};
}

const CheckOptions kRecurrent{.opsets = {13, 18}, .atol = 1e-5};

// One step (nn.RNNCell, LSTMCell, GRUCell): *_cell(input, hx, w_ih, w_hh, b_ih?, b_hh?).
TEST_F(T, RecurrentCellsWithAndWithoutBiases) {
  for (auto [op, gates] : {std::pair{"aten::rnn_tanh_cell", 1}, std::pair{"aten::rnn_relu_cell", 1},
                           std::pair{"aten::gru_cell", 3}, std::pair{"aten::lstm_cell", 4}}) {
    for (bool biases : {true, false}) {
      SCOPED_TRACE(std::string(op) + (biases ? " with biases" : " without biases"));
      GraphBuilder b;
      ValueId x = b.input(randn({3, 4}));
      Arg hx = std::string(op) == "aten::lstm_cell" ? L({V(b.input(randn({3, 5}))), V(b.input(randn({3, 5})))})
                                                    : V(b.input(randn({3, 5})));
      std::vector<Arg> args{V(x), hx, V(b.param(uniform({gates * 5, 4}, -0.5, 0.5))),
                            V(b.param(uniform({gates * 5, 5}, -0.5, 0.5)))};
      if (biases) {
        args.push_back(V(b.param(uniform({gates * 5}, -0.5, 0.5))));
        args.push_back(V(b.param(uniform({gates * 5}, -0.5, 0.5))));
      }
      check_op(b, op, args, kRecurrent);
    }
  }
}

TEST_F(T, LstmTwoLayersBidirectionalWithInitialState) {
  GraphBuilder b;
  ValueId x = b.input(randn({5, 2, 4}));
  ValueId h0 = b.input(randn({4, 2, 3}));
  ValueId c0 = b.input(randn({4, 2, 3}));
  auto model = check_op(b, "aten::lstm",
                        recurrent_args(V(x), L({V(h0), V(c0)}), recurrent_params(b, 4, 4, 3, 2, 2, true), true, 2,
                                       true, false),
                        kRecurrent);
  const std::vector<std::string> ops = op_types(model);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "LSTM"), 2);
}

TEST_F(T, LstmBatchFirstWithoutBiases) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 6, 3}));
  ValueId h0 = b.input(randn({1, 2, 5}));
  ValueId c0 = b.input(randn({1, 2, 5}));
  check_op(b, "aten::lstm",
           recurrent_args(V(x), L({V(h0), V(c0)}), recurrent_params(b, 4, 3, 5, 1, 1, false), false, 1, false, true),
           kRecurrent);
}

TEST_F(T, GruTwoLayersBidirectionalBatchFirst) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 7, 4}));
  ValueId h0 = b.input(randn({4, 3, 5}));
  check_op(b, "aten::gru",
           recurrent_args(V(x), V(h0), recurrent_params(b, 3, 4, 5, 2, 2, true), true, 2, true, true), kRecurrent);
}

TEST_F(T, GruSequenceFirst) {
  GraphBuilder b;
  ValueId x = b.input(randn({7, 2, 4}));
  ValueId h0 = b.input(randn({1, 2, 6}));
  check_op(b, "aten::gru", recurrent_args(V(x), V(h0), recurrent_params(b, 3, 4, 6, 1, 1, true), true, 1, false, false),
           kRecurrent);
}

TEST_F(T, ElmanRnnTanhAndRelu) {
  for (const char* op : {"aten::rnn_tanh", "aten::rnn_relu"}) {
    SCOPED_TRACE(op);
    GraphBuilder b;
    ValueId x = b.input(randn({4, 2, 3}));
    ValueId h0 = b.input(randn({4, 2, 5}));
    check_op(b, op, recurrent_args(V(x), V(h0), recurrent_params(b, 1, 3, 5, 2, 2, true), true, 2, true, false),
             kRecurrent);
  }
}

// onnxport::padded_* (a packed sequence, docs/sequence-models.md "Packed
// sequences"): the .input call plus per-sequence lengths, which become every
// layer's sequence_lens. Lengths unsorted and shorter than the input, so the
// masked steps and the reverse direction's start differ from a plain run.
std::vector<Arg> padded_args(Arg x, Arg lengths, Arg hx, Arg params, bool biases, int64_t layers, bool bidirectional,
                             bool batch_first) {
  std::vector<Arg> args = recurrent_args(std::move(x), std::move(hx), std::move(params), biases, layers,
                                         bidirectional, batch_first);
  args.insert(args.begin() + 1, std::move(lengths));
  return args;
}

TEST_F(T, PaddedLstmTwoLayersBidirectionalGetsSequenceLens) {
  GraphBuilder b;
  ValueId x = b.input(randn({5, 3, 4}));
  ValueId lengths = b.input(values(DType::Int64, {3}, {3, 5, 1}));
  ValueId h0 = b.input(randn({4, 3, 3}));
  ValueId c0 = b.input(randn({4, 3, 3}));
  auto model = check_op(b, "onnxport::padded_lstm",
                        padded_args(V(x), V(lengths), L({V(h0), V(c0)}), recurrent_params(b, 4, 4, 3, 2, 2, true),
                                    true, 2, true, false),
                        kRecurrent);
  const std::vector<std::string> ops = op_types(model);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "LSTM"), 2);
}

TEST_F(T, PaddedGruBatchFirstAndPaddedRnns) {
  {
    GraphBuilder b;
    ValueId x = b.input(randn({3, 6, 4}));
    ValueId lengths = b.input(values(DType::Int64, {3}, {6, 2, 4}));
    ValueId h0 = b.input(randn({2, 3, 5}));
    check_op(b, "onnxport::padded_gru",
             padded_args(V(x), V(lengths), V(h0), recurrent_params(b, 3, 4, 5, 1, 2, true), true, 1, true, true),
             kRecurrent);
  }
  for (const char* op : {"onnxport::padded_rnn_tanh", "onnxport::padded_rnn_relu"}) {
    SCOPED_TRACE(op);
    GraphBuilder b;
    ValueId x = b.input(randn({4, 2, 3}));
    ValueId lengths = b.input(values(DType::Int64, {2}, {2, 4}));
    ValueId h0 = b.input(randn({2, 2, 5}));
    check_op(b, op, padded_args(V(x), V(lengths), V(h0), recurrent_params(b, 1, 3, 5, 1, 2, false), false, 1, true, false),
             kRecurrent);
  }
}

TEST_F(T, RecurrentTrainingDropoutIsAClearError) {
  GraphBuilder b;
  ValueId x = b.input(randn({4, 2, 3}));
  ValueId h0 = b.input(randn({2, 2, 5}));
  std::vector<Arg> args =
      recurrent_args(V(x), V(h0), recurrent_params(b, 3, 3, 5, 2, 1, true), true, 2, false, false);
  args[5] = C(0.5);
  args[6] = C(true);
  b.output(b.node_typed("aten::gru", args, {{DType::Float32, Shape{4, 2, 5}}, {DType::Float32, Shape{2, 2, 5}}})[0]);
  expect_translate_error(b, 17, "dropout");
}

// ---- attention ------------------------------------------------------------------

struct AttentionParams {
  Arg qkv_w, qkv_b, proj_w, proj_b;
};

AttentionParams attention_params(GraphBuilder& b, int64_t e) {
  return {V(b.param(uniform({3 * e, e}, -0.4, 0.4))), V(b.param(uniform({3 * e}, -0.2, 0.2))),
          V(b.param(uniform({e, e}, -0.4, 0.4))), V(b.param(uniform({e}, -0.2, 0.2)))};
}

// (query, key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight,
//  proj_bias, mask, need_weights, average_attn_weights, mask_type)
std::vector<Arg> mha_args(GraphBuilder& b, ValueId q, ValueId k, ValueId v, int64_t e, int64_t heads, Arg mask,
                          bool need_weights, bool average, Arg mask_type) {
  AttentionParams p = attention_params(b, e);
  return {V(q), V(k), V(v), C(e), C(heads), p.qkv_w, p.qkv_b, p.proj_w, p.proj_b, std::move(mask), C(need_weights),
          C(average), std::move(mask_type)};
}

const CheckOptions kAttention{.opsets = {13, 18}, .atol = 1e-5};

TEST_F(T, NativeMultiHeadSelfAttentionAveragedWeights) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 5, 8}));
  check_op(b, "aten::_native_multi_head_attention", mha_args(b, x, x, x, 8, 2, None(), true, true, None()),
           kAttention);
}

TEST_F(T, NativeMultiHeadDistinctInputsKeyPaddingPerHeadWeights) {
  GraphBuilder b;
  ValueId q = b.input(randn({2, 6, 8}));
  ValueId k = b.input(randn({2, 6, 8}));
  ValueId v = b.input(randn({2, 6, 8}));
  ValueId mask = b.input(values(DType::Bool, {2, 6}, {0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0}));
  check_op(b, "aten::_native_multi_head_attention", mha_args(b, q, k, v, 8, 4, V(mask), true, false, C(1)),
           kAttention);
}

TEST_F(T, NativeMultiHeadAttentionWithoutWeights) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({3, 4, 6}), {"batch", "seq"});
  check_op(b, "aten::_native_multi_head_attention", mha_args(b, x, x, x, 6, 2, None(), false, true, None()),
           kAttention);
}

TEST_F(T, NativeMultiHeadAttentionRefusesAnAttnMask) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 5, 8}));
  ValueId mask = b.input(randbool({5, 5}));
  std::vector<Arg> args = mha_args(b, x, x, x, 8, 2, V(mask), true, true, C(0));
  b.output(b.node_typed("aten::_native_multi_head_attention", args,
                        {{DType::Float32, Shape{2, 5, 8}}, {DType::Float32, Shape{2, 5, 5}}})[0]);
  expect_translate_error(b, 17, "key padding mask");
}

// (src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu,
//  norm_first, eps, norm_weight_1, norm_bias_1, norm_weight_2, norm_bias_2,
//  ffn_weight_1, ffn_bias_1, ffn_weight_2, ffn_bias_2, mask, mask_type)
std::vector<Arg> encoder_layer_args(GraphBuilder& b, ValueId src, int64_t e, int64_t heads, int64_t ffn, bool gelu,
                                    bool norm_first, Arg mask, Arg mask_type) {
  AttentionParams p = attention_params(b, e);
  return {V(src),
          C(e),
          C(heads),
          p.qkv_w,
          p.qkv_b,
          p.proj_w,
          p.proj_b,
          C(gelu),
          C(norm_first),
          C(1e-5),
          V(b.param(uniform({e}, 0.5, 1.5))),
          V(b.param(uniform({e}, -0.2, 0.2))),
          V(b.param(uniform({e}, 0.5, 1.5))),
          V(b.param(uniform({e}, -0.2, 0.2))),
          V(b.param(uniform({ffn, e}, -0.4, 0.4))),
          V(b.param(uniform({ffn}, -0.2, 0.2))),
          V(b.param(uniform({e, ffn}, -0.4, 0.4))),
          V(b.param(uniform({e}, -0.2, 0.2))),
          std::move(mask),
          std::move(mask_type)};
}

TEST_F(T, TransformerEncoderLayerPostNormRelu) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 5, 8}));
  check_op(b, "aten::_transformer_encoder_layer_fwd", encoder_layer_args(b, x, 8, 2, 16, false, false, None(), None()),
           {.opsets = {13, 16, 17, 18},
            .atol = 1e-4,
            .expect_ops = {{17, {"LayerNormalization"}}},
            .forbid_ops = {{16, {"LayerNormalization"}}}});
}

TEST_F(T, TransformerEncoderLayerPreNormGeluKeyPadding) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 4, 8}));
  ValueId mask = b.input(values(DType::Bool, {2, 4}, {0, 0, 1, 1, 0, 0, 0, 1}));
  check_op(b, "aten::_transformer_encoder_layer_fwd", encoder_layer_args(b, x, 8, 4, 12, true, true, V(mask), C(1)),
           {.opsets = {13, 18}, .atol = 1e-4});
}

}  // namespace
}  // namespace onnxport::translator_tests
