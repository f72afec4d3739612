// Symbolic integer algebra: a canonical form for the sizes and Python ints a
// trace computes from dynamic dims and unbacked symbols.
//
// An Expr is a polynomial with int64 coefficients over *atoms*: a symbol
// (`batch`, `u0`), or an application that the polynomial ring cannot expand
// (`(A//c)`, `(A%c)`, `Min(A, B)`, `Max(A, B)`, or any other `f(...)` kept as
// opaque text). Every operation returns the canonical form, so two
// expressions that are equal as polynomials print the same text:
// `(u0+1)-u0` is `1` and `2*a - a` is `a`. Floor division and modulo by a
// constant pull out the part that is a multiple of the divisor
// (`(2*a+3)//2` is `a+1`), so they too simplify where integers allow.
//
// Dim (sdk/include/onnxport/shape.hpp) keeps its expressions as the text this
// form prints; dim_add and friends parse, combine and print. The text is fully
// parenthesized and `dim_eval` reads it back.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport::sym {

class Expr;

// What an atom is; Symbol and Opaque are leaves.
enum class AtomKind { Symbol, FloorDiv, Mod, Min, Max, Opaque };

struct Atom {
  AtomKind kind = AtomKind::Symbol;
  std::string text;        // canonical text, also the atom's identity
  std::vector<Expr> args;  // FloorDiv/Mod: {numerator, denominator}; Min/Max: the operands (sorted)
};
using AtomPtr = std::shared_ptr<const Atom>;

// A product of atoms with powers, ordered by atom text.
struct Monomial {
  std::vector<std::pair<AtomPtr, int>> factors;
  std::string key() const;  // "batch*seq" ("" for the constant monomial)
};

// Lower/upper bounds known for an expression (either may be unknown).
struct Range {
  std::optional<int64_t> lo, hi;
};

// Known lower bounds of symbols (a dynamic dim is >= 2, a size >= 0).
using SymbolBounds = std::map<std::string, int64_t, std::less<>>;

class Expr {
 public:
  Expr() = default;  // 0
  Expr(int64_t c);   // NOLINT: implicit on purpose, constants mix freely
  static Expr symbol(std::string name);
  // Parses the text this form prints, and hand-written expressions
  // (`batch + seq * 2`, `-batch // 4`, `Min(batch, 3)`); nullopt when it is
  // not a valid expression. An unknown `f(...)` becomes an opaque atom.
  static std::optional<Expr> parse(std::string_view text);
  // parse(), or the whole text as one opaque atom when it does not parse.
  static Expr from_text(const std::string& text);

  bool is_constant() const;
  std::optional<int64_t> constant_value() const;
  // The single atom this expression is (`batch`, `(a//2)`), if it is one.
  AtomPtr as_atom() const;
  std::string str() const;

  // Ring operations; throw std::domain_error on int64 overflow.
  friend Expr operator+(const Expr& a, const Expr& b);
  friend Expr operator-(const Expr& a, const Expr& b);
  friend Expr operator*(const Expr& a, const Expr& b);
  Expr operator-() const;
  friend bool operator==(const Expr& a, const Expr& b) { return a.terms_ == b.terms_; }

  // Python's floor division and modulo (round toward -inf); throw
  // std::domain_error for a zero divisor.
  static Expr floordiv(const Expr& a, const Expr& b);
  static Expr mod(const Expr& a, const Expr& b);
  static Expr min(std::vector<Expr> args);
  static Expr max(std::vector<Expr> args);

  // Value once every symbol is bound; nullopt when one is unbound, an opaque
  // atom is met, a divisor is 0, or int64 overflows.
  std::optional<int64_t> evaluate(const std::vector<std::pair<std::string, int64_t>>& bindings) const;
  // Bounds implied by the symbols' lower bounds (unknown symbols: unbounded).
  Range range(const SymbolBounds& bounds) const;
  // Every symbol name the expression mentions, sorted.
  std::vector<std::string> symbols() const;

 private:
  // Monomial key -> coefficient (only nonzero ones; the constant's key is
  // ""), and key -> the monomial itself.
  std::map<std::string, int64_t> terms_;
  std::map<std::string, Monomial> monomials_;

  void add_term(const Monomial& m, int64_t coeff);
  static Expr of_atom(AtomPtr atom);
  friend class ExprOps;
};

// The decision of a comparison (`Eq`, `Ne`, `Lt`, `Le`, `Gt`, `Ge`) when the
// canonical form (and the bounds) settle it for every value of the symbols.
std::optional<bool> decide(std::string_view relation, const Expr& a, const Expr& b, const SymbolBounds& bounds = {});

}  // namespace onnxport::sym
