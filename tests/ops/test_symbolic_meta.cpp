// Symbolic shape inference: metas over dims like "batch" must produce the
// expressions the engine records in the graph, without concrete data.
#include "op_test_support.hpp"

#include <gtest/gtest.h>

namespace onnxport::test {
namespace {

const Dim batch = Dim::symbol("batch");
const Dim seq = Dim::symbol("seq");

TensorMeta meta1(const std::string& op, const std::vector<OpArg>& args) {
  auto out = run_meta(op, args);
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

std::string shape_of_meta(const std::string& op, const std::vector<OpArg>& args) {
  return shape_str(meta1(op, args).shape);
}

OpArg ints(std::vector<int64_t> v) {
  std::vector<OpArg> items;
  for (int64_t x : v) items.push_back(const_arg(x));
  return list_arg(std::move(items));
}

TEST(SymbolicMeta, ViewWithSymIntAndMinusOneInfersTheRest) {
  OpArg x = meta_arg(DType::Float32, {batch, 3, 4});
  EXPECT_EQ(shape_of_meta("aten::view", {x, list_arg({sym_arg(batch), const_arg(-1)})}), "[batch, 12]");
  EXPECT_EQ(shape_of_meta("aten::view", {x, ints({-1, 12})}), "[batch, 12]");
  EXPECT_EQ(shape_of_meta("aten::view", {x, ints({-1})}), "[(batch*12)]");
  EXPECT_EQ(shape_of_meta("aten::view", {x, ints({-1, 3, 4})}), "[batch, 3, 4]");
  EXPECT_EQ(shape_of_meta("aten::reshape", {x, list_arg({sym_arg(batch), const_arg(2), const_arg(-1)})}), "[batch, 2, 6]");
  EXPECT_EQ(shape_of_meta("aten::reshape", {x, ints({-1})}), "[(batch*12)]");
  EXPECT_EQ(shape_of_meta("aten::reshape", {x, ints({-1, 8})}), "[((batch*3)//2), 8]");
}

TEST(SymbolicMeta, ViewCancelsProductsOfSymbols) {
  OpArg x = meta_arg(DType::Float32, {batch, seq, 8});
  const Dim bs = dim_mul(batch, seq);
  EXPECT_EQ(shape_of_meta("aten::view", {x, list_arg({sym_arg(bs), const_arg(8)})}), "[" + bs.str() + ", 8]");
  EXPECT_EQ(shape_of_meta("aten::view", {x, ints({-1, 8})}), "[" + bs.str() + ", 8]");
  EXPECT_EQ(shape_of_meta("aten::view", {x, list_arg({sym_arg(batch), const_arg(-1), const_arg(2)})}), "[batch, (seq*4), 2]");
  // The reverse: a flat symbolic dim split back.
  OpArg flat = meta_arg(DType::Float32, {bs, 8});
  EXPECT_EQ(shape_of_meta("aten::view", {flat, list_arg({sym_arg(batch), const_arg(-1), const_arg(8)})}), "[batch, seq, 8]");
}

TEST(SymbolicMeta, FlattenMultipliesSymbolicDims) {
  OpArg x = meta_arg(DType::Float32, {batch, 3, 4});
  EXPECT_EQ(shape_of_meta("aten::flatten", {x, const_arg(1), const_arg(-1)}), "[batch, 12]");
  EXPECT_EQ(shape_of_meta("aten::flatten", {x, const_arg(0), const_arg(-1)}), "[(batch*12)]");
  EXPECT_EQ(shape_of_meta("aten::flatten", {x, const_arg(0), const_arg(1)}), "[(batch*3), 4]");
}

TEST(SymbolicMeta, BroadcastRules) {
  EXPECT_EQ(shape_str(broadcast_shapes({batch, 1}, {3})), "[batch, 3]");
  EXPECT_EQ(shape_str(broadcast_shapes({batch, 3}, {1, 3})), "[batch, 3]");
  EXPECT_EQ(shape_str(broadcast_shapes({batch}, {4})), "[4]");  // symbol vs static non-1: the static size
  EXPECT_EQ(shape_str(broadcast_shapes({1}, {batch})), "[batch]");
  EXPECT_EQ(shape_str(broadcast_shapes({batch, seq}, {batch, 1})), "[batch, seq]");
  EXPECT_EQ(shape_str(broadcast_shapes({}, {batch, 2})), "[batch, 2]");
  EXPECT_THROW(broadcast_shapes({batch}, {seq}), OpError);
  EXPECT_THROW(broadcast_shapes({2, 3}, {4}), OpError);
  OpArg a = meta_arg(DType::Int64, {batch, 1});
  OpArg b = meta_arg(DType::Float32, {5});
  TensorMeta m = meta1("aten::mul", {a, b});
  EXPECT_EQ(shape_str(m.shape), "[batch, 5]");
  EXPECT_EQ(m.dtype, DType::Float32);
}

TEST(SymbolicMeta, ScalarPromotionInMetas) {
  OpArg ints_t = meta_arg(DType::Int64, {batch});
  EXPECT_EQ(meta1("aten::mul", {ints_t, const_arg(2.5)}).dtype, DType::Float32);
  EXPECT_EQ(meta1("aten::mul", {ints_t, const_arg(2)}).dtype, DType::Int64);
  EXPECT_EQ(meta1("aten::add", {meta_arg(DType::Bool, {3}), const_arg(1), const_arg(1)}).dtype, DType::Int64);
  EXPECT_EQ(meta1("aten::div", {ints_t, const_arg(2)}).dtype, DType::Float32);
  EXPECT_EQ(meta1("aten::gt", {ints_t, const_arg(0.5)}).dtype, DType::Bool);
  EXPECT_EQ(meta1("aten::add", {meta_arg(DType::Float16, {3}), const_arg(1.0), const_arg(1)}).dtype, DType::Float16);
  EXPECT_EQ(meta1("aten::mul", {meta_arg(DType::Int32, {3}), sym_arg(batch)}).dtype, DType::Int32);
}

TEST(SymbolicMeta, SeedOpsOverSymbolicBatch) {
  OpArg x = meta_arg(DType::Float32, {batch, 3});
  OpArg w = meta_arg(DType::Float32, {2, 3});
  OpArg b = meta_arg(DType::Float32, {2});
  TensorMeta y = meta1("aten::linear", {x, w, b});
  EXPECT_EQ(shape_str(y.shape), "[batch, 2]");
  EXPECT_EQ(shape_str(meta1("aten::sum", {x, none_arg()}).shape), "[]");
  EXPECT_EQ(shape_str(meta1("aten::sum", {x, ints({1}), const_arg(true), none_arg()}).shape), "[batch, 1]");
  EXPECT_EQ(shape_str(meta1("aten::sum", {x, ints({0}), const_arg(false), none_arg()}).shape), "[3]");
  TensorMeta flag = meta1("aten::Bool", {meta_arg(DType::Float32, {})});
  EXPECT_EQ(flag.dtype, DType::Bool);
  EXPECT_TRUE(flag.shape.empty());
  EXPECT_EQ(meta1("aten::Int", {meta_arg(DType::Float32, {1})}).dtype, DType::Int64);
  EXPECT_EQ(meta1("aten::Float", {meta_arg(DType::Int64, {})}).dtype, DType::Float64);
}

TEST(SymbolicMeta, MatmulAndConvOutputSizes) {
  EXPECT_EQ(shape_of_meta("aten::matmul", {meta_arg(DType::Float32, {batch, seq, 8}), meta_arg(DType::Float32, {8, 4})}),
            "[batch, seq, 4]");
  EXPECT_EQ(shape_of_meta("aten::matmul", {meta_arg(DType::Float32, {batch, 1, 3, 8}), meta_arg(DType::Float32, {5, 8, 2})}),
            "[batch, 5, 3, 2]");
  const Dim h = Dim::symbol("h");
  OpArg img = meta_arg(DType::Float32, {batch, 3, h, 32});
  OpArg w = meta_arg(DType::Float32, {8, 3, 3, 3});
  // (h + 2*1 - 1*(3-1) - 1) // 2 + 1 == (h + 1) // 2
  EXPECT_EQ(shape_of_meta("aten::conv2d", {img, w, none_arg(), ints({2, 2}), ints({1, 1}), ints({1, 1}), const_arg(1)}),
            "[batch, 8, ((h+1)//2), 16]");
  EXPECT_EQ(shape_of_meta("aten::conv2d", {img, w, none_arg(), ints({1, 1}), const_arg("same"), ints({1, 1}), const_arg(1)}),
            "[batch, 8, h, 32]");
  EXPECT_EQ(shape_of_meta("aten::max_pool2d", {img, ints({2, 2}), ints({2, 2}), ints({0, 0}), ints({1, 1}), const_arg(false)}),
            "[batch, 3, (h//2), 16]");
  EXPECT_EQ(shape_of_meta("aten::conv2d", {img, w, none_arg(), ints({1, 1}), ints({0, 0}), ints({1, 1}), const_arg(1)}),
            "[batch, 8, (h-2), 30]");
  EXPECT_EQ(shape_of_meta("aten::adaptive_avg_pool2d", {img, ints({1, 1})}), "[batch, 3, 1, 1]");
}

TEST(SymbolicMeta, ShapeOpsKeepSymbols) {
  OpArg x = meta_arg(DType::Float32, {batch, 2, 3});
  EXPECT_EQ(shape_of_meta("aten::transpose", {x, const_arg(0), const_arg(2)}), "[3, 2, batch]");
  EXPECT_EQ(shape_of_meta("aten::permute", {x, ints({1, 0, 2})}), "[2, batch, 3]");
  EXPECT_EQ(shape_of_meta("aten::unsqueeze", {x, const_arg(1)}), "[batch, 1, 2, 3]");
  EXPECT_EQ(shape_of_meta("aten::squeeze", {meta_arg(DType::Float32, {batch, 1, 3})}), "[batch, 3]");
  EXPECT_EQ(shape_of_meta("aten::expand", {meta_arg(DType::Float32, {1, 3}), list_arg({sym_arg(batch), const_arg(-1)}), const_arg(false)}),
            "[batch, 3]");
  EXPECT_EQ(shape_of_meta("aten::cat", {list_arg({x, meta_arg(DType::Float32, {batch, 5, 3})}), const_arg(1)}), "[batch, 7, 3]");
  EXPECT_EQ(shape_of_meta("aten::cat", {list_arg({x, meta_arg(DType::Float32, {seq, 2, 3})}), const_arg(0)}), "[(batch+seq), 2, 3]");
  EXPECT_EQ(shape_of_meta("aten::stack", {list_arg({x, x}), const_arg(0)}), "[2, batch, 2, 3]");
  EXPECT_EQ(shape_of_meta("aten::repeat", {x, ints({2, 1, 1})}), "[(batch*2), 2, 3]");
  auto pieces = run_meta("aten::split", {x, const_arg(1), const_arg(1)});
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(shape_str(pieces[1].shape), "[batch, 1, 3]");
  EXPECT_EQ(shape_of_meta("aten::zeros", {list_arg({sym_arg(batch), const_arg(4)}), none_arg(), none_arg(), none_arg(), none_arg()}),
            "[batch, 4]");
  EXPECT_EQ(shape_of_meta("aten::arange", {sym_arg(seq), none_arg(), none_arg(), none_arg(), none_arg()}), "[seq]");
  EXPECT_EQ(shape_of_meta("aten::pad", {x, ints({1, 1}), const_arg("constant"), none_arg()}), "[batch, 2, 5]");
}

TEST(SymbolicMeta, ChunkOfAnExactMultipleOfASymbol) {
  // RAFT stacks two images on the batch dim and chunks them apart again.
  OpArg stacked = meta_arg(DType::Float32, {dim_mul(Dim(2), batch), 3});
  auto halves = run_meta("aten::chunk", {stacked, const_arg(2), const_arg(0)});
  ASSERT_EQ(halves.size(), 2u);
  EXPECT_EQ(shape_str(halves[0].shape), "[batch, 3]");
  EXPECT_EQ(shape_str(halves[1].shape), "[batch, 3]");
  // batch in 2: one piece or two depending on the size, so refused.
  EXPECT_THROW(run_meta("aten::chunk", {meta_arg(DType::Float32, {batch, 3}), const_arg(2), const_arg(0)}), OpError);
  // An empty dim gives `chunks` empty pieces, as torch.chunk does.
  auto empty = run_meta("aten::chunk", {meta_arg(DType::Float32, {0, 3}), const_arg(3), const_arg(0)});
  ASSERT_EQ(empty.size(), 3u);
  EXPECT_EQ(shape_str(empty[2].shape), "[0, 3]");
}

TEST(SymbolicMeta, SlicesOfSymbolicDims) {
  OpArg x = meta_arg(DType::Float32, {seq, 4});
  const int64_t open_end = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(shape_of_meta("aten::slice", {x, const_arg(0), const_arg(1), const_arg(open_end), const_arg(1)}),
            "[" + dim_sub(seq, Dim(1)).str() + ", 4]");
  EXPECT_EQ(shape_of_meta("aten::slice", {x, const_arg(0), none_arg(), const_arg(-1), const_arg(1)}),
            "[" + dim_add(seq, Dim(-1)).str() + ", 4]");
  EXPECT_EQ(shape_of_meta("aten::slice", {x, const_arg(0), const_arg(0), sym_arg(batch), const_arg(1)}), "[batch, 4]");
  EXPECT_EQ(shape_of_meta("aten::select", {x, const_arg(0), const_arg(0)}), "[4]");
  EXPECT_EQ(shape_of_meta("aten::narrow", {x, const_arg(1), const_arg(1), const_arg(2)}), "[seq, 2]");
  EXPECT_EQ(shape_of_meta("aten::index_select", {x, const_arg(1), meta_arg(DType::Int64, {batch})}), "[seq, batch]");
}

TEST(SymbolicMeta, ReductionsAndNormsOverSymbols) {
  OpArg x = meta_arg(DType::Float32, {batch, seq, 8});
  EXPECT_EQ(shape_of_meta("aten::mean", {x, ints({-1}), const_arg(true), none_arg()}), "[batch, seq, 1]");
  auto mx = run_meta("aten::max", {x, const_arg(1), const_arg(false)});
  ASSERT_EQ(mx.size(), 2u);
  EXPECT_EQ(shape_str(mx[0].shape), "[batch, 8]");
  EXPECT_EQ(mx[1].dtype, DType::Int64);
  EXPECT_EQ(shape_of_meta("aten::softmax", {x, const_arg(-1), none_arg()}), "[batch, seq, 8]");
  EXPECT_EQ(shape_of_meta("aten::layer_norm", {x, ints({8}), none_arg(), none_arg(), const_arg(1e-5), const_arg(true)}),
            "[batch, seq, 8]");
  EXPECT_EQ(shape_of_meta("aten::embedding", {meta_arg(DType::Float32, {100, 16}), meta_arg(DType::Int64, {batch, seq}),
                                              const_arg(-1), const_arg(false), const_arg(false)}),
            "[batch, seq, 16]");
}

TEST(SymbolicMeta, RandomOpsTraceButCannotBeEvaluated) {
  OpArg x = meta_arg(DType::Float32, {batch, 4});
  EXPECT_EQ(shape_of_meta("aten::bernoulli", {x, none_arg()}), "[batch, 4]");
  EXPECT_FALSE(OpLibrary::instance().find("aten::bernoulli")->kernel);
}

TEST(SymbolicMeta, CopyBroadcastsTheSourceIntoTheDestination) {
  EXPECT_EQ(shape_of_meta("aten::copy", {meta_arg(DType::Float32, {batch, 4}), meta_arg(DType::Int64, {4}), const_arg(false)}),
            "[batch, 4]");
  EXPECT_THROW(run_meta("aten::copy", {meta_arg(DType::Float32, {4}), meta_arg(DType::Float32, {2, 4}), const_arg(false)}), OpError);
}

}  // namespace
}  // namespace onnxport::test
