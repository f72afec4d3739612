// Indexing: slice, select, narrow, index_select, gather, index (advanced
// indexing with int64/bool index tensors), topk, sort, argsort, tril/triu.
#include "op_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace onnxport::ops {
namespace {

// Python slice bound for a dim of static length: negatives count from the
// end, then clamp to [0, len].
int64_t clamp_bound(int64_t v, int64_t len) {
  if (v < 0) v += len;
  return std::clamp<int64_t>(v, 0, len);
}

// TorchScript writes an open end as INT64_MAX (x[1:]).
bool is_open_end(const Dim& d) { return d.is_static() && d.value() >= std::numeric_limits<int64_t>::max() / 2; }

// A slice bound on a symbolic dim: negatives count from the end. A positive
// static bound is assumed to be within the dim (it cannot be clamped).
Dim symbolic_bound(const Dim& v, const Dim& len) {
  if (is_open_end(v)) return len;
  if (v.is_static() && v.value() < 0) return dim_add(len, v);
  return v;
}

struct SliceSpec {
  int64_t dim = 0;
  Dim start, length;
  int64_t step = 1;
};

// An int or SymInt argument as a Dim.
Dim size_dim(const OpArg& a) { return a.kind == OpArg::Kind::SymInt ? a.sym : Dim(a.as_int()); }

// slice.Tensor(Tensor self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1)
SliceSpec slice_spec(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  SliceSpec s;
  s.dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
  s.step = args.i64("step");
  if (s.step <= 0) fail("slice step must be positive, got " + std::to_string(s.step));
  if (in.shape.empty()) fail("slice() cannot be applied to a 0-dim tensor");
  const Dim len = in.shape[static_cast<size_t>(s.dim)];
  const Dim start = args.has("start") ? size_dim(args.arg("start")) : Dim(0);
  const Dim end = args.has("end") ? size_dim(args.arg("end")) : len;
  if (len.is_static() && start.is_static() && end.is_static()) {
    const int64_t b = clamp_bound(start.value(), len.value());
    const int64_t e = std::max(clamp_bound(end.value(), len.value()), b);
    s.start = Dim(b);
    s.length = Dim((e - b + s.step - 1) / s.step);
    return s;
  }
  s.start = len.is_static() && start.is_static() ? Dim(clamp_bound(start.value(), len.value())) : symbolic_bound(start, len);
  const Dim stop = len.is_static() && end.is_static() ? Dim(clamp_bound(end.value(), len.value())) : symbolic_bound(end, len);
  const Dim span = dim_sub(stop, s.start);
  s.length = s.step == 1 ? span : dim_floordiv(dim_add(span, Dim(s.step - 1)), Dim(s.step));
  return s;
}

void register_slicing(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::slice", "indexing",
      [](const OpArgs& args) {
        const SliceSpec s = slice_spec(args);
        const TensorMeta& in = args.tensor("self");
        Shape out = in.shape;
        out[static_cast<size_t>(s.dim)] = s.length;
        return std::vector<TensorMeta>{TensorMeta{in.dtype, out}};
      },
      [](const OpArgs& args) {
        const SliceSpec s = slice_spec(args);
        return std::vector<Tensor>{slice_tensor(args.data("self"), s.dim, s.start.value(), s.length.value(), s.step)};
      });

