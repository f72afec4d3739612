// optimize_model: constant folding, no-op removal, dead-node and unused
// initializer removal, subgraph captures, stable output names.
#include "onnx_test_util.hpp"
#include "proto_util.hpp"

#include <onnx/defs/parser.h>

#include <gtest/gtest.h>

#include <cstring>

namespace onnxport {
namespace {

using namespace onnxport::testing;
using onnx_build::set_tensor_type;
using onnx_build::tensor_to_proto;

// Builds a model from ONNX's text syntax (onnx/defs/parser.h).
onnx::ModelProto parse(const std::string& text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text.c_str());
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  return m;
}

std::vector<std::string> output_names(const onnx::GraphProto& g) {
  std::vector<std::string> out;
  for (const auto& o : g.output()) out.push_back(o.name());
  return out;
}

void expect_valid(onnx::ModelProto& m) {
  const auto problems = check_model(m);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].message);
}

TEST(Optimize, SeedDraftModelBecomesMatMulAddMatMulAddMul) {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, TranslateOptions{});
  ASSERT_TRUE(r.ok);
  onnx::ModelProto& m = r.model;
  const OptimizeStats stats = optimize_model(m);

  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"MatMul", "Add", "MatMul", "Add", "Mul"}));
  EXPECT_EQ(output_names(m.graph()), (std::vector<std::string>{"mul"}));
  EXPECT_EQ(find_node_by_output(m.graph(), "linear")->op_type(), "Add");
  // Transpose(weight) was folded into an initializer named after its output;
  // the original weights are no longer used and are gone.
  EXPECT_EQ(find_initializer(m.graph(), "mlp.0.weight"), nullptr);
  EXPECT_EQ(find_initializer(m.graph(), "mlp.1.weight"), nullptr);
  const onnx::NodeProto& matmul = m.graph().node(0);
  const onnx::TensorProto* wt = find_initializer(m.graph(), matmul.input(1));
  ASSERT_NE(wt, nullptr);
  EXPECT_EQ(std::vector<int64_t>(wt->dims().begin(), wt->dims().end()), (std::vector<int64_t>{3, 2}));
  const auto& w = seed.w0_values;  // [2, 3] row-major -> transposed [3, 2]
  EXPECT_EQ(floats_of(*wt), (std::vector<float>{w[0], w[3], w[1], w[4], w[2], w[5]}));
  // The constant 2 is an initializer now.
  const onnx::TensorProto* two = find_initializer(m.graph(), m.graph().node(4).input(1));
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(floats_of(*two), (std::vector<float>{2.0f}));
  EXPECT_NE(find_initializer(m.graph(), "mlp.0.bias"), nullptr);
  EXPECT_EQ(m.graph().initializer_size(), 5);  // 2 transposed weights, 2 biases, 2.0

  EXPECT_EQ(stats.folded, 3);
  EXPECT_EQ(stats.removed_initializers, 2);
  EXPECT_EQ(stats.nodes_before, 8);
  EXPECT_EQ(stats.nodes_after, 5);
  // Provenance is kept on the surviving nodes.
  EXPECT_EQ(meta(m.graph().node(1), "scope"), "mlp.0");
  expect_valid(m);
}

TEST(Optimize, SeedCondModelKeepsTheIfAndWhatItsBranchesCapture) {
  SeedGraph seed;
  seed.finish_cond();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, TranslateOptions{});
  ASSERT_TRUE(r.ok);
  onnx::ModelProto& m = r.model;
  optimize_model(m);
  // linear_1 is used by the branches (and ReduceSum); nothing it needs is removed.
  EXPECT_EQ(op_types(m.graph()),
            (std::vector<std::string>{"MatMul", "Add", "MatMul", "Add", "ReduceSum", "Greater", "If"}));
  const onnx::NodeProto* node_if = find_node_by_op(m.graph(), "If");
  ASSERT_NE(node_if, nullptr);
  for (const auto& a : node_if->attribute()) {
    if (a.name() == "then_branch") EXPECT_EQ(op_types(a.g()), (std::vector<std::string>{"Constant", "Mul"}));
    else EXPECT_EQ(op_types(a.g()), (std::vector<std::string>{"Neg"}));
  }
  expect_valid(m);
}

