// translate_graph: initializers, names, types, provenance, and how failures
// of translators are reported (all at once, never a silently broken model).
#include "onnx_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace onnxport {
namespace {

using namespace onnxport::testing;

TranslateOptions opts(int opset = 17) {
  TranslateOptions o;
  o.opset = opset;
  o.producer_version = "0.1.0-test";
  return o;
}

std::vector<std::string> codes(const TranslationResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.code);
  return out;
}

const Diagnostic* find_diag(const TranslationResult& r, const std::string& code) {
  for (const auto& d : r.diagnostics)
    if (d.code == code) return &d;
  return nullptr;
}

TEST(TranslateGraph, SeedDraftModelHeaderInputsOutputsAndInitializers) {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  ASSERT_TRUE(r.ok) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_text());
  EXPECT_TRUE(r.diagnostics.empty());

  const onnx::ModelProto& m = r.model;
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 17);
  EXPECT_EQ(m.producer_name(), "onnxport");
  EXPECT_EQ(m.producer_version(), "0.1.0-test");
  EXPECT_EQ(m.graph().name(), "ModelWithControlFlowTest");

  ASSERT_EQ(m.graph().input_size(), 1);
  const auto& in = m.graph().input(0);
  EXPECT_EQ(in.name(), "x");
  EXPECT_EQ(in.type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  ASSERT_EQ(in.type().tensor_type().shape().dim_size(), 1);
  EXPECT_EQ(in.type().tensor_type().shape().dim(0).dim_value(), 3);

  // Parameters: initializers named by the value name, bytes identical.
  ASSERT_EQ(m.graph().initializer_size(), 4);
  const onnx::TensorProto* w0 = find_initializer(m.graph(), "mlp.0.weight");
  ASSERT_NE(w0, nullptr);
  EXPECT_EQ(w0->data_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(std::vector<int64_t>(w0->dims().begin(), w0->dims().end()), (std::vector<int64_t>{2, 3}));
  const Tensor& data = seed.b.g.value(seed.w0).data;
  ASSERT_EQ(w0->raw_data().size(), data.nbytes());
  EXPECT_EQ(std::memcmp(w0->raw_data().data(), data.bytes(), data.nbytes()), 0);
  EXPECT_EQ(w0->float_data_size(), 0);  // raw bytes only, no per-element copy
  EXPECT_NE(find_initializer(m.graph(), "mlp.1.bias"), nullptr);

  ASSERT_EQ(m.graph().output_size(), 1);
  EXPECT_EQ(m.graph().output(0).name(), "mul");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);

  EXPECT_EQ(check_model(r.model).size(), 0u);
}

TEST(TranslateGraph, ReadableNamesAndProvenanceOnEveryNode) {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  const onnx::GraphProto& g = r.model.graph();
  EXPECT_EQ(op_types(g), (std::vector<std::string>{"Transpose", "MatMul", "Add", "Transpose", "MatMul", "Add",
                                                     "Constant", "Mul"}));
  // The translator's last node carries the graph value's name: no Identity.
  const onnx::NodeProto* add = find_node_by_output(g, "linear");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->op_type(), "Add");
  EXPECT_EQ(add->input(1), "mlp.0.bias");
  ASSERT_NE(find_node_by_output(g, "linear_1"), nullptr);
  EXPECT_EQ(find_node_by_output(g, "linear_1")->input(0).rfind("val_", 0), 0u);  // intermediates are val_N
  EXPECT_EQ(find_node_by_output(g, "mul")->op_type(), "Mul");

  for (const auto& n : g.node()) {
    EXPECT_EQ(n.name().rfind("node_" + n.op_type() + "_", 0), 0u) << n.name();
    EXPECT_NE(meta(n, "original_op"), "<absent>") << n.name();
    EXPECT_NE(meta(n, "onnxport_node"), "<absent>") << n.name();
  }
  EXPECT_EQ(meta(*add, "source"), "torch/nn/modules/linear.py:114:15");
  EXPECT_EQ(meta(*add, "source_text"), "return F.linear(input, self.weight, self.bias)");
  EXPECT_EQ(meta(*add, "scope"), "mlp.0");
  EXPECT_EQ(meta(*add, "original_op"), "aten::linear");
  EXPECT_EQ(meta(*add, "onnxport_node"), "linear");
  const onnx::NodeProto* transpose = find_node_by_op(g, "Transpose");
  EXPECT_EQ(meta(*transpose, "onnxport_node"), "linear");  // every node of a translation points back

  // Node names are unique.
  std::vector<std::string> names;
  for (const auto& n : g.node()) names.push_back(n.name());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());

  ASSERT_EQ(r.used.size(), 2u);
  EXPECT_EQ(r.used[0].first, "aten::linear");
  EXPECT_NE(r.used[0].second.find("test-plugin"), std::string::npos);
}

