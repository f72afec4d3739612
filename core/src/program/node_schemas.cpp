// A program's aten:: nodes against their op schemas, when the bundle is loaded
// (docs/program-format.md, "Nodes and their schemas"): a node whose arguments
// fit no overload of its op, or that records an overload the op does not have
// or does not fit, is bad input (InputError, exit 2) naming the node, the
// schemas tried and the argument, before any strategy runs.
//
// The check uses only what the program says: each value's TorchScript type
// (graph inputs' `type`, nodes' `output_types`, a constant's value). A value
// whose type says too little (`Optional[Tensor]`, `number`, a block input, a
// node without `output_types`) fits any argument, so the check never refuses
// a node that TorchScript itself accepted; such a node is bound again, with
// the traced values, when it is captured.
#include "program/node_schemas.hpp"

#include "base/flat_name_map.hpp"
#include "ops/schema/schema_resolution.hpp"

#include <onnxport/op_schema.hpp>


namespace onnxport {
namespace {

using K = ArgSummary::Kind;

ArgSummary of_kind(K kind) {
  ArgSummary s;
  s.kind = kind;
  return s;
}

std::optional<K> base_kind(std::string_view type) {
  if (type == "Tensor") return K::Tensor;
  if (type == "int") return K::Int;
  if (type == "float") return K::Float;
  if (type == "bool") return K::Bool;
  if (type == "str") return K::Str;
  if (type == "Device") return K::Object;  // fits Device, as a {"device": ...} constant does
  return std::nullopt;
}

// What a TorchScript type says about a value, as far as matching a schema
// goes; nullopt when it does not say enough (Optional, Union, number, tuples,
// dicts, classes).
std::optional<ArgSummary> summary_of_type(std::string_view type) {
  if (type == "NoneType") return of_kind(K::None);
  if (std::optional<K> k = base_kind(type)) return of_kind(*k);
  if (type.starts_with("List[") && type.ends_with("]")) {
    ArgSummary list = of_kind(K::List);
    // One item stands for all of them; a list of an unknown item type has none,
    // so it fits any list argument.
    if (std::optional<K> item = base_kind(type.substr(5, type.size() - 6))) list.items.push_back(of_kind(*item));
    return list;
  }
  return std::nullopt;
}

// A prim::Constant without output_types, by its (normalized) value.
StaticArg constant_arg(const nlohmann::json& attrs) {
  auto it = attrs.find("value");
  if (it == attrs.end() || it->is_null()) return {of_kind(K::None), "NoneType"};
  const nlohmann::json& v = *it;
  if (v.is_boolean()) return {of_kind(K::Bool), "bool"};
  if (v.is_number_integer()) return {of_kind(K::Int), "int"};
  if (v.is_number()) return {of_kind(K::Float), "float"};
  if (v.is_string()) return {of_kind(K::Str), "str"};
  if (v.is_array()) return {of_kind(K::List), "list"};
  if (v.is_object() && (v.contains("tensor") || v.contains("tensor_ref"))) return {of_kind(K::Tensor), "Tensor"};
  if (v.is_object() && v.contains("device")) return {of_kind(K::Object), "Device"};
  return {std::nullopt, "constant"};
}

StaticArg typed_arg(const std::string& type) { return {summary_of_type(type), type}; }

class NodeSchemaChecker {
 public:
  explicit NodeSchemaChecker(const Program& program) : program_(program) {
    values_.reserve(program.inputs.size() + program.graph.nodes.size());  // most nodes define one value
    for (const ProgramValue& v : program.inputs) values_.assign(v.name, typed_arg(v.type));
  }

  void check_block(const ProgramBlock& block) {
    for (const std::string& name : block.inputs) values_.assign(name, StaticArg{std::nullopt, "?"});
    for (const ProgramNode& n : block.nodes) {
      // aten ops, and plugin ops that declare a schema (OpDef::schema); prim:: nodes have none.
      if (!n.kind.starts_with("prim::")) check_node(n);
      for (const ProgramBlock& sub : n.blocks) check_block(sub);
      for (size_t i = 0; i < n.outputs.size(); ++i) {
        if (i < n.output_types.size()) values_.assign(n.outputs[i], typed_arg(n.output_types[i]));
        else if (n.kind == "prim::Constant") values_.assign(n.outputs[i], constant_arg(n.attrs));
        else values_.assign(n.outputs[i], StaticArg{std::nullopt, "?"});
      }
    }
  }

 private:
  void check_node(const ProgramNode& n) {
    // The overload the node records, when the op has it: the node is bound to
    // that schema alone, and the op's other overloads (a dozen for aten::add)
    // are neither listed nor parsed (the schema table parses a schema when it
    // is first looked up).
    auto recorded = n.attrs.find("overload");
    const std::string* overload =
        recorded != n.attrs.end() && recorded->is_string() ? &recorded->get_ref<const std::string&>() : nullptr;
    const OpSchema* recorded_schema = overload != nullptr ? find_schema(n.kind, *overload) : nullptr;
    const std::vector<const OpSchema*> overloads =
        recorded_schema != nullptr ? std::vector<const OpSchema*>{recorded_schema} : schema_overloads(n.kind);
    // An op without a schema is a missing op, reported when it is captured.
    if (overloads.empty()) return;
    // An out= call (torch2program marks it, docs/program-format.md): the schema table has no out= variants, and
    // functional code only reaches one in a branch programs do not take; if it is taken, capture reports the op.
    if (auto v = n.attrs.find("out_variant"); v != n.attrs.end() && v->is_boolean() && v->get<bool>()) return;
    std::vector<StaticArg> args;
    args.reserve(n.inputs.size());
    for (const std::string& name : n.inputs) {
      const StaticArg* known = values_.find(name);
      args.push_back(known != nullptr ? *known : StaticArg{std::nullopt, "?"});
    }
    if (overload != nullptr) {
      const OpSchema* schema = recorded_schema;
      if (schema == nullptr) {
        std::string known;
        for (const OpSchema* s : overloads) known += (known.empty() ? "" : ", ") + quoted(s->overload);
        fail(n, "/overload",
             "records the overload " + quoted(*overload) + ", which " + n.kind + " does not have (its overloads: " +
                 known + ")");
      }
      SchemaBinding b = bind_schema_static(*schema, args);
      if (!b.ok())
        fail(n, "", "does not fit the overload it records, " + schema->text + ": " + b.error);
      return;
    }
    std::string why;
    for (const OpSchema* schema : overloads) {
      SchemaBinding b = bind_schema_static(*schema, args);
      if (b.ok()) return;
      why += "\n  " + schema->text + ": " + b.error;
    }
    std::string given;
    for (const StaticArg& a : args) given += (given.empty() ? "" : ", ") + a.type;
    fail(n, "", "its arguments (" + given + ") fit no schema of " + n.kind + ":" + why);
  }

  static std::string quoted(const std::string& s) { return "'" + s + "'"; }

  [[noreturn]] void fail(const ProgramNode& n, const std::string& key, const std::string& what) const {
    std::string node = n.kind;
    if (n.source.known()) {
      node += " at " + n.source.str();
      if (!n.source.text.empty()) node += " (" + n.source.text + ")";
    }
    throw InputError(program_.program_file.string(), n.json_path + key, node + ": " + what);
  }

  const Program& program_;
  FlatNameMap<StaticArg> values_;  // every value name seen so far -> what its type says
};

}  // namespace

void check_node_schemas(const Program& program) { NodeSchemaChecker(program).check_block(program.graph); }

}  // namespace onnxport
