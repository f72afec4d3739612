// Constant sequences from constant arguments: logspace, tril_indices,
// triu_indices. The values are computed here, as torch 1.13 computes them,
// and emitted as one initializer.
//
// Arguments are read by name, bound to the op's schema with its defaults
// (NodeArgs, docs/architecture.md §4a).
#include "families.hpp"

#include <cmath>

namespace onnxport::aten {
namespace {

// logspace(Scalar start, Scalar end, int steps, float base=10.0, *, dtype, layout, device, pin_memory):
// start and end are first converted to the output dtype (1.2 -> 1 for
// int64), the exponents filled from both ends; one step alone is base ** start.
void translate_logspace(TranslateContext& ctx) {
  const DType d = output_dtype(ctx);
  const NodeArgs a(ctx);
  const int64_t steps = a.i64("steps");
  const double base = a.f64("base");
  if (steps < 0) fail(ctx, "steps must be non-negative");
  auto in_dtype = [&](double v) {
    return is_floating(d) ? (d == DType::Float64 ? v : static_cast<double>(static_cast<float>(v))) : std::trunc(v);
  };
  const double start = in_dtype(a.f64("start")), end = in_dtype(a.f64("end"));
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  Tensor t = Tensor::zeros(d, {steps});
  for (int64_t i = 0; i < steps; ++i) {
    double v = steps == 1 ? std::pow(base, a.f64("start"))
                          : std::pow(base, i < steps / 2 ? start + step * static_cast<double>(i)
                                                         : end - step * static_cast<double>(steps - i - 1));
    t.set_double(i, is_floating(d) ? v : std::trunc(v));
  }
  set_result(ctx, ctx.constant(t, ctx.output_value(0).name));
}

// tril_indices / triu_indices(int row, int col, int offset=0, *, dtype=long, ...):
// [2, N] row and column indices of the lower (upper) triangle, row-major.
template <bool Lower>
void translate_triangle_indices(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const int64_t rows = a.i64("row"), cols = a.i64("col"), offset = a.i64("offset");
  if (rows < 0 || cols < 0) fail(ctx, "row and col must be non-negative");
  std::vector<int64_t> r, c;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (Lower ? j - i <= offset : j - i >= offset) {
        r.push_back(i);
        c.push_back(j);
      }
  const int64_t n = static_cast<int64_t>(r.size());
  Tensor t = Tensor::zeros(output_dtype(ctx), {2, n});
  for (int64_t k = 0; k < n; ++k) {
    t.set_double(k, static_cast<double>(r[static_cast<size_t>(k)]));
    t.set_double(n + k, static_cast<double>(c[static_cast<size_t>(k)]));
  }
  set_result(ctx, ctx.constant(t, ctx.output_value(0).name));
}

}  // namespace

void register_sequences(Registrar& r) {
  add(r, "aten::logspace", translate_logspace, kMinOpset, kOpenEnded, "a constant (torch's values)");
  add(r, "aten::tril_indices", translate_triangle_indices<true>, kMinOpset, kOpenEnded, "a constant");
  add(r, "aten::triu_indices", translate_triangle_indices<false>, kMinOpset, kOpenEnded, "a constant");
}

}  // namespace onnxport::aten
