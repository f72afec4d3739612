// Symbolic integer algebra in canonical polynomial form (sym_expr.hpp).
//
// Printing rules (they make the text canonical): terms are ordered positive
// non-constant terms (by monomial text), a positive constant, negative
// non-constant terms, a negative constant; every compound is parenthesized
// and folded left: `((batch*2)+seq)`, `(seq-batch)`, `((batch*seq)*2)`,
// `(batch*-1)` for a lone negative term.
#include "base/sym_expr.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>
#include <stdexcept>

namespace onnxport::sym {

namespace {

[[noreturn]] void overflow() { throw std::domain_error("dimension arithmetic: integer overflow"); }

int64_t checked_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) overflow();
  return r;
}

int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) overflow();
  return r;
}

// Python semantics: both round toward negative infinity; b != 0.
int64_t py_floordiv(int64_t a, int64_t b) {
  if (a == INT64_MIN && b == -1) overflow();
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t py_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

std::optional<int64_t> opt_add(std::optional<int64_t> a, std::optional<int64_t> b) {
  int64_t r;
  if (!a || !b || __builtin_add_overflow(*a, *b, &r)) return std::nullopt;
  return r;
}

std::optional<int64_t> opt_mul(std::optional<int64_t> a, std::optional<int64_t> b) {
  int64_t r;
  if (!a || !b || __builtin_mul_overflow(*a, *b, &r)) return std::nullopt;
  return r;
}

std::string join(const std::vector<Expr>& args) {
  std::string out;
  for (const Expr& a : args) out += (out.empty() ? "" : ", ") + a.str();
  return out;
}

}  // namespace

// ---------------------------------------------------------------- monomials

std::string Monomial::key() const {
  std::string k;
  for (const auto& [atom, power] : factors)
    for (int i = 0; i < power; ++i) k += (k.empty() ? "" : "*") + atom->text;
  return k;
}

namespace {

Monomial multiply(const Monomial& a, const Monomial& b) {
  Monomial m;
  size_t i = 0, j = 0;
  while (i < a.factors.size() || j < b.factors.size()) {
    if (j == b.factors.size() || (i < a.factors.size() && a.factors[i].first->text < b.factors[j].first->text)) {
      m.factors.push_back(a.factors[i++]);
    } else if (i == a.factors.size() || b.factors[j].first->text < a.factors[i].first->text) {
      m.factors.push_back(b.factors[j++]);
    } else {
      m.factors.emplace_back(a.factors[i].first, a.factors[i].second + b.factors[j].second);
      ++i;
      ++j;
    }
  }
  return m;
}

// `a` divided by `b` when every factor of `b` divides `a`.
std::optional<Monomial> divide(const Monomial& a, const Monomial& b) {
  Monomial m;
  size_t j = 0;
  for (const auto& [atom, power] : a.factors) {
    if (j < b.factors.size() && b.factors[j].first->text == atom->text) {
      const int left = power - b.factors[j].second;
      if (left < 0) return std::nullopt;
      if (left > 0) m.factors.emplace_back(atom, left);
      ++j;
    } else {
      m.factors.emplace_back(atom, power);
    }
  }
  if (j != b.factors.size()) return std::nullopt;
  return m;
}

// "(a*b)" folded left, the atoms repeated by their powers.
std::string monomial_text(const Monomial& m) {
  std::string acc;
  for (const auto& [atom, power] : m.factors)
    for (int i = 0; i < power; ++i) acc = acc.empty() ? atom->text : "(" + acc + "*" + atom->text + ")";
  return acc;
}

std::string term_text(const Monomial& m, int64_t coeff) {
  if (m.factors.empty()) return std::to_string(coeff);
  const std::string mono = monomial_text(m);
  return coeff == 1 ? mono : "(" + mono + "*" + std::to_string(coeff) + ")";
}

}  // namespace

// ---------------------------------------------------------------- construction

Expr::Expr(int64_t c) {
  if (c != 0) {
    terms_[""] = c;
    monomials_[""] = Monomial{};
  }
}

Expr Expr::of_atom(AtomPtr atom) {
  Expr e;
  e.add_term(Monomial{{{std::move(atom), 1}}}, 1);
  return e;
}

