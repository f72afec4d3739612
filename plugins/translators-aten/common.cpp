#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxport::aten {

void add(Registrar& r, std::string op, TranslateFn fn, int since, int until, std::string description) {
  TranslatorSpec spec;
  spec.op = std::move(op);
  spec.fn = fn;
  spec.since_opset = since;
  spec.until_opset = until;
  spec.description = std::move(description);
  r.add_translator(std::move(spec));
}

void fail(TranslateContext& ctx, const std::string& message, std::string hint) {
  throw TranslateError(ctx.node().op + ": " + message, std::move(hint));
}

namespace {

std::string arg_label(size_t i, std::string_view what) {
  return "argument " + std::to_string(i) + (what.empty() ? "" : " (" + std::string(what) + ")");
}

std::string describe_arg(TranslateContext& ctx, const Arg& a) {
  if (a.is_value()) {
    const Value& v = ctx.graph().value(a.value);
    return "value '" + v.name + "' " + v.type_str();
  }
  if (a.is_list()) return "a list with values";
  return "constant " + a.constant.dump();
}

const Arg* present(TranslateContext& ctx, size_t i) {
  return ctx.has_input(i) ? &ctx.arg(i) : nullptr;
}

[[noreturn]] void wrong(TranslateContext& ctx, size_t i, std::string_view what, std::string_view wanted) {
  const Arg* a = present(ctx, i);
  fail(ctx, arg_label(i, what) + " must be " + std::string(wanted) + ", got " +
                (a ? describe_arg(ctx, *a) : std::string("nothing")));
}

int category(DType d) {
  if (d == DType::Bool) return 0;
  if (is_floating(d)) return 2;
  return 1;
}

// dtype torch gives a Python scalar of this category in a promotion.
DType default_of_category(int cat) {
  return cat == 2 ? DType::Float32 : cat == 1 ? DType::Int64 : DType::Bool;
}

// A float constant: a JSON number, or the tagged form program.json uses for
// the values JSON cannot write ({"float": "inf"}, "-inf", "nan").
std::optional<double> float_constant(const nlohmann::json& c) {
  if (c.is_number()) return c.get<double>();
  if (c.is_object() && c.size() == 1 && c.contains("float") && c["float"].is_string()) {
    const std::string s = c["float"].get<std::string>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  }
  return std::nullopt;
}

DType constant_dtype(const nlohmann::json& c) {
  if (c.is_boolean()) return DType::Bool;
  if (c.is_number_integer()) return DType::Int64;
  return DType::Float32;
}

}  // namespace

// ---- reading arguments ----------------------------------------------------

bool is_constant(TranslateContext& ctx, size_t i) {
  return ctx.has_input(i) && ctx.arg(i).is_constant();
}

bool is_value(TranslateContext& ctx, size_t i) {
  return ctx.has_input(i) && ctx.arg(i).is_value();
}

bool is_tensor_value(TranslateContext& ctx, size_t i) {
  return is_value(ctx, i) && ctx.input_value(i).kind == ValueKind::Tensor;
}

int64_t int_arg(TranslateContext& ctx, size_t i, std::string_view what) {
  const Arg* a = present(ctx, i);
  if (a && a->is_constant()) {
    if (a->constant.is_number_integer()) return a->constant.get<int64_t>();
    if (a->constant.is_boolean()) return a->constant.get<bool>() ? 1 : 0;
  }
  if (a && a->is_value()) {
    const Value& v = ctx.graph().value(a->value);
    if (v.role == ValueRole::Constant && v.data.defined() && v.data.numel() == 1) return v.data.get_int(0);
  }
  wrong(ctx, i, what, "a constant int");
}

int64_t int_arg(TranslateContext& ctx, size_t i, std::string_view what, int64_t fallback) {
  return present(ctx, i) ? int_arg(ctx, i, what) : fallback;
}

double float_arg(TranslateContext& ctx, size_t i, std::string_view what) {
  const Arg* a = present(ctx, i);
  if (a && a->is_constant()) {
    if (auto f = float_constant(a->constant)) return *f;
    if (a->constant.is_boolean()) return a->constant.get<bool>() ? 1.0 : 0.0;
  }
  if (a && a->is_value()) {
    const Value& v = ctx.graph().value(a->value);
    if (v.role == ValueRole::Constant && v.data.defined() && v.data.numel() == 1) return v.data.get_double(0);
  }
  wrong(ctx, i, what, "a constant number");
}

