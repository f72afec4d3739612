// Graph IR -> ONNX ModelProto through the registered translators.
//
// One ModelBuilder per call holds the model-wide state (the name table, which
// graph values already have an ONNX name, subgraphs built so far, missing
// translators). Each graph node is translated through its own NodeContext,
// the TranslateContext a translator sees; nested blocks (If branches, Loop
// bodies) are translated by the same machinery into their own GraphProto.
//
// Every translator call is a small transaction: if it throws, the nodes it
// emitted are dropped, its outputs are marked "poisoned" (they keep their
// readable name, so later nodes still translate and report their own
// problems instead of cascading errors) and the translation is not ok.
//
// Naming: every graph value's readable name is reserved up front, so ONNX
// intermediates ("val_N") never take "linear". A translator's last node
// normally gets the graph value's name directly: set_output() renames the
// output the translator produced instead of emitting an Identity.
//
// Python scalar arguments (input(i) on a constant): they take the dtype torch
// computes in for tensor-scalar ops, so `x * 2` on float32 x becomes
// Mul(x, 2.0f): an int or float scalar takes the dtype of the node's first
// tensor argument when that is floating; an int scalar takes it when it is an
// integer type; otherwise int -> int64, float -> float32, bool -> bool.
// Translators that need an index or an axis as int64 whatever the tensor's
// dtype use const_i64() / const_scalar() instead of input().
#include <onnxport_core/onnx_build.hpp>

#include "names.hpp"
#include "proto_util.hpp"

#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace onnxport {
namespace {

using onnx_build::add_metadata;
using onnx_build::GrowingNameSet;
using onnx_build::NameTable;
using onnx_build::onnx_safe_name;
using onnx_build::set_tensor_type;
using onnx_build::tensor_to_proto;
using onnx_build::lend_weight;

constexpr int kIrVersion = 8;  // ONNX 1.12's IR
constexpr size_t kMaxExtraLocations = 10;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool is_default_domain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

// The element type a graph value has in ONNX (symbolic scalars are 0-d tensors).
DType onnx_dtype_of(const Value& v) {
  switch (v.kind) {
    case ValueKind::Tensor: return v.dtype;
    case ValueKind::SymInt: return is_integral(v.dtype) && v.dtype != DType::Bool ? v.dtype : DType::Int64;
    case ValueKind::SymBool: return DType::Bool;
    case ValueKind::SymFloat: return is_floating(v.dtype) ? v.dtype : DType::Float32;
  }
  return v.dtype;
}

Shape onnx_shape_of(const Value& v) { return v.kind == ValueKind::Tensor ? v.shape : Shape{}; }

void set_value_type(onnx::ValueInfoProto& info, const std::string& name, const Value& v) {
  set_tensor_type(info, name, onnx_dtype_of(v), onnx_shape_of(v));
}

std::string arg_text(const Graph& g, const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::Value: return a.value >= 0 && static_cast<size_t>(a.value) < g.values.size()
                                      ? g.value(a.value).name
                                      : "%" + std::to_string(a.value);
    case Arg::Kind::Constant: return a.constant.is_null() ? "None" : a.constant.dump();
    case Arg::Kind::List: {
      std::string s = "[";
      for (size_t i = 0; i < a.items.size(); ++i) s += (i ? ", " : "") + arg_text(g, a.items[i]);
      return s + "]";
    }
  }
  return "?";
}

std::string output_names(const Graph& g, const Node& node) {
  std::string s;
  for (size_t i = 0; i < node.outputs.size(); ++i) s += (i ? ", " : "") + g.value(node.outputs[i]).name;
  return s;
}

// "linear_1 = aten::foo(x, 2)"
std::string node_text(const Graph& g, const Node& node) {
  std::string s = node.outputs.empty() ? "" : output_names(g, node) + " = ";
  s += node.op + "(";
  for (size_t i = 0; i < node.inputs.size(); ++i) s += (i ? ", " : "") + arg_text(g, node.inputs[i]);
  return s + ")";
}

std::string translator_range(const TranslatorSpec& spec) {
  std::string s = "opset " + std::to_string(spec.since_opset) + "..";
  if (spec.until_opset != INT_MAX) s += std::to_string(spec.until_opset);
  return s + ", priority " + std::to_string(spec.priority);
}

// A graph (or subgraph) being filled.
//
// Which names a scope defines (inputs, initializers, node outputs, poisoned
// outputs) is recorded by what the name is, not in a set of names per scope:
// a graph value's name by its ValueId and a fresh "val_N" by N, each in an
// array of the ModelBuilder holding the id of the defining scope; only the
// few other names (a constant named by a hint, a Loop body's condition input)
// go into this scope's sets. As sets of every name, two inserts per node
// output and a lookup per node input were a quarter of translate's time at
// 16,384 layers and grew about 7x for 4x the layers (bench/README.md,
// "Definitions recorded by value id").
struct Scope {
  onnx::GraphProto* graph = nullptr;
  const Scope* parent = nullptr;
  int id = 0;  // distinct for every scope of one translation (a dead scope's id is never reused)
  GrowingNameSet other_defined;   // names defined here that are neither a value's nor fresh
  GrowingNameSet other_produced;  // those of them that nodes of this very graph compute

  // True when names defined in scope `scope_id` can be read here.
  bool sees(int scope_id) const {
    for (const Scope* s = this; s != nullptr; s = s->parent)
      if (s->id == scope_id) return true;
    return false;
  }
};

constexpr int kNoScope = -1;

class NodeContext;

class ModelBuilder {
 public:
  ModelBuilder(const Graph& graph, const TranslatorRegistry& registry, const TranslateOptions& options,
               TranslationResult& result)
      : graph_(graph), registry_(registry), options_(options), result_(result) {}

  void build();

