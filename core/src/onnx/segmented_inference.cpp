// infer_shapes_by_segments: segmented_inference.hpp says what and why.
#include "segmented_inference.hpp"

#include "node_prefetch.hpp"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace onnxport::onnx_build {
namespace {

// Value names -> dense value numbers, a flat open-addressing index (the
// point of the whole file is not to build one more node-based table of every
// name). Keys are views of the model's own strings: nodes and initializers
// are only ever swapped between messages without an arena, which moves the
// string objects' owners, not the strings.
class NameIndex {
 public:
  explicit NameIndex(size_t expected) {
    size_t n = 1024;
    while (n < expected * 2) n *= 2;
    slots_.assign(n, 0);
    names_.reserve(expected);
  }
  // The number of `name`, a new one when it was not there (`added` says which).
  uint32_t add(std::string_view name, bool& added) {
    const size_t h = std::hash<std::string_view>{}(name);
    if (const auto found = find(name, h)) {
      added = false;
      return *found;
    }
    if ((names_.size() + 1) * 2 > slots_.size()) grow();
    names_.push_back(Entry{name, h});
    place(static_cast<uint32_t>(names_.size()), h);
    added = true;
    return static_cast<uint32_t>(names_.size() - 1);
  }
  std::optional<uint32_t> find(std::string_view name) const { return find(name, std::hash<std::string_view>{}(name)); }
  std::string_view name(uint32_t number) const { return names_[number].name; }

 private:
  struct Entry {
    std::string_view name;
    size_t hash;
  };
  std::optional<uint32_t> find(std::string_view name, size_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t s = slots_[i];  // entry number + 1, 0: empty
      if (s == 0) return std::nullopt;
      const Entry& e = names_[s - 1];
      if (e.hash == h && e.name == name) return s - 1;
    }
  }
  void place(uint32_t number, size_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = number;
  }
  void grow() {
    slots_.assign(slots_.size() * 2, 0);
    uint32_t number = 0;
    for (const Entry& e : names_) place(++number, e.hash);
  }
  std::vector<Entry> names_;
  std::vector<uint32_t> slots_;  // power-of-two size, at most half full
};

struct Value {
  int input = -1;        // index among the main graph's inputs
  int initializer = -1;  // index among its initializers
  int segment = -1;      // segment of the node that produces it
  bool from_constant = false;  // produced by a Constant node
  bool read = false;           // an initializer some node reads
  bool exported = false;       // read by a later segment
  int listed_for = -1;         // the last segment that lists it among its reads
  const onnx::TypeProto* type = nullptr;  // inferred, for values later segments read
};

struct Segment {
  int first_node = 0;
  int end_node = 0;
  std::vector<uint32_t> reads;    // values read from outside: inputs, initializers, earlier segments'
  std::vector<uint32_t> exports;  // values made here that later segments read
  std::vector<int> outputs;       // main graph outputs made here (indices)
};

struct Plan {
  explicit Plan(size_t expected) : index(expected) {}
  NameIndex index;
  std::vector<Value> values;
  std::vector<Segment> segments;
  std::vector<int> unread_initializers;  // go to the first segment
};