TEST(TranslateGraph, MetadataSurvivesSerialization) {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  onnx::ModelProto back;
  ASSERT_TRUE(back.ParseFromString(r.model.SerializeAsString()));
  const onnx::NodeProto* add = find_node_by_output(back.graph(), "linear");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(meta(*add, "scope"), "mlp.0");
}

TEST(TranslateGraph, IntScalarTakesTheFloatTensorsDtype) {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  const onnx::NodeProto* mul = find_node_by_output(r.model.graph(), "mul");
  ASSERT_NE(mul, nullptr);
  const onnx::NodeProto* two = find_node_by_output(r.model.graph(), mul->input(1));
  ASSERT_NE(two, nullptr);
  ASSERT_EQ(two->op_type(), "Constant");
  const onnx::TensorProto& t = two->attribute(0).t();
  EXPECT_EQ(t.data_type(), onnx::TensorProto::FLOAT);  // x * 2 -> Mul(x, 2.0f)
  EXPECT_EQ(t.dims_size(), 0);
  EXPECT_EQ(floats_of(t), (std::vector<float>{2.0f}));
}

TEST(TranslateGraph, ScalarConstantsFollowTorchPromotion) {
  GraphBuilder b;
  const ValueId xd = b.input("xd", DType::Float64, {2});
  const ValueId xi = b.input("xi", DType::Int32, {2});
  const ValueId o1 = b.node("aten::mul", {v(xd), c(2.5)}, "o1", DType::Float64, {2});
  const ValueId o2 = b.node("aten::add", {v(xi), c(1)}, "o2", DType::Int32, {2});
  b.output(o1);
  b.output(o2);
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  const auto& g = r.model.graph();
  auto const_type = [&](const std::string& out) {
    const onnx::NodeProto* n = find_node_by_output(g, out);
    return find_node_by_output(g, n->input(1))->attribute(0).t().data_type();
  };
  EXPECT_EQ(const_type("o1"), onnx::TensorProto::DOUBLE);
  EXPECT_EQ(const_type("o2"), onnx::TensorProto::INT32);
  EXPECT_EQ(check_model(r.model).size(), 0u);
}

TEST(TranslateGraph, SymbolicDimsAndSymbolicScalars) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {Dim::symbol("batch"), 3});
  const ValueId n = b.input("n", DType::Int64, {}, ValueKind::SymInt);
  const ValueId y = b.node("aten::relu", {v(x)}, "relu", DType::Float32, {Dim::symbol("batch"), 3});
  b.output(y);
  b.output(n);
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  const auto& g = r.model.graph();
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  EXPECT_TRUE(g.input(1).type().tensor_type().has_shape());
  EXPECT_EQ(g.input(1).type().tensor_type().shape().dim_size(), 0);
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  // An input returned as an output goes through an Identity (outputs are produced by nodes).
  EXPECT_NE(g.output(1).name(), "n");
  EXPECT_EQ(find_node_by_output(g, g.output(1).name())->op_type(), "Identity");
  EXPECT_EQ(check_model(r.model).size(), 0u);
}

TEST(TranslateGraph, UnsafeValueNamesAreSanitizedAndUnique) {
  GraphBuilder b;
  const ValueId x = b.input("x y", DType::Float32, {2});
  const ValueId y = b.node("aten::relu", {v(x)}, "x_y", DType::Float32, {2});
  b.output(y);
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.model.graph().input(0).name(), "x_y");
  EXPECT_EQ(r.model.graph().output(0).name(), "x_y_1");
  EXPECT_EQ(check_model(r.model).size(), 0u);
}

