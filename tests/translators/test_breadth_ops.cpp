// Ops added to export more of what torch.onnx.export exports: every
// F.interpolate mode (upsample_* at 1-D/2-D/3-D, both size and scale forms),
// 3-D convolution and pooling, activations, non-finite values, roll,
// scatters and pixel_unshuffle. Each is compared in ONNX Runtime with the op
// library's kernel (itself checked against PyTorch by tests/ops/make_fixtures.py).
#include "harness.hpp"

#include <limits>

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;
const std::vector<int> kForms{13, 17, 18};

std::vector<int64_t> spatial_shape(size_t n) {
  if (n == 1) return {2, 3, 5};
  if (n == 2) return {1, 2, 3, 4};
  return {1, 2, 2, 3, 4};
}

// ---- interpolate

struct RankedOp {
  const char* op;
  size_t n;  // spatial dims
};

TEST_F(T, UpsampleNearestEveryRankSizesAndScales) {
  for (auto [op, n] : {RankedOp{"aten::upsample_nearest1d", 1}, RankedOp{"aten::upsample_nearest2d", 2},
                       RankedOp{"aten::upsample_nearest3d", 3}}) {
    const std::vector<int64_t> shape = spatial_shape(n);
    for (int form = 0; form < 4; ++form) {
      GraphBuilder b;
      ValueId x = b.input(randn(shape));
      std::vector<Arg> sizes, scales;
      for (size_t k = 0; k < n; ++k) {
        const int64_t in = shape[2 + k];
        sizes.push_back(C(form == 0 ? in * 2 : form == 1 ? in + 3 : std::max<int64_t>(1, in - 1)));
        scales.push_back(C(1.7));
      }
      if (form == 3) check_op(b, op, {V(x), None(), L(scales)}, {.opsets = kForms});
      else check_op(b, op, {V(x), L(sizes), None()}, {.opsets = kForms});
    }
  }
}

TEST_F(T, UpsampleNearestExact) {
  for (auto [op, n] : {RankedOp{"aten::_upsample_nearest_exact1d", 1}, RankedOp{"aten::_upsample_nearest_exact2d", 2},
                       RankedOp{"aten::_upsample_nearest_exact3d", 3}}) {
    const std::vector<int64_t> shape = spatial_shape(n);
    GraphBuilder b;
    ValueId x = b.input(randn(shape));
    std::vector<Arg> sizes;
    for (size_t k = 0; k < n; ++k) sizes.push_back(C(shape[2 + k] + 3));
    b.output(b.node1(op, {V(x), L(sizes), None()}));
    b.output(b.node1(op, {V(x), None(), L(std::vector<Arg>(n, C(0.6)))}));
    check_graph(b, {.opsets = kForms});
  }
}

TEST_F(T, UpsampleLinearBilinearTrilinearBicubic) {
  for (RankedOp c : {RankedOp{"aten::upsample_linear1d", 1}, RankedOp{"aten::upsample_bilinear2d", 2},
                     RankedOp{"aten::upsample_trilinear3d", 3}, RankedOp{"aten::upsample_bicubic2d", 2}}) {
    const std::vector<int64_t> shape = c.n == 2 ? std::vector<int64_t>{1, 2, 4, 5} : spatial_shape(c.n);
    for (bool align : {false, true}) {
      GraphBuilder b;
      ValueId x = b.input(randn(shape));
      std::vector<Arg> up, one, down;
      for (size_t k = 0; k < c.n; ++k) {
        up.push_back(C(shape[2 + k] * 2 + 1));
        one.push_back(C(1));
        down.push_back(C(std::max<int64_t>(1, shape[2 + k] - 1)));
      }
      b.output(b.node1(c.op, {V(x), L(up), C(align), None()}));
      b.output(b.node1(c.op, {V(x), L(one), C(align), None()}));
      b.output(b.node1(c.op, {V(x), L(down), C(align), None()}));
      b.output(b.node1(c.op, {V(x), None(), C(align), L(std::vector<Arg>(c.n, C(1.5)))}));
      SCOPED_TRACE(std::string(c.op) + (align ? " align_corners" : ""));
      check_graph(b, {.opsets = kForms, .atol = 1e-4});
    }
  }
}

