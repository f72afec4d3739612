// Ops that are other ops of the library with their arguments rearranged:
// aminmax (amin and amax), outer (mul of a column and a row); and
// cosine_similarity, cross, addcmul, lerp, tensordot, pairwise_distance,
// frobenius_norm, linalg_matrix_norm.
#include "op_support.hpp"

#include <algorithm>
#include <cmath>

namespace onnxport::ops {
namespace {

const OpDef& library_op(const char* name) {
  const OpDef* def = OpLibrary::instance().find(name);
  if (!def) fail(std::string("the op library has no ") + name);
  return *def;
}

// aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (min, max): amin and
// amax over [dim], or over every dim when dim is None; the returned call is
// amin's / amax's (self, int[1] dim, bool keepdim).
Args as_extreme_args(const OpArgs& args) {
  const std::optional<int64_t> dim = args.optional_i64("dim");
  const bool keepdim_given = args.boolean("keepdim");
  if (args.tensor("self").shape.empty() && dim && keepdim_given)
    fail("a 0-d input with dim and keepdim=True is not supported (torch returns shape [1] there, through a deprecated "
         "resize of its outputs)");
  OpArg dims;
  dims.kind = OpArg::Kind::Constant;
  dims.constant = nlohmann::json::array();
  if (dim) dims.constant.push_back(*dim);
  OpArg keepdim;
  keepdim.kind = OpArg::Kind::Constant;
  keepdim.constant = keepdim_given;
  return Args{args.arg("self"), dims, keepdim};
}

// outer(self, vec2): self[:, None] * vec2[None, :], both 1-D.
std::pair<TensorMeta, TensorMeta> outer_operands(const OpArgs& args) {
  TensorMeta a = args.tensor("self"), b = args.tensor("vec2");
  if (a.shape.size() != 1 || b.shape.size() != 1)
    fail("both inputs must be 1-D, got shapes " + shape_str(a.shape) + " and " + shape_str(b.shape));
  a.shape.push_back(Dim(1));
  b.shape.insert(b.shape.begin(), Dim(1));
  return {a, b};
}

// cosine_similarity(x1, x2, int dim=1, float eps=1e-08), as torch 1.13
// computes it: both broadcast, each normalized by max(||x||, eps) along dim,
// then the sum of the products along dim.
struct CosineCall {
  Shape shape;  // the broadcast shape
  int64_t dim;
  DType dtype;
};

CosineCall cosine_call(const OpArgs& args) {
  const TensorMeta& a = args.tensor("x1");
  const TensorMeta& b = args.tensor("x2");
  if (!is_floating(a.dtype) || !is_floating(b.dtype))
    fail("only floating-point inputs are supported, got " + std::string(dtype_name(a.dtype)) + " and " +
         std::string(dtype_name(b.dtype)));
  CosineCall c;
  c.shape = broadcast_shapes(a.shape, b.shape);
  if (c.shape.empty()) fail("inputs must have at least 1 dim");
  c.dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(c.shape.size()));
  c.dtype = result_type({&args.arg("x1"), &args.arg("x2")});
  return c;
}

Shape without_dim(Shape s, int64_t dim) {
  s.erase(s.begin() + dim);
  return s;
}

std::vector<Tensor> cosine_kernel(const OpArgs& args) {
  const CosineCall c = cosine_call(args);
  const double eps = args.f64("eps");
  const std::vector<int64_t> sizes = concrete(c.shape);
  const Tensor a = converted(args.data("x1"), DType::Float64), b = converted(args.data("x2"), DType::Float64);
  const std::vector<int64_t> sa = broadcast_strides(a.shape(), sizes), sb = broadcast_strides(b.shape(), sizes);
  const size_t d = static_cast<size_t>(c.dim);
  const int64_t len = sizes[d];
  std::vector<int64_t> outer_sizes = sizes;
  outer_sizes[d] = 1;
  Tensor out = Tensor::zeros(DType::Float64, concrete(without_dim(c.shape, c.dim)));
  double* po = out.mutable_data<double>();
  const double* pa = a.data<double>();
  const double* pb = b.data<double>();
  int64_t at = 0;
  for_each_offset<2>(outer_sizes, {sa, sb}, [&](const std::array<int64_t, 2>& o) {
    double na = 0, nb = 0;
    for (int64_t i = 0; i < len; ++i) {
      const double x = pa[o[0] + i * sa[d]], y = pb[o[1] + i * sb[d]];
      na += x * x;
      nb += y * y;
    }
    na = std::sqrt(std::max(na, eps * eps));
    nb = std::sqrt(std::max(nb, eps * eps));
    double sum = 0;
    for (int64_t i = 0; i < len; ++i) sum += (pa[o[0] + i * sa[d]] / na) * (pb[o[1] + i * sb[d]] / nb);
    po[at++] = sum;
  });
  return {finish(converted(out, compute_dtype(c.dtype)), c.dtype)};
}

// cross(self, other, int? dim=None): the 3-vector cross product along dim,
// both operands broadcast; no dim means the first dim of size 3.
struct CrossCall {
  Shape shape;
  int64_t dim;
  DType dtype;
};

// linalg_cross(self, other, *, int dim=-1) is cross with a dim.
CrossCall cross_call(const OpArgs& args, bool linalg = false) {
  const TensorMeta& a = args.tensor("self");
  const TensorMeta& b = args.tensor("other");
  if (a.shape.size() != b.shape.size())
    fail("inputs must have the same number of dims, got shapes " + shape_str(a.shape) + " and " + shape_str(b.shape));
  CrossCall c;
  c.shape = broadcast_shapes(a.shape, b.shape);
  c.dtype = result_type({&args.arg("self"), &args.arg("other")});
  if (linalg || args.has("dim")) {
    c.dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(c.shape.size()));
  } else {
    c.dim = -1;
    for (size_t k = 0; k < c.shape.size() && c.dim < 0; ++k)
      if (c.shape[k].is_static() && c.shape[k].value() == 3) c.dim = static_cast<int64_t>(k);
    if (c.dim < 0) fail("no dim of size 3 in shape " + shape_str(c.shape));
  }
  const Dim& len = c.shape[static_cast<size_t>(c.dim)];
  if (!len.is_static() || len.value() != 3) fail("dim " + std::to_string(c.dim) + " of shape " + shape_str(c.shape) + " must have size 3");
  return c;
}

