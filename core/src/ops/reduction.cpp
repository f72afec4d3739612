// Reductions: sum, mean, prod, amax/amin, max/min (all overloads),
// argmax/argmin, all/any, softmax/log_softmax, logsumexp, var/std, cumsum.
//
// Every op reads its arguments by name (docs/architecture.md §4a); the
// overload the call bound to decides what it computes, e.g.
//   sum(self, *, dtype=None)               sum.dim_IntList(self, int[1]? dim, keepdim=False, *, dtype=None)
//   max(self)   max.other(self, other)     max.dim(self, int dim, keepdim=False) -> (values, indices)
#include "op_support.hpp"

#include <cmath>
#include <limits>

namespace onnxport::ops {
namespace {

// ---------------------------------------------------------------- generic reduce

// Sizes of the input with the reduced dims set to 1 (the keepdim shape).
std::vector<int64_t> kept_sizes(const std::vector<int64_t>& sizes, const std::vector<int64_t>& dims) {
  std::vector<int64_t> out = sizes;
  for (int64_t d : dims) out[static_cast<size_t>(d)] = 1;
  return out;
}

// Folds every input element into its output slot: acc[slot] = combine(acc[slot], x).
// Returns the accumulators in row-major order of the keepdim shape.
template <class T, class Acc, class Combine>
std::vector<Acc> fold(const Tensor& in, const std::vector<int64_t>& dims, Acc init, Combine combine) {
  const std::vector<int64_t>& sizes = in.shape();
  const std::vector<int64_t> kept = kept_sizes(sizes, dims);
  std::vector<Acc> acc(static_cast<size_t>(numel_of(kept)), init);
  const T* p = in.data<T>();
  Acc* a = acc.data();
  if (kept.size() == 0 || numel_of(kept) == 1) {
    // Full reduction: one accumulator, a flat loop.
    Acc r = init;
    const int64_t n = in.numel();
    for (int64_t i = 0; i < n; ++i) r = combine(r, p[i]);
    acc[0] = r;
    return acc;
  }
  for_each_offset<2>(sizes, {contiguous_strides(sizes), broadcast_strides(kept, sizes)},
                     [&](const std::array<int64_t, 2>& o) { a[o[1]] = combine(a[o[1]], p[o[0]]); });
  return acc;
}

template <class T, class Acc>
Tensor tensor_from(const std::vector<Acc>& values, DType dtype, const std::vector<int64_t>& sizes) {
  Tensor out = Tensor::zeros(dtype, sizes);
  T* po = out.mutable_data<T>();
  for (size_t i = 0; i < values.size(); ++i) po[i] = static_cast<T>(values[i]);
  return out;
}

// The accumulator type: double for floating point, int64 for integers.
template <class T>
using AccumOf = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// ---------------------------------------------------------------- sum / mean / prod

enum class Fold { Sum, Mean, Prod };

struct ReduceCall {
  std::vector<int64_t> dims;  // normalized, sorted; all dims when none given
  bool keepdim = false;
  std::optional<DType> dtype;
};

// sum/mean/prod overloads: (self, *, dtype) or the dim overloads (self, dim,
// keepdim, *, dtype): prod.dim_int takes a single int, sum/mean int[1]?.
ReduceCall parse_reduce_call(const OpArgs& a) {
  const int64_t rank = static_cast<int64_t>(a.tensor("self").shape.size());
  ReduceCall call;
  call.dtype = a.dtype("dtype");
  if (!a.schema().argument_index("dim")) {
    call.dims = all_dims(rank);
    return call;
  }
  call.dims = reduction_dims(a, "dim", rank);
  call.keepdim = a.boolean("keepdim");
  return call;
}

DType fold_dtype(Fold f, DType in, std::optional<DType> requested) {
  if (requested) return *requested;
  if (f == Fold::Mean) {
    if (!is_floating(in))
      fail("mean needs a floating-point input or an explicit dtype, got " + std::string(dtype_name(in)));
    return in;
  }
  return is_floating(in) ? in : DType::Int64;  // ints and bool sum/prod as int64
}

std::vector<TensorMeta> fold_meta(const OpArgs& args, Fold f) {
  const TensorMeta& in = args.tensor("self");
  ReduceCall call = parse_reduce_call(args);
  return {TensorMeta{fold_dtype(f, in.dtype, call.dtype), reduced_shape(in.shape, call.dims, call.keepdim)}};
}

std::vector<Tensor> fold_kernel(const OpArgs& args, Fold f) {
  const TensorMeta m = fold_meta(args, f)[0];
  ReduceCall call = parse_reduce_call(args);
  const Tensor& raw = args.data("self");
  const DType calc = compute_dtype(m.dtype);
  Tensor in = converted(raw, calc);
  int64_t count = 1;  // elements per output slot, for the mean
  for (int64_t d : call.dims) count *= in.shape()[static_cast<size_t>(d)];
  Tensor out = visit_dtype(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = AccumOf<T>;
    std::vector<Acc> acc = f == Fold::Prod ? fold<T>(in, call.dims, Acc(1), [](Acc a, T x) { return a * static_cast<Acc>(x); })
                                           : fold<T>(in, call.dims, Acc(0), [](Acc a, T x) { return a + static_cast<Acc>(x); });
    if (f == Fold::Mean)
      for (Acc& a : acc) a = count == 0 ? std::numeric_limits<Acc>::quiet_NaN() : a / static_cast<Acc>(count);
    return tensor_from<T>(acc, calc, concrete(m.shape));
  });
  return {finish(std::move(out), m.dtype)};
}

// ---------------------------------------------------------------- amax / amin / all / any

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

// NaN-propagating max/min step.
template <class T>
T pick(bool want_max, T best, T x) {
  if (is_nan(best)) return best;
  if (is_nan(x)) return x;
  return want_max ? (x > best ? x : best) : (x < best ? x : best);
}

// amax(self, int[1] dim=[], keepdim=False); max(self) / min(self) are the all-dims case.
std::vector<Tensor> extreme_kernel(const Tensor& raw, const std::vector<int64_t>& dims, const Shape& out_shape,
                                   bool want_max) {
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  for (int64_t d : dims)
    if (in.shape()[static_cast<size_t>(d)] == 0) fail("cannot take the max/min over an empty dim " + std::to_string(d));
  Tensor out = visit_dtype(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Seed each slot with the identity, then fold (bool folds as uint8:
    // std::vector<bool> has no contiguous storage).
    using Acc = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
    const Acc init = want_max ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
    std::vector<Acc> acc = fold<T>(in, dims, init, [want_max](Acc a, T x) { return pick<Acc>(want_max, a, static_cast<Acc>(x)); });
    return tensor_from<T>(acc, calc, concrete(out_shape));
  });
  return {finish(std::move(out), raw.dtype())};
}

// amax / amin(Tensor self, int[1] dim=[], bool keepdim=False)
void def_extreme(OpLibrary& lib, const std::string& name, bool want_max) {
  auto call = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    std::vector<int64_t> dims = reduction_dims(args, "dim", static_cast<int64_t>(in.shape.size()));
    return std::make_pair(dims, args.boolean("keepdim"));
  };
  define_by_schema(
      lib, name, "reduction",
      [call](const OpArgs& args) {
        auto [dims, keepdim] = call(args);
        const TensorMeta& in = args.tensor("self");
        return std::vector<TensorMeta>{TensorMeta{in.dtype, reduced_shape(in.shape, dims, keepdim)}};
      },
      [call, want_max](const OpArgs& args) {
        auto [dims, keepdim] = call(args);
        return extreme_kernel(args.data("self"), dims, reduced_shape(args.tensor("self").shape, dims, keepdim), want_max);
      });
}