Expr Expr::symbol(std::string name) {
  auto atom = std::make_shared<Atom>();
  atom->kind = AtomKind::Symbol;
  atom->text = std::move(name);
  return of_atom(std::move(atom));
}

void Expr::add_term(const Monomial& m, int64_t coeff) {
  if (coeff == 0) return;
  const std::string key = m.key();
  auto it = terms_.find(key);
  if (it == terms_.end()) {
    terms_.emplace(key, coeff);
    monomials_.emplace(key, m);
    return;
  }
  it->second = checked_add(it->second, coeff);
  if (it->second == 0) {
    terms_.erase(it);
    monomials_.erase(key);
  }
}

bool Expr::is_constant() const { return terms_.empty() || (terms_.size() == 1 && terms_.count("")); }

std::optional<int64_t> Expr::constant_value() const {
  if (terms_.empty()) return 0;
  if (terms_.size() == 1 && terms_.count("")) return terms_.at("");
  return std::nullopt;
}

AtomPtr Expr::as_atom() const {
  if (terms_.size() != 1 || terms_.begin()->second != 1) return nullptr;
  const Monomial& m = monomials_.begin()->second;
  if (m.factors.size() != 1 || m.factors[0].second != 1) return nullptr;
  return m.factors[0].first;
}

std::string Expr::str() const {
  if (terms_.empty()) return "0";
  std::vector<std::pair<const Monomial*, int64_t>> ordered;
  auto take = [&](bool positive, bool constant) {
    for (const auto& [key, coeff] : terms_)
      if ((coeff > 0) == positive && key.empty() == constant) ordered.emplace_back(&monomials_.at(key), coeff);
  };
  take(true, false);
  take(true, true);
  take(false, false);
  take(false, true);
  std::string acc = term_text(*ordered[0].first, ordered[0].second);
  for (size_t i = 1; i < ordered.size(); ++i) {
    const int64_t c = ordered[i].second;
    if (c == INT64_MIN) overflow();
    acc = "(" + acc + (c > 0 ? "+" : "-") + term_text(*ordered[i].first, c > 0 ? c : -c) + ")";
  }
  return acc;
}

// ---------------------------------------------------------------- ring operations

Expr operator+(const Expr& a, const Expr& b) {
  Expr r = a;
  for (const auto& [key, coeff] : b.terms_) r.add_term(b.monomials_.at(key), coeff);
  return r;
}

Expr Expr::operator-() const {
  Expr r;
  for (const auto& [key, coeff] : terms_) r.add_term(monomials_.at(key), checked_mul(coeff, -1));
  return r;
}

Expr operator-(const Expr& a, const Expr& b) { return a + (-b); }

Expr operator*(const Expr& a, const Expr& b) {
  Expr r;
  for (const auto& [ka, ca] : a.terms_)
    for (const auto& [kb, cb] : b.terms_) r.add_term(multiply(a.monomials_.at(ka), b.monomials_.at(kb)), checked_mul(ca, cb));
  return r;
}

// ---------------------------------------------------------------- floor division, modulo, min, max

// The helpers that need Expr's terms (a friend of Expr).
class ExprOps {
 public:
  // a = c*q + r with r's coefficients in Python's `% c` range.
  static std::pair<Expr, Expr> split_by_constant(const Expr& a, int64_t c) {
    Expr q, r;
    for (const auto& [key, coeff] : a.terms_) {
      const int64_t qc = py_floordiv(coeff, c);
      q.add_term(a.monomials_.at(key), qc);
      r.add_term(a.monomials_.at(key), coeff - qc * c);  // no overflow: |coeff - qc*c| < |c|
    }
    return {q, r};
  }

  // a / b when b is one term and divides every term of a exactly.
  static std::optional<Expr> exact_quotient(const Expr& a, const Expr& b) {
    if (b.terms_.size() != 1) return std::nullopt;
    const Monomial& bm = b.monomials_.begin()->second;
    const int64_t bc = b.terms_.begin()->second;
    Expr q;
    for (const auto& [key, coeff] : a.terms_) {
      auto m = divide(a.monomials_.at(key), bm);
      if (!m || coeff % bc != 0) return std::nullopt;
      q.add_term(*m, coeff / bc);
    }
    return q;
  }