std::vector<Tensor> cross_kernel(const OpArgs& args, bool linalg) {
  const CrossCall c = cross_call(args, linalg);
  const DType calc = compute_dtype(c.dtype);
  const std::vector<int64_t> sizes = concrete(c.shape);
  const Tensor a = converted(args.data("self"), calc), b = converted(args.data("other"), calc);
  const std::vector<int64_t> sa = broadcast_strides(a.shape(), sizes), sb = broadcast_strides(b.shape(), sizes);
  const std::vector<int64_t> so = contiguous_strides(sizes);
  const size_t d = static_cast<size_t>(c.dim);
  std::vector<int64_t> outer = sizes;
  outer[d] = 1;
  Tensor out = Tensor::zeros(calc, sizes);
  visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.mutable_data<T>();
    for_each_offset<3>(outer, {sa, sb, so}, [&](const std::array<int64_t, 3>& o) {
      auto x = [&](int i) { return pa[o[0] + i * sa[d]]; };
      auto y = [&](int i) { return pb[o[1] + i * sb[d]]; };
      for (int i = 0; i < 3; ++i) {
        const int j = (i + 1) % 3, k = (i + 2) % 3;
        po[o[2] + i * so[d]] = static_cast<T>(x(j) * y(k) - x(k) * y(j));
      }
    });
  });
  return {finish(std::move(out), c.dtype)};
}


