// Ops that pick or place elements by position: take, index_fill, index_copy,
// masked_scatter, bucketize, unfold (Tensor.unfold), as_strided, movedim, and
// copy (self.copy_(src) functionalized). Gathers and ScatterElements without reduction, so every opset from 13.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <functional>

namespace onnxport::aten {
namespace {

// The input as at least 1-D: torch indexes a 0-d tensor as a 1-element one
// in index_fill, index_copy and unfold.
std::string at_least_1d(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  return rank_of(ctx, a, name) == 0 ? reshape(ctx, a.input(name), {1}) : a.input(name);
}

// Reshapes a 1-D tensor so that it runs along `axis` of a rank-`rank` tensor.
std::string along_axis(TranslateContext& ctx, const std::string& x, int64_t axis, int64_t rank) {
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(axis)] = -1;
  return reshape(ctx, x, shape);
}

// Binds the result, back to 0-d when self was 0-d.
void set_like_self(TranslateContext& ctx, const NodeArgs& a, const std::string& result) {
  set_result(ctx, rank_of(ctx, a, "self") == 0 ? to_scalar(ctx, result) : result);
}

// take(Tensor self, Tensor index): Gather from the flattened self (Gather
// counts negative indices from the end, as take does).
void translate_take(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string flat = reshape(ctx, a.input("self"), {-1});
  set_result(ctx, ctx.op("Gather", {flat, input_as(ctx, a, "index", DType::Int64)}, {{"axis", int64_t{0}}}));
}

// index_fill(Tensor self, int dim, Tensor index, Scalar|Tensor value): a mask
// along dim (position p is hit when some index entry, negative ones from the
// end, equals p), then Where(mask, value, self).
void translate_index_fill(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = std::max<int64_t>(rank_of(ctx, a, "self"), 1);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank);
  const DType d = arg_dtype(ctx, a, "self");
  std::string x = at_least_1d(ctx, a, "self");
  std::string n = ctx.op("Gather", {shape_of(ctx, x), ctx.const_i64({axis})}, {{"axis", int64_t{0}}});
  std::string index = reshape(ctx, input_as(ctx, a, "index", DType::Int64), {-1});
  std::string negative = ctx.op("Less", {index, ctx.const_i64({0})});
  index = ctx.op("Where", {negative, ctx.op("Add", {index, n}), index});
  std::string positions = ctx.op("Range", {ctx.const_scalar(0, DType::Int64), to_scalar(ctx, n), ctx.const_scalar(1, DType::Int64)});
  std::string equal = ctx.op("Equal", {unsqueeze(ctx, positions, {1}), unsqueeze(ctx, index, {0})});
  std::string hits = reduce(ctx, "ReduceSum", cast(ctx, equal, DType::Bool, DType::Int64), {1}, false, true);
  std::string mask = along_axis(ctx, ctx.op("Greater", {hits, ctx.const_i64({0})}), axis, rank);
  set_like_self(ctx, a, ctx.op("Where", {mask, input_as(ctx, a, "value", d), x}));
}

// index_copy(Tensor self, int dim, Tensor index, Tensor source): index
// expanded along dim to source's shape, then ScatterElements (no reduction).
void translate_index_copy(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = std::max<int64_t>(rank_of(ctx, a, "self"), 1);
  if (std::max<int64_t>(rank_of(ctx, a, "source"), 1) != rank)
    fail(ctx, "source must have the same number of dims as self");
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank);
  std::string source = at_least_1d(ctx, a, "source");
  std::string index = along_axis(ctx, input_as(ctx, a, "index", DType::Int64), axis, rank);
  std::string indices = ctx.op("Expand", {index, shape_of(ctx, source)});
  set_like_self(ctx, a, ctx.op("ScatterElements", {at_least_1d(ctx, a, "self"), indices, source}, {{"axis", axis}}));
}

