// Linear algebra: linear, matmul (every rank case, broadcast batch dims),
// mm, bmm, mv, dot, addmm, baddbmm (through gemm_accumulate); det, logdet.
#include "gemm.hpp"
#include "op_support.hpp"

#include <cctype>
#include <cmath>
#include <map>

namespace onnxport::ops {
namespace {

// ---------------------------------------------------------------- metas

std::string describe_pair(const TensorMeta& a, const TensorMeta& b) {
  return shape_str(a.shape) + " and " + shape_str(b.shape);
}

DType same_dtype(const TensorMeta& a, const TensorMeta& b) {
  if (a.dtype != b.dtype)
    fail("expected both operands to have the same dtype, got " + std::string(dtype_name(a.dtype)) + " and " +
         std::string(dtype_name(b.dtype)));
  if (a.dtype == DType::Bool) fail("matrix products are not defined for bool tensors");
  return a.dtype;
}

// The contracted sizes must agree: equal statics, or a symbol against anything
// that may equal it. Two different symbols cannot be proven equal.
void check_contraction(const Dim& ka, const Dim& kb, const TensorMeta& a, const TensorMeta& b) {
  const bool mismatch = (ka.is_static() && kb.is_static() && ka.value() != kb.value()) ||
                        (ka.is_symbolic() && kb.is_symbolic() && !(ka == kb));
  if (mismatch)
    fail("shapes " + describe_pair(a, b) + " cannot be multiplied (" + ka.str() + " vs " + kb.str() + ")");
}

void require_rank(const TensorMeta& t, size_t rank, std::string_view what) {
  if (t.shape.size() != rank)
    fail(std::string(what) + " must be a " + std::to_string(rank) + "-D tensor, got shape " + shape_str(t.shape));
}

// matmul's output shape for every rank combination (torch.matmul semantics).
Shape matmul_shape(const TensorMeta& a, const TensorMeta& b) {
  const size_t ra = a.shape.size(), rb = b.shape.size();
  if (ra == 0 || rb == 0)
    fail("both arguments need at least 1 dimension, got shapes " + describe_pair(a, b));
  const Dim ka = a.shape[ra - 1];
  const Dim kb = rb == 1 ? b.shape[0] : b.shape[rb - 2];
  check_contraction(ka, kb, a, b);
  const Shape batch_a(a.shape.begin(), a.shape.end() - static_cast<long>(std::min<size_t>(ra, 2)));
  const Shape batch_b(b.shape.begin(), b.shape.end() - static_cast<long>(std::min<size_t>(rb, 2)));
  Shape out = broadcast_shapes(batch_a, batch_b);
  if (ra >= 2) out.push_back(a.shape[ra - 2]);
  if (rb >= 2) out.push_back(b.shape[rb - 1]);
  return out;
}

// ---------------------------------------------------------------- kernels

// Batched product of a [batch_a..., M, K] and b [batch_b..., K, N] (b's matrix
// given as a strided view so a transposed weight needs no copy), batch dims
// broadcast. Output [batch..., M, N] contiguous, in T.
template <class T>
Tensor batched_product(const Tensor& a, const std::vector<int64_t>& batch_a, int64_t M, int64_t K, const Tensor& b,
                       const std::vector<int64_t>& batch_b, int64_t N, int64_t b_row_stride, int64_t b_col_stride) {
  std::vector<int64_t> batch = concrete(broadcast_shapes(shape_of(batch_a), shape_of(batch_b)));
  std::vector<int64_t> out_sizes = batch;
  out_sizes.push_back(M);
  out_sizes.push_back(N);
  Tensor out = Tensor::zeros(dtype_of<T>(), out_sizes);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.mutable_data<T>();
  // b without batch dims: fold a's batch into M for one large product.
  if (numel_of(batch_b) == 1 && batch_a == batch) {
    gemm_accumulate<T>(numel_of(batch) * M, N, K, {pa, K, 1}, {pb, b_row_stride, b_col_stride}, po);
    return out;
  }
  std::vector<int64_t> sa = broadcast_strides(batch_a, batch), sb = broadcast_strides(batch_b, batch);
  for (int64_t& s : sa) s *= M * K;
  for (int64_t& s : sb) s *= K * N;
  int64_t item = 0;
  for_each_offset<2>(batch, {sa, sb}, [&](const std::array<int64_t, 2>& o) {
    gemm_accumulate<T>(M, N, K, {pa + o[0], K, 1}, {pb + o[1], b_row_stride, b_col_stride}, po + item * M * N);
    ++item;
  });
  return out;
}

// torch.matmul on concrete tensors; the result has matmul_shape's sizes.
Tensor matmul_tensors(const Tensor& a_raw, const Tensor& b_raw, const Shape& out_shape) {
  const DType calc = compute_dtype(a_raw.dtype());
  Tensor a = converted(a_raw, calc), b = converted(b_raw, calc);
  const std::vector<int64_t>& as = a.shape();
  const std::vector<int64_t>& bs = b.shape();
  const int64_t K = as.back();
  const int64_t M = as.size() >= 2 ? as[as.size() - 2] : 1;
  const int64_t N = bs.size() >= 2 ? bs.back() : 1;
  const std::vector<int64_t> batch_a(as.begin(), as.end() - static_cast<long>(std::min<size_t>(as.size(), 2)));
  const std::vector<int64_t> batch_b(bs.begin(), bs.end() - static_cast<long>(std::min<size_t>(bs.size(), 2)));
  Tensor out = visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return batched_product<T>(a, batch_a, M, K, b, batch_b, N, N, 1);
  });
  return finish(out.reshaped(concrete(out_shape)), a_raw.dtype());
}