bool default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// The segments, or nothing when the whole model must be inferred at once.
std::optional<Plan> plan_segments(const onnx::ModelProto& model, int segment_nodes) {
  const onnx::GraphProto& g = model.graph();
  if (segment_nodes <= 0 || g.node_size() <= segment_nodes) return std::nullopt;
  if (g.value_info_size() > 0 || g.sparse_initializer_size() > 0 || model.functions_size() > 0)
    return std::nullopt;

  const size_t expected = static_cast<size_t>(g.input_size() + g.initializer_size() + 2 * g.node_size());
  Plan p(expected);
  p.values.reserve(expected);
  auto add = [&](const std::string& name) -> Value& {
    bool added = false;
    const uint32_t v = p.index.add(name, added);
    if (added) p.values.emplace_back();
    return p.values[v];
  };
  // IR <= 3: every initializer must be a graph input, a check of the whole graph.
  if (model.ir_version() <= 3) return std::nullopt;
  for (int i = 0; i < g.input_size(); ++i) {
    Value& v = add(g.input(i).name());
    if (v.input >= 0) return std::nullopt;  // a duplicate: the checker's to report
    v.input = i;
  }
  std::vector<uint32_t> initializer_values;
  initializer_values.reserve(static_cast<size_t>(g.initializer_size()));
  for (int k = 0; k < g.initializer_size(); ++k) {
    const uint32_t number = static_cast<uint32_t>(&add(g.initializer(k).name()) - p.values.data());
    Value& v = p.values[number];
    if (v.initializer >= 0) return std::nullopt;  // a duplicate: the checker's to report
    v.initializer = k;
    initializer_values.push_back(number);
  }
  const int count = (g.node_size() + segment_nodes - 1) / segment_nodes;
  p.segments.resize(static_cast<size_t>(count));
  for (int s = 0; s < count; ++s) {
    p.segments[static_cast<size_t>(s)].first_node = s * segment_nodes;
    p.segments[static_cast<size_t>(s)].end_node = std::min(g.node_size(), (s + 1) * segment_nodes);
  }
  // One walk over the nodes (a long graph's nodes are cold in the caches,
  // hence the prefetch): each node's reads are resolved before its outputs
  // are defined, so a name not defined yet is read before its definition
  // (or never defined).
  const NodePrefetcher prefetch(g.node());
  for (int i = 0; i < g.node_size(); ++i) {
    prefetch.at(i);
    const int s = i / segment_nodes;
    const onnx::NodeProto& node = g.node(i);
    for (const auto& attr : node.attribute())
      if (attr.has_g() || attr.graphs_size() > 0) return std::nullopt;  // subgraphs capture outer names
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      const auto found = p.index.find(in);
      if (!found) return std::nullopt;  // undefined or not in topological order: the checker's to report
      Value& v = p.values[*found];
      if (v.segment == s) continue;
      if (v.listed_for == s) continue;
      v.listed_for = s;
      p.segments[static_cast<size_t>(s)].reads.push_back(*found);
      if (v.initializer >= 0) v.read = true;
      if (v.segment >= 0) {
        // Inference reads a Constant node's data (Reshape's shape, ...),
        // which a segment input would not carry.
        if (v.from_constant) return std::nullopt;
        if (!v.exported) {
          v.exported = true;
          p.segments[static_cast<size_t>(v.segment)].exports.push_back(*found);
        }
      }
    }
    const bool constant = node.op_type() == "Constant" && default_domain(node.domain());
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      Value& v = add(out);
      if (v.segment >= 0 || v.input >= 0 || v.initializer >= 0) return std::nullopt;  // not SSA
      v.segment = s;
      v.from_constant = constant;
    }
  }
  for (int o = 0; o < g.output_size(); ++o) {
    const auto found = p.index.find(g.output(o).name());
    if (!found || p.values[*found].segment < 0) return std::nullopt;  // an input or initializer passed through
    p.segments[static_cast<size_t>(p.values[*found].segment)].outputs.push_back(o);
  }
  for (int k = 0; k < g.initializer_size(); ++k)
    if (!p.values[initializer_values[static_cast<size_t>(k)]].read) p.unread_initializers.push_back(k);
  return p;
}

bool invents_symbols(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return false;
  for (const auto& d : type.tensor_type().shape().dim())
    if (d.has_dim_param() && d.dim_param().rfind("unk__", 0) == 0) return true;
  return false;
}

