#include <onnxport/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace onnxport;

namespace {

const DType kAll[] = {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int8,
                      DType::Int16,   DType::Int32,   DType::Int64,   DType::UInt8,    DType::Bool};

uint16_t raw16(const Tensor& t, int64_t i) {
  uint16_t v;
  std::memcpy(&v, t.bytes() + 2 * i, 2);
  return v;
}

}  // namespace

TEST(DType, NamesRoundTrip) {
  for (DType d : kAll) {
    EXPECT_EQ(dtype_from_name(dtype_name(d)), d) << dtype_name(d);
    EXPECT_EQ(dtype_from_name(dtype_safetensors_name(d)), d) << dtype_safetensors_name(d);
    EXPECT_EQ(dtype_from_name(dtype_short_name(d)), d) << dtype_short_name(d);
    EXPECT_EQ(dtype_from_onnx(dtype_to_onnx(d)), d);
    EXPECT_EQ(dtype_from_torch_code(dtype_to_torch_code(d)), d);
  }
}

TEST(DType, TorchAliasesAndCodes) {
  EXPECT_EQ(dtype_from_name("float"), DType::Float32);
  EXPECT_EQ(dtype_from_name("torch.float32"), DType::Float32);
  EXPECT_EQ(dtype_from_name("torch.long"), DType::Int64);
  EXPECT_EQ(dtype_from_name("Long"), DType::Int64);
  EXPECT_EQ(dtype_from_name("half"), DType::Float16);
  EXPECT_EQ(dtype_from_name("double"), DType::Float64);
  EXPECT_EQ(dtype_from_name("BOOL"), DType::Bool);
  EXPECT_FALSE(dtype_from_name("complex64").has_value());
  EXPECT_EQ(dtype_from_torch_code(6), DType::Float32);
  EXPECT_EQ(dtype_from_torch_code(4), DType::Int64);
  EXPECT_EQ(dtype_from_torch_code(11), DType::Bool);
  EXPECT_EQ(dtype_from_torch_code(15), DType::BFloat16);
  EXPECT_FALSE(dtype_from_torch_code(9).has_value());  // complex: unsupported
  EXPECT_EQ(dtype_to_onnx(DType::Float32), 1);
  EXPECT_EQ(dtype_to_onnx(DType::Int64), 7);
  EXPECT_EQ(dtype_to_onnx(DType::Bool), 9);
  EXPECT_EQ(dtype_to_onnx(DType::BFloat16), 16);
  EXPECT_EQ(dtype_name(DType::Float32), "float32");
  EXPECT_EQ(dtype_short_name(DType::Bool), "b8");
  EXPECT_EQ(dtype_size(DType::BFloat16), 2u);
  EXPECT_TRUE(is_floating(DType::BFloat16));
  EXPECT_TRUE(is_integral(DType::Bool));
  EXPECT_FALSE(is_integral(DType::Float16));
}

TEST(DType, PromotionFollowsTorch) {
  EXPECT_EQ(promote_types(DType::Bool, DType::Bool), DType::Bool);
  EXPECT_EQ(promote_types(DType::Bool, DType::Int8), DType::Int8);
  EXPECT_EQ(promote_types(DType::UInt8, DType::Int8), DType::Int16);
  EXPECT_EQ(promote_types(DType::UInt8, DType::Int32), DType::Int32);
  EXPECT_EQ(promote_types(DType::Int32, DType::Int64), DType::Int64);
  EXPECT_EQ(promote_types(DType::Int64, DType::Float16), DType::Float16);
  EXPECT_EQ(promote_types(DType::Float16, DType::BFloat16), DType::Float32);
  EXPECT_EQ(promote_types(DType::Float32, DType::Float64), DType::Float64);
  EXPECT_EQ(promote_types(DType::Bool, DType::Float32), DType::Float32);
  EXPECT_EQ(promote_types(DType::Float32, DType::Int64), DType::Float32);
}

TEST(Tensor, GetSetEveryDType) {
  for (DType d : kAll) {
    Tensor t = Tensor::zeros(d, {3});
    t.set_double(0, 1.0);
    t.set_double(1, 0.0);
    t.set_double(2, 2.0);
    EXPECT_EQ(t.get_double(0), 1.0) << dtype_name(d);
    EXPECT_EQ(t.get_double(1), 0.0) << dtype_name(d);
    EXPECT_EQ(t.get_double(2), d == DType::Bool ? 1.0 : 2.0) << dtype_name(d);
    EXPECT_EQ(t.get_int(2), d == DType::Bool ? 1 : 2) << dtype_name(d);
  }
  Tensor f = Tensor::zeros(DType::Float32, {1});
  f.set_double(0, -2.5);
  EXPECT_EQ(f.get_double(0), -2.5);
  EXPECT_EQ(f.get_int(0), -2);  // truncation toward zero, like int(-2.5)
}

TEST(Tensor, IntegerConversionSaturates) {
  Tensor t = Tensor::zeros(DType::Int8, {2});
  t.set_double(0, 1000.0);
  t.set_double(1, -1000.0);
  EXPECT_EQ(t.get_int(0), 127);
  EXPECT_EQ(t.get_int(1), -128);
  Tensor u = Tensor::zeros(DType::UInt8, {1});
  u.set_double(0, -5.0);
  EXPECT_EQ(u.get_int(0), 0);
}

TEST(Tensor, Int64KeepsFullPrecision) {
  Tensor t = Tensor::zeros(DType::Int64, {1});
  t.mutable_data<int64_t>()[0] = (int64_t{1} << 62) + 1;
  EXPECT_EQ(t.get_int(0), (int64_t{1} << 62) + 1);
}

