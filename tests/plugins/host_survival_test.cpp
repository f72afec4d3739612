// A host that survives bad plugins (issue 5), in-process: the strategy graph
// check, isolated capture (crash, abort, hang, throw, a good result crossing
// the process boundary), capture_with_fallback going on after each, and the
// failing-translator fallback. The CLI end to end is in test_host_survives.py.
#include <onnxport_core/onnx_build.hpp>
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/plugin_host.hpp>
#include <onnxport_core/registry.hpp>

#include "pipeline/capture_stage.hpp"
#include "pipeline/graph_check.hpp"
#include "pipeline/isolated_capture.hpp"
#include "pipeline/stopwatch.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace onnxport;

namespace {

const fs::path kZoo = ONNXPORT_TEST_PLUGIN_DIR;
const std::string kPlugin = "plugintest-bad-strategies";

fs::path zoo(const std::string& name) { return kZoo / ("libonnxport-plugintest-" + name + ".so"); }

class RecordingServices final : public HostServices {
 public:
  std::vector<std::pair<Severity, std::string>> logged;
  void log(Severity severity, std::string_view message) override { logged.emplace_back(severity, message); }
};

// The bad-strategies plugin, loaded once per test.
class BadStrategies : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host_.load(zoo("bad-strategies")).loaded) << host_.plugins().back().error;
    program_.name = "Zoo";
  }

  CaptureResult in_process(const std::string& strategy) {
    Strategy* s = host_.strategy(strategy);
    EXPECT_NE(s, nullptr) << strategy;
    return safe_capture(*s, program_, CaptureOptions{}, services_, kPlugin);
  }

  CaptureResult isolated(const std::string& strategy, double timeout_s = 0) {
    Strategy* s = host_.strategy(strategy);
    EXPECT_NE(s, nullptr) << strategy;
    return pipeline::isolated_capture(*s, program_, CaptureOptions{}, services_, kPlugin, timeout_s);
  }

  // A copy: the result is usually a temporary.
  static Diagnostic only_error(const CaptureResult& r) {
    EXPECT_FALSE(r.graph.has_value());
    EXPECT_EQ(r.diagnostics.size(), 1u);
    return r.diagnostics.empty() ? Diagnostic{} : r.diagnostics.front();
  }

  PluginHost host_;
  Program program_;
  RecordingServices services_;
};

}  // namespace

// ---------------------------------------------------------------------------
// check_captured_graph

TEST_F(BadStrategies, DanglingValueIsReportedWithItsPlace) {
  CaptureResult r = in_process("zoo-dangling");
  ASSERT_TRUE(r.graph.has_value());
  EXPECT_EQ(pipeline::check_captured_graph(*r.graph),
            std::vector<std::string>{"body/nodes/0 (aten::relu) input 0: dangling value id 42 (graph has 2 values)"});
}

TEST_F(BadStrategies, WrongArityOfAKnownOpIsReported) {
  CaptureResult r = in_process("zoo-wrong-arity");
  ASSERT_TRUE(r.graph.has_value());
  EXPECT_EQ(pipeline::check_captured_graph(*r.graph),
            std::vector<std::string>{"body/nodes/0 (aten::linear): wrong arity: 1 argument(s) given; aten::linear: the call does not "
                                     "fit the schema aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> "
                                     "Tensor: argument 'weight' (position 1, Tensor) is missing and has no default"});
}

TEST(GraphCheck, WrongOutputCountOfAKnownOpIsReported) {
  Graph g;
  Value x;
  x.name = "x";
  x.shape = {2, 3};
  x.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(x));
  Value y = x;
  y.role = ValueRole::Intermediate;
  y.name = "y";
  const ValueId y1 = g.add_value(y);
  y.name = "y2";
  const ValueId y2 = g.add_value(y);
  Node relu;
  relu.op = "aten::relu";
  relu.inputs = {Arg::of(g.inputs[0])};
  relu.outputs = {y1, y2};
  g.body.nodes.push_back(relu);
  g.body.outputs = {y1};
  EXPECT_EQ(pipeline::check_captured_graph(g),
            std::vector<std::string>{"body/nodes/0 (aten::relu): wrong arity: the node has 2 output(s), aten::relu "
                                     "produces 1"});
  g.body.nodes[0].outputs = {y1};
  g.values.pop_back();
  EXPECT_TRUE(pipeline::check_captured_graph(g).empty());
}

