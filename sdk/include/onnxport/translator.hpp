// Translators: one Graph node -> ONNX nodes, emitted through a builder the
// host provides. Translators never build protobufs of their own, so a plugin
// does not depend on ONNX's generated code layout.
//
// A translator is one function plus one registration line:
//
//   void translate_relu(onnxport::TranslateContext& ctx) {
//     ctx.set_output(0, ctx.op("Relu", {ctx.input(0)}));
//   }
//   registrar.add_translator({.op = "aten::relu", .fn = translate_relu});
#pragma once

#include <onnxport/graph.hpp>

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onnxport {

// A subgraph already translated by ctx.subgraph(); opaque to translators.
struct SubgraphRef {
  int index = -1;
};

using OnnxAttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                                   std::vector<double>, std::vector<std::string>, Tensor, SubgraphRef>;
struct OnnxAttr {
  std::string name;
  OnnxAttrValue value;
};
using OnnxAttrs = std::vector<OnnxAttr>;

class TranslateContext {
 public:
  virtual ~TranslateContext() = default;

  virtual int opset() const = 0;
  virtual const Graph& graph() const = 0;
  virtual const Node& node() const = 0;

  // ONNX name of a graph value (defined earlier, or an input/initializer).
  virtual std::string name_of(ValueId value) = 0;
  // ONNX name of tensor argument i. A constant argument is materialized as a
  // constant tensor. A Python scalar takes the dtype torch computes a
  // tensor-scalar op in: the node's first tensor argument's dtype when that is
  // floating (x * 2 -> Mul(x, 2.0f)) or, for an int, an integer type;
  // otherwise int -> int64, float -> float32, bool -> bool. A list of ints
  // (possibly mixed with SymInts) -> 1-D int64. Use const_i64() for indices
  // and axes that must be int64 whatever the tensor's dtype.
  virtual std::string input(size_t i) = 0;
  size_t num_inputs() const { return node().inputs.size(); }
  const Arg& arg(size_t i) const { return node().inputs.at(i); }
  bool has_input(size_t i) const { return i < num_inputs() && !arg(i).is_none(); }
  // Graph metadata of a tensor argument / of output i.
  const Value& input_value(size_t i) const { return graph().value(arg(i).value); }
  const Value& output_value(size_t i) const { return graph().value(node().outputs.at(i)); }

  // Emits one ONNX node and returns the names of its outputs.
  virtual std::vector<std::string> op_n(std::string_view op_type, const std::vector<std::string>& inputs,
                                        size_t num_outputs, const OnnxAttrs& attrs = {},
                                        std::string_view domain = "") = 0;
  std::string op(std::string_view op_type, const std::vector<std::string>& inputs,
                 const OnnxAttrs& attrs = {}, std::string_view domain = "") {
    return op_n(op_type, inputs, 1, attrs, domain).at(0);
  }

  // Constants (become initializers or Constant nodes; folded by optimize()).
  virtual std::string constant(const Tensor& value, std::string_view name_hint = "") = 0;
  std::string const_i64(const std::vector<int64_t>& values);  // 1-D int64
  std::string const_scalar(double value, DType dtype);         // 0-d

  // Binds graph output i of the node to an ONNX name produced above.
  virtual void set_output(size_t i, const std::string& onnx_name) = 0;

  // Translates a block of the node into an ONNX graph attribute
  // (If branches, Loop bodies). Outer values stay visible by name.
  virtual SubgraphRef subgraph(const Block& block, std::string_view name) = 0;

  virtual void warn(std::string_view message) = 0;

  // Declares a model-local ONNX function (ModelProto.functions) that defines
  // a custom-domain op from standard ops, in ONNX text syntax:
  //
  //   ctx.add_function(R"(<domain: "mylib"> SwishClamp (x, lo, hi) => (y) {
  //                         s = Sigmoid(x)  sx = Mul(x, s)  y = Clip(sx, lo, hi) })");
  //   ctx.set_output(0, ctx.op("SwishClamp", {x, lo, hi}, {}, "mylib"));
  //
  // The host keeps one copy per (domain, name): declaring the same text again
  // (every node of the op does) is a no-op, a different body is an error. It
  // imports the function's domain (version 1) in the model and, when the text
  // has no opset_import, gives the function the model's default-domain opset.
  // A declaration counts only if the translator succeeds: when it fails and
  // another candidate translates the node, the function is not in the model.
  // The ONNX checker and ONNX Runtime (which inlines functions itself) take
  // the model as is. Throws TranslateError on a syntax error or a function in
  // the default domain. Appended after warn(); a host that predates it throws
  // TranslateError from this default.
  virtual void add_function(std::string_view onnx_text);
};

// Thrown by a translator that cannot handle a node (unsupported arguments).
class TranslateError : public std::runtime_error {
 public:
  explicit TranslateError(const std::string& what, std::string hint = "")
      : std::runtime_error(what), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

using TranslateFn = void (*)(TranslateContext& ctx);

struct TranslatorSpec {
  std::string op;               // Graph op: "aten::linear", "higher_order::cond", "mydomain::op"
  TranslateFn fn = nullptr;
  int since_opset = 1;          // inclusive range of ONNX default-domain opsets
  int until_opset = INT_MAX;
  int priority = 0;             // higher wins; the config can raise a plugin's
  std::string description;
  // The schema arguments the translator reads by name (NodeArgs: a.f64("eps")).
  // Optional; when given, the host checks each name against the op's schema
  // when the plugin loads and refuses the plugin on a name no overload has
  // (docs/plugin-authoring.md §7). Appended after description.
  std::vector<std::string> arguments = {};  // "= {}": omitting it in a designated initializer is not a warning
};

// Decompositions rewrite one Graph node into other Graph nodes; they run only
// for ops that have no translator at the target opset.
class DecomposeContext {
 public:
  virtual ~DecomposeContext() = default;
  virtual const Graph& graph() const = 0;
  virtual const Node& node() const = 0;
  // Adds a node computing `op(inputs)` with the given output metas; returns its output ids.
  virtual std::vector<ValueId> emit(std::string_view op, std::vector<Arg> inputs,
                                    const std::vector<std::pair<DType, Shape>>& output_types,
                                    nlohmann::json attrs = nlohmann::json::object()) = 0;
  // Replaces the decomposed node's output i by `value`.
  virtual void replace_output(size_t i, ValueId value) = 0;
};

using DecomposeFn = void (*)(DecomposeContext& ctx);

struct DecompositionSpec {
  std::string op;
  DecomposeFn fn = nullptr;
  int priority = 0;
  std::string description;
  // The schema arguments the decomposition reads by name; checked at load
  // like TranslatorSpec::arguments. Appended after description.
  std::vector<std::string> arguments = {};  // "= {}": omitting it in a designated initializer is not a warning
};

}  // namespace onnxport
