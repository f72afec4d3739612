// Ops that pick or place elements by position: take, index_fill, index_copy,
// masked_scatter, bucketize, unfold (Tensor.unfold), as_strided, movedim.
// Each returns a new tensor; the in-place variants (index_fill_, ...) are
// functionalized by the engine.
#include "op_support.hpp"

#include <algorithm>

namespace onnxport::ops {
namespace {

// A 0-d tensor is indexed as a 1-element 1-D tensor (torch does the same in
// index_fill / index_copy / unfold).
std::vector<int64_t> sizes_as_1d(const Tensor& t) { return t.dim() == 0 ? std::vector<int64_t>{1} : t.shape(); }

bool is_index_dtype(DType d) { return d == DType::Int64 || d == DType::Int32; }

// ---------------------------------------------------------------- take

// take(Tensor self, Tensor index): self read as 1-D at index (negative counts from the end).
std::vector<Tensor> take_kernel(const OpArgs& args) {
  const Tensor& self = args.data("self");
  const Tensor& index = args.data("index");
  const int64_t n = self.numel();
  Tensor out = Tensor::zeros(self.dtype(), index.shape());
  visit_bytes(self.dtype(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* ps = self.data<U>();
    U* po = out.mutable_data<U>();
    for (int64_t i = 0; i < index.numel(); ++i) {
      int64_t at = index.get_int(i);
      if (at < -n || at >= n) fail("index " + std::to_string(at) + " is out of range for a tensor of " + std::to_string(n) + " elements");
      po[i] = ps[at < 0 ? at + n : at];
    }
  });
  return {out};
}

// ---------------------------------------------------------------- index_fill / index_copy

// The dim and index of index_fill.int_Scalar / int_Tensor(Tensor self, int dim,
// Tensor index, value) and index_copy(Tensor self, int dim, Tensor index, Tensor source).
struct IndexAlong {
  int64_t dim;
  TensorMeta self;
};

IndexAlong index_along(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const TensorMeta& index = args.tensor("index");
  if (!is_index_dtype(index.dtype)) fail("index must be an int64 or int32 tensor, got " + std::string(dtype_name(index.dtype)));
  if (index.shape.size() > 1) fail("index must be 0-D or 1-D, got shape " + shape_str(index.shape));
  const int64_t rank = static_cast<int64_t>(self.shape.size());
  return IndexAlong{normalize_dim(args.i64("dim"), std::max<int64_t>(rank, 1)), self};
}

// Entry `at` of index, checked against the size of dim; index_fill accepts
// negative entries (from the end), index_copy does not.
int64_t index_entry(const Tensor& index, int64_t i, int64_t limit, bool negative_ok) {
  const int64_t at = index.get_int(i);
  if (at >= limit || at < (negative_ok ? -limit : 0))
    fail("index " + std::to_string(at) + " is out of range for a dim of size " + std::to_string(limit));
  return at < 0 ? at + limit : at;
}

// index_fill's value: a Scalar or a 0-d tensor.
const OpArg& fill_value(const OpArgs& args) {
  const OpArg& value = args.arg("value");
  if (value.is_tensor() && !value.meta.shape.empty())
    fail("value must be a 0-D tensor, got shape " + shape_str(value.meta.shape));
  return value;
}

std::vector<Tensor> index_fill_kernel(const OpArgs& args) {
  const IndexAlong c = index_along(args);
  const Tensor& self = args.data("self");
  const Tensor& index = args.data("index");
  const DType calc = compute_dtype(self.dtype());
  Tensor out = converted(self, calc).clone();
  const Tensor value = operand_tensor(fill_value(args), calc);
  const std::vector<int64_t> sizes = sizes_as_1d(self);
  const size_t d = static_cast<size_t>(c.dim);
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < d; ++k) outer *= sizes[k];
  for (size_t k = d + 1; k < sizes.size(); ++k) inner *= sizes[k];
  const int64_t limit = sizes[d];
  visit_dtype(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out.mutable_data<T>();
    const T v = value.data<T>()[0];
    for (int64_t i = 0; i < index.numel(); ++i) {
      const int64_t at = index_entry(index, i, limit, true);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) po[(o * limit + at) * inner + j] = v;
    }
  });
  return {finish(std::move(out), self.dtype())};
}

