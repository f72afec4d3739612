#include "dead_code.hpp"

#include <algorithm>

namespace onnxport::trace {

namespace {

void mark(const Arg& a, std::vector<char>& live) {
  if (a.kind == Arg::Kind::Value && a.value != kNoValue) live[static_cast<size_t>(a.value)] = 1;
  for (const Arg& item : a.items) mark(item, live);
}

// Walks the block backwards: a node is kept when one of its outputs is live,
// and then its inputs (and what its blocks capture) become live.
void sweep(Block& block, std::vector<char>& live) {
  std::vector<Node> kept;
  kept.reserve(block.nodes.size());
  for (auto it = block.nodes.rbegin(); it != block.nodes.rend(); ++it) {
    Node& node = *it;
    const bool needed = std::any_of(node.outputs.begin(), node.outputs.end(),
                                    [&](ValueId id) { return live[static_cast<size_t>(id)] != 0; });
    if (!needed) continue;
    for (Block& sub : node.blocks) {
      for (ValueId id : sub.outputs) live[static_cast<size_t>(id)] = 1;
      sweep(sub, live);
    }
    for (const Arg& a : node.inputs) mark(a, live);
    kept.push_back(std::move(node));
  }
  std::reverse(kept.begin(), kept.end());
  block.nodes = std::move(kept);
}

}  // namespace

void remove_dead_nodes(Graph& graph) {
  std::vector<char> live(graph.values.size(), 0);
  for (ValueId id : graph.body.outputs) live[static_cast<size_t>(id)] = 1;
  for (const auto& [name, id] : graph.mutated_buffers) live[static_cast<size_t>(id)] = 1;
  for (const auto& [name, id] : graph.mutated_inputs) live[static_cast<size_t>(id)] = 1;
  sweep(graph.body, live);
  std::erase_if(graph.params, [&](ValueId id) { return live[static_cast<size_t>(id)] == 0; });
}

}  // namespace onnxport::trace