TEST(TranslateGraph, MissingTranslatorsAreGroupedByOpWithCountsAndFirstExample) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  const ValueId f1 = b.node("aten::foo", {v(x), c(2)}, "foo", DType::Float32, {2}, nullptr, loc(10, 5, "y = foo(x, 2)"));
  const ValueId f2 = b.node("aten::foo", {v(f1), c(3)}, "foo_1", DType::Float32, {2}, nullptr, loc(11, 5));
  const ValueId bar = b.node("aten::bar", {v(f2)}, "bar", DType::Float32, {2}, nullptr, loc(12, 5));
  const ValueId f3 = b.node("aten::foo", {v(bar), c(4)}, "foo_2", DType::Float32, {2}, nullptr, loc(13, 5));
  const ValueId out = b.node("aten::relu", {v(f3)}, "relu", DType::Float32, {2});
  b.output(out);
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(b.g, reg, opts());
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.missing.size(), 2u);
  EXPECT_EQ(r.missing[0].op, "aten::foo");
  EXPECT_EQ(r.missing[0].count, 3);
  EXPECT_EQ(r.missing[0].example_node, "foo = aten::foo(x, 2)");
  EXPECT_EQ(r.missing[0].example_loc.line, 10);
  EXPECT_EQ(r.missing[1].op, "aten::bar");
  EXPECT_EQ(r.missing[1].count, 1);
  // One diagnostic per missing op, nothing cascading from the nodes that use their outputs.
  EXPECT_EQ(codes(r), (std::vector<std::string>{"missing-translator", "missing-translator"}));
  const Diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.stage, "translate");
  EXPECT_EQ(d.occurrences, 3);
  EXPECT_EQ(d.loc.text, "y = foo(x, 2)");
  EXPECT_EQ(d.more_locs.size(), 2u);
  EXPECT_NE(d.message.find("aten::foo"), std::string::npos);
  EXPECT_FALSE(d.hint.empty());
  // The rest of the graph was still translated.
  EXPECT_NE(find_node_by_op(r.model.graph(), "Relu"), nullptr);
}

TEST(TranslateGraph, ThrowingTranslatorsAreAllReportedAndTranslationContinues) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  const ValueId d1 = b.node("aten::div", {v(x), c(2)}, "div", DType::Float32, {2}, nullptr, loc(7, 9, "x / 2"));
  const ValueId d2 = b.node("aten::explode", {v(d1)}, "boom", DType::Float32, {2}, nullptr, loc(8, 9));
  const ValueId y = b.node("aten::relu", {v(d2)}, "relu", DType::Float32, {2});
  b.output(y);
  TranslatorRegistry reg = standard_registry();
  add(reg, "aten::div", t_throws_translate_error, "plugin-div");
  add(reg, "aten::explode", t_throws_std, "plugin-explode");
  TranslationResult r = translate_graph(b.g, reg, opts());
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(codes(r), (std::vector<std::string>{"translator-failed", "translator-failed"}));
  const Diagnostic& first = r.diagnostics[0];
  EXPECT_EQ(first.plugin, "plugin-div");
  EXPECT_EQ(first.loc.line, 7);
  EXPECT_EQ(first.hint, "use rounding_mode=None");
  EXPECT_NE(first.message.find("rounding mode 'floor'"), std::string::npos);
  EXPECT_NE(first.message.find("div = aten::div(x, 2)"), std::string::npos);
  EXPECT_EQ(r.diagnostics[1].plugin, "plugin-explode");
  EXPECT_NE(r.diagnostics[1].message.find("boom"), std::string::npos);
  // The failed translator's Relu was rolled back; the good one after it is there.
  const auto ops = op_types(r.model.graph());
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Relu"), 1);
  EXPECT_NE(find_node_by_output(r.model.graph(), "relu"), nullptr);
}

TEST(TranslateGraph, TranslatorEmittingAnUnknownOpIsReported) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  b.output(b.node("aten::weird", {v(x)}, "weird", DType::Float32, {2}));
  TranslatorRegistry reg;
  add(reg, "aten::weird", t_unknown_op, "plugin-weird");
  TranslationResult r = translate_graph(b.g, reg, opts());
  EXPECT_FALSE(r.ok);
  const Diagnostic* d = find_diag(r, "translator-invalid-node");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->plugin, "plugin-weird");
  EXPECT_NE(d->message.find("NotAnOnnxOp"), std::string::npos);
}