  // select.int(Tensor self, int dim, int index) (a SymInt index too): drops the dim.
  auto select_spec = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    if (in.shape.empty()) fail("select() cannot be applied to a 0-dim tensor");
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    const Dim len = in.shape[static_cast<size_t>(dim)];
    Shape out = in.shape;
    out.erase(out.begin() + dim);
    // A symbolic index (a loop's iteration number in a rewritten loop) does
    // not change the result's shape; only a kernel needs its value.
    if (args.arg("index").kind == OpArg::Kind::SymInt) return std::make_tuple(dim, int64_t{0}, TensorMeta{in.dtype, out});
    int64_t index = args.i64("index");
    if (len.is_static()) {
      if (index < -len.value() || index >= len.value())
        fail("index " + std::to_string(index) + " is out of range for dim " + std::to_string(dim) + " of size " + len.str());
      if (index < 0) index += len.value();
    } else if (index < 0) {
      fail("a negative index on the symbolic dim " + len.expr() + " is not supported");
    }
    return std::make_tuple(dim, index, TensorMeta{in.dtype, out});
  };
  define_by_schema(
      lib, "aten::select", "indexing", [select_spec](const OpArgs& args) { return std::vector<TensorMeta>{std::get<2>(select_spec(args))}; },
      [select_spec](const OpArgs& args) {
        auto [dim, index, m] = select_spec(args);
        const Tensor& in = args.data("self");
        if (index >= in.shape()[static_cast<size_t>(dim)]) fail("index " + std::to_string(index) + " is out of range");
        return std::vector<Tensor>{slice_tensor(in, dim, index, 1).reshaped(concrete(m.shape))};
      });

  // narrow(Tensor self, int dim, int start, int length) (SymInts too);
  // narrow.Tensor: start is a 0-d tensor.
  auto narrow_spec = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    if (in.shape.empty()) fail("narrow() cannot be applied to a 0-dim tensor");
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    const Dim len = in.shape[static_cast<size_t>(dim)];
    const Dim length = size_dim(args.arg("length"));
    Shape out = in.shape;
    out[static_cast<size_t>(dim)] = length;
    if (len.is_static() && length.is_static() && (length.value() < 0 || length.value() > len.value()))
      fail("length " + length.str() + " does not fit in dim " + std::to_string(dim) + " of size " + len.str());
    return std::make_pair(dim, TensorMeta{in.dtype, out});
  };
  define_by_schema(
      lib, "aten::narrow", "indexing", [narrow_spec](const OpArgs& args) { return std::vector<TensorMeta>{narrow_spec(args).second}; },
      [narrow_spec](const OpArgs& args) {
        auto [dim, m] = narrow_spec(args);
        const Tensor& in = args.data("self");
        const int64_t len = in.shape()[static_cast<size_t>(dim)];
        int64_t start = args.arg("start").is_tensor() ? args.data("start").get_int(0) : args.i64("start");
        if (start < 0) start += len;
        const int64_t length = args.i64("length");
        if (start < 0 || start + length > len)
          fail("start " + std::to_string(start) + " + length " + std::to_string(length) + " exceeds dim " +
               std::to_string(dim) + " of size " + std::to_string(len));
        return std::vector<Tensor>{slice_tensor(in, dim, start, length)};
      });
}

// Reads index tensor values as int64, wrapping negatives and checking range.
std::vector<int64_t> checked_indices(const Tensor& index, int64_t len, const std::string& what) {
  if (is_floating(index.dtype()) || index.dtype() == DType::Bool)
    fail(what + " must be an integer tensor, got " + std::string(dtype_name(index.dtype())));
  std::vector<int64_t> out(static_cast<size_t>(index.numel()));
  for (int64_t i = 0; i < index.numel(); ++i) {
    int64_t v = index.get_int(i);
    if (v < -len || v >= len)
      fail(what + " value " + std::to_string(v) + " is out of range for a dim of size " + std::to_string(len));
    out[static_cast<size_t>(i)] = v < 0 ? v + len : v;
  }
  return out;
}

