// The stages after capture: Graph -> decomposed Graph -> ONNX model ->
// optimized model -> checked model. Each prints its status line pair and
// records its StageReport; none reaches back into an earlier stage.
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/registry.hpp>
#include <onnxport_core/report.hpp>

#include <onnx/onnx_pb.h>

#include <optional>

namespace onnxport::pipeline {

// Rewrites ops without a translator; false when a decomposition failed.
bool decompose_stage(Graph& graph, const TranslatorRegistry& registry, int opset, StatusPrinter& status,
                     ExportReport& report);

// Translates the graph; on failure prints every missing translator, grouped
// by op, and every translator error, and returns nullopt.
std::optional<onnx::ModelProto> translate_stage(const Graph& graph, const TranslatorRegistry& registry, int opset,
                                                StatusPrinter& status, ExportReport& report);

void optimize_stage(onnx::ModelProto& model, StatusPrinter& status, ExportReport& report);

// onnx checker + shape inference; false when either complains.
bool check_stage(onnx::ModelProto& model, StatusPrinter& status, ExportReport& report);

}  // namespace onnxport::pipeline