double float_arg(TranslateContext& ctx, size_t i, std::string_view what, double fallback) {
  return present(ctx, i) ? float_arg(ctx, i, what) : fallback;
}

bool bool_arg(TranslateContext& ctx, size_t i, std::string_view what, bool fallback) {
  const Arg* a = present(ctx, i);
  if (!a) return fallback;
  if (a->is_constant()) {
    if (a->constant.is_boolean()) return a->constant.get<bool>();
    if (a->constant.is_number_integer()) return a->constant.get<int64_t>() != 0;
  }
  wrong(ctx, i, what, "a constant bool");
}

std::optional<std::string> str_arg(TranslateContext& ctx, size_t i) {
  const Arg* a = present(ctx, i);
  if (!a) return std::nullopt;
  if (a->is_constant() && a->constant.is_string()) return a->constant.get<std::string>();
  wrong(ctx, i, "", "a constant string");
}

std::optional<std::vector<int64_t>> ints_arg(TranslateContext& ctx, size_t i, std::string_view what) {
  const Arg* a = present(ctx, i);
  if (!a) return std::nullopt;
  std::vector<int64_t> out;
  if (a->is_constant() && a->constant.is_number_integer()) return std::vector<int64_t>{a->constant.get<int64_t>()};
  if (a->is_constant() && a->constant.is_array()) {
    for (const auto& item : a->constant) {
      if (!item.is_number_integer()) wrong(ctx, i, what, "a list of constant ints");
      out.push_back(item.get<int64_t>());
    }
    return out;
  }
  if (a->is_list()) {
    for (const Arg& item : a->items) {
      if (!item.is_constant() || !item.constant.is_number_integer())
        wrong(ctx, i, what, "a list of constant ints (symbolic sizes are not supported here)");
      out.push_back(item.constant.get<int64_t>());
    }
    return out;
  }
  wrong(ctx, i, what, "a list of constant ints");
}

std::optional<std::vector<double>> floats_arg(TranslateContext& ctx, size_t i, std::string_view what) {
  const Arg* a = present(ctx, i);
  if (!a) return std::nullopt;
  std::vector<double> out;
  if (a->is_constant() && !a->constant.is_array()) {
    if (auto f = float_constant(a->constant)) return std::vector<double>{*f};
  }
  if (a->is_constant() && a->constant.is_array()) {
    for (const auto& item : a->constant) {
      auto f = float_constant(item);
      if (!f) wrong(ctx, i, what, "a list of constant numbers");
      out.push_back(*f);
    }
    return out;
  }
  if (a->is_list()) {
    for (const Arg& item : a->items) {
      auto f = item.is_constant() ? float_constant(item.constant) : std::nullopt;
      if (!f) wrong(ctx, i, what, "a list of constant numbers");
      out.push_back(*f);
    }
    return out;
  }
  wrong(ctx, i, what, "a list of constant numbers");
}

std::optional<DType> dtype_arg(TranslateContext& ctx, size_t i) {
  const Arg* a = present(ctx, i);
  if (!a) return std::nullopt;
  if (a->is_constant()) {
    const nlohmann::json* v = &a->constant;
    if (v->is_object() && v->contains("dtype")) v = &a->constant["dtype"];
    if (v->is_null()) return std::nullopt;
    std::optional<DType> d;
    if (v->is_number_integer()) d = dtype_from_torch_code(v->get<int64_t>());
    else if (v->is_string()) d = dtype_from_name(v->get<std::string>());
    if (d) return d;
  }
  wrong(ctx, i, "dtype", "a known dtype");
}

// ---- values ---------------------------------------------------------------

int64_t rank_of(TranslateContext& ctx, size_t i) {
  if (!is_value(ctx, i)) return 0;  // Python scalars are 0-d
  return static_cast<int64_t>(ctx.input_value(i).shape.size());
}

std::optional<int64_t> static_dim(TranslateContext& ctx, size_t i, int64_t d) {
  const Shape& s = ctx.input_value(i).shape;
  const Dim& dim = s.at(static_cast<size_t>(d));
  if (dim.is_static()) return dim.value();
  return std::nullopt;
}

int64_t normalize_dim(TranslateContext& ctx, int64_t dim, int64_t rank) {
  const int64_t r = std::max<int64_t>(rank, 1);  // 0-d tensors accept dim 0 and -1
  if (dim < -r || dim >= r)
    fail(ctx, "dim " + std::to_string(dim) + " is out of range for a tensor of rank " + std::to_string(rank));
  return dim < 0 ? dim + r : dim;
}