TEST_F(T, UpsampleScaleNextToOutputSize) {
  // torch sizes by output_size and places pixels by 1/scale: 5 * 1.5 floors to 7.
  GraphBuilder b;
  ValueId x = b.input(randn({1, 2, 5, 4}));
  b.output(b.node1("aten::upsample_nearest2d", {V(x), C({7, 6}), C(1.5), None()}));
  b.output(b.node1("aten::upsample_bilinear2d", {V(x), C({7, 6}), C(false), C(1.5), None()}));
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, UpsampleScaleThatDisagreesWithOutputSizeIsRefused) {
  GraphBuilder b;
  ValueId x = b.input(randn({1, 2, 5, 4}));
  b.output(b.node1("aten::upsample_nearest2d", {V(x), C({7, 6}), C(1.3), C(1.7)}));
  expect_translate_error(b, 17, "scales");
}

TEST_F(T, UpsampleNearestIntegralScaleOnADynamicDim) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({2, 3, 4, 5}), {"batch", "", "h", ""});
  check_op(b, "aten::upsample_nearest2d", {V(x), None(), C({2.0, 3.0})}, {.opsets = kForms});
}

TEST_F(T, GridSamplerEveryModePaddingAndAlignment) {
  for (int64_t mode : {0, 1, 2})
    for (int64_t padding : {0, 1, 2})
      for (bool align : {false, true}) {
        GraphBuilder b;
        ValueId x = b.input(randn({2, 3, 4, 5}));
        ValueId grid = b.input(uniform({2, 3, 6, 2}, -1.3, 1.3));
        SCOPED_TRACE("mode " + std::to_string(mode) + " padding " + std::to_string(padding) + (align ? " align" : ""));
        check_op(b, "aten::grid_sampler", {V(x), V(grid), C(mode), C(padding), C(align)}, {.opsets = {16, 17, 18}, .atol = 1e-4});
      }
}

// ---- 3-D convolution and pooling

TEST_F(T, Conv3dAndConvolutionWith3dWeights) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 4, 5, 6, 5}));
  b.output(b.node1("aten::conv3d", {V(x), V(b.param(randn({6, 4, 3, 3, 2}))), V(b.param(randn({6}))), C({1}), C({1}), C({1}), C(1)}));
  b.output(b.node1("aten::conv3d",
                   {V(x), V(b.param(randn({4, 2, 2, 3, 3}))), None(), C({2, 1, 2}), C({0, 1, 1}), C({1, 2, 1}), C(2)}));
  b.output(b.node1("aten::convolution", {V(x), V(b.param(randn({3, 4, 2, 2, 2}))), V(b.param(randn({3}))), C({1, 1, 1}),
                                         C({0, 0, 0}), C({1, 1, 1}), C(false), C({0, 0, 0}), C(1)}));
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, ConvTranspose3d) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 4, 3, 4, 3}));
  b.output(b.node1("aten::conv_transpose3d", {V(x), V(b.param(randn({4, 3, 3, 2, 3}))), V(b.param(randn({3}))), C({2, 1, 2}),
                                              C({1, 0, 1}), C({1, 0, 0}), C(1), C({1})}));
  b.output(b.node1("aten::conv_transpose3d",
                   {V(x), V(b.param(randn({4, 2, 2, 2, 2}))), None(), C({1}), C({0}), C({0}), C(2), C({2})}));
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, MaxAndAvgPool3d) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 5, 6, 5}));
  b.output(b.node1("aten::max_pool3d", {V(x), C({2, 2, 2}), C({2, 2, 2}), C({0, 0, 0}), C({1, 1, 1}), C(false)}));
  b.output(b.node1("aten::max_pool3d", {V(x), C({3, 3, 2}), C({2, 2, 1}), C({1, 1, 1}), C({1, 1, 1}), C(true)}));
  b.output(b.node1("aten::avg_pool3d", {V(x), C({2, 2, 2}), C({2, 2, 2}), C({0, 0, 0}), C(false), C(true), None()}));
  b.output(b.node1("aten::avg_pool3d", {V(x), C({3, 3, 3}), C({2, 2, 2}), C({1, 1, 1}), C(true), C(true), None()}));
  b.output(b.node1("aten::avg_pool3d", {V(x), C({3, 3, 3}), C({2, 2, 2}), C({1, 1, 1}), C(false), C(false), None()}));
  check_graph(b, {.opsets = kForms, .atol = 1e-5});
}

