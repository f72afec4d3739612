// Tracer: Python-level values — constants, module attributes, lists and
// tuples, environment queries, tensor metadata (size, dim, dtype) and scalar
// arithmetic, folded when constant and symbolic (SymInt/SymFloat/SymBool)
// otherwise.
#include "tracer.hpp"

#include "scalar_ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxport::trace {

namespace {

using json = nlohmann::json;

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

std::string join_path(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

// {"float": "inf"} / "-inf" / "nan": the floats JSON cannot write.
std::optional<double> tagged_float(const json& c) {
  if (!c.is_object() || c.size() != 1 || !c.contains("float") || !c["float"].is_string()) return std::nullopt;
  const std::string s = c["float"].get<std::string>();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  return std::nullopt;
}

// program.json encodes dtypes as {"dtype": "float32"}; TorchScript itself
// passes ScalarType codes, which is what ops and prim::dtype use.
json normalize_constant(const json& c) {
  if (auto f = tagged_float(c)) return *f;
  if (c.is_object() && c.size() == 1 && c.contains("dtype")) {
    const json& d = c["dtype"];
    if (d.is_number_integer()) return d;
    if (d.is_string())
      if (auto dt = dtype_from_name(d.get<std::string>())) return dtype_to_torch_code(*dt);
  }
  if (c.is_array()) {
    json out = json::array();
    for (const auto& e : c) out.push_back(normalize_constant(e));
    return out;
  }
  return c;
}

Tensor tensor_from_json(const json& spec) {
  const auto dtype = dtype_from_name(spec.at("dtype").get<std::string>());
  std::vector<int64_t> shape = spec.at("shape").get<std::vector<int64_t>>();
  Tensor t = Tensor::zeros(dtype.value_or(DType::Float32), shape);
  const json& data = spec.at("data");
  for (size_t i = 0; i < data.size(); ++i) {
    const json& v = data[i];
    const auto tagged = tagged_float(v);
    t.set_double(static_cast<int64_t>(i), tagged ? *tagged : v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>());
  }
  return t;
}

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

DType dtype_of(ScalarType t) {
  switch (t) {
    case ScalarType::Int: return DType::Int64;
    case ScalarType::Float: return DType::Float64;
    case ScalarType::Bool: return DType::Bool;
  }
  return DType::Int64;
}

ValueKind value_kind_of(ScalarType t) {
  switch (t) {
    case ScalarType::Int: return ValueKind::SymInt;
    case ScalarType::Float: return ValueKind::SymFloat;
    case ScalarType::Bool: return ValueKind::SymBool;
  }
  return ValueKind::SymInt;
}

ScalarType scalar_type_of(const json& c) {
  if (c.is_boolean()) return ScalarType::Bool;
  if (c.is_number_integer()) return ScalarType::Int;
  return ScalarType::Float;
}

ScalarType type_of(const EValue& v) { return v.is_sym() ? v.sym->type : scalar_type_of(v.constant); }

}  // namespace

// ------------------------------------------------------------------ constants and attributes

void Tracer::on_constant(const ProgramNode& n) {
  const json value = n.attrs.contains("value") ? n.attrs["value"] : json(nullptr);
  const std::string type = n.output_types.empty() ? "" : n.output_types[0];
  if (value.is_object() && value.contains("tensor")) {
    bind_all_outputs(n, lift_constant_tensor(tensor_from_json(value["tensor"]), "_tensor_constant"));
    return;
  }
  if (value.is_object() && value.contains("tensor_ref") && value["tensor_ref"].is_string()) {
    // A large tensor constant, stored with the weights.
    bind_all_outputs(n, tensor_ref(value["tensor_ref"].get<std::string>()));
    return;
  }
  if (value.is_object() && value.contains("complex"))
    fail("unsupported-constant", "complex constants are not supported (ONNX has no complex tensors in opset 17)");
  if (type == "Device" && value.is_string()) {
    bind_all_outputs(n, EValue::of_constant(device_constant(value.get<std::string>())));
    return;
  }
  bind_all_outputs(n, EValue::of_constant(normalize_constant(value)));
}

// A tensor named in program.json ({"tensor_ref": name}): the parameter or
// buffer of that dotted name (the same graph value prim::GetAttr gives), else
// a tensor constant stored with the weights.
EValue Tracer::tensor_ref(const std::string& name) {
  if (auto role = weight_roles_.find(name); role != weight_roles_.end()) return parameter(name, role->second);
  const Tensor* t = program_.weights.find(name);
  if (t == nullptr) fail("missing-weight", "tensor `" + name + "` is not in the weights file");
  if (auto it = tensor_constants_.find(name); it != tensor_constants_.end()) return it->second;
  EValue v = lift_constant_tensor(*t, "_tensor_constant");
  tensor_constants_.emplace(name, v);
  return v;
}

// A module attribute: a Python constant, or a list holding tensor references
// (nn.LSTM's _flat_weights: [{"tensor_ref": "weight_ih_l0"}, ...]).
EValue Tracer::attribute_value(const json& value) {
  if (value.is_object() && value.contains("tensor_ref") && value["tensor_ref"].is_string())
    return tensor_ref(value["tensor_ref"].get<std::string>());
  if (value.is_array()) {
    const bool has_tensors = std::any_of(value.begin(), value.end(), [](const json& v) {
      return v.is_object() && v.contains("tensor_ref");
    });
    if (has_tensors) {
      EList items;
      for (const json& v : value) items.push_back(attribute_value(v));
      return EValue::list(std::move(items), rewrite_depth_);
    }
  }
  return EValue::of_constant(normalize_constant(value));
}

// ModuleInfo::child searches linearly; a module with thousands of children
// (nn.Sequential of N layers) would make the trace quadratic. Index each
// module's children on first use instead.
const ModuleInfo* Tracer::child_module(const ModuleInfo& m, const std::string& name) {
  auto [it, fresh] = child_index_.try_emplace(&m);
  if (fresh)
    for (const auto& [child_name, child] : m.children) it->second.emplace(child_name, &child);
  auto found = it->second.find(name);
  return found == it->second.end() ? nullptr : found->second;
}

void Tracer::on_get_attr(const ProgramNode& n) {
  const EValue& owner = in(n, 0);
  if (owner.kind != EValue::Kind::Module || owner.module == nullptr)
    fail("bad-argument", "prim::GetAttr reads an attribute of a module, got a " + describe(owner));
  if (!n.attrs.contains("name") || !n.attrs["name"].is_string())
    fail("bad-node", "prim::GetAttr at " + n.json_path + " has no attrs.name");
  const std::string name = n.attrs["name"].get<std::string>();
  const ModuleInfo& m = *owner.module;
  const std::string path = join_path(owner.module_path, name);
  if (const ModuleInfo* child = child_module(m, name)) {
    bind_all_outputs(n, EValue::of_module(path, child));
  } else if (std::find(m.parameters.begin(), m.parameters.end(), name) != m.parameters.end()) {
    bind_all_outputs(n, parameter(path, ValueRole::Parameter));
  } else if (std::find(m.buffers.begin(), m.buffers.end(), name) != m.buffers.end()) {
    bind_all_outputs(n, parameter(path, ValueRole::Buffer));
  } else if (m.attributes.contains(name)) {
    bind_all_outputs(n, attribute_value(m.attributes[name]));
  } else {
    fail("missing-attribute", "module `" + (owner.module_path.empty() ? std::string("self") : owner.module_path) +
                                  "` (" + m.type + ") has no child, parameter, buffer or attribute `" + name + "`",
         "Declare it in the module tree of program.json (module.attributes holds non-tensor attributes).");
  }
}

// ------------------------------------------------------------------ lists and tuples

void Tracer::on_list_construct(const ProgramNode& n) {
  bind_all_outputs(n, EValue::list(inputs_of(n), rewrite_depth_));
}

void Tracer::on_tuple_construct(const ProgramNode& n) { bind_all_outputs(n, EValue::tuple(inputs_of(n))); }

void Tracer::on_list_unpack(const ProgramNode& n) {
  const EValue& seq = in(n, 0);
  std::vector<EValue> items;
  if (seq.is_sequence()) {
    items = *seq.items;
  } else if (seq.is_constant() && seq.constant.is_array()) {
    for (const auto& c : seq.constant) items.push_back(EValue::of_constant(c));
  } else {
    fail("bad-argument", n.kind + " unpacks a list or tuple, got a " + describe(seq));
  }
  if (items.size() != n.outputs.size())
    fail("bad-arity", n.kind + " unpacks " + std::to_string(items.size()) + " values into " +
                          std::to_string(n.outputs.size()) + " names");
  bind_outputs(n, items);
}

namespace {

int64_t normalize_index(int64_t i, size_t size, const std::string& what) {
  const int64_t n = static_cast<int64_t>(size);
  const int64_t j = i < 0 ? i + n : i;
  if (j < 0 || j >= n)
    throw std::out_of_range(what + " index " + std::to_string(i) + " out of range for length " + std::to_string(n));
  return j;
}

}  // namespace

void Tracer::on_tuple_index(const ProgramNode& n) { on_getitem(n); }

void Tracer::on_getitem(const ProgramNode& n) {
  const EValue& seq = in(n, 0);
  const EValue& key = in(n, 1);
  if (seq.is_dict()) {
    bind_all_outputs(n, dict_getitem(seq, key, n));
    return;
  }
  if (seq.is_sequence()) {
    if (!key.is_constant() || !key.constant.is_number_integer())
      fail("unsupported-index", n.kind + ": indexing a list with " + describe(key) +
                                    " is not supported (the index must be known while tracing)");
    try {
      const int64_t i = normalize_index(key.constant.get<int64_t>(), seq.items->size(), "list");
      bind_all_outputs(n, (*seq.items)[static_cast<size_t>(i)]);
    } catch (const std::out_of_range& e) {
      fail("python-error", std::string("IndexError: ") + e.what());
    }
    return;
  }
  bind_all_outputs(n, scalar_op(n, "aten::__getitem__", {seq, key}));
}

void Tracer::on_len(const ProgramNode& n) {
  const EValue& v = in(n, 0);
  if (v.is_tensor()) {
    if (v.tensor->shape.empty()) fail("python-error", "TypeError: len() of a 0-d tensor");
    bind_all_outputs(n, sym_size(*v.tensor, 0));
  } else if (v.is_sequence()) {
    bind_all_outputs(n, EValue::of_constant(static_cast<int64_t>(v.items->size())));
  } else if (v.is_dict()) {
    bind_all_outputs(n, EValue::of_constant(static_cast<int64_t>(v.dict->entries.size())));
  } else {
    bind_all_outputs(n, scalar_op(n, "aten::len", {v}));
  }
}

void Tracer::on_append(const ProgramNode& n) {
  const EValue& list = in(n, 0);
  if (list.kind != EValue::Kind::List) fail("bad-argument", "aten::append needs a list, got a " + describe(list));
  if (list.list_depth < rewrite_depth_)
    fail("unsupported-mutation",
         "a list created outside a branch or loop on tensor data is appended to inside it; a rewritten "
         "branch or loop cannot mutate Python lists",
         "Build the list in both branches and return it, or move the append out of the branch.");
  list.items->push_back(in(n, 1));
  bind_all_outputs(n, list);
}

void Tracer::on_list_copy(const ProgramNode& n) {
  const EValue& v = in(n, 0);
  if (v.is_sequence()) {
    bind_all_outputs(n, EValue::list(*v.items, rewrite_depth_));
  } else if (v.is_constant() && (v.constant.is_array() || v.constant.is_string())) {
    EList items;
    if (v.constant.is_string())
      for (char c : v.constant.get<std::string>()) items.push_back(EValue::of_constant(std::string(1, c)));
    else
      for (const auto& c : v.constant) items.push_back(EValue::of_constant(c));
    bind_all_outputs(n, EValue::list(std::move(items), rewrite_depth_));
  } else {
    on_tensor_op(n);
  }
}

// aten::slice on a list is Python slicing; on a tensor it is a tensor op.
void Tracer::on_slice(const ProgramNode& n) {
  const EValue& seq = in(n, 0);
  if (seq.is_tensor()) {
    on_tensor_op(n);
    return;
  }
  EList items;
  if (seq.is_sequence()) items = *seq.items;
  else if (seq.is_constant() && seq.constant.is_array())
    for (const auto& c : seq.constant) items.push_back(EValue::of_constant(c));
  else fail("bad-argument", "aten::slice needs a tensor or a list, got a " + describe(seq));
  auto int_or = [&](size_t i, std::optional<int64_t> fallback) -> std::optional<int64_t> {
    if (i >= n.inputs.size()) return fallback;
    const EValue& v = in(n, i);
    if (v.is_none()) return fallback;
    if (!v.is_constant() || !v.constant.is_number_integer())
      fail("unsupported-index", "aten::slice on a list needs constant bounds, got a " + describe(v));
    return v.constant.get<int64_t>();
  };
  const int64_t size = static_cast<int64_t>(items.size());
  const int64_t step = *int_or(3, 1);
  if (step <= 0) fail("python-error", "aten::slice on a list: only positive steps are supported");
  auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + size : i, int64_t{0}, size); };
  const int64_t start = clamp(*int_or(1, 0));
  const int64_t end = clamp(int_or(2, size).value_or(size));
  EList out;
  for (int64_t i = start; i < end; i += step) out.push_back(items[static_cast<size_t>(i)]);
  bind_all_outputs(n, EValue::list(std::move(out), rewrite_depth_));
}

