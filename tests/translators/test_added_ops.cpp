// Ops added for the OpInfo suite (tests/opinfo): losses with every reduction,
// vector norms, var_mean/std_mean, as_tensor, atleast_Nd, broadcast_tensors.
// Each runs at opsets 13 (oldest), 17 and 18 (Reduce* axes as an input).
#include "harness.hpp"

#include <limits>
#include <tuple>

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;
const std::vector<int> kForms{13, 17, 18};

// ---- losses: reduction 0 none, 1 mean, 2 sum

TEST_F(T, MseAndL1LossEveryReduction) {
  for (const char* op : {"aten::mse_loss", "aten::l1_loss"})
    for (int reduction : {0, 1, 2}) {
      GraphBuilder b;
      check_op(b, op, {V(b.input(randn({3, 4}))), V(b.input(randn({3, 4}))), C(reduction)}, {.opsets = kForms, .atol = 1e-4});
    }
}

TEST_F(T, MarginAndPoissonLossesEveryReduction) {
  const Tensor signs = values(DType::Float32, {2, 3}, {1, -1, 1, -1, -1, 1});
  const Tensor hinge_targets = values(DType::Float32, {2, 3}, {1, -1, 0.5, -1, 1, 1});
  const Tensor counts = values(DType::Float32, {2, 3}, {0, 1, 2, 3.5, 0.5, 7});
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    b.output(b.node1("aten::soft_margin_loss", {V(b.input(randn({2, 3}))), V(b.input(signs)), C(reduction)}));
    b.output(b.node1("aten::hinge_embedding_loss", {V(b.input(randn({2, 3}))), V(b.input(hinge_targets)), C(0.7), C(reduction)}));
    b.output(b.node1("aten::margin_ranking_loss",
                     {V(b.input(randn({2, 3}))), V(b.input(randn({2, 3}))), V(b.input(signs)), C(0.3), C(reduction)}));
    b.output(b.node1("aten::poisson_nll_loss",
                     {V(b.input(randn({2, 3}))), V(b.input(counts)), C(true), C(false), C(1e-8), C(reduction)}));
    b.output(b.node1("aten::cosine_embedding_loss", {V(b.input(randn({3, 4}))), V(b.input(randn({3, 4}))),
                                                     V(b.input(values(DType::Float32, {3}, {1, -1, -1}))), C(0.1), C(reduction)}));
    b.output(b.node1("aten::cosine_embedding_loss", {V(b.input(randn({5}))), V(b.input(randn({5}))),
                                                     V(b.input(values(DType::Float32, {}, {-1}))), C(-0.5), C(reduction)}));
    ValueId rates = b.node1("aten::exp", {V(b.input(randn({2, 3})))});
    b.output(b.node1("aten::poisson_nll_loss", {V(rates), V(b.input(counts)), C(false), C(true), C(1e-8), C(reduction)}));
    check_graph(b, {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, SmoothL1AndHuberLoss) {
  for (const char* op : {"aten::smooth_l1_loss", "aten::huber_loss"})
    for (int reduction : {0, 1, 2})
      for (double k : {1.0, 0.5}) {
        GraphBuilder b;
        check_op(b, op, {V(b.input(randn({2, 5}))), V(b.input(randn({2, 5}))), C(reduction), C(k)},
                 {.opsets = kForms, .atol = 1e-4});
      }
}

TEST_F(T, BinaryCrossEntropyWithWeight) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    check_op(b, "aten::binary_cross_entropy",
             {V(b.input(uniform({3, 4}, 0.05, 0.95))), V(b.input(uniform({3, 4}, 0, 1))), V(b.input(uniform({4}, 0.5, 2))),
              C(reduction)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, BinaryCrossEntropyWithLogitsWeightAndPosWeight) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    check_op(b, "aten::binary_cross_entropy_with_logits",
             {V(b.input(uniform({3, 4}, -8, 8))), V(b.input(uniform({3, 4}, 0, 1))), V(b.input(uniform({3, 4}, 0.5, 2))),
              V(b.input(uniform({4}, 0.5, 3))), C(reduction)},
             {.opsets = kForms, .atol = 1e-4});
    GraphBuilder plain;
    check_op(plain, "aten::binary_cross_entropy_with_logits",
             {V(plain.input(uniform({5}, -30, 30))), V(plain.input(uniform({5}, 0, 1))), None(), None(), C(reduction)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, KlDivWithZerosInTheTargetAndLogTarget) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    check_op(b, "aten::kl_div",
             {V(b.input(randn({2, 3}))), V(b.input(values(DType::Float32, {2, 3}, {0.0, 0.2, 0.8, 0.5, 0.0, 0.5}))),
              C(reduction), C(false)},
             {.opsets = kForms, .atol = 1e-4});
    GraphBuilder lt;
    check_op(lt, "aten::kl_div", {V(lt.input(randn({2, 3}))), V(lt.input(randn({2, 3}))), C(reduction), C(true)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, NllLossWeightsIgnoreIndexAndSpatialDims) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    Tensor target = values(DType::Int64, {2, 3}, {0, 3, 1, 2, 3, 3});
    check_op(b, "aten::nll_loss_nd",
             {V(b.input(randn({2, 4, 3}))), V(b.input(target)), V(b.input(uniform({4}, 0.5, 2))), C(reduction), C(3)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, NllLossAndNllLoss2d) {
  GraphBuilder b;
  check_op(b, "aten::nll_loss", {V(b.input(randn({3, 4}))), V(b.input(values(DType::Int64, {3}, {3, 0, 1}))), None(), C(1), C(-100)},
           {.opsets = kForms, .atol = 1e-4});
  GraphBuilder b2;
  check_op(b2, "aten::nll_loss2d",
           {V(b2.input(randn({2, 3, 2, 2}))), V(b2.input(randint({2, 2, 2}, 0, 3))), None(), C(2), C(-100)},
           {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, NllLossUnbatched) {
  GraphBuilder b;
  check_op(b, "aten::nll_loss_nd", {V(b.input(randn({5}))), V(b.input(values(DType::Int64, {}, {2}))), None(), C(0), C(-100)},
           {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, CrossEntropyClassIndicesEveryReduction) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    check_op(b, "aten::cross_entropy_loss",
             {V(b.input(randn({4, 5}))), V(b.input(values(DType::Int64, {4}, {0, 4, 2, 2}))), None(), C(reduction), C(-100), C(0.0)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, CrossEntropyLabelSmoothingWithWeightAndIgnoreIndex) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    check_op(b, "aten::cross_entropy_loss",
             {V(b.input(randn({3, 4, 2}))), V(b.input(values(DType::Int64, {3, 2}, {1, 0, 3, 1, 2, 2}))),
              V(b.input(uniform({4}, 0.5, 2))), C(reduction), C(2), C(0.2)},
             {.opsets = kForms, .atol = 1e-4});
    GraphBuilder nw;
    check_op(nw, "aten::cross_entropy_loss",
             {V(nw.input(randn({3, 4}))), V(nw.input(values(DType::Int64, {3}, {1, 0, 3}))), None(), C(reduction), C(0),
              C(0.1)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, CrossEntropyProbabilityTargets) {
  for (int reduction : {0, 1, 2}) {
    GraphBuilder b;
    check_op(b, "aten::cross_entropy_loss",
             {V(b.input(randn({3, 4}))), V(b.input(uniform({3, 4}, 0, 1))), V(b.input(uniform({4}, 0.5, 2))), C(reduction),
              C(-100), C(0.3)},
             {.opsets = kForms, .atol = 1e-4});
  }
}

// ---- norms, moments

TEST_F(T, VectorNormEveryOrder) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double ord : {2.0, 1.0, 3.5, 0.0, inf, -inf}) {
    GraphBuilder b;
    check_op(b, "aten::linalg_vector_norm", {V(b.input(randn({3, 4}))), C(ord), C({1}), C(false), None()},
             {.opsets = kForms, .atol = 1e-4});
  }
}

TEST_F(T, LinalgNormFroAndNoneOverAllDims) {
  GraphBuilder b;
  check_op(b, "aten::linalg_norm", {V(b.input(randn({3, 4}))), C("fro"), C({0, 1}), C(true), None()},
           {.opsets = kForms, .atol = 1e-4});
  GraphBuilder n;
  check_op(n, "aten::linalg_norm", {V(n.input(randn({2, 3, 2}))), None(), None(), C(false), None()},
           {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, NormScalarAndDimOverloads) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 4}, DType::Float64));
  b.output(b.node1("aten::norm", {V(x), C(3)}));
  b.output(b.node1("aten::norm", {V(x), C(1), C({1}), C(true)}));
  check_graph(b, {.opsets = kForms, .atol = 1e-6});
}

TEST_F(T, VarMeanAndStdMean) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 4, 2}));
  for (ValueId v : b.node("aten::var_mean", {V(x), C({1}), C(true), C(true)})) b.output(v);
  for (ValueId v : b.node("aten::std_mean", {V(x), C(false)})) b.output(v);
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

// ---- creation and shapes

TEST_F(T, AsTensorOfATensorCastsToTheDtype) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::as_tensor", {V(x), Dt(DType::Int64), None()}));
  b.output(b.node1("aten::as_tensor", {V(x), None(), None()}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, AsTensorOfNumbers) {
  GraphBuilder b;
  b.output(b.node1("aten::as_tensor", {C({{1.5, 2.0}, {3.0, 4.0}}), None(), None()}));
  b.output(b.node1("aten::as_tensor", {C(3), Dt(DType::Float64), None()}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, AtLeastNd) {
  for (const char* op : {"aten::atleast_1d", "aten::atleast_2d", "aten::atleast_3d"})
    for (std::vector<int64_t> shape : {std::vector<int64_t>{}, {4}, {2, 3}, {2, 3, 2}}) {
      GraphBuilder b;
      check_op(b, op, {V(b.input(randn(shape)))}, {.opsets = {13, 18}});
    }
}

TEST_F(T, BroadcastTensors) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 1}));
  ValueId y = b.input(randn({4}));
  ValueId z = b.input(randn({}));
  for (ValueId v : b.node("aten::broadcast_tensors", {L({V(x), V(y), V(z)})})) b.output(v);
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, BroadcastTensorsWithADynamicDim) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({5, 1}), {"n"});
  ValueId y = b.input(randn({1, 3}));
  for (ValueId v : b.node("aten::broadcast_tensors", {L({V(x), V(y)})})) b.output(v);
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, DiagonalOffsetsAndDims) {
  for (auto [offset, d1, d2] : {std::tuple{0, 0, 1}, {1, 0, 1}, {-1, 0, 1}, {2, 2, 0}, {-5, 1, 2}}) {
    GraphBuilder b;
    check_op(b, "aten::diagonal", {V(b.input(randn({3, 4, 5}))), C(offset), C(d1), C(d2)}, {.opsets = {13, 18}});
  }
}

TEST_F(T, RepeatInterleave) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::repeat_interleave", {V(x), C(2), C(1), None()}));
  b.output(b.node1("aten::repeat_interleave", {V(x), C(3), None(), None()}));
  b.output(b.node1("aten::repeat_interleave", {V(x), C(2), C(0), None()}));
  check_graph(b, {.opsets = {13, 18}});
}

TEST_F(T, EinsumExplicitAndImplicitOutputs) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  ValueId y = b.input(randn({3, 4}));
  ValueId z = b.input(randn({2, 3, 5}));
  b.output(b.node1("aten::einsum", {C("ij,jk->ik"), L({V(x), V(y)}), None()}));
  b.output(b.node1("aten::einsum", {C("ij,jk"), L({V(x), V(y)}), None()}));
  b.output(b.node1("aten::einsum", {C("bij -> jb"), L({V(z)}), None()}));
  b.output(b.node1("aten::einsum", {C("ii->i"), L({V(b.input(randn({3, 3})))}), None()}));
  check_graph(b, {.opsets = {13, 18}, .atol = 1e-4});
}

TEST_F(T, EinsumWithAnEquationLongerThanTheSmallStringBuffer) {
  // MViT's relative positions: an 18-character equation lives on the heap,
  // where reading it after its owner died gave "bythwc,wkc->byth\0\0".
  GraphBuilder b;
  ValueId q = b.input(randn({1, 2, 2, 3, 4, 5}));
  ValueId w = b.input(randn({4, 6, 5}));
  b.output(b.node1("aten::einsum", {C("bythwc,wkc->bythwk"), L({V(q), V(w)}), None()}));
  check_graph(b, {.opsets = {13, 18}, .atol = 1e-4});
}

}  // namespace
}  // namespace onnxport::translator_tests