// all(Tensor self) / all.dim(Tensor self, int dim, bool keepdim=False); any
// likewise. uint8 stays uint8, as in torch.
void def_logical_reduce(OpLibrary& lib, const std::string& name, bool is_all) {
  auto call = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t rank = static_cast<int64_t>(in.shape.size());
    const bool by_dim = args.schema().argument_index("dim").has_value();
    std::vector<int64_t> dims = by_dim ? std::vector<int64_t>{normalize_dim(args.i64("dim"), rank)} : all_dims(rank);
    if (rank == 0) dims.clear();
    const DType dtype = in.dtype == DType::UInt8 ? DType::UInt8 : DType::Bool;
    return std::make_tuple(dims, by_dim && args.boolean("keepdim"), dtype);
  };
  define_by_schema(
      lib, name, "reduction",
      [call](const OpArgs& args) {
        auto [dims, keepdim, dtype] = call(args);
        return std::vector<TensorMeta>{TensorMeta{dtype, reduced_shape(args.tensor("self").shape, dims, keepdim)}};
      },
      [call, is_all](const OpArgs& args) {
        auto [dims, keepdim, dtype] = call(args);
        Tensor in = converted(args.data("self"), DType::Bool);
        std::vector<uint8_t> acc = fold<bool>(in, dims, uint8_t(is_all ? 1 : 0), [is_all](uint8_t a, bool x) {
          return static_cast<uint8_t>(is_all ? (a && x) : (a || x));
        });
        Tensor out = tensor_from<bool>(acc, DType::Bool, concrete(reduced_shape(args.tensor("self").shape, dims, keepdim)));
        return std::vector<Tensor>{finish(std::move(out), dtype)};
      });
}

