// Shared helpers for the op families: argument access, dtype rules and
// strided iteration. See op_support.hpp.
#include "op_support.hpp"

#include <algorithm>
#include <cstring>

namespace onnxport::ops {

// ---------------------------------------------------------------- errors

void fail(const std::string& message) { throw OpError(message); }

void fail_dtype(DType d, std::string_view what) {
  fail("dtype " + std::string(dtype_name(d)) + " is not supported by " + std::string(what));
}

// ---------------------------------------------------------------- arguments

const OpArg& arg_at(const Args& args, size_t i) {
  if (i >= args.size())
    fail("expected at least " + std::to_string(i + 1) + " arguments, got " + std::to_string(args.size()));
  return args[i];
}

bool present(const Args& args, size_t i) { return i < args.size() && !args[i].is_none(); }

bool is_tensor_at(const Args& args, size_t i) { return i < args.size() && args[i].is_tensor(); }

const TensorMeta& meta_at(const Args& args, size_t i) {
  const OpArg& a = arg_at(args, i);
  if (!a.is_tensor()) {
    std::string got = a.kind == OpArg::Kind::Constant ? "constant " + a.constant.dump()
                      : a.kind == OpArg::Kind::None   ? std::string("None")
                      : a.kind == OpArg::Kind::List   ? std::string("a list")
                                                      : "SymInt " + a.sym.str();
    fail("argument " + std::to_string(i) + " must be a Tensor, got " + got);
  }
  return a.meta;
}

const Tensor& data_at(const Args& args, size_t i) {
  meta_at(args, i);
  const OpArg& a = args[i];
  if (a.data == nullptr || !a.data->defined())
    fail("argument " + std::to_string(i) + " has no concrete data (the kernel needs real tensors)");
  return *a.data;
}

// Runs an accessor and names the argument position in its error.
template <class F>
static auto with_position(size_t i, F&& f) {
  try {
    return f();
  } catch (const OpError& e) {
    fail("argument " + std::to_string(i) + ": " + e.what());
  }
}

int64_t int_at(const Args& args, size_t i) {
  return with_position(i, [&] { return arg_at(args, i).as_int(); });
}
double double_at(const Args& args, size_t i) {
  return with_position(i, [&] { return arg_at(args, i).as_double(); });
}
bool bool_at(const Args& args, size_t i) {
  return with_position(i, [&] { return arg_at(args, i).as_bool(); });
}
std::string string_at(const Args& args, size_t i) {
  const OpArg& a = arg_at(args, i);
  if (a.kind != OpArg::Kind::Constant || !a.constant.is_string())
    fail("argument " + std::to_string(i) + " must be a string");
  return a.constant.get<std::string>();
}
std::vector<int64_t> ints_at(const Args& args, size_t i) {
  return with_position(i, [&] { return arg_at(args, i).as_int_list(); });
}
int64_t int_or(const Args& args, size_t i, int64_t fallback) {
  return present(args, i) ? int_at(args, i) : fallback;
}
double double_or(const Args& args, size_t i, double fallback) {
  return present(args, i) ? double_at(args, i) : fallback;
}
bool bool_or(const Args& args, size_t i, bool fallback) {
  return present(args, i) ? bool_at(args, i) : fallback;
}
std::optional<DType> dtype_or_none(const Args& args, size_t i) {
  if (!present(args, i)) return std::nullopt;
  return with_position(i, [&] { return args[i].as_dtype(); });
}

bool is_scalar_arg(const OpArg& a) {
  return a.kind == OpArg::Kind::SymInt ||
         (a.kind == OpArg::Kind::Constant && (a.constant.is_number() || a.constant.is_boolean()));
}

DType scalar_arg_dtype(const OpArg& a) {
  if (a.kind == OpArg::Kind::SymInt) return DType::Int64;
  if (a.kind == OpArg::Kind::Constant) {
    if (a.constant.is_boolean()) return DType::Bool;
    if (a.constant.is_number_integer()) return DType::Int64;
    if (a.constant.is_number()) return DType::Float64;
  }
  fail("expected a Tensor or a number, got " + std::string(a.is_none() ? "None" : a.constant.dump()));
}

std::vector<int64_t> concrete(const Shape& shape) {
  auto sizes = static_sizes(shape);
  if (!sizes) fail("shape " + shape_str(shape) + " is symbolic where concrete sizes are needed");
  return *sizes;
}

int64_t numel_of(const std::vector<int64_t>& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

std::string sizes_str(const std::vector<int64_t>& sizes) { return shape_str(shape_of(sizes)); }

OpArg tensor_arg(const Tensor& t) {
  OpArg a;
  a.kind = OpArg::Kind::Tensor;
  a.meta = TensorMeta{t.dtype(), shape_of(t.shape())};
  a.data = &t;
  return a;
}

OpArg int_arg(int64_t v) {
  OpArg a;
  a.kind = OpArg::Kind::Constant;
  a.constant = v;
  return a;
}

OpArg none_arg() { return OpArg{}; }

// ---------------------------------------------------------------- dtypes

DType compute_dtype(DType d) { return d == DType::Float16 || d == DType::BFloat16 ? DType::Float32 : d; }

Tensor converted(const Tensor& t, DType d) { return t.dtype() == d ? t : t.cast(d); }

Tensor scalar_tensor(const OpArg& a, DType d) {
  Tensor t = Tensor::zeros(d, {});
  const bool exact_int = a.kind == OpArg::Kind::SymInt ||
                         (a.kind == OpArg::Kind::Constant && (a.constant.is_number_integer() || a.constant.is_boolean()));
  if (d == DType::Float16 || d == DType::BFloat16) {
    t.set_double(0, a.as_double());
    return t;
  }
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Ints go through int64 so large values stay exact.
    if constexpr (std::is_same_v<T, bool>)
      t.mutable_data<bool>()[0] = a.as_double() != 0.0;
    else
      t.mutable_data<T>()[0] = exact_int ? static_cast<T>(a.as_int()) : static_cast<T>(a.as_double());
  });
  return t;
}

