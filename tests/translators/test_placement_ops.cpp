// Ops on which torch.onnx.export passed OpInfo samples and onnxport none
// (docs/op-coverage.md): addcmul, lerp, tensordot, pairwise_distance,
// frobenius_norm, det/logdet, take, index_fill, index_copy, masked_scatter,
// bucketize, unfold, as_strided, movedim, conj_physical, logspace,
// tril/triu_indices. Each is compared in ONNX Runtime with the op library's
// kernel (itself checked against PyTorch by tests/ops/make_fixtures.py).
#include "harness.hpp"

#include <limits>

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;
const std::vector<int> kForms{13, 17, 18};

TEST_F(T, AddcmulAndLerp) {
  GraphBuilder b;
  ValueId s = b.input(randn({5, 5}));
  b.output(b.node1("aten::addcmul", {V(s), V(b.input(randn({5, 5}))), V(b.input(randn({5, 5}))), C(1)}));
  b.output(b.node1("aten::addcmul", {V(b.input(randn({1}))), V(b.input(randn({5, 5, 1}))), V(b.input(randn({1, 5}))), C(0.5)}));
  b.output(b.node1("aten::addcmul", {V(b.input(randint({5, 5}, -5, 5))), V(b.input(randint({}, -5, 5))),
                                     V(b.input(randint({}, -5, 5))), C(3)}));
  b.output(b.node1("aten::lerp", {V(s), V(b.input(randn({5, 5}))), C(0.4)}));
  b.output(b.node1("aten::lerp", {V(s), V(b.input(randn({5}))), V(b.input(uniform({5, 5}, -1, 2)))}));
  b.output(b.node1("aten::lerp", {V(b.input(randn({5, 1}, DType::Float64))), V(b.input(randn({5, 5}, DType::Float64))),
                                  V(b.input(uniform({5, 1}, 0, 1, DType::Float64)))}));
  check_graph(b, {.opsets = kForms, .atol = 1e-5});
}

TEST_F(T, TensordotPairwiseDistanceFrobenius) {
  GraphBuilder b;
  b.output(b.node1("aten::tensordot", {V(b.input(randn({2, 3, 4}))), V(b.input(randn({3, 4, 5}))), C({1, 2}), C({0, 1})}));
  b.output(b.node1("aten::tensordot", {V(b.input(randn({2, 2, 1}))), V(b.input(randn({2, 1, 2}))), C({0, 1}), C({2, 0})}));
  b.output(b.node1("aten::tensordot", {V(b.input(randint({2, 3}, -4, 4))), V(b.input(randint({3, 2}, -4, 4))), C({1}), C({0})}));
  b.output(b.node1("aten::tensordot", {V(b.input(randn({2}))), V(b.input(randn({3}))), C(std::vector<int64_t>{}),
                                       C(std::vector<int64_t>{})}));
  ValueId x1 = b.input(randn({4, 6})), x2 = b.input(randn({4, 6}));
  for (double p : {2.0, 1.0, 0.0, 5.0, 1.5}) b.output(b.node1("aten::pairwise_distance", {V(x1), V(x2), C(p), C(1e-6), C(false)}));
  b.output(b.node1("aten::pairwise_distance", {V(x1), V(x2), C(std::numeric_limits<double>::infinity()), C(1e-6), C(true)}));
  b.output(b.node1("aten::pairwise_distance", {V(b.input(randn({3}))), V(b.input(randn({3}))), C(2.0), C(1e-6), C(false)}));
  b.output(b.node1("aten::pairwise_distance", {V(b.input(randint({3}, -5, 5))), V(b.input(randint({2, 3}, -5, 5))), C(2.0),
                                               C(1e-6), C(true)}));
  ValueId m = b.input(randn({5, 5}));
  b.output(b.node1("aten::frobenius_norm", {V(m)}));
  b.output(b.node1("aten::frobenius_norm", {V(m), C({0, 1}), C(false)}));
  b.output(b.node1("aten::frobenius_norm", {V(b.input(randn({2, 3, 4}, DType::Float64))), C({-1}), C(true)}));
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, MatrixNorms) {
  GraphBuilder b;
  ValueId m = b.input(randn({2, 3, 4}));
  const double inf = std::numeric_limits<double>::infinity();
  b.output(b.node1("aten::linalg_matrix_norm", {V(m), C("fro"), C({-2, -1}), C(false), None()}));
  b.output(b.node1("aten::linalg_matrix_norm", {V(b.input(randn({2, 2}))), C("fro"), C({-2, -1}), C(true), None()}));
  for (double o : {1.0, -1.0, inf, -inf}) b.output(b.node1("aten::linalg_matrix_norm", {V(m), C(o), C({-2, -1}), C(false), None()}));
  b.output(b.node1("aten::linalg_matrix_norm", {V(m), C(-1), C({2, 0}), C(true), None()}));
  b.output(b.node1("aten::linalg_matrix_norm", {V(b.input(randn({2, 3, 2}))), C(inf), C({-1, 0}), C(true), Dt(DType::Float64)}));
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, MatrixNormOrd2NeedsSingularValues) {
  GraphBuilder b;
  ValueId m = b.input(randn({2, 2}));
  EXPECT_THROW(b.node1("aten::linalg_matrix_norm", {V(m), C(2), C({-2, -1}), C(false), None()}), std::exception);
}