// ---------------------------------------------------------------- along one dim

// Splits sizes around `dim` into outer x len x inner, for loops along one dim.
struct DimSplit {
  int64_t outer = 1, len = 1, inner = 1;
};

DimSplit split_at(const std::vector<int64_t>& sizes, int64_t dim) {
  DimSplit s;
  if (sizes.empty()) return s;
  for (int64_t d = 0; d < dim; ++d) s.outer *= sizes[static_cast<size_t>(d)];
  s.len = sizes[static_cast<size_t>(dim)];
  for (size_t d = static_cast<size_t>(dim) + 1; d < sizes.size(); ++d) s.inner *= sizes[d];
  return s;
}

// Best value and its index along `dim` for every (outer, inner) position.
template <class T>
void arg_extreme(const Tensor& in, int64_t dim, bool want_max, T* values, int64_t* indices) {
  const DimSplit s = split_at(in.shape(), dim);
  if (s.len == 0) fail("cannot take the max/min over an empty dim " + std::to_string(dim));
  const T* p = in.data<T>();
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t i = 0; i < s.inner; ++i) {
      const T* row = p + o * s.len * s.inner + i;
      T best = row[0];
      int64_t best_at = 0;
      for (int64_t k = 1; k < s.len && !is_nan(best); ++k) {
        const T x = row[k * s.inner];
        if (is_nan(x) || (want_max ? x > best : x < best)) {
          best = x;
          best_at = k;
        }
      }
      const int64_t slot = o * s.inner + i;
      if (values) values[slot] = best;
      indices[slot] = best_at;
    }
  }
}

// max.dim / min.dim: (values, indices).
std::vector<Tensor> extreme_with_indices(const Tensor& raw, int64_t dim, const Shape& out_shape, bool want_max) {
  const DType calc = compute_dtype(raw.dtype());
  Tensor in = converted(raw, calc);
  const std::vector<int64_t> sizes = concrete(out_shape);
  Tensor indices = Tensor::zeros(DType::Int64, sizes);
  Tensor values = visit_dtype(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor v = Tensor::zeros(calc, sizes);
    arg_extreme<T>(in, dim, want_max, v.mutable_data<T>(), indices.mutable_data<int64_t>());
    return v;
  });
  return {finish(std::move(values), raw.dtype()), indices};
}