void register_gathers(OpLibrary& lib) {
  // index_select(Tensor self, int dim, Tensor index)
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const TensorMeta& index = args.tensor("index");
    if (index.shape.size() > 1) fail("index must be 0-D or 1-D, got shape " + shape_str(index.shape));
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    Shape out = in.shape;
    if (!out.empty()) out[static_cast<size_t>(dim)] = index.shape.empty() ? Dim(1) : index.shape[0];
    return std::make_pair(dim, TensorMeta{in.dtype, out});
  };
  define_by_schema(
      lib, "aten::index_select", "indexing", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args).second}; },
      [meta](const OpArgs& args) {
        auto [dim, m] = meta(args);
        const Tensor& in = args.data("self");
        if (in.dim() == 0) return std::vector<Tensor>{in};
        const std::vector<int64_t> idx = checked_indices(args.data("index"), in.shape()[static_cast<size_t>(dim)], "index");
        std::vector<Tensor> rows;
        for (int64_t i : idx) rows.push_back(slice_tensor(in, dim, i, 1));
        // Concatenate the selected slabs along dim.
        Tensor out = Tensor::zeros(in.dtype(), concrete(m.shape));
        int64_t outer = 1;
        for (int64_t d = 0; d < dim; ++d) outer *= in.shape()[static_cast<size_t>(d)];
        const size_t slab = rows.empty() ? 0 : rows[0].nbytes() / static_cast<size_t>(std::max<int64_t>(outer, 1));
        for (size_t r = 0; r < rows.size(); ++r)
          for (int64_t o = 0; o < outer; ++o)
            std::copy_n(rows[r].bytes() + static_cast<size_t>(o) * slab, slab,
                        out.mutable_bytes() + (static_cast<size_t>(o) * rows.size() + r) * slab);
        return std::vector<Tensor>{out};
      });

  // gather(self, int dim, Tensor index, *, bool sparse_grad=False): out[i][j] = self[index[i][j]][j] (dim 0).
  define_by_schema(
      lib, "aten::gather", "indexing",
      [](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        const TensorMeta& index = args.tensor("index");
        normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
        if (index.shape.size() != in.shape.size() && !(in.shape.empty() && index.shape.size() <= 1))
          fail("index rank " + std::to_string(index.shape.size()) + " must equal self rank " + std::to_string(in.shape.size()));
        return std::vector<TensorMeta>{TensorMeta{in.dtype, index.shape}};
      },
      [](const OpArgs& args) {
        const Tensor& in = args.data("self");
        const Tensor& index = args.data("index");
        const int64_t dim = normalize_dim(args.i64("dim"), in.dim());
        const int64_t len = in.dim() == 0 ? 1 : in.shape()[static_cast<size_t>(dim)];
        const std::vector<int64_t> idx = checked_indices(index, len, "index");
        const std::vector<int64_t> in_strides = in.dim() == 0 ? std::vector<int64_t>{0} : contiguous_strides(in.shape());
        std::vector<int64_t> strides = in_strides;
        if (in.dim() > 0) strides[static_cast<size_t>(dim)] = 0;  // the dim comes from the index
        for (int64_t d = 0; d < index.dim() && d < in.dim(); ++d)
          if (d != dim && index.shape()[static_cast<size_t>(d)] > in.shape()[static_cast<size_t>(d)])
            fail("index shape " + sizes_str(index.shape()) + " is larger than self shape " + sizes_str(in.shape()) + " in dim " + std::to_string(d));
        Tensor out = Tensor::zeros(in.dtype(), index.shape());
        visit_bytes(in.dtype(), [&](auto tag) {
          using U = typename decltype(tag)::type;
          const U* src = reinterpret_cast<const U*>(in.bytes());
          U* dst = reinterpret_cast<U*>(out.mutable_bytes());
          int64_t i = 0;
          const int64_t dim_stride = in.dim() == 0 ? 0 : in_strides[static_cast<size_t>(dim)];
          for_each_offset<1>(index.shape(), {index.dim() == 0 ? std::vector<int64_t>{} : strides}, [&](const std::array<int64_t, 1>& o) {
            dst[i] = src[o[0] + idx[static_cast<size_t>(i)] * dim_stride];
            ++i;
          });
        });
        return std::vector<Tensor>{out};
      });
}

// ---------------------------------------------------------------- advanced indexing

// index.Tensor(Tensor self, Tensor?[] indices): integer index tensors (broadcast together)
// select along their dims; None keeps a dim. When the indexed dims are
// adjacent the result dims replace them in place, otherwise they go first.
struct IndexPlan {
  std::vector<int64_t> indexed;   // source dims with an index tensor
  std::vector<int64_t> pre, post; // non-indexed source dims before / after the result dims
  Shape index_shape;              // broadcast shape of the index tensors
};

