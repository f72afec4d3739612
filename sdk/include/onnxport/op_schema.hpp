// Op schemas and arguments by name.
//
// Every aten op overload has one schema in TorchScript's own syntax,
//
//   aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None,
//                    Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor
//
// taken from PyTorch's registered schemas (scripts/gen_op_schemas.py writes the
// table compiled into libonnxport). A call's arguments are bound to a schema
// once, with the schema's defaults, and then read by name with typed
// accessors; the same names work in meta functions and kernels (OpArgs) and in
// translators (NodeArgs):
//
//   const double eps = a.f64("eps");
//   const std::vector<int64_t> shape = a.ints("normalized_shape");
//   if (a.has("weight")) ...
//
// A call that does not fit its schema (too many arguments, a missing one
// without default, a tensor where a float belongs) is refused with a message
// naming the schema and the argument. See docs/architecture.md §4a.
#pragma once

#include <onnxport/ops.hpp>
#include <onnxport/translator.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {

// ---------------------------------------------------------------- schemas

// The type of one schema argument or return, e.g. `Tensor?`, `int[2]`,
// `SymInt[]?`, `Tensor?[]`, `Tensor(a!)`. Types the engine never reads by
// value (Dict(str, t), Storage, tuples ...) are Kind::Other with their text.
struct SchemaType {
  enum class Kind : uint8_t {
    Tensor, Int, SymInt, Float, Bool, Str, Scalar, Complex, ScalarType, Layout, Device, MemoryFormat,
    Generator, Dimname, Any, Other
  };
  Kind kind = Kind::Other;
  bool list = false;           // T[] or T[N]
  int64_t list_size = -1;      // N of T[N]; -1 when unsized
  bool item_optional = false;  // T?[]: a list whose items may be None
  bool optional = false;       // T? or T[]?: the argument may be None
  std::string alias;           // "a!" of Tensor(a!), "" when none
  std::string text;            // as written: "int[2]", "Tensor?"

  bool writes() const { return !alias.empty() && alias.back() == '!'; }
};

struct SchemaArgument {
  std::string name;  // empty for unnamed returns
  SchemaType type;
  // The default, as JSON: null for None, bool, int, float, string, or an
  // array (a fixed-size list's scalar default is already repeated: `int[2]
  // stride=1` -> [1, 1]). nullopt when the argument has none.
  std::optional<nlohmann::json> default_value;
  bool kwarg_only = false;  // after `*`
};

struct OpSchema {
  std::string name;      // "aten::add"
  std::string overload;  // "Tensor"; "" for the default overload
  std::vector<SchemaArgument> arguments;
  std::vector<SchemaArgument> returns;
  bool vararg = false;   // `...` among the arguments
  bool varret = false;   // `...` among the returns
  std::string text;      // the schema as parsed

  // "aten::add.Tensor", or "aten::layer_norm" for the default overload.
  std::string qualified_name() const { return overload.empty() ? name : name + "." + overload; }
  // Position of the named argument, nullopt when the schema has none.
  std::optional<size_t> argument_index(std::string_view arg_name) const;
};

// A schema string that does not parse; the message gives the column.
class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one schema in TorchScript syntax. Throws SchemaError.
OpSchema parse_op_schema(std::string_view text);

// The built-in table (every aten schema PyTorch registers, except out=
// variants), parsed once on first use.
// `name` is "aten::add" with `overload` "Tensor", or the qualified
// "aten::add.Tensor" with no overload; nullptr when there is no such schema.
const OpSchema* find_schema(std::string_view name, std::string_view overload);
const OpSchema* find_schema(std::string_view qualified_name);
// Every overload of an op, in PyTorch's registration order (the order
// TorchScript resolves overloads in).
std::vector<const OpSchema*> schema_overloads(std::string_view name);
// Number of schemas in the table.
size_t schema_count();

// ---------------------------------------------------------------- binding

// What an actual argument is, as far as matching a schema is concerned. Built
// from an OpArg (meta functions, kernels) or a Graph Arg (translators).
struct ArgSummary {
  enum class Kind : uint8_t { Tensor, Int, SymInt, Float, SymFloat, Bool, SymBool, Str, None, List, Object };
  Kind kind = Kind::None;
  std::vector<ArgSummary> items;  // Kind::List
  std::string describe() const;   // "Tensor", "int", "list of [int, SymInt]"
};

ArgSummary summarize(const OpArg& arg);
ArgSummary summarize(const Graph& graph, const Arg& arg);

// The result of binding a call's positional arguments to a schema: for each
// schema argument, the position of the actual argument, or -1 when the
// schema's default applies.
struct SchemaBinding {
  const OpSchema* schema = nullptr;
  std::vector<int> position;
  std::string error;  // why the call does not fit; empty when it does
  bool ok() const { return error.empty(); }
};

