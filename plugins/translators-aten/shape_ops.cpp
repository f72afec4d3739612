// Shape and indexing ops: views, reshapes, concatenation, splitting,
// slicing, gathering, and tensor factories.
//
// Sizes may mix constants and SymInt values (view(x, [batch, -1])): they
// become a Concat of 1-D pieces, so dynamic dims stay dynamic in ONNX.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a). Where overloads name an argument
// differently (view's size, reshape's shape), the translator asks the bound
// schema which one it has.
#include "families.hpp"

#include <type_traits>
#include <algorithm>
#include <functional>
#include <numeric>

namespace onnxport::aten {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// True when the bound overload has an argument of this name.
bool takes(const NodeArgs& a, std::string_view name) { return a.schema().argument_index(name).has_value(); }

// ---- identities ---------------------------------------------------------------

// contiguous/clone/detach/alias/lift_fresh(self, ...): values, not memory.
void translate_identity(TranslateContext& ctx) {
  set_result(ctx, ctx.op("Identity", {NodeArgs(ctx).input("self")}));
}

// dropout/feature_dropout/alpha_dropout(Tensor input, float p, bool train):
// the identity in an inference export. With p == 0 it is the identity in
// training mode too (ATen returns the input unchanged), which is what
// torchvision's Swin calls: `F.dropout(attn, p=attention_dropout)` keeps
// F.dropout's default training=True whatever the module's mode.
void translate_dropout(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const bool zero_p = is_constant(a, "p") && a.f64("p") == 0.0;
  if (a.boolean("train") && !zero_p)
    fail(ctx, "dropout with train=True cannot be exported for inference", "call model.eval() before capturing");
  set_result(ctx, ctx.op("Identity", {a.input("input")}));
}

// ---- reshapes ---------------------------------------------------------------

// view(Tensor self, SymInt[] size) / reshape(Tensor self, SymInt[] shape)
void translate_reshape(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (!takes(a, "size") && !takes(a, "shape"))
    fail(ctx, a.schema().qualified_name() + " (a reinterpretation of the dtype) is not supported");
  const std::string_view size = takes(a, "size") ? "size" : "shape";
  set_result(ctx, ctx.op("Reshape", {a.input("self"), int_list_tensor(ctx, a, size)}));
}

// view_as/reshape_as(Tensor self, Tensor other)
void translate_reshape_as(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("Reshape", {a.input("self"), shape_of(ctx, a.input("other"))}));
}

// flatten(Tensor self, int start_dim=0, int end_dim=-1)
void translate_flatten(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const std::string x = a.input("self");
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank == 0) {
    set_result(ctx, reshape(ctx, x, {1}));
    return;
  }
  const int64_t start = normalize_dim(ctx, a.i64("start_dim"), rank);
  const int64_t end = normalize_dim(ctx, a.i64("end_dim"), rank);
  if (start > end) fail(ctx, "start_dim must not come after end_dim");
  if (start == end) {
    set_result(ctx, ctx.op("Identity", {x}));
    return;
  }
  if (start == 1 && end == rank - 1) {  // the common x.flatten(1): ONNX Flatten
    set_result(ctx, ctx.op("Flatten", {x}, {{"axis", int64_t{1}}}));
    return;
  }
  // Leading dims are copied with Reshape's 0; the flattened run is -1; the
  // trailing dims are static sizes or read from the input's shape.
  std::vector<int64_t> head(static_cast<size_t>(start), 0);
  head.push_back(-1);
  bool tail_static = true;
  std::vector<int64_t> tail;
  for (int64_t d = end + 1; d < rank; ++d) {
    auto size = static_dim(ctx, a, "self", d);
    if (!size) tail_static = false;
    tail.push_back(size.value_or(0));
  }
  std::string shape;
  if (tail_static) {
    head.insert(head.end(), tail.begin(), tail.end());
    shape = ctx.const_i64(head);
  } else {
    std::string tail_dims = ctx.op("Slice", {shape_of(ctx, x), ctx.const_i64({end + 1}), ctx.const_i64({rank})});
    shape = ctx.op("Concat", {ctx.const_i64(head), tail_dims}, {{"axis", int64_t{0}}});
  }
  set_result(ctx, ctx.op("Reshape", {x, shape}));
}

// True when `v` feeds nothing but the top-level graph outputs: no node reads
// it and no block returns it, so its rank matters to no later op.
bool only_a_graph_output(const Graph& g, ValueId v) {
  std::function<bool(const Arg&)> reads = [&](const Arg& a) {
    if (a.is_value()) return a.value == v;
    for (const Arg& item : a.items)
      if (reads(item)) return true;
    return false;
  };
  std::function<bool(const Block&)> used_in = [&](const Block& b) {
    for (const Node& n : b.nodes) {
      for (const Arg& a : n.inputs)
        if (reads(a)) return true;
      for (const Block& inner : n.blocks) {
        if (std::find(inner.outputs.begin(), inner.outputs.end(), v) != inner.outputs.end()) return true;
        if (used_in(inner)) return true;
      }
    }
    return false;
  };
  return !used_in(g.body);
}

// 1-D bool constant of length `rank`, true at `axes`.
std::string axis_mask(TranslateContext& ctx, int64_t rank, const std::vector<int64_t>& axes) {
  Tensor mask = Tensor::zeros(DType::Bool, {rank});
  for (int64_t a : axes) mask.set_double(a, 1.0);
  return ctx.constant(mask);
}

// x without those of `axes` whose size is 1 at run time: Reshape to the
// shape with those entries left out. The result's rank depends on the sizes.
std::string squeeze_where_one(TranslateContext& ctx, const std::string& x, int64_t rank,
                              const std::vector<int64_t>& axes) {
  std::string shape = shape_of(ctx, x);
  std::string drop = ctx.op("And", {ctx.op("Equal", {shape, ctx.const_i64({1})}), axis_mask(ctx, rank, axes)});
  return ctx.op("Reshape", {x, ctx.op("Compress", {shape, ctx.op("Not", {drop})}, {{"axis", int64_t{0}}})});
}

// x itself while none of `axes` has size 1; a run-time error (Reshape to a
// size of -2) when one has. The graph after a squeeze that kept a dynamic dim
// was built for the rank with that dim, so size 1 cannot be answered right.
std::string fail_where_one(TranslateContext& ctx, const std::string& x, int64_t rank,
                           const std::vector<int64_t>& axes) {
  std::string shape = shape_of(ctx, x);
  std::string one = ctx.op("And", {ctx.op("Equal", {shape, ctx.const_i64({1})}), axis_mask(ctx, rank, axes)});
  return ctx.op("Reshape", {x, ctx.op("Where", {one, ctx.const_i64({-2}), shape})});
}

