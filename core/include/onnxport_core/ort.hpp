// ONNX Runtime, through the npm package onnxruntime-node: a Node.js runner
// (tools/ort-runner/run.js) reads inputs from a safetensors file, runs the
// model, and writes outputs to a safetensors file.
#pragma once

#include <onnxport/tensor.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace onnxport {

// The runner script (run.js), when it and onnxruntime-node are both found;
// nullopt otherwise. The runner: ONNXPORT_ORT_RUNNER (run.js or its folder),
// else <data dir>/ort-runner/run.js (<prefix>/share/onnxport when installed,
// <build>/share/onnxport in a build tree). onnxruntime-node: in the folder
// ONNXPORT_NODE_MODULES names, else in a node_modules beside the runner or in
// its parents up to <prefix>, else <prefix>/lib/node_modules. No path of the
// build or source tree is compiled in: an installation can move.
std::optional<std::filesystem::path> find_ort_runner();

// Why find_ort_runner() found nothing, with what to do about it.
std::string ort_not_found_reason();

// Runs `model` on `inputs` (by ONNX input name). Throws std::runtime_error
// with the runner's stderr when ONNX Runtime fails.
TensorMap run_onnxruntime(const std::filesystem::path& model, const TensorMap& inputs);

struct Comparison {
  std::string name;
  bool ok = false;
  double max_abs = 0, max_rel = 0;
  std::vector<std::pair<double, int64_t>> histogram;  // (upper bound of |diff|, count)
  std::string problem;  // shape/dtype mismatch, missing output
};
Comparison compare_tensors(const std::string& name, const Tensor& actual, const Tensor& expected,
                           double atol, double rtol);

}  // namespace onnxport