  // r as (atom of `kind`, constant) when r is exactly `atom + k`.
  static std::optional<std::pair<AtomPtr, int64_t>> atom_plus_constant(const Expr& r, AtomKind kind) {
    AtomPtr atom;
    int64_t k = 0;
    for (const auto& [key, coeff] : r.terms_) {
      if (key.empty()) {
        k = coeff;
        continue;
      }
      const Monomial& m = r.monomials_.at(key);
      if (atom || coeff != 1 || m.factors.size() != 1 || m.factors[0].second != 1 || m.factors[0].first->kind != kind)
        return std::nullopt;
      atom = m.factors[0].first;
    }
    if (!atom) return std::nullopt;
    return std::make_pair(atom, k);
  }

  // a//c for c > 0 with a's constant term reduced to [0, c) and the gcd of
  // a's coefficients and c cancelled.
  static Expr reduced_floordiv(const Expr& a, int64_t c) {
    Expr rest;
    int64_t k = 0;
    int64_t g = c;
    for (const auto& [key, coeff] : a.terms_) {
      if (key.empty()) k = coeff;
      else rest.add_term(a.monomials_.at(key), coeff);
      g = std::gcd(g, coeff);
    }
    const int64_t shift = py_floordiv(k, c);
    k -= shift * c;
    g = std::gcd(g, k);  // g divides c, so it still divides the reduced constant's
    Expr num;
    for (const auto& [key, coeff] : rest.terms_) num.add_term(rest.monomials_.at(key), coeff / g);
    num = num + Expr(k / g);
    const Expr den(c / g);
    if (c / g == 1) return num + Expr(shift);
    return Expr(shift) + make_atom(AtomKind::FloorDiv, "(" + num.str() + "//" + den.str() + ")", {num, den});
  }

  static Expr make_atom(AtomKind kind, std::string text, std::vector<Expr> args) {
    auto atom = std::make_shared<Atom>();
    atom->kind = kind;
    atom->text = std::move(text);
    atom->args = std::move(args);
    return Expr::of_atom(std::move(atom));
  }
};

Expr Expr::floordiv(const Expr& a, const Expr& b) {
  if (auto c = b.constant_value()) {
    if (*c == 0) throw std::domain_error("dimension arithmetic: division by zero");
    if (auto k = a.constant_value()) return Expr(py_floordiv(*k, *c));
    if (*c == 1) return a;
    if (*c == -1) return -a;
    auto [q, r] = ExprOps::split_by_constant(a, *c);
    // Exact up to a constant: (2a+3)//2 == a + 3//2.
    if (auto k = r.constant_value()) return q + Expr(py_floordiv(*k, *c));
    if (*c > 0) {
      // (A//d + k)//c == (A + k*d)//(d*c) for positive d and c.
      if (auto nested = ExprOps::atom_plus_constant(r, AtomKind::FloorDiv)) {
        const Atom& inner = *nested->first;
        const auto d = inner.args[1].constant_value();
        if (d && *d > 0) return q + floordiv(inner.args[0] + Expr(checked_mul(nested->second, *d)), Expr(checked_mul(*d, *c)));
      }
      // Otherwise only the constant term is reduced (its multiples of c
      // pulled out) and a common factor cancelled: (12b+20)//8 is
      // 2 + (3b+1)//2. Non-constant coefficients stay as written, so sizes
      // read as the model computes them ((3*b)//2, not b + b//2).
      return ExprOps::reduced_floordiv(a, *c);
    }
    return q + ExprOps::make_atom(AtomKind::FloorDiv, "(" + r.str() + "//" + b.str() + ")", {r, b});
  }
  if (a.terms_.empty()) return Expr(0);
  if (a == b) return Expr(1);
  if (auto q = ExprOps::exact_quotient(a, b)) return *q;
  return ExprOps::make_atom(AtomKind::FloorDiv, "(" + a.str() + "//" + b.str() + ")", {a, b});
}

