// Typed, position-aware access to a JSON document being validated.
//
// Every input-file reader (program.json, configs, dumped graphs) walks its
// document through a JsonCursor so that each error names the file and the
// JSON pointer of the offending value, e.g.
//   program.json: /graph/nodes/3/kind: expected a string, got number
#pragma once

#include <onnxport/diagnostics.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace onnxport {

// Escapes one reference token for a JSON pointer (RFC 6901: '~' -> "~0", '/' -> "~1").
std::string json_pointer_token(std::string_view key);
// "string", "an integer", ... as used in "expected X, got Y" messages.
std::string json_type_name(const nlohmann::json& j);

class JsonCursor {
 public:
  JsonCursor(const nlohmann::json& value, std::string file, std::string pointer = "")
      : value_(&value), file_(std::make_shared<const std::string>(std::move(file))), pointer_(std::move(pointer)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& file() const { return *file_; }

  [[noreturn]] void fail(const std::string& message) const;

  // Object access. `at` requires the key; `find` returns nullopt when absent
  // (an explicit null counts as absent only when `null_is_absent`).
  JsonCursor at(std::string_view key) const;
  std::optional<JsonCursor> find(std::string_view key, bool null_is_absent = false) const;
  // The cursor of `value`, this object's member `key`, as met while iterating
  // json().items(): the same as at(key) without looking the key up again
  // (a lookup in a large object, a safetensors header of 30,000 tensors,
  // costs a walk of its sorted map).
  JsonCursor member(std::string_view key, const nlohmann::json& value) const;
  // Scalar members read in place, for readers that read every field of
  // thousands of objects: no member cursor (and no pointer string) is made
  // unless the member is of the wrong type, when each fails exactly as the
  // cursor calls in its comment would.
  //   string_at(key)               at(key).as_string()
  //   find_string(key, null_abs)   find(key, null_abs)->as_string(), null when absent
  //   find_int_in(key, min, max)   find(key)->as_int_in(min, max), nullopt when absent
  const std::string& string_at(std::string_view key) const;
  const std::string* find_string(std::string_view key, bool null_is_absent = false) const;
  std::optional<int64_t> find_int_in(std::string_view key, int64_t min, int64_t max) const;
  // Array access.
  JsonCursor at(size_t index) const;
  size_t size() const { return value_->size(); }

  // Each checks the type and fails with "expected ..., got ..." otherwise.
  const JsonCursor& expect_object() const;
  const JsonCursor& expect_array() const;
  std::string as_string() const;
  int64_t as_int() const;
  // as_int within [min, max]; fails "... out of range" otherwise (a value
  // later narrowed to int must never wrap, e.g. a priority of 4294967295).
  int64_t as_int_in(int64_t min, int64_t max) const;
  double as_number() const;
  bool as_bool() const;

  // Fails on the first key not in `known`, pointing at it:
  //   /verify/atool: unknown key (known: enabled, atol, rtol)
  void reject_unknown_keys(std::initializer_list<std::string_view> known) const;

 private:
  JsonCursor(const nlohmann::json& value, std::shared_ptr<const std::string> file, std::string pointer)
      : value_(&value), file_(std::move(file)), pointer_(std::move(pointer)) {}

  const nlohmann::json* value_;
  // Shared by every cursor into one document: a reader takes thousands of
  // cursors and the file name is only needed when one of them fails.
  std::shared_ptr<const std::string> file_;
  std::string pointer_;
};

}  // namespace onnxport
