// ONNX shape inference of a long main graph, run segment by segment.
//
// Why: onnx::shape_inference::InferShapes keeps tables keyed by every value
// name of the graph and looks each node's inputs up in them. Its instruction
// count is linear in the nodes, but its time is not: on bench/scaling's
// 16,384 layers (32,768 nodes) it took 6-7x the time of 4,096 layers, the
// lookups missing the caches once the tables outgrow them (callgrind: 3.5x
// the instructions; bench/README.md, 2026-12-04 05:xx UTC). Inference of a
// segment of consecutive nodes needs only the types of what the segment
// reads, so small tables per segment give the same result in linear time.
#pragma once

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

namespace onnxport::onnx_build {

// Nodes per segment: tables of a few thousand names fit the caches.
inline constexpr int kInferenceSegmentNodes = 1024;

enum class InferenceRun { Whole, Segments };

// Same effect on `model` as
//   onnx::shape_inference::InferShapes(model, OpSchemaRegistry::Instance(), options)
// (the same value_info, in the same order, the same merged output types, the
// same exception), computed on consecutive segments of `segment_nodes` nodes
// of the main graph when that is provably the same:
// - each segment is a model of its nodes, the initializers they read, and as
//   inputs the values they read from outside, typed with what inference gave
//   them in the segments before (the whole graph's inference looks up exactly
//   these types for those nodes);
// - the whole model is inferred instead (one InferShapes call, as before)
//   when the main graph is short, has value_info, subgraphs, sparse
//   initializers, model functions, an output no node produces, or a value
//   read across segments that is a Constant node's (inference reads its
//   data) or has no inferred type; with data propagation on;
// - and, after restoring the model, when a segment's inference fails (the
//   whole graph's error message lists all nodes' errors and suppresses some
//   after an unsupported op) or invents a symbolic dim (`unk__N` is numbered
//   across the whole model).
// Returns which way it ran (for tests).
InferenceRun infer_shapes_by_segments(onnx::ModelProto& model, const onnx::ShapeInferenceOptions& options,
                                      int segment_nodes = kInferenceSegmentNodes);

}  // namespace onnxport::onnx_build
