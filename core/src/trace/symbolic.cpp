// Tracer: tensor metadata (size, dim, numel), Python scalars read from
// tensor data (aten::Bool/Int/item, unbacked symbols u0, u1, ...) and scalar
// arithmetic: folded when constant, symbolic (SymInt/SymFloat/SymBool, each
// with a 0-d Graph value) otherwise.
#include "tracer.hpp"

#include "scalar_ops.hpp"

#include "base/sym_expr.hpp"

#include <algorithm>
#include <cmath>

namespace onnxport::trace {

namespace {

using json = nlohmann::json;

std::string sympy_name(const std::string& kind) {
  static const std::unordered_map<std::string, std::string> names = {
      {"aten::eq", "Eq"}, {"aten::ne", "Ne"}, {"aten::lt", "Lt"},
      {"aten::le", "Le"}, {"aten::gt", "Gt"}, {"aten::ge", "Ge"}};
  return names.at(kind);
}

std::string negated_comparison(const std::string& kind) {
  static const std::unordered_map<std::string, std::string> negations = {
      {"aten::eq", "aten::ne"}, {"aten::ne", "aten::eq"}, {"aten::lt", "aten::ge"},
      {"aten::ge", "aten::lt"}, {"aten::le", "aten::gt"}, {"aten::gt", "aten::le"}};
  return negations.at(kind);
}

bool is_comparison(const std::string& kind) {
  return kind == "aten::eq" || kind == "aten::ne" || kind == "aten::lt" || kind == "aten::le" ||
         kind == "aten::gt" || kind == "aten::ge";
}

json hint_json(ScalarType type, double h) {
  if (type == ScalarType::Int) return static_cast<int64_t>(h);
  if (type == ScalarType::Bool) return h != 0.0;
  return h;
}

}  // namespace

// ------------------------------------------------------------------ tensor metadata

EValue Tracer::sym_size(const FakeTensor& t, int64_t dim) {
  const int64_t rank = static_cast<int64_t>(t.shape.size());
  const int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank)
    fail("op-error", "dim " + std::to_string(dim) + " out of range for a tensor of rank " + std::to_string(rank));
  const Dim size = known_dim(t.shape[static_cast<size_t>(d)]);  // concrete where a branch's condition pins it
  if (size.is_static()) return EValue::of_constant(size.value());
  SymScalar s;
  s.type = ScalarType::Int;
  s.dim = size;
  s.expr = size.str();
  const auto shape_hint = dim_eval(size, hints_);
  s.data_dependent = !shape_hint;  // a size that only tensor data determines (unbacked)
  if (t.data) s.hint = static_cast<double>(t.data->shape()[static_cast<size_t>(d)]);
  else if (shape_hint) s.hint = static_cast<double>(*shape_hint);
  s.origin = "aten::size(" + graph_.value(t.id).name + ", " + std::to_string(d) + ")";
  s.value = new_value("size", DType::Int64, {}, ValueKind::SymInt);
  Node node;
  node.op = "aten::size";  // TorchScript's size(Tensor, int) -> int
  node.inputs = {Arg::of(t.id), Arg::of_constant(d)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

void Tracer::on_size(const ProgramNode& n) {
  const EValue& t = in(n, 0);
  if (!t.is_tensor()) fail("bad-argument", "aten::size needs a tensor, got a " + describe(t));
  if (n.inputs.size() > 1) {
    const EValue& dim = in(n, 1);
    if (!dim.is_constant() || !dim.constant.is_number_integer())
      fail("unsupported-index", "aten::size: the dim must be a constant int, got a " + describe(dim));
    bind_all_outputs(n, sym_size(*t.tensor, dim.constant.get<int64_t>()));
    return;
  }
  EList sizes;
  for (size_t i = 0; i < t.tensor->shape.size(); ++i) sizes.push_back(sym_size(*t.tensor, static_cast<int64_t>(i)));
  bind_all_outputs(n, EValue::list(std::move(sizes), rewrite_depth_));
}

void Tracer::on_dim(const ProgramNode& n) {
  const EValue& t = in(n, 0);
  if (!t.is_tensor()) fail("bad-argument", "aten::dim needs a tensor, got a " + describe(t));
  bind_all_outputs(n, EValue::of_constant(static_cast<int64_t>(t.tensor->shape.size())));
}

void Tracer::on_numel(const ProgramNode& n) {
  const EValue& t = in(n, 0);
  if (!t.is_tensor()) fail("bad-argument", "aten::numel needs a tensor, got a " + describe(t));
  const Dim total = known_dim(shape_numel(t.tensor->shape));
  if (total.is_static()) {
    bind_all_outputs(n, EValue::of_constant(total.value()));
    return;
  }
  SymScalar s;
  s.type = ScalarType::Int;
  s.dim = total;
  s.expr = total.str();
  const auto shape_hint = dim_eval(total, hints_);
  s.data_dependent = !shape_hint;
  if (t.tensor->data) s.hint = static_cast<double>(t.tensor->data->numel());
  else if (shape_hint) s.hint = static_cast<double>(*shape_hint);
  s.origin = "aten::numel(" + graph_.value(t.tensor->id).name + ")";
  s.value = new_value("numel", DType::Int64, {}, ValueKind::SymInt);
  Node node;
  node.op = "aten::numel";
  node.inputs = {Arg::of(t.tensor->id)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  bind_all_outputs(n, EValue::of_sym(std::move(s)));
}

// ------------------------------------------------------------------ data-dependent scalars

void Tracer::on_scalar_conversion(const ProgramNode& n) {
  const EValue& v = in(n, 0);
  const std::string kind = n.kind == "aten::is_nonzero" ? "aten::Bool" : n.kind == "aten::item" ? "aten::ScalarImplicit" : n.kind;
  if (v.is_tensor()) {
    // A size a traced program carried as a tensor converts back to the
    // size it is, not to a value read from data.
    if (const std::optional<EValue> shadow = scalar_shadow(v)) {
      bind_all_outputs(n, scalar_op(n, kind, {*shadow}));
      return;
    }
    bind_all_outputs(n, data_dependent_scalar(n.kind, *v.tensor));
    return;
  }
  bind_all_outputs(n, scalar_op(n, kind, {v}));
}

// a / b rounded toward zero, for a positive int constant b:
// floor(max(a, 0) / b) - floor(max(-a, 0) / b) (one term is 0, whatever a's
// sign). None when b is not a positive constant.
EValue Tracer::truncated_division(const ProgramNode& n, const EValue& a, const EValue& b) {
  if (!b.is_constant() || !b.constant.is_number_integer() || b.constant.get<int64_t>() <= 0) return EValue::none();
  const int64_t divisor = b.constant.get<int64_t>();
  if (a.is_constant()) return EValue::of_constant(a.constant.get<int64_t>() / divisor);  // C++ truncates
  const EValue zero = EValue::of_constant(0);
  const EValue positive = scalar_op(n, "aten::floordiv", {sym_extreme("prim::max", a, zero), b});
  const EValue negated = scalar_op(n, "aten::neg", {a});
  const EValue negative = scalar_op(n, "aten::floordiv", {sym_extreme("prim::max", negated, zero), b});
  return scalar_op(n, "aten::sub", {positive, negative});
}

// torch.jit.trace records Python arithmetic on sizes as tensor arithmetic:
// `x.size(0) * 4` is prim::NumToTensor(size) -> aten::mul -> aten::Int. The
// engine keeps, beside each such 0-d integer tensor, the int it holds (a
// constant or a SymInt), so aten::Int gives back `batch*4`, not an unbacked
// symbol that no shape could be checked against. Only int64 results of
// add/sub/mul/floor_divide/neg/div(rounding_mode=floor|trunc) of int
// operands are followed: int64 arithmetic is Python's (floor_divide floors in
// PyTorch 1.13), while a float tensor would round, and a narrow int wrap,
// differently from a Python number.
std::optional<EValue> Tracer::scalar_shadow(const EValue& v) const {
  if (v.is_constant() && v.constant.is_number_integer()) return v;
  if (v.is_sym() && v.sym->type == ScalarType::Int) return v;
  if (!v.is_tensor() || !v.tensor->shape.empty() || v.tensor->dtype != DType::Int64) return std::nullopt;
  if (auto it = scalar_shadows_.find(v.tensor->id); it != scalar_shadows_.end()) return it->second;
  const Value& value = graph_.value(v.tensor->id);
  if (value.role == ValueRole::Constant && v.tensor->data && v.tensor->data->numel() == 1)
    return EValue::of_constant(v.tensor->data->get_int(0));
  return std::nullopt;
}

void Tracer::record_scalar_shadow(const ProgramNode& n, const std::string& kind, const std::vector<EValue>& args,
                                  const std::vector<EValue>& outs) {
  // A comparison of such ints (torch2program's guard of a number the trace
  // froze: aten::eq(head_dim, 8)) keeps the SymBool it is, for
  // aten::_assert_async to decide.
  if (kind == "aten::eq" || kind == "aten::ne") {
    if (args.size() != 2 || outs.size() != 1 || !outs[0].is_tensor() || !outs[0].tensor->shape.empty()) return;
    const std::optional<EValue> a = scalar_shadow(args[0]), b = scalar_shadow(args[1]);
    if (!a || !b) return;
    try {
      condition_shadows_[outs[0].tensor->id] = sym_compare(kind, *a, *b);
    } catch (const TraceError&) {
      // the algebra cannot compare them: the condition stays a value read from data
    }
    return;
  }
  static const std::unordered_map<std::string, std::string> python_op = {
      {"aten::add", "aten::add"}, {"aten::sub", "aten::sub"}, {"aten::mul", "aten::mul"},
      {"aten::floor_divide", "aten::floordiv"}, {"aten::neg", "aten::neg"}};
  // div(self, other, *, rounding_mode): 'floor' is Python's //, 'trunc'
  // (nn.MultiheadAttention's head_dim) rounds toward zero.
  std::string rounding;
  if (kind == "aten::div" && args.size() == 3 && args[2].is_constant() && args[2].constant.is_string())
    rounding = args[2].constant.get<std::string>();
  const auto op = rounding.empty() ? python_op.find(kind) : python_op.end();
  if ((op == python_op.end() && rounding != "floor" && rounding != "trunc") || outs.size() != 1 || !outs[0].is_tensor())
    return;
  const FakeTensor& out = *outs[0].tensor;
  if (!out.shape.empty() || out.dtype != DType::Int64) return;
  const size_t operands = kind == "aten::neg" ? 1 : 2;
  if (args.size() < operands) return;
  if (rounding.empty() && args.size() > operands) {  // add/sub's alpha: only the default
    const EValue& alpha = args[operands];
    if (!(alpha.is_constant() && alpha.constant.is_number_integer() && alpha.constant.get<int64_t>() == 1)) return;
  }
  std::vector<EValue> numbers;
  for (size_t i = 0; i < operands; ++i) {
    std::optional<EValue> s = scalar_shadow(args[i]);
    if (!s) return;
    numbers.push_back(std::move(*s));
  }
  if (std::none_of(args.begin(), args.begin() + static_cast<long>(operands),
                   [](const EValue& a) { return a.is_tensor(); }))
    return;
  EValue result;
  try {
    if (rounding == "floor") {
      result = scalar_op(n, "aten::floordiv", numbers);
    } else if (rounding == "trunc") {
      result = truncated_division(n, numbers[0], numbers[1]);
      if (result.is_none()) return;
    } else {
      result = scalar_op(n, op->second, numbers);
    }
  } catch (const TraceError&) {
    return;  // the algebra cannot follow it: aten::Int stays a value read from data
  }
  if (scalar_shadow(result)) scalar_shadows_[out.id] = std::move(result);
}

// aten::Bool(t), aten::Int(t), t.item(), ...: a Python scalar read from
// tensor data. Its value is an unbacked symbol (u0, u1, ...) that no shape
// reasoning can decide; the policy says what a branch on it does.
EValue Tracer::data_dependent_scalar(const std::string& kind, const FakeTensor& t) {
  const Dim numel = shape_numel(t.shape);
  if (numel.is_static() && numel.value() != 1)
    fail("op-error", kind + " on a tensor with " + std::to_string(numel.value()) +
                         " elements: only a one-element tensor converts to a Python scalar");
  SymScalar s;
  if (kind == "aten::Bool" || kind == "aten::is_nonzero") s.type = ScalarType::Bool;
  else if (kind == "aten::Int") s.type = ScalarType::Int;
  else if (kind == "aten::Float") s.type = ScalarType::Float;
  else s.type = t.dtype == DType::Bool ? ScalarType::Bool : is_floating(t.dtype) ? ScalarType::Float : ScalarType::Int;
  const std::string u = "u" + std::to_string(unbacked_++);
  s.data_dependent = true;
  if (s.type == ScalarType::Bool) {
    // As torch prints them: a bool tensor's item u0 is tested with Eq(u0, 1), a number with Ne(u0, 0).
    s.expr = t.dtype == DType::Bool ? "Eq(" + u + ", 1)" : "Ne(" + u + ", 0)";
    s.negated = t.dtype == DType::Bool ? "Ne(" + u + ", 1)" : "Eq(" + u + ", 0)";
  } else {
    s.expr = u;
    s.dim = Dim::symbol(u);
  }
  if (t.data && t.data->numel() >= 1) {
    const double x = t.data->get_double(0);
    s.hint = s.type == ScalarType::Bool ? (x != 0.0 ? 1.0 : 0.0) : s.type == ScalarType::Int ? std::trunc(x) : x;
  }
  s.origin = kind + "(" + graph_.value(t.id).name + ")";
  std::string base = kind.substr(kind.rfind(':') + 1);
  std::transform(base.begin(), base.end(), base.begin(), [](unsigned char c) { return std::tolower(c); });
  s.value = new_value(base, scalar_dtype(s.type), {}, scalar_value_kind(s.type));
  Node node;
  node.op = kind;
  node.inputs = {Arg::of(t.id)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

void Tracer::on_num_to_tensor(const ProgramNode& n) {
  const EValue& v = in(n, 0);
  if (v.is_tensor()) {
    bind_all_outputs(n, v);
    return;
  }
  if (v.is_constant() && (v.constant.is_number() || v.constant.is_boolean())) {
    const ScalarType type = scalar_type_of(v);
    const double x = v.constant.is_boolean() ? (v.constant.get<bool>() ? 1.0 : 0.0) : v.constant.get<double>();
    bind_all_outputs(n, lift_constant_tensor(Tensor::scalar(scalar_dtype(type), x), "_tensor_constant"));
    return;
  }
  if (!v.is_sym()) fail("bad-argument", "prim::NumToTensor needs a number, got a " + describe(v));
  FakeTensor t{v.sym->value, scalar_dtype(v.sym->type), {}, std::nullopt, {}};
  if (concrete() && v.sym->hint) t.data = Tensor::scalar(t.dtype, *v.sym->hint);
  if (v.sym->type == ScalarType::Int) scalar_shadows_[t.id] = v;
  bind_all_outputs(n, EValue::of_tensor(std::move(t)));
}

// ------------------------------------------------------------------ scalar arithmetic

std::optional<double> Tracer::hint_of(const EValue& v) const {
  if (v.is_sym()) return v.sym->hint;
  if (v.is_constant()) {
    if (v.constant.is_boolean()) return v.constant.get<bool>() ? 1.0 : 0.0;
    if (v.constant.is_number()) return v.constant.get<double>();
  }
  return std::nullopt;
}

std::string Tracer::expr_of(const EValue& v) const {
  return v.is_sym() ? v.sym->expr : python_str(v.constant);
}

ValueId Tracer::scalar_value_id(const EValue& v) {
  if (v.is_sym()) return v.sym->value;
  if (v.is_tensor()) return v.tensor->id;
  if (v.is_constant() && (v.constant.is_number() || v.constant.is_boolean())) {
    const ScalarType type = scalar_type_of(v);
    const double x = v.constant.is_boolean() ? (v.constant.get<bool>() ? 1.0 : 0.0) : v.constant.get<double>();
    return lift_constant_tensor(Tensor::scalar(scalar_dtype(type), x), "_tensor_constant").tensor->id;
  }
  fail("bad-output", "a " + describe(v) + " cannot become a graph value");
}

EValue Tracer::scalar_op(const ProgramNode& n, const std::string& kind, const std::vector<EValue>& args) {
  std::vector<json> constants;
  bool all_constant = true;
  for (const EValue& a : args) {
    auto c = as_constant_json(a);
    if (!c) {
      all_constant = false;
      break;
    }
    constants.push_back(std::move(*c));
  }
  if (all_constant) {
    try {
      return EValue::of_constant(eval_scalar_op(kind, constants));
    } catch (const ScalarOpError& e) {
      fail("python-error", kind + ": " + e.what());
    }
  }
  // List concatenation with non-constant items ([x] + [y]).
  if (kind == "aten::add" && args.size() == 2 && args[0].is_sequence() && args[1].is_sequence()) {
    EList items = *args[0].items;
    items.insert(items.end(), args[1].items->begin(), args[1].items->end());
    return EValue::list(std::move(items), rewrite_depth_);
  }
  if (kind == "aten::__contains__" && args.size() == 2 && args[0].is_sequence() && args[1].is_constant()) {
    for (const EValue& item : *args[0].items)
      if (item.is_constant() && item.constant == args[1].constant) return EValue::of_constant(true);
    if (std::all_of(args[0].items->begin(), args[0].items->end(), [](const EValue& e) { return e.is_constant(); }))
      return EValue::of_constant(false);
  }
  // sum(list) of Python ints/floats, some symbolic (a size): a chain of additions from 0.
  // (A symbolic bool item is refused below: its sum would need a cast.)
  auto summable = [](const EValue& a) {
    return (a.is_sym() && a.sym->type != ScalarType::Bool) ||
           (a.is_constant() && (a.constant.is_number() || a.constant.is_boolean()));
  };
  if (kind == "aten::sum" && args.size() == 1 && args[0].is_sequence() &&
      std::all_of(args[0].items->begin(), args[0].items->end(), summable)) {
    EValue acc = EValue::of_constant(0);
    for (const EValue& item : *args[0].items) acc = scalar_op(n, "aten::add", {acc, item});
    return acc;
  }
  // all(list) / any(list) of Python bools, some symbolic: a chain of and/or.
  if ((kind == "aten::all" || kind == "aten::any") && args.size() == 1 && args[0].is_sequence()) {
    EValue acc = EValue::of_constant(kind == "aten::all");
    for (const EValue& item : *args[0].items)
      acc = sym_logic(kind == "aten::all" ? "aten::__and__" : "aten::__or__", {acc, item});
    return acc;
  }
  auto is_scalar = [](const EValue& a) {
    return a.is_sym() || (a.is_constant() && (a.constant.is_number() || a.constant.is_boolean()));
  };
  // min(list) / max(list) with symbolic items: folded pairwise.
  if ((kind == "prim::min" || kind == "prim::max") && args.size() == 1 && args[0].is_sequence() &&
      !args[0].items->empty() && std::all_of(args[0].items->begin(), args[0].items->end(), is_scalar)) {
    EValue acc = args[0].items->front();
    for (size_t i = 1; i < args[0].items->size(); ++i) acc = scalar_op(n, kind, {acc, (*args[0].items)[i]});
    return acc;
  }
  const bool scalars_only = std::all_of(args.begin(), args.end(), is_scalar);
  if (scalars_only && std::any_of(args.begin(), args.end(), [](const EValue& a) { return a.is_sym(); }))
    return sym_op(kind, args);
  std::string described;
  for (const EValue& a : args) described += (described.empty() ? "" : ", ") + describe(a);
  fail("unsupported-op", kind + " on (" + described + ") is not supported by the tracing engine (at " + n.json_path + ")");
}

EValue Tracer::sym_op(const std::string& kind, const std::vector<EValue>& args) {
  if (is_comparison(kind) && args.size() == 2) return sym_compare(kind, args[0], args[1]);
  if (kind == "aten::__not__" || kind == "aten::__and__" || kind == "aten::__or__") return sym_logic(kind, args);
  if ((kind == "aten::add" || kind == "aten::sub" || kind == "aten::mul" || kind == "aten::floordiv" ||
       kind == "aten::remainder" || kind == "aten::div" || kind == "aten::pow") &&
      args.size() == 2)
    return sym_arith(kind, args[0], args[1]);
  if (kind == "aten::neg" && args.size() == 1) return sym_arith("aten::sub", EValue::of_constant(0), args[0]);
  if ((kind == "prim::min" || kind == "prim::max") && args.size() == 2) return sym_extreme(kind, args[0], args[1]);
  if ((kind == "aten::Bool") && args.size() == 1) {
    if (scalar_type_of(args[0]) == ScalarType::Bool) return args[0];
    return sym_compare("aten::ne", args[0], EValue::of_constant(0));
  }
  if ((kind == "aten::Int" || kind == "aten::Float" || kind == "aten::ScalarImplicit") && args.size() == 1) {
    const SymScalar& a = *args[0].sym;
    const ScalarType want = kind == "aten::Int" ? ScalarType::Int : kind == "aten::Float" ? ScalarType::Float : a.type;
    if (want == a.type) return args[0];
    SymScalar s = a;
    s.type = want;
    s.negated.clear();
    if (want == ScalarType::Int) {
      s.expr = "Int(" + a.expr + ")";
      s.dim = Dim::symbol(s.expr);
      if (s.hint) s.hint = std::trunc(*s.hint);
    } else {
      s.expr = "Float(" + a.expr + ")";
    }
    s.value = new_value(want == ScalarType::Int ? "int" : "float", scalar_dtype(want), {}, scalar_value_kind(want));
    Node node;
    node.op = want == ScalarType::Int ? "aten::Int" : "aten::Float";
    node.inputs = {Arg::of(a.value)};
    node.outputs = {s.value};
    node.prov = provenance();
    emit(std::move(node));
    return EValue::of_sym(std::move(s));
  }
  std::string described;
  for (const EValue& a : args) described += (described.empty() ? "" : ", ") + describe(a);
  fail("unsupported-op", kind + " on symbolic scalars (" + described + ") is not supported by the tracing engine");
}

// An int operand in the algebra's canonical form: a SymInt's dim or an int
// (or bool) constant; nullopt for floats and bools read from data.
std::optional<sym::Expr> Tracer::int_expr(const EValue& v) const {
  if (v.is_sym()) {
    if (v.sym->type != ScalarType::Int || v.sym->dim.is_static()) return std::nullopt;
    return sym::Expr::from_text(v.sym->dim.expr());
  }
  if (v.is_constant() && v.constant.is_boolean()) return sym::Expr(v.constant.get<bool>() ? 1 : 0);
  if (v.is_constant() && v.constant.is_number_integer()) return sym::Expr(v.constant.get<int64_t>());
  return std::nullopt;
}

// A comparison of ints that the canonical form decides for every value of
// its symbols ((u0+1)-u0 == 1, Min(batch, 3) <= 3) is a constant. Dynamic
// dims are assumed >= 2, as torch.export does (0 and 1 are specialized), so
// `batch > 1` or `batch == 1` needs no guard either. Anything else is a
// SymBool: a guard when a branch takes it, an `If` under cond-rewrite.
EValue Tracer::sym_compare(const std::string& kind, const EValue& a, const EValue& b) {
  auto ea = int_expr(a), eb = int_expr(b);
  if (ea && eb && !concrete()) {
    // Inside a branch whose condition pins a symbol (batch == 3), an operand
    // of pinned symbols is that constant (branch_facts.cpp).
    const auto bindings = branch_bindings();
    if (!bindings.empty()) {
      if (auto v = ea->evaluate(bindings)) ea = sym::Expr(*v);
      if (auto v = eb->evaluate(bindings)) eb = sym::Expr(*v);
    }
  }
  if (ea && eb)
    if (auto decided = sym::decide(sympy_name(kind), *ea, *eb, known_bounds())) return EValue::of_constant(*decided);
  SymScalar s;
  s.type = ScalarType::Bool;
  s.expr = sympy_name(kind) + "(" + expr_of(a) + ", " + expr_of(b) + ")";
  s.negated = sympy_name(negated_comparison(kind)) + "(" + expr_of(a) + ", " + expr_of(b) + ")";
  // The condition of a rewritten branch we are inside, or its negation.
  if (auto known = known_condition(s.expr)) return EValue::of_constant(*known);
  s.data_dependent = (a.is_sym() && a.sym->data_dependent) || (b.is_sym() && b.sym->data_dependent);
  const auto ha = hint_of(a), hb = hint_of(b);
  if (ha && hb) s.hint = eval_scalar_op(kind, {json(*ha), json(*hb)}).get<bool>() ? 1.0 : 0.0;
  s.origin = kind + "(" + expr_of(a) + ", " + expr_of(b) + ")";
  s.value = new_value(kind.substr(6), DType::Bool, {}, ValueKind::SymBool);
  Node node;
  node.op = kind;
  node.inputs = {to_graph_arg(a), to_graph_arg(b)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

EValue Tracer::sym_logic(const std::string& kind, const std::vector<EValue>& args) {
  auto as_bool = [&](const EValue& v) -> EValue {
    if (v.is_sym() && v.sym->type != ScalarType::Bool) return sym_compare("aten::ne", v, EValue::of_constant(0));
    return v;
  };
  if (kind == "aten::__not__") {
    const EValue a = as_bool(args.at(0));
    SymScalar s = *a.sym;
    std::swap(s.expr, s.negated);
    if (s.hint) s.hint = *s.hint != 0.0 ? 0.0 : 1.0;
    s.origin = "not " + a.sym->origin;
    s.value = new_value("logical_not", DType::Bool, {}, ValueKind::SymBool);
    Node node;
    node.op = "aten::logical_not";
    node.inputs = {Arg::of(a.sym->value)};
    node.outputs = {s.value};
    node.prov = provenance();
    emit(std::move(node));
    return EValue::of_sym(std::move(s));
  }
  if (args.size() != 2) fail("bad-arity", kind + " takes two operands");
  const bool is_and = kind == "aten::__and__";
  if (scalar_type_of(args[0]) != ScalarType::Bool || scalar_type_of(args[1]) != ScalarType::Bool)
    fail("unsupported-op", kind + " on symbolic ints (bitwise) is not supported by the tracing engine");
  // Short-circuit a constant operand: False and x == False, True and x == x.
  for (size_t i = 0; i < 2; ++i) {
    if (!args[i].is_constant()) continue;
    const bool c = python_truth(args[i].constant);
    if (c == !is_and) return EValue::of_constant(c);
    return args[1 - i];
  }
  const SymScalar& a = *args[0].sym;
  const SymScalar& b = *args[1].sym;
  SymScalar s;
  s.type = ScalarType::Bool;
  s.expr = std::string(is_and ? "And(" : "Or(") + a.expr + ", " + b.expr + ")";
  s.negated = std::string(is_and ? "Or(" : "And(") + a.negated + ", " + b.negated + ")";
  s.data_dependent = a.data_dependent || b.data_dependent;
  if (a.hint && b.hint) s.hint = is_and ? ((*a.hint != 0 && *b.hint != 0) ? 1.0 : 0.0) : ((*a.hint != 0 || *b.hint != 0) ? 1.0 : 0.0);
  s.origin = s.expr;
  s.value = new_value(is_and ? "logical_and" : "logical_or", DType::Bool, {}, ValueKind::SymBool);
  Node node;
  node.op = is_and ? "aten::logical_and" : "aten::logical_or";
  node.inputs = {Arg::of(a.value), Arg::of(b.value)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

EValue Tracer::sym_arith(const std::string& kind, const EValue& a, const EValue& b) {
  const bool ints = scalar_type_of(a) != ScalarType::Float && scalar_type_of(b) != ScalarType::Float && kind != "aten::div";
  SymScalar s;
  s.type = ints ? ScalarType::Int : ScalarType::Float;
  s.data_dependent = (a.is_sym() && a.sym->data_dependent) || (b.is_sym() && b.sym->data_dependent);
  static const std::unordered_map<std::string, std::string> symbols = {
      {"aten::add", "+"}, {"aten::sub", "-"}, {"aten::mul", "*"}, {"aten::floordiv", "//"},
      {"aten::remainder", "%"}, {"aten::div", "/"}, {"aten::pow", "**"}};
  if (ints && kind != "aten::pow") {
    auto dim_of = [](const EValue& v) {
      if (v.is_sym()) return v.sym->dim;
      return v.constant.is_boolean() ? Dim(v.constant.get<bool>() ? 1 : 0) : Dim(v.constant.get<int64_t>());
    };
    const Dim da = dim_of(a), db = dim_of(b);
    if (kind == "aten::add") s.dim = dim_add(da, db);
    else if (kind == "aten::sub") s.dim = dim_sub(da, db);
    else if (kind == "aten::mul") s.dim = dim_mul(da, db);
    else if (kind == "aten::floordiv") s.dim = dim_floordiv(da, db);
    else s.dim = dim_mod(da, db);
    if (s.dim.is_static()) return EValue::of_constant(s.dim.value());  // e.g. batch - batch
    s.expr = s.dim.str();
  } else {
    s.expr = "(" + expr_of(a) + symbols.at(kind) + expr_of(b) + ")";
    if (ints) s.dim = Dim::symbol(s.expr);
  }
  const auto ha = hint_of(a), hb = hint_of(b);
  if (ha && hb) {
    try {
      const json r = eval_scalar_op(kind, {hint_json(scalar_type_of(a), *ha), hint_json(scalar_type_of(b), *hb)});
      s.hint = r.get<double>();
    } catch (const ScalarOpError&) {
      // e.g. a division by zero on the example values: leave it unknown
    }
  }
  s.origin = s.expr;
  static const std::unordered_map<std::string, std::string> tensor_ops = {
      {"aten::add", "aten::add"},          {"aten::sub", "aten::sub"},
      {"aten::mul", "aten::mul"},          {"aten::floordiv", "aten::floor_divide"},
      {"aten::remainder", "aten::remainder"}, {"aten::div", "aten::div"},
      {"aten::pow", "aten::pow"}};
  const std::string& op = tensor_ops.at(kind);
  s.value = new_value(op.substr(6), scalar_dtype(s.type), {}, scalar_value_kind(s.type));
  Node node;
  node.op = op;
  node.inputs = {to_graph_arg(a), to_graph_arg(b)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

}  // namespace onnxport::trace

namespace onnxport::trace {

// min(a, b) / max(a, b) with a symbolic operand: Min/Max in the canonical
// form for ints (Min(a, a+1) is a; a decided comparison picks the operand),
// and an elementwise minimum/maximum of the 0-d values in the graph, which
// becomes ONNX Min/Max.
EValue Tracer::sym_extreme(const std::string& kind, const EValue& a, const EValue& b) {
  const bool is_max = kind == "prim::max";
  const auto ea = int_expr(a), eb = int_expr(b);
  if (ea && eb) {
    // Decided by the form and the dims' bounds: one operand is the answer.
    if (auto a_smaller = sym::decide("Le", *ea, *eb, known_bounds())) return *a_smaller != is_max ? a : b;
  }
  SymScalar s;
  const bool ints = scalar_type_of(a) != ScalarType::Float && scalar_type_of(b) != ScalarType::Float;
  s.type = ints ? ScalarType::Int : ScalarType::Float;
  s.data_dependent = (a.is_sym() && a.sym->data_dependent) || (b.is_sym() && b.sym->data_dependent);
  if (ea && eb) {
    const sym::Expr e = is_max ? sym::Expr::max({*ea, *eb}) : sym::Expr::min({*ea, *eb});
    if (auto c = e.constant_value()) return EValue::of_constant(*c);
    s.dim = Dim::symbol(e.str());
    s.expr = s.dim.str();
  } else {
    s.expr = std::string(is_max ? "Max(" : "Min(") + expr_of(a) + ", " + expr_of(b) + ")";
    if (ints) s.dim = Dim::symbol(s.expr);
  }
  const auto ha = hint_of(a), hb = hint_of(b);
  if (ha && hb) s.hint = is_max ? std::max(*ha, *hb) : std::min(*ha, *hb);
  s.origin = s.expr;
  const std::string op = is_max ? "aten::maximum" : "aten::minimum";
  s.value = new_value(op.substr(6), scalar_dtype(s.type), {}, scalar_value_kind(s.type));
  Node node;
  node.op = op;
  node.inputs = {to_graph_arg(a), to_graph_arg(b)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

}  // namespace onnxport::trace
