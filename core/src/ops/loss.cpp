// Loss functions (torch.nn.functional's losses as TorchScript calls them) and
// broadcast_tensors, which F.mse_loss / l1_loss / smooth_l1_loss / huber_loss
// call on their operands first.
//
// `reduction` is torch's enum: 0 none, 1 mean, 2 sum. kl_div's "batchmean" is
// Python code around reduction=sum.
//
//   mse_loss / l1_loss(self, target, int reduction=1)
//   smooth_l1_loss(self, target, int reduction=1, float beta=1.0)
//   huber_loss(self, target, int reduction=1, float delta=1.0)
//   binary_cross_entropy(self, target, Tensor? weight=None, int reduction=1)
//   binary_cross_entropy_with_logits(self, target, Tensor? weight, Tensor? pos_weight, int reduction=1)
//   kl_div(self, target, int reduction=1, *, bool log_target=False)
//   soft_margin_loss(self, target, int reduction=1)
//   hinge_embedding_loss(self, target, float margin=1.0, int reduction=1)
//   margin_ranking_loss(input1, input2, target, float margin=0.0, int reduction=1)
//   poisson_nll_loss(input, target, bool log_input, bool full, float eps, int reduction)
//   cosine_embedding_loss(input1, input2, target, float margin=0.0, int reduction=1)
//   nll_loss / nll_loss_nd / nll_loss2d(self, target, Tensor? weight, int reduction=1, int ignore_index=-100)
//   cross_entropy_loss(self, target, Tensor? weight, int reduction=1, int ignore_index=-100,
//                      float label_smoothing=0.0)
#include "op_support.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <functional>

