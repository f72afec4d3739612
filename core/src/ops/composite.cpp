// Ops that are other ops of the library with their arguments rearranged:
// aminmax (amin and amax), outer (mul of a column and a row); and
// cosine_similarity, cross.
#include "op_support.hpp"

#include <cmath>

namespace onnxport::ops {
namespace {

const OpDef& library_op(const char* name) {
  const OpDef* def = OpLibrary::instance().find(name);
  if (!def) fail(std::string("the op library has no ") + name);
  return *def;
}

// aminmax(self, *, int? dim=None, bool keepdim=False) -> (min, max): amin and
// amax over [dim], or over every dim when dim is None.
Args as_extreme_args(const Args& args) {
  if (meta_at(args, 0).shape.empty() && present(args, 1) && bool_or(args, 2, false))
    fail("a 0-d input with dim and keepdim=True is not supported (torch returns shape [1] there, through a deprecated "
         "resize of its outputs)");
  OpArg dims;
  dims.kind = OpArg::Kind::Constant;
  dims.constant = nlohmann::json::array();
  if (present(args, 1)) dims.constant.push_back(int_at(args, 1));
  OpArg keepdim;
  keepdim.kind = OpArg::Kind::Constant;
  keepdim.constant = bool_or(args, 2, false);
  return Args{arg_at(args, 0), dims, keepdim};
}

// outer(self, vec2): self[:, None] * vec2[None, :], both 1-D.
std::pair<TensorMeta, TensorMeta> outer_operands(const Args& args) {
  TensorMeta a = meta_at(args, 0), b = meta_at(args, 1);
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

CosineCall cosine_call(const Args& args) {
  const TensorMeta& a = meta_at(args, 0);
  const TensorMeta& b = meta_at(args, 1);
  if (!is_floating(a.dtype) || !is_floating(b.dtype))
    fail("only floating-point inputs are supported, got " + std::string(dtype_name(a.dtype)) + " and " +
         std::string(dtype_name(b.dtype)));
  CosineCall c;
  c.shape = broadcast_shapes(a.shape, b.shape);
  if (c.shape.empty()) fail("inputs must have at least 1 dim");
  c.dim = normalize_dim(int_or(args, 2, 1), static_cast<int64_t>(c.shape.size()));
  c.dtype = result_type({&args[0], &args[1]});
  return c;
}

Shape without_dim(Shape s, int64_t dim) {
  s.erase(s.begin() + dim);
  return s;
}

std::vector<Tensor> cosine_kernel(const Args& args) {
  const CosineCall c = cosine_call(args);
  const double eps = double_or(args, 3, 1e-8);
  const std::vector<int64_t> sizes = concrete(c.shape);
  const Tensor a = converted(data_at(args, 0), DType::Float64), b = converted(data_at(args, 1), DType::Float64);
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
CrossCall cross_call(const Args& args, bool linalg = false) {
  const TensorMeta& a = meta_at(args, 0);
  const TensorMeta& b = meta_at(args, 1);
  if (a.shape.size() != b.shape.size())
    fail("inputs must have the same number of dims, got shapes " + shape_str(a.shape) + " and " + shape_str(b.shape));
  CrossCall c;
  c.shape = broadcast_shapes(a.shape, b.shape);
  c.dtype = result_type({&args[0], &args[1]});
  if (linalg || present(args, 2)) {
    c.dim = normalize_dim(int_or(args, 2, -1), static_cast<int64_t>(c.shape.size()));
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

std::vector<Tensor> cross_kernel(const Args& args, bool linalg) {
  const CrossCall c = cross_call(args, linalg);
  const DType calc = compute_dtype(c.dtype);
  const std::vector<int64_t> sizes = concrete(c.shape);
  const Tensor a = converted(data_at(args, 0), calc), b = converted(data_at(args, 1), calc);
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

}  // namespace

void register_composite_ops(OpLibrary& lib) {
  for (auto [name, linalg] : {std::pair{"aten::cross", false}, std::pair{"aten::linalg_cross", true}}) {
    define(
        lib, name, "linear",
        [linalg](const Args& args) {
          const CrossCall c = cross_call(args, linalg);
          return std::vector<TensorMeta>{TensorMeta{c.dtype, c.shape}};
        },
        [linalg](const Args& args) { return cross_kernel(args, linalg); });
  }
  define(
      lib, "aten::cosine_similarity", "linear",
      [](const Args& args) {
        const CosineCall c = cosine_call(args);
        return std::vector<TensorMeta>{TensorMeta{c.dtype, without_dim(c.shape, c.dim)}};
      },
      cosine_kernel);
  define(
      lib, "aten::aminmax", "reduction",
      [](const Args& args) {
        const Args e = as_extreme_args(args);
        return std::vector<TensorMeta>{library_op("aten::amin").meta(e)[0], library_op("aten::amax").meta(e)[0]};
      },
      [](const Args& args) {
        const Args e = as_extreme_args(args);
        return std::vector<Tensor>{library_op("aten::amin").kernel(e)[0], library_op("aten::amax").kernel(e)[0]};
      });
  define(
      lib, "aten::outer", "linear",
      [](const Args& args) {
        auto [a, b] = outer_operands(args);
        Args mul{arg_at(args, 0), arg_at(args, 1)};
        mul[0].meta = a;
        mul[1].meta = b;
        return library_op("aten::mul").meta(mul);
      },
      [](const Args& args) {
        auto [a, b] = outer_operands(args);
        const Tensor column = data_at(args, 0).reshaped(concrete(a.shape));
        const Tensor row = data_at(args, 1).reshaped(concrete(b.shape));
        return library_op("aten::mul").kernel(Args{tensor_arg(column), tensor_arg(row)});
      });
}

}  // namespace onnxport::ops