// ---------------------------------------------------------------- addcmul, lerp

// addcmul(self, tensor1, tensor2, *, Scalar value=1) = self + value * tensor1 * tensor2,
// in the result type of the three tensors. A floating value on integer inputs
// is first truncated toward zero, as torch 1.13's CPU kernel converts it.
DType addcmul_dtype(const OpArgs& args) {
  const DType d = result_type({&args.arg("self"), &args.arg("tensor1"), &args.arg("tensor2")});
  if (d == DType::Bool) fail("bool inputs are not supported");
  return d;
}

Shape broadcast3(const OpArgs& args) {
  return broadcast_shapes(broadcast_shapes(args.tensor("self").shape, args.tensor("tensor1").shape), args.tensor("tensor2").shape);
}

std::vector<Tensor> addcmul_kernel(const OpArgs& args) {
  const DType d = addcmul_dtype(args);
  const DType calc = compute_dtype(d);
  const std::vector<int64_t> sizes = concrete(broadcast3(args));
  const Tensor s = converted(args.data("self"), calc), a = converted(args.data("tensor1"), calc), b = converted(args.data("tensor2"), calc);
  const Tensor value = scalar_tensor(args.scalar("value"), calc);
  Tensor out = Tensor::zeros(calc, sizes);
  visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.data<T>()[0];
    const T *ps = s.data<T>(), *pa = a.data<T>(), *pb = b.data<T>();
    T* po = out.mutable_data<T>();
    int64_t at = 0;
    // torch's CPU kernel: self + value * tensor1 * tensor2, left to right.
    for_each_offset<3>(sizes, {broadcast_strides(s.shape(), sizes), broadcast_strides(a.shape(), sizes), broadcast_strides(b.shape(), sizes)},
                       [&](const std::array<int64_t, 3>& o) { po[at++] = static_cast<T>(ps[o[0]] + v * pa[o[1]] * pb[o[2]]); });
  });
  return {finish(std::move(out), d)};
}

// lerp(self, end, Scalar|Tensor weight): torch's CPU formula, exact at both
// ends: weight < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight).
TensorMeta lerp_meta(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const TensorMeta& end = args.tensor("end");
  if (!is_floating(self.dtype)) fail("only floating-point inputs are supported, got " + std::string(dtype_name(self.dtype)));
  if (end.dtype != self.dtype)
    fail("end dtype " + std::string(dtype_name(end.dtype)) + " differs from self dtype " + std::string(dtype_name(self.dtype)));
  Shape shape = broadcast_shapes(self.shape, end.shape);
  if (args.arg("weight").is_tensor()) {
    if (args.tensor("weight").dtype != self.dtype)
      fail("weight dtype " + std::string(dtype_name(args.tensor("weight").dtype)) + " differs from self dtype " + std::string(dtype_name(self.dtype)));
    shape = broadcast_shapes(shape, args.tensor("weight").shape);
  }
  return TensorMeta{self.dtype, shape};
}

std::vector<Tensor> lerp_kernel(const OpArgs& args) {
  const TensorMeta m = lerp_meta(args);
  const DType calc = compute_dtype(m.dtype);
  const std::vector<int64_t> sizes = concrete(m.shape);
  const Tensor s = converted(args.data("self"), calc), e = converted(args.data("end"), calc);
  const Tensor w = operand_tensor(args.arg("weight"), calc);
  Tensor out = Tensor::zeros(calc, sizes);
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *ps = s.data<T>(), *pe = e.data<T>(), *pw = w.data<T>();
    T* po = out.mutable_data<T>();
    int64_t at = 0;
    for_each_offset<3>(sizes, {broadcast_strides(s.shape(), sizes), broadcast_strides(e.shape(), sizes), broadcast_strides(w.shape(), sizes)},
                       [&](const std::array<int64_t, 3>& o) {
                         const T a = ps[o[0]], b = pe[o[1]], t = pw[o[2]];
                         po[at++] = std::abs(t) < T(0.5) ? a + t * (b - a) : b - (b - a) * (T(1) - t);
                       });
  });
  return {finish(std::move(out), m.dtype)};
}

