// Meta functions on the shapes of the hostile-input reproducers (issue 15):
// each bad window or split is an OpError naming the op and the value, never
// a division by zero, a null dereference or a wrapped size.
#include "../ops/op_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace onnxport::test {
namespace {

std::string meta_error(const std::string& op, const std::vector<OpArg>& args) {
  try {
    run_meta(op, args);
  } catch (const OpError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an OpError: ") + e.what();
  }
  return "no error";
}

OpArg ints(std::vector<int64_t> v) {
  std::vector<OpArg> items;
  for (int64_t x : v) items.push_back(const_arg(x));
  return list_arg(std::move(items));
}

OpArg f32(std::vector<int64_t> shape) {
  Shape s;
  for (int64_t d : shape) s.push_back(Dim(d));
  return meta_arg(DType::Float32, s);
}

#define EXPECT_MENTIONS(message, ...)                                                           \
  do {                                                                                          \
    const std::string msg_ = (message);                                                         \
    for (const char* part : {__VA_ARGS__})                                                      \
      EXPECT_NE(msg_.find(part), std::string::npos) << "missing '" << part << "' in: " << msg_; \
  } while (0)

// conv2d(input, weight, bias, stride, padding, dilation, groups)
std::vector<OpArg> conv(std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
                        std::vector<int64_t> weight = {2, 3, 3, 3}) {
  return {f32({1, 3, 8, 8}), f32(weight), none_arg(), ints(stride), ints(padding), ints(dilation), const_arg(1)};
}

TEST(HostileOps, ConvolutionStrideZeroIsAnErrorNotSigfpe) {  // F4-conv-stride-0
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({0, 0}, {0, 0}, {1, 1})), "aten::conv2d", "stride", "positive", "[0, 0]");
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, -2}, {0, 0}, {1, 1})), "stride", "positive", "[1, -2]");
  EXPECT_MENTIONS(meta_error("aten::conv1d", {f32({1, 3, 8}), f32({2, 3, 3}), none_arg(), ints({0}), ints({0}), ints({1}),
                                              const_arg(1)}),
                  "aten::conv1d", "stride", "positive");
}

TEST(HostileOps, ConvolutionDilationKernelAndPaddingMustBeValid) {
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, 1}, {0, 0}, {0, 1})), "dilation", "positive");
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, 1}, {0, 0}, {-3, 1})), "dilation", "positive");
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, 1}, {0, 0}, {1, 1}, {2, 3, 0, 3})), "kernel size", "positive");
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, 1}, {-1, 0}, {1, 1})), "padding", "non-negative");
  // Values whose products overflow int64 are an error, not a wrapped size.
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2 + 1;
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, 1}, {0, 0}, {huge, 1})), "overflow");
  EXPECT_MENTIONS(meta_error("aten::conv2d", conv({1, 1}, {huge, huge}, {1, 1})), "overflow");
}

TEST(HostileOps, TransposedConvolutionStrideZero) {
  EXPECT_MENTIONS(meta_error("aten::conv_transpose2d", {f32({1, 3, 4, 4}), f32({3, 2, 3, 3}), none_arg(), ints({0, 0}),
                                                        ints({0, 0}), ints({0, 0}), const_arg(1), ints({1, 1})}),
                  "aten::conv_transpose2d", "stride", "positive");
  EXPECT_MENTIONS(meta_error("aten::conv_transpose2d", {f32({1, 3, 4, 4}), f32({3, 2, 3, 3}), none_arg(), ints({2, 2}),
                                                        ints({0, 0}), ints({-1, 0}), const_arg(1), ints({1, 1})}),
                  "output_padding", "non-negative");
}

TEST(HostileOps, PoolingStrideZeroIsAnErrorNotSigfpe) {  // F4-maxpool-stride-0
  // max_pool2d(self, kernel_size, stride, padding, dilation, ceil_mode)
  EXPECT_MENTIONS(meta_error("aten::max_pool2d", {f32({1, 3, 8, 8}), ints({2, 2}), ints({0, 0}), ints({0, 0}), ints({1, 1}),
                                                  const_arg(false)}),
                  "aten::max_pool2d", "stride", "positive");
  EXPECT_MENTIONS(meta_error("aten::max_pool2d", {f32({1, 3, 8, 8}), ints({2, 2}), ints({1, 1}), ints({0, 0}), ints({0, 0}),
                                                  const_arg(true)}),
                  "dilation", "positive");
  EXPECT_MENTIONS(meta_error("aten::max_pool2d", {f32({1, 3, 8, 8}), ints({0, 2}), ints({1, 1}), ints({0, 0}), ints({1, 1}),
                                                  const_arg(false)}),
                  "kernel size", "positive");
  // avg_pool2d(self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
  EXPECT_MENTIONS(meta_error("aten::avg_pool2d", {f32({1, 3, 8, 8}), ints({2, 2}), ints({0, 1}), ints({0, 0}),
                                                  const_arg(false), const_arg(true), none_arg()}),
                  "aten::avg_pool2d", "stride", "positive");
  EXPECT_MENTIONS(meta_error("aten::max_pool1d", {f32({1, 3, 8}), ints({2}), ints({-1}), ints({0}), ints({1}),
                                                  const_arg(false)}),
                  "stride", "positive");
}

TEST(HostileOps, SplitOfAZeroDimTensorIsAnError) {  // F5-split-0d
  EXPECT_MENTIONS(meta_error("aten::split", {f32({}), const_arg(1), const_arg(0)}), "aten::split", "0-dim");
  EXPECT_MENTIONS(meta_error("aten::split", {f32({}), ints({1}), const_arg(0)}), "aten::split", "0-dim");
  EXPECT_MENTIONS(meta_error("aten::split_with_sizes", {f32({}), ints({1}), const_arg(-1)}), "0-dim");
  EXPECT_MENTIONS(meta_error("aten::chunk", {f32({}), const_arg(2), const_arg(0)}), "aten::chunk", "0-dim");
  EXPECT_MENTIONS(meta_error("aten::unflatten", {f32({}), const_arg(0), ints({1})}), "aten::unflatten", "0-dim");
}

TEST(HostileOps, SplitSizesAndPieceCountsAreChecked) {
  EXPECT_MENTIONS(meta_error("aten::split_with_sizes", {f32({4}), ints({6, -2}), const_arg(0)}), "non-negative");
  // A dim of 2^40 split by 1 would build 2^40 outputs.
  EXPECT_MENTIONS(meta_error("aten::split", {f32({int64_t{1} << 40}), const_arg(1), const_arg(0)}), "pieces", "limit");
  EXPECT_MENTIONS(meta_error("aten::unbind", {f32({int64_t{1} << 40}), const_arg(0)}), "pieces", "limit");
}

}  // namespace
}  // namespace onnxport::test