// A relu over `in` that claims two outputs (relu produces one): an arity problem.
static Node relu_with_two_outputs(Graph& g, ValueId in, const std::string& name) {
  Value v = g.value(in);
  v.role = ValueRole::Intermediate;
  v.name = name;
  Node relu;
  relu.op = "aten::relu";
  relu.inputs = {Arg::of(in)};
  relu.outputs = {g.add_value(v)};
  v.name = name + "_extra";
  relu.outputs.push_back(g.add_value(v));
  return relu;
}

// The arity check rides on the validator's walk (graph/graph_validator.hpp):
// nodes inside blocks are checked where the walk meets them, in the order a
// walk over the blocks gives.
TEST(GraphCheck, ArityInsideBlocksIsReportedInWalkOrder) {
  Graph g;
  Value x;
  x.name = "x";
  x.shape = {2, 3};
  x.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(x));
  Value p;
  p.name = "p";
  p.dtype = DType::Bool;
  p.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(p));
  Node cond;
  cond.op = "higher_order::cond";
  cond.inputs = {Arg::of(g.inputs[1])};
  Block then_block, else_block;
  then_block.nodes.push_back(relu_with_two_outputs(g, g.inputs[0], "t"));
  then_block.outputs = {then_block.nodes[0].outputs[0]};
  Node else_relu;
  else_relu.op = "aten::relu";
  else_relu.inputs = {Arg::of(g.inputs[0])};
  Value e = x;
  e.role = ValueRole::Intermediate;
  e.name = "e";
  else_relu.outputs = {g.add_value(e)};
  else_block.nodes.push_back(else_relu);
  else_block.outputs = {else_relu.outputs[0]};
  cond.blocks = {then_block, else_block};
  Value c = x;
  c.role = ValueRole::Intermediate;
  c.name = "c";
  cond.outputs = {g.add_value(c)};
  g.body.nodes.push_back(cond);
  g.body.nodes.push_back(relu_with_two_outputs(g, cond.outputs[0], "y"));
  g.body.outputs = {g.body.nodes[1].outputs[0]};
  EXPECT_EQ(pipeline::check_captured_graph(g),
            (std::vector<std::string>{
                "body/nodes/0/blocks/0/nodes/0 (aten::relu): wrong arity: the node has 2 output(s), aten::relu produces 1",
                "body/nodes/1 (aten::relu): wrong arity: the node has 2 output(s), aten::relu produces 1"}));
}

// Arity problems count only in a graph the validator found valid: in an
// invalid one, the validator's problems are the whole answer.
TEST(GraphCheck, ArityProblemsAreLeftOutWhenTheGraphIsInvalid) {
  Graph g;
  Value x;
  x.name = "x";
  x.shape = {2, 3};
  x.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(x));
  g.body.nodes.push_back(relu_with_two_outputs(g, g.inputs[0], "a"));  // an arity problem first
  Value later = x;
  later.role = ValueRole::Intermediate;
  later.name = "later";
  const ValueId later_id = g.add_value(later);
  Node early;  // reads `later` before the node that defines it
  early.op = "aten::relu";
  early.inputs = {Arg::of(later_id)};
  Value b = x;
  b.role = ValueRole::Intermediate;
  b.name = "b";
  early.outputs = {g.add_value(b)};
  g.body.nodes.push_back(early);
  Node defines;
  defines.op = "aten::relu";
  defines.inputs = {Arg::of(g.inputs[0])};
  defines.outputs = {later_id};
  g.body.nodes.push_back(defines);
  g.body.outputs = {early.outputs[0]};
  EXPECT_EQ(pipeline::check_captured_graph(g),
            std::vector<std::string>{"body/nodes/1 (aten::relu) input 0: value %3 'later' is used before its definition"});
}

TEST_F(BadStrategies, CustomOpsAreLeftToTheirTranslators) {
  CaptureResult r = in_process("zoo-custom-op");
  ASSERT_TRUE(r.graph.has_value());
  EXPECT_TRUE(pipeline::check_captured_graph(*r.graph).empty());
}

// ---------------------------------------------------------------------------
// isolated_capture

TEST_F(BadStrategies, SegfaultInTheChildIsReportedWithItsSignal) {
  const Diagnostic d = only_error(isolated("zoo-segfault"));
  EXPECT_EQ(d.code, "strategy-crashed");
  EXPECT_EQ(d.stage, "capture");
  EXPECT_EQ(d.plugin, kPlugin);
  EXPECT_EQ(d.message, "strategy 'zoo-segfault' (plugin plugintest-bad-strategies) crashed with SIGSEGV "
                       "(Segmentation fault) in its isolated process");
}