// ---------------------------------------------------------------- tensordot

// tensordot(self, other, int[] dims_a, int[] dims_b): contracts dims_a of
// self with dims_b of other; the free dims of self, then of other, remain.
struct TensordotCall {
  std::vector<int64_t> dims_a, dims_b, free_a, free_b;
  Shape shape;
  DType dtype;
};

TensordotCall tensordot_call(const OpArgs& args) {
  const TensorMeta& a = args.tensor("self");
  const TensorMeta& b = args.tensor("other");
  if (a.dtype != b.dtype)
    fail("both inputs must have the same dtype, got " + std::string(dtype_name(a.dtype)) + " and " + std::string(dtype_name(b.dtype)));
  if (a.dtype == DType::Bool) fail("bool inputs are not supported");
  TensordotCall c;
  c.dtype = a.dtype;
  c.dims_a = args.ints("dims_self");
  c.dims_b = args.ints("dims_other");
  if (c.dims_a.size() != c.dims_b.size())
    fail("dims_a " + sizes_str(c.dims_a) + " and dims_b " + sizes_str(c.dims_b) + " differ in length");
  const int64_t ra = static_cast<int64_t>(a.shape.size()), rb = static_cast<int64_t>(b.shape.size());
  std::vector<bool> used_a(static_cast<size_t>(ra), false), used_b(static_cast<size_t>(rb), false);
  for (size_t k = 0; k < c.dims_a.size(); ++k) {
    c.dims_a[k] = normalize_dim(c.dims_a[k], ra);
    c.dims_b[k] = normalize_dim(c.dims_b[k], rb);
    if (used_a[static_cast<size_t>(c.dims_a[k])] || used_b[static_cast<size_t>(c.dims_b[k])]) fail("a dim is contracted twice");
    used_a[static_cast<size_t>(c.dims_a[k])] = used_b[static_cast<size_t>(c.dims_b[k])] = true;
    const Dim& x = a.shape[static_cast<size_t>(c.dims_a[k])];
    const Dim& y = b.shape[static_cast<size_t>(c.dims_b[k])];
    if (!(x == y) && !(x.is_static() && y.is_static() && x.value() == y.value()))
      fail("contracted dims " + std::to_string(c.dims_a[k]) + " of " + shape_str(a.shape) + " and " + std::to_string(c.dims_b[k]) +
           " of " + shape_str(b.shape) + " differ in size");
  }
  for (int64_t k = 0; k < ra; ++k)
    if (!used_a[static_cast<size_t>(k)]) {
      c.free_a.push_back(k);
      c.shape.push_back(a.shape[static_cast<size_t>(k)]);
    }
  for (int64_t k = 0; k < rb; ++k)
    if (!used_b[static_cast<size_t>(k)]) {
      c.free_b.push_back(k);
      c.shape.push_back(b.shape[static_cast<size_t>(k)]);
    }
  return c;
}