namespace onnxport::ops {
namespace {

enum Reduction : int64_t { kNone = 0, kMean = 1, kSum = 2 };

// Every loss's `int reduction` (the schema's default is 1, mean).
int64_t reduction_of(const OpArgs& args) {
  const int64_t r = args.i64("reduction");
  if (r < kNone || r > kSum) fail("reduction must be 0 (none), 1 (mean) or 2 (sum), got " + std::to_string(r));
  return r;
}

TensorMeta reduced_meta(DType dtype, const Shape& shape, int64_t reduction) {
  return TensorMeta{dtype, reduction == kNone ? shape : Shape{}};
}

// The values of `t` as doubles, broadcast to `sizes`.
std::vector<double> values_as(const Tensor& t, const std::vector<int64_t>& sizes) {
  Tensor expanded = gather_strided(converted(t, DType::Float64), sizes, broadcast_strides(t.shape(), sizes), 0);
  const double* p = expanded.data<double>();
  return std::vector<double>(p, p + expanded.numel());
}

Tensor reduce_values(const std::vector<double>& loss, const std::vector<int64_t>& sizes, int64_t reduction,
                     DType dtype, double mean_divisor = -1) {
  if (reduction == kNone) {
    Tensor out = Tensor::zeros(DType::Float64, sizes);
    std::copy(loss.begin(), loss.end(), out.mutable_data<double>());
    return converted(out, dtype);
  }
  double total = 0;
  for (double v : loss) total += v;
  if (reduction == kMean) total /= mean_divisor >= 0 ? mean_divisor : static_cast<double>(loss.size());
  return converted(Tensor::scalar(DType::Float64, total), dtype);
}

// ---------------------------------------------------------------- pointwise losses

// loss(x, y, args) per element; extra tensors (weight, pos_weight) broadcast too.
using Pointwise = std::function<double(double x, double y, double w, double pw)>;

struct PointwiseLoss {
  // Schema names of x and y, then of the tensors in the w and pw slots
  // (weight[, pos_weight], may be None: 1 then), broadcast like the input.
  std::vector<std::string_view> tensors;
  std::function<Pointwise(const OpArgs&)> make;
};

void def_pointwise_loss(OpLibrary& lib, const std::string& name, PointwiseLoss spec) {
  auto meta = [spec](const OpArgs& args) {
    const TensorMeta& x = args.tensor(spec.tensors[0]);
    const TensorMeta& y = args.tensor(spec.tensors[1]);
    if (!is_floating(x.dtype)) fail("the input must be floating point, got " + std::string(dtype_name(x.dtype)));
    Shape shape = broadcast_shapes(x.shape, y.shape);
    for (size_t i = 2; i < spec.tensors.size(); ++i)
      if (const OpArg* t = args.optional_tensor(spec.tensors[i])) shape = broadcast_shapes(shape, t->meta.shape);
    return std::make_pair(TensorMeta{x.dtype, shape}, reduction_of(args));
  };
  define_by_schema(
      lib, name, "loss",
      [meta](const OpArgs& args) {
        auto [m, reduction] = meta(args);
        return std::vector<TensorMeta>{reduced_meta(m.dtype, m.shape, reduction)};
      },
      [meta, spec](const OpArgs& args) {
        auto [m, reduction] = meta(args);
        const std::vector<int64_t> sizes = concrete(m.shape);
        const std::vector<double> x = values_as(args.data(spec.tensors[0]), sizes);
        const std::vector<double> y = values_as(args.data(spec.tensors[1]), sizes);
        std::vector<double> w(x.size(), 1.0), pw(x.size(), 1.0);
        if (spec.tensors.size() > 2 && args.has(spec.tensors[2])) w = values_as(args.data(spec.tensors[2]), sizes);
        if (spec.tensors.size() > 3 && args.has(spec.tensors[3])) pw = values_as(args.data(spec.tensors[3]), sizes);
        const Pointwise f = spec.make(args);
        std::vector<double> loss(x.size());
        for (size_t i = 0; i < x.size(); ++i) loss[i] = f(x[i], y[i], w[i], pw[i]);
        return std::vector<Tensor>{reduce_values(loss, sizes, reduction, m.dtype)};
      });
}

// log clamped at -100, as torch's binary_cross_entropy does.
double clamped_log(double v) { return std::max(std::log(v), -100.0); }

void register_pointwise_losses(OpLibrary& lib) {
  def_pointwise_loss(lib, "aten::mse_loss", {{"self", "target"}, [](const OpArgs&) -> Pointwise {
                       return [](double x, double y, double, double) { return (x - y) * (x - y); };
                     }});
  def_pointwise_loss(lib, "aten::l1_loss", {{"self", "target"}, [](const OpArgs&) -> Pointwise {
                       return [](double x, double y, double, double) { return std::fabs(x - y); };
                     }});
  def_pointwise_loss(lib, "aten::smooth_l1_loss", {{"self", "target"}, [](const OpArgs& args) -> Pointwise {
                       const double beta = args.f64("beta");
                       return [beta](double x, double y, double, double) {
                         const double d = std::fabs(x - y);
                         return d < beta ? 0.5 * d * d / beta : d - 0.5 * beta;
                       };
                     }});
  def_pointwise_loss(lib, "aten::huber_loss", {{"self", "target"}, [](const OpArgs& args) -> Pointwise {
                       const double delta = args.f64("delta");
                       return [delta](double x, double y, double, double) {
                         const double d = std::fabs(x - y);
                         return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
                       };
                     }});
  def_pointwise_loss(lib, "aten::binary_cross_entropy", {{"self", "target", "weight"}, [](const OpArgs&) -> Pointwise {
                       return [](double x, double y, double w, double) {
                         return -w * (y * clamped_log(x) + (1 - y) * clamped_log(1 - x));
                       };
                     }});
  // (1 - y) * x + (1 + (pw - 1) * y) * log(1 + exp(-x)), weighted; the
  // softplus written stably as max(-x, 0) + log(exp(-max) + exp(-x - max)).
  def_pointwise_loss(lib, "aten::binary_cross_entropy_with_logits", {{"self", "target", "weight", "pos_weight"}, [](const OpArgs&) -> Pointwise {
                       return [](double x, double y, double w, double pw) {
                         const double m = std::max(-x, 0.0);
                         const double softplus = m + std::log(std::exp(-m) + std::exp(-x - m));
                         return w * ((1 - y) * x + (1 + (pw - 1) * y) * softplus);
                       };
                     }});
  def_pointwise_loss(lib, "aten::kl_div", {{"self", "target"}, [](const OpArgs& args) -> Pointwise {
                       const bool log_target = args.boolean("log_target");
                       return [log_target](double x, double y, double, double) {
                         if (log_target) return std::exp(y) * (y - x);
                         return y > 0 ? y * (std::log(y) - x) : (y == 0 ? 0.0 : std::nan(""));
                       };
                     }});
}

// The margin and ranking losses of torch.nn, each per element as ATen writes it.
void register_margin_losses(OpLibrary& lib) {
  // log(1 + exp(-y x)), written as a stable softplus.
  def_pointwise_loss(lib, "aten::soft_margin_loss", {{"self", "target"}, [](const OpArgs&) -> Pointwise {
                       return [](double x, double y, double, double) {
                         const double z = -y * x;
                         return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
                       };
                     }});
  // (y != 1 ? max(margin - x, 0) : 0) + (y != -1 ? x : 0)
  def_pointwise_loss(lib, "aten::hinge_embedding_loss", {{"self", "target"}, [](const OpArgs& args) -> Pointwise {
                       const double margin = args.f64("margin");
                       return [margin](double x, double y, double, double) {
                         return (y != 1 ? std::max(margin - x, 0.0) : 0.0) + (y != -1 ? x : 0.0);
                       };
                     }});
  // max(0, -target (x1 - x2) + margin): target is the third tensor (the `w` slot).
  def_pointwise_loss(lib, "aten::margin_ranking_loss", {{"input1", "input2", "target"}, [](const OpArgs& args) -> Pointwise {
                       const double margin = args.f64("margin");
                       return [margin](double x1, double x2, double target, double) {
                         return std::max(0.0, -target * (x1 - x2) + margin);
                       };
                     }});
  // log_input: exp(x) - y x; else x - y log(x + eps); full adds Stirling's
  // y log y - y + log(2 pi y) / 2 where y > 1.
  def_pointwise_loss(lib, "aten::poisson_nll_loss", {{"input", "target"}, [](const OpArgs& args) -> Pointwise {
                       const bool log_input = args.boolean("log_input"), full = args.boolean("full");
                       const double eps = args.f64("eps");
                       return [log_input, full, eps](double x, double y, double, double) {
                         double loss = log_input ? std::exp(x) - y * x : x - y * std::log(x + eps);
                         if (full && y > 1) loss += y * std::log(y) - y + 0.5 * std::log(2 * std::numbers::pi * y);
                         return loss;
                       };
                     }});
}

// cosine_embedding_loss: rows of input1 and input2 ([N, D] with target [N],
// or [D] with a 0-d target); cos = <a, b> / sqrt((|a|^2 + 1e-12)(|b|^2 + 1e-12))
// as ATen computes it; loss 1 - cos where target is 1, max(cos - margin, 0)
// where it is -1, 0 elsewhere.
struct CosineEmbeddingCall {
  int64_t rows = 1, width = 0;
  Shape loss_shape;
  DType dtype = DType::Float32;
  int64_t reduction = kMean;
};

CosineEmbeddingCall cosine_embedding_call(const OpArgs& args) {
  const TensorMeta& a = args.tensor("input1");
  const TensorMeta& b = args.tensor("input2");
  const TensorMeta& t = args.tensor("target");
  if (!is_floating(a.dtype)) fail("the inputs must be floating point, got " + std::string(dtype_name(a.dtype)));
  const size_t want = t.shape.size() == 1 ? 2 : 1;
  if (t.shape.size() > 1 || a.shape.size() != want || b.shape.size() != want)
    fail("expects 2-D inputs with a 1-D target or 1-D inputs with a 0-d target, got " + shape_str(a.shape) + ", " +
         shape_str(b.shape) + " and " + shape_str(t.shape));
  CosineEmbeddingCall c;
  c.dtype = a.dtype;
  c.reduction = reduction_of(args);
  c.loss_shape = t.shape;
  if (static_sizes(a.shape) && static_sizes(b.shape) && a.shape != b.shape)
    fail("input1 " + shape_str(a.shape) + " and input2 " + shape_str(b.shape) + " differ");
  return c;
}

void register_cosine_embedding(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::cosine_embedding_loss", "loss",
      [](const OpArgs& args) {
        const CosineEmbeddingCall c = cosine_embedding_call(args);
        return std::vector<TensorMeta>{reduced_meta(c.dtype, c.loss_shape, c.reduction)};
      },
      [](const OpArgs& args) {
        const CosineEmbeddingCall c = cosine_embedding_call(args);
        const Tensor a = converted(args.data("input1"), DType::Float64);
        const Tensor b = converted(args.data("input2"), DType::Float64);
        const Tensor t = converted(args.data("target"), DType::Float64);
        const double margin = args.f64("margin");
        const int64_t rows = a.shape().size() == 2 ? a.shape()[0] : 1, width = a.shape().back();
        std::vector<double> loss(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) {
          double dot = 0, aa = 1e-12, bb = 1e-12;
          for (int64_t k = 0; k < width; ++k) {
            const double x = a.data<double>()[r * width + k], y = b.data<double>()[r * width + k];
            dot += x * y, aa += x * x, bb += y * y;
          }
          const double cos = dot / std::sqrt(aa * bb), target = t.data<double>()[r];
          loss[static_cast<size_t>(r)] = target == 1 ? 1 - cos : (target == -1 ? std::max(cos - margin, 0.0) : 0.0);
        }
        return std::vector<Tensor>{reduce_values(loss, concrete(c.loss_shape), c.reduction, c.dtype)};
      });
}

// ---------------------------------------------------------------- nll / cross entropy

// Class-index targets: input [N, C, d...] or [C], target [N, d...] or [].
struct ClassLayout {
  int64_t batch = 1;    // N (1 for an unbatched input)
  int64_t classes = 0;  // C
  int64_t inner = 1;    // product of d...
};

ClassLayout class_layout(const std::vector<int64_t>& input) {
  ClassLayout l;
  if (input.size() == 1) {
    l.classes = input[0];
    return l;
  }
  l.batch = input[0];
  l.classes = input[1];
  for (size_t k = 2; k < input.size(); ++k) l.inner *= input[k];
  return l;
}

// The target shape for an input shape: the class dim removed.
Shape target_shape_of(const Shape& input) {
  if (input.size() <= 1) return Shape{};
  Shape out{input[0]};
  out.insert(out.end(), input.begin() + 2, input.end());
  return out;
}

void check_class_input(const TensorMeta& in) {
  if (in.shape.empty()) fail("the input must have a class dim (1-D or more), got a 0-d tensor");
  if (!is_floating(in.dtype)) fail("the input must be floating point, got " + std::string(dtype_name(in.dtype)));
}

// Weighted negative log-likelihood of log-probabilities `logp` (as doubles,
// row-major input layout) at class-index targets: per-element losses and the
// sum of the weights of the targets that were not ignored.
std::pair<std::vector<double>, double> nll_values(const std::vector<double>& logp, const ClassLayout& l,
                                                  const Tensor& target, const std::vector<double>& weight,
                                                  int64_t ignore_index) {
  const Tensor t = converted(target, DType::Int64);
  const int64_t* pt = t.data<int64_t>();
  std::vector<double> loss(static_cast<size_t>(l.batch * l.inner), 0.0);
  double weight_sum = 0;
  for (int64_t n = 0; n < l.batch; ++n)
    for (int64_t i = 0; i < l.inner; ++i) {
      const int64_t k = n * l.inner + i;
      const int64_t c = pt[k];
      if (c == ignore_index) continue;
      if (c < 0 || c >= l.classes) fail("target " + std::to_string(c) + " is out of bounds for " + std::to_string(l.classes) + " classes");
      const double w = weight.empty() ? 1.0 : weight[static_cast<size_t>(c)];
      loss[static_cast<size_t>(k)] = -w * logp[static_cast<size_t>((n * l.classes + c) * l.inner + i)];
      weight_sum += w;
    }
  return {loss, weight_sum};
}

// The per-class `weight` (Tensor?), empty when None.
std::vector<double> weight_values(const OpArgs& args, int64_t classes) {
  if (!args.has("weight")) return {};
  return values_as(args.data("weight"), {classes});
}

// nll_loss / nll_loss_nd / nll_loss2d(Tensor self, Tensor target, Tensor? weight=None,
//                                     int reduction=1, int ignore_index=-100)
void def_nll(OpLibrary& lib, const std::string& name) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    check_class_input(in);
    const TensorMeta& target = args.tensor("target");
    if (is_floating(target.dtype)) fail("nll_loss takes class indices (an integer target)");
    return reduced_meta(in.dtype, target_shape_of(in.shape), reduction_of(args));
  };
  define_by_schema(
      lib, name, "loss", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const Tensor& in = args.data("self");
        const ClassLayout l = class_layout(in.shape());
        const std::vector<double> logp = values_as(in, in.shape());
        auto [loss, weight_sum] = nll_values(logp, l, args.data("target"), weight_values(args, l.classes),
                                             args.i64("ignore_index"));
        return std::vector<Tensor>{reduce_values(loss, concrete(target_shape_of(args.tensor("self").shape)),
                                                 reduction_of(args), m.dtype, weight_sum)};
      });
}