IndexPlan index_plan(const TensorMeta& in, const OpArg& list) {
  if (list.kind != OpArg::Kind::List) fail("indices must be a list of optional tensors");
  if (list.items.size() > in.shape.size())
    fail("too many indices (" + std::to_string(list.items.size()) + ") for a tensor of shape " + shape_str(in.shape));
  IndexPlan plan;
  for (size_t d = 0; d < list.items.size(); ++d) {
    const OpArg& item = list.items[d];
    if (item.is_none()) continue;
    if (!item.is_tensor()) fail("index " + std::to_string(d) + " must be a tensor or None");
    if (item.meta.dtype == DType::Bool || item.meta.dtype == DType::UInt8)
      fail("boolean mask indexing has a data-dependent output shape (index " + std::to_string(d) + ")");
    if (is_floating(item.meta.dtype)) fail("index " + std::to_string(d) + " must be an integer tensor");
    plan.indexed.push_back(static_cast<int64_t>(d));
    plan.index_shape = broadcast_shapes(plan.index_shape, item.meta.shape);
  }
  if (plan.indexed.empty()) fail("at least one index must be a tensor");
  const bool adjacent = plan.indexed.back() - plan.indexed.front() + 1 == static_cast<int64_t>(plan.indexed.size());
  for (int64_t d = 0; d < static_cast<int64_t>(in.shape.size()); ++d) {
    if (std::find(plan.indexed.begin(), plan.indexed.end(), d) != plan.indexed.end()) continue;
    (adjacent && d < plan.indexed.front() ? plan.pre : plan.post).push_back(d);
  }
  return plan;
}

Shape index_shape_of(const TensorMeta& in, const IndexPlan& plan) {
  Shape out;
  for (int64_t d : plan.pre) out.push_back(in.shape[static_cast<size_t>(d)]);
  out.insert(out.end(), plan.index_shape.begin(), plan.index_shape.end());
  for (int64_t d : plan.post) out.push_back(in.shape[static_cast<size_t>(d)]);
  return out;
}

// Kernel-side: bool masks become their nonzero positions (one index tensor per mask dim).
OpArg expand_masks(const OpArg& indices, std::vector<Tensor>& storage) {
  OpArg out = indices;
  OpArg& list = out;
  std::vector<OpArg> items;
  storage.reserve(list.items.size() * 4);
  for (const OpArg& item : list.items) {
    if (!item.is_tensor() || (item.meta.dtype != DType::Bool && item.meta.dtype != DType::UInt8)) {
      items.push_back(item);
      continue;
    }
    const Tensor& mask = *item.data;
    const std::vector<int64_t>& ms = mask.shape();
    std::vector<std::vector<int64_t>> coords(ms.size());
    const std::vector<int64_t> strides = contiguous_strides(ms);
    for (int64_t i = 0; i < mask.numel(); ++i) {
      if (mask.get_int(i) == 0) continue;
      for (size_t d = 0; d < ms.size(); ++d) coords[d].push_back((i / strides[d]) % ms[d]);
    }
    for (auto& c : coords) {
      storage.push_back(Tensor::from_vector<int64_t>(DType::Int64, {static_cast<int64_t>(c.size())}, c));
      items.push_back(tensor_arg(storage.back()));
    }
  }
  list.items = std::move(items);
  return out;
}

