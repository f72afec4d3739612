// The decomposition stage: nodes whose op has no translator at the target
// opset but a registered decomposition are rewritten into other Graph nodes,
// round after round, until nothing changes.
//
// One round is linear in the graph: every block's node list is rebuilt once
// (emitted nodes take the decomposed node's place) and the uses of replaced
// values are rewired in one final walk, instead of a scan per replacement.
#include <onnxport_core/onnx_build.hpp>

#include <map>
#include <set>
#include <unordered_map>

namespace onnxport {
namespace {

constexpr int kMaxRounds = 32;

std::string short_op_name(const std::string& op) {
  const auto pos = op.rfind("::");
  std::string base = pos == std::string::npos ? op : op.substr(pos + 2);
  return base.empty() ? "v" : base;
}

class DecomposeCtx final : public DecomposeContext {
 public:
  DecomposeCtx(Graph& graph, const Node& node) : graph_(graph), node_(node), replacement_(node.outputs.size(), kNoValue) {}

  const Graph& graph() const override { return graph_; }
  const Node& node() const override { return node_; }

  std::vector<ValueId> emit(std::string_view op, std::vector<Arg> inputs,
                            const std::vector<std::pair<DType, Shape>>& output_types, nlohmann::json attrs) override {
    for (const Arg& a : inputs) check_arg(a);
    Node n;
    n.op = std::string(op);
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    n.prov = node_.prov;
    if (n.prov.original_kind.empty()) n.prov.original_kind = node_.op;
    const std::string base = short_op_name(n.op);
    for (const auto& [dtype, shape] : output_types) {
      Value v;
      v.name = graph_.unique_name(base);
      v.dtype = dtype;
      v.shape = shape;
      n.outputs.push_back(graph_.add_value(std::move(v)));
    }
    emitted_.push_back(std::move(n));
    return emitted_.back().outputs;
  }

  void replace_output(size_t i, ValueId value) override {
    if (i >= replacement_.size())
      throw std::out_of_range("replace_output(" + std::to_string(i) + "): node has " +
                              std::to_string(replacement_.size()) + " outputs");
    if (value < 0 || static_cast<size_t>(value) >= graph_.values.size())
      throw std::out_of_range("replace_output: value id " + std::to_string(value) + " does not exist");
    replacement_[i] = value;
  }

  std::vector<Node>& emitted() { return emitted_; }
  const std::vector<ValueId>& replacement() const { return replacement_; }

 private:
  void check_arg(const Arg& a) const {
    if (a.is_value() && (a.value < 0 || static_cast<size_t>(a.value) >= graph_.values.size()))
      throw std::out_of_range("emit: argument value id " + std::to_string(a.value) + " does not exist");
    for (const Arg& item : a.items) check_arg(item);
  }

  Graph& graph_;
  const Node& node_;
  std::vector<Node> emitted_;
  std::vector<ValueId> replacement_;
};

class Decomposer {
 public:
  Decomposer(Graph& graph, const TranslatorRegistry& registry, int opset, std::vector<Diagnostic>& diagnostics)
      : graph_(graph), registry_(registry), opset_(opset), diagnostics_(diagnostics) {}

  int run() {
    // No node can be rewritten when every op with a decomposition has a
    // translator at this opset (the default config registers none): then
    // the graph is not walked at all. A walk reads every node, which a large
    // graph no longer holds in the caches (bench/README.md, "Decompose
    // walks only when a decomposition applies").
    if (!any_decomposition_applies()) return 0;
    int total = 0;
    for (int round = 0; round < kMaxRounds; ++round) {
      replacements_.clear();
      ops_this_round_.clear();
      const int rewritten = rewrite_block(graph_.body);
      if (rewritten == 0) return total;
      apply_replacements();
      total += rewritten;
    }
    if (has_pending(graph_.body)) report_no_fixpoint();
    return total;
  }

 private:
  bool any_decomposition_applies() {
    for (const std::string& op : registry_.decomposition_ops())
      if (decomposition_for(op) != nullptr) return true;
    return false;
  }

  // The decomposition to apply to `op`, or null (it has a translator, or none).
  const DecompositionSpec* decomposition_for(const std::string& op) {
    // find() before emplace(): emplace builds a map node (a copy of the op
    // name) before it looks, for every node of the graph.
    if (const auto found = cache_.find(op); found != cache_.end()) return found->second;
    const DecompositionSpec* spec = nullptr;
    if (registry_.choose(op, opset_).chosen == nullptr) spec = registry_.decomposition(op);
    cache_.emplace(op, spec);
    return spec;
  }

  bool has_pending(const Block& block) {
    for (const Node& n : block.nodes) {
      if (decomposition_for(n.op) != nullptr && !failed(n)) return true;
      for (const Block& b : n.blocks)
        if (has_pending(b)) return true;
    }
    return false;
  }

  bool failed(const Node& n) const {
    return n.outputs.empty() ? failed_ops_without_outputs_.count(n.op) != 0 : failed_.count(n.outputs[0]) != 0;
  }
  void mark_failed(const Node& n) {
    if (n.outputs.empty()) failed_ops_without_outputs_.insert(n.op);
    else failed_.insert(n.outputs[0]);
  }

