// The tracing engine on small hand-written programs: one behaviour per test.
#include "trace_test_util.hpp"

#include <onnxport/ops.hpp>

#include <cmath>
#include <csignal>
#include <limits>

#include <sys/wait.h>
#include <unistd.h>

namespace onnxport::test {
namespace {

constexpr int64_t kNoMaxTrip = 9223372036854775807;  // TorchScript's while-loop trip count

std::vector<double> values(const Tensor& t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.get_double(i));
  return out;
}

std::vector<double> run(const Program& p, std::vector<float> x) {
  const RunOutputs out = run_program(p, inputs_x(vec(std::move(x))));
  EXPECT_EQ(out.tensors.size(), 1u);
  return out.tensors.empty() ? std::vector<double>{} : values(out.tensors[0]);
}

// ------------------------------------------------------------------ loops and lists

// y = x; s = 0
// for i in range(3): y = y + 1; s = s + i
// return y * s
Program loop_program() {
  return parse(program_json(
      {constant("three", 3), constant("true", true), constant("one", 1), constant("zero", 0),
       with_blocks(node("prim::Loop", {"three", "true", "x", "zero"}, {"y", "s"}),
                   {block({"i", "yc", "sc"},
                          {node("aten::add", {"yc", "one", "one"}, {"yn"}, {}, 3, "y = y + 1"),
                           node("aten::add", {"sc", "i"}, {"sn"}, {}, 3, "s = s + i")},
                          {"true", "yn", "sn"})}),
       node("aten::mul", {"y", "s"}, {"out"}, {}, 4, "return y * s")},
      {"out"}));
}

TEST(Loops, KnownTripCountIsUnrolled) {
  const Program p = loop_program();
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::add", "aten::add", "aten::add", "aten::mul"}));
  // s = 0 + 1 + 2 was folded into the constant argument of mul.
  const Node& mul = r.graph->body.nodes.back();
  ASSERT_TRUE(mul.inputs.at(1).is_constant());
  EXPECT_EQ(mul.inputs[1].constant, 3);
  EXPECT_EQ(r.graph->value(r.graph->body.nodes[0].outputs[0]).name, "add");
  EXPECT_EQ(r.graph->value(r.graph->body.nodes[2].outputs[0]).name, "add_2");
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{12, 15, 18}));
}

// for i in range(outer): for j in range(inner): x = x * 2 + 1   (three nodes per iteration with the mul's constant)
json nested_loop_program(int64_t outer, int64_t inner) {
  return program_json(
      {constant("outer", outer), constant("inner", inner), constant("true", true), constant("one", 1),
       constant("two", 2),
       with_blocks(node("prim::Loop", {"outer", "true", "x"}, {"y"}, {}, 2, "for i in range(outer):"),
                   {block({"i", "xc"},
                          {with_blocks(node("prim::Loop", {"inner", "true", "xc"}, {"xi"}, {}, 3, "for j in range(inner):"),
                                       {block({"j", "xd"},
                                              {node("aten::mul", {"xd", "two"}, {"xm"}),
                                               node("aten::add", {"xm", "one", "one"}, {"xn"})},
                                              {"true", "xn"})})},
                          {"true", "xi"})})},
      {"y"});
}

size_t count_nodes(const Block& b) {
  size_t n = b.nodes.size();
  for (const Node& node : b.nodes)
    for (const Block& inner : node.blocks) n += count_nodes(inner);
  return n;
}

TEST(Loops, ALoopTooLargeToUnrollStaysALoop) {
  // 2 x 512 x 2 = 2048 nodes: under the limit, unrolled.
  const CaptureResult small = capture(parse(nested_loop_program(2, 512)), strict_policy());
  ASSERT_TRUE(small.graph) << all_messages(small);
  EXPECT_EQ(find_node(*small.graph, "higher_order::loop"), nullptr);
  EXPECT_EQ(count_nodes(small.graph->body), 2048u);
  // 8 x 512 x 2: the outer loop stays a loop, its body unrolls the inner one.
  const CaptureResult big = capture(parse(nested_loop_program(8, 512)), strict_policy());
  ASSERT_TRUE(big.graph) << all_messages(big);
  const Node* loop = find_node(*big.graph, "higher_order::loop");
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(loop->inputs.at(0).constant, 8);
  EXPECT_LT(count_nodes(big.graph->body), 1100u);
  EXPECT_TRUE(big.graph->sound);
  // 1000 x 3000 x 2: both loops stay loops.
  const CaptureResult huge = capture(parse(nested_loop_program(1000, 3000)), strict_policy());
  ASSERT_TRUE(huge.graph) << all_messages(huge);
  EXPECT_LT(count_nodes(huge.graph->body), 10u);
  // The reference interpreter still runs every iteration: 1 -> 3 -> 7 after 2 x 1.
  EXPECT_EQ(run(parse(nested_loop_program(2, 1)), {1, 0, -1}), (std::vector<double>{7, 3, -1}));
}

TEST(Loops, WhileLoopStopsOnItsCondition) {
  // n = 0; while n < 4: x = x * 2; n = n + 1
  const Program p = parse(program_json(
      {constant("max", kNoMaxTrip), constant("zero", 0), constant("four", 4), constant("one", 1),
       constant("two", 2), constant("true", true),
       with_blocks(node("prim::Loop", {"max", "true", "x", "zero"}, {"y", "n"}),
                   {block({"i", "xc", "nc"},
                          {node("aten::mul", {"xc", "two"}, {"xn"}), node("aten::add", {"nc", "one"}, {"nn"}),
                           node("aten::lt", {"nn", "four"}, {"go"})},
                          {"go", "xn", "nn"})})},
      {"y"}));
  const CaptureResult r = capture(p, non_strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph).size(), 4u);
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{16, 32, 48}));
}

TEST(Lists, AppendInALoopThenCat) {
  // l = []; for _ in range(2): l.append(x); return torch.cat(l, 0) * len(l)
  const Program p = parse(program_json(
      {constant("two", 2), constant("true", true), constant("zero", 0),
       with_types(node("prim::ListConstruct", {}, {"l"}), {"List[Tensor]"}),
       with_blocks(node("prim::Loop", {"two", "true"}, {}),
                   {block({"i"}, {node("aten::append", {"l", "x"}, {"l2"})}, {"true"})}),
       node("aten::len", {"l"}, {"n"}), node("aten::cat", {"l", "zero"}, {"c"}),
       node("aten::mul", {"c", "n"}, {"out"})},
      {"out"}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::cat", "aten::mul"}));
  const Node& cat = r.graph->body.nodes[0];
  ASSERT_TRUE(cat.inputs.at(0).is_list());
  EXPECT_EQ(cat.inputs[0].items.size(), 2u);
  EXPECT_EQ(shape_str(r.graph->value(cat.outputs[0]).shape), "[6]");
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{2, 4, 6, 2, 4, 6}));
}

TEST(Lists, TuplesIndexingAndUnpacking) {
  // t = (x, 2); a, k = t; l = [a, a]; return l[-1] * t[1] + k
  const Program p = parse(program_json(
      {constant("two", 2), constant("one", 1), constant("minus1", -1),
       node("prim::TupleConstruct", {"x", "two"}, {"t"}), node("prim::TupleUnpack", {"t"}, {"a", "k"}),
       node("prim::ListConstruct", {"a", "a"}, {"l"}), node("aten::__getitem__", {"l", "minus1"}, {"last"}),
       node("prim::TupleIndex", {"t", "one"}, {"k2"}), node("aten::mul", {"last", "k2"}, {"m"}),
       node("aten::add", {"m", "k", "one"}, {"out"})},
      {"out"}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::mul", "aten::add"}));
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{4, 6, 8}));
}

TEST(Constants, TaggedFloatsAndTensorReferences) {
  // torch2program writes inf as {"float": "-inf"} and large tensor constants
  // as {"tensor_ref": ...} into the weights; set them after parsing.
  Program p = parse(program_json({constant("c", 0.0), constant("big", 0), constant("one", 1),
                                  node("aten::add", {"x", "big", "one"}, {"y"}),
                                  node("aten::maximum", {"y", "y"}, {"m"}), node("aten::add", {"m", "c", "one"}, {"out"})},
                                 {"out"}));
  p.graph.nodes[0].attrs["value"] = json{{"float", "-inf"}};
  p.graph.nodes[1].attrs["value"] = json{{"tensor_ref", "__constants__.0"}};
  p.weights.set("__constants__.0", vec({10, 20, 30}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Node& add = r.graph->body.nodes.front();
  ASSERT_TRUE(add.inputs.at(1).is_value());
  EXPECT_EQ(r.graph->value(add.inputs[1].value).role, ValueRole::Constant);
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{-INFINITY, -INFINITY, -INFINITY}));
}

