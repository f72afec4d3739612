// Tracer: what a branch of a rewritten cond knows about its condition.
//
// Inside the then-branch of `if x.shape[0] == 3:` (an ONNX If on
// Equal(Shape(x)[0], 3)), that branch only ever runs when batch is 3, so the
// engine may use it: a nested test of the same condition is decided, and the
// sizes the branch computes from batch are concrete (3) instead of symbolic.
// In the else-branch the condition is known false (batch != 3). Both are
// sound for the same reason the If is: each branch is only run where its
// condition holds. docs/strategies.md, "Branches on a dynamic dim".
#include "tracer.hpp"

#include "base/sym_expr.hpp"

#include <algorithm>
#include <cstdint>

namespace onnxport::trace {

namespace {

// "Eq(batch, 3)" -> {"Eq", {"batch", "3"}}; nullopt when `text` is not one
// call of a name with comma-separated arguments (nested parentheses allowed).
std::optional<std::pair<std::string, std::vector<std::string>>> split_call(const std::string& text) {
  const size_t open = text.find('(');
  if (open == std::string::npos || open == 0 || text.back() != ')') return std::nullopt;
  std::vector<std::string> args;
  int depth = 0;
  size_t start = open + 1;
  for (size_t i = open + 1; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c == '(') ++depth;
    else if (c == ')' && --depth < 0) return std::nullopt;  // the call closes before the end
    else if (c == ',' && depth == 0) {
      args.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) return std::nullopt;
  args.push_back(text.substr(start, text.size() - 1 - start));
  for (std::string& a : args) {
    const size_t b = a.find_first_not_of(' ');
    const size_t e = a.find_last_not_of(' ');
    a = b == std::string::npos ? std::string() : a.substr(b, e - b + 1);
  }
  return std::make_pair(text.substr(0, open), std::move(args));
}

// `Gt(symbol, c)`, `Ge(symbol, c)`, `Lt(c, symbol)`, `Le(c, symbol)`: the
// symbol and the lower bound it implies.
std::optional<std::pair<std::string, int64_t>> bounded_symbol(const std::string& name,
                                                             const std::vector<std::string>& args) {
  if (args.size() != 2) return std::nullopt;
  const bool symbol_left = name == "Gt" || name == "Ge";
  const bool symbol_right = name == "Lt" || name == "Le";
  if (!symbol_left && !symbol_right) return std::nullopt;
  const auto s = sym::Expr::parse(args[symbol_left ? 0 : 1]), c = sym::Expr::parse(args[symbol_left ? 1 : 0]);
  if (!s || !c) return std::nullopt;
  const sym::AtomPtr atom = s->as_atom();
  const auto value = c->constant_value();
  if (!atom || atom->kind != sym::AtomKind::Symbol || !value) return std::nullopt;
  const bool strict = name == "Gt" || name == "Lt";
  if (strict && *value == INT64_MAX) return std::nullopt;
  return std::make_pair(atom->text, strict ? *value + 1 : *value);
}

// `Eq(symbol, c)` or `Eq(c, symbol)`: the symbol and its value.
std::optional<std::pair<std::string, int64_t>> pinned_symbol(const std::string& name,
                                                            const std::vector<std::string>& args) {
  if (name != "Eq" || args.size() != 2) return std::nullopt;
  const auto a = sym::Expr::parse(args[0]), b = sym::Expr::parse(args[1]);
  if (!a || !b) return std::nullopt;
  for (const auto& [s, c] : {std::make_pair(*a, *b), std::make_pair(*b, *a)}) {
    const sym::AtomPtr atom = s.as_atom();
    const auto value = c.constant_value();
    if (atom && atom->kind == sym::AtomKind::Symbol && value) return std::make_pair(atom->text, *value);
  }
  return std::nullopt;
}

struct Facts {
  std::vector<std::string>& known_true;
  std::vector<std::string>& known_false;
  std::vector<std::pair<std::string, int64_t>>& bindings;
  std::vector<std::pair<std::string, int64_t>>& lower_bounds;
};

// Records that `holds` is true (and `fails` false); an `And(...)` that holds
// makes each of its operands hold.
void add_fact(Facts& facts, const std::string& holds, const std::string& fails) {
  if (!holds.empty()) facts.known_true.push_back(holds);
  if (!fails.empty()) facts.known_false.push_back(fails);
  const auto call = split_call(holds);
  if (!call) return;
  if (call->first == "And") {
    for (const std::string& operand : call->second) add_fact(facts, operand, "");
    return;
  }
  if (auto pin = pinned_symbol(call->first, call->second)) facts.bindings.push_back(*pin);
  if (auto bound = bounded_symbol(call->first, call->second)) facts.lower_bounds.push_back(*bound);
}

}  // namespace

void Tracer::assume_branch(const SymScalar& cond, bool taken) {
  if (concrete() || frames_.empty() || cond.type != ScalarType::Bool) return;
  Frame& f = frames_.back();
  Facts facts{f.known_true, f.known_false, f.bindings, f.lower_bounds};
  add_fact(facts, taken ? cond.expr : cond.negated, taken ? cond.negated : cond.expr);
}

std::optional<bool> Tracer::known_condition(const std::string& expr) const {
  if (expr.empty()) return std::nullopt;
  for (const Frame& f : frames_) {
    if (std::find(f.known_true.begin(), f.known_true.end(), expr) != f.known_true.end()) return true;
    if (std::find(f.known_false.begin(), f.known_false.end(), expr) != f.known_false.end()) return false;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, int64_t>> Tracer::branch_bindings() const {
  std::vector<std::pair<std::string, int64_t>> all;
  for (const Frame& f : frames_) all.insert(all.end(), f.bindings.begin(), f.bindings.end());
  return all;
}

sym::SymbolBounds Tracer::known_bounds() const {
  sym::SymbolBounds bounds = symbol_bounds_;
  if (concrete()) return bounds;
  for (const Frame& f : frames_)
    for (const auto& [symbol, lo] : f.lower_bounds) {
      auto [it, added] = bounds.emplace(symbol, lo);
      if (!added) it->second = std::max(it->second, lo);
    }
  return bounds;
}

Dim Tracer::known_dim(const Dim& d) const {
  if (d.is_static() || concrete() || frames_.empty()) return d;
  const auto bindings = branch_bindings();
  if (bindings.empty()) return d;
  if (auto v = dim_eval(d, bindings)) return Dim(*v);
  return d;
}

Shape Tracer::known_shape(const Shape& s) const {
  if (concrete() || frames_.empty() || shape_is_static(s)) return s;
  const auto bindings = branch_bindings();
  if (bindings.empty()) return s;
  Shape out = s;
  for (Dim& d : out)
    if (d.is_symbolic())
      if (auto v = dim_eval(d, bindings)) d = Dim(*v);
  return out;
}

// A size that is Min(...) or Max(...) of operands the dims' known lower
// bounds order (Min(4, batch) with batch >= 4 is 4): the deciding operand.
// Sizes the metas clamp (Python slicing) come out this way.
Dim Tracer::settled_dim(const Dim& d) const {
  if (d.is_static()) return d;
  const sym::Expr e = sym::Expr::from_text(d.expr());
  const sym::AtomPtr atom = e.as_atom();
  if (!atom || (atom->kind != sym::AtomKind::Min && atom->kind != sym::AtomKind::Max)) return d;
  const bool is_min = atom->kind == sym::AtomKind::Min;
  const sym::SymbolBounds bounds = known_bounds();
  for (const sym::Expr& candidate : atom->args) {
    bool extreme = true;
    for (const sym::Expr& other : atom->args) {
      if (&other == &candidate) continue;
      const auto order = sym::decide(is_min ? "Le" : "Ge", candidate, other, bounds);
      if (!order.value_or(false)) {
        extreme = false;
        break;
      }
    }
    if (!extreme) continue;
    if (auto c = candidate.constant_value()) return Dim(*c);
    return settled_dim(Dim::symbol(candidate.str()));
  }
  return d;
}

}  // namespace onnxport::trace
