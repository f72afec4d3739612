// Binding a call's positional arguments to an op schema, and overload
// resolution (docs/architecture.md §4a). Shared by OpArgs (meta functions,
// kernels) and NodeArgs (translators).
#include <onnxport/op_schema.hpp>

#include "ops/schema/schema_resolution.hpp"

namespace onnxport {
namespace {

using K = ArgSummary::Kind;
using T = SchemaType::Kind;

ArgSummary summarize_json(const nlohmann::json& c) {
  ArgSummary s;
  if (c.is_null()) s.kind = K::None;
  else if (c.is_boolean()) s.kind = K::Bool;
  else if (c.is_number_integer()) s.kind = K::Int;
  else if (c.is_number()) s.kind = K::Float;
  else if (c.is_string()) s.kind = K::Str;
  else if (c.is_array()) {
    s.kind = K::List;
    for (const auto& item : c) s.items.push_back(summarize_json(item));
  } else if (c.is_object() && c.size() == 1 && c.contains("float") && c["float"].is_string()) {
    s.kind = K::Float;  // {"float": "-inf"}: program.json's non-finite float (docs/program-format.md)
  } else {
    s.kind = K::Object;  // {"dtype": ...}, {"device": ...}
  }
  return s;
}

bool is_intlike(K k) { return k == K::Int || k == K::SymInt; }
bool is_number(K k) { return is_intlike(k) || k == K::Float || k == K::SymFloat; }

// Whether one (non-list, non-None) actual fits a base type. `strict` (the
// first pass of resolve_schema) refuses the one lenient conversion that
// makes overloads ambiguous: an int where a bool is declared.
bool fits_base(T type, K actual, bool strict = false) {
  switch (type) {
    case T::Tensor: return actual == K::Tensor;
    case T::Int:
    case T::SymInt: return is_intlike(actual);
    case T::Float: return is_number(actual);
    case T::Complex: return is_number(actual);
    case T::Bool: return actual == K::Bool || actual == K::SymBool || (!strict && actual == K::Int);
    case T::Str:
    case T::Dimname: return actual == K::Str;
    case T::Scalar: return is_number(actual) || actual == K::Bool || actual == K::SymBool;
    // dtype, layout, memory format and device constants: a torch code, a
    // name, or the {"dtype": ...} object the loader writes.
    case T::ScalarType:
    case T::Layout:
    case T::MemoryFormat:
    case T::Device: return actual == K::Int || actual == K::Str || actual == K::Object;
    case T::Generator: return false;  // only None (optional) is accepted
    case T::Any:
    case T::Other: return true;
  }
  return false;
}

bool fits(const SchemaType& type, const ArgSummary& actual, bool strict) {
  // `t`, `Any`, Dict(...), tuples: anything (a `t[]` must still be a list).
  if ((type.kind == T::Any || type.kind == T::Other) && !type.list) return true;
  if (actual.kind == K::None) return type.optional;
  if (!type.list) return fits_base(type.kind, actual.kind, strict);
  if (actual.kind == K::List) {
    for (const ArgSummary& item : actual.items) {
      if (item.kind == K::None ? !type.item_optional : !fits_base(type.kind, item.kind, strict)) return false;
    }
    return true;
  }
  // int[N] / SymInt[N] take a lone int (as TorchScript broadcasts it).
  return (type.kind == T::Int || type.kind == T::SymInt) && is_intlike(actual.kind);
}

// Binds `count` positional arguments: get(i) is argument i's summary, or
// nullptr when its kind is not known (it then fits any type); describe(i)
// names it in messages. `exact` (resolve_schema's first pass) also requires
// every declared argument to be given and refuses an int for a bool.
template <class Get, class Describe>
SchemaBinding bind_args(const OpSchema& schema, size_t count, Get get, Describe describe, bool exact) {
  SchemaBinding b;
  b.schema = &schema;
  const size_t declared = schema.arguments.size();
  if (count > declared && !schema.vararg) {
    b.error = "takes " + std::to_string(declared) + " arguments, got " + std::to_string(count);
    return b;
  }
  if (exact && count != declared) {
    b.error = "not every argument is given";
    return b;
  }
  b.position.assign(declared, -1);
  for (size_t i = 0; i < declared; ++i) {
    const SchemaArgument& a = schema.arguments[i];
    if (i < count) {
      const ArgSummary* actual = get(i);
      if (actual != nullptr && !fits(a.type, *actual, exact)) {
        b.error = "argument '" + a.name + "' (position " + std::to_string(i) + ") must be " + a.type.text +
                  ", got " + describe(i);
        return b;
      }
      b.position[i] = static_cast<int>(i);
    } else if (!a.default_value) {
      b.error = "argument '" + a.name + "' (position " + std::to_string(i) + ", " + a.type.text +
                ") is missing and has no default";
      return b;
    }
  }
  return b;
}

SchemaBinding bind(const OpSchema& schema, const std::vector<ArgSummary>& actual, bool exact) {
  return bind_args(
      schema, actual.size(), [&](size_t i) { return &actual[i]; }, [&](size_t i) { return actual[i].describe(); },
      exact);
}

}  // namespace

std::string ArgSummary::describe() const {
  switch (kind) {
    case K::Tensor: return "Tensor";
    case K::Int: return "int";
    case K::SymInt: return "SymInt";
    case K::Float: return "float";
    case K::SymFloat: return "SymFloat";
    case K::Bool: return "bool";
    case K::SymBool: return "SymBool";
    case K::Str: return "str";
    case K::None: return "None";
    case K::Object: return "object";
    case K::List: {
      std::string out = "list [";
      for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i].describe();
      return out + "]";
    }
  }
  return "?";
}

