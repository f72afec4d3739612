// Python-level constant folding follows Python's semantics.
#include "trace/scalar_ops.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace onnxport::trace {
namespace {

using json = nlohmann::json;

json fold(const std::string& kind, std::vector<json> args) { return eval_scalar_op(kind, args); }

TEST(ScalarOps, DivisionAndModuloRoundTowardMinusInfinity) {
  EXPECT_EQ(fold("aten::floordiv", {-7, 2}), -4);
  EXPECT_EQ(fold("aten::floordiv", {7, -2}), -4);
  EXPECT_EQ(fold("aten::remainder", {-7, 2}), 1);
  EXPECT_EQ(fold("aten::remainder", {7, -2}), -1);
  EXPECT_DOUBLE_EQ(fold("aten::div", {7, 2}).get<double>(), 3.5);  // true division, even for ints
  EXPECT_THROW(fold("aten::floordiv", {1, 0}), ScalarOpError);
}

TEST(ScalarOps, IntsStayIntsAndFloatsWin) {
  EXPECT_TRUE(fold("aten::add", {2, 3}).is_number_integer());
  EXPECT_TRUE(fold("aten::mul", {2, 1.5}).is_number_float());
  EXPECT_EQ(fold("aten::add", {true, 1}), 2);  // bools act as ints
  EXPECT_EQ(fold("aten::pow", {2, 10}), 1024);
}

TEST(ScalarOps, ComparisonsAndLogic) {
  EXPECT_EQ(fold("aten::lt", {1, 1.5}), true);
  EXPECT_EQ(fold("aten::eq", {2, 2.0}), true);
  EXPECT_EQ(fold("aten::eq", {json::array({1, 2}), json::array({1, 2})}), true);
  EXPECT_EQ(fold("aten::ne", {"a", "b"}), true);
  EXPECT_EQ(fold("aten::__not__", {0}), true);
  EXPECT_EQ(fold("aten::__and__", {true, false}), false);
  EXPECT_EQ(fold("aten::__is__", {nullptr, nullptr}), true);
  EXPECT_EQ(fold("aten::__isnot__", {1, nullptr}), true);
  EXPECT_EQ(fold("aten::__contains__", {json::array({1, 2, 3}), 2}), true);
  EXPECT_EQ(fold("aten::__contains__", {"abc", "bc"}), true);
  EXPECT_EQ(fold("aten::all", {json::array({true, 1, "x"})}), true);
  EXPECT_EQ(fold("aten::all", {json::array({true, false})}), false);
  EXPECT_EQ(fold("aten::any", {json::array({false, 0})}), false);
  EXPECT_EQ(fold("aten::any", {json::array()}), false);
}

TEST(ScalarOps, SequencesAndStrings) {
  EXPECT_EQ(fold("aten::len", {json::array({1, 2, 3})}), 3);
  EXPECT_EQ(fold("aten::__getitem__", {json::array({1, 2, 3}), -1}), 3);
  EXPECT_THROW(fold("aten::__getitem__", {json::array({1}), 3}), ScalarOpError);
  EXPECT_EQ(fold("aten::add", {json::array({1}), json::array({2})}), json::array({1, 2}));
  EXPECT_EQ(fold("aten::mul", {json::array({0}), 3}), json::array({0, 0, 0}));
  EXPECT_EQ(fold("aten::__range_length", {0, 10, 3}), 4);
  EXPECT_EQ(fold("aten::__range_length", {10, 0, -3}), 4);
  EXPECT_EQ(fold("aten::__derive_index", {2, 5, 3}), 11);  // start + index * step
  EXPECT_EQ(fold("prim::max", {json::array({3, 7, 5})}), 7);
  EXPECT_EQ(fold("aten::Int", {"42"}), 42);
  EXPECT_EQ(fold("aten::Int", {-2.7}), -2);
}

// sum(list) as TorchScript's aten::sum.int / .float / .bool (Swin: `if sum(shift_size) > 0`).
TEST(ScalarOps, SumOfAListOfNumbers) {
  EXPECT_EQ(fold("aten::sum", {json::array({3, 0, 4})}), 7);
  EXPECT_TRUE(fold("aten::sum", {json::array({3, 4})}).is_number_integer());
  EXPECT_EQ(fold("aten::sum", {json::array({true, false, true})}), 2);  // sum.bool counts the Trues
  EXPECT_DOUBLE_EQ(fold("aten::sum", {json::array({1.5, 2})}).get<double>(), 3.5);
  EXPECT_EQ(fold("aten::sum", {json::array()}), 0);
  EXPECT_THROW(fold("aten::sum", {json::array({1, "a"})}), ScalarOpError);
  EXPECT_THROW(fold("aten::sum", {3}), ScalarOpError);
  EXPECT_THROW(fold("aten::sum", {json::array({std::numeric_limits<int64_t>::max(), 1})}), ScalarOpError);
}

TEST(ScalarOps, StrAndFormatAsPythonPrintsThem) {
  EXPECT_EQ(python_str(true), "True");
  EXPECT_EQ(python_str(nullptr), "None");
  EXPECT_EQ(python_str(2.0), "2.0");
  EXPECT_EQ(python_str(0.1), "0.1");
  EXPECT_EQ(python_str(json::array({1, "a"})), "[1, 'a']");
  EXPECT_EQ(fold("aten::format", {"expected {}D input (got {}D)", 4, 3}), "expected 4D input (got 3D)");
  EXPECT_EQ(python_format("{1}-{0} {{}}", {"a", "b"}), "b-a {}");
  EXPECT_THROW(python_format("{} {}", {"only one"}), ScalarOpError);
}

}  // namespace
}  // namespace onnxport::trace