TEST_F(BadStrategies, AbortInTheChildIsReportedWithItsSignal) {
  const Diagnostic d = only_error(isolated("zoo-abort"));
  EXPECT_EQ(d.code, "strategy-crashed");
  EXPECT_EQ(d.message, "strategy 'zoo-abort' (plugin plugintest-bad-strategies) crashed with SIGABRT (Aborted) in "
                       "its isolated process");
}

TEST_F(BadStrategies, HangingChildIsKilledAtTheTimeout) {
  pipeline::Stopwatch clock;
  const Diagnostic d = only_error(isolated("zoo-hang", 0.5));
  EXPECT_EQ(d.code, "strategy-timeout");
  EXPECT_EQ(d.message, "strategy 'zoo-hang' (plugin plugintest-bad-strategies) did not finish within 0.5 s "
                       "(timeout_s) and was killed");
  EXPECT_GE(clock.seconds(), 0.5);
  EXPECT_LT(clock.seconds(), 5.0);
}

TEST_F(BadStrategies, ExceptionInTheChildIsTheSameDiagnosticAsInProcess) {
  const Diagnostic isolated_error = only_error(isolated("zoo-throws"));
  const Diagnostic in_process_error = only_error(in_process("zoo-throws"));
  EXPECT_EQ(isolated_error.code, "strategy-threw");
  EXPECT_EQ(isolated_error.message, in_process_error.message);
  EXPECT_EQ(isolated_error.message,
            "strategy 'zoo-throws' (plugin plugintest-bad-strategies) threw: zoo-throws gave up on purpose");
}

TEST_F(BadStrategies, GraphAndLogsCrossTheProcessBoundary) {
  CaptureResult here = in_process("zoo-custom-op");
  services_.logged.clear();
  CaptureResult there = isolated("zoo-custom-op", 30);
  ASSERT_TRUE(there.graph.has_value());
  EXPECT_TRUE(there.diagnostics.empty());
  EXPECT_EQ(there.graph->to_json(true), here.graph->to_json(true));
  ASSERT_EQ(services_.logged.size(), 1u);
  EXPECT_EQ(services_.logged[0].first, Severity::Warning);
  EXPECT_EQ(services_.logged[0].second, "zoo-custom-op uses the custom op zoo::scale");
}

