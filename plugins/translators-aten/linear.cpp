// Matrix products and convolutions.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <algorithm>

namespace onnxport::aten {
namespace {

// linear(Tensor input, Tensor weight, Tensor? bias=None) = input @ weight^T + bias.
//
// A 2-D floating input becomes one Gemm with transB=1, as torch.onnx.export
// does (its addmm path): the weight initializer is used as it is, with no
// transposed copy, and the model has one node per Linear instead of three.
// Gemm needs a 2-D A and a bias broadcastable to [batch, out_features], and
// its type constraint has no 8/16-bit integers, so every other case takes the
// general path: Transpose(weight), MatMul, Add. That Transpose is emitted as
// is; for an initializer the optimizer folds it into a transposed
// initializer. The last op's output is the node's output, so the ONNX value
// is named after it ("linear").
bool fits_gemm(TranslateContext& ctx, const NodeArgs& a) {
  if (rank_of(ctx, a, "input") != 2 || rank_of(ctx, a, "weight") != 2) return false;
  if (a.has("bias") && rank_of(ctx, a, "bias") != 1) return false;
  return is_floating(output_dtype(ctx));
}

void translate_linear(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  if (fits_gemm(ctx, a)) {
    std::vector<std::string> inputs{a.input("input"), a.input("weight")};
    if (a.has("bias")) inputs.push_back(a.input("bias"));
    set_result(ctx, ctx.op("Gemm", inputs, {{"transB", int64_t{1}}}));
    return;
  }
  std::string weight = a.input("weight");
  const int64_t weight_rank = rank_of(ctx, a, "weight");
  if (weight_rank == 2) weight = ctx.op("Transpose", {weight}, {{"perm", std::vector<int64_t>{1, 0}}});
  else if (weight_rank != 1) fail(ctx, "weight must be 1-D or 2-D, got rank " + std::to_string(weight_rank));
  std::string y = ctx.op("MatMul", {a.input("input"), weight});
  if (a.has("bias")) y = ctx.op("Add", {y, a.input("bias")});
  set_result(ctx, y);
}

// matmul(Tensor self, Tensor other), mm/bmm(self, mat2), mv(self, vec): ONNX
// MatMul has numpy's semantics, like torch.matmul (1-D operands included).
// The second operand's name differs per op: the schema's second argument.
void translate_matmul(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("MatMul", {a.input("self"), a.input(schema_arg_name(ctx, a, 1))}));
}

// dot(Tensor self, Tensor tensor): inner product of two 1-D tensors; MatMul gives the scalar.
void translate_dot(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  set_result(ctx, ctx.op("MatMul", {a.input("self"), a.input("tensor")}));
}

// x * factor, skipping factor == 1.
std::string scaled(TranslateContext& ctx, const NodeArgs& a, const std::string& x, std::string_view factor,
                   DType dtype) {
  if (!a.has(factor)) return x;
  if (is_constant(a, factor) && a.f64(factor) == 1.0) return x;
  return ctx.op("Mul", {x, input_as(ctx, a, factor, dtype)});
}

// addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1)
// baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1)
// = beta * self + alpha * (mat1 @ mat2)
void translate_addmm(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  DType d = output_dtype(ctx);
  const std::string_view first = schema_arg_name(ctx, a, 1), second = schema_arg_name(ctx, a, 2);
  std::string product = scaled(ctx, a, ctx.op("MatMul", {a.input(first), a.input(second)}), "alpha", d);
  if (is_constant(a, "beta") && a.f64("beta") == 0.0) {
    set_result(ctx, product);  // torch ignores self (even NaNs in it) when beta == 0
    return;
  }
  set_result(ctx, ctx.op("Add", {scaled(ctx, a, a.input("self"), "beta", d), product}));
}

// One spatial attribute (strides, dilations, kernel) for `spatial` dims: torch
// allows a single int for all of them.
std::vector<int64_t> spatial_ints(TranslateContext& ctx, const NodeArgs& a, std::string_view name, size_t spatial) {
  std::vector<int64_t> v = a.ints(name);
  if (v.size() == 1) return std::vector<int64_t>(spatial, v[0]);
  if (v.size() != spatial)
    fail(ctx, std::string(name) + " has " + std::to_string(v.size()) + " values for " + std::to_string(spatial) +
                  " spatial dims");
  return v;
}

// input, weight and (when given) bias: the inputs of ONNX Conv/ConvTranspose.
std::vector<std::string> conv_inputs(const NodeArgs& a) {
  std::vector<std::string> inputs{a.input("input"), a.input("weight")};
  if (a.has("bias")) inputs.push_back(a.input("bias"));
  return inputs;
}

// torch's symmetric padding [p0, p1, ...] as ONNX pads [begins..., ends...].
std::vector<int64_t> onnx_pads(const std::vector<int64_t>& padding) {
  std::vector<int64_t> pads(padding);
  pads.insert(pads.end(), padding.begin(), padding.end());
  return pads;
}

// conv1d/conv2d/conv3d(Tensor input, Tensor weight, Tensor? bias=None, int[] stride=1,
//                      int[]|str padding=0, int[] dilation=1, int groups=1)
void translate_conv(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "weight");
  if (rank < 3) fail(ctx, "weight must have at least 3 dims, got " + std::to_string(rank));
  const size_t spatial = static_cast<size_t>(rank - 2);
  if (rank_of(ctx, a, "input") != rank)
    fail(ctx, "input must be batched (rank " + std::to_string(rank) + "), got rank " +
                  std::to_string(rank_of(ctx, a, "input")),
         "unbatched convolution inputs are not supported; unsqueeze the batch dim first");
  OnnxAttrs attrs{{"strides", spatial_ints(ctx, a, "stride", spatial)},
                  {"dilations", spatial_ints(ctx, a, "dilation", spatial)},
                  {"group", a.i64("groups")}};
  // The .padding overloads take a str padding: 'same' or 'valid'.
  const SchemaArgument& padding = a.schema().arguments[*a.schema().argument_index("padding")];
  if (padding.type.kind == SchemaType::Kind::Str) {
    std::string mode = a.str("padding");
    // torch's "same" pads dilation * (kernel - 1) in total per dim, the odd
    // element at the end. Written as explicit pads: ONNX Runtime refuses
    // auto_pad SAME_* with dilations.
    if (mode == "same") {
      const std::vector<int64_t> dilation = spatial_ints(ctx, a, "dilation", spatial);
      std::vector<int64_t> pads(2 * spatial, 0);
      for (size_t k = 0; k < spatial; ++k) {
        const auto kernel = static_dim(ctx, a, "weight", static_cast<int64_t>(k + 2));
        if (!kernel) fail(ctx, "padding='same' needs a static kernel size");
        const int64_t total = dilation[k] * (*kernel - 1);
        pads[k] = total / 2;
        pads[k + spatial] = total - total / 2;
      }
      attrs.push_back({"pads", pads});
    }
    else if (mode == "valid") attrs.push_back({"pads", std::vector<int64_t>(2 * spatial, 0)});
    else fail(ctx, "unknown padding mode '" + mode + "'");
  } else {
    attrs.push_back({"pads", onnx_pads(spatial_ints(ctx, a, "padding", spatial))});
  }
  set_result(ctx, ctx.op("Conv", conv_inputs(a), attrs));
}

