// Python-level arithmetic on constants, with Python's semantics (floor
// division and modulo round toward -inf, `/` is true division, bools act as
// ints, str(True) == "True"). The engine folds these while tracing; they never
// reach the Graph.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport::trace {

// Raised for what Python would raise (ZeroDivisionError, TypeError, ...).
class ScalarOpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when `kind` ("aten::add", "prim::max", ...) has a constant folder.
bool is_scalar_op(std::string_view kind);
// Folds `kind` over constant arguments. Throws ScalarOpError.
nlohmann::json eval_scalar_op(std::string_view kind, const std::vector<nlohmann::json>& args);

// Python's str() of a constant: "True", "None", "1.0", "[1, 2]", "cpu".
std::string python_str(const nlohmann::json& v);
// Python truthiness: 0, 0.0, False, None, "", [] are false.
bool python_truth(const nlohmann::json& v);
// str.format with "{}" / "{0}" placeholders, each argument already as text.
std::string python_format(const std::string& fmt, const std::vector<std::string>& args);

}  // namespace onnxport::trace