TEST(Optimize, RemovesIdentityChainsAndKeepsOutputNames) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) {
      a = Identity(x)
      b = Identity(a)
      r = Relu(b)
      y = Identity(r)
    }
  )");
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Relu"}));
  EXPECT_EQ(m.graph().node(0).input(0), "x");
  EXPECT_EQ(m.graph().node(0).output(0), "y");  // the producer took the output's name
  EXPECT_EQ(output_names(m.graph()), (std::vector<std::string>{"y"}));
  EXPECT_EQ(stats.removed_noop, 3);
  expect_valid(m);
}

TEST(Optimize, KeepsAnIdentityFromAnInputToAnOutput) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y, float[2] z) {
      y = Identity(x)
      z = Relu(x)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Identity", "Relu"}));
  EXPECT_EQ(output_names(m.graph()), (std::vector<std::string>{"y", "z"}));
  expect_valid(m);
}

TEST(Optimize, TwoOutputsOfOneValueKeepOneIdentity) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y, float[2] z) {
      r = Relu(x)
      y = Identity(r)
      z = Identity(r)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(output_names(m.graph()), (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Relu", "Identity"}));
  EXPECT_EQ(m.graph().node(0).output(0), "y");
  EXPECT_EQ(m.graph().node(1).input(0), "y");
  expect_valid(m);
}

TEST(Optimize, RemovesDeadNodesAndUnusedInitializers) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) <float[2] unused = {1.0, 2.0}, float[2] w = {3.0, 4.0}> {
      dead1 = Add(x, unused)
      dead2 = Neg(dead1)
      y = Mul(x, w)
    }
  )");
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Mul"}));
  EXPECT_EQ(stats.removed_dead, 2);
  EXPECT_EQ(stats.removed_initializers, 1);
  ASSERT_EQ(m.graph().initializer_size(), 1);
  EXPECT_EQ(m.graph().initializer(0).name(), "w");
  expect_valid(m);
}

// A chain of `length` Relu/Neg nodes from x to y, each reading the one before;
// node k also reads initializer "w<k>" when k is even (an Add then).
onnx::ModelProto long_chain(int length) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("chain");
  set_tensor_type(*g.add_input(), "x", DType::Float32, {2});
  std::string last = "x";
  for (int k = 0; k < length; ++k) {
    onnx::NodeProto& n = *g.add_node();
    const std::string out = "v" + std::to_string(k);
    n.add_input(last);
    if (k % 2 == 0) {
      n.set_op_type("Add");
      const std::string w = "w" + std::to_string(k);
      n.add_input(w);
      tensor_to_proto(f32({2}, {1.0f, 2.0f}), w, *g.add_initializer());
    } else {
      n.set_op_type(k % 3 == 0 ? "Neg" : "Relu");
    }
    n.add_output(out);
    last = out;
  }
  set_tensor_type(*g.add_output(), last, DType::Float32, {2});
  return m;
}

TEST(Optimize, UnusedInitializersOfALongGraphWithoutDeadNodesGo) {
  onnx::ModelProto m = long_chain(3000);  // reads of several partitions (hash_join.hpp)
  onnx::GraphProto& g = *m.mutable_graph();
  for (const char* name : {"spare_a", "spare_b"}) tensor_to_proto(f32({2}, {0.0f, 0.0f}), name, *g.add_initializer());
  // An initializer that is also a graph input (an input's default) stays unread.
  tensor_to_proto(f32({2}, {7.0f, 8.0f}), "x_default", *g.add_initializer());
  set_tensor_type(*g.add_input(), "x_default", DType::Float32, {2});
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(stats.removed_dead, 0);
  EXPECT_EQ(stats.removed_initializers, 2);
  EXPECT_EQ(m.graph().node_size(), 3000);
  EXPECT_EQ(m.graph().initializer_size(), 1500 + 1);
  EXPECT_EQ(find_initializer(m.graph(), "spare_a"), nullptr);
  EXPECT_EQ(find_initializer(m.graph(), "spare_b"), nullptr);
  EXPECT_NE(find_initializer(m.graph(), "x_default"), nullptr);
  EXPECT_NE(find_initializer(m.graph(), "w2998"), nullptr);
  expect_valid(m);
}