DType arg_dtype(TranslateContext& ctx, size_t i) {
  const Arg& a = ctx.arg(i);
  if (a.is_value()) return ctx.input_value(i).dtype;
  if (a.is_constant()) return constant_dtype(a.constant);
  fail(ctx, arg_label(i, "") + " has no dtype (a list)");
}

namespace {

// torch.result_type over Args (null entries are skipped).
DType result_type_of(TranslateContext& ctx, const std::vector<const Arg*>& args) {
  // Three tiers, as torch.result_type: tensors with dims, zero-dim tensors,
  // Python scalars (and SymInt/SymFloat values, which are Python numbers).
  std::optional<DType> tier[3];
  for (const Arg* a : args) {
    if (!a) continue;
    int t;
    DType d;
    if (a->is_value()) {
      const Value& v = ctx.graph().value(a->value);
      d = v.dtype;
      t = v.kind != ValueKind::Tensor ? 2 : v.shape.empty() ? 1 : 0;
    } else if (a->is_constant() && !a->is_none()) {
      d = constant_dtype(a->constant);
      t = 2;
    } else {
      continue;
    }
    tier[t] = tier[t] ? promote_types(*tier[t], d) : d;
  }
  std::optional<DType> result;
  for (int t = 0; t < 3; ++t) {
    if (!tier[t]) continue;
    if (!result) {
      result = *tier[t];  // scalars alone (SymInt arithmetic) keep their own dtype
    } else if (category(*tier[t]) > category(*result)) {
      // A lower tier only raises the category: zero-dim tensors keep their
      // dtype, Python numbers take the default of their category.
      result = t == 1 ? *tier[t] : default_of_category(category(*tier[t]));
    }
  }
  if (!result) fail(ctx, "no tensor arguments to infer a dtype from");
  return *result;
}

}  // namespace

DType result_type(TranslateContext& ctx, const std::vector<size_t>& args) {
  std::vector<const Arg*> present_args;
  for (size_t i : args) present_args.push_back(present(ctx, i));
  return result_type_of(ctx, present_args);
}

std::string cast_to(TranslateContext& ctx, const std::string& name, DType to) {
  return ctx.op("Cast", {name}, {{"to", static_cast<int64_t>(dtype_to_onnx(to))}});
}

std::string cast(TranslateContext& ctx, const std::string& name, DType from, DType to) {
  return from == to ? name : cast_to(ctx, name, to);
}

std::string arg_as(TranslateContext& ctx, const Arg& arg, DType dtype) {
  if (arg.is_value()) {
    const Value& v = ctx.graph().value(arg.value);
    return cast(ctx, ctx.name_of(arg.value), v.dtype, dtype);
  }
  if (arg.is_constant()) {
    const nlohmann::json& c = arg.constant;
    if (c.is_boolean()) return ctx.const_scalar(c.get<bool>() ? 1.0 : 0.0, dtype);
    if (c.is_number_integer() && dtype == DType::Int64) {
      // Exact for every int64 (a double would round beyond 2^53).
      Tensor t = Tensor::zeros(DType::Int64, {});
      *t.mutable_data<int64_t>() = c.get<int64_t>();
      return ctx.constant(t);
    }
    if (auto f = float_constant(c)) return ctx.const_scalar(*f, dtype);
  }
  fail(ctx, "expected a tensor or a number, got " + describe_arg(ctx, arg));
}

std::string input_as(TranslateContext& ctx, size_t i, DType dtype) {
  if (!ctx.has_input(i)) fail(ctx, arg_label(i, "") + " is missing or None");
  return arg_as(ctx, ctx.arg(i), dtype);
}

namespace {

// One int-list item as a 1-element int64 tensor.
std::string int_item_1d(TranslateContext& ctx, const Arg& item) {
  if (item.is_constant() && item.constant.is_number_integer())
    return ctx.const_i64({item.constant.get<int64_t>()});
  if (item.is_value()) {
    const Value& v = ctx.graph().value(item.value);
    std::string name = cast(ctx, ctx.name_of(item.value), v.dtype, DType::Int64);
    return v.shape.empty() ? unsqueeze(ctx, name, {0}) : reshape(ctx, name, {-1});
  }
  fail(ctx, "expected an int or a SymInt in a size list, got " + describe_arg(ctx, item));
}

}  // namespace

