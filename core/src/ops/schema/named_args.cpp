// Arguments by name: OpArgs (meta functions and kernels) and NodeArgs
// (translators), both bound with bind_schema/resolve_schema
// (docs/architecture.md §4a).
#include <onnxport/op_schema.hpp>

#include "ops/schema/schema_resolution.hpp"

namespace onnxport {
namespace {

OpArg op_arg_of_default(const std::optional<nlohmann::json>& value) {
  OpArg a;
  if (!value || value->is_null()) return a;  // Kind::None
  a.kind = OpArg::Kind::Constant;
  a.constant = *value;
  return a;
}

// `int[2] stride=1` given as a lone int (or a one-element list) means [1, 1].
template <class V>
V repeated_to_size(V values, const SchemaType& type) {
  if (type.list_size > 1 && values.size() == 1) values.assign(static_cast<size_t>(type.list_size), values[0]);
  return values;
}

// A Graph Arg holding only constants, as the equivalent OpArg (so both sides
// share the OpArg conversions); nullopt when it holds a graph value.
std::optional<OpArg> constant_op_arg(const Arg& arg) {
  OpArg out;
  switch (arg.kind) {
    case Arg::Kind::Value: return std::nullopt;
    case Arg::Kind::Constant:
      if (arg.constant.is_null()) return out;
      out.kind = OpArg::Kind::Constant;
      out.constant = arg.constant;
      return out;
    case Arg::Kind::List:
      out.kind = OpArg::Kind::List;
      for (const Arg& item : arg.items) {
        std::optional<OpArg> c = constant_op_arg(item);
        if (!c) return std::nullopt;
        out.items.push_back(std::move(*c));
      }
      return out;
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------- OpArgs

OpArgs::OpArgs(const OpSchema& schema, const std::vector<OpArg>& args) : schema_(&schema), args_(&args) {
  std::vector<ArgSummary> actual;
  actual.reserve(args.size());
  for (const OpArg& a : args) actual.push_back(summarize(a));
  SchemaBinding b = bind_schema(schema, actual);
  if (!b.ok()) throw OpError("the call does not fit the schema " + schema.text + ": " + b.error);
  position_ = std::move(b.position);
  defaults_.reserve(schema.arguments.size());
  for (const SchemaArgument& a : schema.arguments) defaults_.push_back(op_arg_of_default(a.default_value));
}

OpArgs OpArgs::bind(std::string_view op, const std::vector<OpArg>& args) {
  std::vector<ArgSummary> actual;
  actual.reserve(args.size());
  for (const OpArg& a : args) actual.push_back(summarize(a));
  SchemaBinding b = resolve_schema_exact_first(op, actual);
  if (!b.ok()) throw OpError(b.error);
  return OpArgs(*b.schema, args);
}

const SchemaArgument& OpArgs::schema_arg(std::string_view name, size_t* index) const {
  std::optional<size_t> i = schema_->argument_index(name);
  if (!i) throw OpError("no argument '" + std::string(name) + "' in the schema " + schema_->text);
  *index = *i;
  return schema_->arguments[*i];
}

void OpArgs::fail_arg(std::string_view name, const std::string& message) const {
  throw OpError("argument '" + std::string(name) + "' of " + schema_->qualified_name() + ": " + message);
}

const OpArg& OpArgs::arg(std::string_view name) const {
  size_t i = 0;
  schema_arg(name, &i);
  const int p = position_[i];
  return p >= 0 ? (*args_)[static_cast<size_t>(p)] : defaults_[i];
}

bool OpArgs::has(std::string_view name) const { return !arg(name).is_none(); }

const TensorMeta& OpArgs::tensor(std::string_view name) const {
  const OpArg& a = arg(name);
  if (!a.is_tensor()) fail_arg(name, a.is_none() ? "a tensor is required, got None" : "a tensor is required");
  return a.meta;
}

const OpArg* OpArgs::optional_tensor(std::string_view name) const {
  const OpArg& a = arg(name);
  if (a.is_none()) return nullptr;
  if (!a.is_tensor()) fail_arg(name, "expected a tensor or None");
  return &a;
}

const Tensor& OpArgs::data(std::string_view name) const {
  const OpArg& a = arg(name);
  if (!a.is_tensor()) fail_arg(name, "a tensor is required");
  if (a.data == nullptr) fail_arg(name, "the kernel needs concrete data, the argument has only a meta");
  return *a.data;
}

// Runs an OpArg conversion, naming the argument when it throws.
#define ONNXPORT_NAMED(name, expr)        \
  try {                                   \
    return expr;                          \
  } catch (const OpError& error) {        \
    fail_arg(name, error.what());         \
  }

int64_t OpArgs::i64(std::string_view name) const { ONNXPORT_NAMED(name, arg(name).as_int()) }
double OpArgs::f64(std::string_view name) const { ONNXPORT_NAMED(name, arg(name).as_double()) }
bool OpArgs::boolean(std::string_view name) const { ONNXPORT_NAMED(name, arg(name).as_bool()) }
std::optional<DType> OpArgs::dtype(std::string_view name) const { ONNXPORT_NAMED(name, arg(name).as_dtype()) }

std::optional<int64_t> OpArgs::optional_i64(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return i64(name);
}

std::optional<double> OpArgs::optional_f64(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return f64(name);
}

std::string OpArgs::str(std::string_view name) const {
  const OpArg& a = arg(name);
  if (a.kind != OpArg::Kind::Constant || !a.constant.is_string()) fail_arg(name, "expected a string");
  return a.constant.get<std::string>();
}

std::vector<int64_t> OpArgs::ints(std::string_view name) const {
  size_t i = 0;
  const SchemaArgument& s = schema_arg(name, &i);
  ONNXPORT_NAMED(name, repeated_to_size(arg(name).as_int_list(), s.type))
}

std::optional<std::vector<int64_t>> OpArgs::optional_ints(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return ints(name);
}

std::vector<Dim> OpArgs::dims(std::string_view name) const {
  size_t i = 0;
  const SchemaArgument& s = schema_arg(name, &i);
  ONNXPORT_NAMED(name, repeated_to_size(arg(name).as_dim_list(), s.type))
}

const OpArg& OpArgs::scalar(std::string_view name) const {
  const OpArg& a = arg(name);
  const bool number = a.kind == OpArg::Kind::SymInt ||
                      (a.kind == OpArg::Kind::Constant && (a.constant.is_number() || a.constant.is_boolean()));
  if (!number) fail_arg(name, "expected a Scalar (number or bool)");
  return a;
}

// ---------------------------------------------------------------- NodeArgs

namespace {

// The tracing engine emits tensor ops on symbolic scalars too (`min(x.size(0),
// 3)` is aten::minimum(SymInt, 3)): in the Graph, and in ONNX, such values
// are 0-d tensors. When a node fits no overload as its arguments are, it is
// bound again with its scalars (symbolic or constant) read as tensors. Only
// as a second try, so a node that fits an int overload (aten::add.int) keeps it.
std::vector<ArgSummary> symbolic_scalars_as_tensors(std::vector<ArgSummary> actual) {
  using K = ArgSummary::Kind;
  for (ArgSummary& a : actual)
    if (a.kind == K::SymInt || a.kind == K::SymFloat || a.kind == K::SymBool || a.kind == K::Int || a.kind == K::Float ||
        a.kind == K::Bool)
      a.kind = K::Tensor;
  return actual;
}

}  // namespace

NodeArgs::NodeArgs(TranslateContext& ctx) : ctx_(&ctx) {
  std::vector<ArgSummary> actual;
  for (const Arg& a : ctx.node().inputs) actual.push_back(summarize(ctx.graph(), a));
  // The overload TorchScript resolved the node to, when the program recorded
  // it (program.json's "overload", copied to the node's attrs by the
  // tracer): bound first, so an earlier overload that also fits the
  // arguments' kinds cannot take its place. When it does not fit (the capture
  // rewrote the node's arguments) or is unknown, the node is resolved by its
  // arguments' kinds, as for bundles that do not record it.
  const nlohmann::json& attrs = ctx.node().attrs;
  if (auto it = attrs.find("overload"); attrs.is_object() && it != attrs.end() && it->is_string()) {
    if (const OpSchema* recorded = find_schema(ctx.node().op, it->get<std::string>())) {
      SchemaBinding b = bind_schema(*recorded, actual);
      if (b.ok()) {
        bind(b);
        return;
      }
    }
  }
  SchemaBinding b = resolve_schema(ctx.node().op, actual);
  if (!b.ok()) {
    SchemaBinding as_tensors = resolve_schema(ctx.node().op, symbolic_scalars_as_tensors(actual));
    if (as_tensors.ok()) b = std::move(as_tensors);
  }
  if (!b.ok()) throw TranslateError(ctx.node().op + ": " + b.error);
  bind(b);
}

NodeArgs::NodeArgs(TranslateContext& ctx, const OpSchema& schema) : ctx_(&ctx) {
  std::vector<ArgSummary> actual;
  for (const Arg& a : ctx.node().inputs) actual.push_back(summarize(ctx.graph(), a));
  SchemaBinding b = bind_schema(schema, actual);
  if (!b.ok()) {
    SchemaBinding as_tensors = bind_schema(schema, symbolic_scalars_as_tensors(actual));
    if (as_tensors.ok()) b = std::move(as_tensors);
  }
  if (!b.ok())
    throw TranslateError(ctx.node().op + ": the node does not fit the schema " + schema.text + ": " + b.error);
  bind(b);
}

void NodeArgs::bind(const SchemaBinding& binding) {
  schema_ = binding.schema;
  position_ = binding.position;
  defaults_.reserve(schema_->arguments.size());
  for (const SchemaArgument& a : schema_->arguments)
    defaults_.push_back(Arg::of_constant(a.default_value ? *a.default_value : nlohmann::json(nullptr)));
}

size_t NodeArgs::slot(std::string_view name) const {
  std::optional<size_t> i = schema_->argument_index(name);
  if (!i)
    throw TranslateError(ctx_->node().op + ": no argument '" + std::string(name) + "' in the schema " +
                         schema_->text);
  return *i;
}

void NodeArgs::fail_arg(std::string_view name, const std::string& message) const {
  throw TranslateError(ctx_->node().op + ": argument '" + std::string(name) + "' of " +
                       schema_->qualified_name() + ": " + message);
}

const Arg& NodeArgs::arg(std::string_view name) const {
  const size_t i = slot(name);
  const int p = position_[i];
  return p >= 0 ? ctx_->node().inputs[static_cast<size_t>(p)] : defaults_[i];
}

bool NodeArgs::has(std::string_view name) const { return !arg(name).is_none(); }

size_t NodeArgs::index(std::string_view name) const {
  const int p = position_[slot(name)];
  if (p < 0) fail_arg(name, "not given in the node (its default applies), so it has no input position");
  return static_cast<size_t>(p);
}

std::string NodeArgs::input(std::string_view name) const {
  if (!has(name)) fail_arg(name, "is None, an input is required");
  return ctx_->input(index(name));
}

const Value& NodeArgs::value(std::string_view name) const {
  const Arg& a = arg(name);
  if (!a.is_value()) fail_arg(name, "expected a graph value");
  return ctx_->graph().value(a.value);
}

#define ONNXPORT_NODE_CONSTANT(name, method)                                                    \
  std::optional<OpArg> c = constant_op_arg(arg(name));                                          \
  if (!c) fail_arg(name, "is computed in the graph; a constant is needed to export this node"); \
  try {                                                                                         \
    return c->method();                                                                         \
  } catch (const OpError& error) {                                                              \
    fail_arg(name, error.what());                                                               \
  }

int64_t NodeArgs::i64(std::string_view name) const { ONNXPORT_NODE_CONSTANT(name, as_int) }
double NodeArgs::f64(std::string_view name) const { ONNXPORT_NODE_CONSTANT(name, as_double) }
bool NodeArgs::boolean(std::string_view name) const { ONNXPORT_NODE_CONSTANT(name, as_bool) }
std::optional<DType> NodeArgs::dtype(std::string_view name) const { ONNXPORT_NODE_CONSTANT(name, as_dtype) }

std::optional<int64_t> NodeArgs::optional_i64(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return i64(name);
}

std::optional<double> NodeArgs::optional_f64(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return f64(name);
}

std::string NodeArgs::str(std::string_view name) const {
  const Arg& a = arg(name);
  if (!a.is_constant() || !a.constant.is_string()) fail_arg(name, "expected a string constant");
  return a.constant.get<std::string>();
}

std::vector<int64_t> NodeArgs::ints(std::string_view name) const {
  const SchemaType& type = schema_->arguments[slot(name)].type;
  std::optional<OpArg> c = constant_op_arg(arg(name));
  if (!c) fail_arg(name, "holds values computed in the graph; constant ints are needed to export this node");
  try {
    return repeated_to_size(c->as_int_list(), type);
  } catch (const OpError& error) {
    fail_arg(name, error.what());
  }
}

std::optional<std::vector<int64_t>> NodeArgs::optional_ints(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return ints(name);
}

}  // namespace onnxport