TEST(Tensor, Float16Bits) {
  Tensor t = Tensor::from_vector<double>(DType::Float16, {6}, {1.0, -2.0, 65504.0, 1e6, 5.960464477539063e-08, 1.0009765625});
  EXPECT_EQ(raw16(t, 0), 0x3C00);
  EXPECT_EQ(raw16(t, 1), 0xC000);
  EXPECT_EQ(raw16(t, 2), 0x7BFF);  // largest finite half
  EXPECT_EQ(raw16(t, 3), 0x7C00);  // overflow -> inf
  EXPECT_EQ(raw16(t, 4), 0x0001);  // smallest subnormal
  EXPECT_EQ(raw16(t, 5), 0x3C01);  // 1 + 2^-10
  EXPECT_EQ(t.get_double(4), std::ldexp(1.0, -24));
  // Ties round to even: 1 + 2^-11 lies halfway between 0x3C00 and 0x3C01.
  Tensor tie = Tensor::from_vector<double>(DType::Float16, {1}, {1.00048828125});
  EXPECT_EQ(raw16(tie, 0), 0x3C00);
  Tensor nan = Tensor::from_vector<double>(DType::Float16, {1}, {std::numeric_limits<double>::quiet_NaN()});
  EXPECT_TRUE(std::isnan(nan.get_double(0)));
}

TEST(Tensor, BFloat16Bits) {
  Tensor t = Tensor::from_vector<double>(DType::BFloat16, {3}, {1.0, -0.5, 3.140625});
  EXPECT_EQ(raw16(t, 0), 0x3F80);
  EXPECT_EQ(raw16(t, 1), 0xBF00);
  EXPECT_EQ(t.get_double(2), 3.140625);
  Tensor r = Tensor::from_vector<double>(DType::BFloat16, {1}, {3.14159});
  EXPECT_NEAR(r.get_double(0), 3.14159, 0.01);
}

TEST(Tensor, BorrowedIsReadOnly) {
  static const float kData[] = {1.f, 2.f, 3.f, 4.f};
  Tensor t = Tensor::borrow(DType::Float32, {2, 2}, kData, nullptr);
  EXPECT_FALSE(t.owns_storage());
  EXPECT_EQ(t.get_double(3), 4.0);
  EXPECT_THROW(t.mutable_bytes(), std::logic_error);
  EXPECT_THROW(t.set_double(0, 1.0), std::logic_error);
  Tensor c = t.clone();
  EXPECT_TRUE(c.owns_storage());
  c.set_double(0, 9.0);
  EXPECT_EQ(c.get_double(0), 9.0);
  EXPECT_EQ(t.get_double(0), 1.0);
}

TEST(Tensor, BorrowKeepsOwnerAlive) {
  auto buffer = std::make_shared<std::vector<float>>(std::vector<float>{5.f, 6.f});
  Tensor t = Tensor::borrow(DType::Float32, {2}, buffer->data(), buffer);
  std::weak_ptr<std::vector<float>> weak = buffer;
  buffer.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(t.get_double(1), 6.0);
  t = Tensor();
  EXPECT_TRUE(weak.expired());
}

TEST(Tensor, FromBytesChecksSize) {
  std::vector<std::byte> bytes(8);
  EXPECT_NO_THROW(Tensor::from_bytes(DType::Float32, {2}, bytes));
  EXPECT_THROW(Tensor::from_bytes(DType::Float32, {3}, bytes), std::invalid_argument);
}

TEST(Tensor, ReshapeCastClone) {
  Tensor t = Tensor::from_vector<int>(DType::Int32, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = t.reshaped({3, 2});
  EXPECT_EQ(r.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(r.bytes(), t.bytes());  // shares storage
  EXPECT_THROW(t.reshaped({4, 2}), std::invalid_argument);
  Tensor f = t.cast(DType::Float32);
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_EQ(f.get_double(5), 6.0);
  EXPECT_NE(f.bytes(), t.bytes());
  Tensor s = Tensor::scalar(DType::Int64, 7);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.get_int(0), 7);
}

TEST(Tensor, Printing) {
  Tensor t = Tensor::from_vector<double>(DType::Float32, {2, 3}, {0.5, 1, 2, 3, 4, 5});
  EXPECT_EQ(t.type_str(), "f32[2, 3]");
  EXPECT_EQ(t.values_str(), "[[0.5, 1, 2], [3, 4, 5]]");
  EXPECT_EQ(t.values_str(4), "[[0.5, 1, 2], [3, ...]]");
  Tensor b = Tensor::from_vector<int>(DType::Bool, {2}, {1, 0});
  EXPECT_EQ(b.values_str(), "[True, False]");
  EXPECT_EQ(Tensor::scalar(DType::Int64, 3).type_str(), "i64[]");
  EXPECT_EQ(Tensor::scalar(DType::Int64, 3).values_str(), "3");
}

TEST(TensorMap, KeepsInsertionOrderAndReplaces) {
  TensorMap m;
  m.set("b", Tensor::scalar(DType::Float32, 1));
  m.set("a", Tensor::scalar(DType::Float32, 2));
  m.set("b", Tensor::scalar(DType::Float32, 3));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.items()[0].first, "b");
  EXPECT_EQ(m.items()[1].first, "a");
  EXPECT_EQ(m.find("b")->get_double(0), 3.0);
  EXPECT_TRUE(m.contains("a"));
  EXPECT_EQ(m.find("c"), nullptr);
}
