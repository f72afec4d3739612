// ONNX Runtime, through the npm package onnxruntime-node: a Node.js runner
// (tools/ort-runner/run.js) reads inputs from a safetensors file, runs the
// model, and writes outputs to a safetensors file.
#pragma once

#include <onnxport/tensor.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace onnxport {

// Where tools/ort-runner/run.js and node_modules are; nullopt when ONNX
// Runtime is not installed (found via ONNXPORT_ORT_RUNNER, then the source
// tree recorded at build time, then beside the executable).
std::optional<std::filesystem::path> find_ort_runner();

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
