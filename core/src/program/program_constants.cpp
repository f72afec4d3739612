// Constants and module attributes of program.json: one recursive pass that
// validates each tagged form and rewrites it into the representation the
// rest of onnxport sees (program_constants.hpp).
#include "program_constants.hpp"

#include <onnxport_core/bundle.hpp>
#include <onnxport/tensor.hpp>

#include <cmath>
#include <limits>

namespace onnxport {

namespace {

using json = nlohmann::json;

// The keys of the single-key objects program.json uses for values JSON has
// no literal for.
bool is_tag(std::string_view key) {
  return key == "float" || key == "complex" || key == "dtype" || key == "device" || key == "tensor" ||
         key == "tensor_ref";
}

bool is_tagged(const json& j) { return j.is_object() && j.size() == 1 && is_tag(j.begin().key()); }

// {"float": "inf" | "-inf" | "nan"} -> the double.
double decode_float_tag(const JsonCursor& c) {
  const auto& j = c.json();
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  }
  c.fail("expected \"inf\", \"-inf\" or \"nan\", got " + j.dump() + " (finite floats are plain JSON numbers)");
}

// A float where a tagged non-finite float may stand: a JSON number or {"float": ...}.
double read_float(const JsonCursor& c) {
  if (c.json().is_object() && c.json().size() == 1 && c.json().contains("float")) return decode_float_tag(c.at("float"));
  if (!c.json().is_number())
    c.fail("expected a number or {\"float\": \"inf\" | \"-inf\" | \"nan\"}, got " + json_type_name(c.json()));
  return c.json().get<double>();
}

// {"dtype": "float64"} or {"dtype": 7} -> 7, the ScalarType code TorchScript uses.
int64_t decode_dtype_tag(const JsonCursor& c) {
  if (c.json().is_number_integer()) {
    const int64_t code = c.as_int();
    if (!dtype_from_torch_code(code)) c.fail("unknown ScalarType code " + std::to_string(code));
    return code;
  }
  const auto name = c.as_string();
  const auto dtype = dtype_from_name(name);
  if (!dtype) c.fail("unknown dtype '" + name + "'");
  return dtype_to_torch_code(*dtype);
}

json decode_complex_tag(const JsonCursor& c) {
  c.expect_array();
  if (c.size() != 2) c.fail("expected [re, im], got " + std::to_string(c.size()) + " values");
  return json{{"complex", json::array({json(read_float(c.at(0))), json(read_float(c.at(1)))})}};
}

// One element of a tensor constant's data, checked against the dtype.
json decode_tensor_element(const JsonCursor& c, DType dtype) {
  const auto& j = c.json();
  if (dtype == DType::Bool) {
    if (j.is_boolean()) return j;
    if (j.is_number_integer() && (c.as_int() == 0 || c.as_int() == 1)) return c.as_int() == 1;
    c.fail("expected true or false (a bool tensor), got " + j.dump());
  }
  if (is_floating(dtype)) return read_float(c);
  if (!j.is_number_integer()) c.fail("expected an integer (a " + std::string(dtype_name(dtype)) + " tensor), got " + j.dump());
  return c.as_int();
}

json decode_tensor_tag(const JsonCursor& t) {
  t.expect_object();
  t.reject_unknown_keys({"dtype", "shape", "data"});
  const auto dtype_cursor = t.at("dtype");
  const auto dtype = dtype_from_name(dtype_cursor.as_string());
  if (!dtype) dtype_cursor.fail("unknown dtype '" + dtype_cursor.as_string() + "'");
  const auto shape = t.at("shape");
  shape.expect_array();
  json sizes = json::array();
  int64_t numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t d = shape.at(i).as_int();
    if (d < 0) shape.at(i).fail("negative dimension " + std::to_string(d));
    if (d > 0 && numel > INT64_MAX / d) shape.fail("too many elements");
    numel *= d;
    sizes.push_back(d);
  }
  const auto data = t.at("data");
  data.expect_array();
  if (static_cast<int64_t>(data.size()) != numel)
    data.fail("tensor constant has " + std::to_string(data.size()) + " values, its shape needs " + std::to_string(numel));
  json values = json::array();
  for (size_t i = 0; i < data.size(); ++i) values.push_back(decode_tensor_element(data.at(i), *dtype));
  return json{{"tensor", {{"dtype", std::string(dtype_name(*dtype))}, {"shape", std::move(sizes)}, {"data", std::move(values)}}}};
}

json decode_tagged(const JsonCursor& c) {
  const std::string key = c.json().begin().key();
  const auto v = c.at(key);
  if (key == "float") return decode_float_tag(v);
  if (key == "dtype") return decode_dtype_tag(v);
  if (key == "complex") return decode_complex_tag(v);
  if (key == "tensor") return decode_tensor_tag(v);
  // tensor_ref (checked against weights.safetensors by load_program) and device.
  if (v.as_string().empty()) v.fail("empty " + key);
  return c.json();
}

enum class UnknownObjects { Reject, Keep };

json decode_value(const JsonCursor& c, UnknownObjects unknown) {
  const auto& j = c.json();
  if (j.is_array()) {
    json out = json::array();
    for (size_t i = 0; i < c.size(); ++i) out.push_back(decode_value(c.at(i), unknown));
    return out;
  }
  if (is_tagged(j)) return decode_tagged(c);
  if (j.is_object() && unknown == UnknownObjects::Reject)
    c.fail("unsupported constant encoding (expected int, float, bool, str, null, a list, {\"float\": \"inf\"}, "
           "{\"complex\": [re, im]}, {\"dtype\": ...}, {\"device\": ...}, {\"tensor\": {...}} or "
           "{\"tensor_ref\": \"name\"})");
  return j;  // null, bool, number, string, or a free-form attribute object
}

// Re-tags non-finite floats anywhere in `v`, in place.
void tag_non_finite(json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) v = json{{"float", "nan"}};
    else if (std::isinf(d)) v = json{{"float", d > 0 ? "inf" : "-inf"}};
  } else if (v.is_array() || v.is_object()) {
    for (auto& item : v) tag_non_finite(item);
  }
}

}  // namespace

json decode_constant(const JsonCursor& c) { return decode_value(c, UnknownObjects::Reject); }

json decode_attribute(const JsonCursor& c) { return decode_value(c, UnknownObjects::Keep); }

json constant_to_program_json(const json& value) {
  json out = value;
  tag_non_finite(out);
  return out;
}

}  // namespace onnxport