// ------------------------------------------------------------------ special nodes

void Tracer::on_identity(const ProgramNode& n) { bind_all_outputs(n, in(n, 0)); }

void Tracer::on_uninitialized(const ProgramNode& n) { bind_all_outputs(n, EValue::uninitialized()); }

void Tracer::on_raise(const ProgramNode& n) {
  std::string message = n.inputs.empty() ? std::string("Exception") : python_text(in(n, 0));
  if (n.inputs.size() > 1) {
    const EValue& cls = in(n, 1);
    if (cls.is_constant() && cls.constant.is_string()) message = cls.constant.get<std::string>() + ": " + message;
  }
  if (rewrite_depth_ > 0)
    fail("raise-in-data-dependent-branch",
         "`raise " + message + "` is inside a branch or loop on tensor data: higher_order::cond/loop (ONNX "
         "If/Loop) cannot raise, so it cannot be rewritten",
         "Check the condition with torch._check outside the branch, or remove the raise from the branch.");
  fail("exception-raised", "the program raises `" + message + "` on the traced path (for the inputs' shapes and types)",
       "The inputs do not satisfy a check of the model; fix the input shapes or dtypes.");
}

void Tracer::on_side_effect(const ProgramNode& n) {
  const std::string what = n.kind == "aten::warn" ? "warnings.warn" : "print";
  if (config_.policy.side_effects_are_errors && !config_.eager) {
    report_error(make_diag("side-effect", Severity::Error,
                           n.kind + " (`" + what + "`) is a side effect, which an exported graph cannot express",
                           "Remove the call from forward(), or use `non-strict`, which drops it with a warning.",
                           "side-effect"));
  } else {
    warn("side-effect-dropped", "side-effect", n.kind + " (`" + what + "`) was dropped: an exported graph has no side effects");
  }
  bind_all_outputs(n, EValue::none());
}