// masked_scatter(Tensor self, Tensor mask, Tensor source): self and mask
// broadcast together (Expand broadcasts both ways); the k-th true position
// (row-major) takes source's k-th element: CumSum of the flattened mask gives
// k + 1 there; Gather from source (one padding element keeps the Gather valid
// when source is empty), Where(mask, gathered, self). ONNX Runtime's Where
// has no bool kernel: bools go through int32.
void translate_masked_scatter(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a, "self");
  const DType calc = d == DType::Bool ? DType::Int32 : d;
  std::string self = ctx.op("Expand", {cast(ctx, a.input("self"), d, calc), shape_of(ctx, a.input("mask"))});
  std::string shape = shape_of(ctx, self);
  std::string mask = reshape(ctx, ctx.op("Expand", {a.input("mask"), shape}), {-1});
  std::string count = ctx.op("CumSum", {cast(ctx, mask, DType::Bool, DType::Int64), ctx.const_scalar(0, DType::Int64)});
  std::string at = ctx.op("Max", {ctx.op("Sub", {count, ctx.const_i64({1})}), ctx.const_i64({0})});
  std::string flat_source = reshape(ctx, cast(ctx, a.input("source"), d, calc), {-1});
  std::string source = ctx.op("Concat", {flat_source, filled(ctx, {1}, 0.0, calc)}, {{"axis", int64_t{0}}});
  std::string gathered = ctx.op("Gather", {source, at}, {{"axis", int64_t{0}}});
  std::string flat = ctx.op("Where", {mask, gathered, reshape(ctx, self, {-1})});
  set_result(ctx, cast(ctx, ctx.op("Reshape", {flat, shape}), calc, d));
}

// bucketize(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False):
// the number of boundaries below each element (b < x, or b <= x when right),
// which is torch's binary search on sorted boundaries.
void translate_bucketize(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (rank_of(ctx, a, "boundaries") != 1) fail(ctx, "boundaries must be 1-D");
  const DType d = result_type(ctx, a, {"self", "boundaries"});
  const bool right = a.boolean("right");
  // Each element against every boundary ([..., M]), counted by a MatMul with a
  // column of ones: ONNX Runtime leaves a ReduceSum over an empty input
  // unreduced, a MatMul keeps the shape right.
  std::string x = unsqueeze(ctx, input_as(ctx, a, "self", d), {-1});
  std::string b = input_as(ctx, a, "boundaries", d);
  std::string below = cast(ctx, ctx.op(right ? "LessOrEqual" : "Less", {b, x}), DType::Bool, DType::Int64);
  std::string ones = ctx.op("Expand", {ctx.const_i64({1}), ctx.op("Concat", {shape_of(ctx, b), ctx.const_i64({1})}, {{"axis", int64_t{0}}})});
  std::string count = squeeze(ctx, ctx.op("MatMul", {below, ones}), {-1});
  set_result(ctx, cast(ctx, count, DType::Int64, output_dtype(ctx)));
}

// unfold(Tensor self, int dimension, int size, int step): Gather of the
// constant window indices [[i * step + j]] along dimension, then the window
// dim moved last. The size of dimension must be static (the op library
// refuses a symbolic one).
void translate_unfold(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t in_rank = rank_of(ctx, a, "self");
  const int64_t rank = std::max<int64_t>(in_rank, 1);
  const int64_t axis = normalize_dim(ctx, a.i64("dimension"), rank);
  const int64_t size = a.i64("size"), step = a.i64("step");
  const std::optional<int64_t> n = in_rank == 0 ? std::optional<int64_t>(1) : static_dim(ctx, a, "self", axis);
  if (!n) fail(ctx, "dimension " + std::to_string(axis) + " must have a static size");
  if (step <= 0 || size < 0 || size > *n) fail(ctx, "size must be in [0, " + std::to_string(*n) + "] and step positive");
  const int64_t windows = (*n - size) / step + 1;
  Tensor indices = Tensor::zeros(DType::Int64, {windows, size});
  for (int64_t i = 0; i < windows; ++i)
    for (int64_t j = 0; j < size; ++j) indices.set_double(i * size + j, static_cast<double>(i * step + j));
  std::string gathered = ctx.op("Gather", {at_least_1d(ctx, a, "self"), ctx.constant(indices)}, {{"axis", axis}});
  if (in_rank == 0) {
    set_result(ctx, reshape(ctx, gathered, {size}));
    return;
  }
  // Gathered dims: [..., windows (axis), size (axis + 1), ...]; move size last.
  std::vector<int64_t> perm;
  for (int64_t k = 0; k <= rank; ++k)
    if (k != axis + 1) perm.push_back(k);
  perm.push_back(axis + 1);
  set_result(ctx, axis + 1 == rank ? gathered : ctx.op("Transpose", {gathered}, {{"perm", perm}}));
}