// out = beta * self + alpha * product, self broadcast to the product's shape.
Tensor scale_and_add(const Tensor& product, const Tensor& self_raw, double beta, double alpha) {
  const DType calc = product.dtype();
  Tensor self = converted(self_raw, calc);
  Tensor out = Tensor::zeros(calc, product.shape());
  visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = product.data<T>();
    const T* s = self.data<T>();
    T* o = out.mutable_data<T>();
    const T ta = static_cast<T>(alpha), tb = static_cast<T>(beta);
    for_each_offset<2>(product.shape(), {contiguous_strides(product.shape()), broadcast_strides(self.shape(), product.shape())},
                       [&](const std::array<int64_t, 2>& off) {
                         // beta == 0 ignores self entirely (even NaN), as torch does.
                         const T base = beta == 0.0 ? T(0) : static_cast<T>(tb * s[off[1]]);
                         o[off[0]] = static_cast<T>(base + ta * p[off[0]]);
                       });
  });
  return out;
}

// ---------------------------------------------------------------- ops

// linear(Tensor input [..., K], Tensor weight [N, K] or [K], Tensor? bias=None) = input @ weight.T + bias
Shape linear_shape(const OpArgs& args) {
  const TensorMeta& in = args.tensor("input");
  const TensorMeta& w = args.tensor("weight");
  same_dtype(in, w);
  if (in.shape.empty()) fail("input must have at least 1 dimension, got a 0-d tensor");
  if (w.shape.empty() || w.shape.size() > 2) fail("weight must be 1-D or 2-D, got shape " + shape_str(w.shape));
  check_contraction(in.shape.back(), w.shape.back(), in, w);
  Shape out(in.shape.begin(), in.shape.end() - 1);
  if (w.shape.size() == 2) out.push_back(w.shape[0]);
  if (const OpArg* bias_arg = args.optional_tensor("bias")) {
    const TensorMeta& bias = bias_arg->meta;
    if (bias.dtype != in.dtype) fail("bias dtype " + std::string(dtype_name(bias.dtype)) + " differs from input dtype " + std::string(dtype_name(in.dtype)));
    Shape with_bias = broadcast_shapes(out, bias.shape);
    if (with_bias != out) fail("bias of shape " + shape_str(bias.shape) + " does not broadcast to the output " + shape_str(out));
  }
  return out;
}

std::vector<Tensor> linear_kernel(const OpArgs& args) {
  const Shape out_shape = linear_shape(args);
  const Tensor& in_raw = args.data("input");
  const Tensor& w_raw = args.data("weight");
  const DType calc = compute_dtype(in_raw.dtype());
  Tensor in = converted(in_raw, calc), w = converted(w_raw, calc);
  const int64_t K = in.shape().back();
  const int64_t M = in.numel() / std::max<int64_t>(K, 1);
  const int64_t N = w.dim() == 2 ? w.shape()[0] : 1;
  Tensor bias;
  if (args.has("bias")) bias = converted(args.data("bias"), calc);
  const bool row_bias = bias.defined() && bias.numel() == N && bias.dim() <= 1;
  Tensor out = visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor o = Tensor::zeros(calc, {M, N});
    T* po = o.mutable_data<T>();
    if (row_bias) {  // start from the bias so the product accumulates onto it
      const T* pb = bias.data<T>();
      for (int64_t m = 0; m < M; ++m) std::copy(pb, pb + N, po + m * N);
    }
    // weight.T as a strided view: element (k, n) is w[n * K + k].
    gemm_accumulate<T>(M, N, K, {in.data<T>(), K, 1}, {w.data<T>(), 1, K}, po);
    return o;
  });
  out = out.reshaped(concrete(out_shape));
  if (bias.defined() && !row_bias) out = scale_and_add(out, bias, 1.0, 1.0);
  return {finish(std::move(out), in_raw.dtype())};
}