std::string dims_text(const std::vector<int64_t>& axes) {
  std::string out;
  for (int64_t a : axes) out += (out.empty() ? "" : ", ") + std::to_string(a);
  return out;
}

// squeeze(Tensor self) / squeeze.dim(Tensor self, int dim).
// torch leaves a dim alone when its size is not 1, where ONNX would fail.
// A dynamic dim is kept by the capture (dynamic dims are taken as >= 2), but
// torch squeezes it when it is 1 at run time. When the result is only a graph
// output, the export squeezes it there too (the output's rank follows the
// sizes); otherwise later ops were built for the kept dim, and the model
// fails at run time on size 1 instead of computing something else.
void translate_squeeze(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const int64_t out_rank = static_cast<int64_t>(ctx.output_value(0).shape.size());
  std::vector<int64_t> listed;
  if (takes(a, "dim")) {
    for (int64_t d : a.ints("dim"))
      if (rank != 0) listed.push_back(normalize_dim(ctx, d, rank));  // squeezing a 0-d tensor is the identity
  } else {
    for (int64_t a = 0; a < rank; ++a) listed.push_back(a);
  }
  std::vector<int64_t> ones, symbolic;
  for (int64_t axis : listed) {
    auto size = static_dim(ctx, a, "self", axis);
    if (!size) symbolic.push_back(axis);
    else if (*size == 1) ones.push_back(axis);
  }
  // Symbolic dims count as squeezed only when the captured output rank says
  // the capture saw them as 1.
  std::vector<int64_t> squeezed = ones, kept;
  if (rank - out_rank > static_cast<int64_t>(ones.size())) squeezed.insert(squeezed.end(), symbolic.begin(), symbolic.end());
  else kept = symbolic;
  std::string x = a.input("self");
  if (!kept.empty()) {
    if (only_a_graph_output(ctx.graph(), ctx.node().outputs.at(0))) {
      std::vector<int64_t> all = squeezed;
      all.insert(all.end(), kept.begin(), kept.end());
      ctx.warn("squeeze of dynamic dim(s) " + dims_text(kept) +
               ": squeezed at run time where the size is 1, so the output's rank follows the input sizes");
      set_result(ctx, squeeze_where_one(ctx, x, rank, all));
      return;
    }
    ctx.warn("squeeze of dynamic dim(s) " + dims_text(kept) +
             " is exported as keeping them (dynamic dims are taken as >= 2); the model fails at run time "
             "(Reshape to a size of -2) when one of them is 1, where torch would squeeze it");
    x = fail_where_one(ctx, x, rank, kept);
  }
  set_result(ctx, squeezed.empty() ? ctx.op("Identity", {x}) : squeeze(ctx, x, squeezed));
}

// atleast_1d/2d/3d(Tensor self): Unsqueeze where torch puts the size-1 dims
// (0-d -> [1], [1, 1], [1, 1, 1]; [n] -> [1, n], [1, n, 1]; [a, b] -> [a, b, 1]).
template <int64_t N>
void translate_atleast(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (!takes(a, "self")) fail(ctx, "the list overload " + a.schema().qualified_name() + " is not supported");
  const int64_t rank = rank_of(ctx, a, "self");
  std::vector<int64_t> axes;
  if (rank == 0) {
    for (int64_t k = 0; k < N; ++k) axes.push_back(k);
  } else if (rank < N) {
    axes = N == 2 ? std::vector<int64_t>{0} : rank == 1 ? std::vector<int64_t>{0, 2} : std::vector<int64_t>{2};
  }
  const std::string x = a.input("self");
  set_result(ctx, axes.empty() ? ctx.op("Identity", {x}) : unsqueeze(ctx, x, axes));
}

// diagonal(Tensor self, int offset=0, int dim1=0, int dim2=1): dim1 and dim2
// moved last, merged into one dim of n1 * n2, and the diagonal gathered from
// it (elements start, start + n2 + 1, ...). dim1 and dim2 must be static.
void translate_diagonal(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const int64_t d1 = normalize_dim(ctx, a.i64("dim1"), rank);
  const int64_t d2 = normalize_dim(ctx, a.i64("dim2"), rank);
  const int64_t offset = a.i64("offset");
  auto n1 = static_dim(ctx, a, "self", d1), n2 = static_dim(ctx, a, "self", d2);
  if (!n1 || !n2) fail(ctx, "the diagonal's dims must be static");
  std::vector<int64_t> perm;
  for (int64_t k = 0; k < rank; ++k)
    if (k != d1 && k != d2) perm.push_back(k);
  perm.push_back(d1);
  perm.push_back(d2);
  std::string x = ctx.op("Transpose", {a.input("self")}, {{"perm", perm}});
  std::vector<int64_t> merged(static_cast<size_t>(rank - 2), 0);  // 0 keeps the leading dims
  merged.push_back(*n1 * *n2);
  x = ctx.op("Reshape", {x, ctx.const_i64(merged)});
  const int64_t length = std::max<int64_t>(0, offset >= 0 ? std::min(*n1, *n2 - offset) : std::min(*n1 + offset, *n2));
  const int64_t start = offset >= 0 ? offset : -offset * *n2;
  std::vector<int64_t> indices;
  for (int64_t k = 0; k < length; ++k) indices.push_back(start + k * (*n2 + 1));
  set_result(ctx, ctx.op("Gather", {x, ctx.const_i64(indices)}, {{"axis", rank - 2}}));
}

// repeat_interleave(Tensor self, int repeats, int? dim=None, *, int? output_size):
// Unsqueeze after dim, Expand that dim to `repeats`, Reshape dim * repeats
// (the input flattened first when dim is None).
void translate_repeat_interleave(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (!takes(a, "self") || !is_constant(a, "repeats")) fail(ctx, "only a constant int number of repeats is supported");
  const int64_t repeats = a.i64("repeats");
  std::string x = a.input("self");
  int64_t rank = rank_of(ctx, a, "self");
  int64_t dim = 0;
  if (!a.has("dim") || rank == 0) {
    x = reshape(ctx, x, {-1});
    rank = 1;
  } else {
    dim = normalize_dim(ctx, a.i64("dim"), rank);
  }
  std::string shape = shape_of(ctx, x);
  std::vector<int64_t> ones(static_cast<size_t>(rank + 1), 1);
  ones[static_cast<size_t>(dim + 1)] = repeats;
  std::string expanded = ctx.op("Expand", {unsqueeze(ctx, x, {dim + 1}), ctx.const_i64(ones)});
  std::vector<std::string> parts;
  if (dim > 0) parts.push_back(ctx.op("Slice", {shape, ctx.const_i64({0}), ctx.const_i64({dim})}));
  parts.push_back(ctx.const_i64({-1}));
  if (dim + 1 < rank) parts.push_back(ctx.op("Slice", {shape, ctx.const_i64({dim + 1}), ctx.const_i64({rank})}));
  std::string out_shape = parts.size() == 1 ? parts[0] : ctx.op("Concat", parts, {{"axis", int64_t{0}}});
  set_result(ctx, ctx.op("Reshape", {expanded, out_shape}));
}