TEST(TranslateGraph, TranslatorReadingAnUndefinedNameIsReported) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  b.output(b.node("aten::relu", {v(x)}, "relu", DType::Float32, {2}));
  TranslatorRegistry reg;
  add(reg, "aten::relu", t_undefined_input, "plugin-bad");
  TranslationResult r = translate_graph(b.g, reg, opts());
  EXPECT_FALSE(r.ok);
  const Diagnostic* d = find_diag(r, "translator-invalid-node");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->plugin, "plugin-bad");
  EXPECT_NE(d->message.find("no_such_value"), std::string::npos);
}

TEST(TranslateGraph, TranslatorLeavingAnOutputUnboundIsReported) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  b.output(b.node("aten::relu", {v(x)}, "relu", DType::Float32, {2}));
  TranslatorRegistry reg;
  add(reg, "aten::relu", t_forgets_output, "plugin-lazy");
  TranslationResult r = translate_graph(b.g, reg, opts());
  EXPECT_FALSE(r.ok);
  const Diagnostic* d = find_diag(r, "translator-unbound-output");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->plugin, "plugin-lazy");
  EXPECT_NE(d->message.find("'relu'"), std::string::npos);
}

TEST(TranslateGraph, PassThroughTranslatorGetsAnIdentity) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  const ValueId y = b.node("aten::contiguous", {v(x)}, "contiguous", DType::Float32, {2});
  b.output(b.node("aten::relu", {v(y)}, "relu", DType::Float32, {2}));
  TranslatorRegistry reg = standard_registry();
  add(reg, "aten::contiguous", t_passthrough);
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  const onnx::NodeProto* id = find_node_by_output(r.model.graph(), "contiguous");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->op_type(), "Identity");
  EXPECT_EQ(id->input(0), "x");
  EXPECT_EQ(find_node_by_output(r.model.graph(), "relu")->input(0), "contiguous");
}

TEST(TranslateGraph, CustomDomainGetsAnOpsetImport) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  b.output(b.node("mydomain::op", {v(x)}, "y", DType::Float32, {2}));
  TranslatorRegistry reg;
  add(reg, "mydomain::op", t_custom_domain);
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.model.opset_import_size(), 2);
  EXPECT_EQ(r.model.opset_import(1).domain(), "com.example");
  EXPECT_EQ(r.model.opset_import(1).version(), 1);
  EXPECT_EQ(find_node_by_output(r.model.graph(), "y")->domain(), "com.example");
}

void expect_if_with_mul_and_neg(const TranslationResult& r) {
  const onnx::GraphProto& g = r.model.graph();
  const onnx::NodeProto* node_if = find_node_by_op(g, "If");
  ASSERT_NE(node_if, nullptr);
  EXPECT_EQ(node_if->input(0), "gt");
  EXPECT_EQ(node_if->output(0), "getitem");
  ASSERT_EQ(node_if->attribute_size(), 2);
  const onnx::GraphProto* then_g = nullptr;
  const onnx::GraphProto* else_g = nullptr;
  for (const auto& a : node_if->attribute()) {
    EXPECT_EQ(a.type(), onnx::AttributeProto::GRAPH);
    (a.name() == "then_branch" ? then_g : else_g) = &a.g();
  }
  ASSERT_NE(then_g, nullptr);
  ASSERT_NE(else_g, nullptr);
  EXPECT_EQ(then_g->input_size(), 0);
  EXPECT_EQ(else_g->input_size(), 0);
  EXPECT_EQ(op_types(*then_g), (std::vector<std::string>{"Constant", "Mul"}));
  EXPECT_EQ(op_types(*else_g), (std::vector<std::string>{"Neg"}));
  // Branches read the outer value by name.
  EXPECT_EQ(find_node_by_op(*else_g, "Neg")->input(0), "linear_1");
  ASSERT_EQ(then_g->output_size(), 1);
  EXPECT_EQ(then_g->output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(meta(*find_node_by_op(*else_g, "Neg"), "source_text"), "return -x");
  const auto hist = count_op_types(r.model);
  auto count = [&](const std::string& op) {
    for (const auto& [k, n] : hist)
      if (k == op) return n;
    return 0;
  };
  EXPECT_EQ(count("If"), 1);
  EXPECT_EQ(count("Mul"), 1);
  EXPECT_EQ(count("Neg"), 1);
  EXPECT_EQ(count("MatMul"), 2);
}

TEST(TranslateGraph, CondBecomesIfWithThenAndElseBranches) {
  SeedGraph seed;
  seed.finish_cond();
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  ASSERT_TRUE(r.ok) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_text());
  expect_if_with_mul_and_neg(r);
  const auto problems = check_model(r.model);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].message);
}