void register_matmul_family(OpLibrary& lib) {
  // matmul(Tensor self, Tensor other)
  define_by_schema(
      lib, "aten::matmul", "linear",
      [](const OpArgs& args) {
        const TensorMeta& a = args.tensor("self");
        const TensorMeta& b = args.tensor("other");
        same_dtype(a, b);
        return std::vector<TensorMeta>{TensorMeta{a.dtype, matmul_shape(a, b)}};
      },
      [](const OpArgs& args) {
        const Shape shape = matmul_shape(args.tensor("self"), args.tensor("other"));
        same_dtype(args.tensor("self"), args.tensor("other"));
        return std::vector<Tensor>{matmul_tensors(args.data("self"), args.data("other"), shape)};
      });

  // mm / bmm(self, mat2), mv(self, vec), dot(self, tensor): matmul restricted to fixed ranks.
  struct Fixed {
    const char* name;
    const char* second;  // the second operand's schema name
    size_t rank_a, rank_b;
  };
  for (Fixed f : {Fixed{"aten::mm", "mat2", 2, 2}, Fixed{"aten::bmm", "mat2", 3, 3}, Fixed{"aten::mv", "vec", 2, 1},
                  Fixed{"aten::dot", "tensor", 1, 1}}) {
    auto meta = [f](const OpArgs& args) {
      const TensorMeta& a = args.tensor("self");
      const TensorMeta& b = args.tensor(f.second);
      require_rank(a, f.rank_a, "self");
      require_rank(b, f.rank_b, "the second operand");
      if (f.rank_a == 3 && !(a.shape[0] == b.shape[0]) && a.shape[0].is_static() && b.shape[0].is_static())
        fail("batch sizes differ: shapes " + describe_pair(a, b));
      return TensorMeta{same_dtype(a, b), matmul_shape(a, b)};
    };
    define_by_schema(
        lib, f.name, "linear", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
        [meta, f](const OpArgs& args) {
          const TensorMeta m = meta(args);
          return std::vector<Tensor>{matmul_tensors(args.data("self"), args.data(f.second), m.shape)};
        });
  }

  // addmm(self, mat1, mat2, *, Scalar beta=1, Scalar alpha=1); baddbmm(self, batch1, batch2, *, beta=1, alpha=1)
  struct Accumulating {
    const char* name;
    const char* first;  // the product's operands' schema names
    const char* second;
    size_t rank;
  };
  for (Accumulating op : {Accumulating{"aten::addmm", "mat1", "mat2", 2}, Accumulating{"aten::baddbmm", "batch1", "batch2", 3}}) {
    const size_t rank = op.rank;
    auto meta = [op, rank](const OpArgs& args) {
      const TensorMeta& self = args.tensor("self");
      const TensorMeta& a = args.tensor(op.first);
      const TensorMeta& b = args.tensor(op.second);
      require_rank(a, rank, "the first matrix operand");
      require_rank(b, rank, "the second matrix operand");
      const Shape product = matmul_shape(a, b);
      same_dtype(a, b);
      if (self.dtype != a.dtype) fail("self dtype " + std::string(dtype_name(self.dtype)) + " differs from the operands' " + std::string(dtype_name(a.dtype)));
      if (broadcast_shapes(self.shape, product) != product)
        fail("self of shape " + shape_str(self.shape) + " does not broadcast to the product's shape " + shape_str(product));
      return TensorMeta{a.dtype, product};
    };
    define_by_schema(
        lib, op.name, "linear", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
        [meta, op](const OpArgs& args) {
          const TensorMeta m = meta(args);
          const double beta = args.f64("beta"), alpha = args.f64("alpha");
          Tensor product = converted(matmul_tensors(args.data(op.first), args.data(op.second), m.shape), compute_dtype(m.dtype));
          return std::vector<Tensor>{finish(scale_and_add(product, args.data("self"), beta, alpha), m.dtype)};
        });
  }
}

// ---------------------------------------------------------------- einsum

