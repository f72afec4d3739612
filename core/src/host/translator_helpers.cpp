// Out-of-line helpers of the SDK's TranslateContext. They live in libonnxport
// (not inline in the header) so every plugin shares one definition.
#include <onnxport/translator.hpp>

#include <algorithm>

namespace onnxport {

std::string TranslateContext::const_i64(const std::vector<int64_t>& values) {
  // Written as int64 directly: going through double would round values
  // beyond 2^53 (INT64_MAX is a common "to the end" slice bound).
  Tensor t = Tensor::zeros(DType::Int64, {static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.mutable_data<int64_t>());
  return constant(t);
}

// Only a context built by a host that predates model-local functions gets here.
void TranslateContext::add_function(std::string_view) {
  throw TranslateError("add_function: this host cannot add ONNX functions to the model");
}

std::string TranslateContext::const_scalar(double value, DType dtype) {
  return constant(Tensor::scalar(dtype, value));
}

}  // namespace onnxport
