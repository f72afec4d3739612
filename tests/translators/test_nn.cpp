// Pooling, normalization, embedding, padding and resizing translators.
#include "harness.hpp"

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;

TEST_F(T, MaxPool2d) {
  GraphBuilder b;
  check_op(b, "aten::max_pool2d", {V(b.input(randn({1, 2, 7, 7}))), C({3, 3}), C({2, 2}), C({1, 1}), C({1, 1}),
                                   C(false)});
}

TEST_F(T, MaxPool2dDefaultStrideCeilMode) {
  GraphBuilder b;
  check_op(b, "aten::max_pool2d", {V(b.input(randn({1, 1, 7, 7}))), C({2, 2}), C(std::vector<int64_t>{}), C({0, 0}),
                                   C({1, 1}), C(true)});
}

TEST_F(T, AvgPool2dExcludingPad) {
  GraphBuilder b;
  check_op(b, "aten::avg_pool2d", {V(b.input(randn({1, 2, 6, 6}))), C({3, 3}), C({2, 2}), C({1, 1}), C(false),
                                   C(false), None()});
}

TEST_F(T, AvgPool2dIncludingPad) {
  GraphBuilder b;
  check_op(b, "aten::avg_pool2d", {V(b.input(randn({1, 2, 6, 6}))), C({3, 3}), C({2, 2}), C({1, 1}), C(false),
                                   C(true), None()});
}

TEST_F(T, AdaptiveAvgPoolToOneIsGlobal) {
  GraphBuilder b;
  check_op(b, "aten::adaptive_avg_pool2d", {V(b.input(randn({2, 3, 5, 7}))), C({1, 1})},
           {.expect_ops = {{13, {"GlobalAveragePool"}}}});
}

TEST_F(T, AdaptiveAvgPoolDivisible) {
  GraphBuilder b;
  check_op(b, "aten::adaptive_avg_pool2d", {V(b.input(randn({1, 2, 6, 4}))), C({3, 2})});
}

// Uneven windows (7 -> 3: [0,3), [2,5), [4,7)): the uniform AveragePool
// translator refuses and the per-window one (layers.cpp) takes over.
TEST_F(T, AdaptiveAvgPoolNotDivisibleAveragesEachWindow) {
  GraphBuilder b;
  check_op(b, "aten::adaptive_avg_pool2d", {V(b.input(randn({1, 2, 7, 10}))), C({3, 4})}, {.atol = 1e-5});
}

TEST_F(T, AdaptiveAvgPoolNotDivisibleOneAndThreeDims) {
  GraphBuilder b;
  b.output(b.node1("aten::adaptive_avg_pool1d", {V(b.input(randn({2, 3, 10}))), C({4})}));
  b.output(b.node1("aten::adaptive_avg_pool3d", {V(b.input(randn({1, 2, 5, 4, 7}))), C({2, 3, 3})}));
  check_graph(b, {.atol = 1e-5});
}

TEST_F(T, AdaptiveAvgPoolWithTooManyUnevenWindowsIsAClearError) {
  GraphBuilder b;
  b.output(b.node1("aten::adaptive_avg_pool1d", {V(b.input(randn({1, 1, 1100}))), C({513})}));
  expect_translate_error(b, 17, "1..512 outputs per spatial dim");
}

TEST_F(T, BatchNormInference) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4, 4}));
  check_op(b, "aten::batch_norm",
           {V(x), V(b.param(randn({3}), "bn.weight")), V(b.param(randn({3}), "bn.bias")),
            V(b.param(randn({3}), "bn.running_mean")), V(b.param(uniform({3}, 0.5, 2), "bn.running_var")), C(false),
            C(0.1), C(1e-5), C(true)},
           {.atol = 1e-4});
}

TEST_F(T, BatchNormWithoutAffine) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 5}));
  check_op(b, "aten::batch_norm",
           {V(x), None(), None(), V(b.param(randn({3}), "rm")), V(b.param(uniform({3}, 0.5, 2), "rv")), C(false),
            C(0.1), C(1e-5), C(true)},
           {.atol = 1e-4});
}

// training=True normalizes by the batch's own statistics (as F.batch_norm
// in training mode, or BatchNorm with track_running_stats=False).
TEST_F(T, BatchNormTrainingUsesBatchStatistics) {
  GraphBuilder b;
  ValueId x = b.input(randn({4, 3, 5, 2}));
  check_op(b, "aten::batch_norm",
           {V(x), V(b.param(uniform({3}, 0.5, 2), "w")), V(b.param(randn({3}), "b")), V(b.param(randn({3}), "rm")),
            V(b.param(uniform({3}, 0.5, 2), "rv")), C(true), C(0.1), C(1e-5), C(true)},
           {.opsets = {13, 17, 18}, .atol = 1e-4, .forbid_ops = {{17, {"BatchNormalization"}}}});
}

