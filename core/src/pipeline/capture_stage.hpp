// Capture: the configured strategies in order, the first sound graph wins
// (docs/strategies.md, "Sound first").
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport/program.hpp>
#include <onnxport/strategy.hpp>
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/plugin_host.hpp>
#include <onnxport_core/report.hpp>

#include "pipeline/isolated_capture.hpp"

#include <optional>
#include <string>
#include <vector>

namespace onnxport::pipeline {

// Tries each strategy in `order`, printing one status line pair per attempt
// (with the failure's diagnostics and partial graph in between, or the draft
// report before a capture; ⚠ ends an attempt whose graph is not sound).
// Records every attempt, the chosen strategy, the unsound candidate and the
// "capture" stage in `report`.
//
// Returns the first sound graph. An unsound graph does not end the chain: the
// first one is held as the candidate and returned only when no strategy is
// sound and `allow_unsound` is set; otherwise nothing is returned and the
// stage's diagnostic says why and how to allow it. A graph that fails
// check_captured_graph fails its attempt. With `isolation.enabled` every
// attempt runs in a child process (isolated_capture); without it, a crash or
// a hang in a plugin is fatal.
std::optional<Graph> capture_with_fallback(const Program& program, const PluginHost& host,
                                           const std::vector<std::string>& order, const CaptureOptions& options,
                                           StatusPrinter& status, ExportReport& report,
                                           const IsolationOptions& isolation = {}, bool allow_unsound = false);

// The hint of a refused unsound capture: how to allow it, and how to avoid it.
std::string allow_unsound_hint();

}  // namespace onnxport::pipeline