// log_softmax over the class dim, as doubles in the input's layout.
std::vector<double> log_softmax_values(const Tensor& in, const ClassLayout& l) {
  std::vector<double> x = values_as(in, in.shape());
  for (int64_t n = 0; n < l.batch; ++n)
    for (int64_t i = 0; i < l.inner; ++i) {
      auto at = [&](int64_t c) -> double& { return x[static_cast<size_t>((n * l.classes + c) * l.inner + i)]; };
      double mx = -INFINITY;
      for (int64_t c = 0; c < l.classes; ++c) mx = std::max(mx, at(c));
      double total = 0;
      for (int64_t c = 0; c < l.classes; ++c) total += std::exp(at(c) - mx);
      const double lse = mx + std::log(total);
      for (int64_t c = 0; c < l.classes; ++c) at(c) -= lse;
    }
  return x;
}

// cross_entropy_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=1,
//                    int ignore_index=-100, float label_smoothing=0.)
void register_cross_entropy(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    check_class_input(in);
    const int64_t reduction = reduction_of(args);
    const TensorMeta& target = args.tensor("target");
    // Probability targets have the input's shape; class indices its shape without the class dim.
    if (is_floating(target.dtype) && !(target.shape == in.shape))
      fail("probability targets must have the input's shape " + shape_str(in.shape) + ", got " + shape_str(target.shape));
    return reduced_meta(in.dtype, target_shape_of(in.shape), reduction);
  };
  define_by_schema(
      lib, "aten::cross_entropy_loss", "loss", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const Tensor& in = args.data("self");
        const ClassLayout l = class_layout(in.shape());
        const std::vector<double> logp = log_softmax_values(in, l);
        const std::vector<double> weight = weight_values(args, l.classes);
        const int64_t reduction = reduction_of(args);
        const double smoothing = args.f64("label_smoothing");
        const std::vector<int64_t> out_sizes = concrete(target_shape_of(args.tensor("self").shape));
        const Tensor& target = args.data("target");
        auto w_of = [&](int64_t c) { return weight.empty() ? 1.0 : weight[static_cast<size_t>(c)]; };
        if (is_floating(target.dtype())) {
          // Probabilities: -sum_c w_c * t_c * logp_c, t smoothed toward 1/C; mean over N * d...
          const std::vector<double> t = values_as(target, in.shape());
          std::vector<double> loss(static_cast<size_t>(l.batch * l.inner), 0.0);
          for (int64_t n = 0; n < l.batch; ++n)
            for (int64_t c = 0; c < l.classes; ++c)
              for (int64_t i = 0; i < l.inner; ++i) {
                const size_t at = static_cast<size_t>((n * l.classes + c) * l.inner + i);
                const double tc = t[at] * (1 - smoothing) + smoothing / static_cast<double>(l.classes);
                loss[static_cast<size_t>(n * l.inner + i)] -= w_of(c) * tc * logp[at];
              }
          return std::vector<Tensor>{reduce_values(loss, out_sizes, reduction, m.dtype)};
        }
        const int64_t ignore_index = args.i64("ignore_index");
        auto [nll, weight_sum] = nll_values(logp, l, target, weight, ignore_index);
        if (smoothing <= 0) return std::vector<Tensor>{reduce_values(nll, out_sizes, reduction, m.dtype, weight_sum)};
        // Label smoothing: (1 - e) * nll + e / C * smooth, smooth = -sum_c w_c * logp_c
        // (0 where the target is ignored), reduced like nll.
        const Tensor ti = converted(target, DType::Int64);
        std::vector<double> smooth(nll.size(), 0.0);
        for (int64_t n = 0; n < l.batch; ++n)
          for (int64_t i = 0; i < l.inner; ++i) {
            const int64_t k = n * l.inner + i;
            if (ti.data<int64_t>()[k] == ignore_index) continue;
            for (int64_t c = 0; c < l.classes; ++c)
              smooth[static_cast<size_t>(k)] -= w_of(c) * logp[static_cast<size_t>((n * l.classes + c) * l.inner + i)];
          }
        double kept = 0;
        for (int64_t k = 0; k < l.batch * l.inner; ++k) kept += ti.data<int64_t>()[k] == ignore_index ? 0.0 : 1.0;
        Tensor a = reduce_values(nll, out_sizes, reduction, DType::Float64, weight_sum);
        Tensor b = reduce_values(smooth, out_sizes, reduction, DType::Float64, weight.empty() ? kept : weight_sum);
        Tensor out = Tensor::zeros(DType::Float64, a.shape());
        const double e = smoothing, classes = static_cast<double>(l.classes);
        for (int64_t k = 0; k < out.numel(); ++k)
          out.mutable_data<double>()[k] = (1 - e) * a.data<double>()[k] + e / classes * b.data<double>()[k];
        return std::vector<Tensor>{converted(out, m.dtype)};
      });
}