// unsqueeze(Tensor self, int dim)
void translate_unsqueeze(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self") + 1);
  set_result(ctx, unsqueeze(ctx, a.input("self"), {axis}));
}

std::string transpose_perm(TranslateContext& ctx, const std::string& x, const std::vector<int64_t>& perm) {
  return ctx.op("Transpose", {x}, {{"perm", perm}});
}

// transpose(Tensor self, int dim0, int dim1), swapdims(self, dim0, dim1),
// swapaxes(self, axis0, axis1): the schema's second and third arguments.
void translate_transpose(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank < 2) {
    set_result(ctx, ctx.op("Identity", {a.input("self")}));
    return;
  }
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<size_t>(normalize_dim(ctx, a.i64(schema_arg_name(ctx, a, 1)), rank))],
            perm[static_cast<size_t>(normalize_dim(ctx, a.i64(schema_arg_name(ctx, a, 2)), rank))]);
  set_result(ctx, transpose_perm(ctx, a.input("self"), perm));
}

// t(Tensor self): 2-D transpose; 0-D and 1-D are returned as is.
void translate_t(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (rank_of(ctx, a, "self") < 2) set_result(ctx, ctx.op("Identity", {a.input("self")}));
  else set_result(ctx, transpose_perm(ctx, a.input("self"), {1, 0}));
}

// permute(Tensor self, int[] dims)
void translate_permute(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  std::vector<int64_t> perm = a.ints("dims");
  if (static_cast<int64_t>(perm.size()) != rank)
    fail(ctx, "dims has " + std::to_string(perm.size()) + " entries for a tensor of rank " + std::to_string(rank));
  for (int64_t& p : perm) p = normalize_dim(ctx, p, rank);
  set_result(ctx, transpose_perm(ctx, a.input("self"), perm));
}

// expand(Tensor self, SymInt[] size, *, bool implicit=False). torch's -1
// keeps a dim; ONNX Expand broadcasts, so a 1 there keeps the input's size.
void translate_expand(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  Arg size = a.arg("size");
  auto keep_minus_one = [](Arg& item) {
    if (item.is_constant() && item.constant.is_number_integer() && item.constant.get<int64_t>() == -1)
      item.constant = 1;
  };
  if (size.is_list()) {
    for (Arg& item : size.items) keep_minus_one(item);
  } else if (size.is_constant() && size.constant.is_array()) {
    for (auto& v : size.constant)
      if (v.is_number_integer() && v.get<int64_t>() == -1) v = 1;
  }
  set_result(ctx, ctx.op("Expand", {a.input("self"), int_list_tensor_of(ctx, size)}));
}

// expand_as(Tensor self, Tensor other)
void translate_expand_as(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("Expand", {a.input("self"), shape_of(ctx, a.input("other"))}));
}

// repeat(Tensor self, SymInt[] repeats): Tile, after adding the leading dims
// torch adds when there are more repeats than dims.
void translate_repeat(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  // repeats may hold SymInts (x[None].repeat(batch_size, 1, 1, 1) in RAFT):
  // Tile then takes the Concat of the constants and the sizes.
  const Arg& list = a.arg("repeats");
  int64_t count = 0;
  if (list.is_list()) count = static_cast<int64_t>(list.items.size());
  else if (list.is_constant() && list.constant.is_array()) count = static_cast<int64_t>(list.constant.size());
  else fail(ctx, "repeats must be a list of ints");
  const int64_t extra = count - rank;
  if (extra < 0) fail(ctx, "repeats must have at least as many entries as the tensor has dims");
  std::string x = a.input("self");
  if (extra > 0) {
    std::vector<int64_t> axes(static_cast<size_t>(extra));
    std::iota(axes.begin(), axes.end(), 0);
    x = unsqueeze(ctx, x, axes);
  }
  set_result(ctx, ctx.op("Tile", {x, int_list_tensor(ctx, a, "repeats")}));
}

// ---- concatenation and splitting -----------------------------------------

// The tensors of a Tensor[] argument, cast to `dtype`.
std::vector<std::string> tensor_list(TranslateContext& ctx, const NodeArgs& a, std::string_view name, DType dtype) {
  const Arg& list = a.arg(name);
  if (!list.is_list()) fail(ctx, std::string(name) + " must be a list of tensors");
  std::vector<std::string> names;
  names.reserve(list.items.size());
  for (const Arg& item : list.items) names.push_back(arg_as(ctx, item, dtype));
  if (names.empty()) fail(ctx, "expected a non-empty list of tensors");
  return names;
}

int64_t list_rank(TranslateContext& ctx, const NodeArgs& a, std::string_view name) {
  const Arg& first = a.arg(name).items.at(0);
  return first.is_value() ? static_cast<int64_t>(ctx.graph().value(first.value).shape.size()) : 0;
}

// cat/concat(Tensor[] tensors, int dim=0)
void translate_cat(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::vector<std::string> parts = tensor_list(ctx, a, "tensors", output_dtype(ctx));
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), list_rank(ctx, a, "tensors"));
  set_result(ctx, parts.size() == 1 ? ctx.op("Identity", {parts[0]})
                                    : ctx.op("Concat", parts, {{"axis", axis}}));
}

// stack(Tensor[] tensors, int dim=0)
void translate_stack(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::vector<std::string> parts = tensor_list(ctx, a, "tensors", output_dtype(ctx));
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), list_rank(ctx, a, "tensors") + 1);
  for (std::string& p : parts) p = unsqueeze(ctx, p, {axis});
  set_result(ctx, parts.size() == 1 ? parts[0] : ctx.op("Concat", parts, {{"axis", axis}}));
}

// Split `x` along `axis` into the node's outputs with explicit sizes.
void split_with(TranslateContext& ctx, const std::string& x, int64_t axis, const std::string& sizes) {
  const size_t n = ctx.node().outputs.size();
  std::vector<std::string> outs = ctx.op_n("Split", {x, sizes}, n, {{"axis", axis}});
  for (size_t k = 0; k < n; ++k) bind_output(ctx, k, outs[k]);
}