TEST(Constants, AttributeListsOfTensorReferencesResolveToParameters) {
  // nn.LSTM's _flat_weights: an attribute listing the module's own parameters.
  json module = {{"type", "M"},
                 {"attributes", {{"training", false}, {"flat", json::array({{{"tensor_ref", "w"}}, {{"tensor_ref", "b"}}})}}},
                 {"parameters", {"w", "b"}}};
  Program p = parse(program_json({node("prim::GetAttr", {"self"}, {"flat"}, {{"name", "flat"}}),
                                  node("prim::GetAttr", {"self"}, {"w"}, {{"name", "w"}}),
                                  constant("zero", 0), constant("one", 1),
                                  node("aten::__getitem__", {"flat", "one"}, {"b"}),
                                  node("aten::add", {"x", "w", "one"}, {"y"}), node("aten::add", {"y", "b", "one"}, {"out"})},
                                 {"out"}, json::array({3}), module));
  p.weights.set("w", vec({1, 1, 1}));
  p.weights.set("b", vec({10, 20, 30}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  // The reference and the GetAttr are one parameter value each, named by path.
  ASSERT_EQ(g.params.size(), 2u);
  EXPECT_EQ(g.value(g.params[0]).name, "w");
  EXPECT_EQ(g.value(g.params[1]).name, "b");
  EXPECT_EQ(g.value(g.params[1]).role, ValueRole::Parameter);
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{12, 23, 34}));
}

TEST(Constants, SymbolicSizesFeedShapeArguments) {
  // return x.view(x.size(0), -1)   with x: [batch, 2, 3]
  const Program p = parse(program_json({constant("zero", 0), constant("minus1", -1),
                                        node("aten::size", {"x", "zero"}, {"n"}),
                                        node("prim::ListConstruct", {"n", "minus1"}, {"shape"}),
                                        node("aten::view", {"x", "shape"}, {"out"})},
                                       {"out"}, json::array({"batch", 2, 3})));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_EQ(body_ops(g), (std::vector<std::string>{"aten::size", "aten::view"}));
  const Node& view = g.body.nodes[1];
  ASSERT_TRUE(view.inputs.at(1).is_list());
  EXPECT_EQ(view.inputs[1].items.at(0).value, g.body.nodes[0].outputs.at(0));
  EXPECT_EQ(g.value(view.inputs[1].items[0].value).kind, ValueKind::SymInt);
  EXPECT_EQ(view.inputs[1].items.at(1).constant, -1);
  EXPECT_EQ(shape_str(g.value(view.outputs.at(0)).shape), "[batch, 6]");
  EXPECT_TRUE(g.guards.empty());
}

TEST(Dicts, BuildReadUpdateAndReturn) {
  // d = {"a": x}; d["b"] = x * 2; l = [1, 2]; l[0] = 3
  // return {"sum": d["a"] + d.get("b"), "n": len(d) * l[0]}   (outputs: dict values in order)
  const Program p = parse(program_json(
      {constant("ka", "a"), constant("kb", "b"), constant("ks", "sum"), constant("kn", "n"), constant("two", 2),
       constant("one", 1), constant("zero", 0), constant("three", 3),
       node("prim::DictConstruct", {"ka", "x"}, {"d"}), node("aten::mul", {"x", "two"}, {"x2"}),
       node("aten::_set_item", {"d", "kb", "x2"}, {}), node("aten::__getitem__", {"d", "ka"}, {"a"}),
       node("aten::get", {"d", "kb"}, {"b"}), node("aten::add", {"a", "b", "one"}, {"s"}),
       node("aten::__contains__", {"d", "kb"}, {"has_b"}), node("aten::len", {"d"}, {"n"}),
       node("prim::ListConstruct", {"one", "two"}, {"l"}), node("aten::_set_item", {"l", "zero", "three"}, {}),
       node("aten::__getitem__", {"l", "zero"}, {"l0"}), node("aten::mul", {"n", "l0"}, {"nl"}),
       node("aten::keys", {"d"}, {"keys"}), node("aten::len", {"keys"}, {"nk"}),
       node("prim::DictConstruct", {"ks", "s", "kn", "nl"}, {"out"})},
      {"out"}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::mul", "aten::add"}));
  ASSERT_EQ(r.graph->body.outputs.size(), 2u);  // the tensor and the constant 6, lifted
  EXPECT_EQ(r.graph->value(r.graph->body.outputs[1]).role, ValueRole::Constant);
  const RunOutputs out = run_program(p, inputs_x(vec({1, 2, 3})));
  ASSERT_EQ(out.tensors.size(), 2u);
  EXPECT_EQ(values(out.tensors[0]), (std::vector<double>{3, 6, 9}));
  EXPECT_EQ(values(out.tensors[1]), std::vector<double>{6});  // len(d) = 2, l[0] = 3
}

TEST(Dicts, MissingKeyIsAKeyError) {
  const Program p = parse(program_json({constant("ka", "a"), constant("kz", "z"),
                                        node("prim::DictConstruct", {"ka", "x"}, {"d"}),
                                        node("aten::__getitem__", {"d", "kz"}, {"out"}, {}, 4, "d['z']")},
                                       {"out"}));
  const CaptureResult r = capture(p, non_strict_policy());
  const Diagnostic* d = find_diag(r, "python-error");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->message, "KeyError: 'z'");
  EXPECT_EQ(d->loc.line, 4);
}

TEST(Inputs, ListInputsBecomeOneGraphInputPerElement) {
  // forward(self, lx: List[Tensor], o: None): return torch.cat(lx, 0)
  json doc = program_json({constant("zero", 0), node("aten::cat", {"lx", "zero"}, {"out"})}, {"out"});
  doc["graph"]["inputs"] = json::array(
      {{{"name", "self"}, {"type", "Module"}},
       {{"name", "lx"},
        {"type", "List[Tensor]"},
        {"elements", json::array({{{"name", "lx.0"}, {"type", "Tensor"}, {"dtype", "float32"}, {"shape", {"n", 2}}},
                                  {{"name", "lx.1"}, {"type", "Tensor"}, {"dtype", "float32"}, {"shape", {3, 2}}}})}},
       {{"name", "o"}, {"type", "NoneType"}}});
  const Program p = parse(doc);
  const CaptureResult r = capture(p, draft_policy());  // draws random elements
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.value(g.inputs[0]).name, "lx.0");
  EXPECT_EQ(g.value(g.inputs[1]).name, "lx.1");
  EXPECT_EQ(shape_str(g.value(g.body.outputs.at(0)).shape), "[(n+3), 2]");
  const TensorMap random = random_inputs(p, 1);
  ASSERT_TRUE(random.contains("lx.0"));
  EXPECT_EQ(random.find("lx.0")->shape(), (std::vector<int64_t>{2, 2}));  // the symbolic dim takes 2
}

// ------------------------------------------------------------------ functionalization

TEST(InPlace, MutationIsFunctionalizedAndLaterReadsSeeIt) {
  // x.add_(1); return x * x
  const Program p = parse(program_json(
      {constant("one", 1), node("aten::add_", {"x", "one", "one"}, {"x2"}, {}, 2, "x.add_(1)"),
       node("aten::mul", {"x", "x"}, {"out"})},
      {"out"}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  // The mutated input's final value is an extra output, x.updated (a clone).
  EXPECT_EQ(body_ops(g), (std::vector<std::string>{"aten::add", "aten::mul", "aten::clone"}));
  ASSERT_EQ(g.body.outputs.size(), 2u);
  EXPECT_EQ(g.value(g.body.outputs[1]).name, "x.updated");
  EXPECT_EQ(g.body.nodes[2].inputs.at(0).value, g.body.nodes[0].outputs.at(0));
  const Node& add = g.body.nodes[0];
  EXPECT_EQ(add.prov.original_kind, "aten::add_");
  EXPECT_EQ(add.prov.loc.text, "x.add_(1)");
  const Node& mul = g.body.nodes[1];
  EXPECT_EQ(mul.inputs.at(0).value, add.outputs.at(0));
  EXPECT_EQ(mul.inputs.at(1).value, add.outputs.at(0));
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{4, 9, 16}));
}