Expr Expr::mod(const Expr& a, const Expr& b) {
  if (auto c = b.constant_value()) {
    if (*c == 0) throw std::domain_error("dimension arithmetic: modulo by zero");
    if (auto k = a.constant_value()) return Expr(py_mod(*k, *c));
    if (*c == 1 || *c == -1) return Expr(0);
    Expr r = ExprOps::split_by_constant(a, *c).second;
    if (auto k = r.constant_value()) return Expr(py_mod(*k, *c));
    // (A % c) % c == A % c
    if (auto nested = ExprOps::atom_plus_constant(r, AtomKind::Mod); nested && nested->second == 0 && nested->first->args[1] == b)
      return r;
    return ExprOps::make_atom(AtomKind::Mod, "(" + r.str() + "%" + b.str() + ")", {r, b});
  }
  if (a.terms_.empty() || a == b || ExprOps::exact_quotient(a, b)) return Expr(0);
  return ExprOps::make_atom(AtomKind::Mod, "(" + a.str() + "%" + b.str() + ")", {a, b});
}

namespace {

Expr extreme(std::vector<Expr> args, bool is_max) {
  if (args.empty()) throw std::invalid_argument(std::string(is_max ? "Max" : "Min") + " of no values");
  const AtomKind kind = is_max ? AtomKind::Max : AtomKind::Min;
  // Flatten Min(Min(a, b), c) into Min(a, b, c).
  std::vector<Expr> flat;
  for (const Expr& a : args) {
    AtomPtr atom = a.as_atom();
    if (atom && atom->kind == kind) flat.insert(flat.end(), atom->args.begin(), atom->args.end());
    else flat.push_back(a);
  }
  // Drop an operand another one dominates by a constant difference
  // (Min(a, a+1) is a), and duplicates.
  std::vector<Expr> kept;
  for (size_t i = 0; i < flat.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < flat.size() && !dominated; ++j) {
      if (i == j) continue;
      const auto diff = (flat[i] - flat[j]).constant_value();  // i - j
      if (!diff) continue;
      if (*diff == 0) dominated = j < i;  // keep the first of equal operands
      else dominated = is_max ? *diff < 0 : *diff > 0;
    }
    if (!dominated) kept.push_back(flat[i]);
  }
  if (kept.size() == 1) return kept[0];
  std::sort(kept.begin(), kept.end(), [](const Expr& x, const Expr& y) { return x.str() < y.str(); });
  return ExprOps::make_atom(kind, std::string(is_max ? "Max(" : "Min(") + join(kept) + ")", kept);
}

}  // namespace

Expr Expr::min(std::vector<Expr> args) { return extreme(std::move(args), false); }
Expr Expr::max(std::vector<Expr> args) { return extreme(std::move(args), true); }

// ---------------------------------------------------------------- evaluation and bounds

