// Dead-code removal on a captured Graph: the engine emits every value it
// might need (sizes, the aten::Bool of a specialized branch, ...) and drops
// what nothing uses once the trace is complete.
#pragma once

#include <onnxport/graph.hpp>

namespace onnxport::trace {

// Removes nodes (nested blocks included) whose outputs reach no graph output
// or mutated buffer or input, and parameters/constants nothing reads. Graph nodes are
// pure (in-place ops are functionalized), so this is always safe. Linear in
// the number of nodes.
void remove_dead_nodes(Graph& graph);

}  // namespace onnxport::trace
