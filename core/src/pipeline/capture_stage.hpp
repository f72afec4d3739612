// Capture: the configured strategies in order, first success wins.
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport/program.hpp>
#include <onnxport/strategy.hpp>
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/plugin_host.hpp>
#include <onnxport_core/report.hpp>

#include <optional>
#include <string>
#include <vector>

namespace onnxport::pipeline {

// Tries each strategy in `order`, printing one status line pair per attempt
// (with the failure's diagnostics and partial graph in between, or the draft
// report before a success). Records every attempt, the chosen strategy and
// the "capture" stage in `report`. Returns the first captured graph.
std::optional<Graph> capture_with_fallback(const Program& program, const PluginHost& host,
                                           const std::vector<std::string>& order, const CaptureOptions& options,
                                           StatusPrinter& status, ExportReport& report);

}  // namespace onnxport::pipeline