TEST(InPlace, MutatedBufferBecomesAnExtraOutput) {
  json module = {{"type", "M"},
                 {"attributes", {{"training", false}}},
                 {"buffers", {"count"}}};
  json doc = program_json({node("prim::GetAttr", {"self"}, {"count"}, {{"name", "count"}}),
                           constant("one", 1), node("aten::add_", {"count", "one", "one"}, {"c2"}),
                           node("aten::add", {"x", "count", "one"}, {"out"})},
                          {"out"}, json::array({3}), module);
  Program p = parse(doc);
  p.weights.set("count", vec({0, 0, 0}));
  const CaptureResult r = capture(p, non_strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  ASSERT_EQ(g.mutated_buffers.size(), 1u);
  EXPECT_EQ(g.mutated_buffers[0].first, "count");
  ASSERT_EQ(g.body.outputs.size(), 2u);
  EXPECT_EQ(g.body.outputs[1], g.mutated_buffers[0].second);
  EXPECT_EQ(g.value(g.body.outputs[1]).name, "count.updated");
  EXPECT_TRUE(g.validate().empty());
}

// torch.tensor(items[start:end:step]) of the list [10, ..., 15]: TorchScript
// slices lists by Python's rules, negative steps included (RAFT reverses a
// list with [::-1]).
std::vector<double> list_slice(json start, json end, json step) {
  const Program p = parse(program_json(
      {constant("items", json::array({10, 11, 12, 13, 14, 15})), constant("start", std::move(start)),
       constant("end", std::move(end)), constant("step", std::move(step)), constant("none", nullptr),
       constant("no", false), node("aten::slice", {"items", "start", "end", "step"}, {"part"}),
       node("aten::tensor", {"part", "none", "none", "no"}, {"out"})},
      {"out"}, json::array({1})));
  return run(p, {0});
}

TEST(Lists, SliceFollowsPythonForEveryStep) {
  using V = std::vector<double>;
  EXPECT_EQ(list_slice(nullptr, nullptr, -1), (V{15, 14, 13, 12, 11, 10}));
  EXPECT_EQ(list_slice(3, 0, -1), (V{13, 12, 11}));
  EXPECT_EQ(list_slice(-2, nullptr, -2), (V{14, 12, 10}));
  EXPECT_EQ(list_slice(nullptr, 1, -1), (V{15, 14, 13, 12}));
  EXPECT_EQ(list_slice(10, -10, -1), (V{15, 14, 13, 12, 11, 10}));
  EXPECT_EQ(list_slice(1, nullptr, 2), (V{11, 13, 15}));
  EXPECT_EQ(list_slice(-3, -1, 1), (V{13, 14}));
  EXPECT_EQ(list_slice(nullptr, nullptr, std::numeric_limits<int64_t>::min()), (V{15}));
  EXPECT_EQ(list_slice(2, nullptr, std::numeric_limits<int64_t>::max()), (V{12}));
}

TEST(Lists, SliceWithStepZeroIsAPythonError) {
  const Program p = parse(program_json(
      {constant("items", json::array({1, 2})), constant("none", nullptr), constant("zero", 0),
       node("aten::slice", {"items", "none", "none", "zero"}, {"part"}),
       node("aten::tensor", {"part", "none", "none", "none"}, {"out"})},
      {"out"}, json::array({1})));
  const CaptureResult r = capture(p, strict_policy());
  EXPECT_FALSE(r.graph);
  EXPECT_NE(all_messages(r).find("slice step cannot be zero"), std::string::npos) << all_messages(r);
}

TEST(InPlace, SliceAssignmentIsWrittenBackIntoTheSlicedTensor) {
  // x[1:3] = 0 (slice + fill_); return x
  const Program p = parse(program_json(
      {constant("zero", 0), constant("one", 1), constant("three", 3), constant("none", nullptr),
       node("aten::slice", {"x", "zero", "one", "three", "one"}, {"v"}),
       node("aten::fill_", {"v", "zero"}, {"v2"}, {}, 2, "x[1:3] = 0")},
      {"x"}, json::array({4})));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(run(p, {1, 2, 3, 4}), (std::vector<double>{1, 0, 0, 4}));
  const Graph& g = *r.graph;
  const std::vector<std::string> ops = body_ops(g);
  EXPECT_NE(std::find(ops.begin(), ops.end(), "aten::cat"), ops.end());
  EXPECT_TRUE(g.validate().empty());
}

TEST(InPlace, IntegerIndexPutIsRefusedWithAHint) {
  // x[idx] = 1 with idx an int64 tensor
  json doc = program_json({constant("v", 1.0), node("prim::ListConstruct", {"idx"}, {"l"}),
                           constant("f", false), node("aten::index_put_", {"x", "l", "v", "f"}, {"x2"}, {}, 3, "x[idx] = 1")},
                          {"x2"}, json::array({4}));
  doc["graph"]["inputs"].push_back({{"name", "idx"}, {"type", "Tensor"}, {"dtype", "int64"}, {"shape", {2}}});
  const CaptureResult r = capture(parse(doc), strict_policy());
  EXPECT_FALSE(r.graph);
  EXPECT_NE(all_messages(r).find("only an assignment through one boolean mask"), std::string::npos) << all_messages(r);
}

// ------------------------------------------------------------------ branches resolved while tracing

// if x.dim() != 1: raise ValueError("Expected 1D input"); return relu(x)
json raise_program(json x_shape) {
  return program_json(
      {constant("one", 1), constant("msg", "Expected 1D input"), constant("cls", "builtins.ValueError"),
       node("aten::dim", {"x"}, {"d"}), node("aten::ne", {"d", "one"}, {"bad"}),
       with_blocks(node("prim::If", {"bad"}, {}, {}, 5, "if x.dim() != 1:"),
                   {block({}, {node("prim::RaiseException", {"msg", "cls"}, {}, {}, 6, "raise ValueError(...)")}, {}),
                    block({}, json::array(), {})}),
       node("aten::relu", {"x"}, {"out"})},
      {"out"}, x_shape);
}

TEST(Branches, RaiseInAnUntakenBranchLeavesNoTrace) {
  const CaptureResult r = capture(parse(raise_program(json::array({3}))), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::relu"});
  EXPECT_TRUE(r.diagnostics.empty()) << all_messages(r);
}

TEST(Branches, RaiseOnTheTakenPathIsAnErrorWithItsMessage) {
  const CaptureResult r = capture(parse(raise_program(json::array({2, 3}))), non_strict_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "exception-raised");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("builtins.ValueError: Expected 1D input"), std::string::npos) << d->message;
  EXPECT_EQ(d->loc.line, 6);
}

TEST(Branches, ModuleAttributesAreConstants) {
  // if self.training: return x; return x * self.scale
  json module = {{"type", "M"}, {"attributes", {{"training", false}, {"scale", 3}}}};
  const Program p = parse(program_json(
      {node("prim::GetAttr", {"self"}, {"training"}, {{"name", "training"}}),
       node("prim::GetAttr", {"self"}, {"scale"}, {{"name", "scale"}}),
       with_blocks(node("prim::If", {"training"}, {"out"}),
                   {block({}, json::array(), {"x"}), block({}, {node("aten::mul", {"x", "scale"}, {"m"})}, {"m"})})},
      {"out"}, json::array({3}), module));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::mul"});
  EXPECT_EQ(r.graph->body.nodes[0].inputs.at(1).constant, 3);
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{3, 6, 9}));
}

TEST(Branches, MissingAttributeNamesTheModule) {
  const Program p = parse(program_json({node("prim::GetAttr", {"self"}, {"eps"}, {{"name", "eps"}}),
                                        node("aten::mul", {"x", "eps"}, {"out"})},
                                       {"out"}));
  const CaptureResult r = capture(p, non_strict_policy());
  const Diagnostic* d = find_diag(r, "missing-attribute");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("`eps`"), std::string::npos);
  EXPECT_NE(d->message.find("(M)"), std::string::npos);
}

// Children named "0", "1", ... in order are found by position (the tracer's
// child_module); any other naming by name. Both give the child of that name.
json scaled(double scale) { return {{"type", "Scale"}, {"attributes", {{"scale", scale}}}}; }