TEST(SignalName, NamesTheUsualSignals) {
  EXPECT_EQ(pipeline::signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(pipeline::signal_name(SIGABRT), "SIGABRT");
  EXPECT_EQ(pipeline::signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(pipeline::signal_name(SIGRTMIN + 3), "signal " + std::to_string(SIGRTMIN + 3));
}

// ---------------------------------------------------------------------------
// capture_with_fallback

TEST_F(BadStrategies, FallbackGoesOnAfterEveryKindOfFailure) {
  std::ostringstream out;
  StatusPrinter status(out, Verbosity::Normal);
  ExportReport report;
  const std::vector<std::string> order{"zoo-throws", "zoo-dangling", "zoo-wrong-arity", "zoo-segfault",
                                       "zoo-abort",  "zoo-hang",     "zoo-custom-op"};
  std::optional<Graph> graph = pipeline::capture_with_fallback(program_, host_, order, CaptureOptions{}, status,
                                                               report, pipeline::IsolationOptions{true, 1});
  ASSERT_TRUE(graph.has_value()) << out.str();
  EXPECT_EQ(report.chosen_strategy, "zoo-custom-op");
  ASSERT_EQ(report.attempts.size(), order.size());
  const std::vector<std::string> codes{"strategy-threw",  "strategy-malformed-graph", "strategy-malformed-graph",
                                       "strategy-crashed", "strategy-crashed",         "strategy-timeout"};
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(report.attempts[i].status, Status::Failed) << order[i];
    ASSERT_FALSE(report.attempts[i].diagnostics.empty()) << order[i];
    EXPECT_EQ(report.attempts[i].diagnostics.back().code, codes[i]) << order[i];
    EXPECT_NE(out.str().find("[onnxport] Obtain model graph for `Zoo` with `" + order[i] + "`... ❌"),
              std::string::npos)
        << out.str();
  }
  EXPECT_EQ(report.attempts[1].failure,
            "strategy 'zoo-dangling' (plugin plugintest-bad-strategies) returned a malformed graph (1 problem):\n"
            "  - body/nodes/0 (aten::relu) input 0: dangling value id 42 (graph has 2 values)");
  EXPECT_NE(out.str().find("crashed with SIGSEGV"), std::string::npos);
  EXPECT_NE(out.str().find("crashed with SIGABRT"), std::string::npos);
  EXPECT_NE(out.str().find("[onnxport] Obtain model graph for `Zoo` with `zoo-custom-op`... ✅"), std::string::npos);
}

TEST_F(BadStrategies, TimeoutWithoutIsolationIsAWarningNotASilentNoOp) {
  std::ostringstream out;
  StatusPrinter status(out, Verbosity::Normal);
  ExportReport report;
  pipeline::capture_with_fallback(program_, host_, {"zoo-custom-op"}, CaptureOptions{}, status, report,
                                  pipeline::IsolationOptions{false, 2});
  EXPECT_NE(out.str().find("[onnxport] warning: timeout_s (2 s) has no effect without isolation"), std::string::npos)
      << out.str();
}

// ---------------------------------------------------------------------------
// Failing translators fall back to the next candidate

namespace {

void refuse(TranslateContext&) { throw std::runtime_error("refused on purpose"); }
void unknown_type(TranslateContext& ctx) { ctx.set_output(0, ctx.op("NoSuchOnnxOp", {ctx.input(0)})); }
void identity(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Identity", {ctx.input(0)})); }

// x -> zoo::scale -> y
Graph custom_op_graph() {
  Graph g;
  Value x;
  x.name = "x";
  x.shape = {2, 3};
  x.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(x));
  x.name = "y";
  x.role = ValueRole::Intermediate;
  const ValueId y = g.add_value(x);
  Node n;
  n.op = "zoo::scale";
  n.inputs = {Arg::of(g.inputs[0])};
  n.outputs = {y};
  g.body.nodes.push_back(n);
  g.body.outputs = {y};
  return g;
}

std::vector<const Diagnostic*> with_code(const TranslationResult& r, const std::string& code) {
  std::vector<const Diagnostic*> out;
  for (const Diagnostic& d : r.diagnostics)
    if (d.code == code) out.push_back(&d);
  return out;
}

}  // namespace

TEST(TranslatorFallback, FailuresBecomeWarningsWhenALowerPriorityTranslatorSucceeds) {
  TranslatorRegistry registry;
  registry.add({.op = "zoo::scale", .fn = refuse, .priority = 10, .description = "refuses"}, "thrower");
  registry.add({.op = "zoo::scale", .fn = unknown_type, .priority = 5, .description = "invents a type"}, "inventor");
  registry.add({.op = "zoo::scale", .fn = identity, .description = "identity"}, "builtin");
  TranslationResult r = translate_graph(custom_op_graph(), registry, TranslateOptions{});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.model.graph().node_size(), 1);
  EXPECT_EQ(r.model.graph().node(0).op_type(), "Identity");
  auto threw = with_code(r, "translator-failed");
  auto invalid = with_code(r, "translator-invalid-node");
  ASSERT_EQ(threw.size(), 1u);
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(threw[0]->severity, Severity::Warning);
  EXPECT_EQ(threw[0]->message,
            "translator for 'zoo::scale' (plugin 'thrower') failed on `y = zoo::scale(x)`: unexpected exception: "
            "refused on purpose");
  EXPECT_EQ(threw[0]->hint, "fell back to the translator of plugin 'builtin' (opset 1.., priority 0)");
  EXPECT_EQ(invalid[0]->severity, Severity::Warning);
  EXPECT_NE(invalid[0]->message.find("translator for 'zoo::scale' (plugin 'inventor') emitted "), std::string::npos);
  EXPECT_NE(invalid[0]->message.find("'NoSuchOnnxOp' is not an ONNX operator at opset 17"), std::string::npos)
      << invalid[0]->message;
  ASSERT_EQ(r.used.size(), 1u);
  EXPECT_EQ(r.used[0].second, "builtin (opset 1.., priority 0)");
}

TEST(TranslatorFallback, WhenEveryCandidateFailsEachFailureIsAnError) {
  TranslatorRegistry registry;
  registry.add({.op = "zoo::scale", .fn = refuse, .priority = 10, .description = "refuses"}, "thrower");
  registry.add({.op = "zoo::scale", .fn = unknown_type, .description = "test"}, "inventor");
  TranslationResult r = translate_graph(custom_op_graph(), registry, TranslateOptions{});
  EXPECT_FALSE(r.ok);
  auto threw = with_code(r, "translator-failed");
  auto invalid = with_code(r, "translator-invalid-node");
  ASSERT_EQ(threw.size(), 1u);
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(threw[0]->severity, Severity::Error);
  EXPECT_EQ(invalid[0]->severity, Severity::Error);
  EXPECT_EQ(r.model.graph().node_size(), 0) << "a failed translation leaves no node behind";
}
