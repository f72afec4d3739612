#include "base/json_cursor.hpp"

#include <charconv>

namespace onnxport {

std::string json_pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

namespace {

// `parent` + "/" + the escaped `key`, built in one allocation: readers take a
// cursor for every field of every node, and the concatenation of temporaries
// this replaces (parent + "/" + json_pointer_token(key)) was three heap
// strings per field on a large program.json (bench/README.md).
std::string child_pointer(const std::string& parent, std::string_view key) {
  std::string out;
  out.reserve(parent.size() + 1 + key.size());
  out.append(parent);
  out.push_back('/');
  for (char c : key) {
    if (c == '~') out.append("~0");
    else if (c == '/') out.append("~1");
    else out.push_back(c);
  }
  return out;
}

std::string child_pointer(const std::string& parent, size_t index) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  std::string out;
  out.reserve(parent.size() + 1 + static_cast<size_t>(end - digits));
  out.append(parent);
  out.push_back('/');
  out.append(digits, end);
  return out;
}

}  // namespace

std::string json_type_name(const nlohmann::json& j) {
  if (j.is_number_integer()) return "integer";
  if (j.is_number_float()) return "number";
  return j.type_name();  // "null", "object", "array", "string", "boolean"
}

void JsonCursor::fail(const std::string& message) const { throw InputError(*file_, pointer_, message); }

JsonCursor JsonCursor::at(std::string_view key) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end()) fail("missing required key '" + std::string(key) + "'");
  return JsonCursor(*it, file_, child_pointer(pointer_, key));
}

std::optional<JsonCursor> JsonCursor::find(std::string_view key, bool null_is_absent) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end() || (null_is_absent && it->is_null())) return std::nullopt;
  return JsonCursor(*it, file_, child_pointer(pointer_, key));
}

const std::string& JsonCursor::string_at(std::string_view key) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end()) fail("missing required key '" + std::string(key) + "'");
  if (!it->is_string()) static_cast<void>(member(key, *it).as_string());  // throws at the member
  return it->get_ref<const std::string&>();
}

const std::string* JsonCursor::find_string(std::string_view key, bool null_is_absent) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end() || (null_is_absent && it->is_null())) return nullptr;
  if (!it->is_string()) static_cast<void>(member(key, *it).as_string());  // throws at the member
  return &it->get_ref<const std::string&>();
}

std::optional<int64_t> JsonCursor::find_int_in(std::string_view key, int64_t min, int64_t max) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto u = it->get<uint64_t>();
    if (u <= static_cast<uint64_t>(INT64_MAX) && static_cast<int64_t>(u) >= min && static_cast<int64_t>(u) <= max)
      return static_cast<int64_t>(u);
  } else if (it->is_number_integer()) {
    const auto v = it->get<int64_t>();
    if (v >= min && v <= max) return v;
  }
  return member(key, *it).as_int_in(min, max);  // out of range or not an integer: throws at the member
}

JsonCursor JsonCursor::at(size_t index) const {
  expect_array();
  if (index >= value_->size()) fail("index " + std::to_string(index) + " out of range");
  return JsonCursor((*value_)[index], file_, child_pointer(pointer_, index));
}

JsonCursor JsonCursor::member(std::string_view key, const nlohmann::json& value) const {
  return JsonCursor(value, file_, child_pointer(pointer_, key));
}

const JsonCursor& JsonCursor::expect_object() const {
  if (!value_->is_object()) fail("expected an object, got " + json_type_name(*value_));
  return *this;
}

const JsonCursor& JsonCursor::expect_array() const {
  if (!value_->is_array()) fail("expected an array, got " + json_type_name(*value_));
  return *this;
}

std::string JsonCursor::as_string() const {
  if (!value_->is_string()) fail("expected a string, got " + json_type_name(*value_));
  return value_->get<std::string>();
}

int64_t JsonCursor::as_int() const {
  if (value_->is_number_unsigned()) {
    const auto u = value_->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) fail("integer out of range");
    return static_cast<int64_t>(u);
  }
  if (!value_->is_number_integer()) fail("expected an integer, got " + json_type_name(*value_));
  return value_->get<int64_t>();
}

int64_t JsonCursor::as_int_in(int64_t min, int64_t max) const {
  if (value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail("integer " + value_->dump() + " out of range (expected " + std::to_string(min) + ".." + std::to_string(max) + ")");
  const int64_t v = as_int();
  if (v < min || v > max)
    fail("integer " + std::to_string(v) + " out of range (expected " + std::to_string(min) + ".." + std::to_string(max) + ")");
  return v;
}

double JsonCursor::as_number() const {
  if (!value_->is_number()) fail("expected a number, got " + json_type_name(*value_));
  return value_->get<double>();
}

bool JsonCursor::as_bool() const {
  if (!value_->is_boolean()) fail("expected a boolean, got " + json_type_name(*value_));
  return value_->get<bool>();
}

void JsonCursor::reject_unknown_keys(std::initializer_list<std::string_view> known) const {
  expect_object();
  for (const auto& [key, value] : value_->items()) {
    bool ok = false;
    for (auto k : known) ok = ok || k == key;
    if (ok) continue;
    std::string list;
    for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    member(key, value).fail("unknown key (known: " + list + ")");
  }
}

}  // namespace onnxport
