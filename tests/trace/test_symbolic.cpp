// The symbolic integer algebra (core/src/base/sym_expr.hpp): canonical form,
// Python floor division and modulo, Min/Max, bounds and decided comparisons.
#include "base/sym_expr.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

namespace onnxport::sym {
namespace {

const Expr a = Expr::symbol("a");
const Expr b = Expr::symbol("b");
const Expr u0 = Expr::symbol("u0");

Expr parsed(const std::string& text) {
  auto e = Expr::parse(text);
  EXPECT_TRUE(e.has_value()) << text;
  return e.value_or(Expr());
}

TEST(SymExpr, CancelsToCanonicalForm) {
  EXPECT_EQ((u0 + 1) - u0, Expr(1));
  EXPECT_EQ(((u0 + 1) - u0).constant_value(), 1);
  EXPECT_EQ(Expr(2) * a - a, a);
  EXPECT_EQ(a + b, b + a);
  EXPECT_EQ(a * b, b * a);
  EXPECT_EQ((a + 1) * (a - 1), a * a - 1);
  EXPECT_EQ(((a + b) * 2 - b * 2).str(), "(a*2)");
  EXPECT_TRUE((a - a).is_constant());
}

TEST(SymExpr, PrintsParenthesizedCanonicalText) {
  EXPECT_EQ(a.str(), "a");
  EXPECT_EQ((a * 2).str(), "(a*2)");
  EXPECT_EQ((a + b).str(), "(a+b)");
  EXPECT_EQ((a - 1).str(), "(a-1)");
  EXPECT_EQ((Expr(3) - a).str(), "(3-a)");
  EXPECT_EQ((b - a).str(), "(b-a)");
  EXPECT_EQ((-a).str(), "(a*-1)");
  EXPECT_EQ((a * b * 2).str(), "((a*b)*2)");
  EXPECT_EQ((a * a).str(), "(a*a)");
  EXPECT_EQ(Expr(0).str(), "0");
}

TEST(SymExpr, TextRoundTrips) {
  for (const Expr& e : {a, a * 2 + b, Expr(3) - a, -a * b + 7, Expr::floordiv(a + 1, 2), Expr::mod(a * 3, 4),
                        Expr::min({a, 3}), Expr::max({a + b, b * 2}) - 1})
    EXPECT_EQ(parsed(e.str()), e) << e.str();
  EXPECT_EQ(parsed("2*a - a"), a);
  EXPECT_EQ(parsed("a + b * 2"), a + b * 2);  // precedence
  EXPECT_EQ(parsed("(a + b) * 2"), (a + b) * 2);
  EXPECT_FALSE(Expr::parse("a +").has_value());
  EXPECT_FALSE(Expr::parse("a b").has_value());
  EXPECT_FALSE(Expr::parse("a // 0").has_value());
  EXPECT_FALSE(Expr::parse("99999999999999999999").has_value());
}

TEST(SymExpr, UnknownFunctionsAndTextsStayOpaque) {
  const Expr i = parsed("Int(u0) * 2");
  EXPECT_EQ(i.str(), "(Int(u0)*2)");
  EXPECT_EQ(i - parsed("Int(u0)") * 2, Expr(0));
  EXPECT_FALSE(i.evaluate({{"u0", 1}}).has_value());
  const Expr odd = Expr::from_text("batch size");
  EXPECT_EQ(odd - Expr::from_text("batch size"), Expr(0));
  EXPECT_EQ((odd * 2).str(), "(batch size*2)");
}

TEST(SymExpr, FloorDivisionByAConstantPullsOutMultiples) {
  EXPECT_EQ(Expr::floordiv(a * 2 + 3, 2), a + 1);
  EXPECT_EQ(Expr::floordiv(a * 4, 2), a * 2);
  EXPECT_EQ(Expr::floordiv(a, 1), a);
  EXPECT_EQ(Expr::floordiv(a, -1), -a);
  EXPECT_EQ(Expr::floordiv(a + 1, 2).str(), "((a+1)//2)");
  EXPECT_EQ(Expr::floordiv(a * 12, 8).str(), "((a*3)//2)");       // common factor cancelled
  EXPECT_EQ(Expr::floordiv(a * 12 + 20, 8), Expr::floordiv(a * 3 + 1, 2) + 2);  // constant multiples pulled out
  EXPECT_EQ(Expr::floordiv(Expr::floordiv(a, 2), 3), Expr::floordiv(a, 6));
  EXPECT_EQ(Expr::floordiv(Expr(-7), 2), Expr(-4));
  EXPECT_EQ(Expr::floordiv(a * b * 3, b), a * 3);  // exact division by a monomial
  EXPECT_EQ(Expr::floordiv(a, a), Expr(1));
  EXPECT_THROW(Expr::floordiv(a, 0), std::domain_error);
}

TEST(SymExpr, ModuloByAConstantReducesCoefficients) {
  EXPECT_EQ(Expr::mod(a * 2 + 3, 2), Expr(1));
  EXPECT_EQ(Expr::mod(a + 2, 2), Expr::mod(a, 2));
  EXPECT_EQ(Expr::mod(Expr::mod(a, 4), 4), Expr::mod(a, 4));
  EXPECT_EQ(Expr::mod(Expr(-7), 3), Expr(2));
  EXPECT_EQ(Expr::mod(Expr(7), -3), Expr(-2));
  EXPECT_EQ(Expr::mod(a * b, b), Expr(0));
  EXPECT_THROW(Expr::mod(a, 0), std::domain_error);
}

TEST(SymExpr, MinAndMax) {
  EXPECT_EQ(Expr::min({Expr(3), Expr(5)}), Expr(3));
  EXPECT_EQ(Expr::min({a, a + 1}), a);
  EXPECT_EQ(Expr::max({a, a + 1}), a + 1);
  EXPECT_EQ(Expr::min({a, 3}), Expr::min({Expr(3), a}));  // operands ordered
  EXPECT_EQ(Expr::min({Expr::min({a, b}), 3}), Expr::min({a, b, 3}));  // flattened
  EXPECT_EQ(Expr::min({a, a}), a);
  EXPECT_EQ(Expr::min({a, 3}).str(), "Min(3, a)");
  EXPECT_THROW(Expr::min({}), std::invalid_argument);
}

// Every simplification must keep the value: compare with Python semantics on
// random values (negative ones too).
TEST(SymExpr, SimplificationsKeepValues) {
  auto py_floordiv = [](int64_t x, int64_t y) {
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
    return q;
  };
  auto py_mod = [&](int64_t x, int64_t y) { return x - y * py_floordiv(x, y); };
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> value(-20, 20), divisor(1, 6);
  for (int trial = 0; trial < 2000; ++trial) {
    const int64_t va = value(rng), vb = value(rng), c = divisor(rng) * (trial % 3 == 0 ? -1 : 1);
    const int64_t k1 = value(rng), k2 = value(rng);
    const std::vector<std::pair<std::string, int64_t>> env = {{"a", va}, {"b", vb}};
    const Expr n = a * k1 + b * k2 + 5;
    const int64_t vn = va * k1 + vb * k2 + 5;
    EXPECT_EQ(Expr::floordiv(n, c).evaluate(env), py_floordiv(vn, c)) << n.str() << " // " << c;
    EXPECT_EQ(Expr::mod(n, c).evaluate(env), py_mod(vn, c)) << n.str() << " % " << c;
    if (c > 0) {
      EXPECT_EQ(Expr::floordiv(Expr::floordiv(n, c), 3).evaluate(env), py_floordiv(py_floordiv(vn, c), 3));
      EXPECT_EQ(Expr::floordiv(Expr::floordiv(n, c) + 2, 3).evaluate(env), py_floordiv(py_floordiv(vn, c) + 2, 3));
    }
    EXPECT_EQ(Expr::min({n, a + 1, 4}).evaluate(env), std::min({vn, va + 1, int64_t{4}}));
    EXPECT_EQ(Expr::max({n, a + 1, 4}).evaluate(env), std::max({vn, va + 1, int64_t{4}}));
    EXPECT_EQ(parsed(Expr::floordiv(n, c).str()).evaluate(env), py_floordiv(vn, c));
  }
}

TEST(SymExpr, OverflowIsAnErrorNotAWrongValue) {
  const Expr big(INT64_MAX);
  EXPECT_THROW(big + 1, std::domain_error);
  EXPECT_THROW(a * INT64_MAX * 2, std::domain_error);
  EXPECT_FALSE((a * 4).evaluate({{"a", INT64_MAX / 2}}).has_value());
}

TEST(SymExpr, ComparisonsDecidedByTheFormAndBounds) {
  EXPECT_EQ(decide("Eq", (u0 + 1) - u0, Expr(1)), true);
  EXPECT_EQ(decide("Lt", a, a + 1), true);
  EXPECT_EQ(decide("Ge", a, a + 1), false);
  EXPECT_EQ(decide("Eq", a, Expr(3)), std::nullopt);  // unknown without bounds
  const SymbolBounds dims = {{"a", 2}, {"b", 2}};
  EXPECT_EQ(decide("Eq", a, Expr(1), dims), false);
  EXPECT_EQ(decide("Gt", a * b, Expr(3), dims), true);
  EXPECT_EQ(decide("Eq", a, Expr(3), dims), std::nullopt);
  EXPECT_EQ(decide("Le", Expr::min({a, 3}), Expr(3), dims), true);
  EXPECT_EQ(decide("Ge", Expr::min({a, 3}), Expr(2), dims), true);
  EXPECT_EQ(decide("Lt", Expr::mod(a, 4), Expr(4), dims), true);
  EXPECT_EQ(decide("Ge", Expr::max({a, 5}), Expr(5), dims), true);
  EXPECT_EQ(decide("Lt", Expr::floordiv(a, 2), Expr(1), dims), false);
  EXPECT_EQ(decide("Gt", a - b, Expr(0), dims), std::nullopt);
  EXPECT_EQ(a.range(dims).lo, 2);
  EXPECT_FALSE(a.range(dims).hi.has_value());
}

TEST(SymExpr, Symbols) {
  EXPECT_EQ((Expr::min({a * 2, 3}) + Expr::floordiv(b, 2)).symbols(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace onnxport::sym
