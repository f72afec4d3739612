// (a) A custom op, mylib::swish_clamp(x, lo, hi) = clamp(x * sigmoid(x), lo, hi).
//
// Three pieces make a program that calls it exportable:
//   - an op definition (meta + reference kernel), so strategies can trace it
//     and the reference interpreter can run it;
//   - a translator that emits one node in the custom ONNX domain "mylib";
//   - an ONNX function defining mylib.SwishClamp from standard ops, stored in
//     the model so any runtime that knows ONNX functions can run it.
#include "plugin_template.hpp"

#include <onnxport/op_schema.hpp>
#include <onnxport/ops.hpp>
#include <onnxport/translator.hpp>

#include <algorithm>
#include <cmath>

namespace plugin_template {
namespace {

// [doc:op]
// The op's schema, in TorchScript syntax: the meta function, the kernel and
// the translator read its arguments by name, with its defaults, and the host
// checks program nodes that call it against it when a bundle is loaded.
constexpr const char* kSwishClampSchema =
    "mylib::swish_clamp(Tensor self, float lo=-1., float hi=1.) -> Tensor";

// Output: same dtype and shape as self (a floating tensor).
std::vector<onnxport::TensorMeta> swish_clamp_meta(const std::vector<onnxport::OpArg>& args) {
  const onnxport::OpArgs a = onnxport::OpArgs::bind("mylib::swish_clamp", args);
  const onnxport::TensorMeta& x = a.tensor("self");
  if (!onnxport::is_floating(x.dtype)) throw onnxport::OpError("self must be a floating tensor");
  return {x};
}

std::vector<onnxport::Tensor> swish_clamp_kernel(const std::vector<onnxport::OpArg>& args) {
  const onnxport::OpArgs a = onnxport::OpArgs::bind("mylib::swish_clamp", args);
  const onnxport::Tensor& x = a.data("self");
  const double lo = a.f64("lo"), hi = a.f64("hi");
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
  // lo and hi may be left to the schema's defaults: materialized as constants
  // of self's dtype (Clip needs them in it).
  const onnxport::NodeArgs a(ctx);
  const onnxport::DType d = a.value("self").dtype;
  const std::string lo = ctx.const_scalar(a.f64("lo"), d), hi = ctx.const_scalar(a.f64("hi"), d);
  ctx.set_output(0, ctx.op("SwishClamp", {a.input("self"), lo, hi}, {}, "mylib"));
}
// [doc:end]

}  // namespace

// [doc:register-op]
void register_swish_clamp(onnxport::Registrar& r) {
  r.add_op({.name = "mylib::swish_clamp", .meta = swish_clamp_meta, .kernel = swish_clamp_kernel,
            .family = "elementwise", .schema = kSwishClampSchema, .arguments = {"self", "lo", "hi"}});
  r.add_translator({.op = "mylib::swish_clamp", .fn = translate_swish_clamp, .since_opset = 13,
                    .description = "one mylib.SwishClamp node, an ONNX function of Sigmoid, Mul and Clip",
                    .arguments = {"self", "lo", "hi"}});
}
// [doc:end]

}  // namespace plugin_template
