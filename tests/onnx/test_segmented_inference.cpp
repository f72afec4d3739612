// infer_shapes_by_segments gives what one InferShapes call on the whole model
// gives: the same bytes, or the same exception and the same model after it.
#include "segmented_inference.hpp"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace onnxport {
namespace {

using onnx_build::InferenceRun;
using onnx_build::SegmentedCheck;
using onnx_build::infer_shapes_by_segments;

const onnx::ShapeInferenceOptions kStrict(/*check_type_val=*/true, /*strict_mode_val=*/1);

void set_type(onnx::ValueInfoProto& vi, int32_t elem, const std::vector<std::string>& dims) {
  auto* t = vi.mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem);
  auto* shape = t->mutable_shape();
  for (const std::string& d : dims) {
    if (d.empty()) shape->add_dim();  // unknown
    else if (d[0] >= '0' && d[0] <= '9') shape->add_dim()->set_dim_value(std::stoll(d));
    else shape->add_dim()->set_dim_param(d);
  }
}

void add_float_initializer(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  for (int64_t k = 0; k < n; ++k) t->add_float_data(0.5f);
}

onnx::NodeProto& add_node(onnx::GraphProto& g, const std::string& op, std::vector<std::string> in, std::string out) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(out);  // what inference errors name
  for (auto& s : in) n->add_input(s);
  n->add_output(out);
  return *n;
}

// x -> [MatMul(w_i) -> Relu -> (every 5th layer: Add x, Mul by the shared
// `scale`)] x layers; a middle value is a second output (element type only,
// so inference fills its shape in); `unused` is read by nothing.
onnx::ModelProto chain(int layers, const std::string& batch = "2") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("chain");
  set_type(*g.add_input(), onnx::TensorProto::FLOAT, {batch, "4"});
  g.mutable_input(0)->set_name("x");
  add_float_initializer(g, "scale", {4});
  add_float_initializer(g, "unused", {1});
  std::string prev = "x";
  for (int i = 0; i < layers; ++i) {
    const std::string k = std::to_string(i);
    add_float_initializer(g, "w" + k, {4, 4});
    add_node(g, "MatMul", {prev, "w" + k}, "h" + k);
    add_node(g, "Relu", {"h" + k}, "r" + k);
    prev = "r" + k;
    if (i % 5 == 4) {
      add_node(g, "Add", {prev, "x"}, "a" + k);
      add_node(g, "Mul", {"a" + k, "scale"}, "m" + k);
      prev = "m" + k;
    }
  }
  auto* y = g.add_output();
  y->set_name(prev);
  set_type(*y, onnx::TensorProto::FLOAT, {batch, "4"});
  auto* mid = g.add_output();
  mid->set_name("r" + std::to_string(layers / 2));
  mid->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return m;
}

struct Outcome {
  std::string bytes;  // the model after inference
  std::string error;  // what was thrown, if anything
};

Outcome whole(onnx::ModelProto m) {
  Outcome o;
  try {
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), kStrict);
  } catch (const std::exception& e) {
    o.error = e.what();
  }
  o.bytes = m.SerializeAsString();
  return o;
}

Outcome segmented(onnx::ModelProto m, int segment_nodes, InferenceRun& run) {
  Outcome o;
  run = InferenceRun::Whole;
  try {
    run = infer_shapes_by_segments(m, kStrict, segment_nodes);
  } catch (const std::exception& e) {
    o.error = e.what();
  }
  o.bytes = m.SerializeAsString();
  return o;
}

void expect_same(const onnx::ModelProto& m, int segment_nodes, InferenceRun expected_run) {
  const Outcome a = whole(m);
  InferenceRun run;
  const Outcome b = segmented(m, segment_nodes, run);
  EXPECT_EQ(run, expected_run);
  EXPECT_EQ(a.error, b.error);
  EXPECT_TRUE(a.bytes == b.bytes) << "the model after segmented inference differs from the whole model's";
}

