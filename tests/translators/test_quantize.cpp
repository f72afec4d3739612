// Quantized tensors (docs/architecture.md §4b): the engine's
// quantized_decomposed ops as QuantizeLinear / DequantizeLinear, compared in
// ONNX Runtime with the op library's kernels (which round as PyTorch does).
#include "harness.hpp"

namespace onnxport::translator_tests {
namespace {

using T = TranslatorTest;
const std::vector<int> kForms{13, 17, 18};

// Quantizing rounds x / scale: the kernel multiplies by the float32
// reciprocal as PyTorch does, ONNX Runtime divides, so a value on a rounding
// boundary may land one step apart (atol 1 on the integers).
TEST_F(T, QuantizeLinearPerTensorAndPerChannel) {
  GraphBuilder b;
  ValueId x = b.input(randn({3, 4}));
  b.output(b.node1("quantized_decomposed::quantize_per_tensor", {V(x), C(0.05), C(3), C(0), C(255), Dt(DType::UInt8)}));
  b.output(b.node1("quantized_decomposed::quantize_per_tensor", {V(x), C(0.02), C(-4), C(-128), C(127), Dt(DType::Int8)}));
  ValueId scale = b.input(values(DType::Float32, {1}, {0.07}));
  ValueId zero_point = b.input(values(DType::UInt8, {}, {10}));
  b.output(b.node1("quantized_decomposed::quantize_per_tensor",
                   {V(x), V(scale), V(zero_point), C(0), C(255), Dt(DType::UInt8)}));
  ValueId scales = b.input(values(DType::Float32, {4}, {0.01, 0.02, 0.05, 0.1}));
  ValueId zero_points = b.input(values(DType::Int8, {4}, {0, -3, 5, 1}));
  b.output(b.node1("quantized_decomposed::quantize_per_channel",
                   {V(x), V(scales), V(zero_points), C(1), C(-128), C(127), Dt(DType::Int8)}));
  check_graph(b, {.opsets = kForms, .atol = 1, .expect_ops = {{13, {"QuantizeLinear"}}}});
}

TEST_F(T, DequantizeLinearPerTensorAndPerChannel) {
  GraphBuilder b;
  ValueId q = b.input(randint({3, 4}, 0, 256, DType::UInt8));
  ValueId s = b.input(randint({3, 4}, -128, 128, DType::Int8));
  b.output(b.node1("quantized_decomposed::dequantize_per_tensor", {V(q), C(0.05), C(3), C(0), C(255), Dt(DType::UInt8)}));
  b.output(b.node1("quantized_decomposed::dequantize_per_tensor", {V(s), C(0.02), C(-4), C(-128), C(127), Dt(DType::Int8)}));
  ValueId scales = b.input(values(DType::Float32, {3}, {0.01, 0.02, 0.05}));
  ValueId zero_points = b.input(values(DType::Int8, {3}, {0, -3, 5}));
  b.output(b.node1("quantized_decomposed::dequantize_per_channel",
                   {V(s), V(scales), V(zero_points), C(0), C(-128), C(127), Dt(DType::Int8)}));
  check_graph(b, {.opsets = kForms, .atol = 1e-6, .expect_ops = {{13, {"DequantizeLinear"}}}});
}

TEST_F(T, QuantizeRefusesWhatQuantizeLinearCannotExpress) {
  GraphBuilder b;
  ValueId x = b.input(randn({2, 2}));
  // reduce_range's [0, 127] is narrower than uint8's range, which QuantizeLinear saturates to
  b.output(b.node1("quantized_decomposed::quantize_per_tensor", {V(x), C(0.05), C(3), C(0), C(127), Dt(DType::UInt8)}));
  expect_translate_error(b, 17, "narrower than uint8's range");
}

}  // namespace
}  // namespace onnxport::translator_tests
