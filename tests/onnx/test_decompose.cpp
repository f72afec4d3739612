// run_decompositions: rewrites ops without a translator, to a fixpoint,
// inside nested blocks too; failures and cycles are reported.
#include "onnx_test_util.hpp"

#include <gtest/gtest.h>

namespace onnxport {
namespace {

using namespace onnxport::testing;

// addmm(bias, a, b) -> add(mm(a, b), bias)
void decompose_addmm(DecomposeContext& ctx) {
  const Node& n = ctx.node();
  const Value& out = ctx.graph().value(n.outputs[0]);
  const auto mm = ctx.emit("aten::mm", {n.inputs[1], n.inputs[2]}, {{out.dtype, out.shape}});
  const auto sum = ctx.emit("aten::add", {Arg::of(mm[0]), n.inputs[0]}, {{out.dtype, out.shape}});
  ctx.replace_output(0, sum[0]);
}

// aten::double_relu(x) -> aten::relu2(x), which itself decomposes to relu(relu(x)).
void decompose_double_relu(DecomposeContext& ctx) {
  const Node& n = ctx.node();
  const Value& out = ctx.graph().value(n.outputs[0]);
  ctx.replace_output(0, ctx.emit("aten::relu2", {n.inputs[0]}, {{out.dtype, out.shape}})[0]);
}
void decompose_relu2(DecomposeContext& ctx) {
  const Node& n = ctx.node();
  const Value& out = ctx.graph().value(n.outputs[0]);
  const auto r = ctx.emit("aten::relu", {n.inputs[0]}, {{out.dtype, out.shape}});
  ctx.replace_output(0, ctx.emit("aten::relu", {Arg::of(r[0])}, {{out.dtype, out.shape}})[0]);
}
// A decomposition that rewrites the op into itself, forever.
void decompose_forever(DecomposeContext& ctx) {
  const Node& n = ctx.node();
  const Value& out = ctx.graph().value(n.outputs[0]);
  ctx.replace_output(0, ctx.emit("aten::forever", {n.inputs[0]}, {{out.dtype, out.shape}})[0]);
}
void decompose_throws(DecomposeContext&) { throw std::runtime_error("cannot decompose this one"); }
void decompose_forgets(DecomposeContext& ctx) {
  ctx.emit("aten::relu", {ctx.node().inputs[0]}, {{DType::Float32, Shape{2}}});
}
// aten::contiguous(x) -> x
void decompose_to_input(DecomposeContext& ctx) { ctx.replace_output(0, ctx.node().inputs[0].value); }

void add_decomposition(TranslatorRegistry& r, const std::string& op, DecomposeFn fn) {
  DecompositionSpec spec;
  spec.op = op;
  spec.fn = fn;
  r.add_decomposition(std::move(spec), "test-decompositions");
}

std::vector<std::string> ops_of(const Block& b) {
  std::vector<std::string> out;
  for (const Node& n : b.nodes) out.push_back(n.op);
  return out;
}

TEST(Decompose, RewritesAnOpWithoutTranslatorAndKeepsTheOutputName) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {1, 3});
  const ValueId w = b.param("w", f32({3, 2}, {1, 2, 3, 4, 5, 6}));
  const ValueId bias = b.param("bias", f32({2}, {0.5f, -0.5f}));
  const ValueId y = b.node("aten::addmm", {v(bias), v(x), v(w)}, "addmm", DType::Float32, {1, 2}, nullptr,
                           loc(3, 4, "y = torch.addmm(b, x, w)"));
  b.output(b.node("aten::relu", {v(y)}, "relu", DType::Float32, {1, 2}));
  TranslatorRegistry reg = standard_registry();
  add_decomposition(reg, "aten::addmm", decompose_addmm);
  std::vector<Diagnostic> diags;
  EXPECT_EQ(run_decompositions(b.g, reg, 17, diags), 1);
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(ops_of(b.g.body), (std::vector<std::string>{"aten::mm", "aten::add", "aten::relu"}));
  EXPECT_TRUE(b.g.validate().empty());
  // The value that replaced addmm's output took its readable name.
  EXPECT_EQ(b.g.value(b.g.body.nodes[1].outputs[0]).name, "addmm");
  EXPECT_EQ(b.g.body.nodes[2].inputs[0].value, b.g.body.nodes[1].outputs[0]);
  // Emitted nodes keep the provenance of the node they replace.
  EXPECT_EQ(b.g.body.nodes[0].prov.loc.line, 3);
  EXPECT_EQ(b.g.body.nodes[0].prov.original_kind, "aten::addmm");

  TranslationResult r = translate_graph(b.g, reg, TranslateOptions{});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(find_node_by_output(r.model.graph(), "addmm")->op_type(), "Add");
  EXPECT_TRUE(check_model(r.model).empty());
}

TEST(Decompose, OpsWithATranslatorAreLeftAlone) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  b.output(b.node("aten::relu", {v(x)}, "relu", DType::Float32, {2}));
  TranslatorRegistry reg = standard_registry();
  add_decomposition(reg, "aten::relu", decompose_throws);
  std::vector<Diagnostic> diags;
  EXPECT_EQ(run_decompositions(b.g, reg, 17, diags), 0);
  EXPECT_TRUE(diags.empty());
}