TEST(Optimize, DeadNodesOfALongGraphAreFoundWithTheirProducers) {
  onnx::ModelProto m = long_chain(3000);
  onnx::GraphProto& g = *m.mutable_graph();
  // A dead branch hanging off the middle: two nodes and the initializer
  // only they read.
  onnx::NodeProto& a = *g.add_node();
  a.set_op_type("Add");
  a.add_input("v1500");
  a.add_input("only_dead_reads");
  a.add_output("dead_a");
  onnx::NodeProto& b = *g.add_node();
  b.set_op_type("Neg");
  b.add_input("dead_a");
  b.add_output("dead_b");
  tensor_to_proto(f32({2}, {1.0f, 1.0f}), "only_dead_reads", *g.add_initializer());  // not zeros: no no-op Add
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(stats.removed_dead, 2);
  EXPECT_EQ(stats.removed_initializers, 1);
  EXPECT_EQ(m.graph().node_size(), 3000);
  EXPECT_EQ(find_initializer(m.graph(), "only_dead_reads"), nullptr);
  EXPECT_EQ(find_node_by_output(m.graph(), "dead_a"), nullptr);
  expect_valid(m);
}

TEST(Optimize, ValuesCapturedBySubgraphsAreNotDead) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (bool c, float[2] x) => (float[2] y) <float[2] k = {5.0, 6.0}> {
      r = Relu(x)
      unused = Neg(x)
      y = If(c) <
        then_branch = then_g () => (float[2] t) { t = Add(r, k) },
        else_branch = else_g () => (float[2] e) { e = Neg(r) }
      >
    }
  )");
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Relu", "If"}));
  EXPECT_NE(find_initializer(m.graph(), "k"), nullptr);  // read only inside then_branch
  EXPECT_EQ(stats.removed_dead, 1);
  EXPECT_EQ(stats.removed_initializers, 0);
  expect_valid(m);
}

TEST(Optimize, DeadNodesInsideBranchesAreRemovedAndOuterNoopsRewired) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (bool c, float[2] x) => (float[2] y) {
      r = Relu(x)
      alias = Identity(r)
      y = If(c) <
        then_branch = then_g () => (float[2] t) { junk = Neg(alias)  t = Abs(alias) },
        else_branch = else_g () => (float[2] e) { e = Neg(alias) }
      >
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Relu", "If"}));
  const onnx::NodeProto* node_if = find_node_by_op(m.graph(), "If");
  for (const auto& a : node_if->attribute()) {
    ASSERT_EQ(a.g().node_size(), 1) << a.name();
    EXPECT_EQ(a.g().node(0).input(0), "r");  // the capture follows the removed Identity
  }
  expect_valid(m);
}

// Initializers as translation writes them (raw_data), so that the bytes the
// optimizer frees early are really gone from the proto.
void as_raw_data(onnx::ModelProto& m) {
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.float_data_size() == 0) continue;
    std::string bytes(static_cast<size_t>(t.float_data_size()) * sizeof(float), '\0');
    std::memcpy(bytes.data(), t.float_data().data(), bytes.size());
    t.clear_float_data();
    t.set_raw_data(bytes);
  }
}

// A weight whose last reader is folded loses its bytes at once (the sweep
// then drops it); one that something else still reads, in the main graph or
// inside a branch, keeps them.
TEST(Optimize, AFoldedWeightKeepsItsBytesWhileAnythingReadsIt) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (bool c, float[2, 2] x) => (float[2, 2] y, float[2, 2] z)
      <float[2, 2] w = {1.0, 2.0, 3.0, 4.0}, float[2, 2] v = {5.0, 6.0, 7.0, 8.0},
       float[2, 2] u = {9.0, 10.0, 11.0, 12.0}> {
      wt = Transpose(w)
      vt = Transpose(v)
      a = MatMul(x, wt)
      b = MatMul(a, vt)
      y = MatMul(b, v)
      ut = Transpose(u)
      z = If(c) <
        then_branch = then_g () => (float[2, 2] t) { t = Add(x, u) },
        else_branch = else_g () => (float[2, 2] e) { e = Add(x, ut) }
      >
    }
  )");
  as_raw_data(m);
  optimize_model(m);
  EXPECT_EQ(find_initializer(m.graph(), "w"), nullptr);
  ASSERT_NE(find_initializer(m.graph(), "wt"), nullptr);
  EXPECT_EQ(floats_of(*find_initializer(m.graph(), "wt")), (std::vector<float>{1, 3, 2, 4}));
  ASSERT_NE(find_initializer(m.graph(), "v"), nullptr);  // MatMul(b, v) reads it
  EXPECT_EQ(floats_of(*find_initializer(m.graph(), "v")), (std::vector<float>{5, 6, 7, 8}));
  EXPECT_EQ(floats_of(*find_initializer(m.graph(), "vt")), (std::vector<float>{5, 7, 6, 8}));
  ASSERT_NE(find_initializer(m.graph(), "u"), nullptr);  // the then branch reads it
  EXPECT_EQ(floats_of(*find_initializer(m.graph(), "u")), (std::vector<float>{9, 10, 11, 12}));
  EXPECT_EQ(floats_of(*find_initializer(m.graph(), "ut")), (std::vector<float>{9, 11, 10, 12}));
  expect_valid(m);
}