TEST_F(T, BatchNormWithoutRunningStatistics) {
  GraphBuilder b;
  ValueId x = b.input(randn({5, 3}));
  check_op(b, "aten::batch_norm", {V(x), None(), None(), None(), None(), C(true), C(0.1), C(1e-3), C(true)},
           {.opsets = {13, 18}, .atol = 1e-4});
}

TEST_F(T, LayerNormDecomposedBefore17) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4}));
  check_op(b, "aten::layer_norm",
           {V(x), C({3, 4}), V(b.param(randn({3, 4}))), V(b.param(randn({3, 4}))), C(1e-5), C(true)},
           {.opsets = {13, 16, 17, 18},
            .atol = 1e-4,
            .expect_ops = {{17, {"LayerNormalization"}}},
            .forbid_ops = {{13, {"LayerNormalization"}}, {16, {"LayerNormalization"}}}});
}

TEST_F(T, LayerNormWithoutAffine) {
  GraphBuilder b;
  check_op(b, "aten::layer_norm", {V(b.input(randn({2, 5}))), C({5}), None(), None(), C(1e-5), C(true)},
           {.atol = 1e-4});
}

TEST_F(T, GroupNorm) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 6, 3, 3}));
  check_op(b, "aten::group_norm", {V(x), C(3), V(b.param(randn({6}))), V(b.param(randn({6}))), C(1e-5), C(true)},
           {.opsets = {13, 17, 18}, .atol = 1e-4});
}

TEST_F(T, GroupNormWithoutAffine) {
  GraphBuilder b;
  check_op(b, "aten::group_norm", {V(b.input(randn({2, 4, 5}))), C(2), None(), None(), C(1e-5), C(true)},
           {.atol = 1e-4});
}

TEST_F(T, InstanceNorm) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4, 4}));
  check_op(b, "aten::instance_norm",
           {V(x), V(b.param(randn({3}))), V(b.param(randn({3}))), None(), None(), C(true), C(0.1), C(1e-5), C(true)},
           {.atol = 1e-4});
}

// nn.InstanceNorm2d(track_running_stats=True) in eval mode: use_input_stats
// is False and every instance is normalized by the running statistics.
TEST_F(T, InstanceNormWithRunningStats) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4, 4}));
  check_op(b, "aten::instance_norm",
           {V(x), V(b.param(randn({3}))), V(b.param(randn({3}))), V(b.param(randn({3}))),
            V(b.param(uniform({3}, 0.5, 2.0))), C(false), C(0.1), C(1e-5), C(true)},
           {.atol = 1e-4});
}

TEST_F(T, InstanceNormWithRunningStatsWithoutAffine) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 5}));
  check_op(b, "aten::instance_norm",
           {V(x), None(), None(), V(b.param(randn({3}))), V(b.param(uniform({3}, 0.5, 2.0))), C(false), C(0.1),
            C(1e-5), C(true)},
           {.atol = 1e-4});
}

// nn.Bilinear: y[..., o] = x1 W[o] x2 + b[o].
TEST_F(T, Bilinear) {
  GraphBuilder b;
  check_op(b, "aten::bilinear",
           {V(b.input(randn({3, 4}))), V(b.input(randn({3, 5}))), V(b.param(randn({2, 4, 5}))),
            V(b.param(randn({2})))},
           {.atol = 1e-4});
}

TEST_F(T, BilinearThreeDimsWithoutBias) {
  GraphBuilder b;
  check_op(b, "aten::bilinear",
           {V(b.input(randn({2, 3, 4}))), V(b.input(randn({2, 3, 2}))), V(b.param(randn({3, 4, 2}))), None()},
           {.atol = 1e-4});
}

// nn.TripletMarginLoss at every reduction, p = 1, 2, 3, with and without swap.
TEST_F(T, TripletMarginLoss) {
  for (auto [p, swap, reduction] : {std::tuple{2.0, false, 1}, std::tuple{1.0, true, 0}, std::tuple{3.0, false, 2}}) {
    SCOPED_TRACE("p=" + std::to_string(p) + " swap=" + std::to_string(swap) + " reduction=" + std::to_string(reduction));
    GraphBuilder b;
    check_op(b, "aten::triplet_margin_loss",
             {V(b.input(randn({4, 5}))), V(b.input(randn({4, 5}))), V(b.input(randn({4, 5}))), C(0.5), C(p), C(1e-6),
              C(swap), C(int64_t{reduction})},
             {.atol = 1e-4});
  }
}