// ---- as_strided

// Views whose elements are not their input's contiguous buffer from its
// start: as_strided on them reads a storage ONNX does not have.
bool is_layout_view(const std::string& op) {
  static const char* const kViews[] = {
      "aten::transpose", "aten::t",           "aten::permute",   "aten::swapaxes",   "aten::swapdims",  "aten::movedim",
      "aten::moveaxis",  "aten::slice",       "aten::select",    "aten::narrow",     "aten::expand",    "aten::expand_as",
      "aten::diagonal",  "aten::unfold",      "aten::as_strided", "aten::split",     "aten::split_with_sizes",
      "aten::chunk",     "aten::unbind",      "aten::tensor_split", "aten::hsplit",  "aten::vsplit",    "aten::dsplit",
      "aten::numpy_T",   "aten::mT",          "aten::mH",        "aten::adjoint",    "aten::real",      "aten::imag",
      "aten::unsafe_split", "aten::unsafe_chunk", "aten::broadcast_to", "aten::__getitem__"};
  for (const char* v : kViews)
    if (op == v) return true;
  return false;
}

// Views that keep a contiguous input contiguous: follow them to their input.
bool is_contiguous_view(const std::string& op) {
  for (const char* v : {"aten::view", "aten::reshape", "aten::unsqueeze", "aten::squeeze", "aten::flatten", "aten::unflatten",
                        "aten::alias", "aten::detach", "aten::view_as", "aten::reshape_as"})
    if (op == v) return true;
  return false;
}

const Node* producer_of(const Block& block, ValueId v) {
  for (const Node& node : block.nodes) {
    for (ValueId out : node.outputs)
      if (out == v) return &node;
    for (const Block& inner : node.blocks)
      if (const Node* found = producer_of(inner, v)) return found;
  }
  return nullptr;
}

// as_strided reads its input's storage. onnxport knows that storage only when
// it is the input's own contiguous buffer: a graph input, parameter or a
// fresh result, possibly through views that keep it contiguous.
void check_own_storage(TranslateContext& ctx, const NodeArgs& a) {
  ValueId v = a.arg("self").value;
  for (int hops = 0; hops < 64; ++hops) {
    const Node* node = producer_of(ctx.graph().body, v);
    if (!node) return;  // a graph input, parameter or constant
    if (is_layout_view(node->op))
      fail(ctx, "the input is a view made by " + node->op +
                    ": its storage (which as_strided reads) is not its own contiguous buffer, and ONNX has no storage",
           "call .contiguous() before as_strided");
    if (!is_contiguous_view(node->op) || node->inputs.empty() || !node->inputs[0].is_value()) return;
    v = node->inputs[0].value;
  }
  fail(ctx, "could not trace the storage of the input through its views");
}

