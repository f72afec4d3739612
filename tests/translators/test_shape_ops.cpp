// Shape, indexing and factory translators.
#include "harness.hpp"

#include <numeric>

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;
const std::vector<int> kAllForms{13, 17, 18};

TEST_F(T, ViewConstantShape) {
  GraphBuilder b;
  check_op(b, "aten::view", {V(b.input(randn({2, 6}))), C({3, -1})});
}

TEST_F(T, ReshapeWithSymIntFromSize) {
  // view(x, [x.size(0), 2, 3]) on a dynamic batch: Concat of the Unsqueezed
  // size and the constants, so the batch stays dynamic.
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({4, 6}), {"batch"});
  ValueId n = b.node1("aten::size", {V(x), C(0)});
  b.output(b.node1("aten::reshape", {V(x), L({V(n), C(2), C(3)})}));
  check_graph(b, {.expect_ops = {{13, {"Concat", "Unsqueeze"}}}});
}

TEST_F(T, ViewAs) {
  GraphBuilder b;
  check_op(b, "aten::view_as", {V(b.input(randn({2, 6}))), V(b.input(randn({4, 3})))});
}

TEST_F(T, FlattenFromOneIsOnnxFlatten) {
  GraphBuilder b;
  check_op(b, "aten::flatten", {V(b.input(randn({2, 3, 4, 5}))), C(1), C(-1)}, {.expect_ops = {{13, {"Flatten"}}}});
}

TEST_F(T, FlattenMiddleDims) {
  GraphBuilder b;
  check_op(b, "aten::flatten", {V(b.input(randn({2, 3, 4, 5}))), C(1), C(2)});
}

TEST_F(T, FlattenMiddleDimsDynamicTail) {
  GraphBuilder b;
  check_op(b, "aten::flatten", {V(b.input_symbolic(randn({2, 3, 4, 5}), {"", "", "", "w"})), C(0), C(1)});
}

TEST_F(T, FlattenAll) {
  GraphBuilder b;
  check_op(b, "aten::flatten", {V(b.input(randn({2, 3, 4}))), C(0), C(-1)});
}

TEST_F(T, SqueezeAll) {
  GraphBuilder b;
  check_op(b, "aten::squeeze", {V(b.input(randn({1, 3, 1, 2})))});
}

TEST_F(T, SqueezeDimOfSizeOne) {
  GraphBuilder b;
  check_op(b, "aten::squeeze", {V(b.input(randn({3, 1, 2}))), C(1)});
}

TEST_F(T, SqueezeDimNotOneIsIdentity) {
  GraphBuilder b;
  check_op(b, "aten::squeeze", {V(b.input(randn({3, 2}))), C(0)});
}

// torch squeezes a dynamic dim when it is 1 at run time. As a graph output
// the export does the same (Reshape to the shape without the size-1 dims).
TEST_F(T, SqueezeOfDynamicDimAsOutputSqueezesAtRunTime) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({2, 3}), {"b"});
  b.output(b.node1("aten::squeeze", {V(x), C(0)}));
  check_graph(b, {.expect_ops = {{13, {"Compress", "Reshape"}}, {17, {"Compress", "Reshape"}}}});
}

// Feeding another op, the kept dim cannot become size 1: the model refuses
// that size at run time (Reshape to -2) instead of computing something else.
TEST_F(T, SqueezeOfDynamicDimFeedingAnOpRefusesSizeOne) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({2, 3}), {"b"});
  ValueId y = b.node1("aten::squeeze", {V(x), C(0)});
  b.output(b.node1("aten::relu", {V(y)}));
  check_graph(b, {.expect_ops = {{13, {"Where", "Reshape"}}, {17, {"Where", "Reshape"}}}});
}

TEST_F(T, Unsqueeze) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 2}));
  b.output(b.node1("aten::unsqueeze", {V(x), C(0)}));
  b.output(b.node1("aten::unsqueeze", {V(x), C(-1)}));
  check_graph(b);
}

