// Python values in program.json (prim::Constant values, module attributes):
// validation and normalization. docs/program-format.md, "Constants", lists
// the encodings and what the loaded Program holds for each.
#pragma once

#include "base/json_cursor.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace onnxport {

// A prim::Constant value: validates `c` and returns its normalized form
//   {"float": "inf" | "-inf" | "nan"}  -> a JSON float holding +-infinity / NaN
//   {"dtype": "float64" | 7}           -> the ScalarType integer 7
//   {"complex": [re, im]}              -> {"complex": [re, im]}, both JSON floats
//   {"tensor": {...}}                  -> same, canonical dtype name, data as numbers
//   {"tensor_ref": "..."}, {"device": "..."}, scalars -> unchanged
// and lists item by item. Any other object fails at its pointer.
nlohmann::json decode_constant(const JsonCursor& c);

// A module attribute value: the same tagged forms, decoded the same way, but
// objects that are not one of them are kept as written (attributes are
// free-form for the loader).
nlohmann::json decode_attribute(const JsonCursor& c);

// Calls f(name, pointer) for each {"tensor_ref": name} in a decoded value
// (at its top level or inside lists); `pointer` is where `value` sits.
template <class F>
void for_each_tensor_ref(const nlohmann::json& value, const std::string& pointer, F&& f) {
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) for_each_tensor_ref(value[i], pointer + "/" + std::to_string(i), f);
  } else if (value.is_object() && value.size() == 1) {
    auto it = value.find("tensor_ref");
    if (it != value.end() && it->is_string()) f(it->template get<std::string>(), pointer + "/tensor_ref");
  }
}

}  // namespace onnxport