// ---------------------------------------------------------------- broadcast_tensors

// broadcast_tensors(Tensor[] tensors) -> Tensor[]
void register_broadcast_tensors(OpLibrary& lib) {
  auto metas = [](const OpArgs& args) {
    const OpArg& list = args.arg("tensors");
    if (list.kind != OpArg::Kind::List) fail("expects a list of tensors");
    Shape shape;
    for (const OpArg& t : list.items) {
      if (!t.is_tensor()) fail("expects a list of tensors");
      shape = broadcast_shapes(shape, t.meta.shape);
    }
    std::vector<TensorMeta> out;
    for (const OpArg& t : list.items) out.push_back(TensorMeta{t.meta.dtype, shape});
    return out;
  };
  define_by_schema(lib, "aten::broadcast_tensors", "shape", metas, [metas](const OpArgs& args) {
    const std::vector<TensorMeta> ms = metas(args);
    std::vector<Tensor> out;
    const OpArg& list = args.arg("tensors");
    for (size_t i = 0; i < ms.size(); ++i) {
      const Tensor& t = *list.items[i].data;
      const std::vector<int64_t> sizes = concrete(ms[i].shape);
      out.push_back(gather_strided(t, sizes, broadcast_strides(t.shape(), sizes), 0));
    }
    return out;
  });
}

}  // namespace

void register_loss_ops(OpLibrary& lib);  // called by op_library.cpp

void register_loss_ops(OpLibrary& lib) {
  register_pointwise_losses(lib);
  register_margin_losses(lib);
  register_cosine_embedding(lib);
  for (const char* name : {"aten::nll_loss", "aten::nll_loss_nd", "aten::nll_loss2d"}) def_nll(lib, name);
  register_cross_entropy(lib);
  register_broadcast_tensors(lib);
}

}  // namespace onnxport::ops