  // --- services for NodeContext -------------------------------------------
  const Graph& graph() const { return graph_; }
  int opset() const { return options_.opset; }
  NameTable& names() { return names_; }
  const std::string& value_name(ValueId id) const { return value_names_.at(static_cast<size_t>(id)); }
  bool is_bound(ValueId id) const { return bound_.at(static_cast<size_t>(id)) != 0; }
  // True when `id`'s name is defined in `scope` or a scope around it.
  bool value_visible(ValueId id, const Scope& scope) const {
    const int where = defined_in_.at(static_cast<size_t>(id));
    return where != kNoScope && scope.sees(where);
  }
  void bind(ValueId id) { bound_.at(static_cast<size_t>(id)) = 1; }
  bool valid_id(ValueId id) const { return id >= 0 && static_cast<size_t>(id) < graph_.values.size(); }
  // Appends a node named "node_<OpType>_<n>" carrying the provenance of `origin`.
  onnx::NodeProto& append_node(onnx::GraphProto& g, std::string_view op_type, std::string_view domain,
                               const Node& origin);
  SubgraphRef build_subgraph(const Node& owner, const Block& block, std::string_view name, const Scope& parent);
  onnx::GraphProto take_subgraph(SubgraphRef ref);
  void use_domain(const std::string& domain) { custom_domains_.insert(domain); }
  // TranslateContext::add_function: one FunctionProto per (domain, name).
  // Returns the key ("domain.name") and domain of a function this call
  // declared first, so that a failing translator's declaration can be taken
  // back; nullopt when it was already declared.
  struct DeclaredFunction {
    std::string key, domain;
  };
  std::optional<DeclaredFunction> add_function(std::string_view onnx_text);
  void forget_function(const std::string& key) { functions_.erase(key); }
  void add_diagnostic(Diagnostic d) { result_.diagnostics.push_back(std::move(d)); }
  Diagnostic node_diagnostic(std::string code, Severity severity, const Node& node, const std::string& plugin,
                             std::string message, std::string hint = "") const;

 private:
  void reserve_value_names();
  void add_graph_inputs(Scope& top);
  void add_initializers(Scope& top);
  void add_graph_outputs(Scope& top);
  void translate_nodes(const std::vector<Node>& nodes, Scope& scope);
  void translate_node(const Node& node, Scope& scope);
  bool try_translator(const RegisteredTranslator& tr, const Node& node, Scope& scope, std::vector<Diagnostic>& failures);
  void check_emitted_nodes(const NodeContext& ctx, const RegisteredTranslator& tr, const Node& node,
                           const Scope& scope, std::vector<Diagnostic>& failures);
  void poison_outputs(const Node& node, Scope& scope);
  // Records that `scope` defines `id`'s name (define_value) or that a node
  // of `scope` computes it, or it is poisoned there (produce_value).
  void define_value(ValueId id, const Scope& scope) { defined_in_.at(static_cast<size_t>(id)) = scope.id; }
  void produce_value(ValueId id, const Scope& scope) {
    define_value(id, scope);
    produced_in_.at(static_cast<size_t>(id)) = scope.id;
  }
  // Records an output of an emitted node that is not one of the graph
  // node's values: a fresh name by its number, any other in the scope's sets.
  void define_other_output(const std::string& name, Scope& scope);
  // True when `name` can be read in `scope` (Scope above says how names are
  // recorded).
  bool visible(const std::string& name, const Scope& scope) const;
  // True when `name` is the name of a value name_of() gave `ctx`, visible
  // in `scope`: how nearly every input of an emitted node is found without
  // a lookup by name.
  bool handed_out_and_visible(const NodeContext& ctx, const std::string& name, const Scope& scope) const;
  // registry.choose() once per op, not once per node.
  const TranslatorChoice& choice_for(const std::string& op) {
    auto it = choices_.find(op);
    if (it == choices_.end()) it = choices_.emplace(op, registry_.choose(op, opset())).first;
    return it->second;
  }
  void record_missing(const Node& node);
  void report_missing();
  void bind_block_inputs(const Node& owner, const Block& block, Scope& scope);
  // Subgraph outputs must be produced inside the subgraph (and be distinct):
  // an outer value or a block input passed straight through gets an Identity.
  std::string output_name_for(ValueId id, Scope& scope, std::unordered_set<std::string>& used, const Node* origin);
  void finish_model();

  const Graph& graph_;
  const TranslatorRegistry& registry_;
  const TranslateOptions& options_;
  TranslationResult& result_;

  NameTable names_;
  std::vector<std::string> value_names_;  // ValueId -> ONNX name
  std::vector<char> bound_;               // ValueId -> has an ONNX definition (or is poisoned)
  std::vector<int> defined_in_;           // ValueId -> id of the scope defining its name, or kNoScope
  std::vector<int> produced_in_;          // ValueId -> id of the scope whose node computes it, or kNoScope
  std::vector<int> fresh_defined_in_;     // N -> id of the scope where a node outputs "val_N", or kNoScope
  int scope_count_ = 0;                   // scopes opened so far (the next one's id)
  std::vector<std::optional<onnx::GraphProto>> subgraphs_;
  std::unordered_set<std::string> custom_domains_;
  std::map<std::string, onnx::FunctionProto> functions_;  // "domain.name" -> declared function (sorted output)
  std::unordered_set<std::string> used_ops_;
  std::unordered_set<std::string> conflict_reported_;
  std::unordered_map<std::string, TranslatorChoice> choices_;
  std::map<std::string, size_t> missing_index_;   // op -> index in result_.missing
  std::vector<std::vector<SourceLoc>> missing_more_locs_;
  int node_counter_ = 0;
  Node output_origin_;  // provenance used for nodes the host adds for graph outputs
};

// The TranslateContext of one graph node.
class NodeContext final : public TranslateContext {
 public:
  NodeContext(ModelBuilder& builder, Scope& scope, const Node& node)
      : b_(builder), scope_(scope), node_(node), first_node_(scope.graph->node_size()),
        input_cache_(node.inputs.size()), output_bound_(node.outputs.size(), 0) {}

  int opset() const override { return b_.opset(); }
  const Graph& graph() const override { return b_.graph(); }
  const Node& node() const override { return node_; }

  std::string name_of(ValueId value) override {
    if (!b_.valid_id(value))
      throw TranslateError("value id " + std::to_string(value) + " does not exist in the graph");
    if (!b_.is_bound(value))
      throw TranslateError("value '" + b_.graph().value(value).name +
                           "' has no ONNX name yet (it is used before the node computing it)");
    if (std::find(handed_out_.begin(), handed_out_.end(), value) == handed_out_.end()) handed_out_.push_back(value);
    return b_.value_name(value);
  }