namespace {

std::optional<int64_t> eval_atom(const Atom& atom, const std::vector<std::pair<std::string, int64_t>>& bindings) {
  switch (atom.kind) {
    case AtomKind::Symbol:
      for (const auto& [name, value] : bindings)
        if (name == atom.text) return value;
      return std::nullopt;
    case AtomKind::Opaque:
      return std::nullopt;
    case AtomKind::FloorDiv:
    case AtomKind::Mod: {
      const auto a = atom.args[0].evaluate(bindings), b = atom.args[1].evaluate(bindings);
      if (!a || !b || *b == 0 || (*a == INT64_MIN && *b == -1)) return std::nullopt;
      return atom.kind == AtomKind::FloorDiv ? py_floordiv(*a, *b) : py_mod(*a, *b);
    }
    case AtomKind::Min:
    case AtomKind::Max: {
      std::optional<int64_t> best;
      for (const Expr& e : atom.args) {
        const auto v = e.evaluate(bindings);
        if (!v) return std::nullopt;
        if (!best || (atom.kind == AtomKind::Min ? *v < *best : *v > *best)) best = v;
      }
      return best;
    }
  }
  return std::nullopt;
}

Range atom_range(const Atom& atom, const SymbolBounds& bounds) {
  switch (atom.kind) {
    case AtomKind::Symbol: {
      auto it = bounds.find(atom.text);
      if (it == bounds.end()) return {};
      return {it->second, std::nullopt};
    }
    case AtomKind::Opaque:
      return {};
    case AtomKind::FloorDiv: {
      const auto c = atom.args[1].constant_value();
      if (!c || *c <= 0) return {};
      const Range r = atom.args[0].range(bounds);
      Range out;
      if (r.lo) out.lo = py_floordiv(*r.lo, *c);
      if (r.hi) out.hi = py_floordiv(*r.hi, *c);
      return out;
    }
    case AtomKind::Mod: {
      const auto c = atom.args[1].constant_value();
      if (!c || *c <= 0) return {};
      const Range r = atom.args[0].range(bounds);
      if (r.lo && r.hi && *r.lo >= 0 && *r.hi < *c) return r;
      return {0, *c - 1};
    }
    case AtomKind::Min:
    case AtomKind::Max: {
      const bool is_min = atom.kind == AtomKind::Min;
      // Min: lo needs every operand's lo, hi any operand's hi (Max the other way).
      Range out;
      bool all_lo = true, all_hi = true;
      for (const Expr& e : atom.args) {
        const Range r = e.range(bounds);
        all_lo = all_lo && r.lo.has_value();
        all_hi = all_hi && r.hi.has_value();
        if (r.lo && (!out.lo || (is_min ? *r.lo < *out.lo : *r.lo > *out.lo))) out.lo = r.lo;
        if (r.hi && (!out.hi || (is_min ? *r.hi < *out.hi : *r.hi > *out.hi))) out.hi = r.hi;
      }
      if (is_min && !all_lo) out.lo.reset();
      if (!is_min && !all_hi) out.hi.reset();
      return out;
    }
  }
  return {};
}

}  // namespace

std::optional<int64_t> Expr::evaluate(const std::vector<std::pair<std::string, int64_t>>& bindings) const {
  int64_t total = 0;
  for (const auto& [key, coeff] : terms_) {
    int64_t term = coeff;
    for (const auto& [atom, power] : monomials_.at(key).factors) {
      const auto v = eval_atom(*atom, bindings);
      if (!v) return std::nullopt;
      for (int i = 0; i < power; ++i)
        if (__builtin_mul_overflow(term, *v, &term)) return std::nullopt;
    }
    if (__builtin_add_overflow(total, term, &total)) return std::nullopt;
  }
  return total;
}

Range Expr::range(const SymbolBounds& bounds) const {
  Range total{0, 0};
  for (const auto& [key, coeff] : terms_) {
    // A monomial's bounds, for factors known to be non-negative.
    Range m{1, 1};
    for (const auto& [atom, power] : monomials_.at(key).factors) {
      const Range r = atom_range(*atom, bounds);
      if (!r.lo || *r.lo < 0) return {};
      for (int i = 0; i < power; ++i) {
        m.lo = opt_mul(m.lo, r.lo);
        m.hi = opt_mul(m.hi, r.hi);
      }
    }
    const Range t = coeff > 0 ? Range{opt_mul(m.lo, coeff), opt_mul(m.hi, coeff)}
                              : Range{opt_mul(m.hi, coeff), opt_mul(m.lo, coeff)};
    total.lo = opt_add(total.lo, t.lo);
    total.hi = opt_add(total.hi, t.hi);
  }
  return total;
}

std::vector<std::string> Expr::symbols() const {
  std::set<std::string> out;
  for (const auto& [key, m] : monomials_)
    for (const auto& [atom, power] : m.factors) {
      if (atom->kind == AtomKind::Symbol) out.insert(atom->text);
      for (const Expr& a : atom->args)
        for (auto& s : a.symbols()) out.insert(std::move(s));
    }
  return {out.begin(), out.end()};
}