SchemaBinding bind_schema(const OpSchema& schema, const std::vector<ArgSummary>& actual);
// Binds to the first overload of `op` (PyTorch's order) that fits. When none
// does, `error` names every overload tried and why it did not fit; when the
// op has no schema at all, `schema` is null and `error` says so.
SchemaBinding resolve_schema(std::string_view op, const std::vector<ArgSummary>& actual);

// ---------------------------------------------------------------- meta functions and kernels

// An op call's arguments bound by name. Errors are OpError (the op library
// prefixes them with the op name): a call that does not fit the schema when
// binding, an accessor that does not fit the argument's value when reading.
class OpArgs {
 public:
  // Binds to this schema; throws OpError when the call does not fit.
  OpArgs(const OpSchema& schema, const std::vector<OpArg>& args);
  // Resolves the overload of `op` (first that fits, PyTorch's order).
  static OpArgs bind(std::string_view op, const std::vector<OpArg>& args);

  const OpSchema& schema() const { return *schema_; }
  // The positional arguments as given (to call another op's kernel).
  const std::vector<OpArg>& positional() const { return *args_; }

  // True when the argument was given (or defaulted) and is not None.
  bool has(std::string_view name) const;
  // The bound argument; a defaulted one is materialized from the schema.
  const OpArg& arg(std::string_view name) const;

  const TensorMeta& tensor(std::string_view name) const;        // required tensor
  const OpArg* optional_tensor(std::string_view name) const;    // nullptr when None
  const Tensor& data(std::string_view name) const;              // concrete data (kernels)
  int64_t i64(std::string_view name) const;
  std::optional<int64_t> optional_i64(std::string_view name) const;
  double f64(std::string_view name) const;
  std::optional<double> optional_f64(std::string_view name) const;
  bool boolean(std::string_view name) const;
  std::string str(std::string_view name) const;
  std::vector<int64_t> ints(std::string_view name) const;       // static ints; int[N] repeats a lone int
  std::optional<std::vector<int64_t>> optional_ints(std::string_view name) const;
  std::vector<Dim> dims(std::string_view name) const;           // ints or SymInts
  const OpArg& scalar(std::string_view name) const;             // a Scalar: number, bool or SymInt
  std::optional<DType> dtype(std::string_view name) const;      // ScalarType?; None -> nullopt

 private:
  const SchemaArgument& schema_arg(std::string_view name, size_t* index) const;
  [[noreturn]] void fail_arg(std::string_view name, const std::string& message) const;

  const OpSchema* schema_;
  const std::vector<OpArg>* args_;
  std::vector<int> position_;
  std::vector<OpArg> defaults_;  // one per schema argument (None when it has no default)
};

// ---------------------------------------------------------------- translators

// The translated node's arguments bound by name against the schema of its op
// (the first overload that fits). Errors are TranslateError naming the node's
// op, the schema and the argument.
class NodeArgs {
 public:
  explicit NodeArgs(TranslateContext& ctx);
  NodeArgs(TranslateContext& ctx, const OpSchema& schema);

  const OpSchema& schema() const { return *schema_; }

  bool has(std::string_view name) const;  // given (or defaulted) and not None
  // The bound argument; a defaulted one is materialized from the schema.
  const Arg& arg(std::string_view name) const;
  // Position of a given argument in node().inputs, for the positional
  // helpers (ctx.input(i), ...); an error when the argument was not given.
  size_t index(std::string_view name) const;
  // ONNX name of a given tensor (or list) argument, as ctx.input(index(name)).
  std::string input(std::string_view name) const;
  // Graph metadata of a tensor argument.
  const Value& value(std::string_view name) const;

  int64_t i64(std::string_view name) const;
  std::optional<int64_t> optional_i64(std::string_view name) const;
  double f64(std::string_view name) const;
  std::optional<double> optional_f64(std::string_view name) const;
  bool boolean(std::string_view name) const;
  std::string str(std::string_view name) const;
  std::vector<int64_t> ints(std::string_view name) const;  // constant ints; int[N] repeats a lone int
  std::optional<std::vector<int64_t>> optional_ints(std::string_view name) const;
  std::optional<DType> dtype(std::string_view name) const;

 private:
  void bind(const SchemaBinding& binding);
  size_t slot(std::string_view name) const;
  [[noreturn]] void fail_arg(std::string_view name, const std::string& message) const;

  TranslateContext* ctx_;
  const OpSchema* schema_ = nullptr;
  std::vector<int> position_;
  std::vector<Arg> defaults_;
};

}  // namespace onnxport