  std::string input(size_t i) override {
    if (i >= node_.inputs.size())
      throw TranslateError("input(" + std::to_string(i) + "): node has only " + std::to_string(node_.inputs.size()) +
                           " arguments");
    if (!input_cache_[i]) input_cache_[i] = materialize(node_.inputs[i], i);
    return resolve(*input_cache_[i]);
  }

  std::vector<std::string> op_n(std::string_view op_type, const std::vector<std::string>& inputs, size_t num_outputs,
                                const OnnxAttrs& attrs, std::string_view domain) override {
    if (op_type.empty()) throw TranslateError("op_n: empty ONNX op type");
    onnx::NodeProto& n = b_.append_node(*scope_.graph, op_type, domain, node_);
    for (const std::string& in : inputs) n.add_input(resolve(in));
    for (const OnnxAttr& attr : attrs) set_attribute(*n.add_attribute(), attr);
    std::vector<std::string> outs;
    outs.reserve(num_outputs);
    for (size_t k = 0; k < num_outputs; ++k) {
      outs.push_back(b_.names().fresh());
      n.add_output(outs.back());
      produced_[outs.back()] = scope_.graph->node_size() - 1;
    }
    if (!is_default_domain(domain)) domains_.emplace_back(domain);
    return outs;
  }

  std::string constant(const Tensor& value, std::string_view name_hint) override {
    if (!value.defined()) throw TranslateError("constant(): undefined tensor");
    std::string out = name_hint.empty() ? b_.names().fresh() : b_.names().unique(onnx_safe_name(std::string(name_hint)));
    onnx::NodeProto& n = b_.append_node(*scope_.graph, "Constant", "", node_);
    auto* attr = n.add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    tensor_to_proto(value, out, *attr->mutable_t());
    n.add_output(out);
    produced_[out] = scope_.graph->node_size() - 1;
    return out;
  }

  void set_output(size_t i, const std::string& onnx_name) override {
    if (i >= node_.outputs.size())
      throw TranslateError("set_output(" + std::to_string(i) + "): node has only " +
                           std::to_string(node_.outputs.size()) + " outputs");
    if (output_bound_[i]) throw TranslateError("set_output(" + std::to_string(i) + ") called twice");
    const ValueId id = node_.outputs[i];
    const std::string& target = b_.value_name(id);
    const std::string source = resolve(onnx_name);
    if (source != target) {
      auto it = produced_.find(source);
      if (it != produced_.end() && bound_names_.count(source) == 0) rename_output(it->second, source, target);
      else emit_identity(source, target);
    }
    bound_names_.insert(target);
    output_bound_[i] = 1;
    b_.bind(id);
  }

  SubgraphRef subgraph(const Block& block, std::string_view name) override {
    return b_.build_subgraph(node_, block, name, scope_);
  }

  void warn(std::string_view message) override { warnings_.emplace_back(message); }

  // The function and its domain count only if the translator succeeds
  // (the builder commits domains() then, and forgets declared_functions()
  // otherwise): a failing translator leaves no unused function behind.
  void add_function(std::string_view onnx_text) override {
    if (auto declared = b_.add_function(onnx_text)) {
      declared_functions_.push_back(declared->key);
      domains_.push_back(declared->domain);
    }
  }
  const std::vector<std::string>& declared_functions() const { return declared_functions_; }