// A finished tracer is destroyed on a second thread (core/src/trace/
// release.hpp), and a fork waits for that: a child (an isolated strategy)
// forked right after a trace traces as usual, again and again.
TEST(TracerRelease, AChildForkedRightAfterTracesTracesToo) {
  // Long enough that its tracer takes a while to destroy.
  json nodes = json::array();
  std::string last = "x";
  for (int k = 0; k < 20000; ++k) {
    const std::string out = "a" + std::to_string(k);
    nodes.push_back(node("aten::mul", {last, "x"}, {out}));
    last = out;
  }
  const Program p = parse(program_json(nodes, {last}));
  ASSERT_TRUE(capture(p, strict_policy()).graph);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const CaptureResult r = capture(p, strict_policy());
    const CaptureResult again = capture(p, strict_policy());
    ::_exit(r.graph && again.graph ? 0 : 1);
  }
  int status = 0;
  pid_t done = 0;
  for (int waited_ms = 0; waited_ms < 20000 && (done = ::waitpid(pid, &status, WNOHANG)) == 0; waited_ms += 20)
    ::usleep(20 * 1000);
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "the child did not finish in 20 s";
  }
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Modules, ChildrenAreFoundByPositionOrByName) {
  // return x * self.layers[2].scale * self.odd[0].scale, where odd registers "1" before "0"
  json module = {{"type", "M"},
                 {"children",
                  {{"layers", {{"type", "Sequential"}, {"children", {{"0", scaled(2)}, {"1", scaled(3)}, {"2", scaled(5)}}}}},
                   {"odd", {{"type", "Odd"}, {"children", {{"1", scaled(7)}, {"0", scaled(11)}}}}}}}};
  Program p = parse(program_json({node("prim::GetAttr", {"self"}, {"layers"}, {{"name", "layers"}}),
                                  node("prim::GetAttr", {"layers"}, {"l2"}, {{"name", "2"}}),
                                  node("prim::GetAttr", {"l2"}, {"s2"}, {{"name", "scale"}}),
                                  node("prim::GetAttr", {"self"}, {"odd"}, {{"name", "odd"}}),
                                  node("prim::GetAttr", {"odd"}, {"o0"}, {{"name", "0"}}),
                                  node("prim::GetAttr", {"o0"}, {"s0"}, {{"name", "scale"}}),
                                  node("aten::mul", {"x", "s2"}, {"m"}), node("aten::mul", {"m", "s0"}, {"out"})},
                                 {"out"}, json::array({3}), module));
  // The program's reader keeps children in file order; nlohmann::json sorted
  // them. Put odd's back in registration order, as the file has them.
  ModuleInfo& odd = p.module.children.at(1).second;
  ASSERT_EQ(odd.children.size(), 2u);
  if (odd.children[0].first == "0") std::swap(odd.children[0], odd.children[1]);
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  ASSERT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::mul", "aten::mul"}));
  EXPECT_EQ(r.graph->body.nodes[0].inputs.at(1).constant, 5.0);   // layers[2]
  EXPECT_EQ(r.graph->body.nodes[1].inputs.at(1).constant, 11.0);  // odd's child named "0", registered second
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{55, 110, 165}));
}

TEST(Modules, NamesThatOnlyLookLikePositionsAreNotChildren) {
  json module = {{"type", "M"},
                 {"children", {{"layers", {{"type", "Sequential"}, {"children", {{"0", scaled(2)}, {"1", scaled(3)}}}}}}}};
  for (const char* name : {"01", "2", "+1", "-1", " 1", "1 "}) {
    const Program p = parse(program_json({node("prim::GetAttr", {"self"}, {"layers"}, {{"name", "layers"}}),
                                          node("prim::GetAttr", {"layers"}, {"l"}, {{"name", name}}),
                                          node("prim::GetAttr", {"l"}, {"s"}, {{"name", "scale"}}),
                                          node("aten::mul", {"x", "s"}, {"out"})},
                                         {"out"}, json::array({3}), module));
    const CaptureResult r = capture(p, non_strict_policy());
    const Diagnostic* d = find_diag(r, "missing-attribute");
    ASSERT_NE(d, nullptr) << name << ": " << all_messages(r);
    EXPECT_NE(d->message.find("`" + std::string(name) + "`"), std::string::npos) << d->message;
  }
}