// conv_transpose1d/2d(Tensor input, Tensor weight, Tensor? bias=None, int[] stride=1,
//                     int[] padding=0, int[] output_padding=0, int groups=1, int[] dilation=1)
void translate_conv_transpose(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "weight");
  if (rank < 3 || rank_of(ctx, a, "input") != rank) fail(ctx, "input must be batched and weight at least 3-D");
  const size_t spatial = static_cast<size_t>(rank - 2);
  OnnxAttrs attrs{{"strides", spatial_ints(ctx, a, "stride", spatial)},
                  {"pads", onnx_pads(spatial_ints(ctx, a, "padding", spatial))},
                  {"output_padding", spatial_ints(ctx, a, "output_padding", spatial)},
                  {"group", a.i64("groups")},
                  {"dilations", spatial_ints(ctx, a, "dilation", spatial)}};
  set_result(ctx, ctx.op("ConvTranspose", conv_inputs(a), attrs));
}

// convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding,
//             int[] dilation, bool transposed, int[] output_padding, int groups)
// _convolution(... the same ..., bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32)
void translate_convolution(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rank = rank_of(ctx, a, "weight");
  if (rank < 3 || rank_of(ctx, a, "input") != rank) fail(ctx, "input must be batched and weight at least 3-D");
  const size_t spatial = static_cast<size_t>(rank - 2);
  const bool transposed = a.boolean("transposed");
  OnnxAttrs attrs{{"strides", spatial_ints(ctx, a, "stride", spatial)},
                  {"pads", onnx_pads(spatial_ints(ctx, a, "padding", spatial))},
                  {"dilations", spatial_ints(ctx, a, "dilation", spatial)},
                  {"group", a.i64("groups")}};
  if (transposed) attrs.push_back({"output_padding", spatial_ints(ctx, a, "output_padding", spatial)});
  set_result(ctx, ctx.op(transposed ? "ConvTranspose" : "Conv", conv_inputs(a), attrs));
}