TEST(Decompose, ChainsReachAFixpointInsideNestedBlocks) {
  GraphBuilder b;
  const ValueId p = b.input("p", DType::Bool, {});
  const ValueId x = b.input("x", DType::Float32, {2});
  Node cond;
  cond.op = "higher_order::cond";
  cond.inputs = {v(p)};
  Block then_b, else_b;
  then_b.outputs = {b.node("aten::double_relu", {v(x)}, "dr", DType::Float32, {2}, &then_b)};
  else_b.outputs = {b.node("aten::neg", {v(x)}, "neg", DType::Float32, {2}, &else_b)};
  cond.blocks = {std::move(then_b), std::move(else_b)};
  const ValueId out = b.value("out", DType::Float32, {2});
  cond.outputs = {out};
  b.g.body.nodes.push_back(std::move(cond));
  b.output(out);
  TranslatorRegistry reg = standard_registry();
  add_decomposition(reg, "aten::double_relu", decompose_double_relu);
  add_decomposition(reg, "aten::relu2", decompose_relu2);
  std::vector<Diagnostic> diags;
  EXPECT_EQ(run_decompositions(b.g, reg, 17, diags), 2);
  EXPECT_TRUE(diags.empty());
  const Block& then_after = b.g.body.nodes[0].blocks[0];
  EXPECT_EQ(ops_of(then_after), (std::vector<std::string>{"aten::relu", "aten::relu"}));
  EXPECT_EQ(then_after.outputs[0], then_after.nodes[1].outputs[0]);  // block output rewired
  EXPECT_TRUE(b.g.validate().empty());
  TranslationResult r = translate_graph(b.g, reg, TranslateOptions{});
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(check_model(r.model).empty());
}

TEST(Decompose, ReplacingByAnInputRewiresUsesAndGraphOutputs) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  const ValueId c1 = b.node("aten::contiguous", {v(x)}, "contiguous", DType::Float32, {2});
  const ValueId r = b.node("aten::relu", {v(c1)}, "relu", DType::Float32, {2});
  const ValueId c2 = b.node("aten::contiguous", {v(r)}, "contiguous_1", DType::Float32, {2});
  b.output(c2);
  TranslatorRegistry reg = standard_registry();
  add_decomposition(reg, "aten::contiguous", decompose_to_input);
  std::vector<Diagnostic> diags;
  EXPECT_EQ(run_decompositions(b.g, reg, 17, diags), 2);
  EXPECT_EQ(ops_of(b.g.body), (std::vector<std::string>{"aten::relu"}));
  EXPECT_EQ(b.g.body.nodes[0].inputs[0].value, x);
  EXPECT_EQ(b.g.body.outputs[0], r);
  EXPECT_EQ(b.g.value(x).name, "x");  // inputs never get renamed
}

TEST(Decompose, ACycleIsReportedNamingTheOp) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  b.output(b.node("aten::forever", {v(x)}, "f", DType::Float32, {2}));
  TranslatorRegistry reg = standard_registry();
  add_decomposition(reg, "aten::forever", decompose_forever);
  std::vector<Diagnostic> diags;
  run_decompositions(b.g, reg, 17, diags);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "decomposition-cycle");
  EXPECT_EQ(diags[0].stage, "decompose");
  EXPECT_NE(diags[0].message.find("aten::forever"), std::string::npos);
  EXPECT_EQ(b.g.body.nodes.size(), 1u);  // one node per round, never a blow-up
}

TEST(Decompose, FailuresAreReportedOnceAndTheNodeIsKept) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  const ValueId t = b.node("aten::tricky", {v(x)}, "tricky", DType::Float32, {2}, nullptr, loc(9, 1));
  const ValueId l = b.node("aten::lazy", {v(t)}, "lazy", DType::Float32, {2});
  const ValueId s = b.node("aten::contiguous", {v(l)}, "contiguous", DType::Float32, {2});
  b.output(s);
  TranslatorRegistry reg = standard_registry();
  add_decomposition(reg, "aten::tricky", decompose_throws);
  add_decomposition(reg, "aten::lazy", decompose_forgets);
  add_decomposition(reg, "aten::contiguous", decompose_to_input);
  std::vector<Diagnostic> diags;
  EXPECT_EQ(run_decompositions(b.g, reg, 17, diags), 1);
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags[0].code, "decomposition-failed");
  EXPECT_EQ(diags[0].loc.line, 9);
  EXPECT_NE(diags[0].message.find("cannot decompose this one"), std::string::npos);
  EXPECT_NE(diags[1].message.find("did not replace output 0"), std::string::npos);
  EXPECT_EQ(ops_of(b.g.body), (std::vector<std::string>{"aten::tricky", "aten::lazy"}));
  EXPECT_TRUE(b.g.validate().empty());
}

}  // namespace
}  // namespace onnxport
