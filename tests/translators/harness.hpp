// Test harness for the aten translators: builds small Graphs (usually one
// node), computes the expected outputs with the op library's reference
// kernels, translates with the translators-aten plugin loaded from its .so
// through PluginHost (as the CLI does), runs the model in ONNX Runtime, and
// compares — at every opset the case asks for.
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport/tensor.hpp>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace onnxport::translator_tests {

// ---- example data -----------------------------------------------------------

// Deterministic random tensors (one generator per test, reset in SetUp).
std::mt19937& rng();
Tensor randn(std::vector<int64_t> shape, DType dtype = DType::Float32);
Tensor uniform(std::vector<int64_t> shape, double lo, double hi, DType dtype = DType::Float32);
Tensor randint(std::vector<int64_t> shape, int64_t lo, int64_t hi, DType dtype = DType::Int64);
Tensor randbool(std::vector<int64_t> shape);
Tensor values(DType dtype, std::vector<int64_t> shape, const std::vector<double>& v);

// ---- building graphs ----------------------------------------------------------

// Builds a Graph whose node output types come from the op library's meta
// functions (so the tests never restate dtypes or shapes by hand), and
// remembers the example data of its inputs.
class GraphBuilder {
 public:
  GraphBuilder();
  ValueId input(Tensor example, std::string name = "");
  // A user input with symbolic dims: `dims[k]` non-empty names dim k.
  ValueId input_symbolic(Tensor example, const std::vector<std::string>& dims, std::string name = "");
  ValueId param(Tensor data, std::string name = "");

  // Appends `op(args)` to `block` (the graph body by default); returns its outputs.
  std::vector<ValueId> node(const std::string& op, std::vector<Arg> args, Block* block = nullptr);
  // The same with output types given by the test (for nodes the op
  // library's meta refuses, e.g. a split of a symbolic dim).
  std::vector<ValueId> node_typed(const std::string& op, std::vector<Arg> args,
                                  const std::vector<std::pair<DType, Shape>>& outputs, Block* block = nullptr);
  ValueId node1(const std::string& op, std::vector<Arg> args, Block* block = nullptr) {
    return node(op, std::move(args), block).at(0);
  }
  void output(ValueId v) { graph_.body.outputs.push_back(v); }

  Graph& graph() { return graph_; }
  const TensorMap& inputs() const { return inputs_; }

 private:
  Graph graph_;
  TensorMap inputs_;
};

// Arg shorthands.
inline Arg V(ValueId v) { return Arg::of(v); }
inline Arg C(nlohmann::json c) { return Arg::of_constant(std::move(c)); }
inline Arg None() { return Arg::of_constant(nullptr); }
inline Arg L(std::vector<Arg> items) { return Arg::list(std::move(items)); }
inline Arg Dt(DType d) { return Arg::of_constant(dtype_to_torch_code(d)); }

// ---- checking -----------------------------------------------------------------

struct CheckOptions {
  std::vector<int> opsets{13, 17};
  double atol = 1e-5;
  double rtol = 1e-4;
  // ONNX op types that must (not) appear in the model at a given opset.
  // Every member has a default member initializer, so that a test's
  // designated initializer ({.atol = 1e-4}) may omit any of them without
  // g++'s -Wmissing-field-initializers.
  std::map<int, std::vector<std::string>> expect_ops{};
  std::map<int, std::vector<std::string>> forbid_ops{};
  // Ground truth worked out by hand, for ops the op library has no kernel
  // for; empty = use the reference kernels.
  std::vector<Tensor> expected{};
};

// Expected outputs of the graph body by the reference kernels (a small
// interpreter: nodes in order, higher_order::cond takes its branch).
std::vector<Tensor> reference_outputs(const Graph& graph, const TensorMap& inputs);

// Translates, checks (ONNX checker up to opset 17), runs in ONNX Runtime and
// compares with the reference outputs at each opset. Returns the model of the
// last opset for further assertions.
onnx::ModelProto check_graph(GraphBuilder& b, const CheckOptions& options = {});

// One-node graph: every tensor Arg must come from b.input()/b.param().
onnx::ModelProto check_op(GraphBuilder& b, const std::string& op, std::vector<Arg> args,
                          const CheckOptions& options = {});

// Op types in the model (subgraphs included).
std::vector<std::string> op_types(const onnx::ModelProto& model);

// Expects translation to fail with a message containing `needle`.
void expect_translate_error(GraphBuilder& b, int opset, const std::string& needle);

class TranslatorTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

}  // namespace onnxport::translator_tests
