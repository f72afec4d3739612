// optimize(): constant folding, no-op removal, dead-node and unused
// initializer removal, repeated until the model stops changing.
//
// Every pass walks the main graph and, at each node's position, the node's
// subgraphs (If branches, Loop bodies), so outer-scope captures are seen in
// order. ONNX names are unique across the whole model (SSA over nested
// scopes), which lets each pass keep one model-wide table keyed by name and
// apply all of its rewrites in a single final walk: every pass is linear in
// the number of nodes.
#include <onnxport_core/onnx_passes.hpp>

#include "const_eval.hpp"
#include "hash_join.hpp"
#include "lent_weights.hpp"
#include "node_prefetch.hpp"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace onnxport {
namespace {

using onnx_build::ConstTensor;

constexpr int kMaxIterations = 16;
// Initializers larger than this are left out of the copy used for type
// inference (shape inference needs their type and dims, never their bytes).
constexpr size_t kStripForInferenceBytes = 1024;

struct TypeInfo {
  int32_t elem_type = 0;
  bool has_shape = false;
  std::vector<std::optional<int64_t>> dims;  // nullopt: symbolic or unknown

  std::optional<std::vector<int64_t>> static_dims() const {
    if (!has_shape) return std::nullopt;
    std::vector<int64_t> out;
    for (const auto& d : dims) {
      if (!d) return std::nullopt;
      out.push_back(*d);
    }
    return out;
  }
};

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

const onnx::AttributeProto* find_attr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

// Calls fn(subgraph) for every graph attribute of a node.
template <class Fn>
void for_each_subgraph(onnx::NodeProto& node, Fn&& fn) {
  for (auto& attr : *node.mutable_attribute()) {
    if (attr.has_g()) fn(*attr.mutable_g());
    for (auto& g : *attr.mutable_graphs()) fn(g);
  }
}

template <class Fn>
void for_each_subgraph(const onnx::NodeProto& node, Fn&& fn) {
  for (const auto& attr : node.attribute()) {
    if (attr.has_g()) fn(attr.g());
    for (const auto& g : attr.graphs()) fn(g);
  }
}

// Removes the flagged elements, keeping the order (O(n) pointer swaps).
template <class T>
int compact(google::protobuf::RepeatedPtrField<T>& items, const std::vector<char>& remove) {
  int kept = 0;
  for (int i = 0; i < items.size(); ++i) {
    if (remove[static_cast<size_t>(i)]) continue;
    if (kept != i) items.SwapElements(kept, i);
    ++kept;
  }
  const int removed = items.size() - kept;
  if (removed > 0) items.DeleteSubrange(kept, removed);
  return removed;
}

// A set of names that views the model's own strings (no copy per name), for
// remove_dead's needed names: every name a live node reads, so about every
// name of the model. FlatNameMap copies each key into an entry of its own,
// an allocation per name of 16 bytes or more ("layers.123.weight"), and the
// needed set was the part of optimize that grew most (perf, bench/scaling:
// mark_and_sweep 5 -> 54 samples for 4x the layers). The views stay valid:
// only live nodes' names go in, and dropping dead nodes (compact) moves
// node pointers, never a kept node's strings. Each index slot keeps the
// upper half of its entry's hash, as GrowingNameSet's do (names.hpp), so a
// probe past other names reads no entry: with entry numbers alone, every
// occupied slot probed read an entry at random, and the set's inserts grew
// 5 -> 83 samples for 4x the layers (bench/README.md, "Decompose, optimize,
// capture at 16,384 layers").
class NameViewSet {
 public:
  void reserve(size_t n) {
    size_t slots = 16;
    while (slots < 2 * n) slots *= 2;
    if (slots > slots_.size()) rebuild(slots);
    entries_.reserve(n);
  }
  void insert(std::string_view name) {
    const size_t h = std::hash<std::string_view>{}(name);
    if (find(name, h)) return;
    if ((entries_.size() + 1) * 2 > slots_.size()) rebuild(std::max<size_t>(16, slots_.size() * 2));
    entries_.push_back(Entry{name, h});
    place(static_cast<uint32_t>(entries_.size()), h);
  }
  bool contains(std::string_view name) const { return find(name, std::hash<std::string_view>{}(name)); }

 private:
  struct Entry {
    std::string_view name;
    size_t hash;
  };
  bool find(std::string_view name, size_t h) const {
    if (slots_.empty()) return false;
    const size_t mask = slots_.size() - 1;
    const uint64_t tag = h >> 32;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t s = slots_[i];  // tag << 32 | (entry number + 1), 0: empty
      if (s == 0) return false;
      if ((s >> 32) != tag) continue;
      const Entry& e = entries_[(s & 0xffffffffu) - 1];
      if (e.hash == h && e.name == name) return true;
    }
  }
  void place(uint32_t number, size_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (static_cast<uint64_t>(h >> 32) << 32) | number;
  }
  void rebuild(size_t slot_count) {
    slots_.assign(slot_count, 0);
    uint32_t number = 0;
    for (const Entry& e : entries_) place(++number, e.hash);
  }
  std::vector<Entry> entries_;
  std::vector<uint64_t> slots_;  // power-of-two size, at most half full
};

int count_nodes(const onnx::GraphProto& g) {
  int n = g.node_size();
  for (const auto& node : g.node()) for_each_subgraph(node, [&](const onnx::GraphProto& sub) { n += count_nodes(sub); });
  return n;
}

