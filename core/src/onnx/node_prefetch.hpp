// Software prefetch for walks over a long graph's nodes.
//
// A NodeProto is a tree of separate heap objects: the node, its op_type
// string, the arrays of its inputs, outputs and attributes, and each of
// those strings and attributes. A walk over a graph of 65,000 nodes that the
// caches no longer hold (bench/scaling at 16,384 layers: the model's heap is
// several times the 32 MB L3) waits for these objects one after the other,
// since each address is read from the one before. The prefetcher asks for
// them some nodes ahead, in four steps: the node itself far ahead, then the
// objects it points to, then the strings and attributes those arrays point
// to, then the characters of long strings, so that each step reads
// addresses a previous step brought in.
// Prefetches never fault and change no result; on a graph that fits the
// caches they cost a few instructions per node.
#pragma once

#include <onnx/onnx_pb.h>

namespace onnxport::onnx_build {

class NodePrefetcher {
 public:
  explicit NodePrefetcher(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes) : nodes_(nodes) {}

  // Call when the walk reaches node `i`; `step` is +1 for a forward walk,
  // -1 for a backward one.
  void at(int i, int step = 1) const {
    if (const onnx::NodeProto* n = node(i + step * kFar)) __builtin_prefetch(n);
    if (const onnx::NodeProto* n = node(i + step * kMiddle)) {
      __builtin_prefetch(&n->op_type());
      __builtin_prefetch(n->input().data());
      __builtin_prefetch(n->output().data());
      __builtin_prefetch(n->attribute().data());
    }
    if (const onnx::NodeProto* n = node(i + step * kNear)) {
      for (int k = 0; k < n->input_size() && k < kMaxItems; ++k) __builtin_prefetch(&n->input(k));
      for (int k = 0; k < n->output_size() && k < kMaxItems; ++k) __builtin_prefetch(&n->output(k));
      for (int k = 0; k < n->attribute_size() && k < kMaxItems; ++k) __builtin_prefetch(&n->attribute(k));
    }
    // The characters of names too long for the string's own buffer
    // ("layers.1234.weight") are one more object away.
    if (const onnx::NodeProto* n = node(i + step * kNext)) {
      for (int k = 0; k < n->input_size() && k < kMaxItems; ++k) __builtin_prefetch(n->input(k).data());
      for (int k = 0; k < n->output_size() && k < kMaxItems; ++k) __builtin_prefetch(n->output(k).data());
    }
  }

 private:
  static constexpr int kFar = 16, kMiddle = 10, kNear = 5, kNext = 2, kMaxItems = 4;

  const onnx::NodeProto* node(int i) const {
    return i >= 0 && i < nodes_.size() ? &nodes_.Get(i) : nullptr;
  }

  const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes_;
};

}  // namespace onnxport::onnx_build