// Sizes [c, c, ..., n - (k-1)*c] for k outputs of chunk size c along a
// symbolic dim: computed at run time from the input's shape.
std::string runtime_sizes(TranslateContext& ctx, const std::string& x, int64_t axis, const std::string& chunk,
                          size_t k) {
  std::string n = ctx.op("Gather", {shape_of(ctx, x), ctx.const_i64({axis})}, {{"axis", int64_t{0}}});
  std::vector<std::string> parts(k - 1, chunk);
  std::string used = ctx.op("Mul", {chunk, ctx.const_i64({static_cast<int64_t>(k - 1)})});
  parts.push_back(ctx.op("Sub", {n, used}));
  return parts.size() == 1 ? parts[0] : ctx.op("Concat", parts, {{"axis", int64_t{0}}});
}

// Sizes of k chunks of `chunk` elements along a static dim of size n.
std::vector<int64_t> static_sizes(TranslateContext& ctx, int64_t n, int64_t chunk, size_t k) {
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < n || (n == 0 && sizes.empty()); start += chunk)
    sizes.push_back(std::min(chunk, n - start));
  if (sizes.size() != k)
    fail(ctx, "splitting a dim of size " + std::to_string(n) + " in chunks of " + std::to_string(chunk) +
                  " gives " + std::to_string(sizes.size()) + " parts, but the node has " + std::to_string(k) +
                  " outputs");
  return sizes;
}

// split.Tensor(Tensor self, int split_size, int dim=0) and
// split / split.sizes / split_with_sizes(Tensor self, int[] split_size(s), int dim=0):
// the overload's second argument, an int or an int[].
void translate_split(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  const size_t k = ctx.node().outputs.size();
  const std::string_view sizes = schema_arg_name(ctx, a, 1);
  const bool is_sizes = a.schema().arguments[1].type.list;
  std::string x = a.input("self");
  if (is_sizes) {
    split_with(ctx, x, axis, int_list_tensor(ctx, a, sizes));
    return;
  }
  const int64_t chunk = a.i64(sizes);
  if (chunk <= 0) fail(ctx, "split_size must be positive");
  if (auto n = static_dim(ctx, a, "self", axis)) {
    split_with(ctx, x, axis, ctx.const_i64(static_sizes(ctx, *n, chunk, k)));
  } else {
    split_with(ctx, x, axis, runtime_sizes(ctx, x, axis, ctx.const_i64({chunk}), k));
  }
}

// tensor_split(Tensor self, SymInt sections | SymInt[] indices, int dim=0):
// the meta function has already worked out every piece's static length
// (sections or clamped indices), so the node's output shapes are the sizes.
void translate_tensor_split(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  std::vector<int64_t> sizes;
  for (ValueId out : ctx.node().outputs) {
    const Shape& shape = ctx.graph().value(out).shape;
    if (static_cast<int64_t>(shape.size()) <= axis || !shape[static_cast<size_t>(axis)].is_static())
      fail(ctx, "the pieces must have static lengths along the split dim");
    sizes.push_back(shape[static_cast<size_t>(axis)].value());
  }
  split_with(ctx, a.input("self"), axis, ctx.const_i64(sizes));
}

// chunk(Tensor self, int chunks, int dim=0): chunks of ceil(n / chunks); the
// node's output count is how many chunks torch produced.
template <bool NumOutputsAttr>
void translate_chunk(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  const int64_t chunks = a.i64("chunks");
  if (chunks <= 0) fail(ctx, "chunks must be positive");
  const size_t k = ctx.node().outputs.size();
  std::string x = a.input("self");
  if (auto n = static_dim(ctx, a, "self", axis)) {
    // torch.chunk of an empty dim gives `chunks` empty pieces.
    if (*n == 0) {
      split_with(ctx, x, axis, ctx.const_i64(std::vector<int64_t>(k, 0)));
      return;
    }
    const int64_t chunk = std::max<int64_t>(1, (*n + chunks - 1) / chunks);
    split_with(ctx, x, axis, ctx.const_i64(static_sizes(ctx, *n, chunk, k)));
    return;
  }
  if constexpr (NumOutputsAttr) {
    // Opset 18: num_outputs splits in ceil(n / k) parts, the last smaller,
    // which is torch.chunk's rule for the k chunks it produced.
    std::vector<std::string> outs = ctx.op_n("Split", {x}, k, {{"axis", axis}, {"num_outputs", int64_t(k)}});
    for (size_t i = 0; i < k; ++i) bind_output(ctx, i, outs[i]);
  } else {
    // Before 18: sizes computed at run time, chunk = ceil(n / chunks).
    std::string n = ctx.op("Gather", {shape_of(ctx, x), ctx.const_i64({axis})}, {{"axis", int64_t{0}}});
    std::string chunk = ctx.op("Div", {ctx.op("Add", {n, ctx.const_i64({chunks - 1})}), ctx.const_i64({chunks})});
    split_with(ctx, x, axis, runtime_sizes(ctx, x, axis, chunk, k));
  }
}

// unbind(Tensor self, int dim=0): one output per index, the dim removed.
template <bool NumOutputsAttr>
void translate_unbind(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  const size_t k = ctx.node().outputs.size();
  // Equal parts of 1: without a split input before opset 18, with num_outputs from 18.
  OnnxAttrs attrs{{"axis", axis}};
  if (NumOutputsAttr) attrs.push_back({"num_outputs", static_cast<int64_t>(k)});
  std::vector<std::string> parts = ctx.op_n("Split", {a.input("self")}, k, attrs);
  for (size_t i = 0; i < k; ++i) bind_output(ctx, i, squeeze(ctx, parts[i], {axis}));
}