TEST_F(T, TransposePermuteT) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3, 4}));
  ValueId m = b.input(randn({3, 5}));
  b.output(b.node1("aten::transpose", {V(x), C(0), C(-1)}));
  b.output(b.node1("aten::permute", {V(x), C({1, 2, 0})}));
  b.output(b.node1("aten::t", {V(m)}));
  check_graph(b);
}

TEST_F(T, IdentitiesAndEvalDropout) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::contiguous", {V(x), C(0)}));
  b.output(b.node1("aten::detach", {V(x)}));
  b.output(b.node1("aten::dropout", {V(x), C(0.5), C(false)}));
  check_graph(b);
}

TEST_F(T, DropoutInTrainingIsAnError) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::dropout", {V(x), C(0.5), C(true)}));
  expect_translate_error(b, 17, "train=True");
}

// p == 0 is the identity even with train=True (ATen returns the input), as
// torchvision's Swin calls F.dropout(attn, p=0.0) with the default training=True.
TEST_F(T, DropoutWithZeroProbabilityIsTheIdentityInTraining) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::dropout", {V(x), C(0.0), C(true)}));
  b.output(b.node1("aten::feature_alpha_dropout", {V(x), C(0.0), C(true)}));
  check_graph(b);
}

TEST_F(T, ExpandWithMinusOne) {
  GraphBuilder b;
  check_op(b, "aten::expand", {V(b.input(randn({3, 1}))), C({2, -1, 4}), C(false)});
}

TEST_F(T, ExpandAs) {
  GraphBuilder b;
  check_op(b, "aten::expand_as", {V(b.input(randn({1, 4}))), V(b.input(randn({3, 4})))});
}

TEST_F(T, RepeatAddsLeadingDims) {
  GraphBuilder b;
  check_op(b, "aten::repeat", {V(b.input(randn({2, 3}))), C({2, 1, 3})});
}

TEST_F(T, RepeatBySymbolicCount) {
  // coords[None].repeat(x.size(0), 1, 1): the count is the dynamic batch.
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({3, 2}), {"batch"});
  ValueId grid = b.input(randn({2, 4}));
  ValueId n = b.node1("aten::size", {V(x), C(0)});
  ValueId lifted = b.node1("aten::unsqueeze", {V(grid), C(0)});
  b.output(b.node1("aten::repeat", {V(lifted), L({V(n), C(1), C(1)})}));
  check_graph(b, {.opsets = kAllForms});
}

TEST_F(T, CatMixedDtypesPromotes) {
  GraphBuilder b;
  ValueId a = b.input(randn({2, 3}));
  ValueId c = b.input(randint({1, 3}, -5, 5));
  check_op(b, "aten::cat", {L({V(a), V(c)}), C(0)});
}

TEST_F(T, CatNegativeDim) {
  GraphBuilder b;
  ValueId a = b.input(randn({2, 3}));
  ValueId c = b.input(randn({2, 1}));
  check_op(b, "aten::cat", {L({V(a), V(c)}), C(-1)});
}

TEST_F(T, Stack) {
  GraphBuilder b;
  ValueId a = b.input(randn({2, 3}));
  ValueId c = b.input(randn({2, 3}));
  check_op(b, "aten::stack", {L({V(a), V(c)}), C(1)});
}

TEST_F(T, SplitBySize) {
  GraphBuilder b;
  check_op(b, "aten::split", {V(b.input(randn({7, 2}))), C(3), C(0)}, {.opsets = kAllForms});
}

TEST_F(T, SplitWithSizes) {
  GraphBuilder b;
  check_op(b, "aten::split_with_sizes", {V(b.input(randn({2, 6}))), C({1, 2, 3}), C(1)}, {.opsets = kAllForms});
}

// The op library's meta refuses splits of symbolic dims (the number of
// outputs would depend on the size); a strategy that specializes the count
// still emits them, so the node is typed by hand here.
void split_dynamic(GraphBuilder& b, const std::string& op, std::vector<Arg> tail, std::vector<int64_t> sizes) {
  ValueId x = b.input_symbolic(randn({std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), 2}), {"n"});
  std::vector<Arg> args{V(x)};
  args.insert(args.end(), tail.begin(), tail.end());
  std::vector<std::pair<DType, Shape>> types;
  for (size_t k = 0; k < sizes.size(); ++k) types.emplace_back(DType::Float32, Shape{Dim::symbol("s" + std::to_string(k)), 2});
  for (ValueId v : b.node_typed(op, std::move(args), types)) b.output(v);
}