TEST(TranslateGraph, CondBranchesWithOperandInputsReadTheOperands) {
  SeedGraph seed;
  seed.finish_cond(/*branches_take_operands=*/true);
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  ASSERT_TRUE(r.ok) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_text());
  expect_if_with_mul_and_neg(r);
  EXPECT_TRUE(check_model(r.model).empty());
}

TEST(TranslateGraph, MissingTranslatorInsideABranchIsReported) {
  SeedGraph seed;
  seed.finish_cond();
  TranslatorRegistry reg;
  add(reg, "aten::linear", t_linear);
  add(reg, "aten::sum", t_sum);
  add(reg, "aten::gt", t_gt);
  add(reg, "aten::mul", t_mul);
  add(reg, "higher_order::cond", t_cond);
  TranslationResult r = translate_graph(seed.b.g, reg, opts());
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].op, "aten::neg");
  EXPECT_EQ(r.missing[0].example_loc.text, "return -x");
}

// A translator may keep an ONNX name it made and read it from a later node
// (a plugin emitting a shared constant once): fine where the name is
// visible, reported where it is not (a name made inside one If branch read
// in the other). Three kinds of names, recorded differently by the builder:
// an intermediate "val_N", a constant named by a hint, and a graph value's
// name read as a string without name_of().
enum class KeptName { Fresh, Hinted, Value };
KeptName g_kind_to_keep = KeptName::Fresh;
std::string g_kept_name;

void t_keep(TranslateContext& ctx) {
  const std::string inner = ctx.op("Neg", {ctx.input(0)});
  const std::string hinted = ctx.constant(Tensor::scalar(DType::Float32, 1.0), "kept_constant");
  ctx.set_output(0, ctx.op("Add", {inner, hinted}));
  if (g_kind_to_keep == KeptName::Fresh) g_kept_name = inner;
  if (g_kind_to_keep == KeptName::Hinted) g_kept_name = hinted;
  if (g_kind_to_keep == KeptName::Value) g_kept_name = ctx.name_of(ctx.node().outputs[0]);
}
void t_read_kept(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Add", {ctx.input(0), g_kept_name})); }

// x -> [keep at top] -> cond(p, then: read_kept or keep, else: read_kept)
TranslationResult translate_with_kept_name(KeptName kind, bool keep_in_then_branch) {
  g_kind_to_keep = kind;
  g_kept_name.clear();
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {1});
  const ValueId p = b.input("p", DType::Bool, {});
  ValueId top = x;
  if (!keep_in_then_branch) top = b.node("test::keep", {v(x)}, "kept_at_top", DType::Float32, {1});
  Node cond;
  cond.op = "higher_order::cond";
  cond.inputs = {v(p)};
  Block then_b, else_b;
  then_b.outputs = {b.node(keep_in_then_branch ? "test::keep" : "test::read_kept", {v(top)}, "in_then", DType::Float32,
                           {1}, &then_b)};
  else_b.outputs = {b.node("test::read_kept", {v(top)}, "in_else", DType::Float32, {1}, &else_b)};
  cond.blocks = {std::move(then_b), std::move(else_b)};
  const ValueId out = b.value("out", DType::Float32, {1});
  cond.outputs = {out};
  b.g.body.nodes.push_back(std::move(cond));
  b.output(out);
  TranslatorRegistry reg = standard_registry();
  add(reg, "test::keep", t_keep);
  add(reg, "test::read_kept", t_read_kept, "plugin-keeps-names");
  return translate_graph(b.g, reg, opts());
}

TEST(TranslateGraph, KeptNamesReadWhereVisibleAreAccepted) {
  for (KeptName kind : {KeptName::Fresh, KeptName::Hinted, KeptName::Value}) {
    TranslationResult r = translate_with_kept_name(kind, /*keep_in_then_branch=*/false);
    EXPECT_TRUE(r.ok) << "kind " << static_cast<int>(kind) << ": "
                      << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_text());
    const auto problems = check_model(r.model);
    EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].message);
  }
}