// meshgrid(Tensor[] tensors) / meshgrid.indexing(Tensor[] tensors, *, str indexing):
// input i flattened, reshaped to run along its axis (1 on the others) and
// expanded to the grid, whose shape is the inputs' lengths in axis order
// ("xy" swaps the first two; the overload without indexing is "ij").
void translate_meshgrid(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Arg& list = a.arg("tensors");
  if (!list.is_list() || list.items.empty()) fail(ctx, "expects a non-empty list of tensors");
  const std::string indexing = takes(a, "indexing") ? a.str("indexing") : "ij";
  if (indexing != "ij" && indexing != "xy") fail(ctx, "indexing must be \"ij\" or \"xy\", got \"" + indexing + "\"");
  const size_t n = list.items.size();
  std::vector<std::string> flat;
  for (const Arg& item : list.items) {
    if (!item.is_value()) fail(ctx, "expects a list of tensors");
    flat.push_back(ctx.op("Reshape", {ctx.name_of(item.value), ctx.const_i64({-1})}));
  }
  std::vector<size_t> axis(n);
  for (size_t i = 0; i < n; ++i) axis[i] = i;
  if (indexing == "xy" && n >= 2) std::swap(axis[0], axis[1]);
  std::vector<std::string> lengths(n);
  for (size_t i = 0; i < n; ++i) lengths[axis[i]] = shape_of(ctx, flat[i]);
  const std::string grid = n == 1 ? lengths[0] : ctx.op("Concat", lengths, {{"axis", int64_t{0}}});
  for (size_t i = 0; i < n; ++i) {
    std::vector<int64_t> along(n, 1);
    along[axis[i]] = -1;
    bind_output(ctx, i, ctx.op("Expand", {ctx.op("Reshape", {flat[i], ctx.const_i64(along)}), grid}));
  }
}

// ---- slicing and gathering --------------------------------------------------

// slice.Tensor(Tensor self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1):
// a None start is 0, a None end the end of the dim.
void translate_slice(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  const int64_t step = a.i64("step");
  if (step <= 0) fail(ctx, "step must be positive");
  std::string starts = a.has("start") ? int_as_1d(ctx, a, "start") : ctx.const_i64({0});
  std::string ends = a.has("end") ? int_as_1d(ctx, a, "end") : ctx.const_i64({kInt64Max});
  set_result(ctx, ctx.op("Slice", {a.input("self"), starts, ends, ctx.const_i64({axis}), ctx.const_i64({step})}));
}

// narrow(Tensor self, int dim, SymInt start, SymInt length)
void translate_narrow(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  std::string start = int_as_1d(ctx, a, "start");
  std::string end;
  if (is_constant(a, "start") && is_constant(a, "length")) {
    end = ctx.const_i64({a.i64("start") + a.i64("length")});
  } else {
    end = ctx.op("Add", {start, int_as_1d(ctx, a, "length")});
  }
  if (is_constant(a, "start") && a.i64("start") < 0) {
    // A negative start counts from the end; so must the end (start + length),
    // which may reach 0 == "the end": use the dim size instead.
    std::string n = ctx.op("Gather", {shape_of(ctx, a.input("self")), ctx.const_i64({axis})}, {{"axis", int64_t{0}}});
    start = ctx.op("Add", {start, n});
    end = ctx.op("Add", {end, n});
  }
  set_result(ctx, ctx.op("Slice", {a.input("self"), start, end, ctx.const_i64({axis})}));
}

// select.int(Tensor self, int dim, SymInt index): Gather with a 0-d index drops the dim.
void translate_select(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  set_result(ctx, ctx.op("Gather", {a.input("self"), int_as_scalar(ctx, a, "index")}, {{"axis", axis}}));
}

// index_select(Tensor self, int dim, Tensor index)
void translate_index_select(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  set_result(ctx, ctx.op("Gather", {a.input("self"), input_as(ctx, a, "index", DType::Int64)}, {{"axis", axis}}));
}

// gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False)
void translate_gather(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  set_result(ctx,
             ctx.op("GatherElements", {a.input("self"), input_as(ctx, a, "index", DType::Int64)}, {{"axis", axis}}));
}

// index.Tensor(Tensor self, Tensor?[] indices) with one integer index tensor
// (x[idx] or x[:, idx]): Gather along that dim.
void translate_index(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Arg& indices = a.arg("indices");
  if (!indices.is_list()) fail(ctx, "indices must be a list");
  std::optional<int64_t> axis;
  for (size_t k = 0; k < indices.items.size(); ++k) {
    if (indices.items[k].is_none()) continue;
    if (axis) fail(ctx, "indexing with more than one index tensor is not supported");
    axis = static_cast<int64_t>(k);
  }
  if (!axis) fail(ctx, "no index tensor");
  const Arg& index = indices.items[static_cast<size_t>(*axis)];
  if (!index.is_value()) fail(ctx, "the index must be a tensor");
  const Value& iv = ctx.graph().value(index.value);
  if (iv.dtype == DType::Bool || iv.dtype == DType::UInt8)
    fail(ctx, "boolean mask indexing has a data-dependent output shape and is not supported");
  set_result(ctx, ctx.op("Gather", {a.input("self"), arg_as(ctx, index, DType::Int64)}, {{"axis", *axis}}));
}

// size.int(Tensor self, int dim) -> SymInt, as a 0-d int64; size(Tensor self) -> int[].
void translate_size(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string shape = shape_of(ctx, a.input("self"));
  if (!takes(a, "dim")) {
    set_result(ctx, shape);
    return;
  }
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  set_result(ctx, ctx.op("Gather", {shape, ctx.const_scalar(static_cast<double>(axis), DType::Int64)},
                         {{"axis", int64_t{0}}}));
}

// nonzero(Tensor self) -> Tensor [count, rank]: ONNX NonZero gives [rank, count].
// The tracing engine emits it (with an unbacked count) for nonzero(), x[mask]
// and masked_select.
void translate_nonzero(TranslateContext& ctx) {
  set_result(ctx, transpose_perm(ctx, ctx.op("NonZero", {NodeArgs(ctx).input("self")}), {1, 0}));
}