Tensor operand_tensor(const OpArg& a, DType d) {
  if (a.is_tensor()) {
    if (a.data == nullptr || !a.data->defined()) fail("a Tensor argument has no concrete data");
    return converted(*a.data, d);
  }
  return scalar_tensor(a, d);
}

Tensor finish(Tensor t, DType d) { return t.dtype() == d ? t : t.cast(d); }

DType to_floating(DType d) { return is_floating(d) ? d : DType::Float32; }

namespace {

DType promote_skip_undefined(DType a, DType b) {
  if (a == DType::Undefined) return b;
  if (b == DType::Undefined) return a;
  return promote_types(a, b);
}

// torch's combine_categories: the higher-priority class wins unless the
// lower one is of a higher category (bool < integral < floating).
DType combine_categories(DType higher, DType lower) {
  if (is_floating(higher)) return higher;
  if (higher == DType::Bool || is_floating(lower)) return promote_skip_undefined(higher, lower);
  return higher != DType::Undefined ? higher : lower;
}

}  // namespace

DType result_type(const std::vector<const OpArg*>& operands) {
  DType dimensioned = DType::Undefined, zero_dim = DType::Undefined, wrapped = DType::Undefined;
  for (const OpArg* a : operands) {
    if (a == nullptr || a->is_none()) continue;
    if (a->is_tensor()) {
      DType& slot = a->meta.shape.empty() ? zero_dim : dimensioned;
      slot = promote_skip_undefined(slot, a->meta.dtype);
    } else {
      // A Python float participates as the default dtype (float32).
      DType d = scalar_arg_dtype(*a);
      wrapped = promote_skip_undefined(wrapped, d == DType::Float64 ? DType::Float32 : d);
    }
  }
  return combine_categories(dimensioned, combine_categories(zero_dim, wrapped));
}

// ---------------------------------------------------------------- iteration

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t i = sizes.size(); i-- > 1;) strides[i - 1] = strides[i] * sizes[i];
  return strides;
}

std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  std::vector<int64_t> strides(out.size(), 0);
  const std::vector<int64_t> own = contiguous_strides(in);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != 1 || out[lead + i] == 1) strides[lead + i] = own[i];
  return strides;
}

Tensor gather_strided(const Tensor& src, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                      int64_t offset) {
  Tensor out = Tensor::zeros(src.dtype(), sizes);
  visit_bytes(src.dtype(), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* in = reinterpret_cast<const U*>(src.bytes()) + offset;
    U* dst = reinterpret_cast<U*>(out.mutable_bytes());
    for_each_offset<1>(sizes, {strides}, [&](const std::array<int64_t, 1>& o) { *dst++ = in[o[0]]; });
  });
  return out;
}

Tensor slice_tensor(const Tensor& t, int64_t dim, int64_t start, int64_t length, int64_t step) {
  std::vector<int64_t> sizes = t.shape();
  std::vector<int64_t> strides = contiguous_strides(sizes);
  const size_t d = static_cast<size_t>(dim);
  const int64_t offset = length > 0 ? start * strides[d] : 0;
  sizes[d] = length;
  strides[d] *= step;
  return gather_strided(t, sizes, strides, offset);
}

// ---------------------------------------------------------------- shapes

Dim dim_at(const Args& args, size_t i) {
  const OpArg& a = arg_at(args, i);
  if (a.kind == OpArg::Kind::SymInt) return a.sym;
  return Dim(int_at(args, i));
}

std::vector<Dim> dims_at(const Args& args, size_t i) {
  return with_position(i, [&] { return arg_at(args, i).as_dim_list(); });
}

namespace {

std::vector<int64_t> normalized_reduction_dims(std::vector<int64_t> dims, int64_t rank) {
  if (dims.empty()) return all_dims(rank);
  const std::vector<int64_t> given = dims;
  for (int64_t& d : dims) d = normalize_dim(d, rank);
  std::sort(dims.begin(), dims.end());
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end())
    fail("dim list " + sizes_str(given) + " names a dim more than once");
  if (rank == 0) dims.clear();  // reducing a 0-d tensor over dim 0 keeps it 0-d
  return dims;
}

}  // namespace

std::vector<int64_t> all_dims(int64_t rank) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  return dims;
}

std::vector<int64_t> reduction_dims(const Args& args, size_t i, int64_t rank) {
  return normalized_reduction_dims(present(args, i) ? ints_at(args, i) : std::vector<int64_t>{}, rank);
}

std::vector<int64_t> reduction_dims(const OpArgs& a, std::string_view name, int64_t rank) {
  return normalized_reduction_dims(a.optional_ints(name).value_or(std::vector<int64_t>{}), rank);
}

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  size_t next = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    const bool reduced = next < dims.size() && dims[next] == static_cast<int64_t>(d);
    if (reduced) ++next;
    if (!reduced) out.push_back(shape[d]);
    else if (keepdim) out.emplace_back(1);
  }
  return out;
}

}  // namespace onnxport::ops