TEST_F(T, SplitBySizeDynamicDim) {
  GraphBuilder b;
  split_dynamic(b, "aten::split", {C(3), C(0)}, {3, 3, 2});
  check_graph(b, {.opsets = kAllForms});
}

TEST_F(T, ChunkUneven) {
  GraphBuilder b;
  check_op(b, "aten::chunk", {V(b.input(randn({3, 5}))), C(3), C(1)}, {.opsets = kAllForms});
}

TEST_F(T, ChunkDynamicDimUsesNumOutputsAt18) {
  GraphBuilder b;
  split_dynamic(b, "aten::chunk", {C(3), C(0)}, {3, 3, 1});
  onnx::ModelProto m = check_graph(b, {.opsets = kAllForms});
  bool has_num_outputs = false;
  for (const auto& n : m.graph().node())
    for (const auto& a : n.attribute()) has_num_outputs |= n.op_type() == "Split" && a.name() == "num_outputs";
  EXPECT_TRUE(has_num_outputs);
}

TEST_F(T, ChunkDynamicDimBefore18) {
  GraphBuilder b;
  split_dynamic(b, "aten::chunk", {C(4), C(0)}, {3, 3, 3, 1});
  check_graph(b, {.opsets = {13, 17}});
}

TEST_F(T, Unbind) {
  GraphBuilder b;
  check_op(b, "aten::unbind", {V(b.input(randn({3, 2})))}, {.opsets = kAllForms});
}

TEST_F(T, ChunkOfAnEmptyDimGivesEmptyPieces) {
  GraphBuilder b;
  check_op(b, "aten::chunk", {V(b.input(randn({0, 2}))), C(3), C(0)}, {.opsets = kAllForms});
}

TEST_F(T, ChunkOfTwiceADynamicDim) {
  // RAFT: two images stacked on the batch dim, chunked apart again.
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({3, 2}), {"n"});
  ValueId stacked = b.node1("aten::cat", {L({V(x), V(x)}), C(0)});
  for (ValueId v : b.node("aten::chunk", {V(stacked), C(2), C(0)})) b.output(v);
  check_graph(b, {.opsets = kAllForms});
}

TEST_F(T, TensorSplitBySectionsAndIndices) {
  // MViT: class_token, x = torch.tensor_split(x, indices=(1,), dim=2)
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({2, 3, 7}), {"batch", "", ""});
  for (ValueId v : b.node("aten::tensor_split", {V(x), L({C(1)}), C(2)})) b.output(v);
  for (ValueId v : b.node("aten::tensor_split", {V(x), C(3), C(-1)})) b.output(v);
  for (ValueId v : b.node("aten::tensor_split", {V(x), C({-2, 9}), C(1)})) b.output(v);
  check_graph(b, {.opsets = kAllForms});
}

TEST_F(T, MeshgridIj) {
  GraphBuilder b;
  check_op(b, "aten::meshgrid", {L({V(b.input(randn({3}))), V(b.input(randn({}))), V(b.input(randn({4})))}), C("ij")},
           {.opsets = kAllForms});
}

TEST_F(T, MeshgridXySwapsTheFirstTwoAxes) {
  GraphBuilder b;
  check_op(b, "aten::meshgrid", {L({V(b.input(randn({3}))), V(b.input(randn({4}))), V(b.input(randn({2})))}), C("xy")});
}

TEST_F(T, MeshgridOfADynamicLength) {
  GraphBuilder b;
  ValueId a = b.input_symbolic(randn({5}), {"n"});
  ValueId c = b.input(randn({2}));
  auto outs = b.node("aten::meshgrid", {L({V(a), V(c)})});
  for (ValueId o : outs) b.output(o);
  check_graph(b);
}