// _unique2(Tensor self, bool sorted, bool return_inverse, bool return_counts)
// / unique_dim(Tensor self, int dim, ...) -> (values, inverse, counts): ONNX
// Unique, sorted (torch's CPU kernel always sorts), over the flattened input
// or along dim; bools through int64 (ONNX Runtime's Unique takes no bool).
// _unique2's inverse and counts are empty unless asked for, as in torch;
// unique_dim always gives both.
void translate_unique(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const bool flat = ctx.node().op == "aten::_unique2";
  const DType d = arg_dtype(ctx, a, "self");
  const DType compute = d == DType::Bool || d == DType::UInt8 || d == DType::Int32 || d == DType::Int16 ? DType::Int64 : d;
  std::string x = cast(ctx, a.input("self"), d, compute);
  OnnxAttrs attrs{{"sorted", int64_t{1}}};
  if (!flat) attrs.push_back({"axis", normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"))});
  const std::vector<std::string> r = ctx.op_n("Unique", {x}, 4, attrs);
  bind_output(ctx, 0, cast(ctx, r[0], compute, d));
  std::string inverse = r[2];
  if (flat) inverse = ctx.op("Reshape", {inverse, shape_of(ctx, a.input("self"))});
  const std::string empty = ctx.const_i64({});
  bind_output(ctx, 1, !flat || a.boolean("return_inverse") ? inverse : empty);
  bind_output(ctx, 2, !flat || a.boolean("return_counts") ? r[3] : empty);
}

// numel(Tensor self) -> int
void translate_numel(TranslateContext& ctx) {
  set_result(ctx, ctx.op("Size", {NodeArgs(ctx).input("self")}));
}

// cumsum(Tensor self, int dim, *, ScalarType? dtype=None)
void translate_cumsum(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  std::string x = input_as(ctx, a, "self", a.dtype("dtype").value_or(output_dtype(ctx)));
  set_result(ctx, ctx.op("CumSum", {x, ctx.const_scalar(static_cast<double>(axis), DType::Int64)}));
}

// tril/triu(Tensor self, int diagonal=0): Trilu exists from opset 14.
template <bool Upper>
void translate_trilu(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string k = ctx.const_scalar(static_cast<double>(a.i64("diagonal")), DType::Int64);
  set_result(ctx, ctx.op("Trilu", {a.input("self"), k}, {{"upper", int64_t{Upper ? 1 : 0}}}));
}

// flip(Tensor self, int[] dims): a reversed Slice per dim.
void translate_flip(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  std::vector<int64_t> axes = a.ints("dims");
  for (int64_t& a : axes) a = normalize_dim(ctx, a, rank);
  // An empty tensor is its own flip (and ONNX's shape inference gives a
  // reversed Slice of an empty dim length 1).
  const Shape& shape = ctx.output_value(0).shape;
  if (std::any_of(shape.begin(), shape.end(), [](const Dim& d) { return d.is_static() && d.value() == 0; })) {
    set_result(ctx, ctx.op("Identity", {a.input("self")}));
    return;
  }
  const size_t n = axes.size();
  std::vector<int64_t> starts(n, -1), ends(n, std::numeric_limits<int64_t>::min()), steps(n, -1);
  set_result(ctx, ctx.op("Slice", {a.input("self"), ctx.const_i64(starts), ctx.const_i64(ends), ctx.const_i64(axes),
                                   ctx.const_i64(steps)}));
}

// unflatten(Tensor self, int dim, SymInt[] sizes): Reshape with the leading
// dims copied (0), the new sizes, then the trailing dims.
void translate_unflatten(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "self");
  const int64_t dim = normalize_dim(ctx, a.i64("dim"), rank);
  std::vector<std::string> parts;
  if (dim > 0) parts.push_back(ctx.const_i64(std::vector<int64_t>(static_cast<size_t>(dim), 0)));
  parts.push_back(int_list_tensor(ctx, a, "sizes"));
  if (dim + 1 < rank)
    parts.push_back(ctx.op("Slice", {shape_of(ctx, a.input("self")), ctx.const_i64({dim + 1}), ctx.const_i64({rank})}));
  std::string shape = parts.size() == 1 ? parts[0] : ctx.op("Concat", parts, {{"axis", int64_t{0}}});
  set_result(ctx, ctx.op("Reshape", {a.input("self"), shape}));
}

// _reshape_alias(Tensor self, SymInt[] size, SymInt[] stride): a view.
void translate_reshape_alias(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("Reshape", {a.input("self"), int_list_tensor(ctx, a, "size")}));
}

// topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> (values, indices)
void translate_topk(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  OnnxAttrs attrs{{"axis", axis},
                  {"largest", int64_t{a.boolean("largest") ? 1 : 0}},
                  {"sorted", int64_t{a.boolean("sorted") ? 1 : 0}}};
  std::vector<std::string> outs = ctx.op_n("TopK", {a.input("self"), int_as_1d(ctx, a, "k")}, 2, attrs);
  for (size_t i = 0; i < ctx.node().outputs.size() && i < 2; ++i) bind_output(ctx, i, outs[i]);
}

// Sorting `self` along `axis`: TopK over the whole dim.
std::vector<std::string> sort_along(TranslateContext& ctx, const NodeArgs& a, int64_t axis, bool descending) {
  const std::string x = a.input("self");
  std::string k;
  if (auto n = static_dim(ctx, a, "self", axis)) k = ctx.const_i64({*n});
  else k = ctx.op("Gather", {shape_of(ctx, x), ctx.const_i64({axis})}, {{"axis", int64_t{0}}});
  return ctx.op_n("TopK", {x, k}, 2, {{"axis", axis}, {"largest", int64_t{descending ? 1 : 0}}, {"sorted", int64_t{1}}});
}

// sort(Tensor self, int dim=-1, bool descending=False) -> (values, indices)
// sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False)
// ONNX TopK does not promise torch's order among equal values (stable or not).
void translate_sort(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  std::vector<std::string> outs = sort_along(ctx, a, axis, a.boolean("descending"));
  for (size_t i = 0; i < ctx.node().outputs.size() && i < 2; ++i) bind_output(ctx, i, outs[i]);
}

// argsort(Tensor self, int dim=-1, bool descending=False) (and argsort.stable)
void translate_argsort(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t axis = normalize_dim(ctx, a.i64("dim"), rank_of(ctx, a, "self"));
  set_result(ctx, sort_along(ctx, a, axis, a.boolean("descending"))[1]);
}

// ---- factories --------------------------------------------------------------

// A tensor of `shape` (a 1-D int64 ONNX value) filled with the argument
// `fill_name` (fill_value, or fill's value), or with `fill` when the op has
// none (zeros, ones), of the output's dtype.
std::string full_of(TranslateContext& ctx, const NodeArgs& a, const std::string& shape,
                    std::optional<std::string_view> fill_name, double fill) {
  const DType d = output_dtype(ctx);
  if (fill_name && is_value(a, *fill_name)) {
    // A fill value computed at run time: broadcast the scalar.
    return ctx.op("Expand", {input_as(ctx, a, *fill_name, d), shape});
  }
  if (fill_name) fill = a.f64(*fill_name);
  Tensor value = Tensor::zeros(d, {1});
  value.set_double(0, fill);
  return ctx.op("ConstantOfShape", {shape}, {{"value", value}});
}

// zeros/ones/empty(SymInt[] size, *, dtype, layout, device, pin_memory)
template <int Fill>
void translate_constant_fill(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, full_of(ctx, a, int_list_tensor(ctx, a, "size"), std::nullopt, Fill));
}

// full(SymInt[] size, Scalar fill_value, *, dtype, layout, device, pin_memory)
void translate_full(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, full_of(ctx, a, int_list_tensor(ctx, a, "size"), "fill_value", 0));
}