TensorMeta index_copy_meta(const OpArgs& args) {
  const IndexAlong c = index_along(args);
  const TensorMeta& source = args.tensor("source");
  const TensorMeta& index = args.tensor("index");
  if (source.dtype != c.self.dtype)
    fail("source dtype " + std::string(dtype_name(source.dtype)) + " differs from self dtype " + std::string(dtype_name(c.self.dtype)));
  const size_t rank = c.self.shape.size();
  if (source.shape.size() != rank && !(rank == 0 && source.shape.size() <= 1))
    fail("source of shape " + shape_str(source.shape) + " must have self's number of dims " + shape_str(c.self.shape));
  for (size_t k = 0; k < rank; ++k) {
    const Dim& a = c.self.shape[k];
    const Dim& b = source.shape[k];
    const Dim want = static_cast<int64_t>(k) == c.dim ? (index.shape.empty() ? Dim(1) : index.shape[0]) : a;
    if (want.is_static() && b.is_static() && want.value() != b.value())
      fail("source " + shape_str(source.shape) + " must have size " + want.str() + " in dim " + std::to_string(k));
  }
  return c.self;
}

std::vector<Tensor> index_copy_kernel(const OpArgs& args) {
  const IndexAlong c = index_along(args);
  index_copy_meta(args);
  const Tensor& self = args.data("self");
  const Tensor& index = args.data("index");
  const Tensor& source = args.data("source");
  Tensor out = self.clone();
  const std::vector<int64_t> sizes = sizes_as_1d(self);
  const size_t d = static_cast<size_t>(c.dim);
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < d; ++k) outer *= sizes[k];
  for (size_t k = d + 1; k < sizes.size(); ++k) inner *= sizes[k];
  const int64_t limit = sizes[d], n = index.numel();
  visit_bytes(self.dtype(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    U* po = out.mutable_data<U>();
    const U* ps = source.data<U>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t at = index_entry(index, i, limit, false);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) po[(o * limit + at) * inner + j] = ps[(o * n + i) * inner + j];
    }
  });
  return {out};
}

// ---------------------------------------------------------------- masked_scatter

// masked_scatter(self, mask, source): self and mask broadcast together (the
// out-of-place op expands both, torch 1.13); the positions where the mask is
// true take source's elements in row-major order, the others keep self's.
TensorMeta masked_scatter_meta(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const TensorMeta& mask = args.tensor("mask");
  const TensorMeta& source = args.tensor("source");
  if (mask.dtype != DType::Bool) fail("mask must be a bool tensor, got " + std::string(dtype_name(mask.dtype)));
  if (source.dtype != self.dtype)
    fail("source dtype " + std::string(dtype_name(source.dtype)) + " differs from self dtype " + std::string(dtype_name(self.dtype)));
  return TensorMeta{self.dtype, broadcast_shapes(self.shape, mask.shape)};
}

std::vector<Tensor> masked_scatter_kernel(const OpArgs& args) {
  const TensorMeta m = masked_scatter_meta(args);
  const Tensor& self = args.data("self");
  const Tensor& mask = args.data("mask");
  const Tensor& source = args.data("source");
  const std::vector<int64_t> sizes = concrete(m.shape);
  const std::vector<int64_t> ss = broadcast_strides(self.shape(), sizes), ms = broadcast_strides(mask.shape(), sizes);
  Tensor out = Tensor::zeros(self.dtype(), sizes);
  visit_bytes(self.dtype(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    U* po = out.mutable_data<U>();
    const U* pself = self.data<U>();
    const U* ps = source.data<U>();
    int64_t next = 0, at = 0;
    for_each_offset<2>(sizes, {ss, ms}, [&](const std::array<int64_t, 2>& o) {
      if (mask.get_int(o[1]) != 0) {
        if (next >= source.numel())
          fail("source has " + std::to_string(source.numel()) + " elements, fewer than the mask's true entries");
        po[at] = ps[next++];
      } else {
        po[at] = pself[o[0]];
      }
      ++at;
    });
  });
  return {out};
}

// ---------------------------------------------------------------- bucketize

// bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False):
// for each element, the number of boundaries below it (right=False: b < x;
// right=True: b <= x), which is torch's binary search on sorted boundaries.
// (bucketize.Scalar, a number for self, is refused: `self` must be a tensor.)
TensorMeta bucketize_meta(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const TensorMeta& bounds = args.tensor("boundaries");
  if (bounds.shape.size() != 1) fail("boundaries must be 1-D, got shape " + shape_str(bounds.shape));
  if (self.dtype == DType::Bool || bounds.dtype == DType::Bool) fail("bool inputs are not supported");
  return TensorMeta{args.boolean("out_int32") ? DType::Int32 : DType::Int64, self.shape};
}