// One segment of the main graph as a model of its own: its nodes and the
// initializers they read are lent to it (the segment's fields hold the very
// objects of the main graph, which keeps owning them) and taken back by
// put_back(). Swapping each into a new object of the segment and back, as
// before, touched every node of a large graph four times and made a fresh
// object for each (perf, bench/scaling; bench/README.md).
class SegmentModel {
 public:
  // `typed`: values from earlier segments are typed with what inference gave
  // them; else (for the checker, which runs before inference and only asks
  // that a main graph's input has a tensor type and a shape) float[].
  SegmentModel(onnx::ModelProto& model, const Plan& plan, size_t s, bool typed)
      : main_(*model.mutable_graph()), seg_(plan.segments[s]) {
    part_.set_ir_version(model.ir_version());
    *part_.mutable_opset_import() = model.opset_import();
    if (s == 0) *part_.mutable_metadata_props() = model.metadata_props();
    onnx::GraphProto& g = *part_.mutable_graph();
    g.set_name(main_.name());
    if (s == 0) {
      for (const auto& in : main_.input()) *g.add_input() = in;
      for (int k : plan.unread_initializers) borrowed_.push_back(k);
    }
    for (uint32_t number : seg_.reads) {
      const Value& v = plan.values[number];
      if (v.input >= 0 && s != 0) *g.add_input() = main_.input(v.input);
      if (v.initializer >= 0) borrowed_.push_back(v.initializer);
      if (v.segment >= 0) {
        onnx::ValueInfoProto& in = *g.add_input();
        in.set_name(std::string(plan.index.name(number)));
        if (typed) {
          *in.mutable_type() = *v.type;
        } else {
          auto* t = in.mutable_type()->mutable_tensor_type();
          t->set_elem_type(onnx::TensorProto::FLOAT);
          t->mutable_shape();
        }
      }
    }
    g.mutable_initializer()->Reserve(static_cast<int>(borrowed_.size()));
    for (int k : borrowed_) g.mutable_initializer()->UnsafeArenaAddAllocated(main_.mutable_initializer(k));
    g.mutable_node()->Reserve(seg_.end_node - seg_.first_node);
    for (int i = seg_.first_node; i < seg_.end_node; ++i) g.mutable_node()->UnsafeArenaAddAllocated(main_.mutable_node(i));
    for (int o : seg_.outputs) *g.add_output() = main_.output(o);
  }
  ~SegmentModel() { put_back(); }
  SegmentModel(const SegmentModel&) = delete;
  SegmentModel& operator=(const SegmentModel&) = delete;

  onnx::ModelProto& model() { return part_; }
  onnx::GraphProto& graph() { return *part_.mutable_graph(); }

  // The lent nodes and initializers taken out of the segment without being
  // deleted (the main graph owns them); what inference added after them,
  // if anything, stays in the segment and is deleted with it.
  void put_back() {
    if (returned_) return;
    returned_ = true;
    onnx::GraphProto& g = graph();
    take_back(*g.mutable_node(), seg_.end_node - seg_.first_node);
    take_back(*g.mutable_initializer(), static_cast<int>(borrowed_.size()));
  }

 private:
  // The first `lent` elements of `field` belong to the main graph.
  template <class T>
  static void take_back(google::protobuf::RepeatedPtrField<T>& field, int lent) {
    if (field.size() > lent) field.DeleteSubrange(lent, field.size() - lent);
    while (!field.empty()) field.UnsafeArenaReleaseLast();
  }

  onnx::GraphProto& main_;
  const Segment& seg_;
  onnx::ModelProto part_;
  std::vector<int> borrowed_;  // main initializers moved into part_, in order
  bool returned_ = false;
};

// Inference of the segments in order; false (with the model as it was) when
// the whole model must be inferred instead.
class SegmentInference {
 public:
  SegmentInference(onnx::ModelProto& model, Plan& plan, const onnx::ShapeInferenceOptions& options)
      : model_(model), main_(*model.mutable_graph()), plan_(plan), options_(options), saved_outputs_(main_.output()) {}

  bool run() {
    for (size_t s = 0; s < plan_.segments.size(); ++s)
      if (!run_segment(s)) {
        roll_back();
        return false;
      }
    return true;
  }

  // The model as it was before the first segment was inferred.
  void roll_back() {
    main_.clear_value_info();  // there was none before (plan_segments)
    *main_.mutable_output() = saved_outputs_;
  }

  // Segment `s` inferred (those before it must have been); false when the
  // whole model must be inferred instead (roll_back() then).
  bool run_segment(size_t s) {
    const Segment& seg = plan_.segments[s];
    SegmentModel part(model_, plan_, s, /*typed=*/true);
    try {
      onnx::shape_inference::InferShapes(part.model(), onnx::OpSchemaRegistry::Instance(), options_);
    } catch (const std::exception&) {
      return false;  // the whole model's inference gives the error (run() makes way for it)
    }
    part.put_back();
    onnx::GraphProto& g = part.graph();
    for (size_t j = 0; j < seg.outputs.size(); ++j) {
      const onnx::ValueInfoProto& merged = g.output(static_cast<int>(j));
      if (invents_symbols(merged.type())) return false;
      if (merged.has_type()) *main_.mutable_output(seg.outputs[j])->mutable_type() = merged.type();
    }
    const int first_info = main_.value_info_size();
    for (auto& vi : *g.mutable_value_info()) {
      if (invents_symbols(vi.type())) return false;
      main_.add_value_info()->Swap(&vi);
    }
    return record_export_types(seg, first_info);
  }