// zeros_like/ones_like/empty_like(Tensor self, *, dtype, layout, device, pin_memory, memory_format)
template <int Fill>
void translate_constant_fill_like(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, full_of(ctx, a, shape_of(ctx, a.input("self")), std::nullopt, Fill));
}

// full_like(Tensor self, Scalar fill_value, *, dtype, ...)
void translate_full_like(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, full_of(ctx, a, shape_of(ctx, a.input("self")), "fill_value", 0));
}

// new_zeros/new_ones/new_empty(Tensor self, SymInt[] size, *, dtype, ...)
template <int Fill>
void translate_new_fill(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, full_of(ctx, a, int_list_tensor(ctx, a, "size"), std::nullopt, Fill));
}

// new_full(Tensor self, SymInt[] size, Scalar fill_value, *, dtype, ...)
void translate_new_full(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, full_of(ctx, a, int_list_tensor(ctx, a, "size"), "fill_value", 0));
}

// arange(Scalar end, *, dtype, layout, device, pin_memory)
// arange.start(Scalar start, Scalar end, *, dtype, layout, device, pin_memory)
// arange.start_step(Scalar start, Scalar end, Scalar step=1, *, dtype, ...)
// (the overload binds by argument count: 5, 6 or 7 arguments). Without
// start it is 0, without step 1, as torch.arange.
void translate_arange(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs a(ctx);
  auto scalar = [&](std::string_view name) {
    std::string s = input_as(ctx, a, name, d);
    return rank_of(ctx, a, name) == 0 ? s : to_scalar(ctx, s);
  };
  const std::string start = takes(a, "start") ? scalar("start") : ctx.const_scalar(0, d);
  const std::string end = scalar("end");
  const std::string step = takes(a, "step") ? scalar("step") : ctx.const_scalar(1, d);
  set_result(ctx, ctx.op("Range", {start, end, step}));
}

// eye(SymInt n, *, dtype, layout, device, pin_memory) / eye.m(SymInt n, SymInt m, *, dtype, ...)
void translate_eye(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string n = int_as_1d(ctx, a, "n");
  std::string m = takes(a, "m") ? int_as_1d(ctx, a, "m") : n;
  std::string shape = ctx.op("Concat", {n, m}, {{"axis", int64_t{0}}});
  std::string zeros = ctx.op("ConstantOfShape", {shape});  // float32 zeros
  set_result(ctx, ctx.op("EyeLike", {zeros}, {{"dtype", int64_t{dtype_to_onnx(output_dtype(ctx))}}}));
}

// torch 1.13's CPU linspace, value i of `steps`: start and end converted to
// the output type T first (4.3 -> 4 for int64), the step in T (double for
// integer T), filled from both ends toward the middle for symmetric rounding;
// one step alone is start. Integer outputs truncate toward zero.
template <typename T>
double linspace_value(double start_arg, double end_arg, int64_t steps, int64_t i) {
  using Step = std::conditional_t<std::is_integral_v<T>, double, T>;
  const T start = static_cast<T>(start_arg), end = static_cast<T>(end_arg);
  if (steps == 1) return static_cast<double>(start);
  const Step step = (static_cast<Step>(end) - static_cast<Step>(start)) / static_cast<Step>(steps - 1);
  const Step v = i < steps / 2 ? static_cast<Step>(start) + step * static_cast<Step>(i)
                               : static_cast<Step>(end) - step * static_cast<Step>(steps - i - 1);
  return static_cast<double>(static_cast<T>(v));
}

// linspace(Scalar start, Scalar end, int steps, *, dtype, layout, device, pin_memory):
// constant arguments, so the values are computed here the way torch does.
void translate_linspace(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const double start = a.f64("start");
  const double end = a.f64("end");
  const int64_t steps = a.i64("steps");
  if (steps < 0) fail(ctx, "steps must be non-negative");
  const DType d = output_dtype(ctx);
  if (d == DType::Bool) fail(ctx, "linspace has no bool output (torch refuses it too)");
  Tensor t = Tensor::zeros(d, {steps});
  for (int64_t i = 0; i < steps; ++i)
    t.set_double(i, d == DType::Float32 ? linspace_value<float>(start, end, steps, i)
                    : is_floating(d)    ? linspace_value<double>(start, end, steps, i)
                                        : linspace_value<int64_t>(start, end, steps, i));
  set_result(ctx, ctx.constant(t, ctx.output_value(0).name));
}

// fill(Tensor self, Scalar|Tensor value) / zero(Tensor self)
void translate_fill(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  std::string shape = shape_of(ctx, a.input("self"));
  if (!takes(a, "value")) set_result(ctx, full_of(ctx, a, shape, std::nullopt, 0));
  else set_result(ctx, full_of(ctx, a, shape, "value", 0));
}

// tensor(t[] data, *, ScalarType? dtype, Device? device, bool requires_grad),
// tensor.int/.float/.bool(<number> t, ...): a constant from the (nested) list
// or the number; `data` names the schema's first argument (data or t).
// Data holding SymInts (`torch.tensor([x.size(0), 3])`, `torch.as_tensor(n)`):
// a flat list or one number, built from the sizes at run time.
bool symbolic_int_data(TranslateContext& ctx, const NodeArgs& a, std::string_view data) {
  const Arg& arg = a.arg(data);
  if (arg.is_value()) return a.value(data).kind == ValueKind::SymInt;
  if (!arg.is_list()) return false;
  for (const Arg& item : arg.items)
    if (!(item.is_constant() && item.constant.is_number_integer()) &&
        !(item.is_value() && ctx.graph().value(item.value).kind == ValueKind::SymInt))
      return false;
  return true;
}

