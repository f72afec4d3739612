// Reduction translators: the axes attribute/input switch at opset 18 is
// checked on both sides (13, 17 with the checker; 18 in ONNX Runtime only).
#include "harness.hpp"

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;
const std::vector<int> kAllForms{13, 17, 18};

TEST_F(T, SumAll) {
  GraphBuilder b;
  check_op(b, "aten::sum", {V(b.input(randn({2, 3, 4}))), None()}, {.opsets = kAllForms, .atol = 1e-4});
}

TEST_F(T, SumDimsKeepdim) {
  GraphBuilder b;
  check_op(b, "aten::sum", {V(b.input(randn({2, 3, 4}))), C({0, -1}), C(true), None()}, {.opsets = kAllForms});
}

TEST_F(T, SumWithDtypeCastsFirst) {
  GraphBuilder b;
  check_op(b, "aten::sum", {V(b.input(randn({3, 4}))), C({1}), C(false), Dt(DType::Float64)});
}

TEST_F(T, SumOfBoolIsInt64) {
  GraphBuilder b;
  check_op(b, "aten::sum", {V(b.input(randbool({3, 4}))), None()});
}

TEST_F(T, MeanUsesAxesAttributeBefore18AndInputFrom18) {
  GraphBuilder b;
  onnx::ModelProto m =
      check_op(b, "aten::mean", {V(b.input(randn({2, 3, 4}))), C({1}), C(false), None()}, {.opsets = kAllForms});
  // The last model checked is opset 18: axes is ReduceMean's second input.
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "ReduceMean") {
      EXPECT_EQ(n.input_size(), 2);
    }
  }
}

TEST_F(T, MeanAll) {
  GraphBuilder b;
  check_op(b, "aten::mean", {V(b.input(randn({2, 3}))), None()}, {.opsets = kAllForms});
}

TEST_F(T, ProdDim) {
  GraphBuilder b;
  check_op(b, "aten::prod", {V(b.input(uniform({3, 4}, 0.5, 1.5))), C(1), C(true), None()}, {.opsets = kAllForms});
}

TEST_F(T, AmaxAmin) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 4, 5}));
  b.output(b.node1("aten::amax", {V(x), C({0, 2}), C(false)}));
  b.output(b.node1("aten::amin", {V(x), C({1}), C(true)}));
  check_graph(b, {.opsets = kAllForms});
}

TEST_F(T, MaxAll) {
  GraphBuilder b;
  check_op(b, "aten::max", {V(b.input(randn({3, 4})))}, {.opsets = kAllForms});
}

TEST_F(T, MaxDimGivesValuesAndIndices) {
  GraphBuilder b;
  check_op(b, "aten::max", {V(b.input(randn({3, 4}))), C(1), C(false)}, {.opsets = kAllForms});
}

TEST_F(T, MinDimKeepdim) {
  GraphBuilder b;
  check_op(b, "aten::min", {V(b.input(randn({3, 4}))), C(0), C(true)}, {.opsets = kAllForms});
}

TEST_F(T, MaxOtherIsElementwise) {
  GraphBuilder b;
  check_op(b, "aten::max", {V(b.input(randn({3, 4}))), V(b.input(randn({4})))});
}

TEST_F(T, ArgmaxDim) {
  GraphBuilder b;
  check_op(b, "aten::argmax", {V(b.input(randn({3, 4}))), C(1), C(false)});
}

TEST_F(T, ArgmaxFlattenedKeepdim) {
  GraphBuilder b;
  check_op(b, "aten::argmax", {V(b.input(randn({3, 4}))), None(), C(true)});
}

TEST_F(T, ArgminNoDim) {
  GraphBuilder b;
  check_op(b, "aten::argmin", {V(b.input(randn({3, 4}))), None(), C(false)});
}

TEST_F(T, AllAny) {
  GraphBuilder b;
  ValueId x = b.input(randint({3, 4}, 0, 2, DType::Float32));
  b.output(b.node1("aten::all", {V(x)}));
  b.output(b.node1("aten::any", {V(x), C(1), C(false)}));
  b.output(b.node1("aten::all", {V(x), C(0), C(true)}));
  check_graph(b, {.opsets = kAllForms});
}

TEST_F(T, Softmax) {
  GraphBuilder b;
  check_op(b, "aten::softmax", {V(b.input(randn({2, 3, 4}))), C(1), None()});
}

TEST_F(T, LogSoftmaxLastDim) {
  GraphBuilder b;
  check_op(b, "aten::log_softmax", {V(b.input(randn({2, 5}))), C(-1), None()});
}


TEST_F(T, Logsumexp) {
  GraphBuilder b;
  check_op(b, "aten::logsumexp", {V(b.input(randn({3, 4}))), C({1}), C(false)}, {.opsets = kAllForms});
}

TEST_F(T, VarUnbiasedAll) {
  GraphBuilder b;
  check_op(b, "aten::var", {V(b.input(randn({3, 4}))), C(true)}, {.opsets = kAllForms});
}

TEST_F(T, StdDimKeepdimBiased) {
  GraphBuilder b;
  check_op(b, "aten::std", {V(b.input(randn({3, 4, 2}))), C({1, 2}), C(false), C(true)}, {.opsets = kAllForms});
}

TEST_F(T, VarDynamicDimCountsAtRunTime) {
  GraphBuilder b;
  check_op(b, "aten::var", {V(b.input_symbolic(randn({5, 3}), {"n"})), C({0}), C(true), C(false)},
           {.opsets = kAllForms});
}

}  // namespace
}  // namespace onnxport::translator_tests