TEST(TranslateGraph, KeptNamesReadFromTheOtherBranchAreReported) {
  for (KeptName kind : {KeptName::Fresh, KeptName::Hinted, KeptName::Value}) {
    const TranslationResult r = translate_with_kept_name(kind, /*keep_in_then_branch=*/true);
    EXPECT_FALSE(r.ok) << "kind " << static_cast<int>(kind);
    const Diagnostic* d = find_diag(r, "translator-invalid-node");
    ASSERT_NE(d, nullptr) << "kind " << static_cast<int>(kind);
    EXPECT_EQ(d->plugin, "plugin-keeps-names");
    EXPECT_NE(d->message.find("input '" + g_kept_name + "' is not defined"), std::string::npos) << d->message;
  }
}

// higher_order::loop(max_trip, cond, carried...) -> Loop; the body takes
// (iteration, carried...) in the Graph IR, the host adds ONNX's cond input.
void t_loop(TranslateContext& ctx) {
  const Node& n = ctx.node();
  std::vector<std::string> inputs{ctx.const_scalar(ctx.arg(0).constant.get<double>(), DType::Int64),
                                  ctx.const_scalar(ctx.arg(1).constant.get<bool>() ? 1 : 0, DType::Bool)};
  for (size_t k = 2; k < ctx.num_inputs(); ++k) inputs.push_back(ctx.input(k));
  const SubgraphRef body = ctx.subgraph(n.blocks.at(0), "loop_body");
  auto outs = ctx.op_n("Loop", inputs, n.outputs.size(), {{"body", body}});
  for (size_t i = 0; i < outs.size(); ++i) ctx.set_output(i, outs[i]);
}

TEST(TranslateGraph, LoopBodyGetsTheConditionInputAndPassThroughIdentities) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  const ValueId k = b.input("k", DType::Float32, {2});
  Node loop;
  loop.op = "higher_order::loop";
  loop.inputs = {c(3), c(true), v(x), v(k)};
  Block body;
  const ValueId iter = b.value("i", DType::Int64, {});
  b.g.value(iter).kind = ValueKind::SymInt;
  const ValueId acc = b.value("acc", DType::Float32, {2});
  const ValueId same = b.value("same", DType::Float32, {2});
  body.inputs = {iter, acc, same};
  const ValueId more = b.node("aten::gt", {v(iter), c(-1)}, "more", DType::Bool, {}, &body);
  const ValueId next = b.node("aten::add", {v(acc), v(same)}, "next", DType::Float32, {2}, &body);
  body.outputs = {more, next, same};
  loop.blocks = {std::move(body)};
  const ValueId out_acc = b.value("acc_out", DType::Float32, {2});
  const ValueId out_same = b.value("same_out", DType::Float32, {2});
  loop.outputs = {out_acc, out_same};
  b.g.body.nodes.push_back(std::move(loop));
  b.output(out_acc);
  TranslatorRegistry reg = standard_registry();
  add(reg, "higher_order::loop", t_loop);
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_text());
  const onnx::NodeProto* node_loop = find_node_by_op(r.model.graph(), "Loop");
  ASSERT_NE(node_loop, nullptr);
  const onnx::GraphProto& g = node_loop->attribute(0).g();
  ASSERT_EQ(g.input_size(), 4);  // iteration, cond, acc, same
  EXPECT_EQ(g.input(0).name(), "i");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);
  ASSERT_EQ(g.output_size(), 3);
  // `same` is a body input returned unchanged: an Identity produces the output.
  EXPECT_NE(g.output(2).name(), "same");
  EXPECT_EQ(find_node_by_output(g, g.output(2).name())->op_type(), "Identity");
  // The int scalar next to a symbolic int stays int64.
  const onnx::NodeProto* greater = find_node_by_op(g, "Greater");
  EXPECT_EQ(find_node_by_output(g, greater->input(1))->attribute(0).t().data_type(), onnx::TensorProto::INT64);
  const auto problems = check_model(r.model);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].message);
}

