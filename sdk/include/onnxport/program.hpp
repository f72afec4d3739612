// The Program IR: a PyTorch module's inlined TorchScript graph as loaded from
// a program bundle (program.json v1 + safetensors). See docs/program-format.md.
//
// Op kinds are TorchScript's own ("aten::linear", "prim::If"), values are
// named by strings exactly as in the JSON, and every node remembers the JSON
// pointer it came from so errors can name the place.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/shape.hpp>
#include <onnxport/tensor.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace onnxport {

// A graph input or a typed value. `type` is the TorchScript type string:
// "Tensor", "int", "float", "bool", "str", "NoneType", "Device",
// "List[Tensor]", "Tuple[Tensor, int]", "Optional[Tensor]", or "Module".
struct ProgramValue {
  std::string name;
  std::string type = "Tensor";
  DType dtype = DType::Undefined;  // tensors only
  Shape shape;                      // tensors only; symbolic dims are strings in JSON
  bool has_shape = false;
  // List[...] / Tuple[...] inputs: one declaration per element, named
  // "<name>.0", "<name>.1", ... (lists are flattened in place; the example
  // tensors carry the same names). Empty when the producer did not declare them.
  std::vector<ProgramValue> elements;
};

struct ProgramNode;

struct ProgramBlock {
  std::vector<std::string> inputs;
  std::vector<ProgramNode> nodes;
  std::vector<std::string> outputs;
};

struct ProgramNode {
  std::string kind;                  // "aten::linear", "prim::If", "higher_order::cond"
  std::vector<std::string> inputs;   // value names
  std::vector<std::string> outputs;  // value names
  // prim::Constant: {"value": ...}, normalized by the loader (non-finite
  // floats as IEEE doubles, dtypes as ScalarType ints; docs/program-format.md,
  // "Constants"). prim::GetAttr: {"name": ..., "path"?: ...}.
  nlohmann::json attrs = nlohmann::json::object();
  std::vector<ProgramBlock> blocks;  // prim::If: [then, else]; prim::Loop: [body]
  std::vector<std::string> output_types;  // optional TorchScript types of outputs
  SourceLoc source;
  std::string scope;                 // module path: "mlp.2"
  std::string json_path;             // "/graph/nodes/7" (for error messages)
};

// The module tree: what prim::GetAttr chains resolve against.
struct ModuleInfo {
  // Defined below, once ModuleInfo is complete: clang with libstdc++ asks
  // whether pair<string, ModuleInfo> (children) is default-constructible
  // while the class is still being defined if this constructor is implicit.
  ModuleInfo();

  std::string type;                            // "Linear"
  // Non-tensor attributes (training, eps, ...); tagged values normalized as constants are.
  nlohmann::json attributes = nlohmann::json::object();
  std::vector<std::string> parameters;         // "weight", "bias"
  std::vector<std::string> buffers;            // "running_mean", ...
  // Optional declared shapes of parameters/buffers ("weight" -> [2, 3]);
  // load_program checks the weights against them.
  std::vector<std::pair<std::string, std::vector<int64_t>>> parameter_shapes;
  std::vector<std::pair<std::string, ModuleInfo>> children;  // in registration order

  const ModuleInfo* child(std::string_view name) const;
};

inline ModuleInfo::ModuleInfo() = default;

struct Program {
  std::string name;                            // "ModelWithControlFlowTest"
  nlohmann::json producer = nlohmann::json::object();
  ModuleInfo module;
  std::vector<ProgramValue> inputs;            // forward's parameters, "self" first
  ProgramBlock graph;                          // graph.inputs unused (see `inputs`)
  std::vector<ProgramValue> outputs;           // optional output declarations (names match graph.outputs)

  TensorMap weights;          // parameters and buffers by dotted name ("mlp.0.weight")
  TensorMap example_inputs;   // by input name ("x")
  TensorMap expected_outputs; // "output.0", "output.1", ... in output order (or by output name)
  // Buffers forward updates in place, by dotted name ("calls"), holding their
  // values after forward (expected.safetensors; weights hold them before).
  TensorMap expected_buffers;

  std::filesystem::path dir;          // bundle directory
  std::filesystem::path program_file; // .../program.json (for error messages)

  // Inputs without "self" (the ones a user feeds).
  std::vector<const ProgramValue*> user_inputs() const;
  // Visits every node, nested blocks included, in program order.
  template <class F>
  void for_each_node(F&& f) const { visit_block(graph, f); }

 private:
  template <class F>
  static void visit_block(const ProgramBlock& b, F& f) {
    for (const auto& n : b.nodes) {
      f(n);
      for (const auto& sub : n.blocks) visit_block(sub, f);
    }
  }
};

}  // namespace onnxport