TEST_F(T, AdaptivePool3dUniformWindows) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4, 6, 4}));
  b.output(b.node1("aten::adaptive_avg_pool3d", {V(x), C({1, 1, 1})}));
  b.output(b.node1("aten::adaptive_avg_pool3d", {V(x), C({2, 3, 2})}));
  for (ValueId v : b.node("aten::adaptive_max_pool3d", {V(x), C({2, 2, 4})})) b.output(v);
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, MaxPoolWithIndicesEveryRank) {
  GraphBuilder b;
  for (ValueId v : b.node("aten::max_pool2d_with_indices",
                          {V(b.input(randn({1, 2, 3, 6}))), C({3, 3}), C({2, 2}), C({1, 1}), C({1, 2}), C(true)}))
    b.output(v);
  for (ValueId v : b.node("aten::max_pool1d_with_indices", {V(b.input(randn({2, 3, 10}))), C({3}), C({2}), C({1}), C({1}), C(false)}))
    b.output(v);
  for (ValueId v : b.node("aten::max_pool3d_with_indices",
                          {V(b.input(randn({2, 2, 4, 5, 4}))), C({2, 3, 2}), C({2, 2, 1}), C({1, 1, 0}), C({1, 1, 1}), C(false)}))
    b.output(v);
  check_graph(b, {.opsets = kForms});
}

// ---- activations