// Moves the bytes of large initializers out for a scope and puts them back.
class StripLargeInitializers {
 public:
  explicit StripLargeInitializers(onnx::GraphProto& g) {
    for (auto& init : *g.mutable_initializer()) {
      if (init.raw_data().size() <= kStripForInferenceBytes) continue;
      stash_.emplace_back(&init, std::string());
      stash_.back().second.swap(*init.mutable_raw_data());
    }
  }
  ~StripLargeInitializers() {
    for (auto& [init, bytes] : stash_) init->mutable_raw_data()->swap(bytes);
  }
  StripLargeInitializers(const StripLargeInitializers&) = delete;
  StripLargeInitializers& operator=(const StripLargeInitializers&) = delete;

 private:
  std::vector<std::pair<onnx::TensorProto*, std::string>> stash_;
};

class Optimizer {
 public:
  explicit Optimizer(onnx::ModelProto& model) : model_(model), opset_(default_opset(model)) {}

  OptimizeStats run() {
    for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
      survey_ = Survey();
      survey(model_.graph(), survey_);
      if (iteration == 0) stats_.nodes_before = survey_.nodes;
      names_ = name_estimate(survey_.nodes);
      collect_protected();
      consts_.clear();
      // Folding a Shape node needs its input's static shape: infer types
      // first when there is one (the graph is consistent between passes).
      if (!types_inferred_ && survey_.has_shape) infer_types();
      if (may_fold()) {
        fold_graph(*model_.mutable_graph(), /*is_main=*/true);
      } else if (survey_.has_noop_candidate) {
        // What fold_graph would leave for no-op removal. Without a candidate
        // remove_noops() reads no constant, and this table of every
        // initializer's name was about a fifth of optimize()'s samples on
        // bench/scaling's 16,384 layers.
        register_initializers(model_.graph());
      }
      // No-op detection asks for types only for candidates (Cast, Reshape,
      // an Add of zeros, ...); it reads the graph before rewriting it, so
      // type_of() may run the inference there, once, on first need.
      may_infer_types_ = true;
      const bool renamed = remove_noops();
      may_infer_types_ = false;
      consts_.clear();  // its pointers may reach into removed nodes
      const int dead_nodes = remove_dead();
      // Another round can only find more when this one renamed values (a
      // consumer of an Identity of a constant now reads the constant) or
      // removed nodes (a Dropout whose mask lost its last reader). Folding
      // alone cannot: it visits nodes in order and registers each constant
      // it makes before the nodes that read it, and dropping unused
      // initializers enables nothing.
      if (!renamed && dead_nodes == 0) break;
    }
    prune_value_info();
    // Without subgraphs (which no pass creates) the count is the main
    // graph's, and no walk over its cold nodes is needed.
    stats_.nodes_after = survey_.has_subgraph ? count_nodes(model_.graph()) : model_.graph().node_size();
    return stats_;
  }

 private:
  // About how many distinct value names the model has: the size the tables
  // of every name below are reserved at. Growing them by rehashing instead
  // cost more than the lookups on a 16,384-layer model (the rehashes touch
  // every node of a table that no longer fits the cache).
  size_t name_estimate(int nodes) const {
    const onnx::GraphProto& g = model_.graph();
    return static_cast<size_t>(nodes) * 2 + static_cast<size_t>(g.initializer_size()) +
           static_cast<size_t>(g.input_size()) + static_cast<size_t>(g.output_size());
  }

  static int default_opset(const onnx::ModelProto& model) {
    for (const auto& imp : model.opset_import())
      if (is_default_domain(imp.domain())) return static_cast<int>(imp.version());
    return 17;
  }

  // --- types -----------------------------------------------------------------

  // Runs ONNX shape inference (lenient) on the model itself, with the bytes
  // of large initializers moved out meanwhile (inference needs their type
  // and dims, never their bytes), to learn element types and shapes of
  // intermediate values. In place rather than on a copy: copying and
  // destroying a large model cost as much as the inference. The value_info
  // it adds is what the check stage's inference adds anyway, and
  // prune_value_info() drops entries of values the passes remove.
  //
  // Types are inferred at most once, and only when a pass needs one: every
  // later rewrite preserves the type of each value that survives, and folded
  // constants carry their own type (type_of falls back to them). ONNX shape
  // inference is the most expensive part of optimize() on large models, and
  // many models (a stack of Linear + ReLU) never need it; the check stage
  // runs it anyway.
  void infer_types() {
    types_inferred_ = true;
    types_.clear();
    {
      StripLargeInitializers strip(*model_.mutable_graph());
      try {
        onnx::ShapeInferenceOptions options(/*check_type_val=*/false, /*strict_mode_val=*/0);
        onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), options);
      } catch (const std::exception&) {
        // A model shape inference rejects still optimizes; fewer no-ops are provable.
      }
    }
    collect_types(model_.graph());
  }

  void collect_types(const onnx::GraphProto& g) {
    auto add = [&](const onnx::ValueInfoProto& vi) {
      if (!vi.type().has_tensor_type()) return;
      const auto& tt = vi.type().tensor_type();
      TypeInfo info;
      info.elem_type = tt.elem_type();
      info.has_shape = tt.has_shape();
      for (const auto& d : tt.shape().dim())
        info.dims.push_back(d.has_dim_value() ? std::optional<int64_t>(d.dim_value()) : std::nullopt);
      types_[vi.name()] = std::move(info);
    };
    for (const auto& vi : g.input()) add(vi);
    for (const auto& vi : g.output()) add(vi);
    for (const auto& vi : g.value_info()) add(vi);
    for (const auto& init : g.initializer()) {
      TypeInfo info;
      info.elem_type = init.data_type();
      info.has_shape = true;
      for (int64_t d : init.dims()) info.dims.emplace_back(d);
      types_[init.name()] = std::move(info);
    }
    for (const auto& node : g.node()) for_each_subgraph(node, [&](const onnx::GraphProto& sub) { collect_types(sub); });
  }

  std::optional<TypeInfo> type_of(const std::string& name) {
    if (!types_inferred_ && may_infer_types_) infer_types();
    if (auto it = types_.find(name); it != types_.end() && it->second.elem_type != 0) return it->second;
    if (const ConstTensor* c = const_value(name)) {
      TypeInfo info;
      info.elem_type = c->elem_type;
      info.has_shape = true;
      for (int64_t d : c->dims) info.dims.emplace_back(d);
      return info;
    }
    return std::nullopt;
  }

  // --- names that must not change ------------------------------------------

  // Main graph outputs and every subgraph's outputs: renaming them would
  // change the model's interface or a branch's signature.
  void collect_protected() {
    protected_.clear();
    for (const auto& o : model_.graph().output()) protected_.insert(o.name());
    if (survey_.has_subgraph) collect_subgraph_outputs(model_.graph());
  }
  void collect_subgraph_outputs(const onnx::GraphProto& g) {
    for (const auto& node : g.node())
      for_each_subgraph(node, [&](const onnx::GraphProto& sub) {
        for (const auto& o : sub.output()) protected_.insert(o.name());
        collect_subgraph_outputs(sub);
      });
  }
  bool is_protected(const std::string& name) const { return protected_.count(name) != 0; }

  // --- constants -------------------------------------------------------------

  struct ConstEntry {
    const onnx::TensorProto* proto = nullptr;  // decoded on first use
    std::shared_ptr<const ConstTensor> value;
    bool tried = false;
  };

  const ConstTensor* const_value(const std::string& name) {
    auto it = consts_.find(name);
    if (it == consts_.end()) return nullptr;
    ConstEntry& e = it->second;
    if (!e.value && !e.tried && e.proto != nullptr) {
      e.tried = true;
      if (auto v = onnx_build::const_from_proto(*e.proto)) e.value = std::make_shared<const ConstTensor>(std::move(*v));
    }
    return e.value.get();
  }

  // Frees the decoded copies of the initializers a folded node read: a
  // weight is usually read by one node (Transpose(W) folded into W^T), and
  // keeping every decoded weight until the pass ends held one more copy of
  // all of a large model's weights (vit_h_14: 2.5 GB). A later reader
  // decodes it again (`tried` is reset).
  void release_decoded_initializers(const onnx::NodeProto& node) {
    for (const std::string& name : node.input()) {
      auto it = consts_.find(name);
      if (it == consts_.end() || it->second.proto == nullptr) continue;  // a folded value: no proto to decode again
      it->second.value.reset();
      it->second.tried = false;
    }
  }

  void set_const(const std::string& name, const onnx::TensorProto* proto) {
    consts_[name] = ConstEntry{proto, nullptr, false};
  }
  void set_const(const std::string& name, ConstTensor value) {
    consts_[name] = ConstEntry{nullptr, std::make_shared<const ConstTensor>(std::move(value)), true};
  }

  void register_initializers(const onnx::GraphProto& g) {
    consts_.reserve(consts_.size() + static_cast<size_t>(g.initializer_size()));
    // An initializer that is also a graph input is only a default value.
    std::unordered_set<std::string> inputs;
    for (const auto& in : g.input()) inputs.insert(in.name());
    for (const auto& init : g.initializer())
      if (inputs.count(init.name()) == 0) set_const(init.name(), &init);
  }

  // --- what a round needs to know -------------------------------------------

  // Gathered in one walk over every graph's nodes at the start of a round
  // (a long graph's nodes are cold in the caches: a walk over them cost
  // about as much as the work these answers let a round skip).
  struct Survey {
    int nodes = 0;  // count_nodes()
    bool has_subgraph = false;
    bool has_shape = false;     // a Shape node (default domain), in any graph
    bool has_constant = false;  // a Constant node (default domain), in any graph
    bool has_foldable = false;  // an op fold_graph evaluates (not Identity)
    bool has_noop_candidate = false;  // an op noop_input() may take (it takes no other)
  };

  static void survey(const onnx::GraphProto& g, Survey& out) {
    static const char* const kNoopOps[] = {"Identity", "Dropout", "Cast", "Transpose", "Reshape",
                                           "Mul",      "Add",     "Div",  "Sub"};
    out.nodes += g.node_size();
    const onnx_build::NodePrefetcher prefetch(g.node());
    for (int i = 0; i < g.node_size(); ++i) {
      prefetch.at(i);
      const onnx::NodeProto& node = g.node(i);
      for_each_subgraph(node, [&](const onnx::GraphProto& sub) {
        out.has_subgraph = true;
        survey(sub, out);
      });
      if (!is_default_domain(node.domain())) continue;
      const std::string& op = node.op_type();
      out.has_shape = out.has_shape || op == "Shape";
      out.has_constant = out.has_constant || op == "Constant";
      out.has_foldable = out.has_foldable || (op != "Identity" && onnx_build::is_foldable_op(op));
      for (const char* candidate : kNoopOps) out.has_noop_candidate = out.has_noop_candidate || op == candidate;
    }
  }

  // --- constant folding --------------------------------------------------------

  // Whether fold_graph could fold anything: it makes a constant only from a
  // Constant node, a Shape node, or a foldable op whose inputs are all
  // constants, and a first constant of the last kind needs inputs that are
  // all initializers. Without any, a fold pass changes nothing but builds
  // its tables of every name (read counts, droppable initializers, shared
  // weights: about a third of optimize()'s CPU samples on bench/scaling's
  // 16,384 Gemm + Relu layers, growing faster than the layers;
  // bench/README.md). A model with subgraphs always gets the pass.
  bool may_fold() const {
    if (survey_.has_subgraph || survey_.has_constant || survey_.has_shape) return true;
    if (!survey_.has_foldable) return false;
    const onnx::GraphProto& g = model_.graph();
    std::unordered_set<std::string_view> constants;  // built on the first foldable op
    bool constants_built = false;
    for (const auto& node : g.node()) {
      bool has_subgraph = false;
      for_each_subgraph(node, [&](const onnx::GraphProto&) { has_subgraph = true; });
      if (has_subgraph) return true;
      if (!is_default_domain(node.domain())) continue;
      const std::string& op = node.op_type();
      if (op == "Constant" || op == "Shape") return true;
      if (!onnx_build::is_foldable_op(op) || op == "Identity") continue;
      if (!constants_built) {
        constants_built = true;
        std::unordered_set<std::string_view> inputs;  // an input's default value is no constant
        for (const auto& in : g.input()) inputs.insert(in.name());
        constants.reserve(static_cast<size_t>(g.initializer_size()));
        for (const auto& init : g.initializer())
          if (inputs.count(init.name()) == 0) constants.insert(init.name());
      }
      bool all_constant = true;
      for (const auto& in : node.input()) all_constant = all_constant && (in.empty() || constants.count(in) != 0);
      if (all_constant) return true;
    }
    return false;
  }

  // --- bytes of initializers nothing reads any more ---------------------------

  // How often each name is read: node inputs and graph outputs, in every
  // graph. Counted before the main graph's fold and lowered as folded nodes
  // stop reading, so that the bytes of an initializer whose last reader was
  // folded (W of Transpose(W)) are freed at once rather than when the dead
  // initializers are swept after the fold: with both W and its folded W^T
  // alive, a large model's weights were held twice. Counting too much (a
  // subgraph name that shadows an outer one, a dead reader) only keeps
  // bytes longer; the sweep then drops the emptied initializer, which no
  // node or output reads.
  void count_reads(const onnx::GraphProto& g) {
    for (const auto& o : g.output()) ++reads_[o.name()];
    for (const auto& node : g.node()) {
      for (const auto& in : node.input())
        if (!in.empty()) ++reads_[in];
      for_each_subgraph(node, [&](const onnx::GraphProto& sub) { count_reads(sub); });
    }
  }

  void start_read_counts(onnx::GraphProto& main) {
    reads_.clear();
    droppable_.clear();
    reads_.reserve(names_);
    droppable_.reserve(static_cast<size_t>(main.initializer_size()));
    count_reads(main);
    std::unordered_set<std::string> inputs;  // an input's default value must stay
    for (const auto& in : main.input()) inputs.insert(in.name());
    for (auto& init : *main.mutable_initializer())
      if (inputs.count(init.name()) == 0) droppable_[init.name()] = &init;
  }

  // `node` was folded: it reads nothing any more.
  void stop_reading(const onnx::NodeProto& node) {
    for (const std::string& name : node.input()) {
      auto it = reads_.find(name);
      if (name.empty() || it == reads_.end() || --it->second > 0) continue;
      auto init = droppable_.find(name);
      if (init == droppable_.end()) continue;
      consts_.erase(name);
      std::string().swap(*init->second->mutable_raw_data());  // clear_raw_data() would keep the capacity
      droppable_.erase(init);
    }
  }

  // --- shared weights: folding must not write their bytes twice ------------

  // Initializers at least this large are not copied by a fold that leaves
  // the original in the model too (below: smaller tensors cost little twice).
  static constexpr size_t kSharedWeightBytes = 1024;

  // For each main-graph initializer, how many of its readers will stay in
  // the model after folding: a node that cannot fold (not a foldable op, or
  // an input that is not constant), a graph output, a subgraph. A tied
  // weight (an embedding also used as the lm head) is read by a Gather that
  // stays and by the Transpose of the head, which would fold into a second,
  // transposed copy of the same bytes. Identity passes the count through
  // (no-op removal later makes its readers read the initializer itself).
  // An estimate made before folding: a node it counts as folding may still
  // be left (an evaluator limit), which only leaves a copy as before.
  void count_staying_readers(const onnx::GraphProto& g) {
    staying_readers_.clear();
    // Only a large initializer with two readers can be copied and kept: most
    // models have none, and then the walk below (a table of every constant
    // name) is not needed. reads_ was counted by start_read_counts.
    bool any_shared = false;
    for (const auto& init : g.initializer()) {
      if (onnx_build::tensor_data_size(init) < kSharedWeightBytes) continue;
      auto it = reads_.find(init.name());
      any_shared = any_shared || (it != reads_.end() && it->second > 1);
    }
    if (!any_shared) return;
    std::unordered_map<std::string, std::string> root;  // a constant name -> the initializer it passes through
    std::unordered_set<std::string> constant;
    std::unordered_set<std::string> inputs;
    for (const auto& in : g.input()) inputs.insert(in.name());
    for (const auto& init : g.initializer()) {
      if (inputs.count(init.name()) != 0) continue;
      constant.insert(init.name());
      if (onnx_build::tensor_data_size(init) >= kSharedWeightBytes) root[init.name()] = init.name();
    }
    auto stays = [&](const std::string& name) {
      auto it = root.find(name);
      if (it != root.end()) ++staying_readers_[it->second];
    };
    for (const auto& o : g.output()) stays(o.name());
    for (const auto& node : g.node()) {
      bool has_subgraph = false;
      for_each_subgraph(node, [&](const onnx::GraphProto&) { has_subgraph = true; });
      bool all_constant = true;
      for (const auto& in : node.input()) all_constant = all_constant && (in.empty() || constant.count(in) != 0);
      const bool single = is_default_domain(node.domain()) && node.output_size() == 1 && !node.output(0).empty();
      const bool folds = single && !has_subgraph && all_constant &&
                         (node.op_type() == "Constant" || onnx_build::is_foldable_op(node.op_type()));
      if (!folds) {
        for (const auto& in : node.input()) stays(in);
        continue;
      }
      constant.insert(node.output(0));
      if (node.op_type() == "Identity" && node.input_size() == 1) {
        auto it = root.find(node.input(0));
        if (it != root.end()) root[node.output(0)] = it->second;
      }
    }
  }

  // True when folding `node` into `result` would add a copy of a large
  // initializer's bytes that also stays in the model (count_staying_readers).
  bool fold_would_duplicate_a_weight(const onnx::NodeProto& node, const ConstTensor& result) const {
    if (result.nbytes() < kSharedWeightBytes) return false;
    for (const auto& in : node.input()) {
      auto it = staying_readers_.find(in);
      if (it != staying_readers_.end() && it->second > 0) return true;
    }
    return false;
  }

  bool fold_graph(onnx::GraphProto& g, bool is_main) {
    bool changed = false;
    if (is_main) {
      start_read_counts(g);
      count_staying_readers(g);
    }
    register_initializers(g);
    std::vector<char> remove(static_cast<size_t>(g.node_size()), 0);
    for (int i = 0; i < g.node_size(); ++i) {
      onnx::NodeProto& node = *g.mutable_node(i);
      for_each_subgraph(node, [&](onnx::GraphProto& sub) { changed |= fold_graph(sub, false); });
      if (!is_default_domain(node.domain()) || node.output_size() != 1 || node.output(0).empty()) continue;
      const std::string out = node.output(0);
      // In the main graph constants become initializers (unless they are a
      // graph output); in subgraphs they stay Constant nodes, which every
      // runtime accepts there.
      const bool to_initializer = is_main && !is_protected(out);
      if (node.op_type() == "Constant") {
        if (fold_constant_node(g, node, out, to_initializer)) {
          remove[static_cast<size_t>(i)] = 1;
          ++stats_.folded;
          changed = true;
        }
        continue;
      }
      // Identity is left to no-op removal, which renames instead of copying bytes.
      if (!onnx_build::is_foldable_op(node.op_type()) || node.op_type() == "Identity") continue;
      std::optional<ConstTensor> result = evaluate(node);
      if (!result) continue;
      if (is_main && fold_would_duplicate_a_weight(node, *result)) continue;  // the node stays
      release_decoded_initializers(node);  // this reader is folded away
      stop_reading(node);
      if (to_initializer) {
        onnx::TensorProto* init = g.add_initializer();
        onnx_build::const_to_proto(std::move(*result), out, *init);
        set_const(out, init);
        droppable_[out] = init;  // to_initializer: the main graph, and `out` is no graph output
        remove[static_cast<size_t>(i)] = 1;
      } else {
        make_constant_node(node, *result);
        set_const(out, std::move(*result));
      }
      ++stats_.folded;
      changed = true;
    }
    compact(*g.mutable_node(), remove);
    return changed;
  }

  // Registers a Constant node's value; moves it into an initializer when asked.
  bool fold_constant_node(onnx::GraphProto& g, onnx::NodeProto& node, const std::string& out, bool to_initializer) {
    const onnx::AttributeProto* value = find_attr(node, "value");
    if (value != nullptr && value->has_t() && node.attribute_size() == 1) {
      if (!to_initializer) {
        set_const(out, &value->t());
        return false;
      }
      onnx::TensorProto* init = g.add_initializer();
      init->Swap(node.mutable_attribute(0)->mutable_t());  // no byte copy
      init->set_name(out);
      set_const(out, init);
      return true;
    }
    std::optional<ConstTensor> v = onnx_build::constant_node_value(node);
    if (!v) return false;  // sparse or string constants stay as they are
    if (to_initializer) onnx_build::const_to_proto(*v, out, *g.add_initializer());
    set_const(out, std::move(*v));
    return to_initializer;
  }

  std::optional<ConstTensor> evaluate(const onnx::NodeProto& node) {
    std::vector<const ConstTensor*> inputs;
    ConstTensor shape_only;  // Shape of a value whose static shape is known
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& name = node.input(k);
      if (name.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      const ConstTensor* c = const_value(name);
      if (c == nullptr && k == 0 && node.op_type() == "Shape") {
        auto t = type_of(name);
        auto dims = t ? t->static_dims() : std::nullopt;
        if (!dims) return std::nullopt;
        shape_only.elem_type = t->elem_type;
        shape_only.dims = *dims;
        c = &shape_only;
      }
      if (c == nullptr) return std::nullopt;
      inputs.push_back(c);
    }
    return onnx_build::evaluate_node(node, inputs, opset_);
  }

  static void make_constant_node(onnx::NodeProto& node, const ConstTensor& value) {
    node.clear_input();
    node.clear_attribute();
    node.clear_domain();
    node.set_op_type("Constant");
    auto* attr = node.add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    onnx_build::const_to_proto(value, node.output(0), *attr->mutable_t());
  }

  // --- no-op removal -----------------------------------------------------------

  // Index of the input a no-op node passes through unchanged, if it is one.
  std::optional<int> noop_input(const onnx::NodeProto& node) {
    if (!is_default_domain(node.domain()) || node.output_size() < 1 || node.input_size() < 1) return std::nullopt;
    const std::string& op = node.op_type();
    if (op == "Identity") return 0;
    if (op == "Dropout") return dropout_is_noop(node) ? std::optional<int>(0) : std::nullopt;
    if (node.output_size() != 1) return std::nullopt;
    if (op == "Cast") {
      const auto* to = find_attr(node, "to");
      auto t = type_of(node.input(0));
      return to && t && t->elem_type == to->i() ? std::optional<int>(0) : std::nullopt;
    }
    if (op == "Transpose") return transpose_is_noop(node) ? std::optional<int>(0) : std::nullopt;
    if (op == "Reshape") return reshape_is_noop(node) ? std::optional<int>(0) : std::nullopt;
    if (op == "Mul" || op == "Add") {
      const double identity = op == "Mul" ? 1.0 : 0.0;
      if (arithmetic_identity(node, 1, 0, identity)) return 0;
      if (arithmetic_identity(node, 0, 1, identity)) return 1;
      return std::nullopt;
    }
    if (op == "Div" || op == "Sub")
      return arithmetic_identity(node, 1, 0, op == "Div" ? 1.0 : 0.0) ? std::optional<int>(0) : std::nullopt;
    return std::nullopt;
  }

  bool dropout_is_noop(const onnx::NodeProto& node) {
    // The mask output must be unused; training_mode absent or a constant false.
    if (node.output_size() > 1 && !node.output(1).empty() &&
        (uses_.count(node.output(1)) != 0 || is_protected(node.output(1))))
      return false;
    if (node.input_size() >= 3 && !node.input(2).empty()) {
      const ConstTensor* training = const_value(node.input(2));
      if (training == nullptr || !onnx_build::all_elements_equal(*training, 0.0)) return false;
    }
    return true;
  }

  bool transpose_is_noop(const onnx::NodeProto& node) {
    if (const auto* perm = find_attr(node, "perm")) {
      for (int k = 0; k < perm->ints_size(); ++k)
        if (perm->ints(k) != k) return false;
      return true;
    }
    auto t = type_of(node.input(0));  // default perm reverses: a no-op up to rank 1
    return t && t->has_shape && t->dims.size() <= 1;
  }

  bool reshape_is_noop(const onnx::NodeProto& node) {
    if (node.input_size() < 2) return false;
    auto t = type_of(node.input(0));
    auto dims = t ? t->static_dims() : std::nullopt;
    const ConstTensor* shape = const_value(node.input(1));
    if (!dims || shape == nullptr || shape->elem_type != onnx::TensorProto::INT64 ||
        shape->numel() != static_cast<int64_t>(dims->size()))
      return false;
    for (size_t k = 0; k < dims->size(); ++k) {
      int64_t v;
      std::memcpy(&v, shape->bytes.data() + k * sizeof(int64_t), sizeof(int64_t));
      if (v != (*dims)[k]) return false;
    }
    return true;
  }

  // x op c == x when c is all `identity` and broadcasting c changes neither
  // the shape nor the type of x.
  bool arithmetic_identity(const onnx::NodeProto& node, int const_index, int x_index, double identity) {
    if (node.input_size() != 2) return false;
    const ConstTensor* c = const_value(node.input(const_index));
    if (c == nullptr || !onnx_build::all_elements_equal(*c, identity)) return false;
    auto x = type_of(node.input(x_index));
    if (!x || x->elem_type != c->elem_type || !x->has_shape || c->dims.size() > x->dims.size()) return false;
    // Each dim of c (right-aligned) is 1 or equals x's known static dim.
    const size_t offset = x->dims.size() - c->dims.size();
    for (size_t k = 0; k < c->dims.size(); ++k) {
      const auto& xd = x->dims[offset + k];
      if (c->dims[k] != 1 && !(xd && *xd == c->dims[k])) return false;
    }
    return true;
  }

  std::string resolve(const std::string& name) {
    auto it = alias_.find(name);
    if (it == alias_.end()) return name;
    std::string target = resolve(it->second);
    it->second = target;
    return target;
  }

  void collect_producers(const onnx::GraphProto& g) {
    for (const auto& node : g.node()) {
      for (const auto& out : node.output()) producer_graph_[out] = &g;
      for (const auto& in : node.input()) uses_.insert(in);
      for_each_subgraph(node, [&](const onnx::GraphProto& sub) { collect_producers(sub); });
    }
  }

  void find_noops(onnx::GraphProto& g) {
    std::vector<char>& remove = noop_removals_[&g];
    remove.assign(static_cast<size_t>(g.node_size()), 0);
    for (int i = 0; i < g.node_size(); ++i) {
      onnx::NodeProto& node = *g.mutable_node(i);
      for_each_subgraph(node, [&](onnx::GraphProto& sub) { find_noops(sub); });
      const auto index = noop_input(node);
      if (!index) continue;
      const std::string x = resolve(node.input(*index));
      const std::string& y = node.output(0);
      if (x.empty() || y.empty()) continue;
      if (!is_protected(y)) {
        alias_[y] = x;  // consumers of y read x
      } else if (auto p = producer_graph_.find(x); p != producer_graph_.end() && p->second == &g &&
                                                     !is_protected(x) && renamed_.count(x) == 0) {
        // y must keep its name (graph output): x's producer takes it instead.
        alias_[x] = y;
        renamed_.insert(x);
      } else {
        continue;  // x is a graph input, an initializer or an outer value
      }
      remove[static_cast<size_t>(i)] = 1;
      ++stats_.removed_noop;
    }
  }

  void apply_noop_rewrites(onnx::GraphProto& g) {
    if (auto it = noop_removals_.find(&g); it != noop_removals_.end()) compact(*g.mutable_node(), it->second);
    for (auto& node : *g.mutable_node()) {
      for (auto& in : *node.mutable_input())
        if (!in.empty()) in = resolve(in);
      for (auto& out : *node.mutable_output())
        if (renamed_.count(out) != 0) out = resolve(out);
      for_each_subgraph(node, [&](onnx::GraphProto& sub) { apply_noop_rewrites(sub); });
    }
  }

  bool remove_noops() {
    if (!survey_.has_noop_candidate) return false;  // surveyed before folding, which makes none
    alias_.clear();
    renamed_.clear();
    producer_graph_.clear();
    uses_.clear();
    noop_removals_.clear();
    producer_graph_.reserve(names_);
    uses_.reserve(names_);
    collect_producers(model_.graph());
    const int before = stats_.removed_noop;
    find_noops(*model_.mutable_graph());
    if (stats_.removed_noop == before) return false;
    apply_noop_rewrites(*model_.mutable_graph());
    return true;
  }

  // --- dead nodes and unused initializers -------------------------------------

  // Walks nodes backwards from the needed names; a live node's subgraphs are
  // walked at its position, so what they capture from outer scopes becomes
  // needed before the outer producers are reached.
  // The names a live node reads (NameViewSet above says why not a node-based
  // set, nor FlatNameMap).
  using NeededNames = NameViewSet;

  void mark_and_sweep(onnx::GraphProto& g, NeededNames& needed) {
    std::vector<char> remove(static_cast<size_t>(g.node_size()), 0);
    const onnx_build::NodePrefetcher prefetch(g.node());
    for (int i = g.node_size() - 1; i >= 0; --i) {
      prefetch.at(i, -1);
      onnx::NodeProto& node = *g.mutable_node(i);
      bool live = node.output_size() == 0;
      for (const auto& out : node.output()) live |= !out.empty() && needed.contains(out);
      if (!live) {
        remove[static_cast<size_t>(i)] = 1;
        continue;
      }
      for (const auto& in : node.input()) needed.insert(in);
      for_each_subgraph(node, [&](onnx::GraphProto& sub) {
        for (const auto& o : sub.output()) needed.insert(o.name());
        mark_and_sweep(sub, needed);
      });
    }
    const int removed_nodes = compact(*g.mutable_node(), remove);
    // Initializers nobody reads (graph inputs' defaults stay: inputs never change).
    std::unordered_set<std::string> inputs;
    for (const auto& in : g.input()) inputs.insert(in.name());
    std::vector<char> drop(static_cast<size_t>(g.initializer_size()), 0);
    for (int k = 0; k < g.initializer_size(); ++k) {
      const std::string& name = g.initializer(k).name();
      drop[static_cast<size_t>(k)] = !needed.contains(name) && inputs.count(name) == 0;
    }
    const int removed_inits = compact(*g.mutable_initializer(), drop);
    stats_.removed_dead += removed_nodes;
    stats_.removed_initializers += removed_inits;
    dead_nodes_in_pass_ += removed_nodes;
  }

  // The common case, nothing dead, shown without a set of every needed name
  // (hash_join.hpp says why): a node is live when a node or a graph output
  // reads one of its outputs. When every node is, the names the exact walk
  // below would mark needed are exactly the names read, and only the
  // initializers nobody reads go. False, with nothing changed, when some
  // node looks dead (the exact walk decides then, since removing it can make
  // its producers dead) or the graph has subgraphs (their nodes read outer
  // names). A hash collision can only make a dead node look live: the
  // model keeps a node it could drop, never loses one it needs.
  bool sweep_if_all_live(onnx::GraphProto& g) {
    if (survey_.has_subgraph) return false;
    const auto hash = [](const std::string& s) { return std::hash<std::string_view>{}(s); };
    std::vector<uint64_t> reads;
    std::vector<onnx_build::HashedIndex> outputs;
    reads.reserve(static_cast<size_t>(g.output_size()) + 2 * static_cast<size_t>(g.node_size()));
    outputs.reserve(static_cast<size_t>(g.node_size()));
    std::vector<char> live(static_cast<size_t>(g.node_size()), 0);
    for (const auto& o : g.output()) reads.push_back(hash(o.name()));
    const onnx_build::NodePrefetcher prefetch(g.node());
    for (int i = 0; i < g.node_size(); ++i) {
      prefetch.at(i);
      const onnx::NodeProto& node = g.node(i);
      if (node.output_size() == 0) live[static_cast<size_t>(i)] = 1;
      for (const auto& in : node.input()) reads.push_back(hash(in));
      for (const auto& out : node.output())
        if (!out.empty()) outputs.push_back(onnx_build::HashedIndex{hash(out), static_cast<uint32_t>(i)});
    }
    onnx_build::mark_present_hashes(reads, outputs, live);
    if (std::find(live.begin(), live.end(), 0) != live.end()) return false;
    std::vector<onnx_build::HashedIndex> initializers;
    initializers.reserve(static_cast<size_t>(g.initializer_size()));
    for (int k = 0; k < g.initializer_size(); ++k)
      initializers.push_back(onnx_build::HashedIndex{hash(g.initializer(k).name()), static_cast<uint32_t>(k)});
    std::vector<char> read(static_cast<size_t>(g.initializer_size()), 0);
    onnx_build::mark_present_hashes(reads, initializers, read);
    // As in mark_and_sweep: graph inputs' defaults stay.
    std::unordered_set<std::string> inputs;
    for (const auto& in : g.input()) inputs.insert(in.name());
    std::vector<char> drop(static_cast<size_t>(g.initializer_size()), 0);
    for (int k = 0; k < g.initializer_size(); ++k)
      drop[static_cast<size_t>(k)] = !read[static_cast<size_t>(k)] && inputs.count(g.initializer(k).name()) == 0;
    stats_.removed_initializers += compact(*g.mutable_initializer(), drop);
    return true;
  }

  int remove_dead() {  // returns the number of nodes removed
    if (sweep_if_all_live(*model_.mutable_graph())) return 0;
    NeededNames needed;
    needed.reserve(names_);
    for (const auto& o : model_.graph().output()) needed.insert(o.name());
    dead_nodes_in_pass_ = 0;
    mark_and_sweep(*model_.mutable_graph(), needed);
    return dead_nodes_in_pass_;
  }

  // --- value_info of values that no longer exist --------------------------------

  void collect_defined(const onnx::GraphProto& g, std::unordered_set<std::string>& defined) {
    for (const auto& in : g.input()) defined.insert(in.name());
    for (const auto& init : g.initializer()) defined.insert(init.name());
    for (const auto& node : g.node()) {
      for (const auto& out : node.output()) defined.insert(out);
      for_each_subgraph(node, [&](const onnx::GraphProto& sub) { collect_defined(sub, defined); });
    }
  }

  void prune_value_info(onnx::GraphProto& g, const std::unordered_set<std::string>& defined) {
    std::vector<char> drop(static_cast<size_t>(g.value_info_size()), 0);
    for (int k = 0; k < g.value_info_size(); ++k) drop[static_cast<size_t>(k)] = defined.count(g.value_info(k).name()) == 0;
    compact(*g.mutable_value_info(), drop);
    for (auto& node : *g.mutable_node()) for_each_subgraph(node, [&](onnx::GraphProto& sub) { prune_value_info(sub, defined); });
  }

  static bool has_value_info(const onnx::GraphProto& g) {
    if (g.value_info_size() > 0) return true;
    bool found = false;
    for (const auto& node : g.node())
      for_each_subgraph(node, [&](const onnx::GraphProto& sub) { found = found || has_value_info(sub); });
    return found;
  }

  void prune_value_info() {
    // Nothing to prune unless type inference ran (or the translator wrote
    // value_info): then the table of every defined name below (about a
    // seventh of optimize()'s CPU samples on bench/scaling's 16,384 layers,
    // growing 7x for 4x the layers) is not built.
    // The survey of the last round saw every subgraph (no pass creates one):
    // without any, only the main graph can have value_info.
    if (survey_.has_subgraph ? !has_value_info(model_.graph()) : model_.graph().value_info_size() == 0) return;
    std::unordered_set<std::string> defined;
    defined.reserve(name_estimate(count_nodes(model_.graph())));
    collect_defined(model_.graph(), defined);
    prune_value_info(*model_.mutable_graph(), defined);
  }

  onnx::ModelProto& model_;
  int opset_;
  OptimizeStats stats_;
  std::unordered_map<std::string, TypeInfo> types_;
  bool types_inferred_ = false;   // infer_types() ran
  bool may_infer_types_ = false;  // the graph is consistent: type_of() may infer
  std::unordered_set<std::string> protected_;
  std::unordered_map<std::string, ConstEntry> consts_;
  size_t names_ = 0;  // name_estimate() of this round
  Survey survey_;     // of this round
  std::unordered_map<std::string, int> reads_;  // count_reads
  std::unordered_map<std::string, int> staying_readers_;  // count_staying_readers
  std::unordered_map<std::string, onnx::TensorProto*> droppable_;  // main-graph initializers that are no input
  // no-op pass state
  std::unordered_map<std::string, std::string> alias_;  // removed name -> name that replaces it
  std::unordered_set<std::string> renamed_;             // producer outputs renamed to a protected name
  std::unordered_map<std::string, const onnx::GraphProto*> producer_graph_;
  std::unordered_set<std::string> uses_;
  std::unordered_map<const onnx::GraphProto*, std::vector<char>> noop_removals_;
  int dead_nodes_in_pass_ = 0;  // nodes removed by the current dead-code pass
};

}  // namespace

OptimizeStats optimize_model(onnx::ModelProto& model) { return Optimizer(model).run(); }

}  // namespace onnxport