std::vector<Tensor> index_kernel(const OpArgs& args) {
  std::vector<Tensor> storage;
  const OpArg indices = expand_masks(args.arg("indices"), storage);
  const IndexPlan plan = index_plan(args.tensor("self"), indices);
  const Tensor& in = args.data("self");
  const std::vector<int64_t> sizes = in.shape();
  const std::vector<int64_t> strides = contiguous_strides(sizes);
  const std::vector<int64_t> bshape = concrete(plan.index_shape);
  const int64_t count = numel_of(bshape);
  // Source offset contributed by the index tensors, per broadcast position.
  std::vector<int64_t> base(static_cast<size_t>(count), 0);
  for (int64_t d : plan.indexed) {
    const Tensor& idx_t = *indices.items[static_cast<size_t>(d)].data;
    const std::vector<int64_t> idx = checked_indices(idx_t, sizes[static_cast<size_t>(d)], "index");
    int64_t i = 0;
    for_each_offset<1>(bshape, {broadcast_strides(idx_t.shape(), bshape)}, [&](const std::array<int64_t, 1>& o) {
      base[static_cast<size_t>(i++)] += idx[static_cast<size_t>(o[0])] * strides[static_cast<size_t>(d)];
    });
  }
  auto sub = [&](const std::vector<int64_t>& dims) {
    std::vector<int64_t> s, st;
    for (int64_t d : dims) {
      s.push_back(sizes[static_cast<size_t>(d)]);
      st.push_back(strides[static_cast<size_t>(d)]);
    }
    return std::make_pair(s, st);
  };
  // Named references, not structured bindings: the lambdas below use them,
  // and clang before 16 cannot capture a structured binding.
  const auto pre = sub(plan.pre);
  const auto post = sub(plan.post);
  const std::vector<int64_t>& pre_sizes = pre.first;
  const auto& pre_strides = pre.second;
  const std::vector<int64_t>& post_sizes = post.first;
  const auto& post_strides = post.second;
  std::vector<int64_t> out_sizes = pre_sizes;
  out_sizes.insert(out_sizes.end(), bshape.begin(), bshape.end());
  out_sizes.insert(out_sizes.end(), post_sizes.begin(), post_sizes.end());
  Tensor out = Tensor::zeros(in.dtype(), out_sizes);
  visit_bytes(in.dtype(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* src = reinterpret_cast<const U*>(in.bytes());
    U* dst = reinterpret_cast<U*>(out.mutable_bytes());
    for_each_offset<1>(pre_sizes, {pre_strides}, [&](const std::array<int64_t, 1>& pre) {
      for (int64_t b = 0; b < count; ++b) {
        const int64_t at = pre[0] + base[static_cast<size_t>(b)];
        for_each_offset<1>(post_sizes, {post_strides}, [&](const std::array<int64_t, 1>& post) { *dst++ = src[at + post[0]]; });
      }
    });
  });
  return {out};
}

void register_index(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::index", "indexing",
      [](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        const IndexPlan plan = index_plan(in, args.arg("indices"));
        return std::vector<TensorMeta>{TensorMeta{in.dtype, index_shape_of(in, plan)}};
      },
      index_kernel);
}

// ---------------------------------------------------------------- sorting

// Orders positions along `dim`; NaN sorts as the largest value, like torch.
template <class T>
bool before(T a, T b, bool descending) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return descending ? (std::isnan(a) && !std::isnan(b)) : (!std::isnan(a) && std::isnan(b));
  }
  return descending ? a > b : a < b;
}

// Sorted (values, indices) of the first k entries along dim.
std::vector<Tensor> sort_along(const Tensor& raw, int64_t dim, int64_t k, bool descending, bool stable) {
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  if (in.dim() == 0) in = in.reshaped({1});
  std::vector<int64_t> out_sizes = in.shape();
  const size_t d = static_cast<size_t>(dim);
  const int64_t len = out_sizes[d];
  out_sizes[d] = k;
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < d; ++i) outer *= in.shape()[i];
  for (size_t i = d + 1; i < out_sizes.size(); ++i) inner *= in.shape()[i];
  Tensor indices = Tensor::zeros(DType::Int64, out_sizes);
  Tensor values = visit_dtype(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor v = Tensor::zeros(calc, out_sizes);
    const T* p = in.data<T>();
    T* pv = v.mutable_data<T>();
    int64_t* pi = indices.mutable_data<int64_t>();
    std::vector<int64_t> order(static_cast<size_t>(len));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const T* row = p + o * len * inner + i;
        std::iota(order.begin(), order.end(), 0);
        auto cmp = [&](int64_t a, int64_t b) { return before(row[a * inner], row[b * inner], descending); };
        if (stable || k == len) std::stable_sort(order.begin(), order.end(), cmp);
        else std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t at = (o * k + j) * inner + i;
          pv[at] = row[order[static_cast<size_t>(j)] * inner];
          pi[at] = order[static_cast<size_t>(j)];
        }
      }
    return v;
  });
  std::vector<int64_t> final_sizes = raw.dim() == 0 ? std::vector<int64_t>{} : out_sizes;
  return {finish(values.reshaped(final_sizes), raw.dtype()), indices.reshaped(final_sizes)};
}

