// Helpers shared by the control-flow parts of the tracer (control.cpp,
// loop_rewrite.cpp): message fragments and the scope of a traced sub-block.
#pragma once

#include "tracer.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace onnxport::trace {

// "line 24", or the node's JSON pointer when the source is unknown.
inline std::string line_of(const ProgramNode& n) {
  if (n.source.line > 0) return "line " + std::to_string(n.source.line);
  return n.json_path;
}

// " (`if x.sum():`)", or nothing.
inline std::string quoted_source(const ProgramNode& n) {
  return n.source.text.empty() ? "" : " (`" + n.source.text + "`)";
}

// Traces a sub-block (a rewritten branch, a loop body) into `into`: sets the
// emission point, opens a journal of bindings and raises the rewrite depth;
// close() undoes the block's bindings. Restores everything however it ends.
struct FrameScope {
  Tracer& t;
  Block* saved_block;
  FrameScope(Tracer& tracer, Block* into) : t(tracer), saved_block(tracer.block_) {
    t.block_ = into;
    t.frames_.emplace_back();
    ++t.rewrite_depth_;
  }
  bool closed = false;
  // Undoes the branch's bindings; returns the outer names it mutated.
  std::vector<std::string> close() {
    closed = true;
    Tracer::Frame f = std::move(t.frames_.back());
    t.frames_.pop_back();
    undo(f);
    std::vector<std::string> mutated;
    for (const auto& name : f.mutated)
      if (std::find(mutated.begin(), mutated.end(), name) == mutated.end()) mutated.push_back(name);
    return mutated;
  }
  // An error inside the block also undoes its bindings: a caller that
  // catches it (a shape branch falling back to a guard) finds the outer
  // names as they were.
  ~FrameScope() {
    if (!closed) {
      Tracer::Frame f = std::move(t.frames_.back());
      t.frames_.pop_back();
      undo(f);
    }
    t.block_ = saved_block;
    --t.rewrite_depth_;
  }

 private:
  void undo(const Tracer::Frame& f) {
    for (auto it = f.undo.rbegin(); it != f.undo.rend(); ++it) {
      if (it->second) {
        if (it->second->is_tensor()) t.note_alias(it->second->tensor->id, it->first);
        t.env_.set(it->first, *it->second);
      } else {
        t.env_.erase(it->first);
      }
    }
  }
};

}  // namespace onnxport::trace