// nn.MultiMarginLoss: p = 1 and 2, a class weight, every reduction, unbatched.
TEST_F(T, MultiMarginLoss) {
  {
    GraphBuilder b;
    check_op(b, "aten::multi_margin_loss",
             {V(b.input(randn({4, 5}))), V(b.input(values(DType::Int64, {4}, {0, 4, 2, 2}))), C(1), C(1.0),
              None(), C(int64_t{1})},
             {.atol = 1e-5});
  }
  {
    GraphBuilder b;
    check_op(b, "aten::multi_margin_loss",
             {V(b.input(randn({3, 4}))), V(b.input(values(DType::Int64, {3}, {3, 0, 1}))), C(2), C(0.5),
              V(b.param(uniform({4}, 0.5, 2.0))), C(int64_t{0})},
             {.atol = 1e-5});
  }
  {
    GraphBuilder b;
    check_op(b, "aten::multi_margin_loss",
             {V(b.input(randn({5}))), V(b.input(values(DType::Int64, {}, {2}))), C(1), C(1.0), None(),
              C(int64_t{2})},
             {.atol = 1e-5});
  }
}

// nn.MaxUnpool2d/3d on max_pool's indices (flat within each plane).
TEST_F(T, MaxUnpool2dAnd3d) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 6, 4}));
  auto pooled = b.node("aten::max_pool2d_with_indices", {V(x), C({2, 2}), C({2, 2}), C({0, 0}), C({1, 1}), C(false)});
  b.output(b.node1("aten::max_unpool2d", {V(pooled[0]), V(pooled[1]), C({6, 4})}));
  ValueId y = b.input(randn({1, 2, 4, 4, 6}));
  auto pooled3 =
      b.node("aten::max_pool3d_with_indices", {V(y), C({2, 2, 2}), C({2, 2, 2}), C({0, 0, 0}), C({1, 1, 1}), C(false)});
  b.output(b.node1("aten::max_unpool3d", {V(pooled3[0]), V(pooled3[1]), C({4, 4, 6}), C({2, 2, 2}), C({0, 0, 0})}));
  check_graph(b);
}

// nn.Fold (col2im): overlapping windows summed, stride 2 with padding, dilation.
TEST_F(T, Col2Im) {
  {
    GraphBuilder b;
    check_op(b, "aten::col2im", {V(b.input(randn({2, 12, 12}))), C({4, 5}), C({2, 2}), C({1, 1}), C({0, 0}), C({1, 1})},
             {.atol = 1e-5});
  }
  {
    GraphBuilder b;
    check_op(b, "aten::col2im", {V(b.input(randn({18, 12}))), C({6, 7}), C({3, 3}), C({1, 1}), C({1, 1}), C({2, 2})},
             {.atol = 1e-5});
  }
  {
    GraphBuilder b;
    check_op(b, "aten::col2im", {V(b.input(randn({1, 4, 9}))), C({5, 5}), C({2, 2}), C({2, 2}), C({0, 0}), C({1, 1})},
             {.atol = 1e-5});
  }
}

// nn.RReLU in eval mode: a leaky relu with slope (lower + upper) / 2.
TEST_F(T, RreluEval) {
  GraphBuilder b;
  check_op(b, "aten::rrelu", {V(b.input(randn({3, 7}))), C(0.1), C(0.3), C(false)});
}

TEST_F(T, RreluTakesSchemaDefaults) {
  GraphBuilder b;
  check_op(b, "aten::rrelu", {V(b.input(randn({12})))});
}

// The normalization translators read arguments by name (docs/architecture.md
// §4a): omitted trailing arguments take the schema's defaults (eps=1e-05).
TEST_F(T, LayerNormAndGroupNormTakeSchemaDefaults) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 4, 3}));
  b.output(b.node1("aten::layer_norm", {V(x), C({3})}));
  b.output(b.node1("aten::group_norm", {V(x), C(2)}));
  check_graph(b, {.opsets = {13, 17, 18}, .atol = 1e-4});
}

// A node that does not fit its schema is refused naming the schema and the
// argument, at translation too (node_typed skips the op library's meta).
TEST_F(T, NormNodeThatDoesNotFitItsSchemaIsAClearError) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4}));
  b.output(b.node_typed("aten::batch_norm", {V(x), None(), None(), None(), None()},
                        {{DType::Float32, Shape{2, 3, 4}}})[0]);
  expect_translate_error(b, 17, "argument 'training' (position 5, bool) is missing and has no default");
}

