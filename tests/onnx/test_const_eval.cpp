// Constant folding kernels (core/src/onnx/const_eval.cpp) on their own: the
// optimizer's tests see them only through whole models.
#include "const_eval.hpp"
#include "transpose_tiles.hpp"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

namespace onnxport::onnx_build {
namespace {

onnx::NodeProto transpose_node(const std::vector<int64_t>& perm) {
  onnx::NodeProto node;
  node.set_op_type("Transpose");
  node.add_input("x");
  node.add_output("y");
  if (!perm.empty()) {
    auto* attr = node.add_attribute();
    attr->set_name("perm");
    attr->set_type(onnx::AttributeProto::INTS);
    for (int64_t p : perm) attr->add_ints(p);
  }
  return node;
}

// A tensor whose element i holds the bytes of i (truncated to the element size).
ConstTensor counting(int32_t elem_type, std::vector<int64_t> dims) {
  ConstTensor t;
  t.elem_type = elem_type;
  t.dims = std::move(dims);
  const size_t esize = onnx_elem_size(elem_type);
  t.bytes.resize(static_cast<size_t>(t.numel()) * esize);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const uint64_t v = static_cast<uint64_t>(i) * 2654435761u;  // distinct low bytes too
    std::memcpy(t.bytes.data() + static_cast<size_t>(i) * esize, &v, esize);
  }
  return t;
}

TEST(ConstEval, TransposeOfAMatrixMatchesTheDefinitionForEveryElementSize) {
  const int32_t types[] = {onnx::TensorProto::UINT8, onnx::TensorProto::FLOAT16, onnx::TensorProto::FLOAT,
                           onnx::TensorProto::INT64};
  // Shapes below, at and across the kernel's 32 x 32 tiles.
  const std::vector<std::vector<int64_t>> shapes = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {32, 32}, {33, 70}, {64, 31}};
  for (int32_t type : types) {
    const size_t esize = onnx_elem_size(type);
    for (const auto& dims : shapes) {
      SCOPED_TRACE("type " + std::to_string(type) + " dims " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]));
      const ConstTensor x = counting(type, dims);
      for (const auto& perm : {std::vector<int64_t>{1, 0}, std::vector<int64_t>{}}) {  // explicit and default perm
        const auto y = evaluate_node(transpose_node(perm), {&x}, 17);
        ASSERT_TRUE(y.has_value());
        ASSERT_EQ(y->dims, (std::vector<int64_t>{dims[1], dims[0]}));
        ASSERT_EQ(y->bytes.size(), x.bytes.size());
        for (int64_t r = 0; r < dims[0]; ++r)
          for (int64_t c = 0; c < dims[1]; ++c)
            ASSERT_EQ(std::memcmp(y->bytes.data() + static_cast<size_t>(c * dims[0] + r) * esize,
                                  x.bytes.data() + static_cast<size_t>(r * dims[1] + c) * esize, esize),
                      0)
                << "element [" << r << "][" << c << "]";
      }
    }
  }
}

TEST(ConstEval, TransposeOfHigherRankAndIdentityPermutations) {
  const ConstTensor x = counting(onnx::TensorProto::FLOAT, {2, 3, 4});
  const auto y = evaluate_node(transpose_node({2, 0, 1}), {&x}, 17);
  ASSERT_TRUE(y.has_value());
  ASSERT_EQ(y->dims, (std::vector<int64_t>{4, 2, 3}));
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 4; ++c)
        ASSERT_EQ(std::memcmp(y->bytes.data() + static_cast<size_t>((c * 2 + a) * 3 + b) * 4,
                              x.bytes.data() + static_cast<size_t>((a * 3 + b) * 4 + c) * 4, 4),
                  0);
  const ConstTensor m = counting(onnx::TensorProto::FLOAT, {3, 5});
  const auto same = evaluate_node(transpose_node({0, 1}), {&m}, 17);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->dims, m.dims);
  EXPECT_EQ(same->bytes, m.bytes);
}


// The tiled transposes (transpose_tiles.hpp: the SSE 4x4 blocks for 4-byte
// elements, the element loop for the others) against the definition, on
// shapes that are no multiple of a block or a tile, for whole matrices and
// for runs of output rows (the pieces the writer of a transposed weight
// asks for).
TEST(TransposeTiles, EveryElementSizeAndPieceMatchesTheDefinition) {
  const std::vector<std::pair<int64_t, int64_t>> shapes{{1, 1}, {1, 7}, {7, 1}, {3, 5}, {4, 4}, {9, 13}, {33, 17}, {64, 40}, {130, 67}, {67, 130}};
  for (size_t esize : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
    for (auto [rows, cols] : shapes) {
      std::vector<std::byte> in(static_cast<size_t>(rows * cols) * esize);
      for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::byte>((i * 131 + 7) % 251);
      for (int64_t piece : {cols, int64_t{1}, int64_t{3}, int64_t{5}}) {
        for (int64_t c0 = 0; c0 < cols; c0 += piece) {
          const int64_t c1 = std::min(cols, c0 + piece);
          std::vector<std::byte> out(static_cast<size_t>((c1 - c0) * rows) * esize, std::byte{0xEE});
          ASSERT_TRUE(transpose_columns(in.data(), out.data(), rows, cols, c0, c1, esize));
          for (int64_t c = c0; c < c1; ++c)
            for (int64_t r = 0; r < rows; ++r)
              ASSERT_EQ(std::memcmp(out.data() + static_cast<size_t>((c - c0) * rows + r) * esize,
                                    in.data() + static_cast<size_t>(r * cols + c) * esize, esize),
                        0)
                  << "element size " << esize << ", " << rows << "x" << cols << ", columns [" << c0 << ", " << c1
                  << "): out[" << c << "][" << r << "]";
        }
      }
    }
  }
  std::byte one{};
  EXPECT_FALSE(transpose_columns(&one, &one, 1, 1, 0, 1, 3)) << "3-byte elements are refused";
}

}  // namespace
}  // namespace onnxport::onnx_build
