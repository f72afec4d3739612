// Private helpers shared by the op families in core/src/ops/: argument
// access, dtype dispatch, strided/broadcast iteration and registration.
//
// Every family file registers its ops with `define()`, which prefixes any
// OpError escaping a meta function or kernel with the op name, so helpers can
// throw plain messages ("shapes [2, 3] and [4] cannot be broadcast") and the
// user still reads "aten::mul: shapes [2, 3] and [4] cannot be broadcast".
#pragma once

#include <onnxport/op_schema.hpp>
#include <onnxport/ops.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace onnxport::ops {

using Args = std::vector<OpArg>;

// ---------------------------------------------------------------- registration

void register_elementwise_ops(OpLibrary& lib);
void register_reduction_ops(OpLibrary& lib);
void register_linear_algebra_ops(OpLibrary& lib);
void register_shape_ops(OpLibrary& lib);
void register_nn_ops(OpLibrary& lib);
void register_resample_ops(OpLibrary& lib);  // resample.cpp: upsample_* (F.interpolate)
void register_scatter_ops(OpLibrary& lib);   // scatter.cpp: scatter, scatter_add, index_add
void register_composite_ops(OpLibrary& lib); // composite.cpp: aminmax, outer (after the ops they use)
void register_recurrent_ops(OpLibrary& lib);
void register_attention_ops(OpLibrary& lib);  // attention.cpp
void register_indexing_ops(OpLibrary& lib);
void register_creation_ops(OpLibrary& lib);
void register_scalar_conversion_ops(OpLibrary& lib);

// Adds an op whose errors are reported as "<name>: <message>".
void define(OpLibrary& lib, const std::string& name, const std::string& family, MetaFn meta,
            KernelFn kernel);

// Meta function and kernel of an op that reads its arguments by name
// (docs/architecture.md §4a): each call is bound to the op's schema (the first
// overload that fits) before they run, so a call that does not fit the schema
// is refused naming the schema and the argument, and defaults come from it.
using NamedMetaFn = std::function<std::vector<TensorMeta>(const OpArgs& args)>;
using NamedKernelFn = std::function<std::vector<Tensor>(const OpArgs& args)>;
// Adds an op keyed by its schema name ("aten::layer_norm"); errors read as
// define()'s. `kernel` may be empty.
void define_by_schema(OpLibrary& lib, const std::string& name, const std::string& family, NamedMetaFn meta,
                      NamedKernelFn kernel);

// ---------------------------------------------------------------- errors

[[noreturn]] void fail(const std::string& message);

// ---------------------------------------------------------------- arguments

// Argument i; an error names the position when the call has too few.
const OpArg& arg_at(const Args& args, size_t i);
// True when argument i exists and is not None.
bool present(const Args& args, size_t i);
bool is_tensor_at(const Args& args, size_t i);
const TensorMeta& meta_at(const Args& args, size_t i);
// The concrete tensor of argument i (kernels only).
const Tensor& data_at(const Args& args, size_t i);
int64_t int_at(const Args& args, size_t i);
double double_at(const Args& args, size_t i);
bool bool_at(const Args& args, size_t i);
std::string string_at(const Args& args, size_t i);
std::vector<int64_t> ints_at(const Args& args, size_t i);
// Optional arguments: `fallback` when absent or None.
int64_t int_or(const Args& args, size_t i, int64_t fallback);
double double_or(const Args& args, size_t i, double fallback);
bool bool_or(const Args& args, size_t i, bool fallback);
std::optional<DType> dtype_or_none(const Args& args, size_t i);
// A Python scalar argument (Constant number/bool or SymInt), not a tensor.
bool is_scalar_arg(const OpArg& a);
// The dtype a Python scalar has when wrapped as a tensor: bool, int64, float64.
DType scalar_arg_dtype(const OpArg& a);