TEST_F(T, PreluPerChannelAndShared) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4, 2}));
  b.output(b.node1("aten::prelu", {V(x), V(b.param(randn({3})))}));
  b.output(b.node1("aten::prelu", {V(x), V(b.param(randn({1})))}));
  b.output(b.node1("aten::prelu", {V(b.input(randn({4, 5}))), V(b.param(randn({5})))}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, GluStaticAndDynamicDim) {
  GraphBuilder b;
  b.output(b.node1("aten::glu", {V(b.input(randn({4, 6, 2}))), C(1)}));
  b.output(b.node1("aten::glu", {V(b.input_symbolic(randn({3, 8}), {"", "n"})), C(-1)}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, ThresholdFloatAndInt) {
  GraphBuilder b;
  b.output(b.node1("aten::threshold", {V(b.input(randn({8}))), C(0.1), C(20)}));
  b.output(b.node1("aten::threshold", {V(b.input(randint({6}, -5, 6))), C(1), C(-7)}));
  check_graph(b, {.opsets = kForms});
}

Tensor special_values() {
  const double inf = std::numeric_limits<double>::infinity();
  return values(DType::Float32, {11}, {std::nan(""), inf, -inf, 0.0, -0.3, 0.5, -0.5, 0.7, -2.0, 3.4e38, -1e4});
}

TEST_F(T, LogSigmoidHardshrinkSoftshrink) {
  GraphBuilder b;
  ValueId x = b.input(special_values());
  b.output(b.node1("aten::log_sigmoid", {V(b.input(values(DType::Float32, {5}, {-200, -30, 0, 30, 200})))}));
  b.output(b.node1("aten::log_sigmoid", {V(b.input(randn({3, 4})))}));
  b.output(b.node1("aten::hardshrink", {V(x), C(0.5)}));
  b.output(b.node1("aten::softshrink", {V(x), C(0.5)}));
  check_graph(b, {.opsets = kForms, .atol = 1e-5});
}

TEST_F(T, IsNanIsInfNanToNum) {
  GraphBuilder b;
  ValueId x = b.input(special_values());
  b.output(b.node1("aten::isnan", {V(x)}));
  b.output(b.node1("aten::isinf", {V(x)}));
  b.output(b.node1("aten::isnan", {V(b.input(randint({4}, -3, 3)))}));
  b.output(b.node1("aten::isinf", {V(b.input(randbool({4})))}));
  b.output(b.node1("aten::nan_to_num", {V(x), None(), None(), None()}));
  b.output(b.node1("aten::nan_to_num", {V(x), C(1.5), C(100.0), C(-100.0)}));
  b.output(b.node1("aten::nan_to_num", {V(b.input(randint({5}, -3, 3))), None(), None(), None()}));
  check_graph(b, {.opsets = kForms});
  GraphBuilder d;
  ValueId y = d.input(values(DType::Float64, {4}, {std::nan(""), std::numeric_limits<double>::infinity(), -1.0, 2.0}));
  d.output(d.node1("aten::nan_to_num", {V(y), None(), None(), None()}));
  d.output(d.node1("aten::isinf", {V(y)}));
  check_graph(d, {.opsets = kForms});
}

TEST_F(T, IsFiniteSeluCeluResolve) {
  GraphBuilder b;
  ValueId x = b.input(special_values());
  b.output(b.node1("aten::isfinite", {V(x)}));
  b.output(b.node1("aten::isfinite", {V(b.input(randint({4}, -3, 3)))}));
  ValueId y = b.input(uniform({3, 4}, -4, 4));
  ValueId z = b.input(uniform({5}, -4, 4, DType::Float64));
  b.output(b.node1("aten::selu", {V(y)}));
  b.output(b.node1("aten::selu", {V(z)}));
  b.output(b.node1("aten::celu", {V(y), C(1.0)}));
  b.output(b.node1("aten::celu", {V(z), C(0.5)}));
  b.output(b.node1("aten::resolve_conj", {V(y)}));
  b.output(b.node1("aten::resolve_neg", {V(b.input(randint({3}, -3, 3)))}));
  check_graph(b, {.opsets = kForms, .atol = 1e-5});
}

// ---- rearranging

TEST_F(T, RollStaticDynamicAndFlattened) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 4, 5}));
  b.output(b.node1("aten::roll", {V(x), C({1}), C({0})}));
  b.output(b.node1("aten::roll", {V(x), C({-2, 7}), C({1, -1})}));
  b.output(b.node1("aten::roll", {V(x), C({4}), C(std::vector<int64_t>{})}));
  b.output(b.node1("aten::roll", {V(b.input_symbolic(randn({6, 2}), {"n", ""})), C({-8}), C({0})}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, PixelUnshuffle) {
  GraphBuilder b;
  b.output(b.node1("aten::pixel_unshuffle", {V(b.input(randn({2, 3, 4, 6}))), C(2)}));
  b.output(b.node1("aten::pixel_unshuffle", {V(b.input(randn({2, 1, 2, 6, 9}))), C(3)}));
  b.output(b.node1("aten::pixel_unshuffle", {V(b.input(randn({2, 6, 3}))), C(3)}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, ChannelShuffle) {
  GraphBuilder b;
  b.output(b.node1("aten::channel_shuffle", {V(b.input(randn({2, 6, 2, 3}))), C(3)}));
  b.output(b.node1("aten::channel_shuffle", {V(b.input_symbolic(randn({3, 4, 5}), {"n", "", "l"})), C(2)}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, Im2ColIsFUnfold) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 7, 6}));
  b.output(b.node1("aten::im2col", {V(x), C({3, 3}), C({1, 1}), C({1, 1}), C({1, 1})}));
  b.output(b.node1("aten::im2col", {V(x), C({2, 3}), C({2, 1}), C({0, 2}), C({2, 3})}));
  b.output(b.node1("aten::im2col", {V(b.input(randn({3, 5, 5}))), C({1, 1}), C({1, 1}), C({0, 0}), C({1, 1})}));
  // RAFT's correlation lookup: a dynamic batch and spatial dims.
  b.output(b.node1("aten::im2col", {V(b.input_symbolic(randn({2, 4, 6, 5}), {"n", "", "h", "w"})), C({3, 3}), C({1, 1}),
                                    C({1, 1}), C({2, 2})}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, CircularPad) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4, 5}));
  b.output(b.node1("aten::pad", {V(x), C({1, 2}), C("circular"), None()}));
  b.output(b.node1("aten::pad", {V(x), C({2, 0, 3, 1}), C("circular"), None()}));
  b.output(b.node1("aten::pad", {V(b.input(randn({2, 3, 4}))), C({4, 4}), C("circular"), None()}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, AminmaxOuterCosineSimilarityCross) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4}));
  for (ValueId v : b.node("aten::aminmax", {V(x), None(), C(false)})) b.output(v);
  for (ValueId v : b.node("aten::aminmax", {V(x), C(-1), C(true)})) b.output(v);
  for (ValueId v : b.node("aten::aminmax", {V(b.input(randint({3, 4}, -5, 5))), C(0), C(false)})) b.output(v);
  b.output(b.node1("aten::outer", {V(b.input(randn({3}))), V(b.input(randn({4})))}));
  b.output(b.node1("aten::cross", {V(b.input(randn({4, 3}))), V(b.input(randn({4, 3}))), C(1)}));
  b.output(b.node1("aten::cross", {V(b.input(randn({3, 2, 1}))), V(b.input(randn({3, 1, 4}))), None()}));
  b.output(b.node1("aten::cross", {V(b.input(randint({2, 3}, -5, 5))), V(b.input(randint({2, 3}, -5, 5))), C(-1)}));
  b.output(b.node1("aten::linalg_cross", {V(b.input(randn({2, 4, 3}))), V(b.input(randn({2, 4, 3}))), C(-1)}));
  b.output(b.node1("aten::linalg_cross", {V(b.input(randn({3, 2}))), V(b.input(randn({3, 1}))), C(0)}));
  b.output(b.node1("aten::cosine_similarity", {V(b.input(randn({3, 4}))), V(b.input(randn({3, 4}))), C(1), C(1e-8)}));
  b.output(b.node1("aten::cosine_similarity", {V(b.input(randn({2, 1, 5}))), V(b.input(randn({3, 5}))), C(-1), C(1e-8)}));
  b.output(b.node1("aten::cosine_similarity", {V(b.input(values(DType::Float32, {2, 2}, {1e-9, 0, 1, 2}))),
                                               V(b.input(values(DType::Float32, {2, 2}, {1e-9, 0, 3, -1}))), C(1), C(1e-8)}));
  b.output(b.node1("aten::outer", {V(b.input(randint({3}, -4, 4))), V(b.input(randn({2})))}));
  check_graph(b, {.opsets = kForms});
}