std::vector<Tensor> bucketize_kernel(const OpArgs& args) {
  const TensorMeta m = bucketize_meta(args);
  const Tensor& x = args.data("self");
  const Tensor& b = args.data("boundaries");
  const bool right = args.boolean("right");
  Tensor out = Tensor::zeros(DType::Int64, x.shape());
  int64_t* po = out.mutable_data<int64_t>();
  const bool exact_ints = !is_floating(x.dtype()) && !is_floating(b.dtype());
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t count = 0;
    for (int64_t j = 0; j < b.numel(); ++j) {
      const bool below = exact_ints ? (right ? b.get_int(j) <= x.get_int(i) : b.get_int(j) < x.get_int(i))
                                    : (right ? b.get_double(j) <= x.get_double(i) : b.get_double(j) < x.get_double(i));
      count += below;
    }
    po[i] = count;
  }
  return {converted(out, m.dtype)};
}

// ---------------------------------------------------------------- unfold / as_strided

// unfold(Tensor self, int dimension, int size, int step): windows of `size` every
// `step` along dimension, the window as a new last dim.
struct UnfoldCall {
  int64_t dim;
  int64_t size;
  int64_t step;
  Shape shape;
};

UnfoldCall unfold_call(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(self.shape.size());
  UnfoldCall c{normalize_dim(args.i64("dimension"), std::max<int64_t>(rank, 1)), args.i64("size"), args.i64("step"), {}};
  if (c.step <= 0) fail("step must be positive, got " + std::to_string(c.step));
  if (c.size < 0) fail("size must be non-negative, got " + std::to_string(c.size));
  const Dim n = rank == 0 ? Dim(1) : self.shape[static_cast<size_t>(c.dim)];
  if (!n.is_static()) fail("dimension " + std::to_string(c.dim) + " has the symbolic size " + n.str() + "; unfold needs a static size");
  if (c.size > n.value())
    fail("size " + std::to_string(c.size) + " is larger than dimension " + std::to_string(c.dim) + " of size " + std::to_string(n.value()));
  c.shape = self.shape;
  if (rank > 0) c.shape[static_cast<size_t>(c.dim)] = Dim((n.value() - c.size) / c.step + 1);
  c.shape.push_back(Dim(c.size));
  return c;
}

std::vector<Tensor> unfold_kernel(const OpArgs& args) {
  const UnfoldCall c = unfold_call(args);
  const Tensor& self = args.data("self");
  const std::vector<int64_t> in_sizes = sizes_as_1d(self);
  std::vector<int64_t> strides = contiguous_strides(in_sizes);
  const int64_t along = strides[static_cast<size_t>(c.dim)];
  if (self.dim() == 0) strides.clear();  // the output is [size]: only the window dim
  else strides[static_cast<size_t>(c.dim)] = along * c.step;
  strides.push_back(along);
  return {gather_strided(self, concrete(c.shape), strides, 0)};
}

// as_strided(Tensor self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None): reads
// self's elements (as a contiguous buffer) at offset + sum(i_k * stride_k).
struct StridedCall {
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
  int64_t offset;
};

StridedCall strided_call(const OpArgs& args) {
  StridedCall c{args.ints("size"), args.ints("stride"), args.optional_i64("storage_offset").value_or(0)};
  if (c.size.size() != c.stride.size())
    fail("size " + sizes_str(c.size) + " and stride " + sizes_str(c.stride) + " differ in length");
  if (c.offset < 0) fail("storage_offset must be non-negative, got " + std::to_string(c.offset));
  int64_t last = c.offset;
  for (size_t k = 0; k < c.size.size(); ++k) {
    if (c.size[k] < 0) fail("size " + sizes_str(c.size) + " has a negative entry");
    if (c.stride[k] < 0) fail("stride " + sizes_str(c.stride) + " has a negative entry");
    if (c.size[k] == 0) return c;  // empty: nothing is read
    last += (c.size[k] - 1) * c.stride[k];
  }
  const Dim numel = shape_numel(args.tensor("self").shape);
  if (numel.is_static() && last >= numel.value())
    fail("size " + sizes_str(c.size) + ", stride " + sizes_str(c.stride) + " and offset " + std::to_string(c.offset) +
         " read element " + std::to_string(last) + " of a tensor of " + std::to_string(numel.value()));
  return c;
}

