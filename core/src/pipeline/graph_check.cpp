// check_captured_graph: structure first (ids must be valid before anything
// dereferences them), then the arity of every call of an op the op library
// knows. Custom ops (not in the library) are left to their translators.
// Both in one walk: the validator hands each node whose inputs it has just
// found valid to the arity check (graph/graph_validator.hpp), and the arity
// problems count only when the validator found none.
#include "pipeline/graph_check.hpp"

#include "graph/graph_validator.hpp"

#include <onnxport/ops.hpp>

#include <algorithm>
#include <functional>
#include <optional>

namespace onnxport::pipeline {

namespace {

// The op library keys in-place variants without the trailing underscore.
const OpDef* library_op(const std::string& op) {
  const OpLibrary& lib = OpLibrary::instance();
  if (const OpDef* def = lib.find(op)) return def;
  if (!op.empty() && op.back() == '_') return lib.find(std::string_view(op).substr(0, op.size() - 1));
  return nullptr;
}

// The meta function's view of a node argument; nullopt when it cannot be
// rebuilt from the graph alone (SymFloat / SymBool values).
std::optional<OpArg> to_op_arg(const Graph& g, const Arg& a) {
  OpArg out;
  switch (a.kind) {
    case Arg::Kind::Constant:
      out.kind = a.constant.is_null() ? OpArg::Kind::None : OpArg::Kind::Constant;
      out.constant = a.constant;
      return out;
    case Arg::Kind::List:
      out.kind = OpArg::Kind::List;
      for (const Arg& item : a.items) {
        std::optional<OpArg> converted = to_op_arg(g, item);
        if (!converted) return std::nullopt;
        out.items.push_back(std::move(*converted));
      }
      return out;
    case Arg::Kind::Value: {
      const Value& v = g.value(a.value);
      if (v.kind == ValueKind::SymInt) {
        out.kind = OpArg::Kind::SymInt;
        out.sym = Dim::symbol(v.name);
        return out;
      }
      if (v.kind != ValueKind::Tensor) return std::nullopt;
      out.kind = OpArg::Kind::Tensor;
      out.meta = {v.dtype, v.shape};
      if (v.data.defined()) out.data = &v.data;
      return out;
    }
  }
  return std::nullopt;
}

// arg_at() in core/src/ops words a missing argument as "expected at least N
// arguments, got M": the one meta failure that is certainly the graph's
// fault. Other meta errors (a SymInt where the meta wants a concrete int,
// data the graph no longer carries) are not evidence of a malformed graph.
// An argument-count error of a meta function: the positional form ("expected
// at least 2 arguments, got 1") or the schema binding's ("argument 'weight'
// (position 1, Tensor) is missing and has no default", "takes 3 arguments, got 5").
bool is_arity_error(const std::string& what) {
  const auto has = [&](const char* s) { return what.find(s) != std::string::npos; };
  return (has("expected at least ") && has(" arguments, got ")) || has(") is missing and has no default") ||
         (has("takes ") && has(" arguments, got "));
}

class ArityChecker : public ValidNodeVisitor {
 public:
  explicit ArityChecker(const Graph& g) : g_(g) {}

  void visit(const Node& n, const std::function<std::string()>& path) override { check_node(n, path); }
  std::vector<std::string> take_problems() { return std::move(problems_); }

 private:
  void check_node(const Node& n, const std::function<std::string()>& where_text) {
    const OpDef* def = library_op(n.op);
    if (def == nullptr || !def->meta) return;
    std::vector<OpArg> args;
    args.reserve(n.inputs.size());
    for (const Arg& a : n.inputs) {
      std::optional<OpArg> converted = to_op_arg(g_, a);
      if (!converted) return;
      args.push_back(std::move(*converted));
    }
    std::vector<TensorMeta> outputs;
    try {
      outputs = def->meta(args);
    } catch (const std::exception& e) {
      if (is_arity_error(e.what()))
        problems_.push_back(where_text() + " (" + n.op + "): wrong arity: " + std::to_string(n.inputs.size()) +
                            " argument(s) given; " + e.what());
      return;
    }
    // Undefined (None) outputs have no value in the node (ops.hpp, TensorMeta).
    const auto produced = static_cast<size_t>(std::count_if(
        outputs.begin(), outputs.end(), [](const TensorMeta& m) { return m.dtype != DType::Undefined; }));
    if (produced != n.outputs.size())
      problems_.push_back(where_text() + " (" + n.op + "): wrong arity: the node has " + std::to_string(n.outputs.size()) +
                          " output(s), " + n.op + " produces " + std::to_string(produced));
  }

  const Graph& g_;
  std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> check_captured_graph(const Graph& graph) {
  ArityChecker arity(graph);
  std::vector<std::string> problems = validate_graph(graph, &arity);
  if (!problems.empty()) return problems;
  return arity.take_problems();
}

}  // namespace onnxport::pipeline
