// What becomes of forward's in-place updates (docs/strategies.md, "Mutated
// buffers and inputs"): by default the model's outputs are exactly forward's,
// and with mutations_as_outputs the new values follow as `<name>.updated`.
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/report.hpp>

namespace onnxport::pipeline {

// Records every mutated buffer and input of the captured graph in
// `report.mutations`. Unless `as_outputs`, removes their `.updated` outputs
// (and the nodes only they used) from the graph, and warns, on a status line
// and in the report's diagnostics, for each input whose new value is dropped.
// Throws DiagnosticError when that would leave the model without outputs.
void apply_mutation_policy(Graph& graph, bool as_outputs, StatusPrinter& status, ExportReport& report);

}  // namespace onnxport::pipeline
