// Symbolic dimension arithmetic and evaluation (sdk/include/onnxport/shape.hpp).
//
// Symbolic expressions are canonical strings: every compound expression is
// fully parenthesized ("(batch*2)"), so composing them never needs precedence
// rules, and commutative operands are ordered (symbol before constant, then
// lexicographically) so "2*batch" and "batch*2" compare equal.
#include <onnxport/shape.hpp>

#include <cctype>
#include <stdexcept>
#include <string_view>

namespace onnxport {

namespace {

// Python semantics: floor division and modulo round toward negative infinity.
int64_t python_floordiv(int64_t a, int64_t b) {
  if (b == 0) throw std::domain_error("dimension arithmetic: division by zero");
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t python_mod(int64_t a, int64_t b) {
  if (b == 0) throw std::domain_error("dimension arithmetic: modulo by zero");
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

Dim binary_expr(const Dim& a, std::string_view op, const Dim& b) {
  return Dim::symbol("(" + a.str() + std::string(op) + b.str() + ")");
}

// Orders the operands of a commutative op canonically.
Dim commutative_expr(const Dim& a, std::string_view op, const Dim& b) {
  if (a.is_static() && b.is_symbolic()) return binary_expr(b, op, a);
  if (a.is_symbolic() && b.is_symbolic() && b.expr() < a.expr()) return binary_expr(b, op, a);
  return binary_expr(a, op, b);
}

bool is_value(const Dim& d, int64_t v) { return d.is_static() && d.value() == v; }

// Splits a canonical "(A*c)" into A and the integer c, so that scaling twice
// folds the constants: ((batch*2)*3) becomes (batch*6).
std::optional<std::pair<Dim, int64_t>> split_scaled(const Dim& d) {
  if (!d.is_symbolic()) return std::nullopt;
  const std::string& e = d.expr();
  if (e.size() < 5 || e.front() != '(' || e.back() != ')') return std::nullopt;
  const size_t star = e.rfind('*');
  if (star == std::string::npos || star < 2) return std::nullopt;
  const std::string factor = e.substr(star + 1, e.size() - star - 2);
  const std::string inner = e.substr(1, star - 1);
  const size_t digits = factor.starts_with('-') ? 1 : 0;
  if (factor.size() <= digits || factor.size() > 18 ||
      factor.find_first_not_of("0123456789", digits) != std::string::npos)
    return std::nullopt;
  // The inner part must be one balanced operand, not "a*b" of a wider product.
  int depth = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    depth += inner[i] == '(' ? 1 : inner[i] == ')' ? -1 : 0;
    if (depth < 0) return std::nullopt;
    if (depth == 0 && i + 1 < inner.size() && std::string_view("+-*/%").find(inner[i]) != std::string_view::npos)
      return std::nullopt;
  }
  if (depth != 0) return std::nullopt;
  return std::make_pair(Dim::symbol(inner), std::stoll(factor));
}

}  // namespace

Dim dim_add(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim(a.value() + b.value());
  if (is_value(a, 0)) return b;
  if (is_value(b, 0)) return a;
  return commutative_expr(a, "+", b);
}

Dim dim_sub(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim(a.value() - b.value());
  if (is_value(b, 0)) return a;
  if (a == b) return Dim(0);
  return binary_expr(a, "-", b);
}

Dim dim_mul(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim(a.value() * b.value());
  if (is_value(a, 0) || is_value(b, 0)) return Dim(0);
  if (is_value(a, 1)) return b;
  if (is_value(b, 1)) return a;
  if (a.is_static() || b.is_static()) {
    const Dim& sym = a.is_static() ? b : a;
    const int64_t factor = a.is_static() ? a.value() : b.value();
    if (auto scaled = split_scaled(sym)) return dim_mul(scaled->first, scaled->second * factor);
  }
  return commutative_expr(a, "*", b);
}

Dim dim_floordiv(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim(python_floordiv(a.value(), b.value()));
  if (is_value(b, 0)) throw std::domain_error("dimension arithmetic: division by zero");
  if (is_value(b, 1)) return a;
  if (a == b) return Dim(1);
  return binary_expr(a, "//", b);
}

Dim dim_mod(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim(python_mod(a.value(), b.value()));
  if (is_value(b, 0)) throw std::domain_error("dimension arithmetic: modulo by zero");
  if (is_value(b, 1) || a == b) return Dim(0);
  return binary_expr(a, "%", b);
}

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

// ---------------------------------------------------------------------------
// dim_eval: a recursive-descent evaluator for the expressions built above
// (and for hand-written ones in configs and guards):
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '//' | '%') unary)*
//   unary   := '-' unary | primary
//   primary := integer | symbol | '(' expr ')'
//   symbol  := [A-Za-z_][A-Za-z0-9_.]*

namespace {

class DimEvaluator {
 public:
  DimEvaluator(std::string_view text, const std::vector<std::pair<std::string, int64_t>>& bindings)
      : text_(text), bindings_(bindings) {}

  // nullopt when a symbol is unbound or the text is not a valid expression.
  std::optional<int64_t> run() {
    auto v = expr();
    skip_space();
    if (!v || pos_ != text_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }

  std::optional<int64_t> expr() {
    auto lhs = term();
    while (lhs) {
      if (accept("+")) {
        auto rhs = term();
        if (!rhs) return std::nullopt;
        *lhs += *rhs;
      } else if (accept("-")) {
        auto rhs = term();
        if (!rhs) return std::nullopt;
        *lhs -= *rhs;
      } else {
        break;
      }
    }
    return lhs;
  }

  std::optional<int64_t> term() {
    auto lhs = unary();
    while (lhs) {
      if (accept("*")) {
        auto rhs = unary();
        if (!rhs) return std::nullopt;
        *lhs *= *rhs;
      } else if (accept("//")) {
        auto rhs = unary();
        if (!rhs || *rhs == 0) return std::nullopt;
        *lhs = python_floordiv(*lhs, *rhs);
      } else if (accept("%")) {
        auto rhs = unary();
        if (!rhs || *rhs == 0) return std::nullopt;
        *lhs = python_mod(*lhs, *rhs);
      } else {
        break;
      }
    }
    return lhs;
  }

  std::optional<int64_t> unary() {
    if (accept("-")) {
      auto v = unary();
      if (!v) return std::nullopt;
      return -*v;
    }
    return primary();
  }

  std::optional<int64_t> primary() {
    skip_space();
    if (pos_ >= text_.size()) return std::nullopt;
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      auto v = expr();
      if (!v || !accept(")")) return std::nullopt;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return integer();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return symbol();
    return std::nullopt;
  }

  std::optional<int64_t> integer() {
    int64_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      v = v * 10 + (text_[pos_++] - '0');
    return v;
  }

  std::optional<int64_t> symbol() {
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') break;
      ++pos_;
    }
    const std::string_view name = text_.substr(start, pos_ - start);
    for (const auto& [sym, value] : bindings_)
      if (sym == name) return value;
    return std::nullopt;
  }

  std::string_view text_;
  const std::vector<std::pair<std::string, int64_t>>& bindings_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<int64_t> dim_eval(const Dim& d, const std::vector<std::pair<std::string, int64_t>>& bindings) {
  if (d.is_static()) return d.value();
  return DimEvaluator(d.expr(), bindings).run();
}

}  // namespace onnxport
