// Loss functions and broadcast_tensors (which F.mse_loss and friends call on
// their operands first). `reduction` is torch's enum: 0 none, 1 mean, 2 sum.
//
// Pointwise losses are written out with elementwise ops and a final
// ReduceMean/ReduceSum; nll_loss is NegativeLogLikelihoodLoss (opset 13), and
// cross_entropy_loss is LogSoftmax over the class dim and then the same, with
// torch's label smoothing and probability targets written out.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <numbers>

namespace onnxport::aten {
namespace {

constexpr int64_t kNone = 0, kMean = 1, kSum = 2;

int64_t reduction_arg(TranslateContext& ctx, const NodeArgs& a) {
  const int64_t r = a.i64("reduction");
  if (r < kNone || r > kSum) fail(ctx, "reduction must be 0 (none), 1 (mean) or 2 (sum), got " + std::to_string(r));
  return r;
}

// The per-element losses reduced over every axis as `reduction` asks.
std::string reduced(TranslateContext& ctx, const std::string& loss, int64_t reduction) {
  if (reduction == kNone) return loss;
  if (reduction == kSum) return reduce(ctx, "ReduceSum", loss, {}, false, true);
  return reduce(ctx, "ReduceMean", loss, {}, false, ctx.opset() >= 18);
}

std::string scalar(TranslateContext& ctx, double v) { return ctx.const_scalar(v, output_dtype(ctx)); }

// mse_loss / l1_loss(self, target, int reduction)
template <bool Squared>
void translate_mse_l1(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs a(ctx);
  std::string diff = ctx.op("Sub", {input_as(ctx, a, "self", d), input_as(ctx, a, "target", d)});
  std::string loss = Squared ? ctx.op("Mul", {diff, diff}) : ctx.op("Abs", {diff});
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, a)));
}