std::optional<bool> decide(std::string_view relation, const Expr& a, const Expr& b, const SymbolBounds& bounds) {
  const Expr d = a - b;
  Range r;
  if (auto c = d.constant_value()) r = {*c, *c};
  else r = d.range(bounds);
  auto known = [](bool yes, bool no) -> std::optional<bool> {
    if (yes) return true;
    if (no) return false;
    return std::nullopt;
  };
  const bool pos = r.lo && *r.lo > 0, nonneg = r.lo && *r.lo >= 0;
  const bool neg = r.hi && *r.hi < 0, nonpos = r.hi && *r.hi <= 0;
  if (relation == "Eq") return known(nonneg && nonpos, pos || neg);
  if (relation == "Ne") return known(pos || neg, nonneg && nonpos);
  if (relation == "Lt") return known(neg, nonneg);
  if (relation == "Le") return known(nonpos, pos);
  if (relation == "Gt") return known(pos, nonpos);
  if (relation == "Ge") return known(nonneg, neg);
  throw std::invalid_argument("unknown relation " + std::string(relation));
}

// ---------------------------------------------------------------- parsing
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '//' | '%') unary)*
//   unary   := '-' unary | primary
//   primary := integer | name | name '(' expr (',' expr)* ')' | '(' expr ')'
//   name    := [A-Za-z_][A-Za-z0-9_.]*

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Expr> run() {
    try {
      auto e = expr();
      skip_space();
      if (!e || pos_ != text_.size()) return std::nullopt;
      return e;
    } catch (const std::domain_error&) {  // a zero divisor, an overflow
      return std::nullopt;
    }
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

  std::optional<Expr> expr() {
    auto lhs = term();
    while (lhs) {
      if (accept("+")) {
        auto rhs = term();
        if (!rhs) return std::nullopt;
        lhs = *lhs + *rhs;
      } else if (accept("-")) {
        auto rhs = term();
        if (!rhs) return std::nullopt;
        lhs = *lhs - *rhs;
      } else {
        break;
      }
    }
    return lhs;
  }

  std::optional<Expr> term() {
    auto lhs = unary();
    while (lhs) {
      if (accept("**")) return std::nullopt;  // not in the grammar
      if (accept("*")) {
        auto rhs = unary();
        if (!rhs) return std::nullopt;
        lhs = *lhs * *rhs;
      } else if (accept("//")) {
        auto rhs = unary();
        if (!rhs) return std::nullopt;
        lhs = Expr::floordiv(*lhs, *rhs);
      } else if (accept("%")) {
        auto rhs = unary();
        if (!rhs) return std::nullopt;
        lhs = Expr::mod(*lhs, *rhs);
      } else {
        break;
      }
    }
    return lhs;
  }

  std::optional<Expr> unary() {
    if (accept("-")) {
      auto v = unary();
      if (!v) return std::nullopt;
      return -*v;
    }
    return primary();
  }

  std::optional<Expr> primary() {
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
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name();
    return std::nullopt;
  }

  std::optional<Expr> integer() {
    int64_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text_[pos_++] - '0', &v)) return std::nullopt;
    return Expr(v);
  }

  std::optional<Expr> name() {
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') break;
      ++pos_;
    }
    const std::string id(text_.substr(start, pos_ - start));
    if (pos_ >= text_.size() || text_[pos_] != '(') return Expr::symbol(id);
    if (id == "Min" || id == "min" || id == "Max" || id == "max") {
      ++pos_;
      std::vector<Expr> args;
      do {
        auto a = expr();
        if (!a) return std::nullopt;
        args.push_back(std::move(*a));
      } while (accept(","));
      if (!accept(")")) return std::nullopt;
      return id == "Min" || id == "min" ? Expr::min(std::move(args)) : Expr::max(std::move(args));
    }
    // Another function (`Int(u0)`): an opaque atom, its text as written.
    int depth = 0;
    for (; pos_ < text_.size(); ++pos_) {
      depth += text_[pos_] == '(' ? 1 : text_[pos_] == ')' ? -1 : 0;
      if (depth == 0) break;
    }
    if (pos_ >= text_.size()) return std::nullopt;
    ++pos_;
    return ExprOps::make_atom(AtomKind::Opaque, std::string(text_.substr(start, pos_ - start)), {});
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<Expr> Expr::parse(std::string_view text) { return Parser(text).run(); }

// A text that does not parse (a dim named `batch size`) stays one opaque
// atom: equal texts still cancel, and nothing evaluates it.
Expr Expr::from_text(const std::string& text) {
  if (auto e = parse(text)) return *e;
  return ExprOps::make_atom(AtomKind::Opaque, text, {});
}

}  // namespace onnxport::sym