// einsum(str equation, Tensor[] tensors, *, int[]? path=None), without
// ellipsis: one letter per dim; the output is the letters after "->", or the
// letters seen once, in alphabetical order.
struct EinsumPlan {
  std::vector<std::string> operands;
  std::string output;
  std::map<char, Dim> sizes;
};

EinsumPlan einsum_plan(const OpArgs& args) {
  std::string eq;
  for (char c : args.str("equation"))
    if (c != ' ') eq += c;
  if (eq.find('.') != std::string::npos) fail("equations with an ellipsis (...) are not supported");
  const OpArg& list = args.arg("tensors");
  if (list.kind != OpArg::Kind::List) fail("expects a list of tensors");
  EinsumPlan p;
  const size_t arrow = eq.find("->");
  std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  size_t begin = 0;
  while (true) {
    const size_t comma = lhs.find(',', begin);
    p.operands.push_back(lhs.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  if (p.operands.size() != list.items.size())
    fail("the equation has " + std::to_string(p.operands.size()) + " operands, " + std::to_string(list.items.size()) +
         " tensors were given");
  std::map<char, int> count;
  for (size_t i = 0; i < p.operands.size(); ++i) {
    const OpArg& t = list.items[i];
    if (!t.is_tensor()) fail("expects a list of tensors");
    if (t.meta.shape.size() != p.operands[i].size())
      fail("operand " + std::to_string(i) + " has " + std::to_string(t.meta.shape.size()) + " dims, its subscripts '" +
           p.operands[i] + "' name " + std::to_string(p.operands[i].size()));
    for (size_t k = 0; k < p.operands[i].size(); ++k) {
      const char c = p.operands[i][k];
      if (!std::isalpha(static_cast<unsigned char>(c))) fail(std::string("invalid subscript '") + c + "'");
      ++count[c];
      const Dim& d = t.meta.shape[k];
      auto [it, fresh] = p.sizes.emplace(c, d);
      if (!fresh && !(it->second == d)) {
        if (it->second.is_static() && it->second.value() == 1) it->second = d;  // size 1 broadcasts
        else if (!(d.is_static() && d.value() == 1))
          fail(std::string("subscript '") + c + "' has sizes " + it->second.str() + " and " + d.str());
      }
    }
  }
  if (arrow != std::string::npos) {
    p.output = eq.substr(arrow + 2);
    for (char c : p.output)
      if (!p.sizes.count(c)) fail(std::string("output subscript '") + c + "' does not appear in the inputs");
  } else {
    for (auto& [c, n] : count)
      if (n == 1) p.output += c;
  }
  return p;
}

void register_einsum(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const EinsumPlan p = einsum_plan(args);
    std::vector<const OpArg*> operands;
    for (const OpArg& t : args.arg("tensors").items) operands.push_back(&t);
    Shape out;
    for (char c : p.output) out.push_back(p.sizes.at(c));
    return TensorMeta{result_type(operands), out};
  };
  define_by_schema(
      lib, "aten::einsum", "linear", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const EinsumPlan p = einsum_plan(args);
        // Every letter is a loop; each operand reads at its own strides (0 where it broadcasts).
        std::string letters;
        for (auto& [c, d] : p.sizes) letters += c;
        std::vector<int64_t> sizes;
        for (char c : letters) sizes.push_back(p.sizes.at(c).value());
        const OpArg& list = args.arg("tensors");
        std::vector<Tensor> ins;
        std::vector<std::vector<int64_t>> strides;
        for (size_t i = 0; i < p.operands.size(); ++i) {
          ins.push_back(converted(*list.items[i].data, DType::Float64));
          const std::vector<int64_t> own = contiguous_strides(ins.back().shape());
          std::vector<int64_t> s(letters.size(), 0);
          for (size_t k = 0; k < p.operands[i].size(); ++k)
            if (ins.back().shape()[k] != 1) s[letters.find(p.operands[i][k])] += own[k];
          strides.push_back(s);
        }
        std::vector<int64_t> out_sizes, out_strides(letters.size(), 0);
        for (char c : p.output) out_sizes.push_back(p.sizes.at(c).value());
        const std::vector<int64_t> own = contiguous_strides(out_sizes);
        for (size_t k = 0; k < p.output.size(); ++k) out_strides[letters.find(p.output[k])] = own[k];
        Tensor out = Tensor::zeros(DType::Float64, out_sizes);
        double* po = out.mutable_data<double>();
        std::vector<int64_t> idx(letters.size(), 0);
        const int64_t total = numel_of(sizes);
        for (int64_t flat = 0; flat < total; ++flat) {
          int64_t rest = flat;
          for (size_t k = letters.size(); k-- > 0;) {
            idx[k] = rest % sizes[k];
            rest /= sizes[k];
          }
          double prod = 1;
          for (size_t i = 0; i < ins.size(); ++i) {
            int64_t off = 0;
            for (size_t k = 0; k < letters.size(); ++k) off += idx[k] * strides[i][k];
            prod *= ins[i].data<double>()[off];
          }
          int64_t o = 0;
          for (size_t k = 0; k < letters.size(); ++k) o += idx[k] * out_strides[k];
          po[o] += prod;
        }
        return std::vector<Tensor>{converted(out, m.dtype)};
      });
}