TEST(SegmentedInference, SameBytesAsOneCallOnAChain) {
  const onnx::ModelProto m = chain(60);
  for (int segment_nodes : {7, 16, 50, 1000}) {
    SCOPED_TRACE(segment_nodes);
    expect_same(m, segment_nodes, segment_nodes >= m.graph().node_size() ? InferenceRun::Whole : InferenceRun::Segments);
  }
  onnx::ModelProto inferred = m;
  infer_shapes_by_segments(inferred, kStrict, 7);
  EXPECT_EQ(inferred.graph().value_info_size(), m.graph().node_size() - 2);  // every value but the two outputs
  EXPECT_EQ(inferred.graph().output(1).type().tensor_type().shape().dim_size(), 2);  // merged into the output
}

TEST(SegmentedInference, SymbolicDimsPassThroughSegments) {
  expect_same(chain(40, "batch"), 9, InferenceRun::Segments);
}

TEST(SegmentedInference, AnInventedSymbolMakesItInferTheWholeModel) {
  onnx::ModelProto m = chain(30);
  onnx::GraphProto& g = *m.mutable_graph();
  // NonZero's count is unknown: inference names it unk__0, numbered model-wide.
  add_node(g, "NonZero", {"r25"}, "nz");
  add_node(g, "Cast", {"nz"}, "nzf").add_attribute()->set_name("to");
  auto* to = g.mutable_node(g.node_size() - 1)->mutable_attribute(0);
  to->set_type(onnx::AttributeProto::INT);
  to->set_i(onnx::TensorProto::FLOAT);
  auto* out = g.add_output();
  out->set_name("nzf");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  expect_same(m, 8, InferenceRun::Whole);
}

TEST(SegmentedInference, AnErrorInALateSegmentIsTheWholeModelsError) {
  onnx::ModelProto m = chain(30);
  onnx::GraphProto& g = *m.mutable_graph();
  add_float_initializer(g, "w_bad", {3, 3});
  // Two inference errors (dims that do not match): the whole model's message
  // lists both, a segment's would list one.
  add_node(g, "MatMul", {"r3", "w_bad"}, "bad_early");
  for (int i = g.node_size() - 1; i > 10; --i) g.mutable_node(i)->Swap(g.mutable_node(i - 1));  // in segment 1
  add_node(g, "MatMul", {"r28", "w_bad"}, "bad_late");  // in the last segment
  const Outcome a = whole(m);
  ASSERT_FALSE(a.error.empty());
  EXPECT_NE(a.error.find("bad_early"), std::string::npos);
  EXPECT_NE(a.error.find("bad_late"), std::string::npos);
  expect_same(m, 8, InferenceRun::Whole);
}

TEST(SegmentedInference, AConstantReadInALaterSegmentMakesItInferTheWholeModel) {
  onnx::ModelProto m = chain(30);
  onnx::GraphProto& g = *m.mutable_graph();
  // Reshape reads its shape's data: a segment input would not carry it.
  onnx::NodeProto& c = *g.mutable_node(0);
  onnx::NodeProto shape;
  shape.set_op_type("Constant");
  shape.add_output("shape");
  auto* value = shape.add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  value->mutable_t()->add_dims(2);
  value->mutable_t()->add_int64_data(4);
  value->mutable_t()->add_int64_data(2);
  c.Swap(&shape);
  *g.add_node() = shape;  // the first MatMul goes after the Constant
  for (int i = g.node_size() - 1; i > 1; --i) g.mutable_node(i)->Swap(g.mutable_node(i - 1));
  add_node(g, "Reshape", {"r29", "shape"}, "reshaped");
  auto* out = g.add_output();
  out->set_name("reshaped");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  const Outcome a = whole(m);
  ASSERT_TRUE(a.error.empty()) << a.error;
  expect_same(m, 8, InferenceRun::Whole);
}

