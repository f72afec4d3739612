// The reference kernels must run a 224x224 resnet18 in seconds (draft
// captures evaluate through them). Runs every convolution of resnet18 with
// its real shapes and bounds the total time generously (the machine may be
// shared), which still catches an accidentally naive GEMM or im2col.
#include "op_test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <random>

namespace onnxport::test {
namespace {

Tensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng) {
  Tensor t = Tensor::zeros(DType::Float32, std::move(shape));
  std::normal_distribution<float> dist(0.0f, 0.1f);
  float* p = t.mutable_data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

OpArg ints(std::vector<int64_t> v) {
  std::vector<OpArg> items;
  for (int64_t x : v) items.push_back(const_arg(x));
  return list_arg(std::move(items));
}

struct ConvShape {
  int64_t in_c, out_c, size, kernel, stride, pad, count;
};

TEST(KernelSpeed, Resnet18ConvolutionsRunInSeconds) {
  // (in channels, out channels, input size, kernel, stride, padding, how many in resnet18)
  const std::vector<ConvShape> convs = {
      {3, 64, 224, 7, 2, 3, 1},   {64, 64, 56, 3, 1, 1, 4},   {64, 128, 56, 3, 2, 1, 1}, {128, 128, 28, 3, 1, 1, 3},
      {64, 128, 56, 1, 2, 0, 1},  {128, 256, 28, 3, 2, 1, 1}, {256, 256, 14, 3, 1, 1, 3}, {128, 256, 28, 1, 2, 0, 1},
      {256, 512, 14, 3, 2, 1, 1}, {512, 512, 7, 3, 1, 1, 3},  {256, 512, 14, 1, 2, 0, 1}};
  std::mt19937 rng(7);
  double flops = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const ConvShape& c : convs) {
    ArgStore s;
    OpArg x = tensor_arg(s, random_tensor({1, c.in_c, c.size, c.size}, rng));
    OpArg w = tensor_arg(s, random_tensor({c.out_c, c.in_c, c.kernel, c.kernel}, rng));
    for (int64_t i = 0; i < c.count; ++i) {
      Tensor y = run_kernel("aten::conv2d", {x, w, none_arg(), ints({c.stride, c.stride}), ints({c.pad, c.pad}), ints({1, 1}),
                                             const_arg(1)})[0];
      flops += 2.0 * static_cast<double>(y.numel()) * static_cast<double>(c.in_c * c.kernel * c.kernel);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "resnet18 convolutions: " << flops / 1e9 << " GFLOP in " << seconds << " s (" << flops / 1e9 / seconds
            << " GFLOP/s)\n";
  EXPECT_GT(flops, 3.0e9);
  EXPECT_LT(seconds, 20.0) << "the reference convolution is far too slow";
}

TEST(KernelSpeed, LargeMatmul) {
  std::mt19937 rng(3);
  ArgStore s;
  OpArg a = tensor_arg(s, random_tensor({512, 512}, rng));
  OpArg b = tensor_arg(s, random_tensor({512, 512}, rng));
  const auto start = std::chrono::steady_clock::now();
  Tensor c = run_kernel("aten::mm", {a, b})[0];
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "512^3 matmul: " << seconds << " s\n";
  // Spot-check one element against a plain dot product.
  double want = 0;
  for (int64_t k = 0; k < 512; ++k) want += s.tensors[0].get_double(5 * 512 + k) * s.tensors[1].get_double(k * 512 + 7);
  EXPECT_NEAR(c.get_double(5 * 512 + 7), want, 1e-4);
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace onnxport::test