TEST_F(T, SliceStartEndStep) {
  GraphBuilder b;
  check_op(b, "aten::slice", {V(b.input(randn({4, 10}))), C(1), C(1), C(9), C(3)});
}

TEST_F(T, SliceOpenEnds) {
  GraphBuilder b;
  check_op(b, "aten::slice", {V(b.input(randn({5, 3}))), C(0), None(), C(-2), C(1)});
}

TEST_F(T, SliceToInt64Max) {
  GraphBuilder b;
  check_op(b, "aten::slice",
           {V(b.input(randn({5, 3}))), C(0), C(2), C(std::numeric_limits<int64_t>::max()), C(1)});
}

TEST_F(T, SelectNegativeIndex) {
  GraphBuilder b;
  check_op(b, "aten::select", {V(b.input(randn({3, 4}))), C(1), C(-1)});
}

TEST_F(T, Narrow) {
  GraphBuilder b;
  check_op(b, "aten::narrow", {V(b.input(randn({3, 6}))), C(1), C(2), C(3)});
}

TEST_F(T, IndexSelect) {
  GraphBuilder b;
  check_op(b, "aten::index_select", {V(b.input(randn({4, 3}))), C(0), V(b.input(values(DType::Int64, {3}, {3, 0, 3})))});
}

TEST_F(T, Gather) {
  GraphBuilder b;
  check_op(b, "aten::gather", {V(b.input(randn({3, 4}))), C(1), V(b.input(randint({3, 2}, 0, 4))), C(false)});
}

TEST_F(T, IndexWithOneTensorOnSecondDim) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 4}));
  ValueId idx = b.input(values(DType::Int64, {2}, {2, 0}));
  check_op(b, "aten::index", {V(x), L({None(), V(idx)})});
}

TEST_F(T, Cumsum) {
  GraphBuilder b;
  check_op(b, "aten::cumsum", {V(b.input(randn({3, 4}))), C(1), None()});
}

TEST_F(T, ZerosOnesFull) {
  GraphBuilder b;
  b.output(b.node1("aten::zeros", {C({2, 3}), Dt(DType::Float32), None(), None(), None()}));
  b.output(b.node1("aten::ones", {C({4}), Dt(DType::Int64), None(), None(), None()}));
  b.output(b.node1("aten::full", {C({2, 2}), C(1.5), Dt(DType::Float32), None(), None(), None()}));
  // A model needs at least one input for ONNX Runtime to be happy to run.
  ValueId x = b.input(randn({2}));
  b.output(b.node1("aten::neg", {V(x)}));
  check_graph(b);
}

TEST_F(T, LikeFactories) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::zeros_like", {V(x), None(), None(), None(), None(), None()}));
  b.output(b.node1("aten::ones_like", {V(x), Dt(DType::Int64), None(), None(), None(), None()}));
  b.output(b.node1("aten::full_like", {V(x), C(7), None(), None(), None(), None(), None()}));
  check_graph(b);
}

TEST_F(T, FullWithDynamicSize) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({3, 2}), {"n"});
  ValueId n = b.node1("aten::size", {V(x), C(0)});
  b.output(b.node1("aten::zeros", {L({V(n), C(4)}), Dt(DType::Float32), None(), None(), None()}));
  check_graph(b);
}

TEST_F(T, ArangeOverloads) {
  GraphBuilder b;
  ValueId x = b.input(randn({2}));
  b.output(b.node1("aten::neg", {V(x)}));
  b.output(b.node1("aten::arange", {C(5), None(), None(), None(), None()}));
  b.output(b.node1("aten::arange", {C(2), C(7), Dt(DType::Float32), None(), None(), None()}));
  b.output(b.node1("aten::arange", {C(0.5), C(3.0), C(0.5), None(), None(), None(), None()}));
  check_graph(b);
}

TEST_F(T, ArangeOfDynamicSize) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({5}), {"n"});
  ValueId n = b.node1("aten::size", {V(x), C(0)});
  b.output(b.node1("aten::arange", {V(n), None(), None(), None(), None()}));
  check_graph(b);
}


