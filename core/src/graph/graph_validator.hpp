// Graph::validate() with a hook: checks that need every node of a valid
// graph ride on the validator's own walk (core/src/graph/graph.cpp).
#pragma once

#include <onnxport/graph.hpp>

#include <functional>
#include <string>
#include <vector>

namespace onnxport {

// Called for each node whose inputs the validator has just checked, as long
// as it has found no problem: the node and its argument list are then still
// in the cache, where a second walk over a large graph would read them from
// memory again (bench/README.md, "The arity check rides on the validator's
// walk"). Nodes come in the order of a walk over the blocks (a node, then
// the nodes of its blocks), before the node's outputs are checked.
class ValidNodeVisitor {
 public:
  virtual ~ValidNodeVisitor() = default;
  // `path` makes the node's place ("body/nodes/3/blocks/0/nodes/1") when asked.
  virtual void visit(const Node& node, const std::function<std::string()>& path) = 0;
};

// Graph::validate(), calling `visitor` (may be null) as described above.
std::vector<std::string> validate_graph(const Graph& graph, ValidNodeVisitor* visitor);

}  // namespace onnxport
