// The ONNX checker and shape inference of a long main graph, run segment by
// segment.
//
// Why: onnx::checker::check_model and onnx::shape_inference::InferShapes
// keep tables keyed by every value name of the graph and look each node's
// inputs up in them. Their instruction count is linear in the nodes, their
// time is not: on bench/scaling's 16,384 layers (32,768 nodes) they took
// 6-7x the time of 4,096 layers, the lookups missing the caches once the
// tables outgrow them (callgrind: 3.5x the instructions; bench/README.md,
// 2026-12-04 05:xx UTC). A segment of consecutive nodes needs only what it
// reads: its inference, the types of those values; its check, that they are
// defined before and once, which the plan of the segments checks. Small
// tables per segment give the same result in linear time.
#pragma once

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <memory>

namespace onnxport::onnx_build {

// Nodes per segment: tables of a few thousand names fit the caches.
inline constexpr int kInferenceSegmentNodes = 1024;

enum class InferenceRun { Whole, Segments };

// Plans the segments of `model` once (nothing is planned, and both calls
// below act on the whole model as one ONNX call would, when the main graph
// has at most `segment_nodes` nodes, value_info, subgraphs, sparse
// initializers, model functions, IR version <= 3, a name defined twice, an
// input read before it is defined, or an output no node produces). The
// model must not change between the calls but by them.
class SegmentedCheck {
 public:
  explicit SegmentedCheck(onnx::ModelProto& model, int segment_nodes = kInferenceSegmentNodes);
  ~SegmentedCheck();
  SegmentedCheck(const SegmentedCheck&) = delete;
  SegmentedCheck& operator=(const SegmentedCheck&) = delete;

  // Same as onnx::checker::check_model(model): each segment is checked as a
  // model of its nodes, the initializers they read, and inputs for what they
  // read from outside (the plan saw that each is defined before and once);
  // when a segment fails, the whole model is checked, for its exact error.
  // With `then_infer`, each segment that passes is also inferred right
  // after its check, with those options, while its nodes are still in the
  // cache (a large model's nodes outgrow it: checking every segment and
  // then inferring every segment read each node from memory twice;
  // bench/README.md); a later infer_shapes(*then_infer) then finds that
  // done. A checker failure leaves the model as it was (what was inferred
  // is undone) before the whole model is checked.
  InferenceRun check_model(const onnx::ShapeInferenceOptions* then_infer = nullptr);

  // Same effect on the model as
  //   onnx::shape_inference::InferShapes(model, OpSchemaRegistry::Instance(), options)
  // (the same value_info, in the same order, the same merged output types,
  // the same exception): each segment is inferred as a model whose inputs
  // for values of earlier segments carry the types inference gave them
  // there (what the whole graph's inference looks up for those nodes). The
  // whole model is inferred instead, after restoring it, when a value read
  // across segments is a Constant node's (inference reads its data) or has
  // no inferred type, when a segment's inference fails (the whole graph's
  // message lists every node's error and suppresses some after an
  // unsupported op) or invents a symbolic dim (`unk__N` is numbered across
  // the whole model), and with data propagation on.
  InferenceRun infer_shapes(const onnx::ShapeInferenceOptions& options);

 private:
  struct Planned;
  onnx::ModelProto& model_;
  std::unique_ptr<Planned> planned_;  // null: the whole model at once
};

// SegmentedCheck(model, segment_nodes).infer_shapes(options).
InferenceRun infer_shapes_by_segments(onnx::ModelProto& model, const onnx::ShapeInferenceOptions& options,
                                      int segment_nodes = kInferenceSegmentNodes);

}  // namespace onnxport::onnx_build
