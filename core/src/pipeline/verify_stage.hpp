// Verification: run the written model in ONNX Runtime and compare it with
// expected.safetensors or, when the bundle has none, with the reference
// interpreter's outputs on the same inputs.
#pragma once

#include <onnxport/program.hpp>
#include <onnxport_core/config.hpp>
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/report.hpp>

#include <onnx/onnx_pb.h>

#include <filesystem>

namespace onnxport::pipeline {

// The inputs verification feeds: the bundle's example inputs, else seeded
// random ones (the same the draft strategy draws). `description` says which.
TensorMap verification_inputs(const Program& program, std::string& description);

// The reference outputs, in output order: expected.safetensors when the
// bundle has it, else run_program. `description` says which.
std::vector<std::pair<std::string, Tensor>> reference_outputs(const Program& program, const TensorMap& inputs,
                                                              std::string& description);

// Records the "runtime" and "accuracy" stages and report.verification;
// true when the model ran and every output is within tolerance.
bool verify_stage(const std::filesystem::path& model_file, const onnx::ModelProto& model, const Program& program,
                  const VerifyOptions& options, StatusPrinter& status, ExportReport& report);

}  // namespace onnxport::pipeline
