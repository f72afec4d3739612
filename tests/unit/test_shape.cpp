#include <onnxport/shape.hpp>

#include <gtest/gtest.h>

using namespace onnxport;

namespace {
const Dim kBatch = Dim::symbol("batch");
const Dim kSeq = Dim::symbol("seq");
}  // namespace

TEST(Dim, StaticArithmeticFolds) {
  EXPECT_EQ(dim_add(2, 3), Dim(5));
  EXPECT_EQ(dim_sub(2, 3), Dim(-1));
  EXPECT_EQ(dim_mul(4, 3), Dim(12));
  EXPECT_EQ(dim_floordiv(7, 2), Dim(3));
  EXPECT_EQ(dim_floordiv(-7, 2), Dim(-4));  // Python floors toward -inf
  EXPECT_EQ(dim_mod(-7, 3), Dim(2));
  EXPECT_EQ(dim_mod(7, -3), Dim(-2));
  EXPECT_THROW(dim_floordiv(1, 0), std::domain_error);
}

TEST(Dim, SymbolicExpressionsAreCanonical) {
  EXPECT_EQ(dim_mul(kBatch, 2).str(), "(batch*2)");
  EXPECT_EQ(dim_mul(2, kBatch), dim_mul(kBatch, 2));
  EXPECT_EQ(dim_add(kSeq, kBatch), dim_add(kBatch, kSeq));
  EXPECT_EQ(dim_add(kBatch, kSeq).str(), "(batch+seq)");
  EXPECT_EQ(dim_sub(kBatch, 1).str(), "(batch-1)");
  EXPECT_EQ(dim_floordiv(kBatch, 2).str(), "(batch//2)");
  EXPECT_EQ(dim_mod(kBatch, 2).str(), "(batch%2)");
  EXPECT_EQ(dim_mul(dim_add(kBatch, 1), 3).str(), "((batch*3)+3)");  // a polynomial, expanded
  EXPECT_EQ(dim_sub(dim_add(kBatch, 1), kBatch), Dim(1));
  EXPECT_TRUE(dim_mul(kBatch, 2).is_symbolic());
}

TEST(Dim, IdentitiesFold) {
  EXPECT_EQ(dim_add(kBatch, 0), kBatch);
  EXPECT_EQ(dim_mul(kBatch, 1), kBatch);
  EXPECT_EQ(dim_mul(kBatch, 0), Dim(0));
  EXPECT_EQ(dim_sub(kBatch, kBatch), Dim(0));
  EXPECT_EQ(dim_floordiv(kBatch, 1), kBatch);
  EXPECT_EQ(dim_floordiv(kBatch, kBatch), Dim(1));
  EXPECT_EQ(dim_mod(kBatch, 1), Dim(0));
}

TEST(Dim, EvalParsesWhatArithmeticBuilds) {
  const std::vector<std::pair<std::string, int64_t>> env = {{"batch", 6}, {"seq", 4}};
  const Dim built = dim_floordiv(dim_add(dim_mul(kBatch, 2), kSeq), 3);  // ((batch*2)+seq)//3
  EXPECT_EQ(dim_eval(built, env), 5);
  EXPECT_EQ(dim_eval(Dim::symbol("batch + seq * 2"), env), 14);  // precedence
  EXPECT_EQ(dim_eval(Dim::symbol("(batch + seq) * 2"), env), 20);
  EXPECT_EQ(dim_eval(Dim::symbol("-batch // 4"), env), -2);      // floor of -1.5
  EXPECT_EQ(dim_eval(Dim::symbol("batch % 4 - -1"), env), 3);
  EXPECT_EQ(dim_eval(Dim::symbol("x.size_0"), {{"x.size_0", 9}}), 9);
  EXPECT_EQ(dim_eval(Dim(42), {}), 42);
  EXPECT_EQ(dim_eval(Dim::symbol("Min(batch, 3) + max(seq, 7)"), env), 10);
}

TEST(Dim, EvalFailsCleanly) {
  const std::vector<std::pair<std::string, int64_t>> env = {{"batch", 6}};
  EXPECT_FALSE(dim_eval(Dim::symbol("(batch*u0)"), env).has_value());  // unbound symbol
  EXPECT_FALSE(dim_eval(Dim::symbol("(batch*"), env).has_value());     // malformed
  EXPECT_FALSE(dim_eval(Dim::symbol("batch // 0"), env).has_value());  // division by zero
  EXPECT_FALSE(dim_eval(Dim::symbol("batch 2"), env).has_value());     // trailing garbage
}

TEST(Shape, Helpers) {
  const Shape s = {2, kBatch, 3};
  EXPECT_FALSE(shape_is_static(s));
  EXPECT_FALSE(static_sizes(s).has_value());
  EXPECT_EQ(shape_str(s), "[2, batch, 3]");
  EXPECT_EQ(shape_numel(s).str(), "(batch*6)");
  const Shape t = shape_of({2, 3});
  EXPECT_TRUE(shape_is_static(t));
  EXPECT_EQ(static_sizes(t), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(shape_numel(t), Dim(6));
  EXPECT_EQ(shape_str({}), "[]");
}

TEST(Dim, RepeatedScalingFoldsConstants) {
  EXPECT_EQ(dim_mul(dim_mul(kBatch, 2), 3).str(), "(batch*6)");
  EXPECT_EQ(dim_mul(dim_mul(dim_add(kBatch, 1), 3), 2).str(), "((batch*6)+6)");
  EXPECT_EQ(dim_mul(dim_mul(kBatch, kSeq), 2).str(), "((batch*seq)*2)");
  EXPECT_EQ(dim_mul(dim_mul(kBatch, -1), -1), kBatch);
}