  // --- checks run by the builder after the translator returned -------------
  std::vector<size_t> unbound_outputs() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < output_bound_.size(); ++i)
      if (!output_bound_[i]) out.push_back(i);
    return out;
  }
  int first_node() const { return first_node_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::vector<std::string>& domains() const { return domains_; }
  // The values whose names name_of() gave this translator.
  const std::vector<ValueId>& handed_out() const { return handed_out_; }

 private:
  std::string resolve(const std::string& name) const {
    auto it = renamed_.find(name);
    return it == renamed_.end() ? name : it->second;
  }

  // The producing node's output becomes the graph value's readable name; later
  // nodes of this translation that read it follow.
  void rename_output(int node_index, const std::string& from, const std::string& to) {
    auto* nodes = scope_.graph->mutable_node();
    for (auto& out : *nodes->Mutable(node_index)->mutable_output())
      if (out == from) out = to;
    for (int k = node_index + 1; k < nodes->size(); ++k)
      for (auto& in : *nodes->Mutable(k)->mutable_input())
        if (in == from) in = to;
    // A Constant's value tensor carries its output's name; keep them in step.
    auto* n = nodes->Mutable(node_index);
    if (n->op_type() == "Constant")
      for (auto& attr : *n->mutable_attribute())
        if (attr.has_t() && attr.t().name() == from) attr.mutable_t()->set_name(to);
    produced_.erase(from);
    produced_[to] = node_index;
    renamed_[from] = to;
  }

  void emit_identity(const std::string& source, const std::string& target) {
    onnx::NodeProto& n = b_.append_node(*scope_.graph, "Identity", "", node_);
    n.add_input(source);
    n.add_output(target);
    produced_[target] = scope_.graph->node_size() - 1;
  }

  void set_attribute(onnx::AttributeProto& a, const OnnxAttr& attr) {
    a.set_name(attr.name);
    std::visit(Overloaded{
                   [&](int64_t v) { a.set_type(onnx::AttributeProto::INT), a.set_i(v); },
                   [&](double v) { a.set_type(onnx::AttributeProto::FLOAT), a.set_f(static_cast<float>(v)); },
                   [&](const std::string& v) { a.set_type(onnx::AttributeProto::STRING), a.set_s(v); },
                   [&](const std::vector<int64_t>& v) {
                     a.set_type(onnx::AttributeProto::INTS);
                     for (int64_t x : v) a.add_ints(x);
                   },
                   [&](const std::vector<double>& v) {
                     a.set_type(onnx::AttributeProto::FLOATS);
                     for (double x : v) a.add_floats(static_cast<float>(x));
                   },
                   [&](const std::vector<std::string>& v) {
                     a.set_type(onnx::AttributeProto::STRINGS);
                     for (const auto& x : v) a.add_strings(x);
                   },
                   [&](const Tensor& t) {
                     a.set_type(onnx::AttributeProto::TENSOR);
                     tensor_to_proto(t, "", *a.mutable_t());
                   },
                   [&](const SubgraphRef& ref) {
                     a.set_type(onnx::AttributeProto::GRAPH);
                     *a.mutable_g() = b_.take_subgraph(ref);
                   },
               },
               attr.value);
  }

  // --- constant arguments -------------------------------------------------
  std::string materialize(const Arg& a, size_t i) {
    const std::string where = "argument " + std::to_string(i) + " (" + arg_text(graph(), a) + ")";
    switch (a.kind) {
      case Arg::Kind::Value: return name_of(a.value);
      case Arg::Kind::Constant:
        if (a.is_none()) throw TranslateError(where + " is None", "check has_input(i) before input(i)");
        if (a.constant.is_array()) return constant(json_list_tensor(a.constant, where), "");
        return constant(scalar_tensor(a.constant, where), "");
      case Arg::Kind::List: return materialize_list(a, where);
    }
    throw TranslateError(where + ": unknown argument kind");
  }

  // dtype of the node's first tensor argument (what a tensor-scalar op
  // computes in); symbolic scalars do not count.
  std::optional<DType> reference_dtype() const {
    for (const Arg& a : node_.inputs)
      if (a.is_value() && b_.valid_id(a.value) && graph().value(a.value).kind == ValueKind::Tensor)
        return graph().value(a.value).dtype;
    return std::nullopt;
  }

  Tensor scalar_tensor(const nlohmann::json& c, const std::string& where) const {
    const std::optional<DType> ref = reference_dtype();
    if (c.is_boolean()) return Tensor::scalar(DType::Bool, c.get<bool>() ? 1.0 : 0.0);
    if (c.is_number_integer()) {
      DType dtype = DType::Int64;
      if (ref && (is_floating(*ref) || (is_integral(*ref) && *ref != DType::Bool))) dtype = *ref;
      if (dtype == DType::Int64) return int64_tensor({c.get<int64_t>()}, /*as_scalar=*/true);
      return Tensor::scalar(dtype, c.get<double>());
    }
    if (c.is_number()) return Tensor::scalar(ref && is_floating(*ref) ? *ref : DType::Float32, c.get<double>());
    throw TranslateError(where + " is not a number or bool; a translator reads such arguments with arg(i).constant");
  }

  static Tensor int64_tensor(const std::vector<int64_t>& values, bool as_scalar) {
    Tensor t = as_scalar ? Tensor::zeros(DType::Int64, {})
                         : Tensor::zeros(DType::Int64, {static_cast<int64_t>(values.size())});
    std::copy(values.begin(), values.end(), t.mutable_data<int64_t>());
    return t;
  }

  // A list of Python numbers -> 1-D tensor: ints -> int64 (shapes, axes), any float -> float32, bools -> bool.
  Tensor json_list_tensor(const nlohmann::json& list, const std::string& where) const {
    bool any_float = false, all_bool = !list.empty();
    for (const auto& x : list) {
      if (!x.is_number() && !x.is_boolean()) throw TranslateError(where + " is not a flat list of numbers");
      any_float |= x.is_number_float();
      all_bool &= x.is_boolean();
    }
    const auto n = static_cast<int64_t>(list.size());
    if (!any_float && !all_bool) {
      std::vector<int64_t> values;
      for (const auto& x : list) values.push_back(x.is_boolean() ? x.get<bool>() : x.get<int64_t>());
      return int64_tensor(values, false);
    }
    Tensor t = Tensor::zeros(all_bool ? DType::Bool : DType::Float32, {n});
    for (int64_t k = 0; k < n; ++k) {
      const auto& x = list[static_cast<size_t>(k)];
      t.set_double(k, x.is_boolean() ? (x.get<bool>() ? 1.0 : 0.0) : x.get<double>());
    }
    return t;
  }

  // A list mixing Python ints and symbolic scalars (view(x, [batch, -1])):
  // Concat of 1-D int64 pieces.
  std::string materialize_list(const Arg& a, const std::string& where) {
    bool all_constant = true;
    for (const Arg& item : a.items) all_constant &= item.is_constant() && !item.is_none() && !item.constant.is_array();
    if (all_constant) {
      nlohmann::json list = nlohmann::json::array();
      for (const Arg& item : a.items) list.push_back(item.constant);
      return constant(json_list_tensor(list, where), "");
    }
    std::vector<std::string> pieces;
    for (const Arg& item : a.items) pieces.push_back(list_piece(item, where));
    if (pieces.size() == 1) return pieces[0];
    return op("Concat", pieces, {{"axis", int64_t{0}}});
  }

  std::string list_piece(const Arg& item, const std::string& where) {
    if (item.is_constant() && item.constant.is_number_integer()) return const_i64({item.constant.get<int64_t>()});
    if (!item.is_value())
      throw TranslateError(where + " mixes values with a non-integer constant", "read arg(i).items directly");
    const Value& v = graph().value(item.value);
    const size_t rank = onnx_shape_of(v).size();
    if (rank > 1 || (v.kind == ValueKind::Tensor && rank == 1 && v.dtype != DType::Int64))
      throw TranslateError(where + " is a list of tensors, not of sizes",
                           "read arg(i).items and call name_of() for each tensor");
    std::string name = name_of(item.value);
    if (onnx_dtype_of(v) != DType::Int64)
      name = op("Cast", {name}, {{"to", int64_t{dtype_to_onnx(DType::Int64)}}});
    if (rank == 0) {
      if (opset() >= 13) return op("Unsqueeze", {name, const_i64({0})});
      return op("Unsqueeze", {name}, {{"axes", std::vector<int64_t>{0}}});
    }
    return name;
  }

  ModelBuilder& b_;
  Scope& scope_;
  const Node& node_;
  int first_node_;
  std::vector<std::optional<std::string>> input_cache_;
  std::vector<char> output_bound_;
  std::unordered_map<std::string, int> produced_;         // ONNX names produced by this translation -> node index
  std::unordered_map<std::string, std::string> renamed_;  // produced name -> graph value name it became
  std::unordered_set<std::string> bound_names_;           // graph value names bound by set_output
  std::vector<std::string> warnings_;
  std::vector<std::string> domains_;
  std::vector<std::string> declared_functions_;  // "domain.name" first declared by this translator call
  std::vector<ValueId> handed_out_;               // values name_of() named, each once
};