std::vector<Tensor> tensordot_kernel(const OpArgs& args) {
  const TensordotCall c = tensordot_call(args);
  const DType calc = compute_dtype(c.dtype);
  const Tensor a = converted(args.data("self"), calc), b = converted(args.data("other"), calc);
  const std::vector<int64_t> sa = contiguous_strides(a.shape()), sb = contiguous_strides(b.shape());
  // Sizes and strides of the free dims (output) and of the contracted dims (summed).
  std::vector<int64_t> out_sizes, out_sa, out_sb, sum_sizes, sum_sa, sum_sb;
  for (int64_t k : c.free_a) {
    out_sizes.push_back(a.shape()[static_cast<size_t>(k)]);
    out_sa.push_back(sa[static_cast<size_t>(k)]);
    out_sb.push_back(0);
  }
  for (int64_t k : c.free_b) {
    out_sizes.push_back(b.shape()[static_cast<size_t>(k)]);
    out_sa.push_back(0);
    out_sb.push_back(sb[static_cast<size_t>(k)]);
  }
  for (size_t k = 0; k < c.dims_a.size(); ++k) {
    sum_sizes.push_back(a.shape()[static_cast<size_t>(c.dims_a[k])]);
    sum_sa.push_back(sa[static_cast<size_t>(c.dims_a[k])]);
    sum_sb.push_back(sb[static_cast<size_t>(c.dims_b[k])]);
  }
  Tensor out = Tensor::zeros(calc, out_sizes);
  visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T* po = out.mutable_data<T>();
    int64_t at = 0;
    for_each_offset<2>(out_sizes, {out_sa, out_sb}, [&](const std::array<int64_t, 2>& o) {
      T sum = T(0);
      for_each_offset<2>(sum_sizes, {sum_sa, sum_sb},
                         [&](const std::array<int64_t, 2>& i) { sum = static_cast<T>(sum + pa[o[0] + i[0]] * pb[o[1] + i[1]]); });
      po[at++] = sum;
    });
  });
  return {finish(std::move(out), c.dtype)};
}

// ---------------------------------------------------------------- norms

// pairwise_distance(x1, x2, float p=2, float eps=1e-06, bool keepdim=False) =
// norm(x1 - x2 + eps, p, dim=-1, keepdim) over the broadcast shape (torch 1.13).
struct PairwiseCall {
  Shape shape;  // broadcast
  DType dtype;  // floating
};

PairwiseCall pairwise_call(const OpArgs& args) {
  const TensorMeta& a = args.tensor("x1");
  const TensorMeta& b = args.tensor("x2");
  PairwiseCall c{broadcast_shapes(a.shape, b.shape), to_floating(result_type({&args.arg("x1"), &args.arg("x2")}))};
  if (c.shape.empty()) fail("inputs must have at least 1 dim");
  if (a.dtype == DType::Bool || b.dtype == DType::Bool) fail("bool inputs are not supported");
  return c;
}

Shape reduced_last(Shape s, bool keepdim) {
  if (keepdim) s.back() = Dim(1);
  else s.pop_back();
  return s;
}

// sum(|v|^p)^(1/p), with torch's special cases p = 0 (count of non-zeros) and inf.
double p_norm(const std::vector<double>& v, double p) {
  double acc = 0;
  if (std::isinf(p)) {
    for (double x : v) acc = std::isnan(x) || std::isnan(acc) ? NAN : std::max(acc, std::abs(x));
    return acc;
  }
  if (p == 0) {
    for (double x : v) acc += x != 0;
    return acc;
  }
  for (double x : v) acc += std::pow(std::abs(x), p);
  return p == 1 ? acc : std::pow(acc, 1.0 / p);
}