// einsum(str equation, Tensor[] tensors, *, int[]? path=None): ONNX Einsum
// (opset 12) on the operands in the result dtype. Ellipsis equations are
// refused by the op library already.
void translate_einsum(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const Arg& list = a.arg("tensors");
  if (!list.is_list()) fail(ctx, "expects a list of tensors");
  const DType d = output_dtype(ctx);
  std::vector<std::string> operands;
  for (const Arg& item : list.items) operands.push_back(arg_as(ctx, item, d));
  // The string is copied out first: a range-for over a temporary's string
  // would iterate it after it was destroyed (the einsum equations of MViT
  // came out with NULs).
  const std::string written = a.str("equation");
  std::string equation;
  for (char c : written)
    if (c != ' ') equation += c;
  // One operand with distinct letters and an explicit output is a sum over
  // the dropped letters and a transpose. Written out, since ONNX Runtime's
  // Einsum fails on some of these ("bij->jb": output shape mismatch).
  const size_t arrow = equation.find("->");
  if (operands.size() == 1 && arrow != std::string::npos) {
    const std::string in = equation.substr(0, arrow), out = equation.substr(arrow + 2);
    const bool distinct = std::all_of(in.begin(), in.end(), [&](char c) { return std::count(in.begin(), in.end(), c) == 1; });
    if (distinct) {
      std::vector<int64_t> dropped;
      std::string kept;
      for (size_t k = 0; k < in.size(); ++k) {
        if (out.find(in[k]) == std::string::npos) dropped.push_back(static_cast<int64_t>(k));
        else kept += in[k];
      }
      std::string x = operands[0];
      if (!dropped.empty()) x = reduce(ctx, "ReduceSum", x, dropped, false, true);
      std::vector<int64_t> perm;
      for (char c : out) perm.push_back(static_cast<int64_t>(kept.find(c)));
      bool identity = true;
      for (size_t k = 0; k < perm.size(); ++k) identity = identity && perm[k] == static_cast<int64_t>(k);
      // if/else, not ?: — g++ 12 -O2 reports the attribute list built in
      // only one arm of a conditional as maybe used uninitialized.
      if (identity)
        set_result(ctx, ctx.op("Identity", {x}));
      else
        set_result(ctx, ctx.op("Transpose", {x}, {{"perm", perm}}));
      return;
    }
  }
  set_result(ctx, ctx.op("Einsum", operands, {{"equation", equation}}));
}

}  // namespace

void register_linear(Registrar& r) {
  add(r, "aten::einsum", translate_einsum, kMinOpset, kOpenEnded, "Einsum");
  add(r, "aten::linear", translate_linear, kMinOpset, kOpenEnded, "Gemm(transB=1) for a 2-D input; else Transpose(weight), MatMul, Add");
  add(r, "aten::matmul", translate_matmul);
  add(r, "aten::mm", translate_matmul);
  add(r, "aten::bmm", translate_matmul);
  add(r, "aten::mv", translate_matmul);
  add(r, "aten::dot", translate_dot);
  add(r, "aten::addmm", translate_addmm);
  add(r, "aten::baddbmm", translate_addmm);
  add(r, "aten::conv1d", translate_conv);
  add(r, "aten::conv2d", translate_conv);
  add(r, "aten::conv3d", translate_conv);
  add(r, "aten::convolution", translate_convolution);
  add(r, "aten::_convolution", translate_convolution);
  add(r, "aten::conv_transpose1d", translate_conv_transpose);
  add(r, "aten::conv_transpose2d", translate_conv_transpose);
  add(r, "aten::conv_transpose3d", translate_conv_transpose);
}

}  // namespace onnxport::aten