// ---------------------------------------------------------------- determinants

// det / linalg_det(A) and logdet(A) over [*, n, n] floating matrices: LU with
// partial pivoting in float64. logdet is log(det): NaN for a negative
// determinant, -inf for zero, as torch gives them.
// `matrix` is the input's schema name: det/logdet(Tensor self), linalg_det(Tensor A).
TensorMeta det_meta(const OpArgs& args, const char* matrix) {
  const TensorMeta& a = args.tensor(matrix);
  if (!is_floating(a.dtype)) fail("only floating-point inputs are supported, got " + std::string(dtype_name(a.dtype)));
  if (a.shape.size() < 2) fail("the input must have at least 2 dims, got shape " + shape_str(a.shape));
  const Dim& n = a.shape[a.shape.size() - 1];
  const Dim& m = a.shape[a.shape.size() - 2];
  if (!(n == m)) fail("the matrices must be square, got shape " + shape_str(a.shape));
  return TensorMeta{a.dtype, Shape(a.shape.begin(), a.shape.end() - 2)};
}

double determinant(std::vector<double> m, int64_t n) {
  double det = 1;
  for (int64_t c = 0; c < n; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::abs(m[static_cast<size_t>(r * n + c)]) > std::abs(m[static_cast<size_t>(pivot * n + c)])) pivot = r;
    if (m[static_cast<size_t>(pivot * n + c)] == 0) return 0;
    if (pivot != c) {
      for (int64_t k = 0; k < n; ++k) std::swap(m[static_cast<size_t>(c * n + k)], m[static_cast<size_t>(pivot * n + k)]);
      det = -det;
    }
    const double p = m[static_cast<size_t>(c * n + c)];
    det *= p;
    for (int64_t r = c + 1; r < n; ++r) {
      const double f = m[static_cast<size_t>(r * n + c)] / p;
      for (int64_t k = c; k < n; ++k) m[static_cast<size_t>(r * n + k)] -= f * m[static_cast<size_t>(c * n + k)];
    }
  }
  return det;
}

std::vector<Tensor> det_kernel(const OpArgs& args, const char* matrix, bool log) {
  const TensorMeta out = det_meta(args, matrix);
  const Tensor a = converted(args.data(matrix), DType::Float64);
  const int64_t n = a.shape().back();
  const std::vector<int64_t> batch = concrete(out.shape);
  Tensor r = Tensor::zeros(DType::Float64, batch);
  const double* pa = a.data<double>();
  double* pr = r.mutable_data<double>();
  for (int64_t b = 0; b < r.numel(); ++b) {
    const double d = determinant(std::vector<double>(pa + b * n * n, pa + (b + 1) * n * n), n);
    pr[b] = log ? std::log(d) : d;
  }
  return {finish(converted(r, compute_dtype(out.dtype)), out.dtype)};
}

void register_determinants(OpLibrary& lib) {
  for (const char* name : {"aten::det", "aten::linalg_det", "aten::logdet"}) {
    const bool log = std::string_view(name) == "aten::logdet";
    const char* matrix = std::string_view(name) == "aten::linalg_det" ? "A" : "self";
    define_by_schema(
        lib, name, "linear", [matrix](const OpArgs& args) { return std::vector<TensorMeta>{det_meta(args, matrix)}; },
        [log, matrix](const OpArgs& args) { return det_kernel(args, matrix, log); });
  }
}

}  // namespace

void register_linear_algebra_ops(OpLibrary& lib) {
  register_einsum(lib);
  register_determinants(lib);
  define_by_schema(
      lib, "aten::linear", "linear",
      [](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{args.tensor("input").dtype, linear_shape(args)}}; },
      linear_kernel);
  register_matmul_family(lib);
}

}  // namespace onnxport::ops