// view(x, [n, -1]) with n a symbolic int: the size list becomes a Concat.
void t_view(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Reshape", {ctx.input(0), ctx.input(1)})); }

TEST(TranslateGraph, SizeListsMixingSymbolsAndIntsBecomeAnInt64Tensor) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {Dim::symbol("n"), 4});
  const ValueId n = b.input("n", DType::Int64, {}, ValueKind::SymInt);
  const ValueId y = b.node("aten::view", {v(x), Arg::list({v(n), c(2), c(-1)})}, "view", DType::Float32,
                           {Dim::symbol("n"), 2, 2});
  const ValueId z = b.node("aten::view", {v(y), c(nlohmann::json::array({-1, 4}))}, "view_1", DType::Float32,
                           {Dim::symbol("n"), 4});
  b.output(z);
  TranslatorRegistry reg;
  add(reg, "aten::view", t_view);
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_text());
  const auto& g = r.model.graph();
  const onnx::NodeProto* reshape = find_node_by_output(g, "view");
  const onnx::NodeProto* concat = find_node_by_output(g, reshape->input(1));
  ASSERT_NE(concat, nullptr);
  EXPECT_EQ(concat->op_type(), "Concat");
  EXPECT_EQ(concat->input_size(), 3);
  EXPECT_EQ(find_node_by_output(g, concat->input(0))->op_type(), "Unsqueeze");
  const onnx::NodeProto* shape2 = find_node_by_output(g, find_node_by_output(g, "view_1")->input(1));
  EXPECT_EQ(int64s_of(shape2->attribute(0).t()), (std::vector<int64_t>{-1, 4}));
  EXPECT_TRUE(check_model(r.model).empty());
}

// Tied parameters (the same bytes, dtype and shape) are one initializer; the
// same bytes under another shape (a view) are an initializer of their own,
// and a second such view is tied to the first one.
TEST(TranslateGraph, ParametersOnTheSameBytesAreOneInitializerPerLayout) {
  GraphBuilder b;
  const Tensor base = Tensor::from_vector<float>(DType::Float32, {2, 3}, {1, 2, 3, 4, 5, 6});
  const auto param = [&](const std::string& name, const Tensor& data) {
    Value p;
    p.name = name;
    p.dtype = data.dtype();
    p.shape = Shape(data.shape().begin(), data.shape().end());
    p.role = ValueRole::Parameter;
    p.data = data;
    const ValueId id = b.g.add_value(p);
    b.g.params.push_back(id);
    return id;
  };
  const ValueId a = param("a", base);
  const ValueId tied = param("tied", base);
  const ValueId view = param("view", base.reshaped({3, 2}));
  const ValueId view_again = param("view_again", base.reshaped({3, 2}));
  param("copy", base.clone());
  b.output(b.node("aten::add", {v(a), v(tied)}, "sum", DType::Float32, {2, 3}));
  b.output(b.node("aten::add", {v(view), v(view_again)}, "sum_t", DType::Float32, {3, 2}));
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(b.g, reg, opts());
  ASSERT_TRUE(r.ok);
  std::vector<std::string> initializers;
  for (const auto& init : r.model.graph().initializer()) initializers.push_back(init.name());
  EXPECT_EQ(initializers, (std::vector<std::string>{"a", "view", "copy"}));
  const onnx::NodeProto* sum = find_node_by_output(r.model.graph(), "sum");
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(sum->input(0), "a");
  EXPECT_EQ(sum->input(1), "a");
  const onnx::NodeProto* sum_t = find_node_by_output(r.model.graph(), "sum_t");
  ASSERT_NE(sum_t, nullptr);
  EXPECT_EQ(sum_t->input(0), "view");
  EXPECT_EQ(sum_t->input(1), "view");
}

TEST(TranslateGraph, ParameterWithoutDataBecomesAnInputWithAWarning) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {2});
  Value w;
  w.name = "w";
  w.dtype = DType::Float32;
  w.shape = {2};
  w.role = ValueRole::Parameter;
  const ValueId wid = b.g.add_value(w);
  b.g.params.push_back(wid);
  b.output(b.node("aten::add", {v(x), v(wid)}, "add", DType::Float32, {2}));
  const TranslatorRegistry reg = standard_registry();
  TranslationResult r = translate_graph(b.g, reg, opts());
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.model.graph().input_size(), 2);
  EXPECT_EQ(r.model.graph().input(1).name(), "w");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::Warning);
}

}  // namespace
}  // namespace onnxport
