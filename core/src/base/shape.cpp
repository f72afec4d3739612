// Symbolic dimension arithmetic and evaluation (sdk/include/onnxport/shape.hpp).
//
// Symbolic expressions are the canonical text of base/sym_expr.hpp's
// polynomial form: every operation parses its operands, combines them and
// prints the result, so equal polynomials are equal Dims ("2*batch" and
// "batch*2" are "(batch*2)"; "(u0+1)-u0" folds to the static 1), and the text
// is fully parenthesized, so composing expressions never needs precedence
// rules.
#include <onnxport/shape.hpp>

#include "base/sym_expr.hpp"

#include <stdexcept>

namespace onnxport {

namespace {

sym::Expr expr_of(const Dim& d) { return d.is_static() ? sym::Expr(d.value()) : sym::Expr::from_text(d.expr()); }

Dim dim_of(const sym::Expr& e) {
  if (auto c = e.constant_value()) return Dim(*c);
  return Dim::symbol(e.str());
}

// Most dims are static: those fold without building polynomials (the same
// Python semantics and overflow errors as the symbolic path).
bool both_static(const Dim& a, const Dim& b) { return a.is_static() && b.is_static(); }

[[noreturn]] void overflow() { throw std::domain_error("dimension arithmetic: integer overflow"); }

}  // namespace

Dim dim_add(const Dim& a, const Dim& b) {
  if (both_static(a, b)) {
    int64_t r;
    if (__builtin_add_overflow(a.value(), b.value(), &r)) overflow();
    return Dim(r);
  }
  if (b.is_static() && b.value() == 0) return a;
  if (a.is_static() && a.value() == 0) return b;
  return dim_of(expr_of(a) + expr_of(b));
}

Dim dim_sub(const Dim& a, const Dim& b) {
  if (both_static(a, b)) {
    int64_t r;
    if (__builtin_sub_overflow(a.value(), b.value(), &r)) overflow();
    return Dim(r);
  }
  if (b.is_static() && b.value() == 0) return a;
  if (a == b) return Dim(0);
  return dim_of(expr_of(a) - expr_of(b));
}

Dim dim_mul(const Dim& a, const Dim& b) {
  if (both_static(a, b)) {
    int64_t r;
    if (__builtin_mul_overflow(a.value(), b.value(), &r)) overflow();
    return Dim(r);
  }
  if (b.is_static() && b.value() == 1) return a;
  if (a.is_static() && a.value() == 1) return b;
  return dim_of(expr_of(a) * expr_of(b));
}

Dim dim_floordiv(const Dim& a, const Dim& b) {
  if (b.is_static() && b.value() == 1) return a;
  return dim_of(sym::Expr::floordiv(expr_of(a), expr_of(b)));
}

Dim dim_mod(const Dim& a, const Dim& b) { return dim_of(sym::Expr::mod(expr_of(a), expr_of(b))); }

bool shape_is_static(const Shape& s) {
  for (const auto& d : s)
    if (d.is_symbolic()) return false;
  return true;
}

std::optional<std::vector<int64_t>> static_sizes(const Shape& s) {
  std::vector<int64_t> sizes;
  sizes.reserve(s.size());
  for (const auto& d : s) {
    if (d.is_symbolic()) return std::nullopt;
    sizes.push_back(d.value());
  }
  return sizes;
}

Shape shape_of(const std::vector<int64_t>& sizes) { return Shape(sizes.begin(), sizes.end()); }

Dim shape_numel(const Shape& s) {
  // Symbolic factors first, the static product last: "(batch*6)" rather
  // than "((2*batch)*3)".
  Dim symbolic(1);
  int64_t fixed = 1;
  for (const auto& d : s) {
    if (d.is_static()) fixed *= d.value();
    else symbolic = dim_mul(symbolic, d);
  }
  return dim_mul(symbolic, fixed);
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += s[i].str();
  }
  return out + "]";
}

// dim_eval reads the canonical text and hand-written expressions (configs,
// guards) alike: `+ - * // %`, unary minus, parentheses, Min(...)/Max(...).
std::optional<int64_t> dim_eval(const Dim& d, const std::vector<std::pair<std::string, int64_t>>& bindings) {
  if (d.is_static()) return d.value();
  auto e = sym::Expr::parse(d.expr());
  if (!e) return std::nullopt;
  return e->evaluate(bindings);
}

}  // namespace onnxport
