// The registry itself and the OpArg helpers.
#include "op_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace onnxport::test {
namespace {

TEST(OpLibrary, OneInstanceWithTheSeedOpsRegistered) {
  OpLibrary& lib = OpLibrary::instance();
  EXPECT_EQ(&lib, &OpLibrary::instance());
  for (const char* op : {"aten::linear", "aten::sum", "aten::mul", "aten::neg", "aten::gt", "aten::ne", "aten::Bool",
                         "aten::is_nonzero", "aten::Int", "aten::item", "aten::Float"}) {
    const OpDef* def = lib.find(op);
    ASSERT_NE(def, nullptr) << op;
    EXPECT_EQ(def->name, op);
    EXPECT_TRUE(def->meta) << op;
    EXPECT_TRUE(def->kernel) << op;
    EXPECT_FALSE(def->family.empty()) << op;
  }
  // In-place variants are looked up without the underscore by the engine.
  EXPECT_EQ(lib.find("aten::relu_"), nullptr);
  EXPECT_EQ(lib.find("aten::no_such_op"), nullptr);
  const auto names = lib.names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_GT(names.size(), 150u);
}

TEST(OpLibrary, AddReplacesADefinition) {
  OpLibrary& lib = OpLibrary::instance();
  OpDef def;
  def.name = "test::custom_identity";
  def.family = "test";
  def.meta = [](const std::vector<OpArg>& args) { return std::vector<TensorMeta>{args.at(0).meta}; };
  lib.add(def);
  ASSERT_NE(lib.find("test::custom_identity"), nullptr);
  EXPECT_FALSE(lib.find("test::custom_identity")->kernel);
  def.kernel = [](const std::vector<OpArg>& args) { return std::vector<Tensor>{*args.at(0).data}; };
  lib.add(def);
  EXPECT_TRUE(lib.find("test::custom_identity")->kernel);
}

TEST(OpArgHelpers, ConversionsAndKindErrors) {
  EXPECT_EQ(const_arg(3).as_int(), 3);
  EXPECT_EQ(const_arg(true).as_int(), 1);
  EXPECT_DOUBLE_EQ(const_arg(2).as_double(), 2.0);
  EXPECT_TRUE(const_arg(true).as_bool());
  EXPECT_EQ(sym_arg(Dim(7)).as_int(), 7);
  EXPECT_THROW(sym_arg(Dim::symbol("batch")).as_int(), OpError);
  EXPECT_THROW(const_arg("x").as_int(), OpError);
  EXPECT_THROW(none_arg().as_double(), OpError);
  EXPECT_EQ(list_arg({const_arg(1), sym_arg(Dim(2))}).as_int_list(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(const_arg(nlohmann::json::array({4, 5})).as_int_list(), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(const_arg(4).as_int_list(), (std::vector<int64_t>{4}));  // int[1] accepts a bare int
  const auto dims = list_arg({sym_arg(Dim::symbol("b")), const_arg(3)}).as_dim_list();
  EXPECT_EQ(shape_str(dims), "[b, 3]");
  EXPECT_EQ(const_arg(nlohmann::json{{"dtype", "float64"}}).as_dtype(), DType::Float64);
  EXPECT_EQ(const_arg(6).as_dtype(), DType::Float32);  // c10::ScalarType code of float
  EXPECT_EQ(const_arg("int64").as_dtype(), DType::Int64);
  EXPECT_EQ(none_arg().as_dtype(), std::nullopt);
  EXPECT_THROW(const_arg("complex64").as_dtype(), OpError);
  try {
    const_arg(1.5).as_int();
    FAIL() << "no error";
  } catch (const OpError& e) {
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
}

TEST(OpArgHelpers, NormalizeDim) {
  EXPECT_EQ(normalize_dim(-1, 3), 2);
  EXPECT_EQ(normalize_dim(0, 3), 0);
  EXPECT_EQ(normalize_dim(-1, 0), 0);  // 0-d tensors accept 0 and -1
  EXPECT_THROW(normalize_dim(3, 3), OpError);
  EXPECT_THROW(normalize_dim(-4, 3), OpError);
  EXPECT_THROW(normalize_dim(1, 0), OpError);
}

TEST(OpLibrary, KernelOutputsDoNotAliasWritableInputs) {
  // Kernels allocate their outputs; the input tensor must be left untouched.
  ArgStore s;
  Tensor x = Tensor::from_vector<float>(DType::Float32, {3}, {1, -2, 3});
  OpArg a = tensor_arg(s, x);
  Tensor y = run_kernel("aten::neg", {a})[0];
  EXPECT_FLOAT_EQ(s.tensors.back().get_double(1), -2.0f);
  EXPECT_FLOAT_EQ(y.get_double(1), 2.0f);
}

}  // namespace
}  // namespace onnxport::test
