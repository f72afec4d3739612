// The Graph IR: what a strategy captures. A flat SSA list of tensor ops with
// every Python-level value resolved (the analog of torch's ExportedProgram).
//
// One value table per graph; nested blocks (higher_order::cond branches,
// higher_order::loop bodies) refer to values of the enclosing scopes by id,
// exactly as ONNX subgraphs capture outer names.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/shape.hpp>
#include <onnxport/tensor.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace onnxport {

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;

// Tensor: a real tensor. SymInt/SymFloat/SymBool: a Python scalar computed
// from tensor data or symbolic shapes; represented as a 0-d tensor in ONNX.
enum class ValueKind : uint8_t { Tensor, SymInt, SymFloat, SymBool };

enum class ValueRole : uint8_t {
  Intermediate,
  Input,      // user input (in graph.inputs)
  Parameter,  // module parameter (data borrowed from the mapped weights)
  Buffer,     // module buffer
  Constant,   // lifted tensor constant
};

std::string_view value_role_name(ValueRole r);

struct Value {
  std::string name;  // readable, unique in the graph: "x", "linear_1", "mlp.0.weight"
  DType dtype = DType::Float32;
  Shape shape;
  ValueKind kind = ValueKind::Tensor;
  ValueRole role = ValueRole::Intermediate;
  Tensor data;  // for Parameter / Buffer / Constant
  std::string type_str() const;  // "f32[2, batch]"
};

// A node argument: a value, a Python constant (int, float, bool, str, None,
// list of those, {"dtype": ...}, {"device": ...}), or a list mixing both
// (e.g. view(x, [batch, -1]) where batch is a SymInt value).
struct Arg {
  enum class Kind : uint8_t { Value, Constant, List };
  Kind kind = Kind::Constant;
  ValueId value = kNoValue;
  nlohmann::json constant;  // Kind::Constant
  std::vector<Arg> items;   // Kind::List

  static Arg of(ValueId v) {
    Arg a;
    a.kind = Kind::Value;
    a.value = v;
    return a;
  }
  static Arg of_constant(nlohmann::json c) {
    Arg a;
    a.kind = Kind::Constant;
    a.constant = std::move(c);
    return a;
  }
  static Arg list(std::vector<Arg> items) {
    Arg a;
    a.kind = Kind::List;
    a.items = std::move(items);
    return a;
  }
  bool is_value() const { return kind == Kind::Value; }
  bool is_constant() const { return kind == Kind::Constant; }
  bool is_none() const { return kind == Kind::Constant && constant.is_null(); }
  bool is_list() const { return kind == Kind::List; }
};

struct Provenance {
  SourceLoc loc;
  std::string scope;          // "mlp.0"
  std::string original_kind;  // TorchScript kind it came from ("aten::relu_")
};

struct Node;

struct Block {
  std::vector<ValueId> inputs;   // loop body: iteration number, carried values
  std::vector<Node> nodes;
  std::vector<ValueId> outputs;
};

// Higher-order ops:
//   higher_order::cond(pred, operands...) blocks=[then, else]; both blocks have
//     no inputs and capture outer values by id; outputs = block outputs.
//   higher_order::loop(max_trip, cond, carried...) blocks=[body]; body inputs
//     = (iter, carried...), body outputs = (cond, carried..., scan...), as ONNX Loop.
struct Node {
  std::string op;                // "aten::linear"
  std::vector<Arg> inputs;
  std::vector<ValueId> outputs;
  nlohmann::json attrs = nlohmann::json::object();
  std::vector<Block> blocks;
  Provenance prov;
};

// A shape condition assumed true for the export (e.g. "batch >= 2").
struct Guard {
  std::string expr;
  SourceLoc loc;
  std::string note;
};

// A condition that held on the example inputs and was specialized by a draft
// capture; the graph is only right when it holds at run time.
struct RuntimeAssertion {
  std::string expr;  // "Eq(u0, 1)"
  SourceLoc loc;
  std::string note;
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<ValueId> inputs;   // user inputs in forward's order
  std::vector<ValueId> params;   // parameters, buffers, lifted constants
  Block body;                    // body.outputs are the graph outputs
  std::vector<Guard> guards;
  std::vector<RuntimeAssertion> assertions;
  // What forward updates in place, in first-mutation order, each with the
  // value after forward (a graph output named `<name>.updated` as captured;
  // the host drops these outputs unless mutations_as_outputs asks for them).
  std::vector<std::pair<std::string, ValueId>> mutated_buffers;  // buffer name -> new value
  std::vector<std::pair<std::string, ValueId>> mutated_inputs;   // user input name -> new value
  bool sound = true;             // false when a strategy specialized data-dependent behaviour

  ValueId add_value(Value v);
  Value& value(ValueId id) { return values.at(static_cast<size_t>(id)); }
  const Value& value(ValueId id) const { return values.at(static_cast<size_t>(id)); }
  // Makes `base`, `base_1`, `base_2`, ... unique across the graph.
  std::string unique_name(const std::string& base);

  // Structural checks: dangling ids, values defined twice, use before
  // definition, outputs that are not defined. Empty when well-formed.
  std::vector<std::string> validate() const;
  size_t node_count() const;  // nested blocks included

  // FX-like readable text with source comments (used in reports and errors).
  std::string to_text() const;
  // Serialization for --dump-graph and child-process strategies. Tensor data
  // of parameters is written only when `with_data` (as base64 bytes).
  nlohmann::json to_json(bool with_data = false) const;
  static Graph from_json(const nlohmann::json& j);

 private:
  // Brings used_names_ up to date with values appended since the last call
  // (values may be pushed directly into `values`, bypassing add_value).
  void sync_used_names();

  std::unordered_map<std::string, int> name_counts_;  // next suffix to try per base name
  std::unordered_set<std::string> used_names_;        // every name taken in this graph
  size_t names_synced_ = 0;                           // values[0, names_synced_) are in used_names_
};

}  // namespace onnxport