// smooth_l1_loss(self, target, reduction, float beta=1.0):
//   |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta
// huber_loss(self, target, reduction, float delta=1.0):
//   |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)
template <bool Huber>
void translate_smooth_l1(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  const double k = args.f64(Huber ? "delta" : "beta");
  std::string a = ctx.op("Abs", {ctx.op("Sub", {input_as(ctx, args, "self", d), input_as(ctx, args, "target", d)})});
  std::string half_sq = ctx.op("Mul", {scalar(ctx, 0.5), ctx.op("Mul", {a, a})});
  std::string linear = ctx.op("Sub", {a, scalar(ctx, 0.5 * k)});
  std::string loss;
  if (Huber) {
    loss = ctx.op("Where", {ctx.op("Less", {a, scalar(ctx, k)}), half_sq, ctx.op("Mul", {scalar(ctx, k), linear})});
  } else if (k == 0) {
    loss = a;  // beta 0 is the l1 loss
  } else {
    loss = ctx.op("Where", {ctx.op("Less", {a, scalar(ctx, k)}), ctx.op("Div", {half_sq, scalar(ctx, k)}), linear});
  }
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

// binary_cross_entropy(self, target, Tensor? weight, reduction):
//   -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))
void translate_bce(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string x = input_as(ctx, args, "self", d), y = input_as(ctx, args, "target", d);
  auto clamped_log = [&](const std::string& v) { return ctx.op("Max", {ctx.op("Log", {v}), scalar(ctx, -100)}); };
  std::string one_minus_y = ctx.op("Sub", {scalar(ctx, 1), y});
  std::string ll = ctx.op("Add", {ctx.op("Mul", {y, clamped_log(x)}),
                                  ctx.op("Mul", {one_minus_y, clamped_log(ctx.op("Sub", {scalar(ctx, 1), x}))})});
  std::string loss = ctx.op("Neg", {ll});
  if (args.has("weight")) loss = ctx.op("Mul", {loss, input_as(ctx, args, "weight", d)});
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

// binary_cross_entropy_with_logits(self, target, Tensor? weight, Tensor? pos_weight, reduction):
//   w ((1 - y) x + (1 + (pw - 1) y) softplus(-x))
void translate_bce_with_logits(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string x = input_as(ctx, args, "self", d), y = input_as(ctx, args, "target", d);
  std::string softplus = ctx.op("Softplus", {ctx.op("Neg", {x})});
  std::string coeff = scalar(ctx, 1);
  if (args.has("pos_weight"))
    coeff = ctx.op("Add", {coeff, ctx.op("Mul", {ctx.op("Sub", {input_as(ctx, args, "pos_weight", d), scalar(ctx, 1)}), y})});
  std::string loss = ctx.op("Add", {ctx.op("Mul", {ctx.op("Sub", {scalar(ctx, 1), y}), x}), ctx.op("Mul", {coeff, softplus})});
  if (args.has("weight")) loss = ctx.op("Mul", {loss, input_as(ctx, args, "weight", d)});
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

// kl_div(self, target, reduction, *, bool log_target=False):
//   log_target: exp(y) (y - x); else y (log y - x), 0 where y is 0.
void translate_kl_div(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string x = input_as(ctx, args, "self", d), y = input_as(ctx, args, "target", d);
  std::string loss;
  if (args.boolean("log_target")) {
    loss = ctx.op("Mul", {ctx.op("Exp", {y}), ctx.op("Sub", {y, x})});
  } else {
    std::string term = ctx.op("Mul", {y, ctx.op("Sub", {ctx.op("Log", {y}), x})});
    loss = ctx.op("Where", {ctx.op("Equal", {y, scalar(ctx, 0)}), scalar(ctx, 0), term});
  }
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

const char* reduction_name(int64_t r) { return r == kNone ? "none" : r == kSum ? "sum" : "mean"; }

// Class-dim losses on an unbatched input ([C], target []) run batched ([1, C],
// [1]); the unreduced result drops the batch dim again.
struct ClassOperands {
  std::string input, target, weight;  // weight "" when None
  bool unbatched = false;
  int64_t rank = 0;                    // batched rank
};

ClassOperands class_operands(TranslateContext& ctx, const NodeArgs& a, DType d, bool index_target) {
  ClassOperands o;
  const int64_t rank = rank_of(ctx, a, "self");
  if (rank == 0) fail(ctx, "the input must have a class dim (1-D or more)");
  o.unbatched = rank == 1;
  o.rank = o.unbatched ? 2 : rank;
  o.input = input_as(ctx, a, "self", d);
  o.target = input_as(ctx, a, "target", index_target ? DType::Int64 : d);
  if (o.unbatched) {
    o.input = unsqueeze(ctx, o.input, {0});
    o.target = unsqueeze(ctx, o.target, {0});
  }
  if (a.has("weight")) o.weight = input_as(ctx, a, "weight", d);
  return o;
}

std::string unbatch(TranslateContext& ctx, const ClassOperands& o, const std::string& v, int64_t reduction) {
  return o.unbatched && reduction == kNone ? squeeze(ctx, v, {0}) : v;
}

std::string nll(TranslateContext& ctx, const ClassOperands& o, const std::string& logp, int64_t reduction,
                int64_t ignore_index) {
  std::vector<std::string> inputs{logp, o.target};
  if (!o.weight.empty()) inputs.push_back(o.weight);
  return ctx.op("NegativeLogLikelihoodLoss", inputs,
                {{"reduction", std::string(reduction_name(reduction))}, {"ignore_index", ignore_index}});
}

// nll_loss / nll_loss_nd / nll_loss2d(self, target, Tensor? weight, reduction, int ignore_index=-100)
void translate_nll(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs a(ctx);
  ClassOperands o = class_operands(ctx, a, d, true);
  const int64_t reduction = reduction_arg(ctx, a);
  const int64_t ignore_index = a.i64("ignore_index");
  set_result(ctx, unbatch(ctx, o, nll(ctx, o, o.input, reduction, ignore_index), reduction));
}

// The weight as [C, 1, ...] so it broadcasts over [N, C, d...] (1 when None).
std::string class_weight(TranslateContext& ctx, const ClassOperands& o) {
  if (o.weight.empty()) return scalar(ctx, 1);
  std::vector<int64_t> shape(static_cast<size_t>(o.rank - 1), 1);
  shape[0] = -1;
  return reshape(ctx, o.weight, shape);
}

// cross_entropy_loss(self, target, Tensor? weight, reduction, int ignore_index=-100, float label_smoothing=0.0)
void translate_cross_entropy(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs a(ctx);
  const bool index_target = !is_floating(arg_dtype(ctx, a, "target"));
  ClassOperands o = class_operands(ctx, a, d, index_target);
  const int64_t reduction = reduction_arg(ctx, a);
  const int64_t ignore_index = a.i64("ignore_index");
  const double smoothing = a.f64("label_smoothing");
  std::string logp = ctx.op("LogSoftmax", {o.input}, {{"axis", int64_t{1}}});
  std::string weighted_logp = ctx.op("Mul", {logp, class_weight(ctx, o)});
  std::optional<int64_t> classes = static_dim(ctx, a, "self", o.unbatched ? 0 : 1);
  if (smoothing > 0 && !classes)
    fail(ctx, "label smoothing needs a static class count");
  const double c = classes ? static_cast<double>(*classes) : 1.0;
  if (!index_target) {
    // Probabilities: -sum_c w_c t_c logp_c per element, t smoothed toward 1/C; mean over N * d...
    std::string t = o.target;
    if (smoothing > 0)
      t = ctx.op("Add", {ctx.op("Mul", {t, scalar(ctx, 1 - smoothing)}), scalar(ctx, smoothing / c)});
    std::string per = ctx.op("Neg", {reduce(ctx, "ReduceSum", ctx.op("Mul", {weighted_logp, t}), {1}, false, true)});
    set_result(ctx, unbatch(ctx, o, reduced(ctx, per, reduction), reduction));
    return;
  }
  std::string loss = nll(ctx, o, logp, reduction, ignore_index);
  if (smoothing > 0) {
    // (1 - e) nll + e / C * smooth; smooth = -sum_c w_c logp_c, 0 where the
    // target is ignored, summed or averaged like nll (over the weights of
    // the kept targets, or their count when there is no weight).
    std::string ignored = ctx.op("Equal", {o.target, ctx.const_scalar(static_cast<double>(ignore_index), DType::Int64)});
    std::string per = ctx.op("Neg", {reduce(ctx, "ReduceSum", weighted_logp, {1}, false, true)});
    per = ctx.op("Where", {ignored, scalar(ctx, 0), per});
    std::string smooth = per;
    if (reduction != kNone) smooth = reduce(ctx, "ReduceSum", per, {}, false, true);
    if (reduction == kMean) {
      std::string kept_weight;
      if (o.weight.empty()) {
        kept_weight = cast_to(ctx, ctx.op("Not", {ignored}), d);
      } else {
        std::string safe_target = ctx.op("Where", {ignored, ctx.const_scalar(0, DType::Int64), o.target});
        kept_weight = ctx.op("Where", {ignored, scalar(ctx, 0), ctx.op("Gather", {o.weight, safe_target}, {{"axis", int64_t{0}}})});
      }
      smooth = ctx.op("Div", {smooth, reduce(ctx, "ReduceSum", kept_weight, {}, false, true)});
    }
    loss = ctx.op("Add", {ctx.op("Mul", {loss, scalar(ctx, 1 - smoothing)}),
                          ctx.op("Mul", {smooth, scalar(ctx, smoothing / c)})});
  }
  set_result(ctx, unbatch(ctx, o, loss, reduction));
}

// soft_margin_loss(self, target, reduction): softplus(-y x)
void translate_soft_margin(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string loss = ctx.op("Softplus", {ctx.op("Neg", {ctx.op("Mul", {input_as(ctx, args, "target", d), input_as(ctx, args, "self", d)})})});
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

// hinge_embedding_loss(self, target, float margin, reduction):
//   (y != 1 ? relu(margin - x) : 0) + (y != -1 ? x : 0)
void translate_hinge_embedding(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string x = input_as(ctx, args, "self", d), y = input_as(ctx, args, "target", d);
  const double margin = args.f64("margin");
  std::string zero = scalar(ctx, 0);
  std::string hinge = ctx.op("Relu", {ctx.op("Sub", {scalar(ctx, margin), x})});
  std::string from_margin = ctx.op("Where", {ctx.op("Equal", {y, scalar(ctx, 1)}), zero, hinge});
  std::string from_self = ctx.op("Where", {ctx.op("Equal", {y, scalar(ctx, -1)}), zero, x});
  set_result(ctx, reduced(ctx, ctx.op("Add", {from_margin, from_self}), reduction_arg(ctx, args)));
}

// margin_ranking_loss(input1, input2, target, float margin, reduction):
//   relu(-target (x1 - x2) + margin)
void translate_margin_ranking(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string gap = ctx.op("Mul", {input_as(ctx, args, "target", d), ctx.op("Sub", {input_as(ctx, args, "input1", d), input_as(ctx, args, "input2", d)})});
  std::string loss = ctx.op("Relu", {ctx.op("Sub", {scalar(ctx, args.f64("margin")), gap})});
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

// poisson_nll_loss(input, target, bool log_input, bool full, float eps, reduction):
//   log_input ? exp(x) - y x : x - y log(x + eps), plus, when full, Stirling's
//   y log y - y + log(2 pi y) / 2 where y > 1 (Where keeps y <= 1's NaNs out).
void translate_poisson_nll(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string x = input_as(ctx, args, "input", d), y = input_as(ctx, args, "target", d);
  std::string loss;
  if (args.boolean("log_input"))
    loss = ctx.op("Sub", {ctx.op("Exp", {x}), ctx.op("Mul", {y, x})});
  else
    loss = ctx.op("Sub", {x, ctx.op("Mul", {y, ctx.op("Log", {ctx.op("Add", {x, scalar(ctx, args.f64("eps"))})})})});
  if (args.boolean("full")) {
    std::string stirling = ctx.op(
        "Add", {ctx.op("Sub", {ctx.op("Mul", {y, ctx.op("Log", {y})}), y}),
                ctx.op("Mul", {scalar(ctx, 0.5), ctx.op("Log", {ctx.op("Mul", {scalar(ctx, 2 * std::numbers::pi), y})})})});
    loss = ctx.op("Add", {loss, ctx.op("Where", {ctx.op("LessOrEqual", {y, scalar(ctx, 1)}), scalar(ctx, 0), stirling})});
  }
  set_result(ctx, reduced(ctx, loss, reduction_arg(ctx, args)));
}

// cosine_embedding_loss(input1, input2, target, float margin, reduction):
// cos over the last dim as ATen computes it (1e-12 added to each squared
// norm), then 1 - cos where target is 1, relu(cos - margin) where it is -1.
void translate_cosine_embedding(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs args(ctx);
  std::string a = input_as(ctx, args, "input1", d), b = input_as(ctx, args, "input2", d), t = input_as(ctx, args, "target", d);
  const int64_t axis = rank_of(ctx, args, "input1") - 1;
  auto sum_last = [&](const std::string& v) { return reduce(ctx, "ReduceSum", v, {axis}, false, true); };
  std::string eps = scalar(ctx, 1e-12);
  std::string aa = ctx.op("Add", {sum_last(ctx.op("Mul", {a, a})), eps});
  std::string bb = ctx.op("Add", {sum_last(ctx.op("Mul", {b, b})), eps});
  std::string cos = ctx.op("Div", {sum_last(ctx.op("Mul", {a, b})), ctx.op("Sqrt", {ctx.op("Mul", {aa, bb})})});
  std::string zero = scalar(ctx, 0);
  std::string pos = ctx.op("Where", {ctx.op("Equal", {t, scalar(ctx, 1)}), ctx.op("Sub", {scalar(ctx, 1), cos}), zero});
  std::string neg = ctx.op("Where", {ctx.op("Equal", {t, scalar(ctx, -1)}),
                                     ctx.op("Relu", {ctx.op("Sub", {cos, scalar(ctx, args.f64("margin"))})}), zero});
  set_result(ctx, reduced(ctx, ctx.op("Add", {pos, neg}), reduction_arg(ctx, args)));
}

// broadcast_tensors(Tensor[] tensors) -> Tensor[]: each input expanded to the
// common shape, the elementwise max of the shapes padded to one rank with 1s.
void translate_broadcast_tensors(TranslateContext& ctx) {
  const Arg& list = NodeArgs(ctx).arg("tensors");
  if (!list.is_list()) fail(ctx, "expects a list of tensors");
  int64_t rank = 0;
  for (const Arg& item : list.items) {
    if (!item.is_value()) fail(ctx, "expects a list of tensors");
    rank = std::max<int64_t>(rank, static_cast<int64_t>(ctx.graph().value(item.value).shape.size()));
  }
  std::string shape;
  for (const Arg& item : list.items) {
    const int64_t r = static_cast<int64_t>(ctx.graph().value(item.value).shape.size());
    std::string s = shape_of(ctx, ctx.name_of(item.value));
    if (r < rank) s = ctx.op("Concat", {ctx.const_i64(std::vector<int64_t>(static_cast<size_t>(rank - r), 1)), s},
                             {{"axis", int64_t{0}}});
    shape = shape.empty() ? s : ctx.op("Max", {shape, s});
  }
  for (size_t i = 0; i < list.items.size(); ++i)
    bind_output(ctx, i, ctx.op("Expand", {ctx.name_of(list.items[i].value), shape}));
}

}  // namespace

void register_loss(Registrar& r) {
  add(r, "aten::mse_loss", translate_mse_l1<true>);
  add(r, "aten::l1_loss", translate_mse_l1<false>);
  add(r, "aten::smooth_l1_loss", translate_smooth_l1<false>);
  add(r, "aten::huber_loss", translate_smooth_l1<true>);
  add(r, "aten::binary_cross_entropy", translate_bce);
  add(r, "aten::binary_cross_entropy_with_logits", translate_bce_with_logits, kMinOpset, kOpenEnded, "Softplus");
  add(r, "aten::kl_div", translate_kl_div);
  add(r, "aten::soft_margin_loss", translate_soft_margin, kMinOpset, kOpenEnded, "Softplus");
  add(r, "aten::hinge_embedding_loss", translate_hinge_embedding);
  add(r, "aten::margin_ranking_loss", translate_margin_ranking);
  add(r, "aten::poisson_nll_loss", translate_poisson_nll);
  add(r, "aten::cosine_embedding_loss", translate_cosine_embedding);
  for (const char* op : {"aten::nll_loss", "aten::nll_loss_nd", "aten::nll_loss2d"})
    add(r, op, translate_nll, kMinOpset, kOpenEnded, "NegativeLogLikelihoodLoss");
  add(r, "aten::cross_entropy_loss", translate_cross_entropy, kMinOpset, kOpenEnded,
      "LogSoftmax + NegativeLogLikelihoodLoss");
  add(r, "aten::broadcast_tensors", translate_broadcast_tensors, kMinOpset, kOpenEnded, "Expand");
}

}  // namespace onnxport::aten
