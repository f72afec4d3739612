// Matrix products and convolutions.
#include "harness.hpp"

#include <onnxport_core/onnx_passes.hpp>

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;

TEST_F(T, LinearOnA2DInputIsOneGemmOnTheUntransposedWeight) {
  GraphBuilder b;
  ValueId x = b.input(randn({4, 3}));
  ValueId w = b.param(randn({2, 3}), "mlp.0.weight");
  ValueId bias = b.param(randn({2}), "mlp.0.bias");
  onnx::ModelProto m = check_op(b, "aten::linear", {V(x), V(w), V(bias)},
                                {.expect_ops = {{13, {"Gemm"}}, {17, {"Gemm"}}}});
  ASSERT_EQ(m.graph().node_size(), 1);
  const auto& gemm = m.graph().node(0);
  EXPECT_EQ(gemm.output(0), "linear");
  ASSERT_EQ(gemm.input_size(), 3);
  EXPECT_EQ(gemm.input(1), "mlp.0.weight");  // the initializer itself, not a transposed copy
  ASSERT_EQ(gemm.attribute_size(), 1);
  EXPECT_EQ(gemm.attribute(0).name(), "transB");
  EXPECT_EQ(gemm.attribute(0).i(), 1);
}

TEST_F(T, LinearOnA2DInputWithoutBiasIsGemmWithTwoInputs) {
  GraphBuilder b;
  onnx::ModelProto m = check_op(b, "aten::linear", {V(b.input(randn({5, 3}))), V(b.param(randn({4, 3}))), None()},
                                {.expect_ops = {{13, {"Gemm"}}, {17, {"Gemm"}}}});
  ASSERT_EQ(m.graph().node_size(), 1);
  EXPECT_EQ(m.graph().node(0).input_size(), 2);
}

TEST_F(T, LinearOnA3DInputIsTransposeMatMulAddNamedLinear) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 4, 3}));
  ValueId w = b.param(randn({2, 3}), "mlp.0.weight");
  ValueId bias = b.param(randn({2}), "mlp.0.bias");
  onnx::ModelProto m = check_op(b, "aten::linear", {V(x), V(w), V(bias)},
                                {.expect_ops = {{13, {"Transpose", "MatMul", "Add"}}, {17, {"Transpose", "MatMul", "Add"}}}});
  // The final Add produces the graph value, named after it.
  ASSERT_GT(m.graph().node_size(), 0);
  const auto& last = m.graph().node(m.graph().node_size() - 1);
  EXPECT_EQ(last.op_type(), "Add");
  EXPECT_EQ(last.output(0), "linear");
  // The optimizer folds the weight's Transpose into the initializer.
  optimize_model(m);
  std::vector<std::string> types = op_types(m);
  EXPECT_EQ(std::count(types.begin(), types.end(), "Transpose"), 0);
}

TEST_F(T, LinearWithoutBias) {
  GraphBuilder b;
  check_op(b, "aten::linear", {V(b.input(randn({2, 5, 3}))), V(b.param(randn({4, 3}))), None()},
           {.expect_ops = {{13, {"Transpose", "MatMul"}}, {17, {"Transpose", "MatMul"}}}});
}

TEST_F(T, LinearWeightAsInput) {
  GraphBuilder b;
  check_op(b, "aten::linear", {V(b.input(randn({3}))), V(b.input(randn({2, 3}))), V(b.input(randn({2})))});
}

TEST_F(T, MatmulBroadcastBatch) {
  GraphBuilder b;
  check_op(b, "aten::matmul", {V(b.input(randn({2, 1, 3, 4}))), V(b.input(randn({5, 4, 2})))});
}

TEST_F(T, MatmulVectorMatrix) {
  GraphBuilder b;
  check_op(b, "aten::matmul", {V(b.input(randn({4}))), V(b.input(randn({4, 3})))});
}