 private:
  // The types later segments read, from this segment's value_info and
  // outputs; false when one has none.
  bool record_export_types(const Segment& seg, int first_info) {
    if (seg.exports.empty()) return true;
    std::unordered_map<std::string_view, const onnx::TypeProto*> types;
    for (int k = first_info; k < main_.value_info_size(); ++k)
      if (main_.value_info(k).has_type()) types[main_.value_info(k).name()] = &main_.value_info(k).type();
    for (int o : seg.outputs)
      if (main_.output(o).has_type()) types[main_.output(o).name()] = &main_.output(o).type();
    for (uint32_t number : seg.exports) {
      auto it = types.find(plan_.index.name(number));
      if (it == types.end()) return false;
      plan_.values[number].type = it->second;
    }
    return true;
  }

  onnx::ModelProto& model_;
  onnx::GraphProto& main_;
  Plan& plan_;
  const onnx::ShapeInferenceOptions& options_;
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> saved_outputs_;
};

}  // namespace

struct SegmentedCheck::Planned {
  Plan plan;
  // check_model(then_infer) inferred every segment with these options.
  std::optional<onnx::ShapeInferenceOptions> inferred_with;
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> outputs_before_inference;
};

namespace {

bool same_options(const onnx::ShapeInferenceOptions& a, const onnx::ShapeInferenceOptions& b) {
  return a.check_type == b.check_type && a.error_mode == b.error_mode &&
         a.enable_data_propagation == b.enable_data_propagation;
}

}  // namespace

SegmentedCheck::SegmentedCheck(onnx::ModelProto& model, int segment_nodes) : model_(model) {
  if (auto plan = plan_segments(model, segment_nodes))
    planned_ = std::make_unique<Planned>(Planned{std::move(*plan), std::nullopt, {}});
}

SegmentedCheck::~SegmentedCheck() = default;

InferenceRun SegmentedCheck::check_model(const onnx::ShapeInferenceOptions* then_infer) {
  if (planned_) {
    Plan& plan = planned_->plan;
    const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> outputs_before = model_.graph().output();
    std::optional<SegmentInference> inference;
    if (then_infer != nullptr && !then_infer->enable_data_propagation) inference.emplace(model_, plan, *then_infer);
    bool passed = true;
    for (size_t s = 0; s < plan.segments.size() && passed; ++s) {
      {
        SegmentModel part(model_, plan, s, /*typed=*/false);
        try {
          onnx::checker::check_model(part.model());
        } catch (const std::exception&) {
          passed = false;  // the whole model's check gives the error, below
        }
      }
      // Inference needs the whole model instead: stop inferring segments
      // (infer_shapes() will infer the whole model) and keep checking.
      if (passed && inference && !inference->run_segment(s)) {
        inference->roll_back();
        inference.reset();
      }
    }
    if (passed) {
      if (inference) {
        planned_->inferred_with = *then_infer;
        planned_->outputs_before_inference = outputs_before;
      }
      return InferenceRun::Segments;
    }
    if (inference) inference->roll_back();
  }
  onnx::checker::check_model(model_);
  return InferenceRun::Whole;
}

InferenceRun SegmentedCheck::infer_shapes(const onnx::ShapeInferenceOptions& options) {
  if (planned_ && planned_->inferred_with) {
    const bool done = same_options(*planned_->inferred_with, options);
    planned_->inferred_with.reset();
    if (done) return InferenceRun::Segments;
    // Inferred with other options: undone, and inferred as asked below.
    model_.mutable_graph()->clear_value_info();
    *model_.mutable_graph()->mutable_output() = planned_->outputs_before_inference;
  }
  if (planned_ && !options.enable_data_propagation && SegmentInference(model_, planned_->plan, options).run())
    return InferenceRun::Segments;
  onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), options);
  return InferenceRun::Whole;
}

InferenceRun infer_shapes_by_segments(onnx::ModelProto& model, const onnx::ShapeInferenceOptions& options,
                                      int segment_nodes) {
  return SegmentedCheck(model, segment_nodes).infer_shapes(options);
}

}  // namespace onnxport::onnx_build