void register_sorting(OpLibrary& lib) {
  // sort / argsort(Tensor self, int dim=-1, bool descending=False) | sort.stable(self, *,
  // bool? stable, int dim=-1, bool descending=False) (argsort.stable: bool stable)
  auto sort_args = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    const bool stable = args.schema().argument_index("stable") && args.has("stable") && args.boolean("stable");
    return std::make_tuple(dim, args.boolean("descending"), stable);
  };
  define_by_schema(
      lib, "aten::sort", "indexing",
      [sort_args](const OpArgs& args) {
        sort_args(args);
        const TensorMeta& in = args.tensor("self");
        return std::vector<TensorMeta>{in, TensorMeta{DType::Int64, in.shape}};
      },
      [sort_args](const OpArgs& args) {
        auto [dim, descending, stable] = sort_args(args);
        const Tensor& in = args.data("self");
        return sort_along(in, dim, in.dim() == 0 ? 1 : in.shape()[static_cast<size_t>(dim)], descending, stable);
      });
  define_by_schema(
      lib, "aten::argsort", "indexing",
      [sort_args](const OpArgs& args) {
        sort_args(args);
        return std::vector<TensorMeta>{TensorMeta{DType::Int64, args.tensor("self").shape}};
      },
      [sort_args](const OpArgs& args) {
        auto [dim, descending, stable] = sort_args(args);
        const Tensor& in = args.data("self");
        return std::vector<Tensor>{sort_along(in, dim, in.dim() == 0 ? 1 : in.shape()[static_cast<size_t>(dim)], descending, stable)[1]};
      });
  // topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True)
  auto topk_meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    const Dim k = size_dim(args.arg("k"));
    Shape out = in.shape;
    if (!out.empty()) {
      const Dim& len = out[static_cast<size_t>(dim)];
      if (k.is_static() && len.is_static() && (k.value() < 0 || k.value() > len.value()))
        fail("k = " + k.str() + " is out of range for a dim of size " + len.str());
      out[static_cast<size_t>(dim)] = k;
    }
    return std::make_pair(dim, std::vector<TensorMeta>{TensorMeta{in.dtype, out}, TensorMeta{DType::Int64, out}});
  };
  define_by_schema(
      lib, "aten::topk", "indexing", [topk_meta](const OpArgs& args) { return topk_meta(args).second; },
      [topk_meta](const OpArgs& args) {
        const int64_t dim = topk_meta(args).first;
        return sort_along(args.data("self"), dim, args.i64("k"), args.boolean("largest"), false);
      });
}

// ---------------------------------------------------------------- triangular masks

// tril(Tensor self, int diagonal=0) / triu: zero the elements above / below the
// diagonal of the last two dims (column - row > diagonal for tril).
void def_triangle(OpLibrary& lib, const std::string& name, bool lower) {
  define_by_schema(
      lib, name, "indexing",
      [](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        if (in.shape.size() < 2) fail("expects a tensor with at least 2 dims, got shape " + shape_str(in.shape));
        return std::vector<TensorMeta>{in};
      },
      [lower](const OpArgs& args) {
        const Tensor& in = args.data("self");
        if (in.dim() < 2) fail("expects a tensor with at least 2 dims, got shape " + sizes_str(in.shape()));
        const int64_t diagonal = args.i64("diagonal");
        const int64_t rows = in.shape()[static_cast<size_t>(in.dim() - 2)], cols = in.shape().back();
        Tensor out = in.clone();
        const size_t elem = dtype_size(in.dtype());
        std::byte* p = out.mutable_bytes();
        for (int64_t m = 0; m < in.numel() / std::max<int64_t>(rows * cols, 1); ++m)
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
              const bool keep = lower ? c - r <= diagonal : c - r >= diagonal;
              if (!keep) std::fill_n(p + static_cast<size_t>((m * rows + r) * cols + c) * elem, elem, std::byte{0});
            }
        return std::vector<Tensor>{out};
      });
}

}  // namespace

void register_indexing_ops(OpLibrary& lib) {
  register_slicing(lib);
  register_gathers(lib);
  register_index(lib);
  register_sorting(lib);
  def_triangle(lib, "aten::tril", true);
  def_triangle(lib, "aten::triu", false);
}

}  // namespace onnxport::ops