// Static sizes of a shape; kernels call this on metas computed from
// concrete inputs, where a symbolic dim is a bug in the caller.
std::vector<int64_t> concrete(const Shape& shape);
int64_t numel_of(const std::vector<int64_t>& sizes);
std::string sizes_str(const std::vector<int64_t>& sizes);

// A Tensor OpArg carrying `t` (meta and data), e.g. to call one op's kernel
// from another. The OpArg borrows `t`: keep it alive.
OpArg tensor_arg(const Tensor& t);
OpArg int_arg(int64_t v);
OpArg none_arg();

// ---------------------------------------------------------------- dtypes

template <class T>
struct TypeTag {
  using type = T;
};

// The dtype kernels compute in: float16/bfloat16 compute in float32.
DType compute_dtype(DType d);
// `t` itself when it already has dtype `d`, else a converted copy.
Tensor converted(const Tensor& t, DType d);
// A 0-d tensor of dtype `d` holding the Python scalar `a` (exact for ints).
Tensor scalar_tensor(const OpArg& a, DType d);
// Tensor argument converted to `d`, or a Python scalar wrapped as a 0-d tensor.
Tensor operand_tensor(const OpArg& a, DType d);
// Casts a kernel result computed in compute_dtype(d) to d (no copy when equal).
Tensor finish(Tensor t, DType d);
// torch.result_type over tensors (dimensioned beat 0-d) and Python scalars
// (a float scalar on an int tensor gives float32). None arguments are skipped.
DType result_type(const std::vector<const OpArg*>& operands);
// int/bool -> float32, floating unchanged (ops that always compute in floating point).
DType to_floating(DType d);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  else if constexpr (std::is_same_v<T, double>) return DType::Float64;
  else if constexpr (std::is_same_v<T, int8_t>) return DType::Int8;
  else if constexpr (std::is_same_v<T, int16_t>) return DType::Int16;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::Int32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::Int64;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::UInt8;
  else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else static_assert(sizeof(T) == 0, "no DType for this C++ type");
}

[[noreturn]] void fail_dtype(DType d, std::string_view what);

// Calls f(TypeTag<T>{}) for the C++ type of a compute dtype.
template <class F>
decltype(auto) visit_dtype(DType d, F&& f) {
  switch (d) {
    case DType::Float32: return f(TypeTag<float>{});
    case DType::Float64: return f(TypeTag<double>{});
    case DType::Int8: return f(TypeTag<int8_t>{});
    case DType::Int16: return f(TypeTag<int16_t>{});
    case DType::Int32: return f(TypeTag<int32_t>{});
    case DType::Int64: return f(TypeTag<int64_t>{});
    case DType::UInt8: return f(TypeTag<uint8_t>{});
    case DType::Bool: return f(TypeTag<bool>{});
    default: fail_dtype(d, "this kernel");
  }
}

// Floating compute dtypes only (float32, float64).
template <class F>
decltype(auto) visit_floating(DType d, F&& f) {
  switch (d) {
    case DType::Float32: return f(TypeTag<float>{});
    case DType::Float64: return f(TypeTag<double>{});
    default: fail_dtype(d, "this floating-point kernel");
  }
}

// Numeric dtypes without bool (arithmetic that torch refuses on bool).
template <class F>
decltype(auto) visit_numeric(DType d, F&& f) {
  switch (d) {
    case DType::Float32: return f(TypeTag<float>{});
    case DType::Float64: return f(TypeTag<double>{});
    case DType::Int8: return f(TypeTag<int8_t>{});
    case DType::Int16: return f(TypeTag<int16_t>{});
    case DType::Int32: return f(TypeTag<int32_t>{});
    case DType::Int64: return f(TypeTag<int64_t>{});
    case DType::UInt8: return f(TypeTag<uint8_t>{});
    default: fail_dtype(d, "this numeric kernel");
  }
}