std::vector<Tensor> pairwise_kernel(const OpArgs& args) {
  const PairwiseCall c = pairwise_call(args);
  const double p = args.f64("p"), eps = args.f64("eps");
  if (p < 0) fail("p must be non-negative, got " + std::to_string(p));
  const std::vector<int64_t> sizes = concrete(c.shape);
  const Tensor a = converted(args.data("x1"), DType::Float64), b = converted(args.data("x2"), DType::Float64);
  // x1 - x2 + eps is computed in the result dtype first, as torch does.
  const bool f32 = compute_dtype(c.dtype) == DType::Float32;
  const std::vector<int64_t> sa = broadcast_strides(a.shape(), sizes), sb = broadcast_strides(b.shape(), sizes);
  const size_t last = sizes.size() - 1;
  const int64_t len = sizes[last];
  std::vector<int64_t> outer = sizes;
  outer[last] = 1;
  Tensor out = Tensor::zeros(DType::Float64, concrete(reduced_last(c.shape, false)));
  double* po = out.mutable_data<double>();
  int64_t at = 0;
  std::vector<double> diff(static_cast<size_t>(len));
  for_each_offset<2>(outer, {sa, sb}, [&](const std::array<int64_t, 2>& o) {
    for (int64_t i = 0; i < len; ++i) {
      const double x = a.data<double>()[o[0] + i * sa[last]], y = b.data<double>()[o[1] + i * sb[last]];
      diff[static_cast<size_t>(i)] = f32 ? static_cast<double>(static_cast<float>(static_cast<float>(x - y) + static_cast<float>(eps))) : x - y + eps;
    }
    po[at++] = p_norm(diff, p);
  });
  Tensor shaped = out.reshaped(concrete(reduced_last(c.shape, args.boolean("keepdim"))));
  return {finish(converted(shaped, compute_dtype(c.dtype)), c.dtype)};
}

// frobenius_norm(self) / frobenius_norm.dim(self, int[1] dim, bool keepdim=False):
// sqrt(sum(x^2)) over dim (all dims without one).
struct FrobeniusCall {
  std::vector<int64_t> dims;
  bool keepdim;
  TensorMeta out;
};

FrobeniusCall frobenius_call(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  if (!is_floating(self.dtype)) fail("only floating-point inputs are supported, got " + std::string(dtype_name(self.dtype)));
  const int64_t rank = static_cast<int64_t>(self.shape.size());
  FrobeniusCall c;
  const bool by_dim = args.schema().overload == "dim";
  c.keepdim = by_dim && args.boolean("keepdim");
  c.dims = by_dim ? reduction_dims(args, "dim", rank) : all_dims(rank);
  c.out = TensorMeta{self.dtype, reduced_shape(self.shape, c.dims, c.keepdim)};
  return c;
}

std::vector<Tensor> frobenius_kernel(const OpArgs& args) {
  const FrobeniusCall c = frobenius_call(args);
  const Tensor x = converted(args.data("self"), DType::Float64);
  const std::vector<int64_t>& sizes = x.shape();
  std::vector<bool> reduced(sizes.size(), false);
  for (int64_t d : c.dims) reduced[static_cast<size_t>(d)] = true;
  // Output strides: 0 along reduced dims, so every input element lands in its output cell.
  std::vector<int64_t> kept_sizes;
  for (size_t k = 0; k < sizes.size(); ++k) kept_sizes.push_back(reduced[k] ? 1 : sizes[k]);
  std::vector<int64_t> os = contiguous_strides(kept_sizes);
  for (size_t k = 0; k < sizes.size(); ++k)
    if (reduced[k]) os[k] = 0;
  Tensor acc = Tensor::zeros(DType::Float64, kept_sizes);
  double* pa = acc.mutable_data<double>();
  const double* px = x.data<double>();
  for_each_offset<2>(sizes, {contiguous_strides(sizes), os}, [&](const std::array<int64_t, 2>& o) { pa[o[1]] += px[o[0]] * px[o[0]]; });
  for (int64_t i = 0; i < acc.numel(); ++i) pa[i] = std::sqrt(pa[i]);
  Tensor shaped = acc.reshaped(concrete(c.out.shape));
  return {finish(converted(shaped, compute_dtype(c.out.dtype)), c.out.dtype)};
}


// linalg_matrix_norm(self, Scalar ord, int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None)
// linalg_matrix_norm.str_ord(self, str ord='fro', int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None):
// 'fro' (square root of the sum of squares), 1 / -1 (largest / smallest sum of
// magnitudes down dim[0]), inf / -inf (the same along dim[1]). 2, -2 and 'nuc'
// need singular values, which ONNX has no op for: refused.
struct MatrixNormCall {
  bool fro = false;
  bool largest = true;  // max (ord > 0) or min (ord < 0) of the sums
  int64_t sum_dim = 0, pick_dim = 0;  // 'fro': the two dims
  bool keepdim = false;
  TensorMeta out;
};