std::string int_list_tensor_of(TranslateContext& ctx, const Arg& a) {
  if (a.is_value()) return int_item_1d(ctx, a);  // a 1-D size tensor, or one SymInt
  if (a.is_constant()) {
    if (a.constant.is_number_integer()) return ctx.const_i64({a.constant.get<int64_t>()});
    std::vector<int64_t> values;
    if (a.constant.is_array()) {
      for (const auto& item : a.constant) {
        if (!item.is_number_integer()) fail(ctx, "expected a list of ints, got " + a.constant.dump());
        values.push_back(item.get<int64_t>());
      }
      return ctx.const_i64(values);
    }
    fail(ctx, "expected a list of ints, got " + a.constant.dump());
  }
  bool all_constant = std::all_of(a.items.begin(), a.items.end(), [](const Arg& item) {
    return item.is_constant() && item.constant.is_number_integer();
  });
  if (all_constant) {
    std::vector<int64_t> values;
    for (const Arg& item : a.items) values.push_back(item.constant.get<int64_t>());
    return ctx.const_i64(values);
  }
  std::vector<std::string> parts;
  parts.reserve(a.items.size());
  for (const Arg& item : a.items) parts.push_back(int_item_1d(ctx, item));
  return ctx.op("Concat", parts, {{"axis", int64_t{0}}});
}

std::string int_list_tensor(TranslateContext& ctx, size_t i) {
  if (!ctx.has_input(i)) fail(ctx, arg_label(i, "") + " (a size list) is missing");
  return int_list_tensor_of(ctx, ctx.arg(i));
}

std::string int_as_1d(TranslateContext& ctx, size_t i, int64_t fallback) {
  if (!ctx.has_input(i)) return ctx.const_i64({fallback});
  return int_item_1d(ctx, ctx.arg(i));
}

std::string int_as_scalar(TranslateContext& ctx, size_t i) {
  if (is_value(ctx, i)) {
    const Value& v = ctx.input_value(i);
    std::string name = cast(ctx, ctx.input(i), v.dtype, DType::Int64);
    return v.shape.empty() ? name : to_scalar(ctx, name);
  }
  return input_as(ctx, i, DType::Int64);
}

// ---- reading arguments by name ---------------------------------------------

namespace {

[[noreturn]] void wrong_named(TranslateContext& ctx, const NodeArgs& a, std::string_view name,
                              std::string_view wanted) {
  fail(ctx, "argument '" + std::string(name) + "' of " + a.schema().qualified_name() + " must be " +
                std::string(wanted) + ", got " + describe_arg(ctx, a.arg(name)));
}

}  // namespace

std::string_view schema_arg_name(TranslateContext& ctx, const NodeArgs& a, size_t k) {
  const std::vector<SchemaArgument>& args = a.schema().arguments;
  if (args.size() <= k)
    fail(ctx, "the schema " + a.schema().text + " has no argument " + std::to_string(k) + " (counted from 0)");
  return args[k].name;
}

bool is_value(const NodeArgs& a, std::string_view name) { return a.arg(name).is_value(); }

bool is_tensor_value(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  const Arg& arg = a.arg(name);
  return arg.is_value() && ctx.graph().value(arg.value).kind == ValueKind::Tensor;
}

bool is_constant(const NodeArgs& a, std::string_view name) {
  const Arg& arg = a.arg(name);
  return arg.is_constant() && !arg.is_none();
}

std::optional<std::vector<double>> floats_arg(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  if (!a.has(name)) return std::nullopt;
  const Arg& arg = a.arg(name);
  std::vector<double> out;
  if (arg.is_constant() && !arg.constant.is_array()) {
    if (auto f = float_constant(arg.constant)) return std::vector<double>{*f};
  }
  if (arg.is_constant() && arg.constant.is_array()) {
    for (const auto& item : arg.constant) {
      auto f = float_constant(item);
      if (!f) wrong_named(ctx, a, name, "a list of constant numbers");
      out.push_back(*f);
    }
    return out;
  }
  if (arg.is_list()) {
    for (const Arg& item : arg.items) {
      auto f = item.is_constant() ? float_constant(item.constant) : std::nullopt;
      if (!f) wrong_named(ctx, a, name, "a list of constant numbers");
      out.push_back(*f);
    }
    return out;
  }
  wrong_named(ctx, a, name, "a list of constant numbers");
}

int64_t rank_of(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  const Arg& arg = a.arg(name);
  if (!arg.is_value()) return 0;  // Python scalars are 0-d
  return static_cast<int64_t>(ctx.graph().value(arg.value).shape.size());
}