// The checker by segments: no error where the whole model's check has none,
// and the whole model's exact error where it has one.
std::string checker_error(std::function<void()> check) {
  try {
    check();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// chain() with a shape on the middle output too, as the checker asks.
onnx::ModelProto checked_chain(int layers) {
  onnx::ModelProto m = chain(layers);
  set_type(*m.mutable_graph()->mutable_output(1), onnx::TensorProto::FLOAT, {"2", "4"});
  return m;
}

void expect_same_check(onnx::ModelProto m, int segment_nodes, InferenceRun expected_run) {
  const std::string a = checker_error([&] { onnx::checker::check_model(m); });
  InferenceRun run = InferenceRun::Whole;
  const std::string b = checker_error([&] { run = SegmentedCheck(m, segment_nodes).check_model(); });
  EXPECT_EQ(run, expected_run);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.empty(), expected_run == InferenceRun::Segments) << "these models pass by segments or fail";
}

TEST(SegmentedCheck, PassesAValidChainBySegments) {
  const onnx::ModelProto m = checked_chain(60);
  ASSERT_EQ(checker_error([&] { onnx::checker::check_model(m); }), "");
  expect_same_check(m, 7, InferenceRun::Segments);
  onnx::ModelProto copy = m;
  SegmentedCheck(copy, 7).check_model();
  EXPECT_TRUE(copy.SerializeAsString() == m.SerializeAsString()) << "the check changed the model";
}

TEST(SegmentedCheck, AnUnknownOpInALateSegmentIsTheWholeModelsError) {
  onnx::ModelProto m = checked_chain(30);
  add_node(*m.mutable_graph(), "NoSuchOp", {"r28"}, "odd");
  expect_same_check(m, 8, InferenceRun::Whole);
}

TEST(SegmentedCheck, AValueAssignedTwiceAcrossSegmentsIsTheWholeModelsError) {
  onnx::ModelProto m = checked_chain(30);
  add_node(*m.mutable_graph(), "Relu", {"r28"}, "r2");  // r2 is made in the first segment too
  expect_same_check(m, 8, InferenceRun::Whole);
}

TEST(SegmentedCheck, AnInputReadBeforeItIsMadeIsTheWholeModelsError) {
  onnx::ModelProto m = checked_chain(30);
  onnx::GraphProto& g = *m.mutable_graph();
  g.mutable_node(3)->set_input(0, "r20");  // made in a later segment
  expect_same_check(m, 8, InferenceRun::Whole);
  g.mutable_node(3)->set_input(0, "r3");  // made by the next node: the segment's own check
  expect_same_check(m, 8, InferenceRun::Whole);
}

TEST(SegmentedCheck, AnInitializerThatIsAnInputsDefaultIsOneValue) {
  // `scale` is both a graph input and its default (IR >= 4), read in every
  // fifth layer, so in many segments: one value, read from outside.
  onnx::ModelProto m = checked_chain(60);
  onnx::GraphProto& g = *m.mutable_graph();
  set_type(*g.add_input(), onnx::TensorProto::FLOAT, {"4"});
  g.mutable_input(g.input_size() - 1)->set_name("scale");
  expect_same_check(m, 7, InferenceRun::Segments);
  expect_same(m, 7, InferenceRun::Segments);
}

TEST(SegmentedCheck, AnInputReadInAnotherSegmentThanItsNodeIsTheSameName) {
  // A long chain whose names share prefixes and lengths ("r1", "r11",
  // "r111"): each read finds its own definition, and a read of a name no
  // node makes ("r9999") is the whole model's error.
  onnx::ModelProto m = checked_chain(120);
  expect_same_check(m, 7, InferenceRun::Segments);
  expect_same(m, 7, InferenceRun::Segments);
  m.mutable_graph()->mutable_node(200)->set_input(0, "r9999");
  expect_same_check(m, 7, InferenceRun::Whole);
}

TEST(SegmentedCheck, AnOutputWithoutTypeInALateSegmentIsTheWholeModelsError) {
  onnx::ModelProto m = checked_chain(30);
  m.mutable_graph()->mutable_output(0)->clear_type();  // the last node's output
  expect_same_check(m, 8, InferenceRun::Whole);
}

// check_model(&options) infers each segment right after checking it; the
// model after it and infer_shapes(options) is the model after the two ONNX
// calls, with the same error, whichever of them fails.
struct CheckThenInfer {
  std::string check_error, infer_error, bytes;
  InferenceRun check_run = InferenceRun::Whole, infer_run = InferenceRun::Whole;
};

CheckThenInfer whole_check_then_infer(onnx::ModelProto m, const onnx::ShapeInferenceOptions& options) {
  CheckThenInfer o;
  o.check_error = checker_error([&] { onnx::checker::check_model(m); });
  if (o.check_error.empty())
    o.infer_error = checker_error(
        [&] { onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), options); });
  o.bytes = m.SerializeAsString();
  return o;
}