TEST(Branches, EnvironmentQueriesPickTheInferencePath) {
  // if torch.is_grad_enabled() or x.is_cuda: fused path (unknown op) else relu(x)
  const Program p = parse(program_json(
      {node("aten::is_grad_enabled", {}, {"grad"}), node("prim::is_cuda", {"x"}, {"cuda"}),
       node("aten::__or__", {"grad", "cuda"}, {"fast"}), node("prim::device", {"x"}, {"dev"}),
       node("prim::dtype", {"x"}, {"dt"}),
       with_blocks(node("prim::If", {"fast"}, {"out"}),
                   {block({}, {node("aten::_fused_fast_path", {"x", "dev", "dt"}, {"f"})}, {"f"}),
                    block({}, {node("aten::relu", {"x"}, {"r"})}, {"r"})})},
      {"out"}));
  const CaptureResult r = capture(p, strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::relu"});
}

// if x.size(0) > LIMIT: return x * 2 else return -x   (x: [batch, 3])
json shape_branch_program(int64_t limit, json x_shape) {
  return program_json(
      {constant("zero", 0), constant("limit", limit), constant("two", 2), node("aten::size", {"x", "zero"}, {"n"}),
       node("aten::gt", {"n", "limit"}, {"big"}),
       with_blocks(node("prim::If", {"big"}, {"out"}, {}, 7, "if x.size(0) > 4:"),
                   {block({}, {node("aten::mul", {"x", "two"}, {"m"})}, {"m"}),
                    block({}, {node("aten::neg", {"x"}, {"g"})}, {"g"})})},
      {"out"}, x_shape);
}

TEST(ShapeBranches, StaticShapeJustTakesTheBranch) {
  const CaptureResult r = capture(parse(shape_branch_program(4, json::array({5, 3}))), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::mul"});
  EXPECT_TRUE(r.graph->guards.empty());
  EXPECT_TRUE(r.diagnostics.empty());
}

TEST(ShapeBranches, NonStrictSpecializesADynamicDimWithAGuard) {
  const CaptureResult r = capture(parse(shape_branch_program(4, json::array({"batch", 3}))), non_strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  // No example inputs: the dim's hint is 2, so `batch > 4` is false.
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::neg"});
  ASSERT_EQ(r.graph->guards.size(), 1u);
  EXPECT_EQ(r.graph->guards[0].expr, "Le(batch, 4)");
  EXPECT_EQ(r.graph->guards[0].loc.line, 7);
  const Diagnostic* d = find_diag(r, "guard-added");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_NE(d->message.find("`batch`"), std::string::npos) << d->message;
  EXPECT_EQ(shape_str(r.graph->value(r.graph->body.outputs.at(0)).shape), "[batch, 3]");
}

TEST(ShapeBranches, ExampleInputsGiveTheHint) {
  Program p = parse(shape_branch_program(4, json::array({"batch", 3})));
  p.example_inputs.set("x", Tensor::zeros(DType::Float32, {6, 3}));
  const CaptureResult r = capture(p, non_strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::mul"});
  ASSERT_EQ(r.graph->guards.size(), 1u);
  EXPECT_EQ(r.graph->guards[0].expr, "Gt(batch, 4)");
}

TEST(ShapeBranches, CondRewriteBranchesOnTheSymbolicComparison) {
  const CaptureResult r = capture(parse(shape_branch_program(4, json::array({"batch", 3}))), cond_rewrite_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(block_ops(r.graph->body), (std::vector<std::string>{"aten::size", "aten::gt", "higher_order::cond"}));
  const Node* cond = find_node(*r.graph, "higher_order::cond");
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(block_ops(cond->blocks.at(0)), std::vector<std::string>{"aten::mul"});
  EXPECT_EQ(block_ops(cond->blocks.at(1)), std::vector<std::string>{"aten::neg"});
  EXPECT_TRUE(r.graph->guards.empty());
  EXPECT_TRUE(r.graph->sound);
  EXPECT_EQ(shape_str(r.graph->value(r.graph->body.outputs.at(0)).shape), "[batch, 3]");
}

TEST(ShapeBranches, CondRewriteFallsBackToAGuardWhenABranchCannotBeAnIf) {
  // if x.size(0) > 4: out = x.sum()  (rank 0)  else: out = -x  (rank 2)
  const json doc = program_json(
      {constant("zero", 0), constant("limit", 4), node("aten::size", {"x", "zero"}, {"n"}),
       node("aten::gt", {"n", "limit"}, {"big"}),
       with_blocks(node("prim::If", {"big"}, {"out"}, {}, 7, "if x.size(0) > 4:"),
                   {block({}, {node("aten::sum", {"x"}, {"m"})}, {"m"}), block({}, {node("aten::neg", {"x"}, {"g"})}, {"g"})})},
      {"out"}, json::array({"batch", 3}));
  const CaptureResult r = capture(parse(doc), cond_rewrite_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(find_node(*r.graph, "higher_order::cond"), nullptr);
  ASSERT_EQ(r.graph->guards.size(), 1u);
  EXPECT_EQ(r.graph->guards[0].expr, "Le(batch, 4)");
  EXPECT_FALSE(r.graph->sound);
  const Diagnostic* d = find_diag(r, "shape-branch-not-rewritten");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("line 7"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("shape"), std::string::npos) << d->message;
  EXPECT_EQ(count_errors(r), 0u) << all_messages(r);
}

TEST(ShapeBranches, ComparisonsTheAlgebraDecidesNeedNoGuard) {
  // n = x.size(0); if (n + 1) - n == 1 and min(n, 3) <= 3: x * 2 else -x
  const json doc = program_json(
      {constant("zero", 0), constant("one", 1), constant("three", 3), constant("two", 2),
       node("aten::size", {"x", "zero"}, {"n"}), node("aten::add", {"n", "one"}, {"n1"}),
       node("aten::sub", {"n1", "n"}, {"d"}), node("aten::eq", {"d", "one"}, {"c1"}),
       node("prim::min", {"n", "three"}, {"m"}), node("aten::le", {"m", "three"}, {"c2"}),
       node("aten::__and__", {"c1", "c2"}, {"c"}),
       with_blocks(node("prim::If", {"c"}, {"out"}, {}, 9, "if ...:"),
                   {block({}, {node("aten::mul", {"x", "two"}, {"y"})}, {"y"}), block({}, {node("aten::neg", {"x"}, {"g"})}, {"g"})})},
      {"out"}, json::array({"batch", 3}));
  const CaptureResult r = capture(parse(doc), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_TRUE(r.graph->guards.empty());
  EXPECT_EQ(block_ops(r.graph->body), std::vector<std::string>{"aten::mul"});
}

TEST(SymbolicInts, MinOfASizeAndAnIntIsAGraphMinimum) {
  // return x.sum() * min(x.size(0), 3)
  const json doc = program_json({constant("zero", 0), constant("three", 3), node("aten::size", {"x", "zero"}, {"n"}),
                                 node("prim::min", {"n", "three"}, {"m"}), node("aten::sum", {"x"}, {"s"}),
                                 node("aten::mul", {"s", "m"}, {"out"})},
                                {"out"}, json::array({"batch", 3}));
  const CaptureResult r = capture(parse(doc), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Node* m = find_node(*r.graph, "aten::minimum");
  ASSERT_NE(m, nullptr) << r.graph->to_text();
  EXPECT_TRUE(r.graph->guards.empty());
  EXPECT_TRUE(r.graph->sound);
}

// Swin's pattern: a Python int list (one item a size) copied, summed and compared.
//   s = [x.size(0), 0].copy()
//   if sum(s) > 0: return x * 2   else: return x
json sum_list_program(json x_shape) {
  return program_json(
      {constant("zero", 0), constant("two", 2), node("aten::size", {"x", "zero"}, {"n"}),
       node("prim::ListConstruct", {"n", "zero"}, {"l"}), node("aten::copy", {"l"}, {"s"}, {}, 2, "s = s.copy()"),
       node("aten::sum", {"s"}, {"total"}, {}, 3, "if sum(s) > 0:"),
       node("aten::gt", {"total", "zero"}, {"positive"}, {}, 3, "if sum(s) > 0:"),
       with_blocks(node("prim::If", {"positive"}, {"out"}, {}, 3, "if sum(s) > 0:"),
                   {block({}, {node("aten::mul", {"x", "two"}, {"doubled"}, {}, 4, "return x * 2")}, {"doubled"}),
                    block({}, json::array(), {"x"})})},
      {"out"}, x_shape);
}

TEST(Lists, SumOfAStaticIntListIsFolded) {
  const CaptureResult r = capture(parse(sum_list_program(json::array({4, 3}))), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::mul"});
  EXPECT_TRUE(r.graph->guards.empty());
}

TEST(Lists, SumOfAListHoldingASymbolicSizeIsSymbolic) {
  // batch + 0 > 0 holds for every batch (dims are sizes), so no guard is needed.
  const CaptureResult r = capture(parse(sum_list_program(json::array({"batch", 3}))), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::mul"});
  EXPECT_TRUE(r.graph->guards.empty());
  EXPECT_EQ(shape_str(r.graph->value(r.graph->body.outputs.at(0)).shape), "[batch, 3]");
}

TEST(Lists, SumOfAListRunsInTheReferenceInterpreter) {
  EXPECT_EQ(run(parse(sum_list_program(json::array({3}))), {1, 2, 3}), (std::vector<double>{2, 4, 6}));
}

TEST(ShapeBranches, StrictRefusesToSpecializeADynamicDim) {
  const CaptureResult r = capture(parse(shape_branch_program(4, json::array({"batch", 3}))), strict_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "dynamic-dim-guard");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("`batch`"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("line 7"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("batch=2"), std::string::npos) << d->message;
  EXPECT_EQ(d->loc.text, "if x.size(0) > 4:");
}

TEST(ShapeBranches, DynamicDimsAreAssumedAtLeastTwo) {
  // x.size(0) > 1 holds for every dynamic dim (0 and 1 are specialized, as in torch.export).
  const CaptureResult r = capture(parse(shape_branch_program(1, json::array({"batch", 3}))), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::mul"});
  EXPECT_TRUE(r.graph->guards.empty());
}

TEST(ShapeBranches, DynamicShapesOptionMakesADimSymbolic) {
  CaptureOptions options;
  options.dynamic_shapes["x"][0] = "n";
  const CaptureResult r = capture(parse(shape_branch_program(4, json::array({5, 3}))), non_strict_policy(), options);
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(shape_str(r.graph->value(r.graph->inputs.at(0)).shape), "[n, 3]");
  ASSERT_EQ(r.graph->guards.size(), 1u);
  EXPECT_EQ(r.graph->guards[0].expr, "Le(n, 4)");  // no example: hint 2
}

// ------------------------------------------------------------------ side effects and unsupported ops

json print_program() {
  return program_json({constant("msg", "hello"), node("prim::Print", {"msg", "x"}, {}, {}, 9, "print('hello', x)"),
                       node("aten::relu", {"x"}, {"out"})},
                      {"out"});
}

TEST(SideEffects, StrictRefusesPrint) {
  const CaptureResult r = capture(parse(print_program()), strict_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "side-effect");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->loc.line, 9);
}

TEST(SideEffects, NonStrictDropsPrintWithAWarning) {
  const CaptureResult r = capture(parse(print_program()), non_strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::relu"});
  const Diagnostic* d = find_diag(r, "side-effect-dropped");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_EQ(d->category, "side-effect");
}

// `with torch.no_grad(): y = x.relu()` as TorchScript compiles it
// (gaussian_nll_loss does it around its clamp_).
json with_statement_program(const std::string& cls) {
  return program_json({constant("none", nullptr),
                       with_types(node("prim::CreateObject", {}, {"ctx"}, {}, 4, "with torch.no_grad():"), {cls}),
                       node("prim::SetAttr", {"ctx", "none"}, {}, {{"name", "prev"}}),
                       with_types(node("prim::Enter", {"ctx"}, {"entered"}), {"NoneType"}),
                       node("aten::relu", {"x"}, {"y"}),
                       with_types(node("prim::Exit", {"ctx"}, {"exited"}), {"Tensor"})},
                      {"y"});
}

TEST(ContextManagers, NoGradAndEnableGradLeaveTheBodyOnly) {
  for (const std::string cls : {"__torch__.torch.autograd.grad_mode.no_grad",
                                "__torch__.torch.autograd.grad_mode.enable_grad"}) {
    const CaptureResult r = capture(parse(with_statement_program(cls)), strict_policy());
    ASSERT_TRUE(r.graph) << cls << ": " << all_messages(r);
    EXPECT_EQ(body_ops(*r.graph), std::vector<std::string>{"aten::relu"}) << cls;
  }
}

TEST(ContextManagers, OtherClassInstancesAreRefusedByName) {
  const CaptureResult r = capture(parse(with_statement_program("__torch__.model.Timer")), strict_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "unsupported-op");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("__torch__.model.Timer"), std::string::npos) << d->message;
  EXPECT_EQ(d->loc.line, 4);
}

TEST(Unsupported, UnknownOpNamesTheOpAndLine) {
  const Program p = parse(program_json({node("aten::frobnicate", {"x"}, {"y"}, {}, 11, "y = x.frobnicate()"),
                                        node("aten::relu", {"y"}, {"z"}),
                                        node("aten::unfrobnicate", {"x"}, {"out"}, {}, 13, "x.unfrobnicate()")},
                                       {"out"}));
  const CaptureResult nonstrict = capture(p, non_strict_policy());
  EXPECT_FALSE(nonstrict.graph);
  EXPECT_EQ(count_errors(nonstrict), 1u);
  const Diagnostic* d = find_diag(nonstrict, "unsupported-op");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("aten::frobnicate"), std::string::npos);
  EXPECT_EQ(d->loc.line, 11);
  // strict keeps scanning past the failed node (and skips the relu that needs its result).
  const CaptureResult strict = capture(p, strict_policy());
  EXPECT_FALSE(strict.graph);
  EXPECT_EQ(count_errors(strict), 2u) << all_messages(strict);
}

// ------------------------------------------------------------------ data-dependent control flow

// if x.sum(): THEN else: ELSE, with the given blocks; returns `out` (or `after`).
json data_branch_program(json then_block, json else_block, std::vector<std::string> if_outputs, json after,
                         std::vector<std::string> outputs) {
  json nodes = {constant("none", nullptr), constant("one", 1), constant("two", 2),
                node("aten::sum", {"x", "none"}, {"s"}, {}, 20, "if x.sum():"),
                node("aten::Bool", {"s"}, {"b"}, {}, 20, "if x.sum():"),
                with_blocks(node("prim::If", {"b"}, if_outputs, {}, 20, "if x.sum():"), {then_block, else_block})};
  for (const auto& n : after) nodes.push_back(n);
  return program_json(nodes, outputs);
}

TEST(DataDependent, RewriteTurnsAnInPlaceMutationIntoACondOutput) {
  // if x.sum(): x.add_(1)
  // return x * 2
  const Program p = parse(data_branch_program(block({}, {node("aten::add_", {"x", "one", "one"}, {"x2"})}, {}),
                                              block({}, json::array(), {}), {},
                                              {node("aten::mul", {"x", "two"}, {"out"})}, {"out"}));
  const CaptureResult r = capture(p, cond_rewrite_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_TRUE(g.validate().empty()) << g.to_text();
  const Node* cond = find_node(g, "higher_order::cond");
  ASSERT_NE(cond, nullptr);
  ASSERT_EQ(cond->outputs.size(), 1u);
  EXPECT_EQ(block_ops(cond->blocks[0]), std::vector<std::string>{"aten::add"});
  EXPECT_TRUE(cond->blocks[1].nodes.empty());
  EXPECT_EQ(cond->blocks[1].outputs.at(0), g.inputs.at(0));  // untouched x passes through
  const Node& mul = g.body.nodes.back();
  EXPECT_EQ(mul.inputs.at(0).value, cond->outputs[0]);
  EXPECT_EQ(run(p, {1, 2, 3}), (std::vector<double>{4, 6, 8}));
  EXPECT_EQ(run(p, {1, -1, 0}), (std::vector<double>{2, -2, 0}));
}

// `if x.sum(): raise ValueError(...)`: an argument check. Every input on
// which eager returns takes the other block, so every strategy captures that
// block alone, soundly, and notes the assumption (no cond, no guard).
TEST(DataDependent, AnArgumentCheckOnDataTakesTheBlockThatDoesNotRaise) {
  json raise = {constant("msg", "negative"), node("prim::RaiseException", {"msg"}, {}, {}, 21, "raise ValueError")};
  const Program p = parse(data_branch_program(block({}, raise, {}), block({}, json::array(), {}), {},
                                              {node("aten::relu", {"x"}, {"out"})}, {"out"}));
  for (const TracePolicy& policy : {strict_policy(), non_strict_policy(), cond_rewrite_policy()}) {
    const CaptureResult r = capture(p, policy);
    ASSERT_TRUE(r.graph) << policy.strategy << ": " << all_messages(r);
    EXPECT_TRUE(r.graph->sound) << policy.strategy;
    EXPECT_TRUE(r.graph->assertions.empty()) << policy.strategy;
    EXPECT_EQ(find_node(*r.graph, "higher_order::cond"), nullptr) << r.graph->to_text();
    EXPECT_NE(find_node(*r.graph, "aten::relu"), nullptr) << r.graph->to_text();
    const Diagnostic* d = find_diag(r, "raise-branch-skipped");
    ASSERT_NE(d, nullptr) << all_messages(r);
    EXPECT_EQ(d->severity, Severity::Note);
    EXPECT_EQ(d->loc.line, 20);
    EXPECT_NE(d->message.find("Not(Ne(u0, 0))"), std::string::npos) << d->message;
  }
}

// Both blocks raising is no argument check: the branch stays data-dependent.
TEST(DataDependent, BothBlocksRaisingIsStillADataDependentBranch) {
  json raise_a = {constant("msg", "a"), node("prim::RaiseException", {"msg"}, {}, {}, 21, "raise ValueError")};
  json raise_b = {constant("msg2", "b"), node("prim::RaiseException", {"msg2"}, {}, {}, 23, "raise ValueError")};
  const Program p = parse(data_branch_program(block({}, raise_a, {}), block({}, raise_b, {}), {},
                                              {node("aten::relu", {"x"}, {"out"})}, {"out"}));
  const CaptureResult r = capture(p, strict_policy());
  EXPECT_FALSE(r.graph);
  EXPECT_NE(find_diag(r, "data-dependent-branch"), nullptr) << all_messages(r);
}

TEST(DataDependent, RewriteReportsEverythingItCouldNotRewrite) {
  json to_int = {constant("long", json{{"dtype", "int64"}}), node("aten::to", {"x", "long"}, {"xi"})};
  const Program p = parse(data_branch_program(block({}, to_int, {"xi"}), block({}, json::array(), {"x"}), {"y"},
                                              {node("aten::frobnicate", {"x"}, {"out"}, {}, 22, "x.frobnicate()")},
                                              {"out"}));
  const CaptureResult r = capture(p, cond_rewrite_policy());
  EXPECT_FALSE(r.graph);
  ASSERT_EQ(count_errors(r), 2u) << all_messages(r);
  EXPECT_NE(find_diag(r, "branch-mismatch"), nullptr);
  EXPECT_NE(find_diag(r, "unsupported-op"), nullptr);
  EXPECT_EQ(count_errors(capture(p, non_strict_policy())), 1u);  // non-strict stops at the branch
}

TEST(DataDependent, RewriteRefusesBranchesOfDifferentDtypes) {
  json to_int = {constant("long", json{{"dtype", "int64"}}), node("aten::to", {"x", "long"}, {"xi"})};
  const Program p = parse(data_branch_program(block({}, to_int, {"xi"}), block({}, json::array(), {"x"}), {"out"},
                                              json::array(), {"out"}));
  const CaptureResult r = capture(p, cond_rewrite_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "branch-mismatch");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("int64"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("line 20"), std::string::npos) << d->message;
}

TEST(DataDependent, StrictReportsEveryDataDependentBranch) {
  // Two branches on tensor data, one after the other.
  json second = {node("aten::sum", {"y", "none"}, {"s2"}, {}, 30, "if y.sum():"),
                 node("aten::Bool", {"s2"}, {"b2"}),
                 with_blocks(node("prim::If", {"b2"}, {"out"}, {}, 30, "if y.sum():"),
                             {block({}, json::array(), {"y"}), block({}, {node("aten::neg", {"y"}, {"ny"})}, {"ny"})})};
  const Program p = parse(data_branch_program(block({}, {node("aten::mul", {"x", "two"}, {"m"})}, {"m"}),
                                              block({}, {node("aten::neg", {"x"}, {"n"})}, {"n"}), {"y"}, second,
                                              {"out"}));
  const CaptureResult strict = capture(p, strict_policy());
  EXPECT_FALSE(strict.graph);
  ASSERT_EQ(count_errors(strict), 2u) << all_messages(strict);
  EXPECT_EQ(strict.diagnostics[0].loc.line, 20);
  EXPECT_EQ(strict.diagnostics[1].loc.line, 30);
  EXPECT_NE(strict.diagnostics[1].message.find("Ne(u1, 0)"), std::string::npos) << strict.diagnostics[1].message;
  const CaptureResult nonstrict = capture(p, non_strict_policy());
  EXPECT_EQ(count_errors(nonstrict), 1u) << all_messages(nonstrict);
  const CaptureResult rewrite = capture(p, cond_rewrite_policy());
  ASSERT_TRUE(rewrite.graph) << all_messages(rewrite);
  size_t conds = 0;
  for (const Node& n : rewrite.graph->body.nodes) conds += n.op == "higher_order::cond";
  EXPECT_EQ(conds, 2u);
}

// for _ in range(int(x.sum())): x = x + 1
json data_loop_program() {
  return program_json(
      {constant("none", nullptr), constant("true", true), constant("one", 1),
       node("aten::sum", {"x", "none"}, {"s"}), node("aten::Int", {"s"}, {"n"}, {}, 40, "for _ in range(int(x.sum())):"),
       with_blocks(node("prim::Loop", {"n", "true", "x"}, {"y"}, {}, 40, "for _ in range(int(x.sum())):"),
                   {block({"i", "xc"}, {node("aten::add", {"xc", "one", "one"}, {"xn"})}, {"true", "xn"})})},
      {"y"});
}

TEST(DataDependent, RewriteTurnsALoopOnTensorDataIntoAHigherOrderLoop) {
  const CaptureResult r = capture(parse(data_loop_program()), cond_rewrite_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_TRUE(g.validate().empty()) << g.to_text();
  EXPECT_EQ(body_ops(g), (std::vector<std::string>{"aten::sum", "aten::Int", "higher_order::loop"}));
  const Node* loop = find_node(g, "higher_order::loop");
  ASSERT_NE(loop, nullptr);
  // (max_trip = int(x.sum()), cond = True, x)
  ASSERT_EQ(loop->inputs.size(), 3u);
  EXPECT_EQ(loop->inputs[0].value, g.body.nodes[1].outputs.at(0));
  EXPECT_EQ(loop->inputs[1].constant, true);
  EXPECT_EQ(loop->inputs[2].value, g.inputs.at(0));
  const Block& body = loop->blocks.at(0);
  EXPECT_EQ(block_ops(body), std::vector<std::string>{"aten::add"});
  ASSERT_EQ(body.inputs.size(), 2u);  // (iteration, x)
  ASSERT_EQ(body.outputs.size(), 2u);  // (cond, x + 1)
  EXPECT_EQ(g.value(body.outputs[0]).dtype, DType::Bool);
  EXPECT_EQ(body.outputs[1], body.nodes[0].outputs.at(0));
  EXPECT_EQ(g.body.outputs.at(0), loop->outputs.at(0));
  EXPECT_EQ(shape_str(g.value(loop->outputs[0]).shape), "[3]");
}

TEST(DataDependent, RewriteCarriesChangingScalarsAndWidensGrowingShapes) {
  // n = 0
  // while x.sum() < 100:      (the body's condition reads the new x)
  //   x = torch.cat([x, x]); n = n + 1
  // return x * n
  const Program p = parse(program_json(
      {constant("none", nullptr), constant("max", kNoMaxTrip), constant("zero", 0), constant("one", 1),
       constant("hundred", 100), node("aten::sum", {"x", "none"}, {"s"}), node("aten::lt", {"s", "hundred"}, {"small"}),
       node("aten::Bool", {"small"}, {"go"}, {}, 60, "while x.sum() < 100:"),
       with_blocks(node("prim::Loop", {"max", "go", "x", "zero"}, {"y", "n"}, {}, 60, "while x.sum() < 100:"),
                   {block({"i", "xc", "nc"},
                          {node("prim::ListConstruct", {"xc", "xc"}, {"l"}), node("aten::cat", {"l", "zero"}, {"xn"}),
                           node("aten::add", {"nc", "one"}, {"nn"}), node("aten::sum", {"xn", "none"}, {"s2"}),
                           node("aten::lt", {"s2", "hundred"}, {"small2"}), node("aten::Bool", {"small2"}, {"go2"})},
                          {"go2", "xn", "nn"})}),
       node("aten::mul", {"y", "n"}, {"out"})},
      {"out"}));
  const CaptureResult r = capture(p, cond_rewrite_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_TRUE(g.validate().empty()) << g.to_text();
  const Node* loop = find_node(g, "higher_order::loop");
  ASSERT_NE(loop, nullptr);
  EXPECT_TRUE(loop->inputs.at(0).is_none());  // a while loop: no trip count
  ASSERT_EQ(loop->outputs.size(), 2u);        // x and n are both carried
  EXPECT_EQ(g.value(loop->outputs[1]).kind, ValueKind::SymInt);
  const Shape& x_shape = g.value(loop->outputs[0]).shape;
  ASSERT_EQ(x_shape.size(), 1u);
  EXPECT_TRUE(x_shape[0].is_symbolic()) << shape_str(x_shape);  // widened: x grows every iteration
  EXPECT_EQ(loop->prov.loc.line, 60);
  // The program's meaning, by the reference interpreter: the sum goes 6, 12, 24, 48, 96, 192: 5 doublings.
  const std::vector<double> out = run(p, {1, 2, 3});
  EXPECT_EQ(out.size(), 3u * 32u);
  EXPECT_EQ(out.at(0), 5.0);  // x[0] * n with n = 5
}

TEST(DataDependent, RewriteRefusesALoopCarryingAList) {
  // l = [x]; for _ in range(int(x.sum())): l = l + [x]
  const Program p = parse(program_json(
      {constant("none", nullptr), constant("true", true), node("prim::ListConstruct", {"x"}, {"l"}),
       node("aten::sum", {"x", "none"}, {"s"}), node("aten::Int", {"s"}, {"n"}),
       with_blocks(node("prim::Loop", {"n", "true", "l"}, {"lf"}, {}, 70, "for _ in range(int(x.sum())):"),
                   {block({"i", "lc"}, {node("prim::ListConstruct", {"x"}, {"one"}), node("aten::add", {"lc", "one"}, {"ln"})},
                          {"true", "ln"})}),
       constant("zero", 0), node("aten::cat", {"lf", "zero"}, {"out"})},
      {"out"}));
  const CaptureResult r = capture(p, cond_rewrite_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "unsupported-loop");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("line 70"), std::string::npos) << d->message;
}

TEST(DataDependent, NonStrictFailsOnALoopOnTensorData) {
  const CaptureResult r = capture(parse(data_loop_program()), non_strict_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "data-dependent-loop");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("Could not guard on data-dependent expression u0"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("aten::Int(sum"), std::string::npos) << d->message;
  EXPECT_EQ(d->loc.line, 40);
}

TEST(DataDependent, DraftUnrollsTheObservedTripCount) {
  Program p = parse(data_loop_program());
  p.example_inputs.set("x", vec({1, 1, 1}));  // sum = 3
  const CaptureResult r = capture(p, draft_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::add", "aten::add", "aten::add"}));
  ASSERT_EQ(r.graph->assertions.size(), 1u);
  EXPECT_EQ(r.graph->assertions[0].expr, "Eq(u0, 3)");
  EXPECT_FALSE(r.graph->sound);
  EXPECT_EQ(run(p, {1, 1, 1}), (std::vector<double>{4, 4, 4}));
  EXPECT_EQ(run(p, {1, 0, 0}), (std::vector<double>{2, 1, 1}));
}

// An op with a meta function and no reference kernel, registered for these tests.
void register_kernel_less_op() {
  OpDef def;
  def.name = "test::no_kernel";
  def.family = "test";
  def.meta = [](const std::vector<OpArg>& args) { return std::vector<TensorMeta>{args.at(0).meta}; };
  OpLibrary::instance().add(def);
}

TEST(MissingKernel, DraftTracesOnWithoutExampleValues) {
  register_kernel_less_op();
  const Program p = parse(program_json({node("test::no_kernel", {"x"}, {"a"}), node("test::no_kernel", {"a"}, {"b"}),
                                        node("aten::relu", {"b"}, {"out"})},
                                       {"out"}));
  const CaptureResult r = capture(p, draft_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"test::no_kernel", "test::no_kernel", "aten::relu"}));
  const Diagnostic* d = find_diag(r, "missing-kernel");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_EQ(d->category, "missing-kernel");
  EXPECT_EQ(d->occurrences, 2);
  EXPECT_TRUE(r.graph->sound);  // nothing was specialized
}

TEST(MissingKernel, DraftCannotSpecializeABranchOnDataItCouldNotCompute) {
  register_kernel_less_op();
  // if f(x).sum(): return x * 2 else: return -x    (f has no kernel)
  const Program p = parse(program_json(
      {constant("none", nullptr), constant("two", 2), node("test::no_kernel", {"x"}, {"fx"}),
       node("aten::sum", {"fx", "none"}, {"s"}), node("aten::Bool", {"s"}, {"b"}),
       with_blocks(node("prim::If", {"b"}, {"out"}, {}, 20, "if f(x).sum():"),
                   {block({}, {node("aten::mul", {"x", "two"}, {"m"})}, {"m"}),
                    block({}, {node("aten::neg", {"x"}, {"g"})}, {"g"})})},
      {"out"}));
  const CaptureResult r = capture(p, draft_policy());
  EXPECT_FALSE(r.graph);
  const Diagnostic* d = find_diag(r, "unevaluable-condition");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_NE(d->message.find("line 20"), std::string::npos) << d->message;
  EXPECT_NE(find_diag(r, "missing-kernel"), nullptr);
}

TEST(MissingKernel, TheReferenceInterpreterNeedsEveryKernel) {
  register_kernel_less_op();
  const Program p = parse(program_json({node("test::no_kernel", {"x"}, {"out"}, {}, 3, "y = f(x)")}, {"out"}));
  try {
    run_program(p, inputs_x(vec({1, 2, 3})));
    FAIL() << "expected a DiagnosticError";
  } catch (const DiagnosticError& e) {
    EXPECT_EQ(e.diagnostic().code, "missing-kernel");
    EXPECT_EQ(e.diagnostic().loc.line, 3);
  }
}

TEST(DataDependent, DraftCountsRepeatedSpecializationsOfOneBranch) {
  // for i in range(3): if x.sum(): x = x * 2   -- the same branch, specialized 3 times
  const Program p = parse(program_json(
      {constant("three", 3), constant("true", true), constant("none", nullptr), constant("two", 2),
       with_blocks(node("prim::Loop", {"three", "true", "x"}, {"y"}),
                   {block({"i", "xc"},
                          {node("aten::sum", {"xc", "none"}, {"s"}), node("aten::Bool", {"s"}, {"b"}),
                           with_blocks(node("prim::If", {"b"}, {"xn"}, {}, 50, "if x.sum():"),
                                       {block({}, {node("aten::mul", {"xc", "two"}, {"m"})}, {"m"}),
                                        block({}, json::array(), {"xc"})})},
                          {"true", "xn"})})},
      {"y"}));
  const CaptureResult strict = capture(p, strict_policy());
  EXPECT_FALSE(strict.graph);
  ASSERT_EQ(count_errors(strict), 1u) << all_messages(strict);  // one error, met in each unrolled iteration
  EXPECT_EQ(strict.diagnostics[0].occurrences, 3);
  const CaptureResult r = capture(p, draft_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(r.graph->assertions.size(), 3u);
  const Diagnostic* d = find_diag(r, "data-dependent-branch");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->occurrences, 3);
  size_t warnings = 0;
  for (const auto& diag : r.diagnostics) warnings += diag.code == "data-dependent-branch";
  EXPECT_EQ(warnings, 1u);
}

}  // namespace
}  // namespace onnxport::test

// ------------------------------------------------------------------ composite ops

namespace onnxport::test {
namespace {

// forward(x [4, 3]): embedding_bag(x, arange(4), tensor([0, 0, 3]), mode=MODE)
// with an empty first bag; returns result `result` of the op.
Program embedding_bag_program(int mode, size_t result) {
  const std::vector<std::string> outs = {"bags", "offset2bag", "bag_size", "max_indices"};
  return parse(program_json(
      {constant("four", 4), constant("long", 4), constant("none", nullptr), constant("false", false),
       constant("starts", json::array({0, 0, 3})), constant("mode", mode),
       node("aten::arange", {"four", "long", "none", "none", "none"}, {"indices"}),
       node("aten::tensor", {"starts", "long", "none", "false"}, {"offsets"}),
       node("aten::embedding_bag", {"x", "indices", "offsets", "false", "mode", "false", "none", "false"}, outs, {}, 7,
            "ret, _, _, _ = torch.embedding_bag(weight, input, offsets)")},
      {outs[result]}, json::array({4, 3})));
}

std::vector<float> values_of(const Tensor& t) {
  std::vector<float> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(static_cast<float>(t.get_double(i)));
  return out;
}

TEST(Composite, EmbeddingBagSumsMeansAndMaxesEachBagAndAnEmptyBagIsZero) {
  const Tensor x = Tensor::from_vector(DType::Float32, {4, 3}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  const std::vector<std::vector<float>> expected = {
      {0, 0, 0, 12, 15, 18, 10, 11, 12},  // sum
      {0, 0, 0, 4, 5, 6, 10, 11, 12},     // mean
      {0, 0, 0, 7, 8, 9, 10, 11, 12},     // max
  };
  for (int mode = 0; mode < 3; ++mode) {
    const Program p = embedding_bag_program(mode, 0);
    const RunOutputs out = run_program(p, inputs_x(x));
    ASSERT_EQ(out.tensors.size(), 1u);
    EXPECT_EQ(out.tensors[0].shape(), (std::vector<int64_t>{3, 3})) << "mode " << mode;
    EXPECT_EQ(values_of(out.tensors[0]), expected[static_cast<size_t>(mode)]) << "mode " << mode;
    const CaptureResult r = capture(p, strict_policy());
    ASSERT_TRUE(r.graph) << all_messages(r);
    EXPECT_TRUE(r.graph->sound);
  }
}

TEST(Composite, EmbeddingBagRefusesAProgramThatReadsItsBookkeepingResults) {
  for (size_t result = 1; result < 4; ++result) {
    const CaptureResult r = capture(embedding_bag_program(0, result), strict_policy());
    EXPECT_FALSE(r.graph);
    const Diagnostic* d = find_diag(r, "unsupported-op");
    ASSERT_NE(d, nullptr) << all_messages(r);
    EXPECT_NE(d->message.find("offset2bag, bag_size or max_indices"), std::string::npos) << d->message;
    EXPECT_EQ(d->loc.line, 7);
  }
}

// What torch.jit.trace records for size arithmetic: x [batch, 6] viewed as
// [batch * 6 // 4 (floor_divide), ...]: sizes become 0-d tensors
// (prim::NumToTensor), the arithmetic tensor ops, and aten::Int turns them
// back into ints. MultiheadAttention's head_dim is div(.., rounding_mode='trunc').
Program traced_size_program(const std::string& last_op) {
  json nodes = {constant("zero", 0), constant("one", 1), constant("three", 3), constant("four", 4),
                constant("minus_one", -1), constant("trunc", "trunc"),
                node("aten::size", {"x", "zero"}, {"n"}), node("prim::NumToTensor", {"n"}, {"n_t"}),
                node("aten::size", {"x", "one"}, {"w"}), node("prim::NumToTensor", {"w"}, {"w_t"}),
                node("aten::mul", {"n_t", "w_t"}, {"total_t"}),                    // batch * 6
                node("aten::add", {"total_t", "four", "one"}, {"padded_t"}),       // + 4
                node("aten::sub", {"padded_t", "four", "one"}, {"same_t"})};       // - 4
  if (last_op == "floor_divide") nodes.push_back(node("aten::floor_divide", {"same_t", "three"}, {"rows_t"}));
  else nodes.push_back(node("aten::div", {"same_t", "three", "trunc"}, {"rows_t"}));
  nodes.push_back(node("aten::Int", {"rows_t"}, {"rows"}, {}, 9, "x.view(x.size(0) * x.size(1) // 3, -1)"));
  nodes.push_back(node("prim::ListConstruct", {"rows", "minus_one"}, {"shape"}));
  nodes.push_back(node("aten::view", {"x", "shape"}, {"out"}));
  return parse(program_json(nodes, {"out"}, json::array({"batch", 6})));
}

TEST(TracedSizes, ArithmeticOnSizeTensorsStaysSymbolic) {
  for (const std::string op : {"floor_divide", "trunc"}) {
    const CaptureResult r = capture(traced_size_program(op), strict_policy());
    ASSERT_TRUE(r.graph) << op << ": " << all_messages(r);
    EXPECT_TRUE(r.graph->sound) << op;
    const Shape& out = r.graph->value(r.graph->body.outputs.at(0)).shape;
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].str().find('u'), std::string::npos) << op << ": " << shape_str(out);  // not read from data
    EXPECT_EQ(out[1], Dim(3)) << op << ": " << shape_str(out);
    const RunOutputs run = run_program(traced_size_program(op), inputs_x(Tensor::zeros(DType::Float32, {5, 6})));
    EXPECT_EQ(run.tensors.at(0).shape(), (std::vector<int64_t>{10, 3})) << op;
  }
}

// x.gt(0).nonzero().squeeze(DIMS): nonzero's count u0 may be 1 at run time.
Program squeeze_nonzero_program(json dims) {
  json nodes = {constant("zero", 0), node("aten::gt", {"x", "zero"}, {"mask"}), node("aten::nonzero", {"mask"}, {"nz"})};
  if (dims.is_null()) {
    nodes.push_back(node("aten::squeeze", {"nz"}, {"out"}, {}, 4, "rows = x.gt(0).nonzero().squeeze()"));
  } else {
    nodes.push_back(constant("dims", dims));
    nodes.push_back(node("aten::squeeze", {"nz", "dims"}, {"out"}, {}, 4, "rows = x.gt(0).nonzero().squeeze(d)"));
  }
  return parse(program_json(nodes, {"out"}));
}

TEST(DataDependentShapes, SqueezingASizeFromDataIsRefused) {
  for (const json& dims : {json(nullptr), json(0), json::array({0, 1})}) {
    for (const TracePolicy& policy : {strict_policy(), cond_rewrite_policy(), draft_policy()}) {
      const CaptureResult r = capture(squeeze_nonzero_program(dims), policy);
      EXPECT_FALSE(r.graph) << dims.dump() << " " << policy.strategy;
      const Diagnostic* d = find_diag(r, "data-dependent-shape");
      ASSERT_NE(d, nullptr) << dims.dump() << " " << policy.strategy << ": " << all_messages(r);
      EXPECT_NE(d->message.find("u0"), std::string::npos) << d->message;
      EXPECT_EQ(d->loc.line, 4);
    }
  }
  // The static dim of nonzero's [u0, 1] squeezes as always.
  const CaptureResult r = capture(squeeze_nonzero_program(json(1)), strict_policy());
  ASSERT_TRUE(r.graph) << all_messages(r);
  EXPECT_EQ(shape_str(r.graph->value(r.graph->body.outputs.at(0)).shape), "[u0]");
}

}  // namespace
}  // namespace onnxport::test