void Tracer::on_is(const ProgramNode& n) {
  const EValue& a = in(n, 0);
  const EValue& b = in(n, 1);
  bool same = false;
  if (a.is_constant() && b.is_constant()) same = a.constant == b.constant;
  else if (a.is_tensor() && b.is_tensor()) same = a.tensor->id == b.tensor->id;
  else if (a.is_sequence() && b.is_sequence()) same = a.items == b.items;
  // Anything else (a tensor vs None, ...) is not the same object.
  bind_all_outputs(n, EValue::of_constant(n.kind == "aten::__is__" ? same : !same));
}

void Tracer::on_format(const ProgramNode& n) {
  std::vector<std::string> texts;
  for (const auto& name : n.inputs) texts.push_back(python_text(lookup(name, &n)));
  if (n.kind == "aten::str") {
    if (texts.empty()) fail("bad-arity", "aten::str needs an argument");
    bind_all_outputs(n, EValue::of_constant(texts[0]));
    return;
  }
  if (texts.empty()) fail("bad-arity", "aten::format needs a format string");
  try {
    bind_all_outputs(n, EValue::of_constant(python_format(texts[0], {texts.begin() + 1, texts.end()})));
  } catch (const ScalarOpError& e) {
    fail("python-error", e.what());
  }
}