TEST_F(T, DetAndLogdet) {
  GraphBuilder b;
  ValueId a = b.input(randn({3, 3}));
  ValueId batch = b.input(randn({2, 4, 4}));
  ValueId spd = b.input(values(DType::Float32, {2, 2}, {2, 1, 1, 3}));
  b.output(b.node1("aten::det", {V(a)}));
  b.output(b.node1("aten::linalg_det", {V(batch)}));
  b.output(b.node1("aten::linalg_det", {V(b.input(randn({0, 0})))}));
  b.output(b.node1("aten::logdet", {V(spd)}));
  b.output(b.node1("aten::logdet", {V(b.input(values(DType::Float32, {2, 2}, {0, 1, 1, 0})))}));  // det -1: NaN
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

TEST_F(T, TakeIndexFillIndexCopy) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 3}));
  b.output(b.node1("aten::take", {V(x), V(b.input(values(DType::Int64, {2, 2}, {0, 8, -1, 4})))}));
  b.output(b.node1("aten::take", {V(b.input(randn({}))), V(b.input(values(DType::Int64, {1}, {0})))}));
  b.output(b.node1("aten::take", {V(b.input(randint({0}, 0, 1))), V(b.input(randint({0}, 0, 1)))}));
  ValueId idx = b.input(values(DType::Int64, {3}, {0, -1, 0}));
  b.output(b.node1("aten::index_fill", {V(x), C(1), V(idx), C(-2.5)}));
  b.output(b.node1("aten::index_fill", {V(b.input(randint({4, 2}, -5, 5))), C(0), V(b.input(values(DType::Int64, {}, {2}))), C(7)}));
  b.output(b.node1("aten::index_fill", {V(b.input(randn({}))), C(0), V(b.input(values(DType::Int64, {1}, {0}))),
                                        V(b.input(randn({})))}));
  b.output(b.node1("aten::index_fill", {V(x), C(0), V(b.input(randint({0}, 0, 1))), C(1.0)}));
  b.output(b.node1("aten::index_copy", {V(b.input(randn({5, 5}))), C(1), V(b.input(values(DType::Int64, {3}, {4, 0, 2}))),
                                        V(b.input(randn({5, 3})))}));
  b.output(b.node1("aten::index_copy", {V(b.input(randint({4, 2}, -5, 5))), C(0), V(b.input(values(DType::Int64, {1}, {3}))),
                                        V(b.input(randint({1, 2}, -5, 5)))}));
  b.output(b.node1("aten::index_copy", {V(b.input(randn({}))), C(0), V(b.input(values(DType::Int64, {1}, {0}))),
                                        V(b.input(randn({})))}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, MaskedScatterAndBucketize) {
  GraphBuilder b;
  ValueId x = b.input(randn({5, 5}));
  b.output(b.node1("aten::masked_scatter", {V(x), V(b.input(randbool({5, 5}))), V(b.input(randn({5, 5})))}));
  b.output(b.node1("aten::masked_scatter", {V(x), V(b.input(randbool({5}))), V(b.input(randn({6, 5})))}));
  b.output(b.node1("aten::masked_scatter", {V(b.input(randint({5, 5}, -9, 9))), V(b.input(values(DType::Bool, {}, {1}))),
                                            V(b.input(randint({5, 5}, -9, 9)))}));
  b.output(b.node1("aten::masked_scatter", {V(x), V(b.input(values(DType::Bool, {}, {0}))), V(b.input(randn({0})))}));
  b.output(b.node1("aten::masked_scatter", {V(b.input(randn({5}))), V(b.input(randbool({5, 5}))), V(b.input(randn({5, 5})))}));
  b.output(b.node1("aten::masked_scatter", {V(b.input(randbool({5, 5}))), V(b.input(randbool({5}))), V(b.input(randbool({5, 5})))}));
  b.output(b.node1("aten::addcmul", {V(b.input(randint({1}, -5, 5))), V(b.input(randint({5, 5, 1}, -5, 5))),
                                     V(b.input(randint({1, 5}, -5, 5))), C(-2.7)}));
  b.output(b.node1("aten::bucketize", {V(b.input(randn({5, 0, 5}))), V(b.input(values(DType::Float32, {2}, {0, 1}))), C(false),
                                       C(false)}));
  ValueId bounds = b.input(values(DType::Float32, {5}, {-1, -0.5, 0, 0.5, 1}));
  ValueId y = b.input(values(DType::Float32, {2, 4}, {-2, -1, -0.2, 0, 0.5, 0.7, 1, 3}));
  b.output(b.node1("aten::bucketize", {V(y), V(bounds), C(false), C(false)}));
  b.output(b.node1("aten::bucketize", {V(y), V(bounds), C(true), C(true)}));
  b.output(b.node1("aten::bucketize", {V(b.input(randint({}, -3, 3))), V(b.input(values(DType::Int64, {3}, {-1, 0, 2}))), C(false),
                                       C(false)}));
  b.output(b.node1("aten::bucketize", {V(b.input(randint({5, 1, 5}, -3, 3))), V(bounds), C(false), C(true)}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, UnfoldAsStridedMovedim) {
  GraphBuilder b;
  ValueId x = b.input(randn({5, 5, 5, 5}));
  b.output(b.node1("aten::unfold", {V(x), C(2), C(3), C(2)}));
  b.output(b.node1("aten::unfold", {V(x), C(-1), C(5), C(1)}));
  b.output(b.node1("aten::unfold", {V(b.input(randint({10}, -5, 5))), C(0), C(3), C(2)}));
  b.output(b.node1("aten::unfold", {V(b.input(randn({}))), C(0), C(1), C(1)}));
  b.output(b.node1("aten::unfold", {V(b.input(randn({3, 4}))), C(0), C(0), C(1)}));
  b.output(b.node1("aten::as_strided", {V(b.input(randn({3, 3}))), C({2, 2}), C({1, 2}), C(0)}));
  b.output(b.node1("aten::as_strided", {V(b.input(randint({16}, -5, 5))), C({2, 2, 2, 2}), C({1, 1, 1, 1}), C(3)}));
  b.output(b.node1("aten::as_strided", {V(b.input(randn({2, 3}))), C({3, 2}), C({1, 3}), None()}));
  ValueId y = b.input(randn({4, 3, 2, 1}));
  b.output(b.node1("aten::movedim", {V(y), C({0, 1, 2, 3}), C({3, 2, 1, 0})}));
  b.output(b.node1("aten::movedim", {V(y), C({0, -1}), C({-2, 0})}));
  b.output(b.node1("aten::movedim", {V(y), C(1), C(-1)}));
  b.output(b.node1("aten::moveaxis", {V(y), C({3}), C({0})}));
  check_graph(b, {.opsets = kForms});
}

TEST_F(T, AsStridedOfATransposedViewIsRefused) {
  GraphBuilder b;
  ValueId t = b.node1("aten::transpose", {V(b.input(randn({3, 4}))), C(0), C(1)});
  b.output(b.node1("aten::as_strided", {V(t), C({2, 2}), C({1, 2}), C(0)}));
  expect_translate_error(b, 17, "view made by aten::transpose");
}

TEST_F(T, ConjPhysicalLogspaceTriangleIndices) {
  GraphBuilder b;
  b.output(b.node1("aten::conj_physical", {V(b.input(randn({4, 4})))}));
  b.output(b.node1("aten::conj_physical", {V(b.input(randint({3}, -3, 3)))}));
  // logspace(start, end, steps, base, dtype, layout, device, pin_memory)
  b.output(b.node1("aten::logspace", {C(0), C(2), C(5), C(10.0), None(), None(), None(), None()}));
  b.output(b.node1("aten::logspace", {C(1.2), C(3), C(4), C(10.0), Dt(DType::Int64), None(), None(), None()}));
  b.output(b.node1("aten::logspace", {C(-1.5), C(2.5), C(7), C(2.0), Dt(DType::Float64), None(), None(), None()}));
  b.output(b.node1("aten::logspace", {C(0.5), C(2), C(1), C(3.0), None(), None(), None(), None()}));
  b.output(b.node1("aten::logspace", {C(0), C(-3), C(0), C(10.0), None(), None(), None(), None()}));
  // tril_indices / triu_indices(row, col, offset, dtype, layout, device, pin_memory)
  for (const char* op : {"aten::tril_indices", "aten::triu_indices"}) {
    b.output(b.node1(op, {C(4), C(3), C(0), None(), None(), None(), None()}));
    b.output(b.node1(op, {C(20), C(21), C(7), Dt(DType::Int64), None(), None(), None()}));
    b.output(b.node1(op, {C(3), C(5), C(-1), Dt(DType::Int32), None(), None(), None()}));
    b.output(b.node1(op, {C(0), C(0), C(0), None(), None(), None(), None()}));
  }
  check_graph(b, {.opsets = kForms, .atol = 1e-4});
}

// Ops that had a meta function and no translator (aten::copy, from
// self.copy_(src)), or a translator and no meta function (the 3-D named pads,
// concat, swapdims, positive: see docs/op-consistency.md).
TEST_F(T, CopyNamedPadsAndAliases) {
  GraphBuilder b;
  b.output(b.node1("aten::copy", {V(b.input(randn({2, 3}))), V(b.input(randint({3}, -4, 4))), C(false)}));
  b.output(b.node1("aten::copy", {V(b.input(randint({2, 2}, -4, 4))), V(b.input(randn({2, 2}))), C(false)}));
  b.output(b.node1("aten::reflection_pad1d", {V(b.input(randn({1, 2, 5}))), C({2, 1})}));
  b.output(b.node1("aten::reflection_pad2d", {V(b.input(randn({1, 2, 3, 4}))), C({1, 2, 0, 2})}));
  b.output(b.node1("aten::reflection_pad3d", {V(b.input(randn({1, 1, 3, 3, 4}))), C({1, 1, 2, 0, 1, 2})}));
  b.output(b.node1("aten::replication_pad1d", {V(b.input(randn({2, 5}))), C({1, 3})}));
  b.output(b.node1("aten::replication_pad2d", {V(b.input(randn({1, 1, 3, 3}))), C({1, 0, 0, 2})}));
  b.output(b.node1("aten::replication_pad3d", {V(b.input(randn({1, 2, 2, 3, 2}))), C({0, 2, 1, 1, 1, 0})}));
  b.output(b.node1("aten::concat", {L({V(b.input(randn({2, 3}))), V(b.input(randn({1, 3})))}), C(0)}));
  b.output(b.node1("aten::swapdims", {V(b.input(randn({2, 3, 4}))), C(0), C(2)}));
  b.output(b.node1("aten::positive", {V(b.input(randint({3}, -3, 3)))}));
  check_graph(b, {.opsets = kForms});
}

}  // namespace
}  // namespace onnxport::translator_tests
