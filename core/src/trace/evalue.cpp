#include "evalue.hpp"

namespace onnxport::trace {

EValue EValue::of_constant(nlohmann::json c) {
  EValue v;
  v.kind = Kind::Constant;
  v.constant = std::move(c);
  return v;
}

EValue EValue::of_module(std::string path, const ModuleInfo* m) {
  EValue v;
  v.kind = Kind::Module;
  v.module_path = std::move(path);
  v.module = m;
  return v;
}

EValue EValue::of_tensor(FakeTensor t) {
  EValue v;
  v.kind = Kind::Tensor;
  v.tensor = std::make_shared<FakeTensor>(std::move(t));
  return v;
}

EValue EValue::of_sym(SymScalar s) {
  EValue v;
  v.kind = Kind::Sym;
  v.sym = std::make_shared<SymScalar>(std::move(s));
  return v;
}

EValue EValue::list(EList items, int depth) {
  EValue v;
  v.kind = Kind::List;
  v.items = std::make_shared<EList>(std::move(items));
  v.list_depth = depth;
  return v;
}

EValue EValue::tuple(EList items) {
  EValue v;
  v.kind = Kind::Tuple;
  v.items = std::make_shared<EList>(std::move(items));
  return v;
}

EValue EValue::empty_dict(int depth) {
  EValue v;
  v.kind = Kind::Dict;
  v.dict = std::make_shared<EDict>();
  v.list_depth = depth;
  return v;
}

EValue* EDict::find(const nlohmann::json& key) {
  auto it = index.find(key.dump());
  return it == index.end() ? nullptr : &entries[it->second].second;
}

void EDict::set(const nlohmann::json& key, EValue value) {
  auto [it, fresh] = index.try_emplace(key.dump(), entries.size());
  if (fresh) entries.emplace_back(key, std::move(value));
  else entries[it->second].second = std::move(value);
}

bool EDict::erase(const nlohmann::json& key) {
  auto it = index.find(key.dump());
  if (it == index.end()) return false;
  const size_t position = it->second;
  entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(position));
  index.erase(it);
  for (auto& [text, at] : index)
    if (at > position) --at;
  return true;
}

EValue EValue::uninitialized() {
  EValue v;
  v.kind = Kind::Uninitialized;
  return v;
}

EValue EValue::poison() {
  EValue v;
  v.kind = Kind::Poison;
  return v;
}

bool is_numeric_constant(const EValue& v) {
  return v.is_constant() && (v.constant.is_number() || v.constant.is_boolean());
}

ScalarType scalar_type_of(const EValue& v) {
  if (v.is_sym()) return v.sym->type;
  if (v.constant.is_boolean()) return ScalarType::Bool;
  return v.constant.is_number_integer() ? ScalarType::Int : ScalarType::Float;
}

DType scalar_dtype(ScalarType t) {
  switch (t) {
    case ScalarType::Int: return DType::Int64;
    case ScalarType::Float: return DType::Float64;
    case ScalarType::Bool: return DType::Bool;
  }
  return DType::Int64;
}

ValueKind scalar_value_kind(ScalarType t) {
  switch (t) {
    case ScalarType::Int: return ValueKind::SymInt;
    case ScalarType::Float: return ValueKind::SymFloat;
    case ScalarType::Bool: return ValueKind::SymBool;
  }
  return ValueKind::SymInt;
}

namespace {

std::string_view scalar_type_name(ScalarType t) {
  switch (t) {
    case ScalarType::Int: return "SymInt";
    case ScalarType::Float: return "SymFloat";
    case ScalarType::Bool: return "SymBool";
  }
  return "Sym";
}

std::string describe_constant(const nlohmann::json& c) {
  if (c.is_null()) return "None";
  if (c.is_boolean()) return std::string("bool ") + (c.get<bool>() ? "True" : "False");
  if (c.is_number_integer()) return "int " + c.dump();
  if (c.is_number()) return "float " + c.dump();
  if (c.is_string()) return "str " + c.dump();
  if (is_device_constant(c)) return "Device " + c["device"].get<std::string>();
  if (c.is_array()) return "list " + c.dump();
  return "constant " + c.dump();
}

}  // namespace

std::string describe(const EValue& v) {
  switch (v.kind) {
    case EValue::Kind::Constant: return describe_constant(v.constant);
    case EValue::Kind::Module:
      return "module " + (v.module_path.empty() ? std::string("self") : v.module_path) +
             (v.module ? " (" + v.module->type + ")" : "");
    case EValue::Kind::Tensor:
      if (v.quantization)
        return "quantized Tensor " + quantized_dtype_name(v.quantization->torch_dtype) + shape_str(v.tensor->shape);
      return "Tensor " + std::string(dtype_short_name(v.tensor->dtype)) + shape_str(v.tensor->shape);
    case EValue::Kind::Sym: return std::string(scalar_type_name(v.sym->type)) + " " + v.sym->expr;
    case EValue::Kind::List: return "list of " + std::to_string(v.items->size());
    case EValue::Kind::Tuple: return "tuple of " + std::to_string(v.items->size());
    case EValue::Kind::Dict: return "dict of " + std::to_string(v.dict->entries.size());
    case EValue::Kind::Uninitialized: return "uninitialized value";
    case EValue::Kind::Poison: return "value of a failed node";
  }
  return "?";
}

std::string quantized_dtype_name(int64_t torch_dtype) {
  switch (torch_dtype) {
    case 12: return "qint8";
    case 13: return "quint8";
    case 14: return "qint32";
    case 16: return "quint4x2";
    case 17: return "quint2x4";
    default: return "quantized dtype " + std::to_string(torch_dtype);
  }
}

const Quantization* quantization_of(const EValue& v) {
  return v.is_tensor() ? v.quantization.get() : nullptr;
}

bool contains_tensor(const EValue& v) {
  if (v.is_tensor()) return true;
  if (v.is_sequence())
    for (const EValue& item : *v.items)
      if (contains_tensor(item)) return true;
  if (v.is_dict())
    for (const auto& [key, item] : v.dict->entries)
      if (contains_tensor(item)) return true;
  return false;
}

std::optional<nlohmann::json> as_constant_json(const EValue& v) {
  if (v.is_constant()) return v.constant;
  if (!v.is_sequence()) return std::nullopt;
  nlohmann::json out = nlohmann::json::array();
  for (const EValue& item : *v.items) {
    auto c = as_constant_json(item);
    if (!c) return std::nullopt;
    out.push_back(std::move(*c));
  }
  return out;
}

nlohmann::json device_constant(const std::string& device) { return {{"device", device}}; }

bool is_device_constant(const nlohmann::json& c) {
  return c.is_object() && c.size() == 1 && c.contains("device");
}

}  // namespace onnxport::trace