// Inference export: no autograd, no autocast, CPU dense tensors.
void Tracer::on_false_query(const ProgramNode& n) { bind_all_outputs(n, EValue::of_constant(false)); }

void Tracer::on_device(const ProgramNode& n) { bind_all_outputs(n, EValue::of_constant(device_constant("cpu"))); }

void Tracer::on_dtype(const ProgramNode& n) {
  const EValue& t = in(n, 0);
  if (!t.is_tensor()) fail("bad-argument", "prim::dtype needs a tensor, got a " + describe(t));
  bind_all_outputs(n, EValue::of_constant(dtype_to_torch_code(t.tensor->dtype)));
}

void Tracer::on_layout(const ProgramNode& n) { bind_all_outputs(n, EValue::of_constant(0)); }  // torch.strided

void Tracer::on_is_floating_point(const ProgramNode& n) {
  const EValue& t = in(n, 0);
  if (!t.is_tensor()) fail("bad-argument", "aten::is_floating_point needs a tensor, got a " + describe(t));
  bind_all_outputs(n, EValue::of_constant(is_floating(t.tensor->dtype)));
}

// ------------------------------------------------------------------ tensor metadata

EValue Tracer::sym_size(const FakeTensor& t, int64_t dim) {
  const int64_t rank = static_cast<int64_t>(t.shape.size());
  const int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank)
    fail("op-error", "dim " + std::to_string(dim) + " out of range for a tensor of rank " + std::to_string(rank));
  const Dim& size = t.shape[static_cast<size_t>(d)];
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
  const Dim total = shape_numel(t.tensor->shape);
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
  if (v.is_tensor()) {
    bind_all_outputs(n, data_dependent_scalar(n.kind, *v.tensor));
    return;
  }
  const std::string kind = n.kind == "aten::is_nonzero" ? "aten::Bool" : n.kind == "aten::item" ? "aten::ScalarImplicit" : n.kind;
  bind_all_outputs(n, scalar_op(n, kind, {v}));
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
  s.value = new_value(base, dtype_of(s.type), {}, value_kind_of(s.type));
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
    const ScalarType type = scalar_type_of(v.constant);
    const double x = v.constant.is_boolean() ? (v.constant.get<bool>() ? 1.0 : 0.0) : v.constant.get<double>();
    bind_all_outputs(n, lift_constant_tensor(Tensor::scalar(dtype_of(type), x), "_tensor_constant"));
    return;
  }
  if (!v.is_sym()) fail("bad-argument", "prim::NumToTensor needs a number, got a " + describe(v));
  FakeTensor t{v.sym->value, dtype_of(v.sym->type), {}, std::nullopt, {}};
  if (concrete() && v.sym->hint) t.data = Tensor::scalar(t.dtype, *v.sym->hint);
  bind_all_outputs(n, EValue::of_tensor(std::move(t)));
}

