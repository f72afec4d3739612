// A JSON value with the file and JSON pointer it came from, so every check
// of a matrix input can fail with "FILE: /pointer: reason" (InputError).
#pragma once

#include <onnxport/diagnostics.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace onnxport::matrix {

class JsonPlace {
 public:
  JsonPlace(const nlohmann::json& value, const std::string& file, std::string pointer = "")
      : value_(&value), file_(&file), pointer_(std::move(pointer)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& file() const { return *file_; }

  [[noreturn]] void fail(const std::string& reason) const { throw InputError(*file_, pointer_, reason); }

  std::optional<JsonPlace> find(std::string_view key) const {
    const auto it = value_->find(key);
    if (it == value_->end()) return std::nullopt;
    return JsonPlace(*it, *file_, pointer_ + "/" + token(key));
  }
  JsonPlace at(std::string_view key) const {
    auto found = find(key);
    if (!found) fail("missing required key '" + std::string(key) + "'");
    return *found;
  }
  JsonPlace at(size_t index) const { return JsonPlace((*value_)[index], *file_, pointer_ + "/" + std::to_string(index)); }
  size_t size() const { return value_->size(); }

  const JsonPlace& object() const {
    if (!value_->is_object()) fail("expected an object, got " + type_name());
    return *this;
  }
  const JsonPlace& array() const {
    if (!value_->is_array()) fail("expected an array, got " + type_name());
    return *this;
  }
  std::string string() const {
    if (!value_->is_string()) fail("expected a string, got " + type_name());
    return value_->get<std::string>();
  }
  double number() const {
    if (!value_->is_number()) fail("expected a number, got " + type_name());
    return value_->get<double>();
  }
  int64_t integer() const {
    if (!value_->is_number_integer()) fail("expected an integer, got " + type_name());
    if (value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      fail("integer out of range");
    return value_->get<int64_t>();
  }
  void reject_unknown_keys(std::initializer_list<std::string_view> known) const {
    object();
    for (const auto& item : value_->items()) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || item.key() == k;
      if (ok) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      JsonPlace(item.value(), *file_, pointer_ + "/" + token(item.key())).fail("unknown key (known: " + list + ")");
    }
  }

  // RFC 6901 escaping of one reference token.
  static std::string token(std::string_view key) {
    std::string out;
    for (char c : key) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return out;
  }

 private:
  std::string type_name() const {
    if (value_->is_number_integer()) return "integer";
    if (value_->is_number_float()) return "number";
    return value_->type_name();
  }

  const nlohmann::json* value_;
  const std::string* file_;
  std::string pointer_;
};

}  // namespace onnxport::matrix
