// Tracer: Python dicts (prim::DictConstruct, d[k], d[k] = v, keys/values/
// items, get, `in`) and list item assignment. Keys are constants; values may
// be anything the engine holds.
#include "tracer.hpp"

#include <algorithm>

namespace onnxport::trace {

namespace {

std::string key_text(const nlohmann::json& key) { return key.is_string() ? "'" + key.get<std::string>() + "'" : key.dump(); }

}  // namespace

const nlohmann::json& Tracer::dict_key(const EValue& key, const ProgramNode& n) const {
  if (!key.is_constant())
    fail("unsupported-index", n.kind + ": dict keys must be known while tracing, got a " + describe(key));
  return key.constant;
}

void Tracer::check_mutable_here(const EValue& container, const ProgramNode& n) const {
  if (container.list_depth < rewrite_depth_)
    fail("unsupported-mutation",
         n.kind + " mutates a " + describe(container) +
             " created outside a branch or loop on tensor data; a rewritten branch or loop cannot mutate Python "
             "containers",
         "Build the container inside the branch and return it, or move the update out of the branch.");
}

void Tracer::on_dict_construct(const ProgramNode& n) {
  EValue d = EValue::empty_dict(rewrite_depth_);
  if (n.kind == "aten::dict" && n.inputs.size() == 1) {  // dict(other)
    const EValue& other = in(n, 0);
    if (!other.is_dict()) fail("bad-argument", "aten::dict copies a dict, got a " + describe(other));
    *d.dict = *other.dict;
    bind_all_outputs(n, d);
    return;
  }
  if (n.inputs.size() % 2 != 0) fail("bad-arity", "prim::DictConstruct takes key/value pairs, got an odd count");
  for (size_t i = 0; i < n.inputs.size(); i += 2) d.dict->set(dict_key(in(n, i), n), in(n, i + 1));
  bind_all_outputs(n, d);
}

// d[k] = v, and l[i] = v on lists.
void Tracer::on_set_item(const ProgramNode& n) {
  const EValue& container = in(n, 0);
  const EValue& key = in(n, 1);
  if (container.is_dict()) {
    check_mutable_here(container, n);
    container.dict->set(dict_key(key, n), in(n, 2));
  } else if (container.kind == EValue::Kind::List) {
    check_mutable_here(container, n);
    if (!key.is_constant() || !key.constant.is_number_integer())
      fail("unsupported-index", "aten::_set_item: a list index must be a constant int, got a " + describe(key));
    const int64_t size = static_cast<int64_t>(container.items->size());
    int64_t i = key.constant.get<int64_t>();
    if (i < 0) i += size;
    if (i < 0 || i >= size)
      fail("python-error", "IndexError: list assignment index " + key.constant.dump() + " out of range for length " +
                               std::to_string(size));
    (*container.items)[static_cast<size_t>(i)] = in(n, 2);
  } else {
    fail("bad-argument", "aten::_set_item needs a dict or a list, got a " + describe(container));
  }
  bind_all_outputs(n, EValue::none());
}

// A list index as Python reads it: negative counts from the end. With clamp
// (list.insert), an index past either end means that end; without, it is an
// IndexError.
int64_t Tracer::list_position(const EValue& list, const EValue& index, const ProgramNode& n, bool clamp) const {
  if (!index.is_constant() || !index.constant.is_number_integer())
    fail("unsupported-index", n.kind + ": a list index must be a constant int, got a " + describe(index));
  const int64_t size = static_cast<int64_t>(list.items->size());
  int64_t i = index.constant.get<int64_t>();
  if (i < 0) i += size;
  if (clamp) return std::clamp<int64_t>(i, 0, size);
  if (i < 0 || i >= size)
    fail("python-error", "IndexError: " + n.kind.substr(6) + " index " + index.constant.dump() +
                             " out of range for a list of length " + std::to_string(size));
  return i;
}

void Tracer::on_list_insert(const ProgramNode& n) {
  const EValue& list = in(n, 0);
  if (list.kind != EValue::Kind::List) fail("bad-argument", "aten::insert needs a list, got a " + describe(list));
  check_mutable_here(list, n);
  const int64_t at = list_position(list, in(n, 1), n, true);
  list.items->insert(list.items->begin() + at, in(n, 2));
  bind_all_outputs(n, EValue::none());
}

void Tracer::on_pop(const ProgramNode& n) {
  const EValue& container = in(n, 0);
  check_mutable_here(container, n);
  if (container.is_dict()) {
    const nlohmann::json& key = dict_key(in(n, 1), n);
    if (EValue* v = container.dict->find(key)) {
      EValue value = *v;
      container.dict->erase(key);
      bind_all_outputs(n, value);
      return;
    }
    if (n.inputs.size() > 2) {  // d.pop(k, default)
      bind_all_outputs(n, in(n, 2));
      return;
    }
    fail("python-error", "KeyError: " + key_text(key));
  }
  if (container.kind != EValue::Kind::List)
    fail("bad-argument", "aten::pop needs a list or a dict, got a " + describe(container));
  if (container.items->empty()) fail("python-error", "IndexError: pop from empty list");
  const int64_t at = list_position(container, n.inputs.size() > 1 ? in(n, 1) : EValue::of_constant(-1), n, false);
  EValue value = (*container.items)[static_cast<size_t>(at)];
  container.items->erase(container.items->begin() + at);
  bind_all_outputs(n, value);
}

void Tracer::on_delete(const ProgramNode& n) {
  const EValue& container = in(n, 0);
  check_mutable_here(container, n);
  if (container.is_dict()) {
    const nlohmann::json& key = dict_key(in(n, 1), n);
    if (!container.dict->erase(key)) fail("python-error", "KeyError: " + key_text(key));
  } else if (container.kind == EValue::Kind::List) {
    const int64_t at = list_position(container, in(n, 1), n, false);
    container.items->erase(container.items->begin() + at);
  } else {
    fail("bad-argument", "aten::Delete needs a list or a dict, got a " + describe(container));
  }
  bind_all_outputs(n, EValue::none());
}

void Tracer::on_dict_view(const ProgramNode& n) {
  const EValue& d = in(n, 0);
  if (!d.is_dict()) fail("bad-argument", n.kind + " needs a dict, got a " + describe(d));
  EList out;
  out.reserve(d.dict->entries.size());
  for (const auto& [key, value] : d.dict->entries) {
    if (n.kind == "aten::keys") out.push_back(EValue::of_constant(key));
    else if (n.kind == "aten::values") out.push_back(value);
    else out.push_back(EValue::tuple({EValue::of_constant(key), value}));
  }
  bind_all_outputs(n, EValue::list(std::move(out), rewrite_depth_));
}

// d.get(k, default=None)
void Tracer::on_dict_get(const ProgramNode& n) {
  const EValue& d = in(n, 0);
  if (!d.is_dict()) fail("bad-argument", "aten::get needs a dict, got a " + describe(d));
  if (EValue* v = d.dict->find(dict_key(in(n, 1), n))) {
    bind_all_outputs(n, *v);
    return;
  }
  bind_all_outputs(n, n.inputs.size() > 2 ? in(n, 2) : EValue::none());
}

void Tracer::on_contains(const ProgramNode& n) {
  const EValue& container = in(n, 0);
  if (container.is_dict()) {
    bind_all_outputs(n, EValue::of_constant(container.dict->find(dict_key(in(n, 1), n)) != nullptr));
    return;
  }
  bind_outputs(n, {scalar_op(n, n.kind, inputs_of(n))});
}

EValue Tracer::dict_getitem(const EValue& d, const EValue& key, const ProgramNode& n) {
  const nlohmann::json& k = dict_key(key, n);
  if (EValue* v = d.dict->find(k)) return *v;
  fail("python-error", "KeyError: " + key_text(k));
}

}  // namespace onnxport::trace