  // The block's node list is rebuilt only from its first decomposed node on:
  // a block with nothing to decompose (the common case, and every block in
  // the last round) keeps its nodes where they are. Rebuilding a large graph's
  // list into a new vector touched megabytes of fresh pages and moved every
  // node (bench/README.md, "Decompose, optimize, capture at 16,384 layers").
  //
  // The walk reads two cache lines of each node (its op and its blocks); at
  // 16,384 layers the nodes are out of the caches by now, hence the
  // prefetch some nodes ahead (bench/README.md, "Decompose reads ahead").
  static constexpr size_t kPrefetchNodes = 8;
  int rewrite_block(Block& block) {
    int count = 0;
    std::vector<Node> out;
    bool rebuilding = false;
    for (size_t i = 0; i < block.nodes.size(); ++i) {
      if (i + kPrefetchNodes < block.nodes.size()) {
        const Node& ahead = block.nodes[i + kPrefetchNodes];
        __builtin_prefetch(&ahead.op);
        __builtin_prefetch(&ahead.blocks);
      }
      Node& node = block.nodes[i];
      const DecompositionSpec* spec = decomposition_for(node.op);
      if (spec != nullptr && !failed(node)) {
        std::vector<Node> emitted;
        if (decompose(node, *spec, emitted)) {
          if (!rebuilding) {
            out.reserve(block.nodes.size() + emitted.size());
            for (size_t j = 0; j < i; ++j) out.push_back(std::move(block.nodes[j]));
            rebuilding = true;
          }
          for (Node& e : emitted) out.push_back(std::move(e));
          ops_this_round_.insert(node.op);
          ++count;
          continue;
        }
        mark_failed(node);
      }
      for (Block& b : node.blocks) count += rewrite_block(b);
      if (rebuilding) out.push_back(std::move(node));
    }
    if (rebuilding) block.nodes = std::move(out);
    return count;
  }

  bool decompose(const Node& node, const DecompositionSpec& spec, std::vector<Node>& emitted) {
    const size_t values_before = graph_.values.size();
    DecomposeCtx ctx(graph_, node);
    try {
      if (spec.fn == nullptr) throw std::runtime_error("the decomposition has no function");
      spec.fn(ctx);
    } catch (const std::exception& e) {
      report(node, std::string("decomposition of '") + node.op + "' failed: " + e.what());
      return false;
    } catch (...) {
      report(node, "decomposition of '" + node.op + "' failed with an exception of unknown type");
      return false;
    }
    for (size_t i = 0; i < ctx.replacement().size(); ++i) {
      if (ctx.replacement()[i] == kNoValue) {
        report(node, "decomposition of '" + node.op + "' did not replace output " + std::to_string(i) + " ('" +
                         graph_.value(node.outputs[i]).name + "')");
        return false;
      }
    }
    for (size_t i = 0; i < ctx.replacement().size(); ++i) {
      const ValueId old_id = node.outputs[i];
      const ValueId new_id = ctx.replacement()[i];
      if (old_id == new_id) continue;
      replacements_[old_id] = new_id;
      // A value created by this decomposition inherits the readable name
      // ("linear" stays "linear" after addmm -> mm + add).
      if (static_cast<size_t>(new_id) >= values_before) std::swap(graph_.value(old_id).name, graph_.value(new_id).name);
    }
    emitted = std::move(ctx.emitted());
    return true;
  }

  ValueId resolve(ValueId id) {
    auto it = replacements_.find(id);
    if (it == replacements_.end()) return id;
    ValueId target = resolve(it->second);
    it->second = target;  // path compression keeps chains cheap
    return target;
  }

  void rewire_arg(Arg& a) {
    if (a.is_value()) a.value = resolve(a.value);
    for (Arg& item : a.items) rewire_arg(item);
  }

  void rewire_block(Block& block) {
    for (Node& n : block.nodes) {
      for (Arg& a : n.inputs) rewire_arg(a);
      for (Block& b : n.blocks) rewire_block(b);
    }
    for (ValueId& id : block.outputs) id = resolve(id);
  }

  void apply_replacements() {
    if (replacements_.empty()) return;
    rewire_block(graph_.body);
    for (auto& [name, id] : graph_.mutated_buffers) id = resolve(id);
    for (auto& [name, id] : graph_.mutated_inputs) id = resolve(id);
  }

  void report(const Node& node, std::string message) {
    Diagnostic d;
    d.code = "decomposition-failed";
    d.stage = "decompose";
    d.message = std::move(message);
    d.loc = node.prov.loc;
    d.details = {{"op", node.op}};
    diagnostics_.push_back(std::move(d));
  }

  void report_no_fixpoint() {
    std::string ops;
    for (const std::string& op : ops_this_round_) ops += (ops.empty() ? "'" : ", '") + op + "'";
    Diagnostic d;
    d.code = "decomposition-cycle";
    d.stage = "decompose";
    d.message = "decompositions did not reach a fixpoint after " + std::to_string(kMaxRounds) + " rounds; " + ops +
                " kept being rewritten";
    d.hint = "a decomposition of these ops emits ops that decompose back into them";
    d.details = {{"ops", std::vector<std::string>(ops_this_round_.begin(), ops_this_round_.end())}};
    diagnostics_.push_back(std::move(d));
  }

  Graph& graph_;
  const TranslatorRegistry& registry_;
  int opset_;
  std::vector<Diagnostic>& diagnostics_;
  std::unordered_map<std::string, const DecompositionSpec*> cache_;
  std::unordered_map<ValueId, ValueId> replacements_;
  std::set<std::string> ops_this_round_;
  std::set<ValueId> failed_;
  std::set<std::string> failed_ops_without_outputs_;
};

}  // namespace

int run_decompositions(Graph& graph, const TranslatorRegistry& registry, int opset,
                       std::vector<Diagnostic>& diagnostics) {
  return Decomposer(graph, registry, opset, diagnostics).run();
}

}  // namespace onnxport