TEST(Optimize, FoldsShapeComputationsOverConstants) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[6] x) => (float[2, 3] y) <int64[1] two = {2}, int64[1] minus1 = {-1}, int64[1] zero = {0}> {
      s = Concat<axis = 0>(two, minus1)
      y = Reshape(x, s)
    }
  )");
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Reshape"}));
  const onnx::TensorProto* s = find_initializer(m.graph(), "s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(int64s_of(*s), (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(stats.folded, 1);
  EXPECT_EQ(m.graph().initializer_size(), 1);
  expect_valid(m);
}

TEST(Optimize, FoldsArithmeticGatherUnsqueezeAndCastChains) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2, 3] x) => (float[2, 3] y, int64[2] shape_out) <float[3] a = {1.0, 4.0, 9.0}, float[1] b = {2.0},
                                                            int64[1] idx = {1}, int64[1] ax = {0}> {
      sq = Sqrt(a)
      d = Div(sq, b)
      n = Neg(d)
      r = Reciprocal(n)
      sh = Shape(x)
      g1 = Gather<axis = 0>(sh, idx)
      sq1 = Squeeze(g1, ax)
      u = Unsqueeze(sq1, ax)
      both = Concat<axis = 0>(u, u)
      shape_out = Identity(both)
      y = Add(x, r)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Identity", "Add"}));
  const onnx::TensorProto* r = find_initializer(m.graph(), "r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(floats_of(*r), (std::vector<float>{-2.0f, -1.0f, -2.0f / 3.0f}));
  // Shape(x) folded from x's static shape, then Gather/Squeeze/Unsqueeze/Concat.
  // The graph output keeps its Identity (outputs are produced by nodes) over
  // the folded initializer.
  const onnx::NodeProto* shape_out = find_node_by_output(m.graph(), "shape_out");
  ASSERT_NE(shape_out, nullptr);
  const onnx::TensorProto* both = find_initializer(m.graph(), shape_out->input(0));
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(int64s_of(*both), (std::vector<int64_t>{3, 3}));
  expect_valid(m);
}

TEST(Optimize, FoldsCastAndIntegerArithmetic) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (int64[2] x) => (int64[2] y) <float[2] f = {2.7, -3.9}, int64[2] k = {7, -7}> {
      i = Cast<to = 7>(f)
      q = Div(k, i)
      y = Mul(x, q)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Mul"}));
  const onnx::TensorProto* q = find_initializer(m.graph(), "q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(int64s_of(*q), (std::vector<int64_t>{3, 2}));  // trunc(2.7)=2, trunc(-3.9)=-3; 7/2=3, -7/-3=2
  expect_valid(m);
}

TEST(Optimize, RemovesProvableNoOps) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2, 3] x) => (float[2, 3] y) <float one = {1.0}, float[1, 1] zero = {0.0}, int64[2] same = {2, 3}> {
      c = Cast<to = 1>(x)
      t = Transpose<perm = [0, 1]>(c)
      r = Reshape(t, same)
      m1 = Mul(one, r)
      a0 = Add(m1, zero)
      d = Dropout(a0)
      y = Relu(d)
    }
  )");
  const OptimizeStats stats = optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Relu"}));
  EXPECT_EQ(m.graph().node(0).input(0), "x");
  EXPECT_EQ(stats.removed_noop, 6);
  EXPECT_EQ(m.graph().initializer_size(), 0);
  expect_valid(m);
}