// max(Tensor self) | max.other(Tensor self, Tensor other) (the elementwise
// maximum, given the same call) | max.dim(Tensor self, int dim, bool keepdim=False).
void def_max_min(OpLibrary& lib, const std::string& name, bool want_max) {
  const char* elementwise = want_max ? "aten::maximum" : "aten::minimum";
  define_by_schema(
      lib, name, "reduction",
      [elementwise](const OpArgs& args) -> std::vector<TensorMeta> {
        const TensorMeta& in = args.tensor("self");
        const std::string& overload = args.schema().overload;
        if (overload.empty()) return {TensorMeta{in.dtype, Shape{}}};
        if (overload == "other") return OpLibrary::instance().find(elementwise)->meta(args.positional());
        const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
        const std::vector<int64_t> dims = in.shape.empty() ? std::vector<int64_t>{} : std::vector<int64_t>{dim};
        Shape out = reduced_shape(in.shape, dims, args.boolean("keepdim"));
        return {TensorMeta{in.dtype, out}, TensorMeta{DType::Int64, out}};
      },
      [elementwise, want_max](const OpArgs& args) -> std::vector<Tensor> {
        const Tensor& in = args.data("self");
        const int64_t rank = in.dim();
        const std::string& overload = args.schema().overload;
        if (overload.empty()) return extreme_kernel(in, all_dims(rank), Shape{}, want_max);
        if (overload == "other") return OpLibrary::instance().find(elementwise)->kernel(args.positional());
        const int64_t dim = normalize_dim(args.i64("dim"), rank);
        const std::vector<int64_t> dims = rank == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{dim};
        return extreme_with_indices(in, rank == 0 ? 0 : dim,
                                    reduced_shape(args.tensor("self").shape, dims, args.boolean("keepdim")), want_max);
      });
}

// argmax(self, int? dim=None, bool keepdim=False): None flattens first.
void def_arg_extreme(OpLibrary& lib, const std::string& name, bool want_max) {
  auto out_shape = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const int64_t rank = static_cast<int64_t>(in.shape.size());
    const bool keepdim = args.boolean("keepdim");
    const std::optional<int64_t> dim = args.optional_i64("dim");
    if (!dim) return keepdim ? Shape(in.shape.size(), Dim(1)) : Shape{};
    return reduced_shape(in.shape, rank == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{normalize_dim(*dim, rank)},
                         keepdim);
  };
  define_by_schema(
      lib, name, "reduction",
      [out_shape](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{DType::Int64, out_shape(args)}}; },
      [out_shape, want_max](const OpArgs& args) {
        const Tensor& raw = args.data("self");
        Tensor in = converted(raw, compute_dtype(raw.dtype()));
        int64_t dim = 0;
        if (!args.has("dim")) in = in.reshaped({in.numel()});
        else if (in.dim() > 0) dim = normalize_dim(args.i64("dim"), in.dim());
        if (in.dim() == 0) in = in.reshaped({1});
        Tensor indices = Tensor::zeros(DType::Int64, concrete(out_shape(args)));
        visit_dtype(in.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          arg_extreme<T>(in, dim, want_max, nullptr, indices.mutable_data<int64_t>());
        });
        return std::vector<Tensor>{indices};
      });
}

// ---------------------------------------------------------------- softmax family

