// Tracer: Python-level values — constants, module attributes, lists and
// tuples, environment queries and other nodes that never reach the Graph.
#include "tracer.hpp"

#include "scalar_ops.hpp"

#include <algorithm>
#include <limits>
#include <optional>

namespace onnxport::trace {

namespace {

using json = nlohmann::json;

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
  if (const ValueRole* role = weight_roles_.find(name)) return parameter(name, *role);
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
  // {"dict": [[key, value], ...]}: a dict attribute (torchvision's return_layers), a fresh dict per read.
  if (value.is_object() && value.size() == 1 && value.contains("dict") && value["dict"].is_array()) {
    EValue d = EValue::empty_dict(rewrite_depth_);
    for (const json& pair : value["dict"]) {
      if (!pair.is_array() || pair.size() != 2 || !(pair[0].is_string() || pair[0].is_number_integer() ||
                                                    pair[0].is_boolean()))
        fail("bad-attribute", "a dict attribute holds " + pair.dump() + ", expected [key, value] with a str, int "
                              "or bool key");
      d.dict->set(pair[0], attribute_value(pair[1]));
    }
    return d;
  }
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

namespace {

// `name` read as a child's position: "0", "1", ..., "12" (no sign, no
// leading zero); nullopt for any other name.
std::optional<size_t> position_name(std::string_view name) {
  if (name.empty() || name.size() > 9 || (name.size() > 1 && name[0] == '0')) return std::nullopt;
  size_t k = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    k = k * 10 + static_cast<size_t>(c - '0');
  }
  return k;
}

bool children_named_by_position(const ModuleInfo& m) {
  for (size_t k = 0; k < m.children.size(); ++k)
    if (position_name(m.children[k].first) != k) return false;
  return true;
}

}  // namespace

// ModuleInfo::child searches linearly; a module with thousands of children
// (nn.Sequential of N layers) would make the trace quadratic. Each module's
// children are indexed on first use instead. Children named "0", "1", ...
// in order (nn.Sequential, nn.ModuleList: the modules with thousands of
// children) are found by position: a hash table of their names, read in
// the order the layers run, waited for a cold bucket per layer (perf,
// bench/scaling: 24 -> 164 samples for 4x the layers; bench/README.md,
// "Children found by position").
const ModuleInfo* Tracer::child_module(const ModuleInfo& m, const std::string& name) {
  auto [it, fresh] = child_index_.try_emplace(&m);
  ChildIndex& index = it->second;
  if (fresh) {
    index.by_position = children_named_by_position(m);
    if (!index.by_position)
      for (const auto& [child_name, child] : m.children) index.by_name.emplace(child_name, &child);
  }
  if (index.by_position) {
    const std::optional<size_t> k = position_name(name);
    return k && *k < m.children.size() ? &m.children[*k].second : nullptr;
  }
  auto found = index.by_name.find(name);
  return found == index.by_name.end() ? nullptr : found->second;
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
  if (const EValue* assigned = assigned_attribute(path)) {  // module state a prim::SetAttr left
    bind_all_outputs(n, *assigned);
    return;
  }
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
  if (stacked(seq) != nullptr) {
    bind_all_outputs(n, stacked_getitem(n, seq, key));
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
  } else if (stacked(v) != nullptr) {
    bind_all_outputs(n, stacked_len(v));
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
  if (const StackedList* s = stacked(list)) fail_stacked_use(*s, "appending to it after the loop");
  if (list.list_depth < rewrite_depth_ && record_scan_append(n, list, in(n, 1))) {
    bind_all_outputs(n, list);
    return;
  }
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
  if (step == 0) fail("python-error", "aten::slice on a list: slice step cannot be zero");
  // Python's slice rules (TorchScript follows them): a missing bound is the
  // first or last item in the step's direction, a negative one counts from
  // the end, and bounds are clamped to the list.
  const std::optional<int64_t> first = int_or(1, std::nullopt), last = int_or(2, std::nullopt);
  int64_t start = 0, end = 0;
  if (step > 0) {
    auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + size : i, int64_t{0}, size); };
    start = clamp(first.value_or(0));
    end = clamp(last.value_or(size));
  } else {
    auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + size : i, int64_t{-1}, size - 1); };
    start = first ? clamp(*first) : size - 1;
    end = last ? clamp(*last) : -1;
  }
  // The item count in unsigned arithmetic: a step near INT64_MIN or INT64_MAX
  // must not overflow the index.
  const uint64_t span = step > 0 ? (start < end ? uint64_t(end - start) : 0) : (start > end ? uint64_t(start - end) : 0);
  const uint64_t stride = step > 0 ? uint64_t(step) : uint64_t(-(step + 1)) + 1;
  const uint64_t count = span == 0 ? 0 : (span - 1) / stride + 1;
  EList out;
  for (uint64_t k = 0; k < count; ++k)
    out.push_back(items[static_cast<size_t>(start + static_cast<int64_t>(k) * step)]);
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

// `with torch.no_grad():` / `with torch.enable_grad():` in forward compile to
// prim::CreateObject of the grad-mode class, prim::SetAttr of its `prev`,
// and prim::Enter / prim::Exit around the body. An exported graph has no
// autograd, so the object is a marker constant and the three nodes do
// nothing; any other TorchScript class instance is refused.
namespace {
const char* grad_mode_class(const std::string& type) {
  for (const char* cls : {"__torch__.torch.autograd.grad_mode.no_grad", "__torch__.torch.autograd.grad_mode.enable_grad"})
    if (type == cls) return cls;
  return nullptr;
}
}  // namespace

bool is_grad_mode_object(const EValue& v) {
  return v.is_constant() && v.constant.is_object() && v.constant.contains("grad_mode");
}

void Tracer::on_create_object(const ProgramNode& n) {
  const std::string type = n.output_types.empty() ? std::string("an unknown class") : n.output_types[0];
  if (const char* cls = grad_mode_class(type)) {
    bind_all_outputs(n, EValue::of_constant(nlohmann::json{{"grad_mode", cls}}));
    return;
  }
  fail("unsupported-op",
       "prim::CreateObject of " + type + " (an instance of a TorchScript class) is not supported; only the grad-mode "
       "context managers torch.no_grad() and torch.enable_grad() are",
       "Compute the values the class holds in forward() directly, or move the class out of the exported module.");
}

void Tracer::on_context_manager(const ProgramNode& n) {
  if (n.inputs.empty() || !is_grad_mode_object(in(n, 0)))
    fail("unsupported-op", n.kind + " (a `with` statement) is supported only on torch.no_grad() / torch.enable_grad()",
         "Remove the `with` statement from forward(), or use one of those context managers.");
  bind_all_outputs(n, EValue::none());
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

// What str() / format() print for a value (messages of `raise`, mostly).
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

}  // namespace onnxport::trace