MatrixNormCall matrix_norm_call(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(self.shape.size());
  if (rank < 2) fail("the input must have at least 2 dims, got shape " + shape_str(self.shape));
  const std::optional<DType> dtype = args.dtype("dtype");
  const DType d = dtype ? *dtype : self.dtype;
  if (!is_floating(self.dtype) || !is_floating(d)) fail("only floating-point inputs and dtypes are supported");
  const std::vector<int64_t> dims = args.ints("dim");
  if (dims.size() != 2) fail("dim must name 2 dims, got " + sizes_str(dims));
  const int64_t d0 = normalize_dim(dims[0], rank), d1 = normalize_dim(dims[1], rank);
  if (d0 == d1) fail("dim must name 2 different dims, got " + sizes_str(dims));
  MatrixNormCall c;
  c.keepdim = args.boolean("keepdim");
  const OpArg& ord = args.arg("ord");
  if (ord.kind == OpArg::Kind::Constant && ord.constant.is_string()) {
    const std::string name = ord.constant.get<std::string>();
    if (name == "nuc") fail("ord='nuc' needs singular values, which ONNX has no op for");
    if (name != "fro") fail("ord must be 'fro' or 'nuc', got '" + name + "'");
    c.fro = true;
    c.sum_dim = d0;
    c.pick_dim = d1;
  } else {
    const double o = ord.as_double();
    if (std::abs(o) == 2) fail("ord=" + std::to_string(static_cast<int>(o)) + " needs singular values, which ONNX has no op for");
    if (std::abs(o) != 1 && !std::isinf(o)) fail("ord must be 1, -1, inf, -inf, 2, -2, 'fro' or 'nuc'");
    c.largest = o > 0;
    c.sum_dim = std::isinf(o) ? d1 : d0;
    c.pick_dim = std::isinf(o) ? d0 : d1;
  }
  c.out = TensorMeta{d, reduced_shape(self.shape, {std::min(d0, d1), std::max(d0, d1)}, c.keepdim)};
  return c;
}

// Sums (or max/min) of `x` (float64, contiguous) along `dim`, keeping it as size 1.
Tensor fold_dim(const Tensor& x, int64_t dim, int how /* 0 sum, 1 max, -1 min */) {
  std::vector<int64_t> sizes = x.shape();
  const size_t d = static_cast<size_t>(dim);
  const int64_t len = sizes[d];
  const std::vector<int64_t> in_strides = contiguous_strides(sizes);
  sizes[d] = 1;
  Tensor out = Tensor::zeros(DType::Float64, sizes);
  double* po = out.mutable_data<double>();
  const double* px = x.data<double>();
  int64_t at = 0;
  for_each_offset<1>(sizes, {in_strides}, [&](const std::array<int64_t, 1>& o) {
    double acc = how == 0 ? 0.0 : px[o[0]];
    for (int64_t i = 0; i < len; ++i) {
      const double v = px[o[0] + i * in_strides[d]];
      if (how == 0) acc += v;
      else if (std::isnan(v) || std::isnan(acc)) acc = NAN;
      else acc = how > 0 ? std::max(acc, v) : std::min(acc, v);
    }
    po[at++] = acc;
  });
  return out;
}

std::vector<Tensor> matrix_norm_kernel(const OpArgs& args) {
  const MatrixNormCall c = matrix_norm_call(args);
  Tensor x = converted(args.data("self"), DType::Float64).clone();
  double* p = x.mutable_data<double>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = c.fro ? p[i] * p[i] : std::abs(p[i]);
  Tensor r;
  if (c.fro) {
    r = fold_dim(fold_dim(x, c.sum_dim, 0), c.pick_dim, 0);
    double* pr = r.mutable_data<double>();
    for (int64_t i = 0; i < r.numel(); ++i) pr[i] = std::sqrt(pr[i]);
  } else {
    r = fold_dim(fold_dim(x, c.sum_dim, 0), c.pick_dim, c.largest ? 1 : -1);
  }
  Tensor shaped = r.reshaped(concrete(c.out.shape));
  return {finish(converted(shaped, compute_dtype(c.out.dtype)), c.out.dtype)};
}

}  // namespace