// ---------------------------------------------------------------------------
// ModelBuilder
// ---------------------------------------------------------------------------

// Parsed once per translator call that declares it (cheap next to the node
// count: a function is a handful of nodes), deduplicated by (domain, name).
std::optional<ModelBuilder::DeclaredFunction> ModelBuilder::add_function(std::string_view onnx_text) {
  onnx::FunctionProto fn;
  const std::string text(onnx_text);
  const auto status = onnx::OnnxParser::Parse(fn, text.c_str());
  if (!status.IsOK()) throw TranslateError("add_function: not an ONNX function in text syntax: " + status.ErrorMessage());
  if (fn.name().empty()) throw TranslateError("add_function: the function has no name");
  if (is_default_domain(fn.domain()))
    throw TranslateError("add_function: function '" + fn.name() + "' must be in a custom domain",
                         "start the text with <domain: \"mylib\"> (the default ONNX domain is reserved)");
  if (fn.opset_import_size() == 0) {
    auto* imp = fn.add_opset_import();
    imp->set_domain("");
    imp->set_version(opset());
  }
  const std::string key = fn.domain() + "." + fn.name();
  const std::string domain = fn.domain();
  // try_emplace leaves `fn` alone when the key is already there.
  auto [it, inserted] = functions_.try_emplace(key, std::move(fn));
  if (!inserted) {
    if (it->second.SerializeAsString() != fn.SerializeAsString())
      throw TranslateError("add_function: function '" + key + "' is already declared with a different body",
                           "declare each custom-domain function with one text");
    return std::nullopt;
  }
  return DeclaredFunction{key, domain};
}

onnx::NodeProto& ModelBuilder::append_node(onnx::GraphProto& g, std::string_view op_type, std::string_view domain,
                                           const Node& origin) {
  onnx::NodeProto& n = *g.add_node();
  n.set_op_type(std::string(op_type));
  if (!domain.empty()) n.set_domain(std::string(domain));
  n.set_name("node_" + std::string(op_type) + "_" + std::to_string(node_counter_++));
  const Provenance& prov = origin.prov;
  if (prov.loc.known()) {
    add_metadata(n, "source", prov.loc.str());
    // doc_string too: viewers of ONNX 1.12-era files (Netron, ...) show it.
    n.set_doc_string(prov.loc.str() + (prov.loc.text.empty() ? "" : ": " + prov.loc.text));
  }
  if (!prov.loc.text.empty()) add_metadata(n, "source_text", prov.loc.text);
  if (!prov.scope.empty()) add_metadata(n, "scope", prov.scope);
  std::string original = origin.op;
  if (!prov.original_kind.empty() && prov.original_kind != origin.op) original += " (from " + prov.original_kind + ")";
  add_metadata(n, "original_op", original);
  add_metadata(n, "onnxport_node", origin.outputs.empty() ? origin.op : output_names(graph_, origin));
  return n;
}

Diagnostic ModelBuilder::node_diagnostic(std::string code, Severity severity, const Node& node,
                                         const std::string& plugin, std::string message, std::string hint) const {
  Diagnostic d;
  d.code = std::move(code);
  d.severity = severity;
  d.stage = "translate";
  d.plugin = plugin;
  d.message = std::move(message);
  d.loc = node.prov.loc;
  d.hint = std::move(hint);
  d.details = {{"op", node.op}, {"node", node_text(graph_, node)}};
  return d;
}

// The first names the table gives out: value id k's is its k-th name
// (NameTable::index_of), which visible() uses to find a value by its name.
void ModelBuilder::reserve_value_names() {
  value_names_.reserve(graph_.values.size());
  for (const Value& v : graph_.values) value_names_.push_back(names_.unique(onnx_safe_name(v.name)));
  bound_.assign(graph_.values.size(), 0);
  defined_in_.assign(graph_.values.size(), kNoScope);
  produced_in_.assign(graph_.values.size(), kNoScope);
}

bool ModelBuilder::handed_out_and_visible(const NodeContext& ctx, const std::string& name, const Scope& scope) const {
  for (ValueId id : ctx.handed_out())
    if (value_name(id) == name && value_visible(id, scope)) return true;
  return false;
}

void ModelBuilder::define_other_output(const std::string& name, Scope& scope) {
  const int64_t n = onnx_build::NameTable::fresh_number(name);
  if (names_.issued_fresh(n)) {
    if (static_cast<size_t>(n) >= fresh_defined_in_.size())
      fresh_defined_in_.resize(std::max<size_t>(static_cast<size_t>(n) + 1, fresh_defined_in_.size() * 2), kNoScope);
    fresh_defined_in_[static_cast<size_t>(n)] = scope.id;
    return;
  }
  scope.other_defined.insert(name);
  scope.other_produced.insert(name);
}

bool ModelBuilder::visible(const std::string& name, const Scope& scope) const {
  const int64_t n = onnx_build::NameTable::fresh_number(name);
  if (names_.issued_fresh(n)) {
    const size_t k = static_cast<size_t>(n);
    return k < fresh_defined_in_.size() && fresh_defined_in_[k] != kNoScope && scope.sees(fresh_defined_in_[k]);
  }
  const int64_t owner = names_.index_of(name);
  if (owner >= 0 && static_cast<size_t>(owner) < graph_.values.size() && value_visible(static_cast<ValueId>(owner), scope))
    return true;
  for (const Scope* s = &scope; s != nullptr; s = s->parent)
    if (s->other_defined.contains(name)) return true;
  return false;
}

void ModelBuilder::add_graph_inputs(Scope& top) {
  for (ValueId id : graph_.inputs) {
    if (!valid_id(id)) continue;  // Graph::validate() reports it; nothing to name here
    set_value_type(*top.graph->add_input(), value_name(id), graph_.value(id));
    bind(id);
    define_value(id, top);
  }
}