// ---------------------------------------------------------------- movedim

// movedim.intlist(Tensor self, int[] source, int[] destination) / movedim.int(self,
// int source, int destination): source dims go to destination, the other dims
// keep their order in the free places.
std::vector<int64_t> movedim_permutation(const OpArgs& args) {
  const int64_t rank = static_cast<int64_t>(args.tensor("self").shape.size());
  std::vector<int64_t> src = args.ints("source"), dst = args.ints("destination");
  if (src.size() != dst.size())
    fail("source " + sizes_str(src) + " and destination " + sizes_str(dst) + " differ in length");
  const int64_t r = std::max<int64_t>(rank, 1);
  std::vector<int64_t> perm(static_cast<size_t>(r), -1);
  std::vector<bool> used(static_cast<size_t>(r), false);
  for (size_t k = 0; k < src.size(); ++k) {
    const int64_t s = normalize_dim(src[k], r), d = normalize_dim(dst[k], r);
    if (used[static_cast<size_t>(s)] || perm[static_cast<size_t>(d)] >= 0)
      fail("source " + sizes_str(src) + " or destination " + sizes_str(dst) + " repeats a dim");
    perm[static_cast<size_t>(d)] = s;
    used[static_cast<size_t>(s)] = true;
  }
  int64_t next = 0;
  for (int64_t& p : perm) {
    if (p >= 0) continue;
    while (used[static_cast<size_t>(next)]) ++next;
    p = next++;
  }
  if (rank == 0) perm.clear();
  return perm;
}

}  // namespace

void register_placement_ops(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::take", "indexing",
      [](const OpArgs& args) {
        const TensorMeta& index = args.tensor("index");
        if (index.dtype != DType::Int64) fail("index must be an int64 tensor, got " + std::string(dtype_name(index.dtype)));
        return std::vector<TensorMeta>{TensorMeta{args.tensor("self").dtype, index.shape}};
      },
      take_kernel);
  define_by_schema(
      lib, "aten::index_fill", "indexing",
      [](const OpArgs& args) {
        fill_value(args);
        return std::vector<TensorMeta>{index_along(args).self};
      },
      index_fill_kernel);
  define_by_schema(
      lib, "aten::index_copy", "indexing", [](const OpArgs& args) { return std::vector<TensorMeta>{index_copy_meta(args)}; },
      index_copy_kernel);
  define_by_schema(
      lib, "aten::masked_scatter", "indexing",
      [](const OpArgs& args) { return std::vector<TensorMeta>{masked_scatter_meta(args)}; }, masked_scatter_kernel);
  define_by_schema(
      lib, "aten::bucketize", "indexing", [](const OpArgs& args) { return std::vector<TensorMeta>{bucketize_meta(args)}; },
      bucketize_kernel);
  define_by_schema(
      lib, "aten::unfold", "shape",
      [](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{args.tensor("self").dtype, unfold_call(args).shape}}; },
      unfold_kernel);
  define_by_schema(
      lib, "aten::as_strided", "shape",
      [](const OpArgs& args) {
        return std::vector<TensorMeta>{TensorMeta{args.tensor("self").dtype, shape_of(strided_call(args).size)}};
      },
      [](const OpArgs& args) {
        const StridedCall c = strided_call(args);
        return std::vector<Tensor>{gather_strided(args.data("self"), c.size, c.stride, c.offset)};
      });
  for (const char* name : {"aten::movedim", "aten::moveaxis"}) {
    define_by_schema(
        lib, name, "shape",
        [](const OpArgs& args) {
          const TensorMeta& in = args.tensor("self");
          Shape out;
          for (int64_t p : movedim_permutation(args)) out.push_back(in.shape[static_cast<size_t>(p)]);
          return std::vector<TensorMeta>{TensorMeta{in.dtype, out}};
        },
        [](const OpArgs& args) {
          const Tensor& in = args.data("self");
          const std::vector<int64_t> strides = contiguous_strides(in.shape());
          std::vector<int64_t> sizes, out_strides;
          for (int64_t p : movedim_permutation(args)) {
            sizes.push_back(in.shape()[static_cast<size_t>(p)]);
            out_strides.push_back(strides[static_cast<size_t>(p)]);
          }
          return std::vector<Tensor>{gather_strided(in, sizes, out_strides, 0)};
        });
  }
}

}  // namespace onnxport::ops
