// Scatters: scatter (src, value, and the reduce="add"/"multiply" forms),
// scatter_add and index_add. Each returns a copy of self with the updates
// written (or accumulated) at the indexed positions; the in-place variants
// (scatter_, index_add_) are functionalized by the engine.
#include "op_support.hpp"

namespace onnxport::ops {
namespace {

enum class Reduce { None, Add, Multiply };

Reduce reduce_mode(const std::string& name) {
  if (name == "add" || name == "sum") return Reduce::Add;
  if (name == "multiply" || name == "prod") return Reduce::Multiply;
  fail("reduce must be 'add' or 'multiply', got '" + name + "'");
}

bool is_index_dtype(DType d) { return d == DType::Int64 || d == DType::Int32; }

// scatter / scatter_add argument checks (torch's scatter_gather_dtype_check
// and shape check): index is int64, has self's rank, and fits in src
// and, except along dim, in self.
void check_scatter(const TensorMeta& self, int64_t dim, const TensorMeta& index, const TensorMeta* src) {
  if (index.dtype != DType::Int64) fail("index must be an int64 tensor, got " + std::string(dtype_name(index.dtype)));
  const size_t rank = self.shape.size();
  if (index.shape.size() != rank && !(rank == 0 && index.shape.size() <= 1))
    fail("index of shape " + shape_str(index.shape) + " must have the same number of dims as self " + shape_str(self.shape));
  if (src && src->dtype != self.dtype)
    fail("src dtype " + std::string(dtype_name(src->dtype)) + " differs from self dtype " + std::string(dtype_name(self.dtype)));
  for (size_t k = 0; k < index.shape.size() && k < rank; ++k) {
    const Dim& i = index.shape[k];
    if (!i.is_static()) continue;
    if (src && k < src->shape.size() && src->shape[k].is_static() && i.value() > src->shape[k].value())
      fail("index " + shape_str(index.shape) + " is larger than src " + shape_str(src->shape) + " in dim " + std::to_string(k));
    if (static_cast<int64_t>(k) != dim && self.shape[k].is_static() && i.value() > self.shape[k].value())
      fail("index " + shape_str(index.shape) + " is larger than self " + shape_str(self.shape) + " in dim " + std::to_string(k));
  }
}

template <class T>
void combine(T& dst, T v, Reduce r) {
  if (r == Reduce::None) dst = v;
  else if constexpr (std::is_same_v<T, bool>) dst = r == Reduce::Add ? (dst || v) : (dst && v);
  else if (r == Reduce::Add) dst = static_cast<T>(dst + v);
  else dst = static_cast<T>(dst * v);
}

// out[..., index[p], ...] (op)= src[p] for every position p of index (along dim).
// `src` is null for the scalar form, which writes `value` everywhere.
Tensor scatter_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src, const OpArg* value, Reduce r) {
  const DType calc = compute_dtype(self.dtype());
  Tensor out = converted(self, calc);
  out = out.clone();
  Tensor source = src ? converted(*src, calc) : scalar_tensor(*value, calc);
  if (index.numel() == 0) return finish(std::move(out), self.dtype());
  const std::vector<int64_t> self_sizes = self.dim() == 0 ? std::vector<int64_t>{1} : self.shape();
  const std::vector<int64_t> idx_sizes = index.dim() == 0 ? std::vector<int64_t>{1} : index.shape();
  const std::vector<int64_t> out_strides = contiguous_strides(self_sizes);
  const std::vector<int64_t> src_strides =
      src ? contiguous_strides(source.dim() == 0 ? std::vector<int64_t>{1} : source.shape()) : std::vector<int64_t>(idx_sizes.size(), 0);
  const std::vector<int64_t> idx_strides = contiguous_strides(idx_sizes);
  const size_t d = static_cast<size_t>(dim);
  const int64_t limit = self_sizes[d];
  visit_dtype(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out.mutable_data<T>();
    const T* ps = source.data<T>();
    std::vector<int64_t> pos(idx_sizes.size(), 0);
    for (int64_t flat = 0; flat < index.numel(); ++flat) {
      int64_t rest = flat;
      for (size_t k = idx_sizes.size(); k-- > 0;) {
        pos[k] = rest % idx_sizes[k];
        rest /= idx_sizes[k];
      }
      const int64_t target = index.get_int(flat);
      if (target < 0 || target >= limit)  // torch refuses negative indices here
        fail("index " + std::to_string(target) + " is out of bounds for dim " + std::to_string(dim) + " of size " + std::to_string(limit));
      int64_t o = 0, s = 0;
      for (size_t k = 0; k < pos.size(); ++k) {
        o += (k == d ? target : pos[k]) * out_strides[k];
        s += pos[k] * src_strides[k];
      }
      combine<T>(po[o], src ? ps[s] : ps[0], r);
    }
  });
  return finish(std::move(out), self.dtype());
}