// Parameters whose data are the same bytes (a tied weight: GPT-2's token
// embedding and lm head, one tensor under two names) are one initializer.
// Only the same memory with the same dtype and shape counts: equal values
// in different memory stay two initializers.
bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.bytes() == b.bytes() && a.nbytes() == b.nbytes() && a.dtype() == b.dtype() && a.shape() == b.shape();
}

// The parameters written so far, by the address of their bytes: nearly
// always one per address, so the table is keyed by the address alone and the
// rest of same_bytes() is compared on a hit. (Keyed by address, size, dtype
// and a copy of the shape, each parameter cost an allocation for the shape
// and a cold bucket: translate's inserts grew about 7x for 4x the layers of
// bench/scaling; bench/README.md, "Tied weights found by address".)
class WrittenParameters {
 public:
  WrittenParameters(const Graph& graph, size_t count) : graph_(graph) { first_at_.reserve(count); }

  // The parameter written before whose data are the same bytes as `id`'s,
  // or nullopt (and `id` is now the one written for them).
  std::optional<ValueId> tie(ValueId id) {
    const Tensor& data = graph_.value(id).data;
    const auto [first, inserted] = first_at_.try_emplace(data.bytes(), id);
    if (inserted) return std::nullopt;
    if (same_bytes(graph_.value(first->second).data, data)) return first->second;
    // The same address with another size, dtype or shape (rare): a view.
    const auto [begin, end] = other_layouts_.equal_range(data.bytes());
    for (auto it = begin; it != end; ++it)
      if (same_bytes(graph_.value(it->second).data, data)) return it->second;
    other_layouts_.emplace(data.bytes(), id);
    return std::nullopt;
  }

 private:
  const Graph& graph_;
  std::unordered_map<const std::byte*, ValueId> first_at_;
  std::unordered_multimap<const std::byte*, ValueId> other_layouts_;
};

void ModelBuilder::add_initializers(Scope& top) {
  WrittenParameters written(graph_, graph_.params.size());
  for (ValueId id : graph_.params) {
    if (!valid_id(id)) continue;
    const Value& v = graph_.value(id);
    if (v.data.defined() && v.data.bytes() != nullptr && v.data.nbytes() > 0) {
      if (const std::optional<ValueId> first = written.tie(id)) {
        // Read under the first one's name; its own name stays unused.
        value_names_[static_cast<size_t>(id)] = value_name(*first);
        bind(id);
        define_value(id, top);
        continue;
      }
    }
    if (v.data.defined()) {
      onnx::TensorProto& init = *top.graph->add_initializer();
      // Large weights stay in the mapped file until the model is written
      // (lent_weights.hpp); the rest is copied into raw_data.
      if (!lend_weight(v.data, value_name(id), init)) tensor_to_proto(v.data, value_name(id), init);
    } else {
      // No data (e.g. a graph captured without weights): keep the model valid
      // by letting the caller feed it.
      set_value_type(*top.graph->add_input(), value_name(id), v);
      Diagnostic d;
      d.code = "parameter-without-data";
      d.severity = Severity::Warning;
      d.stage = "translate";
      d.message = "parameter '" + v.name + "' has no data; it becomes a graph input of the ONNX model";
      result_.diagnostics.push_back(std::move(d));
    }
    bind(id);
    define_value(id, top);
  }
}

void ModelBuilder::translate_nodes(const std::vector<Node>& nodes, Scope& scope) {
  for (const Node& node : nodes) translate_node(node, scope);
}

void ModelBuilder::poison_outputs(const Node& node, Scope& scope) {
  for (ValueId id : node.outputs) {
    if (!valid_id(id)) continue;
    bind(id);
    produce_value(id, scope);
  }
}

// The chosen translator first, then the other candidates at this opset by
// rank (priority, then the most recent since_opset): the order in which a
// failing translator falls back.
std::vector<const RegisteredTranslator*> fallback_order(const TranslatorChoice& choice) {
  std::vector<const RegisteredTranslator*> rest;
  for (const RegisteredTranslator* c : choice.candidates)
    if (c != choice.chosen && c->spec.fn != nullptr) rest.push_back(c);
  std::stable_sort(rest.begin(), rest.end(), [](const RegisteredTranslator* a, const RegisteredTranslator* b) {
    if (a->spec.priority != b->spec.priority) return a->spec.priority > b->spec.priority;
    return a->spec.since_opset > b->spec.since_opset;
  });
  rest.insert(rest.begin(), choice.chosen);
  return rest;
}

void ModelBuilder::translate_node(const Node& node, Scope& scope) {
  const TranslatorChoice& choice = choice_for(node.op);
  if (choice.chosen == nullptr || choice.chosen->spec.fn == nullptr) {
    record_missing(node);
    poison_outputs(node, scope);
    return;
  }
  if (choice.conflict && conflict_reported_.insert(node.op).second)
    add_diagnostic(node_diagnostic("translator-conflict", Severity::Warning, node, choice.chosen->plugin, choice.reason));

  // A failing translator is reported and the next candidate tries the node
  // (plugins must not be able to break an op the built-ins handle). The
  // failures are warnings when a later candidate succeeds, errors otherwise.
  std::vector<Diagnostic> failures;
  for (const RegisteredTranslator* tr : fallback_order(choice)) {
    if (try_translator(*tr, node, scope, failures)) {
      for (Diagnostic& d : failures) {
        d.severity = Severity::Warning;
        d.hint = "fell back to the translator of plugin '" + tr->plugin + "' (" + translator_range(tr->spec) + ")";
        add_diagnostic(std::move(d));
      }
      return;
    }
  }
  for (Diagnostic& d : failures) add_diagnostic(std::move(d));
  poison_outputs(node, scope);
}