// Integral dtypes including bool (bitwise ops).
template <class F>
decltype(auto) visit_integral(DType d, F&& f) {
  switch (d) {
    case DType::Int8: return f(TypeTag<int8_t>{});
    case DType::Int16: return f(TypeTag<int16_t>{});
    case DType::Int32: return f(TypeTag<int32_t>{});
    case DType::Int64: return f(TypeTag<int64_t>{});
    case DType::UInt8: return f(TypeTag<uint8_t>{});
    case DType::Bool: return f(TypeTag<bool>{});
    default: fail_dtype(d, "this integer kernel");
  }
}

// Calls f(TypeTag<U>{}) with an unsigned type of the dtype's byte size: for
// ops that only move elements (copies, gathers), any dtype including float16.
template <class F>
decltype(auto) visit_bytes(DType d, F&& f) {
  switch (dtype_size(d)) {
    case 1: return f(TypeTag<uint8_t>{});
    case 2: return f(TypeTag<uint16_t>{});
    case 4: return f(TypeTag<uint32_t>{});
    case 8: return f(TypeTag<uint64_t>{});
    default: fail_dtype(d, "this copy kernel");
  }
}

// ---------------------------------------------------------------- iteration

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes);
// Strides of a contiguous tensor of `in` sizes read as the broadcast `out`
// sizes: 0 on broadcast (and missing leading) dims.
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in, const std::vector<int64_t>& out);

// Walks `sizes` in row-major order and calls fn(offsets), where offsets[k] is
// the element offset of operand k for strides[k]. The innermost dimension is a
// tight loop; outer dimensions advance an odometer. No allocation per element.
template <size_t N, class F>
void for_each_offset(const std::vector<int64_t>& sizes, const std::array<std::vector<int64_t>, N>& strides,
                     F&& fn) {
  std::array<int64_t, N> off{};
  const size_t rank = sizes.size();
  if (rank == 0) {
    fn(off);
    return;
  }
  for (int64_t s : sizes)
    if (s == 0) return;
  const int64_t inner = sizes[rank - 1];
  std::array<int64_t, N> inner_stride{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][rank - 1];
  std::vector<int64_t> counter(rank, 0);
  while (true) {
    std::array<int64_t, N> o = off;
    for (int64_t i = 0; i < inner; ++i) {
      fn(o);
      for (size_t k = 0; k < N; ++k) o[k] += inner_stride[k];
    }
    // Advance the odometer over the outer dimensions.
    size_t d = rank - 1;
    while (true) {
      if (d == 0) return;
      --d;
      ++counter[d];
      for (size_t k = 0; k < N; ++k) off[k] += strides[k][d];
      if (counter[d] < sizes[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= strides[k][d] * sizes[d];
      counter[d] = 0;
    }
  }
}

// Copies a strided view of `src` (element strides, element offset) into a new
// contiguous tensor of `sizes`: transpose, permute, expand, slice with steps.
Tensor gather_strided(const Tensor& src, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                      int64_t offset);

// Elements start, start+step, ... (`length` of them) along `dim`, copied into
// a contiguous tensor: slice, narrow, select, split, chunk.
Tensor slice_tensor(const Tensor& t, int64_t dim, int64_t start, int64_t length, int64_t step = 1);

// ---------------------------------------------------------------- shapes

// A size argument: an int constant or a SymInt.
Dim dim_at(const Args& args, size_t i);
std::vector<Dim> dims_at(const Args& args, size_t i);

// Dims to reduce over: an int, a list of ints or None (None/empty = all).
std::vector<int64_t> reduction_dims(const Args& args, size_t i, int64_t rank);
// The same for a named argument (`int dim`, `int[1]? dim`, `int[1] dim=[]`):
// normalized, sorted, all dims when it is None or empty.
std::vector<int64_t> reduction_dims(const OpArgs& a, std::string_view name, int64_t rank);
// Every dim of a tensor of rank `rank` (a full reduction).
std::vector<int64_t> all_dims(int64_t rank);
// Shape after reducing `dims` (sorted, normalized).
Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim);

}  // namespace onnxport::ops