ArgSummary summarize(const OpArg& arg) {
  ArgSummary s;
  switch (arg.kind) {
    case OpArg::Kind::Tensor: s.kind = K::Tensor; break;
    case OpArg::Kind::SymInt: s.kind = K::SymInt; break;
    case OpArg::Kind::None: s.kind = K::None; break;
    case OpArg::Kind::Constant: return summarize_json(arg.constant);
    case OpArg::Kind::List:
      s.kind = K::List;
      for (const OpArg& item : arg.items) s.items.push_back(summarize(item));
      break;
  }
  return s;
}

ArgSummary summarize(const Graph& graph, const Arg& arg) {
  ArgSummary s;
  switch (arg.kind) {
    case Arg::Kind::Constant: return summarize_json(arg.constant);
    case Arg::Kind::List:
      s.kind = K::List;
      for (const Arg& item : arg.items) s.items.push_back(summarize(graph, item));
      return s;
    case Arg::Kind::Value:
      switch (graph.value(arg.value).kind) {
        case ValueKind::Tensor: s.kind = K::Tensor; break;
        case ValueKind::SymInt: s.kind = K::SymInt; break;
        case ValueKind::SymFloat: s.kind = K::SymFloat; break;
        case ValueKind::SymBool: s.kind = K::SymBool; break;
      }
      return s;
  }
  return s;
}

SchemaBinding bind_schema(const OpSchema& schema, const std::vector<ArgSummary>& actual) {
  return bind(schema, actual, false);
}

SchemaBinding bind_schema_static(const OpSchema& schema, const std::vector<StaticArg>& actual) {
  return bind_args(
      schema, actual.size(), [&](size_t i) { return actual[i].summary ? &*actual[i].summary : nullptr; },
      [&](size_t i) { return actual[i].type; }, false);
}

SchemaBinding resolve_schema(std::string_view op, const std::vector<ArgSummary>& actual) {
  const std::vector<const OpSchema*> overloads = schema_overloads(op);
  SchemaBinding result;
  if (overloads.empty()) {
    result.error = "no schema is known for " + std::string(op);
    return result;
  }
  if (overloads.size() == 1) {
    SchemaBinding b = bind_schema(*overloads[0], actual);
    if (!b.ok()) b.error = "the call does not fit the schema " + overloads[0]->text + ": " + b.error;
    return b;
  }
  std::string why;
  for (const OpSchema* schema : overloads) {
    SchemaBinding b = bind_schema(*schema, actual);
    if (b.ok()) return b;
    why += "\n  " + schema->text + ": " + b.error;
  }
  std::string given;
  for (size_t i = 0; i < actual.size(); ++i) given += (i ? ", " : "") + actual[i].describe();
  result.error = "the call (" + given + ") fits no schema of " + std::string(op) + ":" + why;
  return result;
}

}  // namespace onnxport

namespace onnxport {

// A TorchScript node carries every argument of its overload, defaults
// included, and its constants have lost their Python types (a dtype is an
// int, so sum(x, dtype=float64) is (Tensor, int) and would also fit
// sum.dim_IntList's int[1]? dim; var.correction's int correction would fit
// var.dim's bool unbiased). So the first overload that the call fits exactly
// (every argument given, no int for a bool) wins; only then resolve_schema's
// first that fits with defaults and conversions (calls made inside the op
// library omit trailing defaults).
SchemaBinding resolve_schema_exact_first(std::string_view op, const std::vector<ArgSummary>& actual) {
  const std::vector<const OpSchema*> overloads = schema_overloads(op);
  if (overloads.size() > 1)
    for (const OpSchema* schema : overloads) {
      SchemaBinding b = bind(*schema, actual, true);
      if (b.ok()) return b;
    }
  return resolve_schema(op, actual);
}

}  // namespace onnxport