// ------------------------------------------------------------------ scalar arithmetic

std::string Tracer::python_text(const EValue& v) const {
  switch (v.kind) {
    case EValue::Kind::Constant: return python_str(v.constant);
    case EValue::Kind::Sym: return v.sym->expr;
    case EValue::Kind::Tensor: return "tensor(" + graph_.value(v.tensor->id).type_str() + ")";
    case EValue::Kind::List:
    case EValue::Kind::Tuple: {
      std::string out = v.kind == EValue::Kind::List ? "[" : "(";
      for (size_t i = 0; i < v.items->size(); ++i) out += (i ? ", " : "") + python_text((*v.items)[i]);
      return out + (v.kind == EValue::Kind::List ? "]" : ")");
    }
    default: return describe(v);
  }
}

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
    const ScalarType type = scalar_type_of(v.constant);
    const double x = v.constant.is_boolean() ? (v.constant.get<bool>() ? 1.0 : 0.0) : v.constant.get<double>();
    return lift_constant_tensor(Tensor::scalar(dtype_of(type), x), "_tensor_constant").tensor->id;
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
  const bool scalars_only = std::all_of(args.begin(), args.end(), [](const EValue& a) {
    return a.is_sym() || (a.is_constant() && (a.constant.is_number() || a.constant.is_boolean()));
  });
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
  if ((kind == "aten::Bool") && args.size() == 1) {
    if (type_of(args[0]) == ScalarType::Bool) return args[0];
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
    s.value = new_value(want == ScalarType::Int ? "int" : "float", dtype_of(want), {}, value_kind_of(want));
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

// Dynamic dims are assumed >= 2, as torch.export does (0 and 1 are
// specialized), so comparing a bare dim with 0 or 1 needs no guard.
std::optional<bool> Tracer::fold_by_range(const std::string& kind, const SymScalar& a, const json& b) const {
  if (a.type != ScalarType::Int || !b.is_number_integer() || !dynamic_symbols_.count(a.expr)) return std::nullopt;
  if (a.hint && *a.hint < 2) return std::nullopt;  // the example contradicts the assumption
  const int64_t c = b.get<int64_t>();
  if (kind == "aten::eq" && c < 2) return false;
  if (kind == "aten::ne" && c < 2) return true;
  if (kind == "aten::gt" && c < 2) return true;
  if (kind == "aten::ge" && c <= 2) return true;
  if (kind == "aten::lt" && c <= 2) return false;
  if (kind == "aten::le" && c < 2) return false;
  return std::nullopt;
}

EValue Tracer::sym_compare(const std::string& kind, const EValue& a, const EValue& b) {
  // Same expression on both sides: decided without knowing its value.
  if (a.is_sym() && b.is_sym() && a.sym->expr == b.sym->expr && !a.sym->data_dependent) {
    const bool equal_ok = kind == "aten::eq" || kind == "aten::le" || kind == "aten::ge";
    return EValue::of_constant(equal_ok);
  }
  if (a.is_sym() && b.is_constant())
    if (auto folded = fold_by_range(kind, *a.sym, b.constant)) return EValue::of_constant(*folded);
  if (b.is_sym() && a.is_constant()) {
    // c < s  <=>  s > c
    static const std::unordered_map<std::string, std::string> mirrored = {
        {"aten::eq", "aten::eq"}, {"aten::ne", "aten::ne"}, {"aten::lt", "aten::gt"},
        {"aten::gt", "aten::lt"}, {"aten::le", "aten::ge"}, {"aten::ge", "aten::le"}};
    if (auto folded = fold_by_range(mirrored.at(kind), *b.sym, a.constant)) return EValue::of_constant(*folded);
  }
  SymScalar s;
  s.type = ScalarType::Bool;
  s.expr = sympy_name(kind) + "(" + expr_of(a) + ", " + expr_of(b) + ")";
  s.negated = sympy_name(negated_comparison(kind)) + "(" + expr_of(a) + ", " + expr_of(b) + ")";
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
  if (type_of(args[0]) != ScalarType::Bool || type_of(args[1]) != ScalarType::Bool)
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
  const bool ints = type_of(a) != ScalarType::Float && type_of(b) != ScalarType::Float && kind != "aten::div";
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
      const json r = eval_scalar_op(kind, {hint_json(type_of(a), *ha), hint_json(type_of(b), *hb)});
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
  s.value = new_value(op.substr(6), dtype_of(s.type), {}, value_kind_of(s.type));
  Node node;
  node.op = op;
  node.inputs = {to_graph_arg(a), to_graph_arg(b)};
  node.outputs = {s.value};
  node.prov = provenance();
  emit(std::move(node));
  return EValue::of_sym(std::move(s));
}

}  // namespace onnxport::trace
