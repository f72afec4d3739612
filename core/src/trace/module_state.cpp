// Tracer: TorchScript constructs of real models that are neither tensor ops
// nor control flow — a module assigning to its own attributes (prim::SetAttr),
// list concatenation and extension (`a + b`, `a += b`, `a.extend(b)`), list
// copies (`l.copy()`), isinstance checks, and the PackedSequence paths the
// engine refuses up front.
#include "tracer.hpp"

#include "control_util.hpp"

#include <algorithm>

namespace onnxport::trace {

namespace {

std::string join_path(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

// The items of a list/tuple value or of a constant JSON array; nullopt for anything else.
std::optional<EList> sequence_items(const EValue& v) {
  if (v.is_sequence()) return *v.items;
  if (v.is_constant() && v.constant.is_array()) {
    EList items;
    for (const auto& c : v.constant) items.push_back(EValue::of_constant(c));
    return items;
  }
  return std::nullopt;
}

bool is_list_like(const EValue& v) {
  return v.kind == EValue::Kind::List || v.kind == EValue::Kind::Tuple || (v.is_constant() && v.constant.is_array());
}

bool is_sequence_value(const EValue& v) { return v.kind == EValue::Kind::List || v.kind == EValue::Kind::Tuple; }

}  // namespace

// `self.<name> = value`. A buffer (or a tensor attribute, which program.json
// lists with the buffers) takes the new tensor as its value from here on, and
// its final value is reported like any buffer update; any other attribute
// (a cached int, flag or tensor list) is module state that later
// prim::GetAttr nodes read back for the rest of the trace.
void Tracer::on_set_attr(const ProgramNode& n) {
  const EValue& owner = in(n, 0);
  if (is_grad_mode_object(owner)) {  // torch.no_grad()'s `prev` (python_values.cpp, on_create_object)
    bind_outputs(n, {});
    return;
  }
  if (owner.kind != EValue::Kind::Module || owner.module == nullptr)
    fail("bad-argument", "prim::SetAttr assigns an attribute of a module, got a " + describe(owner));
  if (!n.attrs.contains("name") || !n.attrs["name"].is_string())
    fail("bad-node", "prim::SetAttr at " + n.json_path + " has no attrs.name");
  const std::string name = n.attrs["name"].get<std::string>();
  const std::string path = join_path(owner.module_path, name);
  const ModuleInfo& m = *owner.module;
  if (rewrite_depth_ > 0)
    fail("unsupported-mutation",
         "`self." + path + " = ...` (prim::SetAttr) is inside a branch or loop on tensor data; a rewritten "
         "branch or loop (ONNX If/Loop) cannot update module state",
         "Assign the attribute outside the branch, or return the value from forward instead of caching it.");
  if (child_module(m, name) != nullptr)
    fail("unsupported-mutation", "`self." + path + " = ...` replaces a submodule, which a traced graph cannot express",
         "Keep the submodule fixed and select between submodules with a flag instead.");
  const EValue& value = in(n, 1);
  const bool is_buffer = std::find(m.buffers.begin(), m.buffers.end(), name) != m.buffers.end();
  if (is_buffer) {
    if (!value.is_tensor())
      fail("unsupported-mutation", "`self." + path + " = ...` assigns a " + describe(value) + " to buffer `" + path +
                                       "`; a buffer must stay a tensor");
    parameter(path, ValueRole::Buffer);  // the buffer exists (and its graph value is reserved)
    value.tensor->buffer = path;
    note_mutated(mutated_buffers_, path, n.source);
    buffers_.set(path, value);
  } else {
    if (std::find(m.parameters.begin(), m.parameters.end(), name) != m.parameters.end())
      fail("unsupported-mutation", "`self." + path + " = ...` replaces parameter `" + path +
                                       "`, which an exported graph holds as a fixed weight");
    set_attrs_[path] = value;
  }
  bind_outputs(n, {});
}

// The value a prim::SetAttr left on `path`, if any.
const EValue* Tracer::assigned_attribute(const std::string& path) const {
  auto it = set_attrs_.find(path);
  return it == set_attrs_.end() ? nullptr : &it->second;
}

// aten::add on two lists or tuples is concatenation (a new list); on anything
// else it is arithmetic.
void Tracer::on_add(const ProgramNode& n) {
  // Two constant lists stay one constant (scalar_op concatenates them).
  if (n.inputs.size() == 2 && is_list_like(in(n, 0)) && is_list_like(in(n, 1)) &&
      (is_sequence_value(in(n, 0)) || is_sequence_value(in(n, 1)))) {
    EList items = *sequence_items(in(n, 0));
    EList tail = *sequence_items(in(n, 1));
    items.insert(items.end(), tail.begin(), tail.end());
    if (in(n, 0).kind == EValue::Kind::Tuple) bind_all_outputs(n, EValue::tuple(std::move(items)));
    else bind_all_outputs(n, EValue::list(std::move(items), rewrite_depth_));
    return;
  }
  run_generic(n);
}

// `a += b` (aten::add_) and `a.extend(b)` (aten::extend) on a list extend it in
// place: every name bound to the list sees the new items. aten::add_ on a
// tensor is the in-place tensor op.
void Tracer::on_extend(const ProgramNode& n) {
  const EValue& list = in(n, 0);
  if (list.kind != EValue::Kind::List) {
    if (n.kind == "aten::extend") fail("bad-argument", "aten::extend needs a list, got a " + describe(list));
    run_generic(n);
    return;
  }
  if (n.inputs.size() < 2) fail("bad-arity", n.kind + " on a list takes the list to add");
  if (const StackedList* s = stacked(list)) fail_stacked_use(*s, "extending it after the loop");
  check_mutable_here(list, n);
  const std::optional<EList> tail = sequence_items(in(n, 1));
  if (!tail) fail("bad-argument", n.kind + " extends a list with a list, got a " + describe(in(n, 1)));
  list.items->insert(list.items->end(), tail->begin(), tail->end());
  bind_all_outputs(n, list);
}

// aten::eq / aten::ne on two lists or tuples (`x.size() == y.size()`,
// `hx.size() != expected_hidden_size`): element by element, each element
// comparison decided as any scalar comparison is (a SymInt against an int may
// stay symbolic), combined with `and`; lists of different lengths differ.
void Tracer::on_compare(const ProgramNode& n) {
  if (n.inputs.size() == 2 && is_list_like(in(n, 0)) && is_list_like(in(n, 1)) &&
      (is_sequence_value(in(n, 0)) || is_sequence_value(in(n, 1)))) {
    const bool equal = n.kind == "aten::eq";
    const std::optional<EValue> same = sequences_equal(n, in(n, 0), in(n, 1));
    if (!same) {
      bind_all_outputs(n, EValue::of_constant(!equal));
      return;
    }
    bind_all_outputs(n, equal ? *same : scalar_op(n, "aten::__not__", {*same}));
    return;
  }
  run_generic(n);
}

// `a == b` for two list-like values: nullopt when they certainly differ,
// else a bool constant or SymBool that is true when they are equal.
std::optional<EValue> Tracer::sequences_equal(const ProgramNode& n, const EValue& a, const EValue& b) {
  const EList xs = *sequence_items(a);
  const EList ys = *sequence_items(b);
  if (xs.size() != ys.size()) return std::nullopt;
  std::optional<EValue> all;
  for (size_t i = 0; i < xs.size(); ++i) {
    EValue same;
    if (is_list_like(xs[i]) && is_list_like(ys[i])) {
      const std::optional<EValue> nested = sequences_equal(n, xs[i], ys[i]);
      if (!nested) return std::nullopt;
      same = *nested;
    } else {
      same = scalar_op(n, "aten::eq", {xs[i], ys[i]});
    }
    if (same.is_constant() && same.constant.is_boolean()) {
      if (!same.constant.get<bool>()) return std::nullopt;
      continue;
    }
    all = all ? scalar_op(n, "aten::__and__", {*all, same}) : same;
  }
  return all ? *all : EValue::of_constant(true);
}

// aten::copy: `l.copy()` on a list (torchvision's Swin copies its shift
// sizes) is a shallow list copy; on a tensor it is the tensor op.
void Tracer::on_copy(const ProgramNode& n) {
  if (n.inputs.size() == 1 && is_list_like(in(n, 0))) {
    bind_all_outputs(n, EValue::list(*sequence_items(in(n, 0)), rewrite_depth_));
    return;
  }
  run_generic(n);
}

// prim::isinstance[types=[...]]: decided from the value the engine holds
// (TorchScript leaves it in graphs whose argument is a Union or an Optional,
// e.g. torchvision's roi_align(boxes: Union[Tensor, List[Tensor]])).
void Tracer::on_isinstance(const ProgramNode& n) {
  if (!n.attrs.contains("types") || !n.attrs["types"].is_array())
    fail("bad-node", "prim::isinstance at " + n.json_path + " has no attrs.types (a list of type names)");
  const EValue& v = in(n, 0);
  auto matches = [&](const std::string& type) {
    const std::string head = type.substr(0, type.find('['));
    switch (v.kind) {
      case EValue::Kind::Tensor: return head == "Tensor";
      case EValue::Kind::List: return head == "list" || head == "List";
      case EValue::Kind::Tuple: return head == "tuple" || head == "Tuple";
      case EValue::Kind::Dict: return head == "dict" || head == "Dict";
      case EValue::Kind::Sym: return head == (v.sym->type == ScalarType::Bool    ? "bool"
                                              : v.sym->type == ScalarType::Int ? "int"
                                                                                : "float");
      case EValue::Kind::Constant:
        if (v.constant.is_null()) return head == "NoneType" || head == "None";
        if (v.constant.is_boolean()) return head == "bool";
        if (v.constant.is_number_integer()) return head == "int";
        if (v.constant.is_number_float()) return head == "float";
        if (v.constant.is_string()) return head == "str";
        if (v.constant.is_array()) return head == "list" || head == "List" || head == "tuple" || head == "Tuple";
        return false;
      default: return false;
    }
  };
  bool any = false;
  for (const auto& t : n.attrs["types"]) {
    if (!t.is_string()) fail("bad-node", "prim::isinstance at " + n.json_path + ": attrs.types holds a non-string");
    any = any || matches(t.get<std::string>());
  }
  bind_all_outputs(n, EValue::of_constant(any));
}

// A forward whose argument is a PackedSequence: its data and batch_sizes
// would be inputs of the ONNX model in torch's packed layout, which the
// engine does not represent (it keeps packed data padded, see
// packed_sequences.cpp). Refused before tracing.
void Tracer::refuse_packed_sequence_inputs() const {
  for (const ProgramValue& in : program_.inputs) {
    if (in.type.find("PackedSequence") == std::string::npos) continue;
    throw TraceError(make_diag(
        "unsupported-packed-sequence", Severity::Error,
        "forward's argument `" + in.name + "` is a PackedSequence (" + in.type +
            "): a packed batch cannot be an input of the exported model",
        "Take the padded batch and its lengths as arguments and call pack_padded_sequence inside forward."));
  }
}

}  // namespace onnxport::trace
