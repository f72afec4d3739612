// The seed scenario through the tracing engine: each strategy policy on
// examples/seed, seed-cond and seed-gt, and the reference interpreter on them.
#include "trace_test_util.hpp"

#include <cmath>

namespace onnxport::test {
namespace {

// Outputs of eager PyTorch 1.13 on the seed's model and weights, obtained with
// /usr/bin/python3 and tests/trace/torch_reference.py (which prints them):
//   x = [-3, -3, -3]: mlp(x) =  0.5003867745399475 -> seed and seed-gt return x * 2
//   x = [ 5,  5,  5]: mlp(x) = -0.2104332596063614 -> seed returns x * 2 (non-zero),
//                                                     seed-gt returns -x (not > 0)
constexpr double kMlpAtMinus3 = 0.5003867745399475;
constexpr double kMlpAt5 = -0.2104332596063614;

class SeedCapture : public ::testing::Test {
 protected:
  static Program load(const std::string& name) { return load_program(example(name)); }
};

void expect_data_dependent_failure(const CaptureResult& r) {
  EXPECT_FALSE(r.graph.has_value());
  const Diagnostic* d = find_diag(r, "data-dependent-branch");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->category, "data-dependent");
  EXPECT_EQ(d->loc.text, "if x.sum():");
  EXPECT_EQ(d->loc.line, 24);
  EXPECT_NE(d->message.find("Could not guard on data-dependent expression Ne(u0, 0)"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("aten::Bool(sum_1)"), std::string::npos) << d->message;
  EXPECT_NE(d->hint.find("cond"), std::string::npos);
  // The graph captured up to the branch, as the seed prints it.
  EXPECT_NE(r.partial_graph.find("aten::sum"), std::string::npos) << r.partial_graph;
  EXPECT_NE(r.partial_graph.find("aten::linear"), std::string::npos) << r.partial_graph;
  EXPECT_EQ(r.partial_graph.find("aten::mul"), std::string::npos) << r.partial_graph;
  ASSERT_TRUE(d->details.contains("partial_graph"));
}

TEST_F(SeedCapture, NonStrictFailsOnTheDataDependentBranch) {
  const CaptureResult r = capture(load("seed"), non_strict_policy());
  expect_data_dependent_failure(r);
  EXPECT_EQ(count_errors(r), 1u) << all_messages(r);
}

TEST_F(SeedCapture, StrictFailsAndReportsEveryProblem) {
  const CaptureResult r = capture(load("seed"), strict_policy());
  expect_data_dependent_failure(r);
  // Scanning both branches finds nothing else wrong in the seed.
  EXPECT_EQ(count_errors(r), 1u) << all_messages(r);
}

TEST_F(SeedCapture, CondRewriteEmitsACondWithMulAndNegBranches) {
  const CaptureResult r = capture(load("seed"), cond_rewrite_policy());
  ASSERT_TRUE(r.graph.has_value()) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_TRUE(g.validate().empty());
  EXPECT_EQ(body_ops(g), (std::vector<std::string>{"aten::linear", "aten::linear", "aten::sum", "aten::Bool",
                                                    "higher_order::cond"}));
  const Node* cond = find_node(g, "higher_order::cond");
  ASSERT_NE(cond, nullptr);
  ASSERT_EQ(cond->blocks.size(), 2u);
  EXPECT_EQ(block_ops(cond->blocks[0]), std::vector<std::string>{"aten::mul"});
  EXPECT_EQ(block_ops(cond->blocks[1]), std::vector<std::string>{"aten::neg"});
  // The predicate is the aten::Bool value; the output is the cond's.
  ASSERT_TRUE(cond->inputs.at(0).is_value());
  EXPECT_EQ(g.value(cond->inputs[0].value).kind, ValueKind::SymBool);
  ASSERT_EQ(g.body.outputs.size(), 1u);
  EXPECT_EQ(g.body.outputs[0], cond->outputs.at(0));
  EXPECT_EQ(g.value(cond->outputs[0]).dtype, DType::Float32);
  EXPECT_EQ(shape_str(g.value(cond->outputs[0]).shape), "[1]");
  EXPECT_EQ(cond->prov.loc.line, 24);
  EXPECT_TRUE(g.sound);
  EXPECT_EQ(count_errors(r), 0u);
}

TEST_F(SeedCapture, DraftSpecializesTheBranchWithAnAssertion) {
  const CaptureResult r = capture(load("seed"), draft_policy());
  ASSERT_TRUE(r.graph.has_value()) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_TRUE(g.validate().empty());
  // The seed's draft result: no sum, no Bool, no cond.
  EXPECT_EQ(body_ops(g), (std::vector<std::string>{"aten::linear", "aten::linear", "aten::mul"}));
  EXPECT_FALSE(g.sound);
  ASSERT_EQ(g.assertions.size(), 1u);
  EXPECT_EQ(g.assertions[0].expr, "Ne(u0, 0)");
  EXPECT_EQ(g.assertions[0].loc.line, 24);
  const Diagnostic* d = find_diag(r, "data-dependent-branch");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_EQ(d->category, "data-dependent");
  EXPECT_EQ(d->occurrences, 1);
  EXPECT_EQ(d->loc.text, "if x.sum():");
  EXPECT_EQ(d->message,
            "When exporting, the value of `Ne(u0, 0)` could not be evaluated symbolically; it was specialized to "
            "`True` (the example inputs' value)");
  EXPECT_EQ(r.details.value("inputs", ""), "random (seed 0)");
  EXPECT_EQ(r.details.value("sound", true), false);
  // The parameters stay, named by their dotted paths.
  std::vector<std::string> params;
  for (ValueId id : g.params) params.push_back(g.value(id).name);
  EXPECT_EQ(params, (std::vector<std::string>{"mlp.0.weight", "mlp.0.bias", "mlp.1.weight", "mlp.1.bias"}));
}

TEST_F(SeedCapture, DraftUsesTheRandomSeedItIsGiven) {
  CaptureOptions options;
  options.seed = 42;
  const CaptureResult r = capture(load("seed"), draft_policy(), options);
  ASSERT_TRUE(r.graph.has_value()) << all_messages(r);
  EXPECT_EQ(r.details.value("inputs", ""), "random (seed 42)");
}

TEST_F(SeedCapture, StrictCapturesSeedCondAsACond) {
  const CaptureResult r = capture(load("seed-cond"), strict_policy());
  ASSERT_TRUE(r.graph.has_value()) << all_messages(r);
  const Graph& g = *r.graph;
  EXPECT_TRUE(g.validate().empty());
  const Node* cond = find_node(g, "higher_order::cond");
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(block_ops(cond->blocks.at(0)), std::vector<std::string>{"aten::mul"});
  EXPECT_EQ(block_ops(cond->blocks.at(1)), std::vector<std::string>{"aten::neg"});
  // The predicate is the aten::gt tensor.
  ASSERT_TRUE(cond->inputs.at(0).is_value());
  EXPECT_EQ(g.value(cond->inputs[0].value).dtype, DType::Bool);
  EXPECT_EQ(count_errors(r), 0u) << all_messages(r);
  EXPECT_TRUE(r.diagnostics.empty()) << all_messages(r);
}

TEST_F(SeedCapture, EveryStrategyCapturesSeedCond) {
  for (const TracePolicy& p : {non_strict_policy(), cond_rewrite_policy(), draft_policy()}) {
    const CaptureResult r = capture(load("seed-cond"), p);
    ASSERT_TRUE(r.graph.has_value()) << p.strategy << ": " << all_messages(r);
    EXPECT_NE(find_node(*r.graph, "higher_order::cond"), nullptr) << p.strategy;
    EXPECT_TRUE(r.graph->sound) << p.strategy;
  }
}

TEST_F(SeedCapture, DraftOnSeedGtFollowsTheExampleInput) {
  const Program p = load("seed-gt");
  // inputs.safetensors holds x = [-3, -3, -3], where mlp(x) > 0: the x * 2 branch.
  ASSERT_TRUE(p.example_inputs.contains("x"));
  const CaptureResult r = capture(p, draft_policy());
  ASSERT_TRUE(r.graph.has_value()) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::linear", "aten::linear", "aten::mul"}));
  ASSERT_EQ(r.graph->assertions.size(), 1u);
  EXPECT_EQ(r.graph->assertions[0].expr, "Eq(u0, 1)");  // Bool of a bool tensor, as torch prints it
  EXPECT_EQ(r.details.value("inputs", ""), "inputs.safetensors");
}

TEST_F(SeedCapture, CondRewriteOnSeedGtKeepsBothBranches) {
  const CaptureResult r = capture(load("seed-gt"), cond_rewrite_policy());
  ASSERT_TRUE(r.graph.has_value()) << all_messages(r);
  EXPECT_EQ(body_ops(*r.graph), (std::vector<std::string>{"aten::linear", "aten::linear", "aten::sum", "aten::gt",
                                                          "aten::Bool", "higher_order::cond"}));
}

// ---- reference interpreter

double run_seed(const std::string& bundle, float x) {
  const Program p = load_program(example(bundle));
  const RunOutputs out = run_program(p, inputs_x(vec({x, x, x})));
  EXPECT_EQ(out.tensors.size(), 1u);
  EXPECT_EQ(out.names, std::vector<std::string>{"output.0"});
  EXPECT_EQ(out.tensors.at(0).shape(), std::vector<int64_t>{1});
  return out.tensors.at(0).get_double(0);
}

TEST(RunProgram, SeedMatchesEagerPyTorch) {
  EXPECT_NEAR(run_seed("seed", -3), 2 * kMlpAtMinus3, 1e-5);
  EXPECT_NEAR(run_seed("seed", 5), 2 * kMlpAt5, 1e-5);  // non-zero: still x * 2
}

TEST(RunProgram, SeedGtAndSeedCondTakeTheNegBranchForNegativeOutputs) {
  EXPECT_NEAR(run_seed("seed-gt", -3), 2 * kMlpAtMinus3, 1e-5);
  EXPECT_NEAR(run_seed("seed-gt", 5), -kMlpAt5, 1e-5);
  EXPECT_NEAR(run_seed("seed-cond", -3), 2 * kMlpAtMinus3, 1e-5);
  EXPECT_NEAR(run_seed("seed-cond", 5), -kMlpAt5, 1e-5);
}

TEST(RunProgram, MissingInputIsADiagnosticError) {
  const Program p = load_program(example("seed"));
  try {
    run_program(p, TensorMap{});
    FAIL() << "expected a DiagnosticError";
  } catch (const DiagnosticError& e) {
    EXPECT_EQ(e.diagnostic().code, "missing-input");
    EXPECT_NE(e.diagnostic().message.find("`x`"), std::string::npos);
  }
}

TEST(RandomInputs, AreSeededAndFollowTheSpecs) {
  const Program p = load_program(example("seed"));
  const TensorMap a = random_inputs(p, 7), b = random_inputs(p, 7), c = random_inputs(p, 8);
  ASSERT_TRUE(a.contains("x"));
  const Tensor& xa = *a.find("x");
  EXPECT_EQ(xa.dtype(), DType::Float32);
  EXPECT_EQ(xa.shape(), std::vector<int64_t>{3});
  bool differs = false;
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(xa.get_double(i), b.find("x")->get_double(i));
    differs |= xa.get_double(i) != c.find("x")->get_double(i);
  }
  EXPECT_TRUE(differs);
}

// onnxport::TracingStrategy (the class every built-in strategy is) runs the
// engine under its policy, names itself in the diagnostics, and turns an
// exception into an internal-error diagnostic instead of letting it out.
class ThrowingLogHost : public HostServices {
 public:
  void log(Severity, std::string_view) override { throw std::runtime_error("the host's log is broken"); }
};

TEST_F(SeedCapture, TracingStrategyRunsTheEngineUnderItsPolicyAndNamesItself) {
  TracePolicy policy = non_strict_policy();
  policy.strategy.clear();  // defaults to the strategy's name
  TracingStrategy mine("mine", "non-strict under another name", policy);
  EXPECT_EQ(mine.name(), "mine");
  EXPECT_EQ(mine.description(), "non-strict under another name");
  SilentHost host;
  const CaptureResult failed = mine.capture(load("seed"), CaptureOptions{}, host);
  expect_data_dependent_failure(failed);
  EXPECT_EQ(find_diag(failed, "data-dependent-branch")->plugin, "mine");
  const CaptureResult captured = mine.capture(load("seed-cond"), CaptureOptions{}, host);
  EXPECT_TRUE(captured.graph.has_value()) << all_messages(captured);
}

TEST_F(SeedCapture, TracingStrategyTurnsAnExceptionIntoADiagnostic) {
  TracingStrategy mine("mine", "", strict_policy());
  ThrowingLogHost host;  // trace_program logs after a successful capture
  const CaptureResult r = mine.capture(load("seed-cond"), CaptureOptions{}, host);
  EXPECT_FALSE(r.graph.has_value());
  const Diagnostic* d = find_diag(r, "internal-error");
  ASSERT_NE(d, nullptr) << all_messages(r);
  EXPECT_EQ(d->plugin, "mine");
  EXPECT_EQ(d->stage, "capture");
  EXPECT_NE(d->message.find("mine capture failed: the host's log is broken"), std::string::npos) << d->message;
}

}  // namespace
}  // namespace onnxport::test
