// A readable listing of a Program: module tree, inputs, weights and the
// TorchScript graph with its source lines (for `onnxport inspect`).
#pragma once

#include <onnxport/program.hpp>

#include <string>

namespace onnxport::cli {

std::string program_to_text(const Program& program);
std::string tensors_to_text(const TensorMap& tensors, int64_t values_limit = 8);

}  // namespace onnxport::cli