// softmax.int(Tensor self, int dim, ScalarType? dtype=None) and log_softmax:
// numerically stable (subtract the max along the dim first).
void def_softmax(OpLibrary& lib, const std::string& name, bool log) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    const std::optional<DType> dtype = args.dtype("dtype");
    return TensorMeta{dtype ? *dtype : to_floating(in.dtype), in.shape};
  };
  define_by_schema(
      lib, name, "reduction", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta, log](const OpArgs& args) {
        const TensorMeta m = meta(args);
        Tensor in = converted(args.data("self"), compute_dtype(m.dtype));
        const int64_t dim = in.dim() == 0 ? 0 : normalize_dim(args.i64("dim"), in.dim());
        const DimSplit s = in.dim() == 0 ? DimSplit{} : split_at(in.shape(), dim);
        Tensor out = visit_floating(in.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          Tensor o = Tensor::zeros(in.dtype(), in.shape());
          const T* p = in.data<T>();
          T* q = o.mutable_data<T>();
          for (int64_t outer = 0; outer < s.outer; ++outer) {
            for (int64_t i = 0; i < s.inner; ++i) {
              const int64_t base = outer * s.len * s.inner + i;
              T mx = -std::numeric_limits<T>::infinity();
              for (int64_t k = 0; k < s.len; ++k) mx = std::max(mx, p[base + k * s.inner]);
              if (std::isinf(mx)) mx = 0;  // all -inf: avoid inf - inf
              double total = 0;
              for (int64_t k = 0; k < s.len; ++k) total += std::exp(static_cast<double>(p[base + k * s.inner] - mx));
              const double log_total = std::log(total);
              for (int64_t k = 0; k < s.len; ++k) {
                const double shifted = static_cast<double>(p[base + k * s.inner] - mx);
                q[base + k * s.inner] = static_cast<T>(log ? shifted - log_total : std::exp(shifted) / total);
              }
            }
          }
          return o;
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

// logsumexp(Tensor self, int[1] dim, bool keepdim=False)
void register_logsumexp(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    std::vector<int64_t> dims = reduction_dims(args, "dim", static_cast<int64_t>(in.shape.size()));
    return TensorMeta{to_floating(in.dtype), reduced_shape(in.shape, dims, args.boolean("keepdim"))};
  };
  define_by_schema(
      lib, "aten::logsumexp", "reduction", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        Tensor in = converted(args.data("self"), compute_dtype(m.dtype));
        std::vector<int64_t> dims = reduction_dims(args, "dim", in.dim());
        Tensor out = visit_floating(in.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T lowest = -std::numeric_limits<T>::infinity();
          std::vector<T> mx = fold<T>(in, dims, lowest, [](T a, T x) { return std::max(a, x); });
          // Second pass: sum exp(x - max) into the same slots.
          const std::vector<int64_t> kept = kept_sizes(in.shape(), dims);
          std::vector<double> total(mx.size(), 0.0);
          const T* p = in.data<T>();
          for_each_offset<2>(in.shape(), {contiguous_strides(in.shape()), broadcast_strides(kept, in.shape())},
                             [&](const std::array<int64_t, 2>& o) {
                               const T shift = std::isinf(mx[o[1]]) ? T(0) : mx[o[1]];
                               total[o[1]] += std::exp(static_cast<double>(p[o[0]] - shift));
                             });
          std::vector<double> result(mx.size());
          for (size_t i = 0; i < mx.size(); ++i)
            result[i] = std::log(total[i]) + (std::isinf(mx[i]) ? 0.0 : static_cast<double>(mx[i]));
          return tensor_from<T>(result, in.dtype(), concrete(m.shape));
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

// var/std(Tensor self, bool unbiased=True) | var.dim(self, int[1]? dim, bool
// unbiased=True, bool keepdim=False) | var.correction(self, int[1]? dim, *,
// int? correction, bool keepdim=False): unbiased is a correction of 1 or 0,
// a None correction is 1 (Bessel's). var_mean/std_mean (with_mean): the same
// arguments, (var or std, mean) out.
void def_variance(OpLibrary& lib, const std::string& name, bool take_sqrt, bool with_mean = false) {
  auto parse = [](const OpArgs& args) {
    const int64_t rank = static_cast<int64_t>(args.tensor("self").shape.size());
    ReduceCall call;
    int64_t correction = 1;
    if (args.schema().argument_index("correction")) correction = args.optional_i64("correction").value_or(1);
    else correction = args.boolean("unbiased") ? 1 : 0;
    if (args.schema().argument_index("dim")) {
      call.dims = reduction_dims(args, "dim", rank);
      call.keepdim = args.boolean("keepdim");
    } else {
      call.dims = all_dims(rank);
    }
    return std::make_pair(call, correction);
  };
  define_by_schema(
      lib, name, "reduction",
      [parse, with_mean](const OpArgs& args) {
        const ReduceCall call = parse(args).first;
        const TensorMeta& in = args.tensor("self");
        const TensorMeta out{to_floating(in.dtype), reduced_shape(in.shape, call.dims, call.keepdim)};
        return with_mean ? std::vector<TensorMeta>{out, out} : std::vector<TensorMeta>{out};
      },
      [parse, take_sqrt, with_mean](const OpArgs& args) {
        // Not a structured binding: the lambdas below use both, and clang
        // before 16 cannot capture a structured binding.
        const auto parsed = parse(args);
        const ReduceCall& call = parsed.first;
        const int64_t correction = parsed.second;
        const TensorMeta& in_meta = args.tensor("self");
        const DType out_dtype = to_floating(in_meta.dtype);
        Tensor in = converted(args.data("self"), compute_dtype(out_dtype));
        int64_t count = 1;
        for (int64_t d : call.dims) count *= in.shape()[static_cast<size_t>(d)];
        Tensor mean;
        Tensor out = visit_floating(in.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          std::vector<double> sum = fold<T>(in, call.dims, 0.0, [](double a, T x) { return a + x; });
          for (double& s : sum) s /= static_cast<double>(count);
          mean = tensor_from<T>(sum, in.dtype(), concrete(reduced_shape(in_meta.shape, call.dims, call.keepdim)));
          std::vector<double> sq(sum.size(), 0.0);
          const T* p = in.data<T>();
          const std::vector<int64_t> kept = kept_sizes(in.shape(), call.dims);
          for_each_offset<2>(in.shape(), {contiguous_strides(in.shape()), broadcast_strides(kept, in.shape())},
                             [&](const std::array<int64_t, 2>& o) {
                               const double d = static_cast<double>(p[o[0]]) - sum[o[1]];
                               sq[o[1]] += d * d;
                             });
          const double denom = static_cast<double>(std::max<int64_t>(count - correction, 0));
          for (double& v : sq) v = take_sqrt ? std::sqrt(v / denom) : v / denom;
          return tensor_from<T>(sq, in.dtype(), concrete(reduced_shape(in_meta.shape, call.dims, call.keepdim)));
        });
        if (with_mean) return std::vector<Tensor>{finish(std::move(out), out_dtype), finish(std::move(mean), out_dtype)};
        return std::vector<Tensor>{finish(std::move(out), out_dtype)};
      });
}

// cumsum(Tensor self, int dim, *, ScalarType? dtype=None)
void register_cumsum(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
    const std::optional<DType> dtype = args.dtype("dtype");
    return TensorMeta{dtype ? *dtype : (is_floating(in.dtype) ? in.dtype : DType::Int64), in.shape};
  };
  define_by_schema(
      lib, "aten::cumsum", "reduction", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        Tensor in = converted(args.data("self"), compute_dtype(m.dtype));
        const DimSplit s = in.dim() == 0 ? DimSplit{} : split_at(in.shape(), normalize_dim(args.i64("dim"), in.dim()));
        Tensor out = visit_dtype(in.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          Tensor o = Tensor::zeros(in.dtype(), in.shape());
          const T* p = in.data<T>();
          T* q = o.mutable_data<T>();
          for (int64_t outer = 0; outer < s.outer; ++outer)
            for (int64_t i = 0; i < s.inner; ++i) {
              AccumOf<T> acc = 0;
              for (int64_t k = 0; k < s.len; ++k) {
                const int64_t at = (outer * s.len + k) * s.inner + i;
                acc += static_cast<AccumOf<T>>(p[at]);
                q[at] = static_cast<T>(acc);
              }
            }
          return o;
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

// ---------------------------------------------------------------- vector norms

// norm.Scalar(self, Scalar p=2) | norm.ScalarOpt_dim(self, Scalar? p, int[1]
// dim, bool keepdim=False) | norm.ScalarOpt_dtype / ScalarOpt_dim_dtype (the
// same with *, ScalarType dtype): p None is 2.
// linalg_vector_norm(self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, dtype=None)
// linalg_norm(self, Scalar? ord=None, int[1]? dim=None, ...) and
// linalg_norm.ord_str(self, str ord, ...) where it is a vector norm: one dim,
// a 1-D input, or ord None / "fro" (the 2-norm of the flattened dims).
// Matrix norms (nuc, 2, inf over two dims) are refused.
struct NormCall {
  double p = 2.0;
  ReduceCall reduce;
};

NormCall parse_norm_call(const std::string& name, const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  NormCall call;
  const char* ord_name = args.schema().argument_index("ord") ? "ord" : "p";
  const bool has_ord = args.has(ord_name);
  const bool ord_is_str = args.schema().overload == "ord_str";
  if (ord_is_str) {
    const std::string ord = args.str(ord_name);
    if (ord != "fro") fail("the matrix norm ord='" + ord + "' is not supported (only 'fro')");
  } else if (has_ord) {
    call.p = args.f64(ord_name);
  }
  const bool has_dim = args.schema().argument_index("dim") && args.has("dim");
  call.reduce.dims = has_dim ? reduction_dims(args, "dim", rank) : all_dims(rank);
  if (args.schema().argument_index("keepdim")) call.reduce.keepdim = args.boolean("keepdim");
  if (args.schema().argument_index("dtype")) call.reduce.dtype = args.dtype("dtype");
  if (name == "aten::linalg_norm" && has_ord && call.reduce.dims.size() == 2 && rank >= 2 && !ord_is_str)
    fail("matrix norms (ord over two dims) are not supported; use ord='fro' or linalg.vector_norm");
  if (name == "aten::linalg_norm" && has_ord && !has_dim && rank > 1 && !ord_is_str)
    fail("linalg.norm with ord and no dim needs a 1-D or 2-D input; matrix norms are not supported");
  return call;
}

void def_vector_norm(OpLibrary& lib, const std::string& name) {
  auto meta = [name](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    if (!is_floating(in.dtype))
      fail("expected a floating-point input, got " + std::string(dtype_name(in.dtype)) + " (as torch)");
    NormCall call = parse_norm_call(name, args);
    const DType d = call.reduce.dtype ? *call.reduce.dtype : in.dtype;
    return TensorMeta{d, reduced_shape(in.shape, call.reduce.dims, call.reduce.keepdim)};
  };
  define_by_schema(
      lib, name, "reduction", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta, name](const OpArgs& args) {
        const TensorMeta m = meta(args);
        NormCall call = parse_norm_call(name, args);
        Tensor in = converted(args.data("self"), compute_dtype(m.dtype));
        const double p = call.p;
        Tensor out = visit_floating(in.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          std::vector<double> acc;
          if (std::isinf(p)) {
            const double init = p > 0 ? 0.0 : std::numeric_limits<double>::infinity();
            acc = fold<T>(in, call.reduce.dims, init, [p](double a, T x) {
              const double v = std::fabs(static_cast<double>(x));
              if (std::isnan(v) || std::isnan(a)) return std::numeric_limits<double>::quiet_NaN();
              return p > 0 ? std::max(a, v) : std::min(a, v);
            });
          } else if (p == 0.0) {
            acc = fold<T>(in, call.reduce.dims, 0.0, [](double a, T x) { return a + (x != T(0) ? 1.0 : 0.0); });
          } else {
            acc = fold<T>(in, call.reduce.dims, 0.0,
                          [p](double a, T x) { return a + std::pow(std::fabs(static_cast<double>(x)), p); });
            for (double& v : acc) v = std::pow(v, 1.0 / p);
          }
          return tensor_from<T>(acc, in.dtype(), concrete(m.shape));
        });
        return std::vector<Tensor>{finish(std::move(out), m.dtype)};
      });
}

void def_fold(OpLibrary& lib, const std::string& name, Fold f) {
  define_by_schema(
      lib, name, "reduction", [f](const OpArgs& args) { return fold_meta(args, f); },
      [f](const OpArgs& args) { return fold_kernel(args, f); });
}

}  // namespace

void register_reduction_ops(OpLibrary& lib) {
  def_fold(lib, "aten::sum", Fold::Sum);
  def_fold(lib, "aten::mean", Fold::Mean);
  def_fold(lib, "aten::prod", Fold::Prod);
  def_extreme(lib, "aten::amax", true);
  def_extreme(lib, "aten::amin", false);
  def_max_min(lib, "aten::max", true);
  def_max_min(lib, "aten::min", false);
  def_arg_extreme(lib, "aten::argmax", true);
  def_arg_extreme(lib, "aten::argmin", false);
  def_logical_reduce(lib, "aten::all", true);
  def_logical_reduce(lib, "aten::any", false);
  def_softmax(lib, "aten::softmax", false);
  def_softmax(lib, "aten::log_softmax", true);
  register_logsumexp(lib);
  def_variance(lib, "aten::var", false);
  def_variance(lib, "aten::std", true);
  def_vector_norm(lib, "aten::norm");
  def_vector_norm(lib, "aten::linalg_vector_norm");
  def_vector_norm(lib, "aten::linalg_norm");
  def_variance(lib, "aten::var_mean", false, true);
  def_variance(lib, "aten::std_mean", true, true);
  register_cumsum(lib);
}

}  // namespace onnxport::ops
