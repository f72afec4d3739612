// Bad calls give an OpError that names the op and what was wrong (shapes,
// positions, values), never a crash.
#include "op_test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace onnxport::test {
namespace {

// Runs the kernel (or only the meta) and returns the OpError message.
std::string error_of(const std::string& op, const std::vector<OpArg>& args, bool meta_only = false) {
  try {
    if (meta_only) run_meta(op, args);
    else run_kernel(op, args);
  } catch (const OpError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an OpError: ") + e.what();
  }
  return "no error";
}

Tensor zeros(std::vector<int64_t> shape, DType d = DType::Float32) { return Tensor::zeros(d, std::move(shape)); }

OpArg ints(std::vector<int64_t> v) {
  std::vector<OpArg> items;
  for (int64_t x : v) items.push_back(const_arg(x));
  return list_arg(std::move(items));
}

#define EXPECT_MENTIONS(message, ...)                                        \
  do {                                                                       \
    const std::string msg_ = (message);                                      \
    for (const char* part : {__VA_ARGS__})                                   \
      EXPECT_NE(msg_.find(part), std::string::npos) << "missing '" << part << "' in: " << msg_; \
  } while (0)

TEST(OpErrors, IncompatibleBroadcastNamesOpAndShapes) {
  ArgStore s;
  EXPECT_MENTIONS(error_of("aten::mul", {tensor_arg(s, zeros({2, 3})), tensor_arg(s, zeros({4}))}), "aten::mul", "[2, 3]", "[4]");
  EXPECT_MENTIONS(error_of("aten::add", {meta_arg(DType::Float32, {Dim::symbol("n")}), meta_arg(DType::Float32, {Dim::symbol("m")}),
                                         const_arg(1)}, true),
                  "aten::add", "[n]", "[m]");
  EXPECT_MENTIONS(error_of("aten::where", {tensor_arg(s, zeros({2}, DType::Bool)), tensor_arg(s, zeros({3})), const_arg(0.0)}),
                  "aten::where", "[2]", "[3]");
}

TEST(OpErrors, MatrixProductsNameBothShapes) {
  ArgStore s;
  EXPECT_MENTIONS(error_of("aten::matmul", {tensor_arg(s, zeros({2, 3})), tensor_arg(s, zeros({4, 5}))}), "aten::matmul", "[2, 3]",
                  "[4, 5]");
  EXPECT_MENTIONS(error_of("aten::linear", {tensor_arg(s, zeros({3})), tensor_arg(s, zeros({2, 4})), none_arg()}), "aten::linear",
                  "[3]", "[2, 4]");
  EXPECT_MENTIONS(error_of("aten::mm", {tensor_arg(s, zeros({2, 3, 4})), tensor_arg(s, zeros({4, 5}))}), "aten::mm", "2-D",
                  "[2, 3, 4]");
  EXPECT_MENTIONS(error_of("aten::linear", {tensor_arg(s, zeros({3})), tensor_arg(s, zeros({2, 3}, DType::Float64)), none_arg()}),
                  "aten::linear", "float32", "float64");
}

TEST(OpErrors, ViewOfTheWrongSize) {
  ArgStore s;
  EXPECT_MENTIONS(error_of("aten::view", {tensor_arg(s, zeros({2, 3})), ints({4, 2})}), "aten::view", "[4, 2]", "[2, 3]");
  EXPECT_MENTIONS(error_of("aten::reshape", {tensor_arg(s, zeros({7})), ints({2, -1})}), "aten::reshape", "[2, -1]", "7");
  EXPECT_MENTIONS(error_of("aten::view", {tensor_arg(s, zeros({6})), ints({-1, -1})}), "aten::view", "only one");
}

TEST(OpErrors, ScalarConversionNeedsOneElement) {
  ArgStore s;
  EXPECT_MENTIONS(error_of("aten::Bool", {tensor_arg(s, zeros({2}))}), "aten::Bool", "[2]", "exactly one element");
  EXPECT_MENTIONS(error_of("aten::Int", {tensor_arg(s, zeros({0}))}, true), "aten::Int", "[0]");
  EXPECT_MENTIONS(error_of("aten::item", {tensor_arg(s, zeros({1, 3}))}), "aten::item", "[1, 3]");
  Tensor nan = Tensor::scalar(DType::Float32, std::nan(""));
  EXPECT_MENTIONS(error_of("aten::Int", {tensor_arg(s, nan)}), "aten::Int", "cannot convert");
}

TEST(OpErrors, ArgumentsOfTheWrongKindOrMissing) {
  ArgStore s;
  // Every op binds its call to its schema first (docs/architecture.md §4a).
  EXPECT_MENTIONS(error_of("aten::linear", {tensor_arg(s, zeros({3}))}), "aten::linear", "argument 'weight'",
                  "missing and has no default");
  EXPECT_MENTIONS(error_of("aten::sum", {tensor_arg(s, zeros({3})), const_arg("x"), const_arg(false), none_arg()}), "aten::sum",
                  "fits no schema", "aten::sum.dim_IntList(Tensor self, int[1]? dim", "argument 'dim' (position 1)");
  // A number binds aten::neg.int(int a), whose argument the tensor op does not read.
  EXPECT_MENTIONS(error_of("aten::neg", {const_arg(3)}), "aten::neg", "no argument 'self'", "aten::neg.int(int a)");
  EXPECT_MENTIONS(error_of("aten::gelu", {tensor_arg(s, zeros({3})), const_arg("fast")}), "aten::gelu", "'fast'");
  EXPECT_MENTIONS(error_of("aten::transpose", {tensor_arg(s, zeros({2, 3})), const_arg(0), const_arg(2)}), "aten::transpose",
                  "dim 2 out of range");
  EXPECT_MENTIONS(error_of("aten::to", {tensor_arg(s, zeros({2})), const_arg(nlohmann::json{{"dtype", "complex128"}}), const_arg(false),
                                        const_arg(false), none_arg()}),
                  "aten::to", "complex128");
  // A symbolic size where the kernel needs a concrete one.
  EXPECT_MENTIONS(error_of("aten::zeros", {list_arg({sym_arg(Dim::symbol("b"))}), none_arg(), none_arg(), none_arg(), none_arg()}),
                  "aten::zeros", "symbolic");
}

TEST(OpErrors, DataErrorsInKernels) {
  ArgStore s;
  Tensor ints5 = Tensor::from_vector<int64_t>(DType::Int64, {2}, {4, 0});
  EXPECT_MENTIONS(error_of("aten::floor_divide", {tensor_arg(s, ints5), tensor_arg(s, ints5)}), "aten::floor_divide", "division by zero");
  Tensor idx = Tensor::from_vector<int64_t>(DType::Int64, {2}, {0, 9});
  EXPECT_MENTIONS(error_of("aten::embedding", {tensor_arg(s, zeros({4, 2})), tensor_arg(s, idx), const_arg(-1), const_arg(false),
                                               const_arg(false)}),
                  "aten::embedding", "9", "4 rows");
  EXPECT_MENTIONS(error_of("aten::index_select", {tensor_arg(s, zeros({4, 2})), const_arg(0), tensor_arg(s, idx)}),
                  "aten::index_select", "9");
  EXPECT_MENTIONS(error_of("aten::dropout", {tensor_arg(s, zeros({3})), const_arg(0.5), const_arg(true)}), "aten::dropout",
                  "eval mode");
  EXPECT_MENTIONS(error_of("aten::mean", {tensor_arg(s, zeros({3}, DType::Int64)), none_arg()}), "aten::mean", "int64");
}

TEST(OpErrors, NnShapeChecks) {
  ArgStore s;
  EXPECT_MENTIONS(error_of("aten::conv2d", {tensor_arg(s, zeros({1, 4, 8, 8})), tensor_arg(s, zeros({2, 3, 3, 3})), none_arg(),
                                            ints({1, 1}), ints({0, 0}), ints({1, 1}), const_arg(1)}),
                  "aten::conv2d", "[1, 4, 8, 8]", "[2, 3, 3, 3]", "channels");
  EXPECT_MENTIONS(error_of("aten::conv2d", {tensor_arg(s, zeros({1, 3, 2, 2})), tensor_arg(s, zeros({2, 3, 3, 3})), none_arg(),
                                            ints({1, 1}), ints({0, 0}), ints({1, 1}), const_arg(1)}),
                  "aten::conv2d", "larger than the padded input");
  EXPECT_MENTIONS(error_of("aten::conv2d", {tensor_arg(s, zeros({1, 3, 8, 8})), tensor_arg(s, zeros({2, 3, 3, 3})), none_arg(),
                                            ints({2, 2}), const_arg("same"), ints({1, 1}), const_arg(1)}),
                  "aten::conv2d", "'same'", "strided");
  EXPECT_MENTIONS(error_of("aten::cat", {list_arg({tensor_arg(s, zeros({2, 3})), tensor_arg(s, zeros({2, 4}))}), const_arg(0)}),
                  "aten::cat", "[2, 3]", "[2, 4]");
  EXPECT_MENTIONS(error_of("aten::layer_norm", {tensor_arg(s, zeros({2, 5})), ints({4}), none_arg(), none_arg(), const_arg(1e-5),
                                                const_arg(true)}),
                  "aten::layer_norm", "[4]", "[2, 5]");
  EXPECT_MENTIONS(error_of("aten::split", {tensor_arg(s, zeros({5})), ints({2, 2}), const_arg(0)}), "aten::split", "[2, 2]", "5");
}

// Ops that read their arguments by name (docs/architecture.md §4a) refuse a
// call that does not fit the schema, naming the schema and the argument.
TEST(OpErrors, CallThatDoesNotFitTheSchemaNamesSchemaAndArgument) {
  ArgStore s;
  EXPECT_MENTIONS(error_of("aten::layer_norm", {tensor_arg(s, zeros({2, 5})), ints({5}), none_arg(), none_arg(),
                                                tensor_arg(s, zeros({1}))}, true),
                  "aten::layer_norm: ", "aten::layer_norm(Tensor input, int[] normalized_shape", "argument 'eps'",
                  "must be float, got Tensor");
  EXPECT_MENTIONS(error_of("aten::batch_norm", {tensor_arg(s, zeros({2, 3})), none_arg(), none_arg(), none_arg(),
                                                none_arg()}),
                  "aten::batch_norm: ", "argument 'training'", "missing and has no default");
  EXPECT_MENTIONS(error_of("aten::group_norm", {tensor_arg(s, zeros({2, 4})), const_arg(2), none_arg(), none_arg(),
                                                const_arg(1e-5), const_arg(true), const_arg(0)}, true),
                  "aten::group_norm: ", "takes 6 arguments, got 7");
  // Named per-channel checks say which parameter is wrong.
  EXPECT_MENTIONS(error_of("aten::instance_norm", {tensor_arg(s, zeros({2, 3, 4})), none_arg(), tensor_arg(s, zeros({4})),
                                                   none_arg(), none_arg(), const_arg(true), const_arg(0.1),
                                                   const_arg(1e-5), const_arg(false)}, true),
                  "aten::instance_norm: ", "bias must have shape [3], got [4]");
}

// Defaults come from the schema: layer_norm and group_norm without eps and
// cudnn_enable use eps=1e-05, as PyTorch does.
TEST(OpErrors, SchemaDefaultsFillOmittedArguments) {
  ArgStore s;
  Tensor x = Tensor::zeros(DType::Float32, {2, 4});
  x.mutable_data<float>()[0] = 1.0f;
  const std::vector<Tensor> out = run_kernel("aten::layer_norm", {tensor_arg(s, x), ints({4})});
  ASSERT_EQ(out.size(), 1u);
  // Row 0 is [1, 0, 0, 0]: mean 0.25, biased variance 0.1875.
  EXPECT_NEAR(out[0].data<float>()[0], 0.75 / std::sqrt(0.1875 + 1e-5), 1e-5);
}

// Overloads are told apart by their schemas, not by argument count
// (docs/architecture.md §4a): a TorchScript node gives every argument, and a
// dtype is an int constant.
TEST(OpOverloads, TheOverloadTheCallFitsExactlyDecides) {
  ArgStore s;
  // sum(x, dtype=torch.float64): (Tensor, int 7) is aten::sum, not sum.dim_IntList over dim 7.
  const std::vector<TensorMeta> sum = run_meta("aten::sum", {tensor_arg(s, zeros({2, 3})), const_arg(7)});
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_EQ(sum[0].dtype, DType::Float64);
  EXPECT_TRUE(sum[0].shape.empty());
  // var(x, 0, correction=2): [1, 2, 3, 4] has squared deviations summing to 5; 5 / (4 - 2).
  Tensor x = Tensor::from_vector<float>(DType::Float32, {4}, {1, 2, 3, 4});
  const std::vector<Tensor> var = run_kernel("aten::var", {tensor_arg(s, x), ints({0}), const_arg(2), const_arg(false)});
  EXPECT_FLOAT_EQ(var[0].data<float>()[0], 2.5f);
  // var.dim with unbiased=False divides by 4.
  const std::vector<Tensor> biased = run_kernel("aten::var", {tensor_arg(s, x), ints({0}), const_arg(false), const_arg(false)});
  EXPECT_FLOAT_EQ(biased[0].data<float>()[0], 1.25f);
  // div.Tensor_mode(self, other, *, rounding_mode="floor").
  Tensor a = Tensor::from_vector<float>(DType::Float32, {2}, {-7, 7});
  Tensor b = Tensor::from_vector<float>(DType::Float32, {2}, {2, 2});
  const std::vector<Tensor> q = run_kernel("aten::div", {tensor_arg(s, a), tensor_arg(s, b), const_arg("floor")});
  EXPECT_FLOAT_EQ(q[0].data<float>()[0], -4.0f);
  EXPECT_FLOAT_EQ(q[0].data<float>()[1], 3.0f);
  // max.dim gives (values, indices); max.other is the elementwise maximum.
  EXPECT_EQ(run_meta("aten::max", {tensor_arg(s, zeros({2, 3})), const_arg(1), const_arg(false)}).size(), 2u);
  EXPECT_EQ(run_meta("aten::max", {tensor_arg(s, zeros({2, 3})), tensor_arg(s, zeros({3}))})[0].shape.size(), 2u);
}

// round.decimals used to be read as round(self), ignoring decimals: refused now.
// round.decimals as torch's CPU kernel (it used to be refused here while the
// translator dropped the decimals): eager PyTorch 1.13's values.
TEST(OpOverloads, RoundWithDecimalsScalesAsTorch) {
  ArgStore s;
  Tensor x = zeros({3});
  const double in[] = {1.2345000505447388, -0.001500000013038516, 12345.677734375};
  for (int i = 0; i < 3; ++i) x.set_double(i, in[i]);
  const std::vector<Tensor> up = run_kernel("aten::round", {tensor_arg(s, x), const_arg(3)});
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].get_double(0), 1.2339999675750732);
  EXPECT_EQ(up[0].get_double(1), -0.0020000000949949026);
  EXPECT_EQ(up[0].get_double(2), 12345.677734375);
  const std::vector<Tensor> down = run_kernel("aten::round", {tensor_arg(s, x), const_arg(-2)});
  EXPECT_EQ(down[0].get_double(2), 12300.0);
  EXPECT_EQ(down[0].get_double(0), 0.0);
}

}  // namespace
}  // namespace onnxport::test