TEST(Optimize, ArithmeticIdentityOnlyWhenBroadcastKeepsTheShape) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[3] x, int64[3] n) => (float[2, 3] y, double[3] z, int64[3] w) <float[2, 3] zeros = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, double[3] dz = {0.0, 0.0, 0.0}, int64[1] two = {2}> {
      y = Add(x, zeros)
      xd = Cast<to = 11>(x)
      z = Add(xd, dz)
      w = Mul(n, two)
    }
  )");
  optimize_model(m);
  // x + zeros[2, 3] broadcasts x: kept. n * 2: kept. xd + 0 (same shape): removed,
  // and since z is a graph output the Cast now produces z.
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Add", "Cast", "Mul"}));
  EXPECT_EQ(find_node_by_output(m.graph(), "z")->op_type(), "Cast");
  EXPECT_EQ(output_names(m.graph()), (std::vector<std::string>{"y", "z", "w"}));
  expect_valid(m);
}

TEST(Optimize, NoOpOnAGraphOutputRenamesItsProducer) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[3] x) => (float[3] z) <float[3] zero = {0.0, 0.0, 0.0}> {
      e = Exp(x)
      n = Neg(e)
      z = Sub(n, zero)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Exp", "Neg"}));
  EXPECT_EQ(m.graph().node(1).output(0), "z");
  expect_valid(m);
}

TEST(Optimize, ConstantsInsideBranchesFoldToConstantNodes) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (bool c, float[2] x) => (float[2] y) <float[2] k = {1.0, 4.0}> {
      y = If(c) <
        then_branch = then_g () => (float[2] t) { s = Sqrt(k)  t = Mul(x, s) },
        else_branch = else_g () => (float[2] e) { e = Neg(x) }
      >
    }
  )");
  optimize_model(m);
  const onnx::NodeProto* node_if = find_node_by_op(m.graph(), "If");
  ASSERT_NE(node_if, nullptr);
  const onnx::GraphProto* then_g = nullptr;
  for (const auto& a : node_if->attribute())
    if (a.name() == "then_branch") then_g = &a.g();
  ASSERT_NE(then_g, nullptr);
  EXPECT_EQ(op_types(*then_g), (std::vector<std::string>{"Constant", "Mul"}));
  EXPECT_EQ(floats_of(then_g->node(0).attribute(0).t()), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(find_initializer(m.graph(), "k"), nullptr);  // no longer read by anyone
  expect_valid(m);
}

// Folding leaves Identity to no-op removal; once the Identity is gone its
// consumer reads the constant directly and folds in the next round.
TEST(Optimize, FoldsThroughAnIdentityOfAConstantInALaterRound) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) {
      c = Constant <value = float[2] {1.0, 2.0}> ()
      i = Identity(c)
      d = Mul(i, i)
      y = Add(x, d)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Add"}));
  ASSERT_EQ(m.graph().initializer_size(), 1);
  expect_valid(m);
  // Nothing is left for another run to do: the fixpoint was reached.
  const OptimizeStats again = optimize_model(m);
  EXPECT_EQ(again.folded + again.removed_dead + again.removed_noop + again.removed_initializers, 0);
}

// A Dropout whose mask output loses its last reader to dead-code removal
// becomes a no-op in the next round.
TEST(Optimize, DropoutBecomesANoOpWhenItsMaskReaderDies) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) {
      r, mask = Dropout(x)
      unused = Not(mask)
      y = Relu(r)
    }
  )");
  optimize_model(m);
  EXPECT_EQ(op_types(m.graph()), (std::vector<std::string>{"Relu"}));
  expect_valid(m);
}

TEST(Optimize, ReachesAFixpointAndIsIdempotent) {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, TranslateOptions{});
  optimize_model(r.model);
  const std::string once = r.model.SerializeAsString();
  const OptimizeStats again = optimize_model(r.model);
  EXPECT_EQ(again.folded + again.removed_dead + again.removed_noop + again.removed_initializers, 0);
  EXPECT_EQ(r.model.SerializeAsString(), once);
}

}  // namespace
}  // namespace onnxport
