// Checks a strategy's graph before anything translates it: a plugin may
// return a graph that is not well formed, and the host must reject it with a
// precise message (and fall back) instead of crashing later.
#pragma once

#include <onnxport/graph.hpp>

#include <string>
#include <vector>

namespace onnxport::pipeline {

// Structural problems (Graph::validate: dangling ids, use before definition,
// values defined twice, cond/loop arity) and, when the structure is sound,
// calls of known ops with too few arguments or the wrong number of outputs
// (checked against the op library's meta functions). Empty when the graph
// may be translated. Linear in the node count.
std::vector<std::string> check_captured_graph(const Graph& graph);

}  // namespace onnxport::pipeline