std::optional<int64_t> static_dim(TranslateContext& ctx, const NodeArgs& a, std::string_view name, int64_t d) {
  const Shape& s = a.value(name).shape;
  if (d < 0 || d >= static_cast<int64_t>(s.size()))
    fail(ctx, "dim " + std::to_string(d) + " of argument '" + std::string(name) + "' is out of range");
  const Dim& dim = s[static_cast<size_t>(d)];
  if (dim.is_static()) return dim.value();
  return std::nullopt;
}

DType arg_dtype(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  const Arg& arg = a.arg(name);
  if (arg.is_value()) return ctx.graph().value(arg.value).dtype;
  if (arg.is_constant() && !arg.is_none()) return constant_dtype(arg.constant);
  wrong_named(ctx, a, name, "a tensor or a number");
}

DType result_type(TranslateContext& ctx, const NodeArgs& a, const std::vector<std::string_view>& names) {
  std::vector<const Arg*> args;
  for (std::string_view name : names) args.push_back(a.has(name) ? &a.arg(name) : nullptr);
  return result_type_of(ctx, args);
}

std::string input_as(TranslateContext& ctx, const NodeArgs& a, std::string_view name, DType dtype) {
  if (!a.has(name)) wrong_named(ctx, a, name, "given (not None)");
  return arg_as(ctx, a.arg(name), dtype);
}

std::string int_list_tensor(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  if (!a.has(name)) wrong_named(ctx, a, name, "a size list");
  return int_list_tensor_of(ctx, a.arg(name));
}

std::string int_as_1d(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  if (!a.has(name)) wrong_named(ctx, a, name, "an int or a SymInt");
  return int_item_1d(ctx, a.arg(name));
}

std::string int_as_scalar(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  if (!a.has(name)) wrong_named(ctx, a, name, "an int or a SymInt");
  const Arg& arg = a.arg(name);
  if (arg.is_value()) {
    const Value& v = ctx.graph().value(arg.value);
    std::string n = cast(ctx, ctx.name_of(arg.value), v.dtype, DType::Int64);
    return v.shape.empty() ? n : to_scalar(ctx, n);
  }
  return arg_as(ctx, arg, DType::Int64);
}

// ---- ONNX helpers -----------------------------------------------------------

std::string shape_of(TranslateContext& ctx, const std::string& name) {
  return ctx.op("Shape", {name});
}

std::string unsqueeze(TranslateContext& ctx, const std::string& name, const std::vector<int64_t>& axes) {
  return ctx.op("Unsqueeze", {name, ctx.const_i64(axes)});  // axes is an input since opset 13
}

std::string squeeze(TranslateContext& ctx, const std::string& name, const std::vector<int64_t>& axes) {
  if (axes.empty()) return ctx.op("Squeeze", {name});
  return ctx.op("Squeeze", {name, ctx.const_i64(axes)});
}

std::string reshape(TranslateContext& ctx, const std::string& name, const std::vector<int64_t>& shape) {
  return ctx.op("Reshape", {name, ctx.const_i64(shape)});
}

std::string to_scalar(TranslateContext& ctx, const std::string& name) {
  return reshape(ctx, name, {});
}

std::string filled(TranslateContext& ctx, const std::vector<int64_t>& shape, double value, DType dtype) {
  Tensor t = Tensor::zeros(dtype, shape);
  for (int64_t k = 0; k < t.numel(); ++k) t.set_double(k, value);
  return ctx.constant(t);
}

std::string reduce(TranslateContext& ctx, std::string_view op, const std::string& x,
                   const std::vector<int64_t>& axes, bool keepdims, bool axes_as_input) {
  OnnxAttrs attrs{{"keepdims", int64_t{keepdims ? 1 : 0}}};
  // Empty axes reduce over everything: leave the axes out (and with
  // noop_with_empty_axes at its default 0, that means "all axes").
  if (axes.empty()) return ctx.op(op, {x}, attrs);
  if (axes_as_input) return ctx.op(op, {x, ctx.const_i64(axes)}, attrs);
  attrs.push_back({"axes", axes});
  return ctx.op(op, {x}, attrs);
}

void bind_output(TranslateContext& ctx, size_t i, const std::string& name) {
  // The host renames `name` to the graph value's name, or adds an Identity
  // when `name` is not this translation's own (e.g. an input passed through).
  ctx.set_output(i, name);
}

void set_result(TranslateContext& ctx, const std::string& name) {
  bind_output(ctx, 0, name);
}

DType output_dtype(TranslateContext& ctx, size_t i) {
  return ctx.output_value(i).dtype;
}

}  // namespace onnxport::aten