void register_composite_ops(OpLibrary& lib) {
  for (auto [name, linalg] : {std::pair{"aten::cross", false}, std::pair{"aten::linalg_cross", true}}) {
    define_by_schema(
        lib, name, "linear",
        [linalg = linalg](const OpArgs& args) {
          const CrossCall c = cross_call(args, linalg);
          return std::vector<TensorMeta>{TensorMeta{c.dtype, c.shape}};
        },
        [linalg = linalg](const OpArgs& args) { return cross_kernel(args, linalg); });
  }
  define_by_schema(
      lib, "aten::cosine_similarity", "linear",
      [](const OpArgs& args) {
        const CosineCall c = cosine_call(args);
        return std::vector<TensorMeta>{TensorMeta{c.dtype, without_dim(c.shape, c.dim)}};
      },
      cosine_kernel);
  define_by_schema(
      lib, "aten::aminmax", "reduction",
      [](const OpArgs& args) {
        const Args e = as_extreme_args(args);
        return std::vector<TensorMeta>{library_op("aten::amin").meta(e)[0], library_op("aten::amax").meta(e)[0]};
      },
      [](const OpArgs& args) {
        const Args e = as_extreme_args(args);
        return std::vector<Tensor>{library_op("aten::amin").kernel(e)[0], library_op("aten::amax").kernel(e)[0]};
      });
  define_by_schema(
      lib, "aten::outer", "linear",
      [](const OpArgs& args) {
        auto [a, b] = outer_operands(args);
        Args mul{args.arg("self"), args.arg("vec2")};
        mul[0].meta = a;
        mul[1].meta = b;
        return library_op("aten::mul").meta(mul);
      },
      [](const OpArgs& args) {
        auto [a, b] = outer_operands(args);
        const Tensor column = args.data("self").reshaped(concrete(a.shape));
        const Tensor row = args.data("vec2").reshaped(concrete(b.shape));
        return library_op("aten::mul").kernel(Args{tensor_arg(column), tensor_arg(row)});
      });
  define_by_schema(
      lib, "aten::addcmul", "elementwise",
      [](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{addcmul_dtype(args), broadcast3(args)}}; },
      addcmul_kernel);
  define_by_schema(
      lib, "aten::lerp", "elementwise", [](const OpArgs& args) { return std::vector<TensorMeta>{lerp_meta(args)}; }, lerp_kernel);
  define_by_schema(
      lib, "aten::tensordot", "linear",
      [](const OpArgs& args) {
        const TensordotCall c = tensordot_call(args);
        return std::vector<TensorMeta>{TensorMeta{c.dtype, c.shape}};
      },
      tensordot_kernel);
  define_by_schema(
      lib, "aten::pairwise_distance", "reduction",
      [](const OpArgs& args) {
        const PairwiseCall c = pairwise_call(args);
        return std::vector<TensorMeta>{TensorMeta{c.dtype, reduced_last(c.shape, args.boolean("keepdim"))}};
      },
      pairwise_kernel);
  define_by_schema(
      lib, "aten::linalg_matrix_norm", "reduction",
      [](const OpArgs& args) { return std::vector<TensorMeta>{matrix_norm_call(args).out}; }, matrix_norm_kernel);
  define_by_schema(
      lib, "aten::frobenius_norm", "reduction", [](const OpArgs& args) { return std::vector<TensorMeta>{frobenius_call(args).out}; },
      frobenius_kernel);
}

}  // namespace onnxport::ops