void translate_tensor(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const std::string_view data = schema_arg_name(ctx, a, 0);
  if (symbolic_int_data(ctx, a, data)) {
    std::string v = is_value(a, data) ? int_as_scalar(ctx, a, data) : int_list_tensor(ctx, a, data);
    set_result(ctx, cast(ctx, v, DType::Int64, output_dtype(ctx)));
    return;
  }
  if (!is_constant(a, data)) fail(ctx, "the data must be a constant (nested) list of numbers");
  const nlohmann::json& constant = a.arg(data).constant;
  std::vector<int64_t> shape;
  std::vector<double> flat;
  const nlohmann::json* level = &constant;
  while (level->is_array()) {
    shape.push_back(static_cast<int64_t>(level->size()));
    if (level->empty()) break;
    level = &level->front();
  }
  std::function<void(const nlohmann::json&, size_t)> walk = [&](const nlohmann::json& j, size_t depth) {
    if (depth == shape.size()) {
      if (!j.is_number() && !j.is_boolean()) fail(ctx, "non-numeric element " + j.dump());
      flat.push_back(j.is_boolean() ? (j.get<bool>() ? 1.0 : 0.0) : j.get<double>());
      return;
    }
    if (!j.is_array() || static_cast<int64_t>(j.size()) != shape[depth]) fail(ctx, "ragged nested list");
    for (const auto& item : j) walk(item, depth + 1);
  };
  walk(constant, 0);
  Tensor t = Tensor::zeros(output_dtype(ctx), shape);
  for (size_t i = 0; i < flat.size(); ++i) t.set_double(static_cast<int64_t>(i), flat[i]);
  set_result(ctx, ctx.constant(t, ctx.output_value(0).name));
}

// as_tensor(Tensor data, *, ScalarType? dtype, Device? device): the tensor,
// cast when a dtype is given; numbers and lists (as_tensor.int, .list ...): as tensor().
void translate_as_tensor(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const std::string_view data = schema_arg_name(ctx, a, 0);
  if (is_tensor_value(ctx, a, data)) {
    set_result(ctx, cast(ctx, a.input(data), arg_dtype(ctx, a, data), output_dtype(ctx)));
    return;
  }
  translate_tensor(ctx);
}

template <bool Upper>
void add_trilu(Registrar& r, const char* op) {
  add(r, op, translate_trilu<Upper>, 14, kOpenEnded, "Trilu (opset 14+)");
}

}  // namespace

void register_shape_ops(Registrar& r) {
  for (const char* op : {"aten::contiguous", "aten::clone", "aten::detach", "aten::alias", "aten::lift_fresh"})
    add(r, op, translate_identity);
  for (const char* op : {"aten::dropout", "aten::feature_dropout", "aten::alpha_dropout", "aten::feature_alpha_dropout"})
    add(r, op, translate_dropout, kMinOpset, kOpenEnded, "Identity (inference)");

  add(r, "aten::view", translate_reshape);
  add(r, "aten::reshape", translate_reshape);
  add(r, "aten::view_as", translate_reshape_as);
  add(r, "aten::reshape_as", translate_reshape_as);
  add(r, "aten::flatten", translate_flatten);
  add(r, "aten::squeeze", translate_squeeze);
  add(r, "aten::unsqueeze", translate_unsqueeze);
  add(r, "aten::transpose", translate_transpose);
  add(r, "aten::t", translate_t);
  add(r, "aten::permute", translate_permute);
  add(r, "aten::expand", translate_expand);
  add(r, "aten::expand_as", translate_expand_as);
  add(r, "aten::repeat", translate_repeat);

  add(r, "aten::cat", translate_cat);
  add(r, "aten::concat", translate_cat);
  add(r, "aten::stack", translate_stack);
  add(r, "aten::split", translate_split);
  add(r, "aten::split_with_sizes", translate_split);
  add(r, "aten::chunk", translate_chunk<false>, kMinOpset, 17, "Split with a sizes input");
  add(r, "aten::chunk", translate_chunk<true>, 18, kOpenEnded, "Split with num_outputs for symbolic dims");
  add(r, "aten::unbind", translate_unbind<false>, kMinOpset, 17, "Split in equal parts, Squeeze");
  add(r, "aten::unbind", translate_unbind<true>, 18, kOpenEnded, "Split with num_outputs, Squeeze");
  add(r, "aten::meshgrid", translate_meshgrid);
  add(r, "aten::tensor_split", translate_tensor_split);

  add(r, "aten::slice", translate_slice);
  add(r, "aten::narrow", translate_narrow);
  add(r, "aten::select", translate_select);
  add(r, "aten::index_select", translate_index_select);
  add(r, "aten::gather", translate_gather);
  add(r, "aten::index", translate_index);
  add(r, "aten::size", translate_size);
  add(r, "aten::numel", translate_numel);
  add(r, "aten::nonzero", translate_nonzero);
  add(r, "aten::_unique2", translate_unique, kMinOpset, kOpenEnded, "Unique (sorted), inverse reshaped to the input");
  add(r, "aten::unique_dim", translate_unique, kMinOpset, kOpenEnded, "Unique (sorted) along axis");
  add(r, "aten::cumsum", translate_cumsum);
  add_trilu<false>(r, "aten::tril");
  add_trilu<true>(r, "aten::triu");
  add(r, "aten::flip", translate_flip);
  add(r, "aten::unflatten", translate_unflatten);
  add(r, "aten::swapaxes", translate_transpose);
  add(r, "aten::swapdims", translate_transpose);
  add(r, "aten::_reshape_alias", translate_reshape_alias);
  add(r, "aten::topk", translate_topk);
  add(r, "aten::sort", translate_sort);
  add(r, "aten::argsort", translate_argsort);

  add(r, "aten::zeros", translate_constant_fill<0>);
  add(r, "aten::ones", translate_constant_fill<1>);
  add(r, "aten::empty", translate_constant_fill<0>, kMinOpset, kOpenEnded, "zeros (uninitialized in torch)");
  add(r, "aten::full", translate_full);
  add(r, "aten::zeros_like", translate_constant_fill_like<0>);
  add(r, "aten::ones_like", translate_constant_fill_like<1>);
  add(r, "aten::empty_like", translate_constant_fill_like<0>);
  add(r, "aten::full_like", translate_full_like);
  add(r, "aten::new_zeros", translate_new_fill<0>);
  add(r, "aten::new_ones", translate_new_fill<1>);
  add(r, "aten::new_empty", translate_new_fill<0>);
  add(r, "aten::new_full", translate_new_full);
  add(r, "aten::arange", translate_arange);
  add(r, "aten::eye", translate_eye);
  add(r, "aten::linspace", translate_linspace);
  add(r, "aten::fill", translate_fill);
  add(r, "aten::zero", translate_fill);
  add(r, "aten::tensor", translate_tensor);
  add(r, "aten::as_tensor", translate_as_tensor);
  add(r, "aten::diagonal", translate_diagonal, kMinOpset, kOpenEnded, "Transpose + Reshape + Gather");
  add(r, "aten::repeat_interleave", translate_repeat_interleave, kMinOpset, kOpenEnded, "Expand + Reshape");
  add(r, "aten::atleast_1d", translate_atleast<1>);
  add(r, "aten::atleast_2d", translate_atleast<2>);
  add(r, "aten::atleast_3d", translate_atleast<3>);
}

}  // namespace onnxport::aten
