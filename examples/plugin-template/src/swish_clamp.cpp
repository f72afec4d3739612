// (a) A custom op, mylib::swish_clamp(x, lo, hi) = clamp(x * sigmoid(x), lo, hi).
//
// Three pieces make a program that calls it exportable:
//   - an op definition (meta + reference kernel), so strategies can trace it
//     and the reference interpreter can run it;
//   - a translator that emits one node in the custom ONNX domain "mylib";
//   - an ONNX function defining mylib.SwishClamp from standard ops, stored in
//     the model so any runtime that knows ONNX functions can run it.
#include "plugin_template.hpp"

#include <onnxport/ops.hpp>
#include <onnxport/translator.hpp>

#include <algorithm>
#include <cmath>

namespace plugin_template {
namespace {

// [doc:op]
// Output: same dtype and shape as x (a floating tensor).
std::vector<onnxport::TensorMeta> swish_clamp_meta(const std::vector<onnxport::OpArg>& args) {
  if (args.size() != 3 || !args[0].is_tensor() || !onnxport::is_floating(args[0].meta.dtype))
    throw onnxport::OpError("mylib::swish_clamp expects (Tensor x, float lo, float hi) with a floating x");
  return {args[0].meta};
}

std::vector<onnxport::Tensor> swish_clamp_kernel(const std::vector<onnxport::OpArg>& args) {
  const onnxport::Tensor& x = *args[0].data;
  const double lo = args[1].as_double(), hi = args[2].as_double();
  onnxport::Tensor y = onnxport::Tensor::zeros(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.get_double(i);
    y.set_double(i, std::clamp(v / (1.0 + std::exp(-v)), lo, hi));
  }
  return {y};
}
// [doc:end]

// [doc:translator]
void translate_swish_clamp(onnxport::TranslateContext& ctx) {
  ctx.add_function(R"ONNX(
    <domain: "mylib">
    SwishClamp (x, lo, hi) => (y) {
      s = Sigmoid(x)
      swish = Mul(x, s)
      y = Clip(swish, lo, hi)
    }
  )ONNX");
  ctx.set_output(0, ctx.op("SwishClamp", {ctx.input(0), ctx.input(1), ctx.input(2)}, {}, "mylib"));
}
// [doc:end]

}  // namespace

// [doc:register-op]
void register_swish_clamp(onnxport::Registrar& r) {
  r.add_op({.name = "mylib::swish_clamp", .meta = swish_clamp_meta, .kernel = swish_clamp_kernel,
            .family = "elementwise"});
  r.add_translator({.op = "mylib::swish_clamp", .fn = translate_swish_clamp, .since_opset = 13,
                    .description = "one mylib.SwishClamp node, an ONNX function of Sigmoid, Mul and Clip"});
}
// [doc:end]

}  // namespace plugin_template