// Runs one translator on `node`. On failure, removes what it emitted,
// unbinds the node's outputs, appends its diagnostics to `failures` and
// returns false.
bool ModelBuilder::try_translator(const RegisteredTranslator& tr, const Node& node, Scope& scope,
                                  std::vector<Diagnostic>& failures) {
  NodeContext ctx(*this, scope, node);
  std::string failure, hint;
  try {
    tr.spec.fn(ctx);
  } catch (const TranslateError& e) {
    failure = e.what();
    hint = e.hint();
  } catch (const std::exception& e) {
    failure = std::string("unexpected exception: ") + e.what();
  } catch (...) {
    failure = "unexpected exception of unknown type";
  }
  for (const std::string& w : ctx.warnings())
    add_diagnostic(node_diagnostic("translator-warning", Severity::Warning, node, tr.plugin,
                                   node.op + ": " + w));
  const size_t failures_before = failures.size();
  const std::string who = "translator for '" + node.op + "' (plugin '" + tr.plugin + "')";
  if (!failure.empty()) {
    failures.push_back(node_diagnostic("translator-failed", Severity::Error, node, tr.plugin,
                                       who + " failed on `" + node_text(graph_, node) + "`: " + failure, hint));
  } else {
    // A misbehaving translator must not yield a broken model silently.
    for (size_t i : ctx.unbound_outputs())
      failures.push_back(node_diagnostic(
          "translator-unbound-output", Severity::Error, node, tr.plugin,
          who + " did not bind output " + std::to_string(i) + " ('" + graph_.value(node.outputs[i]).name + "') of `" +
              node_text(graph_, node) + "`",
          "every translator calls ctx.set_output(i, name) for each output of the node"));
    check_emitted_nodes(ctx, tr, node, scope, failures);
  }
  auto* nodes = scope.graph->mutable_node();
  if (failures.size() != failures_before) {
    nodes->DeleteSubrange(ctx.first_node(), nodes->size() - ctx.first_node());
    for (const std::string& key : ctx.declared_functions()) forget_function(key);
    for (ValueId id : node.outputs)
      if (valid_id(id)) bound_.at(static_cast<size_t>(id)) = 0;
    return false;
  }
  // The node's own values are recorded by poison_outputs() below.
  const auto is_node_value = [&](const std::string& out) {
    for (ValueId id : node.outputs)
      if (valid_id(id) && value_name(id) == out) return true;
    return false;
  };
  for (int k = ctx.first_node(); k < nodes->size(); ++k)
    for (const std::string& out : (*nodes)[k].output())
      if (!is_node_value(out)) define_other_output(out, scope);
  poison_outputs(node, scope);  // binds what the translator left unbound; records all the node's values
  for (const std::string& d : ctx.domains()) use_domain(d);
  if (used_ops_.insert(node.op).second)
    result_.used.emplace_back(node.op, tr.plugin + " (" + translator_range(tr.spec) + ")");
  return true;
}

// Every emitted node must be an ONNX operator (default domain) and read only
// names defined before it: the checker would reject the model later, without
// naming the plugin.
void ModelBuilder::check_emitted_nodes(const NodeContext& ctx, const RegisteredTranslator& tr, const Node& node,
                                       const Scope& scope, std::vector<Diagnostic>& failures) {
  std::unordered_set<std::string> emitted;
  const auto& nodes = scope.graph->node();
  for (int k = ctx.first_node(); k < nodes.size(); ++k) {
    const onnx::NodeProto& n = nodes[k];
    const auto bad = [&](const std::string& what) {
      failures.push_back(node_diagnostic("translator-invalid-node", Severity::Error, node, tr.plugin,
                                         "translator for '" + node.op + "' (plugin '" + tr.plugin + "') emitted " +
                                             n.name() + " (" + n.op_type() + "): " + what));
    };
    if (is_default_domain(n.domain()) && onnx::OpSchemaRegistry::Schema(n.op_type(), opset(), "") == nullptr)
      bad("'" + n.op_type() + "' is not an ONNX operator at opset " + std::to_string(opset()));
    for (const std::string& in : n.input())
      if (!in.empty() && emitted.count(in) == 0 && !handed_out_and_visible(ctx, in, scope) && !visible(in, scope))
        bad("input '" + in + "' is not defined");
    for (const std::string& out : n.output()) emitted.insert(out);
  }
}

void ModelBuilder::record_missing(const Node& node) {
  auto [it, inserted] = missing_index_.emplace(node.op, result_.missing.size());
  if (inserted) {
    MissingTranslator m;
    m.op = node.op;
    m.example_loc = node.prov.loc;
    m.example_node = node_text(graph_, node);
    result_.missing.push_back(std::move(m));
    missing_more_locs_.emplace_back();
  } else if (node.prov.loc.known() && missing_more_locs_[it->second].size() < kMaxExtraLocations) {
    missing_more_locs_[it->second].push_back(node.prov.loc);
  }
  result_.missing[it->second].count++;
}

void ModelBuilder::report_missing() {
  for (size_t i = 0; i < result_.missing.size(); ++i) {
    const MissingTranslator& m = result_.missing[i];
    Diagnostic d;
    d.code = "missing-translator";
    d.stage = "translate";
    d.category = "missing-translator";
    d.message = "no translator for '" + m.op + "' at opset " + std::to_string(opset()) + " (" +
                std::to_string(m.count) + (m.count == 1 ? " node" : " nodes") + "; first: `" + m.example_node + "`)";
    d.loc = m.example_loc;
    d.occurrences = m.count;
    d.more_locs = missing_more_locs_[i];
    d.hint = choice_for(m.op).reason + ". Load a translator plugin that handles '" + m.op +
             "' (`onnxport plugins -c CONFIG` lists the chosen translator per op) or register a decomposition for it";
    d.details = {{"op", m.op}, {"count", m.count}, {"example", m.example_node}};
    result_.diagnostics.push_back(std::move(d));
  }
}

