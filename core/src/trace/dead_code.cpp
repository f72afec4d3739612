#include "dead_code.hpp"

#include <algorithm>

namespace onnxport::trace {

namespace {

void mark(const Arg& a, std::vector<char>& live) {
  if (a.kind == Arg::Kind::Value && a.value != kNoValue) live[static_cast<size_t>(a.value)] = 1;
  for (const Arg& item : a.items) mark(item, live);
}

// Walks the block backwards: a node is kept when one of its outputs is live,
// and then its inputs (and what its blocks capture) become live. The kept
// nodes are then compacted in place: a block without dead nodes (the usual
// case) moves none. Building a new vector of the kept nodes instead moved
// every node of a large graph into fresh memory (perf, bench/scaling: 34 ->
// 134 samples for 4x the layers; bench/README.md, "Decompose, optimize,
// capture at 16,384 layers").
void sweep(Block& block, std::vector<char>& live) {
  std::vector<char> keep(block.nodes.size(), 0);
  for (size_t i = block.nodes.size(); i-- > 0;) {
    Node& node = block.nodes[i];
    const bool needed = std::any_of(node.outputs.begin(), node.outputs.end(),
                                    [&](ValueId id) { return live[static_cast<size_t>(id)] != 0; });
    if (!needed) continue;
    keep[i] = 1;
    for (Block& sub : node.blocks) {
      for (ValueId id : sub.outputs) live[static_cast<size_t>(id)] = 1;
      sweep(sub, live);
    }
    for (const Arg& a : node.inputs) mark(a, live);
  }
  size_t kept = 0;
  for (size_t i = 0; i < block.nodes.size(); ++i) {
    if (keep[i] == 0) continue;
    if (kept != i) block.nodes[kept] = std::move(block.nodes[i]);
    ++kept;
  }
  block.nodes.erase(block.nodes.begin() + static_cast<std::ptrdiff_t>(kept), block.nodes.end());
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