// ---- scatters

TEST_F(T, ScatterSrcValueAndSmallerIndex) {
  GraphBuilder b;
  ValueId base = b.input(randn({3, 5}));
  ValueId idx = b.input(values(DType::Int64, {2, 5}, {0, 1, 2, 0, 1, 2, 0, 0, 1, 2}));
  b.output(b.node1("aten::scatter", {V(base), C(0), V(idx), V(b.input(randn({2, 5})))}));
  b.output(b.node1("aten::scatter", {V(base), C(0), V(idx), C(2.5)}));
  b.output(b.node1("aten::scatter",
                   {V(base), C(1), V(b.input(values(DType::Int64, {3, 2}, {4, 0, 1, 3, 2, 2}))), V(b.input(randn({3, 4})))}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, ScatterReduceScatterAddIndexAddAtOpset16) {
  GraphBuilder b;
  ValueId base = b.input(randn({3, 5}));
  ValueId idx = b.input(values(DType::Int64, {2, 5}, {0, 1, 2, 0, 1, 2, 0, 0, 1, 2}));
  b.output(b.node1("aten::scatter", {V(base), C(0), V(idx), V(b.input(randn({2, 5}))), C("add")}));
  b.output(b.node1("aten::scatter", {V(base), C(0), V(idx), V(b.input(randn({2, 5}))), C("multiply")}));
  b.output(b.node1("aten::scatter_add", {V(base), C(0), V(idx), V(b.input(randn({2, 5})))}));
  b.output(b.node1("aten::index_add", {V(base), C(0), V(b.input(values(DType::Int64, {4}, {2, 0, 2, 1}))), V(b.input(randn({4, 5}))), C(1)}));
  b.output(b.node1("aten::index_add", {V(base), C(1), V(b.input(values(DType::Int64, {2}, {4, 4}))), V(b.input(randn({3, 2}))), C(2.5)}));
  check_graph(b, {.opsets = {16, 17, 18}, .atol = 1e-5});
}

TEST_F(T, ScatterReduceBelowOpset16IsRefused) {
  GraphBuilder b;
  ValueId base = b.input(randn({3, 5}));
  ValueId idx = b.input(values(DType::Int64, {1, 5}, {0, 1, 2, 0, 1}));
  b.output(b.node1("aten::scatter", {V(base), C(0), V(idx), V(b.input(randn({1, 5}))), C("add")}));
  expect_translate_error(b, 15, "opset 16");
}

}  // namespace
}  // namespace onnxport::translator_tests