TEST_F(T, LayerNormWithATensorForEpsIsAClearError) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 5}));
  b.output(b.node_typed("aten::layer_norm", {V(x), C({5}), None(), None(), V(b.param(randn({1})))},
                        {{DType::Float32, Shape{2, 5}}})[0]);
  expect_translate_error(b, 17, "argument 'eps' (position 4) must be float, got Tensor");
}

TEST_F(T, Embedding) {
  GraphBuilder b;
  check_op(b, "aten::embedding",
           {V(b.param(randn({10, 4}))), V(b.input(randint({2, 3}, 0, 10))), C(-1), C(false), C(false)});
}

TEST_F(T, PadConstant) {
  GraphBuilder b;
  check_op(b, "aten::pad", {V(b.input(randn({1, 2, 3}))), C({1, 2, 0, 1}), C("constant"), C(0.5)});
}

TEST_F(T, PadReflect) {
  GraphBuilder b;
  check_op(b, "aten::pad", {V(b.input(randn({1, 2, 4, 4}))), C({1, 1, 2, 0}), C("reflect"), None()});
}

TEST_F(T, PadReplicate) {
  GraphBuilder b;
  check_op(b, "aten::pad", {V(b.input(randn({1, 2, 4}))), C({2, 1}), C("replicate"), None()});
}

TEST_F(T, ConstantPadNd) {
  GraphBuilder b;
  check_op(b, "aten::constant_pad_nd", {V(b.input(randn({2, 3}))), C({1, 1}), C(0)});
}

TEST_F(T, UpsampleNearestScale) {
  GraphBuilder b;
  check_op(b, "aten::upsample_nearest2d", {V(b.input(randn({1, 2, 3, 4}))), None(), C({2.0, 2.0})});
}

TEST_F(T, UpsampleNearestSize) {
  GraphBuilder b;
  check_op(b, "aten::upsample_nearest2d", {V(b.input(randn({1, 2, 3, 4}))), C({5, 7}), None()});
}

TEST_F(T, UpsampleBilinear) {
  GraphBuilder b;
  check_op(b, "aten::upsample_bilinear2d", {V(b.input(randn({1, 2, 3, 4}))), C({6, 8}), C(false), None()},
           {.atol = 1e-4});
}

TEST_F(T, UpsampleBilinearAlignCorners) {
  GraphBuilder b;
  check_op(b, "aten::upsample_bilinear2d", {V(b.input(randn({1, 1, 3, 3}))), None(), C(true), C({2.0, 2.0})},
           {.atol = 1e-4});
}

TEST_F(T, PixelShuffle) {
  GraphBuilder b;
  check_op(b, "aten::pixel_shuffle", {V(b.input(randn({1, 8, 2, 3}))), C(2)});
}


TEST_F(T, Pool1d) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 9}));
  b.output(b.node1("aten::max_pool1d", {V(x), C({3}), C({2}), C({1}), C({1}), C(false)}));
  b.output(b.node1("aten::avg_pool1d", {V(x), C({3}), C({2}), C({1}), C(false), C(true)}));
  b.output(b.node1("aten::adaptive_avg_pool1d", {V(x), C({3})}));
  check_graph(b);
}

TEST_F(T, AdaptiveMaxPool2dValuesAndIndices) {
  GraphBuilder b;
  check_op(b, "aten::adaptive_max_pool2d", {V(b.input(randn({2, 3, 4, 6}))), C({2, 3})});
}

TEST_F(T, ReflectionPad2dByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {1, 1, 2, 3}, {1, 2, 3, 4, 5, 6}));
  b.output(b.node_typed("aten::reflection_pad2d", {V(x), C({1, 1, 0, 0})}, {{DType::Float32, Shape{1, 1, 2, 5}}})[0]);
  check_graph(b, {.expected = {values(DType::Float32, {1, 1, 2, 5}, {2, 1, 2, 3, 2, 5, 4, 5, 6, 5})}});
}

TEST_F(T, UpsampleNearest1dByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {1, 1, 3}, {1, 2, 3}));
  b.output(b.node_typed("aten::upsample_nearest1d", {V(x), None(), C({2.0})}, {{DType::Float32, Shape{1, 1, 6}}})[0]);
  check_graph(b, {.expected = {values(DType::Float32, {1, 1, 6}, {1, 1, 2, 2, 3, 3})}});
}

}  // namespace
}  // namespace onnxport::translator_tests