// as_strided(Tensor self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None):
// Gather from the flattened input at the constant positions
// offset + sum(i_k * stride_k).
void translate_as_strided(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  check_own_storage(ctx, a);
  const auto size = a.optional_ints("size");
  const auto stride = a.optional_ints("stride");
  if (!size || !stride || size->size() != stride->size()) fail(ctx, "size and stride must be int lists of one length");
  const int64_t offset = a.optional_i64("storage_offset").value_or(0);  // None: the input's own offset, 0
  Tensor positions = Tensor::zeros(DType::Int64, *size);
  const size_t rank = size->size();
  std::vector<int64_t> at(rank, 0);
  for (int64_t flat = 0; flat < positions.numel(); ++flat) {
    int64_t p = offset;
    for (size_t k = 0; k < rank; ++k) p += at[k] * (*stride)[k];
    positions.set_double(flat, static_cast<double>(p));
    for (size_t k = rank; k-- > 0;) {  // next row-major index
      if (++at[k] < (*size)[k]) break;
      at[k] = 0;
    }
  }
  std::string flat = reshape(ctx, a.input("self"), {-1});
  set_result(ctx, ctx.op("Gather", {flat, ctx.constant(positions)}, {{"axis", int64_t{0}}}));
}

// movedim(Tensor self, int[] source, int[] destination) / movedim.int: a
// Transpose putting each source dim at its destination, the others in order.
void translate_movedim(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const std::vector<int64_t> src = a.ints("source");  // movedim.int's lone int is a one-element list
  const std::vector<int64_t> dst = a.ints("destination");
  if (src.size() != dst.size()) fail(ctx, "source and destination differ in length");
  if (rank == 0) {
    set_result(ctx, ctx.op("Identity", {a.input("self")}));
    return;
  }
  std::vector<int64_t> perm(static_cast<size_t>(rank), -1);
  std::vector<bool> used(static_cast<size_t>(rank), false);
  for (size_t k = 0; k < src.size(); ++k) {
    const int64_t s = normalize_dim(ctx, src[k], rank), d = normalize_dim(ctx, dst[k], rank);
    if (used[static_cast<size_t>(s)] || perm[static_cast<size_t>(d)] >= 0) fail(ctx, "source or destination repeats a dim");
    perm[static_cast<size_t>(d)] = s;
    used[static_cast<size_t>(s)] = true;
  }
  int64_t next = 0;
  for (int64_t& p : perm) {
    if (p >= 0) continue;
    while (used[static_cast<size_t>(next)]) ++next;
    p = next++;
  }
  set_result(ctx, ctx.op("Transpose", {a.input("self")}, {{"perm", perm}}));
}

// copy(Tensor self, Tensor src, bool non_blocking=False): the functional form
// of self.copy_(src): src cast to self's dtype and broadcast to self's shape.
void translate_copy(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string src = input_as(ctx, a, "src", arg_dtype(ctx, a, "self"));
  set_result(ctx, ctx.op("Expand", {src, shape_of(ctx, a.input("self"))}));
}

}  // namespace

void register_placement(Registrar& r) {
  add(r, "aten::copy", translate_copy, kMinOpset, kOpenEnded, "Cast to self's dtype, Expand to self's shape");
  add(r, "aten::take", translate_take, kMinOpset, kOpenEnded, "Reshape to 1-D, Gather");
  add(r, "aten::index_fill", translate_index_fill, kMinOpset, kOpenEnded, "Equal(Range, index) mask along dim, Where");
  add(r, "aten::index_copy", translate_index_copy, kMinOpset, kOpenEnded, "Expand(index), ScatterElements");
  add(r, "aten::masked_scatter", translate_masked_scatter, kMinOpset, kOpenEnded, "CumSum of the mask, Gather(source), Where");
  add(r, "aten::bucketize", translate_bucketize, kMinOpset, kOpenEnded, "Less/LessOrEqual against the boundaries, ReduceSum");
  add(r, "aten::unfold", translate_unfold, kMinOpset, kOpenEnded, "Gather of constant windows, Transpose");
  add(r, "aten::as_strided", translate_as_strided, kMinOpset, kOpenEnded,
      "Gather of constant positions from the flattened input (its own storage only)");
  add(r, "aten::movedim", translate_movedim, kMinOpset, kOpenEnded, "Transpose");
  add(r, "aten::moveaxis", translate_movedim, kMinOpset, kOpenEnded, "Transpose");
}

}  // namespace onnxport::aten