TEST_F(T, Unflatten) {
  GraphBuilder b;
  check_op(b, "aten::unflatten", {V(b.input(randn({2, 12, 3}))), C(1), C({3, -1})});
}

TEST_F(T, Swapaxes) {
  GraphBuilder b;
  check_op(b, "aten::swapaxes", {V(b.input(randn({2, 3, 4}))), C(0), C(2)});
}

TEST_F(T, TopkSmallest) {
  GraphBuilder b;
  check_op(b, "aten::topk", {V(b.input(randn({3, 6}))), C(2), C(-1), C(false), C(true)});
}

TEST_F(T, SortDescendingAndArgsort) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 5}));
  for (ValueId v : b.node("aten::sort", {V(x), C(1), C(true)})) b.output(v);
  b.output(b.node1("aten::argsort", {V(x), C(0), C(false)}));
  check_graph(b);
}

TEST_F(T, EyeAndLinspace) {
  GraphBuilder b;
  ValueId x = b.input(randn({2}));
  b.output(b.node1("aten::neg", {V(x)}));
  b.output(b.node1("aten::eye", {C(3), C(4), Dt(DType::Float32), None(), None(), None()}));
  b.output(b.node1("aten::linspace", {C(-1.0), C(2.0), C(7), None(), None(), None(), None()}));
  check_graph(b);
}

TEST_F(T, TensorFromNestedList) {
  GraphBuilder b;
  ValueId x = b.input(randn({2}));
  b.output(b.node1("aten::neg", {V(x)}));
  b.output(b.node1("aten::tensor", {C({{1, 2}, {3, 4}}), Dt(DType::Float32), None(), C(false)}));
  check_graph(b);
}

TEST_F(T, FillAndZero) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::fill", {V(x), C(2.5)}));
  b.output(b.node1("aten::zero", {V(x)}));
  check_graph(b);
}

TEST_F(T, TrilTriuFromOpset14ByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  b.output(b.node_typed("aten::tril", {V(x), C(0)}, {{DType::Float32, Shape{3, 3}}})[0]);
  b.output(b.node_typed("aten::triu", {V(x), C(1)}, {{DType::Float32, Shape{3, 3}}})[0]);
  check_graph(b, {.opsets = {14, 17},
                  .expected = {values(DType::Float32, {3, 3}, {1, 0, 0, 4, 5, 0, 7, 8, 9}),
                               values(DType::Float32, {3, 3}, {0, 2, 3, 0, 0, 6, 0, 0, 0})}});
}

TEST_F(T, TrilHasNoTranslatorAtOpset13) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 3}));
  b.output(b.node_typed("aten::tril", {V(x), C(0)}, {{DType::Float32, Shape{3, 3}}})[0]);
  expect_translate_error(b, 13, "aten::tril");
}

TEST_F(T, FlipByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  b.output(b.node_typed("aten::flip", {V(x), C({0, 1})}, {{DType::Float32, Shape{2, 3}}})[0]);
  check_graph(b, {.expected = {values(DType::Float32, {2, 3}, {6, 5, 4, 3, 2, 1})}});
}

TEST_F(T, SizeAndNumelOfDynamicInput) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({4, 3}), {"n"});
  b.output(b.node1("aten::size", {V(x), C(0)}));
  b.output(b.node_typed("aten::numel", {V(x)}, {{DType::Int64, Shape{}}})[0]);
  check_graph(b, {.expected = {values(DType::Int64, {}, {4}), values(DType::Int64, {}, {12})}});
}

TEST_F(T, BooleanMaskIndexIsAClearError) {
  GraphBuilder b;
  ValueId x = b.input(randn({4}));
  ValueId mask = b.input(randbool({4}));
  b.output(b.node_typed("aten::index", {V(x), L({V(mask)})}, {{DType::Float32, Shape{Dim::symbol("u0")}}})[0]);
  expect_translate_error(b, 17, "data-dependent output shape");
}

}  // namespace
}  // namespace onnxport::translator_tests
