// A node's arguments bound by name to its schema, for the tracer's rules that
// capture an op as other ops (composite_ops.cpp, quantized_ops.cpp).
#pragma once

#include "evalue.hpp"

#include <onnxport/op_schema.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport::trace {

// A node's arguments bound by name to the first overload of its schema that
// fits, with the schema's defaults for what the node does not give.
class NamedInputs {
 public:
  NamedInputs(const OpSchema& schema, std::vector<EValue> args, std::vector<int> position)
      : schema_(schema), args_(std::move(args)), position_(std::move(position)) {
    defaults_.resize(schema_.arguments.size());
    for (size_t i = 0; i < schema_.arguments.size(); ++i)
      if (position_[i] < 0)
        defaults_[i] = EValue::of_constant(schema_.arguments[i].default_value.value_or(nlohmann::json()));
  }

  const OpSchema& schema() const { return schema_; }

  const EValue& operator[](std::string_view name) const {
    const std::optional<size_t> i = schema_.argument_index(name);
    if (!i) throw std::logic_error(schema_.text + " has no argument '" + std::string(name) + "'");
    return position_[*i] < 0 ? defaults_[*i] : args_[static_cast<size_t>(position_[*i])];
  }
  bool is_none(std::string_view name) const {
    const EValue& v = (*this)[name];
    return v.is_constant() && v.constant.is_null();
  }

 private:
  const OpSchema& schema_;
  std::vector<EValue> args_;
  std::vector<int> position_;
  std::vector<EValue> defaults_;
};

}  // namespace onnxport::trace