void ModelBuilder::bind_block_inputs(const Node& owner, const Block& block, Scope& scope) {
  if (owner.op == "higher_order::cond" && !block.inputs.empty()) {
    // ONNX If branches take no inputs: a branch written with parameters
    // (torch.cond's operands) reads the operands from the outer scope.
    if (block.inputs.size() + 1 != owner.inputs.size())
      throw TranslateError("cond branch has " + std::to_string(block.inputs.size()) + " inputs but the node has " +
                           std::to_string(owner.inputs.size() - 1) + " operands");
    for (size_t k = 0; k < block.inputs.size(); ++k) {
      const Arg& operand = owner.inputs[k + 1];
      if (!operand.is_value() || !is_bound(operand.value))
        throw TranslateError("cond operand " + std::to_string(k) + " is not a defined tensor value");
      value_names_[static_cast<size_t>(block.inputs[k])] = value_name(operand.value);
      bind(block.inputs[k]);
      // The branch reads the operand's name: visible where the operand is.
      defined_in_.at(static_cast<size_t>(block.inputs[k])) = defined_in_.at(static_cast<size_t>(operand.value));
    }
    return;
  }
  const bool loop_without_cond_in =
      owner.op == "higher_order::loop" && owner.inputs.size() >= 2 && block.inputs.size() + 1 == owner.inputs.size();
  for (size_t k = 0; k < block.inputs.size(); ++k) {
    const ValueId id = block.inputs[k];
    if (!valid_id(id)) throw TranslateError("block input id " + std::to_string(id) + " does not exist");
    set_value_type(*scope.graph->add_input(), value_name(id), graph_.value(id));
    bind(id);
    define_value(id, scope);
    if (k == 0 && loop_without_cond_in) {
      // ONNX Loop bodies take (iteration, condition, carried...); the Graph IR
      // body has no condition input, so add one the body ignores.
      const std::string cond_in = names_.unique("cond_in");
      set_tensor_type(*scope.graph->add_input(), cond_in, DType::Bool, {});
      scope.other_defined.insert(cond_in);
    }
  }
}

std::string ModelBuilder::output_name_for(ValueId id, Scope& scope, std::unordered_set<std::string>& used,
                                          const Node* origin) {
  const std::string& name = value_name(id);
  const bool produced_here = produced_in_.at(static_cast<size_t>(id)) == scope.id || scope.other_produced.contains(name);
  if (produced_here && used.insert(name).second) return name;
  std::string out = names_.unique(name + "_out");
  onnx::NodeProto& n = append_node(*scope.graph, "Identity", "", origin ? *origin : output_origin_);
  n.add_input(name);
  n.add_output(out);
  used.insert(out);
  return out;
}

SubgraphRef ModelBuilder::build_subgraph(const Node& owner, const Block& block, std::string_view name,
                                         const Scope& parent) {
  onnx::GraphProto g;
  g.set_name(names_.unique(onnx_safe_name(name.empty() ? "subgraph" : std::string(name))));
  Scope scope;
  scope.graph = &g;
  scope.parent = &parent;
  scope.id = ++scope_count_;
  bind_block_inputs(owner, block, scope);
  translate_nodes(block.nodes, scope);
  std::unordered_set<std::string> used;
  for (ValueId id : block.outputs) {
    if (!valid_id(id) || !is_bound(id))
      throw TranslateError("block output " + (valid_id(id) ? "'" + graph_.value(id).name + "'" : std::to_string(id)) +
                           " is not defined");
    const std::string out = output_name_for(id, scope, used, &owner);
    set_value_type(*g.add_output(), out, graph_.value(id));
  }
  subgraphs_.emplace_back(std::move(g));
  return SubgraphRef{static_cast<int>(subgraphs_.size() - 1)};
}

onnx::GraphProto ModelBuilder::take_subgraph(SubgraphRef ref) {
  if (ref.index < 0 || static_cast<size_t>(ref.index) >= subgraphs_.size())
    throw TranslateError("unknown subgraph reference " + std::to_string(ref.index));
  auto& slot = subgraphs_[static_cast<size_t>(ref.index)];
  if (!slot) throw TranslateError("subgraph " + std::to_string(ref.index) + " is already used by another node",
                                  "call ctx.subgraph() once per attribute");
  onnx::GraphProto g = std::move(*slot);
  slot.reset();
  return g;
}

void ModelBuilder::add_graph_outputs(Scope& top) {
  std::unordered_set<std::string> used;
  output_origin_.op = "output";
  for (ValueId id : graph_.body.outputs) {
    if (!valid_id(id)) continue;
    if (!is_bound(id)) {
      Diagnostic d;
      d.code = "undefined-graph-output";
      d.stage = "translate";
      d.message = "graph output '" + graph_.value(id).name + "' is not computed by any node";
      result_.diagnostics.push_back(std::move(d));
      bind(id);
    }
    const std::string out = output_name_for(id, top, used, nullptr);
    set_value_type(*top.graph->add_output(), out, graph_.value(id));
  }
}

void ModelBuilder::finish_model() {
  onnx::ModelProto& model = result_.model;
  for (auto& [key, fn] : functions_) *model.add_functions() = std::move(fn);
  for (const std::string& domain : custom_domains_) {
    auto* imp = model.add_opset_import();
    imp->set_domain(domain);
    imp->set_version(1);
  }
  auto meta = [&](const std::string& key, const std::string& value) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  };
  meta("onnxport.sound", graph_.sound ? "true" : "false");
  if (!graph_.assertions.empty()) {
    std::string text;
    for (const auto& a : graph_.assertions) text += (text.empty() ? "" : "; ") + a.expr + " @ " + a.loc.str();
    meta("onnxport.runtime_assertions", text);
  }
}

void ModelBuilder::build() {
  onnx::ModelProto& model = result_.model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name(options_.producer_name);
  model.set_producer_version(options_.producer_version);
  auto* imp = model.add_opset_import();
  imp->set_domain("");
  imp->set_version(options_.opset);
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name(graph_.name.empty() ? "main_graph" : onnx_safe_name(graph_.name));

  reserve_value_names();
  Scope top;
  top.graph = &g;
  add_graph_inputs(top);
  add_initializers(top);
  translate_nodes(graph_.body.nodes, top);
  add_graph_outputs(top);
  report_missing();
  finish_model();
  result_.ok = result_.missing.empty();
  for (const Diagnostic& d : result_.diagnostics)
    if (d.severity == Severity::Error) result_.ok = false;
}

}  // namespace

TranslationResult translate_graph(const Graph& graph, const TranslatorRegistry& registry,
                                  const TranslateOptions& options) {
  TranslationResult result;
  ModelBuilder builder(graph, registry, options, result);
  try {
    builder.build();
  } catch (const std::exception& e) {
    // Only structural problems of the graph itself (bad ids in a block) get here.
    Diagnostic d;
    d.code = "translate-failed";
    d.stage = "translate";
    d.message = std::string("translation stopped: ") + e.what();
    result.diagnostics.push_back(std::move(d));
    result.ok = false;
  }
  return result;
}

}  // namespace onnxport