CheckThenInfer segmented_check_then_infer(onnx::ModelProto m, int segment_nodes,
                                          const onnx::ShapeInferenceOptions& check_with,
                                          const onnx::ShapeInferenceOptions& infer_with) {
  CheckThenInfer o;
  SegmentedCheck segments(m, segment_nodes);
  o.check_error = checker_error([&] { o.check_run = segments.check_model(&check_with); });
  if (o.check_error.empty()) o.infer_error = checker_error([&] { o.infer_run = segments.infer_shapes(infer_with); });
  o.bytes = m.SerializeAsString();
  return o;
}

void expect_same_check_then_infer(const onnx::ModelProto& m, int segment_nodes, InferenceRun check_run,
                                  InferenceRun infer_run, const onnx::ShapeInferenceOptions& infer_with = kStrict) {
  const CheckThenInfer a = whole_check_then_infer(m, infer_with);
  const CheckThenInfer b = segmented_check_then_infer(m, segment_nodes, kStrict, infer_with);
  EXPECT_EQ(a.check_error, b.check_error);
  EXPECT_EQ(a.infer_error, b.infer_error);
  EXPECT_EQ(b.check_run, check_run);
  if (b.check_error.empty()) {
    EXPECT_EQ(b.infer_run, infer_run);
  }
  EXPECT_TRUE(a.bytes == b.bytes) << "the model differs from the one after the two whole-model calls";
}

TEST(SegmentedCheckThenInfer, SameModelAsTheTwoCallsOnAValidChain) {
  const onnx::ModelProto m = checked_chain(60);
  for (int segment_nodes : {7, 16, 50}) {
    SCOPED_TRACE(segment_nodes);
    expect_same_check_then_infer(m, segment_nodes, InferenceRun::Segments, InferenceRun::Segments);
  }
  onnx::ModelProto inferred = m;
  SegmentedCheck segments(inferred, 7);
  ASSERT_EQ(segments.check_model(&kStrict), InferenceRun::Segments);
  EXPECT_EQ(inferred.graph().value_info_size(), m.graph().node_size() - 2) << "inferred with the check";
}

TEST(SegmentedCheckThenInfer, ACheckerErrorInALateSegmentLeavesTheModelUninferred) {
  onnx::ModelProto m = checked_chain(30);
  add_node(*m.mutable_graph(), "NoSuchOp", {"r28"}, "odd");  // the segments before it pass and are inferred
  expect_same_check_then_infer(m, 8, InferenceRun::Whole, InferenceRun::Whole);
  onnx::ModelProto copy = m;
  EXPECT_NE(checker_error([&] { SegmentedCheck(copy, 8).check_model(&kStrict); }), "");
  EXPECT_TRUE(copy.SerializeAsString() == m.SerializeAsString()) << "what was inferred before the error stayed";
}

TEST(SegmentedCheckThenInfer, AnInferenceErrorInALateSegmentIsTheWholeModelsError) {
  onnx::ModelProto m = checked_chain(30);
  onnx::GraphProto& g = *m.mutable_graph();
  add_float_initializer(g, "w_bad", {3, 3});
  add_node(g, "MatMul", {"r28", "w_bad"}, "bad_late");  // the checker passes it, inference does not
  const CheckThenInfer a = whole_check_then_infer(m, kStrict);
  ASSERT_EQ(a.check_error, "");
  ASSERT_NE(a.infer_error.find("bad_late"), std::string::npos);
  expect_same_check_then_infer(m, 8, InferenceRun::Segments, InferenceRun::Whole);
}

TEST(SegmentedCheckThenInfer, InferenceWithOtherOptionsUndoesWhatTheCheckInferred) {
  const onnx::ModelProto m = checked_chain(40);
  const onnx::ShapeInferenceOptions lenient(/*check_type_val=*/false, /*strict_mode_val=*/0);
  expect_same_check_then_infer(m, 8, InferenceRun::Segments, InferenceRun::Segments, lenient);
  const onnx::ShapeInferenceOptions propagating(/*check_type_val=*/true, /*strict_mode_val=*/1,
                                                /*data_prop=*/true);
  expect_same_check_then_infer(m, 8, InferenceRun::Segments, InferenceRun::Whole, propagating);
}

}  // namespace
}  // namespace onnxport
