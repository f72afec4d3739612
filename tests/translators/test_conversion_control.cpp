// Tensor -> scalar conversions, dtype casts and higher-order ops.
#include "harness.hpp"

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;

TEST_F(T, BoolOfOneElementTensorIsBoolScalar) {
  GraphBuilder b;
  onnx::ModelProto m = check_op(b, "aten::Bool", {V(b.input(values(DType::Float32, {1}, {-0.5})))});
  ASSERT_EQ(m.graph().output_size(), 1);
  const auto& type = m.graph().output(0).type().tensor_type();
  EXPECT_EQ(type.elem_type(), onnx::TensorProto::BOOL);
  EXPECT_EQ(type.shape().dim_size(), 0);
}

TEST_F(T, BoolOfZeroIsFalse) {
  GraphBuilder b;
  check_op(b, "aten::Bool", {V(b.input(values(DType::Float32, {}, {0.0})))});
}

TEST_F(T, IsNonzero) {
  GraphBuilder b;
  check_op(b, "aten::is_nonzero", {V(b.input(values(DType::Int64, {1, 1}, {3})))});
}

TEST_F(T, IntTruncatesTowardZero) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {}, {-2.7}));
  ValueId y = b.input(values(DType::Float32, {1}, {2.7}));
  b.output(b.node1("aten::Int", {V(x)}));
  b.output(b.node1("aten::Int", {V(y)}));
  check_graph(b);
}

TEST_F(T, Item) {
  GraphBuilder b;
  check_op(b, "aten::item", {V(b.input(values(DType::Float32, {1}, {1.25})))});
}

TEST_F(T, ToDtype) {
  GraphBuilder b;
  check_op(b, "aten::to", {V(b.input(uniform({5}, -3, 3))), Dt(DType::Int64), C(false), C(false), None()});
}

TEST_F(T, ToSameDtypeIsIdentity) {
  GraphBuilder b;
  check_op(b, "aten::to", {V(b.input(randn({3}))), Dt(DType::Float32), C(false), C(false), None()},
           {.forbid_ops = {{17, {"Cast"}}}});
}

TEST_F(T, TypeAs) {
  GraphBuilder b;
  check_op(b, "aten::type_as", {V(b.input(randint({4}, -5, 5))), V(b.input(randn({2})))});
}

// The seed's branch: cond(x.sum() > 0, x * 2, -x) over an MLP-free input.
void build_seed_cond(GraphBuilder& b, Tensor x_data) {
  ValueId x = b.input(std::move(x_data));
  ValueId s = b.node1("aten::sum", {V(x), None()});
  ValueId pred = b.node1("aten::gt", {V(s), C(0)});
  Block then_b, else_b;
  then_b.outputs.push_back(b.node1("aten::mul", {V(x), C(2)}, &then_b));
  else_b.outputs.push_back(b.node1("aten::neg", {V(x)}, &else_b));
  Node cond;
  cond.op = "higher_order::cond";
  cond.inputs = {V(pred)};
  Value out;
  out.name = b.graph().unique_name("cond");
  out.dtype = DType::Float32;
  out.shape = b.graph().value(x).shape;
  cond.outputs.push_back(b.graph().add_value(out));
  cond.blocks = {std::move(then_b), std::move(else_b)};
  b.graph().body.nodes.push_back(std::move(cond));
  b.output(b.graph().body.nodes.back().outputs[0]);
}

TEST_F(T, CondTakesThenBranch) {
  GraphBuilder b;
  build_seed_cond(b, values(DType::Float32, {3}, {5, 5, 5}));
  onnx::ModelProto m = check_graph(b, {.expect_ops = {{13, {"If", "Mul", "Neg"}}, {17, {"If", "Mul", "Neg"}}}});
  // The If's branches hold the Mul and the Neg.
  for (const auto& n : m.graph().node()) {
    if (n.op_type() != "If") continue;
    ASSERT_EQ(n.attribute_size(), 2);
    for (const auto& a : n.attribute()) {
      std::string want = a.name() == "then_branch" ? "Mul" : "Neg";
      bool found = false;
      for (const auto& sub : a.g().node()) found |= sub.op_type() == want;
      EXPECT_TRUE(found) << a.name() << " has no " << want;
    }
  }
}

TEST_F(T, CondTakesElseBranch) {
  GraphBuilder b;
  build_seed_cond(b, values(DType::Float32, {3}, {-3, -3, -3}));
  check_graph(b);
}

TEST_F(T, CondOnSymBoolFromAtenBool) {
  // if x.sum(): -> aten::sum, aten::Bool, cond on the SymBool.
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {3}, {1, -1, 0.5}));
  ValueId s = b.node1("aten::sum", {V(x), None()});
  ValueId pred = b.node1("aten::Bool", {V(s)});
  Block then_b, else_b;
  then_b.outputs.push_back(b.node1("aten::mul", {V(x), C(2)}, &then_b));
  else_b.outputs.push_back(b.node1("aten::neg", {V(x)}, &else_b));
  Node cond;
  cond.op = "higher_order::cond";
  cond.inputs = {V(pred)};
  Value out;
  out.name = b.graph().unique_name("cond");
  out.shape = b.graph().value(x).shape;
  cond.outputs.push_back(b.graph().add_value(out));
  cond.blocks = {std::move(then_b), std::move(else_b)};
  b.graph().body.nodes.push_back(std::move(cond));
  b.output(b.graph().body.nodes.back().outputs[0]);
  check_graph(b);
}

TEST_F(T, LoopDoublesCarriedValue) {
  // for i in range(3): x = x * 2   as higher_order::loop(3, True, x).
  GraphBuilder b;
  ValueId x = b.input(randn({2}));
  Graph& g = b.graph();
  Value iter_v;
  iter_v.name = g.unique_name("i");
  iter_v.dtype = DType::Int64;
  iter_v.kind = ValueKind::SymInt;
  Value carried_v;
  carried_v.name = g.unique_name("x_in");
  carried_v.shape = g.value(x).shape;
  Block body;
  body.inputs = {g.add_value(iter_v), g.add_value(carried_v)};
  ValueId doubled = b.node1("aten::mul", {V(body.inputs[1]), C(2)}, &body);
  ValueId total = b.node1("aten::sum", {V(doubled), None()}, &body);
  ValueId keep_going = b.node1("aten::gt", {V(total), C(-1e30)}, &body);
  body.outputs = {keep_going, doubled};
  Node loop;
  loop.op = "higher_order::loop";
  loop.inputs = {C(3), C(true), V(x)};
  Value out;
  out.name = g.unique_name("loop");
  out.shape = g.value(x).shape;
  loop.outputs.push_back(g.add_value(out));
  loop.blocks.push_back(std::move(body));
  g.body.nodes.push_back(std::move(loop));
  b.output(g.body.nodes.back().outputs[0]);
  check_graph(b, {.expect_ops = {{13, {"Loop", "Mul"}}}});
}


TEST_F(T, FloatScalarImplicitScalarTensor) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {1}, {2.5}));
  ValueId y = b.input(values(DType::Int64, {}, {7}));
  b.output(b.node1("aten::Float", {V(x)}));
  b.output(b.node1("aten::ScalarImplicit", {V(y)}));
  b.output(b.node1("aten::scalar_tensor", {C(1.5), Dt(DType::Float32), None(), None(), None()}));
  check_graph(b);
}

}  // namespace
}  // namespace onnxport::translator_tests