TEST_F(T, MmAndBmm) {
  GraphBuilder b;
  ValueId a = b.input(randn({3, 4}));
  ValueId c = b.input(randn({4, 2}));
  ValueId ba = b.input(randn({2, 3, 4}));
  ValueId bc = b.input(randn({2, 4, 5}));
  b.output(b.node1("aten::mm", {V(a), V(c)}));
  b.output(b.node1("aten::bmm", {V(ba), V(bc)}));
  check_graph(b);
}

TEST_F(T, AddmmWithBetaAlpha) {
  GraphBuilder b;
  check_op(b, "aten::addmm", {V(b.input(randn({3}))), V(b.input(randn({2, 4}))), V(b.input(randn({4, 3}))), C(0.5),
                              C(2)});
}

TEST_F(T, Baddbmm) {
  GraphBuilder b;
  check_op(b, "aten::baddbmm", {V(b.input(randn({2, 3, 5}))), V(b.input(randn({2, 3, 4}))),
                                V(b.input(randn({2, 4, 5}))), C(1), C(1)});
}

TEST_F(T, Dot) {
  GraphBuilder b;
  check_op(b, "aten::dot", {V(b.input(randn({6}))), V(b.input(randn({6})))});
}

TEST_F(T, Conv2dStridePaddingDilation) {
  GraphBuilder b;
  check_op(b, "aten::conv2d",
           {V(b.input(randn({1, 2, 7, 7}))), V(b.param(randn({4, 2, 3, 3}))), V(b.param(randn({4}))), C({2, 1}),
            C({1, 2}), C({1, 2}), C(1)},
           {.atol = 1e-4});
}

TEST_F(T, Conv2dGroupsNoBias) {
  GraphBuilder b;
  check_op(b, "aten::conv2d",
           {V(b.input(randn({2, 4, 5, 5}))), V(b.param(randn({4, 2, 3, 3}))), None(), C({1, 1}), C({0, 0}),
            C({1, 1}), C(2)},
           {.atol = 1e-4});
}

TEST_F(T, Conv2dPaddingSame) {
  GraphBuilder b;
  check_op(b, "aten::conv2d",
           {V(b.input(randn({1, 2, 6, 6}))), V(b.param(randn({3, 2, 4, 4}))), V(b.param(randn({3}))), C({1, 1}),
            C("same"), C({1, 1}), C(1)},
           {.atol = 1e-4});
}

TEST_F(T, Conv1d) {
  GraphBuilder b;
  check_op(b, "aten::conv1d",
           {V(b.input(randn({2, 3, 10}))), V(b.param(randn({5, 3, 3}))), V(b.param(randn({5}))), C({2}), C({1}),
            C({1}), C(1)},
           {.atol = 1e-4});
}


TEST_F(T, Mv) {
  GraphBuilder b;
  check_op(b, "aten::mv", {V(b.input(randn({3, 4}))), V(b.input(randn({4})))});
}

TEST_F(T, ConvolutionOverload) {
  GraphBuilder b;
  check_op(b, "aten::convolution",
           {V(b.input(randn({1, 2, 5, 5}))), V(b.param(randn({3, 2, 3, 3}))), V(b.param(randn({3}))), C({1, 1}),
            C({1, 1}), C({1, 1}), C(false), C({0, 0}), C(1)},
           {.atol = 1e-4});
}

TEST_F(T, ConvTranspose2dByHand) {
  // 1x1x2x2 input, 1x1x2x2 kernel of ones, stride 2: every input element
  // becomes a 2x2 block of itself.
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {1, 1, 2, 2}, {1, 2, 3, 4}));
  ValueId w = b.param(values(DType::Float32, {1, 1, 2, 2}, {1, 1, 1, 1}));
  ValueId y = b.node_typed("aten::conv_transpose2d", {V(x), V(w), None(), C({2, 2}), C({0, 0}), C({0, 0}), C(1), C({1, 1})},
                           {{DType::Float32, Shape{1, 1, 4, 4}}})[0];
  b.output(y);
  check_graph(b, {.expected = {values(DType::Float32, {1, 1, 4, 4},
                                      {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4})}});
}

}  // namespace
}  // namespace onnxport::translator_tests
