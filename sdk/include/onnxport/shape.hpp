// Symbolic dimensions. A Dim is a concrete size or a symbolic expression over
// named dims ("batch", "(2*batch)", "u0" for an unbacked data-dependent size).
// Expressions are kept as canonical strings: cheap to copy, compare and print,
// and enough for the shape arithmetic real models do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onnxport {

class Dim {
 public:
  Dim() = default;
  Dim(int64_t value) : value_(value) {}  // NOLINT: implicit on purpose
  static Dim symbol(std::string expr) {
    Dim d;
    d.expr_ = std::move(expr);
    return d;
  }

  bool is_static() const { return expr_.empty(); }
  bool is_symbolic() const { return !expr_.empty(); }
  int64_t value() const { return value_; }          // valid when is_static()
  const std::string& expr() const { return expr_; }  // valid when is_symbolic()
  std::string str() const { return is_static() ? std::to_string(value_) : expr_; }

  friend bool operator==(const Dim& a, const Dim& b) {
    return a.expr_ == b.expr_ && (a.is_symbolic() || a.value_ == b.value_);
  }

 private:
  int64_t value_ = 0;
  std::string expr_;
};

using Shape = std::vector<Dim>;

// Arithmetic that folds when both sides are static and otherwise builds a
// canonical expression ("(a*2)", "(a+b)", "(a//2)").
Dim dim_add(const Dim& a, const Dim& b);
Dim dim_sub(const Dim& a, const Dim& b);
Dim dim_mul(const Dim& a, const Dim& b);
Dim dim_floordiv(const Dim& a, const Dim& b);
Dim dim_mod(const Dim& a, const Dim& b);

bool shape_is_static(const Shape& s);
std::optional<std::vector<int64_t>> static_sizes(const Shape& s);
Shape shape_of(const std::vector<int64_t>& sizes);
// Product of all dims (symbolic when any is).
Dim shape_numel(const Shape& s);
// "[2, batch]"
std::string shape_str(const Shape& s);

// Evaluates an expression once every symbol has a value; nullopt when a
// symbol is unknown. Used to check guards and to size concrete runs.
std::optional<int64_t> dim_eval(const Dim& d, const std::vector<std::pair<std::string, int64_t>>& bindings);

}  // namespace onnxport