// index_add(self, int dim, Tensor index, Tensor source, *, Scalar alpha=1):
// out.select(dim, index[i]) += alpha * source.select(dim, i).
TensorMeta index_add_meta(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(self.shape.size());
  const int64_t dim = normalize_dim(args.i64("dim"), std::max<int64_t>(rank, 1));
  const TensorMeta& index = args.tensor("index");
  const TensorMeta& source = args.tensor("source");
  if (!is_index_dtype(index.dtype)) fail("index must be an int64 or int32 tensor, got " + std::string(dtype_name(index.dtype)));
  if (index.shape.size() > 1) fail("index must be 0-D or 1-D, got shape " + shape_str(index.shape));
  if (source.dtype != self.dtype)
    fail("source dtype " + std::string(dtype_name(source.dtype)) + " differs from self dtype " + std::string(dtype_name(self.dtype)));
  if (static_cast<int64_t>(source.shape.size()) != rank && !(rank == 0 && source.shape.size() <= 1))
    fail("source of shape " + shape_str(source.shape) + " must have self's number of dims " + shape_str(self.shape));
  for (int64_t k = 0; k < rank; ++k) {
    const Dim& a = self.shape[static_cast<size_t>(k)];
    const Dim& b = source.shape[static_cast<size_t>(k)];
    if (k == dim) {
      const Dim n = index.shape.empty() ? Dim(1) : index.shape[0];
      if (n.is_static() && b.is_static() && n.value() != b.value())
        fail("source " + shape_str(source.shape) + " must have " + n.str() + " entries in dim " + std::to_string(dim));
    } else if (a.is_static() && b.is_static() && a.value() != b.value()) {
      fail("source " + shape_str(source.shape) + " and self " + shape_str(self.shape) + " differ in dim " + std::to_string(k));
    }
  }
  return self;
}

std::vector<Tensor> index_add_kernel(const OpArgs& args) {
  index_add_meta(args);
  const Tensor& self = args.data("self");
  const int64_t dim = normalize_dim(args.i64("dim"), std::max<int64_t>(self.dim(), 1));
  const Tensor& index = args.data("index");
  const Tensor& source = args.data("source");
  const DType calc = compute_dtype(self.dtype());
  Tensor out = converted(self, calc).clone();
  Tensor src = converted(source, calc);
  const Tensor alpha = scalar_tensor(args.scalar("alpha"), calc);
  const std::vector<int64_t> sizes = self.dim() == 0 ? std::vector<int64_t>{1} : self.shape();
  const size_t d = static_cast<size_t>(dim);
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < d; ++k) outer *= sizes[k];
  for (size_t k = d + 1; k < sizes.size(); ++k) inner *= sizes[k];
  const int64_t n = index.numel(), limit = sizes[d];
  visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out.mutable_data<T>();
    const T* ps = src.data<T>();
    const T a = alpha.data<T>()[0];
    for (int64_t i = 0; i < n; ++i) {
      const int64_t target = index.get_int(i);
      if (target < 0 || target >= limit)  // torch refuses negative indices here
        fail("index " + std::to_string(target) + " is out of range for dim " + std::to_string(dim) + " of size " + std::to_string(limit));
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j)
          po[(o * limit + target) * inner + j] = static_cast<T>(po[(o * limit + target) * inner + j] + a * ps[(o * n + i) * inner + j]);
    }
  });
  return {finish(std::move(out), self.dtype())};
}

}  // namespace

void register_scatter_ops(OpLibrary& lib) {
  // scatter.src(self, dim, index, src) / scatter.value(self, dim, index, value)
  // scatter.reduce(self, dim, index, src, *, reduce) / scatter.value_reduce(self, dim, index, value, *, reduce)
  // The overload names its update: `Tensor src` (.src, .reduce) or `Scalar value` (.value, .value_reduce).
  auto tensor_src = [](const OpArgs& args) { return args.schema().argument_index("src").has_value(); };
  auto reduction = [](const OpArgs& args) {
    return args.schema().argument_index("reduce") ? reduce_mode(args.str("reduce")) : Reduce::None;
  };
  auto scatter_meta = [tensor_src, reduction](const OpArgs& args) {
    const TensorMeta& self = args.tensor("self");
    const int64_t dim = normalize_dim(args.i64("dim"), std::max<int64_t>(static_cast<int64_t>(self.shape.size()), 1));
    check_scatter(self, dim, args.tensor("index"), tensor_src(args) ? &args.tensor("src") : nullptr);
    reduction(args);
    return std::vector<TensorMeta>{self};
  };
  define_by_schema(lib, "aten::scatter", "indexing", scatter_meta, [=](const OpArgs& args) {
    scatter_meta(args);
    const Tensor& self = args.data("self");
    const int64_t dim = normalize_dim(args.i64("dim"), std::max<int64_t>(self.dim(), 1));
    const bool from_tensor = tensor_src(args);
    return std::vector<Tensor>{scatter_kernel(self, dim, args.data("index"), from_tensor ? &args.data("src") : nullptr,
                                              from_tensor ? nullptr : &args.scalar("value"), reduction(args))};
  });
  // scatter_add(Tensor self, int dim, Tensor index, Tensor src)
  define_by_schema(
      lib, "aten::scatter_add", "indexing",
      [](const OpArgs& args) {
        const TensorMeta& self = args.tensor("self");
        const int64_t dim = normalize_dim(args.i64("dim"), std::max<int64_t>(static_cast<int64_t>(self.shape.size()), 1));
        check_scatter(self, dim, args.tensor("index"), &args.tensor("src"));
        return std::vector<TensorMeta>{self};
      },
      [](const OpArgs& args) {
        const Tensor& self = args.data("self");
        const int64_t dim = normalize_dim(args.i64("dim"), std::max<int64_t>(self.dim(), 1));
        check_scatter(args.tensor("self"), dim, args.tensor("index"), &args.tensor("src"));
        return std::vector<Tensor>{
            scatter_kernel(self, dim, args.data("index"), &args.data("src"), nullptr, Reduce::Add)};
      });
  define_by_schema(
      lib, "aten::index_add", "indexing", [](const OpArgs& args) { return std::vector<TensorMeta>{index_add_meta(args)}; },
      index_add_kernel);
}

}  // namespace onnxport::ops
