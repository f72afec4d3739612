// Graph IR: value table, naming, validation, text and JSON forms
// (sdk/include/onnxport/graph.hpp).
#include <onnxport/graph.hpp>

#include "graph/graph_validator.hpp"

#include "base/base64.hpp"
#include "base/checked_math.hpp"
#include "base/json_cursor.hpp"
#include "base/json_helpers.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace onnxport {

std::string_view value_role_name(ValueRole r) {
  switch (r) {
    case ValueRole::Intermediate: return "intermediate";
    case ValueRole::Input: return "input";
    case ValueRole::Parameter: return "parameter";
    case ValueRole::Buffer: return "buffer";
    case ValueRole::Constant: return "constant";
  }
  return "intermediate";
}

namespace {

std::string_view value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::Tensor: return "tensor";
    case ValueKind::SymInt: return "symint";
    case ValueKind::SymFloat: return "symfloat";
    case ValueKind::SymBool: return "symbool";
  }
  return "tensor";
}

}  // namespace

std::string Value::type_str() const {
  switch (kind) {
    case ValueKind::SymInt: return "SymInt";
    case ValueKind::SymFloat: return "SymFloat";
    case ValueKind::SymBool: return "SymBool";
    case ValueKind::Tensor: break;
  }
  return std::string(dtype_short_name(dtype)) + shape_str(shape);
}

// ---------------------------------------------------------------------------
// Naming

ValueId Graph::add_value(Value v) {
  sync_used_names();
  used_names_.insert(v.name);
  values.push_back(std::move(v));
  names_synced_ = values.size();
  return static_cast<ValueId>(values.size() - 1);
}

void Graph::sync_used_names() {
  // Values pushed directly (the tracer names its own, core/src/trace/tracer.hpp)
  // arrive here all at once: one reservation instead of a rehash per doubling.
  if (values.size() > names_synced_) used_names_.reserve(used_names_.size() + (values.size() - names_synced_));
  for (; names_synced_ < values.size(); ++names_synced_) used_names_.insert(values[names_synced_].name);
}

std::string Graph::unique_name(const std::string& base) {
  sync_used_names();
  if (used_names_.insert(base).second) return base;
  // Resume from the last suffix handed out for this base, so a run of N
  // requests for "linear" costs O(N) in total, not O(N^2).
  int& next = name_counts_[base];
  if (next < 1) next = 1;
  std::string candidate;
  do {
    candidate = base + "_" + std::to_string(next++);
  } while (!used_names_.insert(candidate).second);
  return candidate;
}

// ---------------------------------------------------------------------------
// Validation

namespace {

// One linear walk over the graph. Each value is in one of three states; a
// block's definitions go out of scope when the block ends, so a use after the
// block (or from a sibling block) is reported.
class GraphValidator {
 public:
  GraphValidator(const Graph& g, ValidNodeVisitor* visitor)
      : g_(g), visitor_(visitor), state_(g.values.size(), State::Undefined) {}

  std::vector<std::string> run() {
    check_unique_names();
    scopes_.emplace_back();
    for (ValueId id : g_.inputs) define(id, [] { return std::string("graph input"); });
    for (ValueId id : g_.params) define(id, [] { return std::string("graph parameter"); });
    check_block_body(g_.body, "body");
    for (const auto& [name, id] : g_.mutated_buffers) use(id, [&] { return "mutated buffer '" + name + "'"; });
    for (const auto& [name, id] : g_.mutated_inputs) use(id, [&] { return "mutated input '" + name + "'"; });
    return std::move(errors_);
  }

 private:
  enum class State : uint8_t { Undefined, Live, OutOfScope };

  void error(std::string msg) { errors_.push_back(std::move(msg)); }

  std::string describe(ValueId id) const {
    return "%" + std::to_string(id) + " '" + g_.values[static_cast<size_t>(id)].name + "'";
  }

  // `where` makes the text of the place (a callable returning std::string):
  // built only for an error, since a valid graph of N nodes would otherwise
  // format N places (and one per input) that nobody reads.
  template <class Where>
  bool in_range(ValueId id, const Where& where) {
    if (id >= 0 && static_cast<size_t>(id) < g_.values.size()) return true;
    error(where() + ": dangling value id " + std::to_string(id) + " (graph has " +
          std::to_string(g_.values.size()) + " values)");
    return false;
  }

  template <class Where>
  void define(ValueId id, const Where& where) {
    if (!in_range(id, where)) return;
    auto& st = state_[static_cast<size_t>(id)];
    if (st != State::Undefined) {
      error(where() + ": value " + describe(id) + " is defined more than once");
      return;
    }
    st = State::Live;
    scopes_.back().push_back(id);
  }

  template <class Where>
  void use(ValueId id, const Where& where) {
    if (!in_range(id, where)) return;
    switch (state_[static_cast<size_t>(id)]) {
      case State::Live: return;
      case State::Undefined:
        error(where() + ": value " + describe(id) + " is used before its definition");
        return;
      case State::OutOfScope:
        error(where() + ": value " + describe(id) + " is used outside the block that defines it");
        return;
    }
  }

  // Not a template: list items nest, and each level would be a new type.
  void use_arg(const Arg& a, const std::function<std::string()>& where) {
    if (a.is_value()) use(a.value, where);
    if (a.is_list())
      for (size_t k = 0; k < a.items.size(); ++k)
        use_arg(a.items[k], [&] { return where() + "[" + std::to_string(k) + "]"; });
  }

  void check_block_body(const Block& b, const std::string& path) {
    for (size_t i = 0; i < b.inputs.size(); ++i) define(b.inputs[i], [&] { return path + " input " + std::to_string(i); });
    for (size_t i = 0; i < b.nodes.size(); ++i) {
      // A node's inputs and outputs are heap arrays of their own, cold on a
      // large graph (perf, bench/scaling: check_node 19 -> 161 samples for
      // 4x the layers): asked for a few nodes ahead. Changes no result.
      if (i + 4 < b.nodes.size()) {
        __builtin_prefetch(b.nodes[i + 4].inputs.data());
        __builtin_prefetch(b.nodes[i + 4].outputs.data());
      }
      check_node(b.nodes[i], path, i);
    }
    for (size_t i = 0; i < b.outputs.size(); ++i) use(b.outputs[i], [&] { return path + " output " + std::to_string(i); });
  }

  void check_nested_block(const Block& b, const std::string& path) {
    scopes_.emplace_back();
    check_block_body(b, path);
    for (ValueId id : scopes_.back()) state_[static_cast<size_t>(id)] = State::OutOfScope;
    scopes_.pop_back();
  }

  // Node `index` of the block at `block_path`.
  void check_node(const Node& n, const std::string& block_path, size_t index) {
    auto path = [&] { return block_path + "/nodes/" + std::to_string(index); };
    auto where = [&] { return path() + " (" + n.op + ")"; };
    for (size_t i = 0; i < n.inputs.size(); ++i)
      use_arg(n.inputs[i], [&] { return where() + " input " + std::to_string(i); });
    if (visitor_ != nullptr && errors_.empty()) visitor_->visit(n, path);
    if (n.op == "higher_order::cond" || n.op == "higher_order::loop") check_higher_order_arity(n, where());
    // Blocks see the outer values defined so far, but not the node's own outputs.
    for (size_t k = 0; k < n.blocks.size(); ++k) check_nested_block(n.blocks[k], path() + "/blocks/" + std::to_string(k));
    for (size_t i = 0; i < n.outputs.size(); ++i)
      define(n.outputs[i], [&] { return where() + " output " + std::to_string(i); });
  }

  void check_higher_order_arity(const Node& n, const std::string& where) {
    if (n.op == "higher_order::cond") check_cond_arity(n, where);
    if (n.op == "higher_order::loop") check_loop_arity(n, where);
  }

  void check_cond_arity(const Node& n, const std::string& where) {
    if (n.inputs.empty()) error(where + ": cond needs a predicate input");
    if (n.blocks.size() != 2) {
      error(where + ": cond needs 2 blocks (then, else), has " + std::to_string(n.blocks.size()));
      return;
    }
    for (size_t k = 0; k < 2; ++k) {
      const Block& b = n.blocks[k];
      if (!b.inputs.empty()) error(where + " block " + std::to_string(k) + ": cond branches take no inputs (they capture outer values)");
      if (b.outputs.size() != n.outputs.size())
        error(where + " block " + std::to_string(k) + ": returns " + std::to_string(b.outputs.size()) +
              " values, the cond node has " + std::to_string(n.outputs.size()) + " outputs");
    }
  }

  void check_loop_arity(const Node& n, const std::string& where) {
    if (n.inputs.size() < 2) {
      error(where + ": loop needs (max_trip, cond, carried...) inputs, has " + std::to_string(n.inputs.size()));
      return;
    }
    if (n.blocks.size() != 1) {
      error(where + ": loop needs 1 body block, has " + std::to_string(n.blocks.size()));
      return;
    }
    const size_t carried = n.inputs.size() - 2;
    const Block& body = n.blocks[0];
    if (body.inputs.size() != carried + 1)
      error(where + ": loop body takes " + std::to_string(body.inputs.size()) + " inputs, expected 1 + " +
            std::to_string(carried) + " carried");
    if (body.outputs.size() < carried + 1) {
      error(where + ": loop body returns " + std::to_string(body.outputs.size()) + " values, expected at least 1 + " +
            std::to_string(carried) + " carried");
      return;
    }
    if (n.outputs.size() != body.outputs.size() - 1)
      error(where + ": loop has " + std::to_string(n.outputs.size()) + " outputs, its body yields " +
            std::to_string(body.outputs.size() - 1) + " (carried + scan)");
  }

  // Every name once: the values are partitioned by the top bits of their
  // name's hash (kept in value order inside each partition) and each
  // partition gets a small open-addressing table that stays in the cache.
  // One table for every name (as before) was megabytes on a large graph,
  // and each insert then waited for a cold slot: the check grew about 8x
  // for 4x the layers of bench/scaling (perf; bench/README.md). A slot is
  // (upper half of the hash) << 32 | (value index + 1), 0: empty; a probe
  // reads another value's name only when the hash halves match. The errors
  // are reported in value order, as one walk over the values would.
  void check_unique_names() {
    constexpr unsigned kPartitionBits = 6;  // 64 partitions: a partition's number fits a byte
    constexpr size_t kPartitions = size_t{1} << kPartitionBits;
    const size_t n = g_.values.size();
    const auto partition_of = [](size_t h) { return h >> (64 - kPartitionBits); };
    constexpr uint8_t kUnnamed = 0xff;  // the partition of a value without a name
    std::vector<size_t> hashes(n);
    std::vector<uint8_t> partition(n, kUnnamed);  // the values are not read again to sort them
    std::vector<uint32_t> starts(kPartitions + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      if (i + 8 < n) __builtin_prefetch(g_.values[i + 8].name.data());
      const std::string& name = g_.values[i].name;
      if (name.empty()) continue;
      hashes[i] = std::hash<std::string_view>{}(name);
      partition[i] = static_cast<uint8_t>(partition_of(hashes[i]));
      ++starts[partition[i] + 1];
    }
    size_t largest = 0;
    for (size_t p = 0; p < kPartitions; ++p) {
      largest = std::max<size_t>(largest, starts[p + 1]);
      starts[p + 1] += starts[p];
    }
    std::vector<uint32_t> members(starts[kPartitions]);  // value indices, by partition, in value order
    std::vector<uint32_t> next(starts.begin(), starts.end() - 1);
    for (size_t i = 0; i < n; ++i)
      if (partition[i] != kUnnamed) members[next[partition[i]]++] = static_cast<uint32_t>(i);

    size_t slot_count = 16;
    while (slot_count < 2 * largest) slot_count *= 2;
    std::vector<uint64_t> slots(slot_count);
    std::vector<std::pair<size_t, size_t>> repeats;  // (value, the first value of its name)
    for (size_t p = 0; p < kPartitions; ++p) {
      const uint32_t first = starts[p], last = starts[p + 1];
      if (first == last) continue;
      size_t size = 16;
      while (size < 2 * size_t{last - first}) size *= 2;
      std::fill_n(slots.begin(), size, 0);
      const size_t mask = size - 1;
      for (uint32_t m = first; m < last; ++m) {
        const size_t i = members[m];
        const size_t h = hashes[i];
        const uint64_t tag = h >> 32;
        size_t k = h & mask;
        for (; slots[k] != 0; k = (k + 1) & mask) {
          if ((slots[k] >> 32) != tag) continue;
          const size_t other = (slots[k] & 0xffffffffu) - 1;
          if (g_.values[other].name == g_.values[i].name) {
            repeats.emplace_back(i, other);
            break;
          }
        }
        if (slots[k] == 0) slots[k] = (tag << 32) | static_cast<uint64_t>(i + 1);
      }
    }
    std::sort(repeats.begin(), repeats.end());
    for (const auto& [i, other] : repeats)
      error("values %" + std::to_string(other) + " and %" + std::to_string(i) + " share the name '" +
            g_.values[i].name + "'");
  }

  const Graph& g_;
  ValidNodeVisitor* visitor_;
  std::vector<State> state_;
  std::vector<std::vector<ValueId>> scopes_;
  std::vector<std::string> errors_;
};

size_t count_nodes(const Block& b) {
  size_t n = b.nodes.size();
  for (const auto& node : b.nodes)
    for (const auto& sub : node.blocks) n += count_nodes(sub);
  return n;
}

}  // namespace

std::vector<std::string> validate_graph(const Graph& graph, ValidNodeVisitor* visitor) {
  return GraphValidator(graph, visitor).run();
}

std::vector<std::string> Graph::validate() const { return validate_graph(*this, nullptr); }

size_t Graph::node_count() const { return count_nodes(body); }

// ---------------------------------------------------------------------------
// Text form (FX-like)

namespace {

std::string python_literal(const nlohmann::json& c) {
  if (c.is_null()) return "None";
  if (c.is_boolean()) return c.get<bool>() ? "True" : "False";
  if (c.is_string()) return "'" + c.get<std::string>() + "'";
  if (c.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < c.size(); ++i) s += (i ? ", " : "") + python_literal(c[i]);
    return s + "]";
  }
  if (c.is_object()) {
    if (c.contains("dtype") && c.size() == 1 && c["dtype"].is_string()) return "torch." + c["dtype"].get<std::string>();
    if (c.contains("device") && c.size() == 1 && c["device"].is_string())
      return "device('" + c["device"].get<std::string>() + "')";
    if (c.contains("tensor") && c["tensor"].is_object()) {
      const auto& t = c["tensor"];
      std::string dtype = t.value("dtype", "?");
      auto parsed = dtype_from_name(dtype);
      std::string shape = t.contains("shape") ? t["shape"].dump() : "[]";
      return "tensor(" + std::string(parsed ? dtype_short_name(*parsed) : dtype) + shape + ")";
    }
  }
  return c.dump();
}

class GraphPrinter {
 public:
  explicit GraphPrinter(const Graph& g) : g_(g) {}

  std::string run() {
    print_signature();
    print_params();
    print_nodes(g_.body, 1);
    line(1, "return " + tuple(g_.body.outputs));
    print_footer();
    return out_;
  }

 private:
  void line(int indent, const std::string& text) {
    out_.append(static_cast<size_t>(indent) * 4, ' ');
    out_ += text;
    out_ += '\n';
  }

  const Value& v(ValueId id) const { return g_.value(id); }
  bool valid(ValueId id) const { return id >= 0 && static_cast<size_t>(id) < g_.values.size(); }
  std::string name(ValueId id) const { return valid(id) ? v(id).name : "<bad %" + std::to_string(id) + ">"; }
  std::string typed(ValueId id) const {
    return valid(id) ? name(id) + ": \"" + v(id).type_str() + "\"" : name(id);
  }

  std::string tuple(const std::vector<ValueId>& ids) const {
    std::string s = "(";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + name(ids[i]);
    return s + (ids.size() == 1 ? ",)" : ")");
  }

  std::string arg(const Arg& a) const {
    if (a.is_value()) return name(a.value);
    if (a.is_constant()) return python_literal(a.constant);
    std::string s = "[";
    for (size_t i = 0; i < a.items.size(); ++i) s += (i ? ", " : "") + arg(a.items[i]);
    return s + "]";
  }

  void print_signature() {
    std::string sig = "def forward(self";
    for (ValueId id : g_.inputs) sig += ", " + typed(id);
    line(0, sig + "):");
  }

  void print_params() {
    for (ValueId id : g_.params) {
      if (!valid(id)) continue;
      line(1, "# " + std::string(value_role_name(v(id).role)) + " " + typed(id));
    }
  }

  void print_location(const Node& n, int indent) {
    const SourceLoc& loc = n.prov.loc;
    if (!loc.known()) return;
    if (loc.file == last_file_ && loc.line == last_line_) return;
    last_file_ = loc.file;
    last_line_ = loc.line;
    std::string comment = "# File: " + (loc.file.empty() ? "<unknown>" : loc.file) + ":" + std::to_string(loc.line);
    if (!loc.text.empty()) comment += ", code: " + loc.text;
    line(indent, comment);
  }

  static std::string block_label(const Node& n, size_t k) {
    if (n.op == "higher_order::cond") return k == 0 ? "true_branch" : "false_branch";
    if (n.op == "higher_order::loop") return "body";
    return "block" + std::to_string(k);
  }

  void print_node(const Node& n, int indent) {
    print_location(n, indent);
    std::string call = n.op + "(";
    for (size_t i = 0; i < n.inputs.size(); ++i) call += (i ? ", " : "") + arg(n.inputs[i]);
    bool first = n.inputs.empty();
    if (n.attrs.is_object())
      for (const auto& [key, value] : n.attrs.items()) {
        if (key == "overload") continue;  // the recorded overload (program.json) is not an argument
        call += (first ? "" : ", ") + key + "=" + python_literal(value);
        first = false;
      }
    call += ")";
    std::string lhs;
    for (size_t i = 0; i < n.outputs.size(); ++i) lhs += (i ? ", " : "") + typed(n.outputs[i]);
    line(indent, lhs.empty() ? call : lhs + " = " + call);
    for (size_t k = 0; k < n.blocks.size(); ++k) print_block(n.blocks[k], block_label(n, k), indent + 1);
  }

  void print_block(const Block& b, const std::string& label, int indent) {
    std::string header = "# " + label + "(";
    for (size_t i = 0; i < b.inputs.size(); ++i) header += (i ? ", " : "") + typed(b.inputs[i]);
    line(indent, header + "):");
    print_nodes(b, indent + 1);
    line(indent + 1, "return " + tuple(b.outputs));
  }

  void print_nodes(const Block& b, int indent) {
    for (const auto& n : b.nodes) print_node(n, indent);
  }

  void print_footer() {
    if (!g_.guards.empty()) {
      out_ += "\n# guards (assumed true for this export):\n";
      for (const auto& gd : g_.guards) out_ += "#   " + annotated(gd.expr, gd.loc, gd.note) + "\n";
    }
    if (!g_.assertions.empty()) {
      out_ += "\n# runtime assertions (specialized on the example inputs; must hold at run time):\n";
      for (const auto& a : g_.assertions) out_ += "#   " + annotated(a.expr, a.loc, a.note) + "\n";
    }
    if (!g_.mutated_buffers.empty()) {
      out_ += "\n# mutated buffers:\n";
      for (const auto& [buffer, id] : g_.mutated_buffers) out_ += "#   " + buffer + " <- " + name(id) + "\n";
    }
    if (!g_.mutated_inputs.empty()) {
      out_ += "\n# mutated inputs:\n";
      for (const auto& [input, id] : g_.mutated_inputs) out_ += "#   " + input + " <- " + name(id) + "\n";
    }
    if (!g_.sound) out_ += "\n# NOT SOUND: this graph specializes data-dependent behaviour of the example inputs\n";
  }

  static std::string annotated(const std::string& expr, const SourceLoc& loc, const std::string& note) {
    std::string s = expr;
    if (loc.known()) s += "  at " + loc.str() + (loc.text.empty() ? "" : " (" + loc.text + ")");
    if (!note.empty()) s += "  -- " + note;
    return s;
  }

  const Graph& g_;
  std::string out_;
  std::string last_file_;
  int last_line_ = -1;
};

}  // namespace

std::string Graph::to_text() const { return GraphPrinter(*this).run(); }

// ---------------------------------------------------------------------------
// JSON form

namespace {

nlohmann::json shape_to_json(const Shape& s) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& d : s) {
    if (d.is_static()) j.push_back(d.value());
    else j.push_back(d.expr());
  }
  return j;
}

nlohmann::json tensor_to_json(const Tensor& t, bool with_data) {
  nlohmann::json j;
  j["dtype"] = dtype_name(t.dtype());
  j["shape"] = t.shape();
  if (with_data && t.bytes() != nullptr)
    j["base64"] = base64_encode(std::span<const std::byte>(t.bytes(), t.nbytes()));
  return j;
}

nlohmann::json arg_to_json(const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::Value: return {{"value", a.value}};
    case Arg::Kind::Constant: return {{"constant", a.constant}};
    case Arg::Kind::List: {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& item : a.items) items.push_back(arg_to_json(item));
      return {{"list", items}};
    }
  }
  return nullptr;
}

nlohmann::json block_to_json(const Block& b);

nlohmann::json node_to_json(const Node& n) {
  nlohmann::json j;
  j["op"] = n.op;
  j["inputs"] = nlohmann::json::array();
  for (const auto& a : n.inputs) j["inputs"].push_back(arg_to_json(a));
  j["outputs"] = n.outputs;
  j["attrs"] = n.attrs;
  if (!n.blocks.empty()) {
    j["blocks"] = nlohmann::json::array();
    for (const auto& b : n.blocks) j["blocks"].push_back(block_to_json(b));
  }
  nlohmann::json prov = nlohmann::json::object();
  if (n.prov.loc.known() || !n.prov.loc.text.empty()) prov["loc"] = source_loc_to_json(n.prov.loc);
  if (!n.prov.scope.empty()) prov["scope"] = n.prov.scope;
  if (!n.prov.original_kind.empty()) prov["original_kind"] = n.prov.original_kind;
  if (!prov.empty()) j["prov"] = prov;
  return j;
}

nlohmann::json block_to_json(const Block& b) {
  nlohmann::json j;
  j["inputs"] = b.inputs;
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : b.nodes) j["nodes"].push_back(node_to_json(n));
  j["outputs"] = b.outputs;
  return j;
}

nlohmann::json value_to_json(const Value& v, bool with_data) {
  nlohmann::json j;
  j["name"] = v.name;
  j["dtype"] = dtype_name(v.dtype);
  j["shape"] = shape_to_json(v.shape);
  j["kind"] = value_kind_name(v.kind);
  j["role"] = value_role_name(v.role);
  if (v.data.defined()) j["data"] = tensor_to_json(v.data, with_data);
  return j;
}

// --- reading back: every field is type-checked, errors carry the pointer.

const char* const kGraphFile = "graph JSON";

DType read_dtype(const JsonCursor& c) {
  auto name = c.as_string();
  if (name == "undefined") return DType::Undefined;
  auto d = dtype_from_name(name);
  if (!d) c.fail("unknown dtype '" + name + "'");
  return *d;
}

Shape read_shape(const JsonCursor& c) {
  c.expect_array();
  Shape s;
  for (size_t i = 0; i < c.size(); ++i) {
    auto d = c.at(i);
    if (d.json().is_string()) s.push_back(Dim::symbol(d.as_string()));
    else s.push_back(Dim(d.as_int_in(0, INT64_MAX)));
  }
  return s;
}

// {"file", "line", "col", "text"}, each optional, each type-checked.
SourceLoc read_loc(const JsonCursor& c) {
  c.expect_object();
  SourceLoc loc;
  if (auto f = c.find("file")) loc.file = f->as_string();
  if (auto l = c.find("line")) loc.line = static_cast<int>(l->as_int_in(0, INT_MAX));
  if (auto k = c.find("col")) loc.col = static_cast<int>(k->as_int_in(0, INT_MAX));
  if (auto t = c.find("text")) loc.text = t->as_string();
  return loc;
}

std::vector<int64_t> read_int_list(const JsonCursor& c) {
  c.expect_array();
  std::vector<int64_t> out;
  out.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) out.push_back(c.at(i).as_int());
  return out;
}

ValueId read_id(const JsonCursor& c) { return static_cast<ValueId>(c.as_int_in(0, std::numeric_limits<ValueId>::max())); }

std::vector<ValueId> read_ids(const JsonCursor& c) {
  c.expect_array();
  std::vector<ValueId> out;
  out.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) out.push_back(read_id(c.at(i)));
  return out;
}

Tensor read_tensor(const JsonCursor& c) {
  DType dtype = read_dtype(c.at("dtype"));
  if (dtype == DType::Undefined) c.at("dtype").fail("a tensor needs a defined dtype");
  const auto shape_cursor = c.at("shape");
  auto shape = read_int_list(shape_cursor);
  // Checked before anything is allocated or compared with the data length.
  if (!checked_nbytes(shape, dtype_size(dtype)))
    shape_cursor.fail("shape " + shape_cursor.json().dump() + " has a negative dimension or more bytes than fit in 64 bits");
  auto b64 = c.find("base64");
  if (!b64) return Tensor();  // metadata only: the dump was written without data
  auto bytes = base64_decode(b64->as_string());
  if (!bytes) b64->fail("invalid base64");
  try {
    return Tensor::from_bytes(dtype, std::move(shape), *bytes);
  } catch (const std::exception& e) {  // a length mismatch, or above the tensor size limit
    b64->fail(e.what());
  }
}

ValueKind read_kind(const JsonCursor& c) {
  auto s = c.as_string();
  for (auto k : {ValueKind::Tensor, ValueKind::SymInt, ValueKind::SymFloat, ValueKind::SymBool})
    if (value_kind_name(k) == s) return k;
  c.fail("unknown value kind '" + s + "'");
}

ValueRole read_role(const JsonCursor& c) {
  auto s = c.as_string();
  for (auto r : {ValueRole::Intermediate, ValueRole::Input, ValueRole::Parameter, ValueRole::Buffer, ValueRole::Constant})
    if (value_role_name(r) == s) return r;
  c.fail("unknown value role '" + s + "'");
}

Value read_value(const JsonCursor& c) {
  Value v;
  v.name = c.at("name").as_string();
  v.dtype = read_dtype(c.at("dtype"));
  v.shape = read_shape(c.at("shape"));
  if (auto k = c.find("kind")) v.kind = read_kind(*k);
  if (auto r = c.find("role")) v.role = read_role(*r);
  if (auto d = c.find("data", true)) v.data = read_tensor(*d);
  return v;
}

Arg read_arg(const JsonCursor& c) {
  c.expect_object();
  if (auto v = c.find("value")) return Arg::of(read_id(*v));
  if (auto k = c.find("constant")) return Arg::of_constant(k->json());
  if (auto l = c.find("list")) {
    l->expect_array();
    std::vector<Arg> items;
    for (size_t i = 0; i < l->size(); ++i) items.push_back(read_arg(l->at(i)));
    return Arg::list(std::move(items));
  }
  c.fail("expected an argument object with 'value', 'constant' or 'list'");
}

Block read_block(const JsonCursor& c);

Node read_node(const JsonCursor& c) {
  Node n;
  n.op = c.at("op").as_string();
  auto inputs = c.at("inputs");
  inputs.expect_array();
  for (size_t i = 0; i < inputs.size(); ++i) n.inputs.push_back(read_arg(inputs.at(i)));
  n.outputs = read_ids(c.at("outputs"));
  if (auto a = c.find("attrs", true)) n.attrs = a->expect_object().json();
  if (auto blocks = c.find("blocks")) {
    blocks->expect_array();
    for (size_t k = 0; k < blocks->size(); ++k) n.blocks.push_back(read_block(blocks->at(k)));
  }
  if (auto prov = c.find("prov")) {
    prov->expect_object();
    if (auto loc = prov->find("loc")) n.prov.loc = read_loc(*loc);
    if (auto scope = prov->find("scope")) n.prov.scope = scope->as_string();
    if (auto kind = prov->find("original_kind")) n.prov.original_kind = kind->as_string();
  }
  return n;
}

Block read_block(const JsonCursor& c) {
  Block b;
  if (auto in = c.find("inputs")) b.inputs = read_ids(*in);
  auto nodes = c.at("nodes");
  nodes.expect_array();
  b.nodes.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) b.nodes.push_back(read_node(nodes.at(i)));
  b.outputs = read_ids(c.at("outputs"));
  return b;
}

template <class T>
std::vector<T> read_conditions(const JsonCursor& c) {
  c.expect_array();
  std::vector<T> out;
  for (size_t i = 0; i < c.size(); ++i) {
    auto item = c.at(i);
    T t;
    t.expr = item.at("expr").as_string();
    if (auto loc = item.find("loc")) t.loc = read_loc(*loc);
    if (auto note = item.find("note")) t.note = note->as_string();
    out.push_back(std::move(t));
  }
  return out;
}

template <class T>
nlohmann::json conditions_to_json(const std::vector<T>& items) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& t : items) j.push_back({{"expr", t.expr}, {"loc", source_loc_to_json(t.loc)}, {"note", t.note}});
  return j;
}

}  // namespace

nlohmann::json Graph::to_json(bool with_data) const {
  nlohmann::json j;
  j["format"] = "onnxport.graph";
  j["version"] = 1;
  j["name"] = name;
  j["values"] = nlohmann::json::array();
  for (const auto& v : values) j["values"].push_back(value_to_json(v, with_data));
  j["inputs"] = inputs;
  j["params"] = params;
  j["body"] = block_to_json(body);
  j["guards"] = conditions_to_json(guards);
  j["assertions"] = conditions_to_json(assertions);
  j["mutated_buffers"] = nlohmann::json::array();
  for (const auto& [buffer, id] : mutated_buffers) j["mutated_buffers"].push_back({buffer, id});
  j["mutated_inputs"] = nlohmann::json::array();
  for (const auto& [input, id] : mutated_inputs) j["mutated_inputs"].push_back({input, id});
  j["sound"] = sound;
  return j;
}

Graph Graph::from_json(const nlohmann::json& j) {
  JsonCursor root(j, kGraphFile);
  root.expect_object();
  if (auto f = root.find("format"); f && f->as_string() != "onnxport.graph")
    f->fail("expected \"onnxport.graph\", got \"" + f->as_string() + "\"");
  if (auto v = root.find("version"); v && v->as_int() != 1)
    v->fail("unsupported graph version " + std::to_string(v->as_int()));
  Graph g;
  if (auto n = root.find("name")) g.name = n->as_string();
  auto values = root.at("values");
  values.expect_array();
  g.values.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) g.add_value(read_value(values.at(i)));
  g.inputs = read_ids(root.at("inputs"));
  if (auto p = root.find("params")) g.params = read_ids(*p);
  g.body = read_block(root.at("body"));
  if (auto gd = root.find("guards")) g.guards = read_conditions<Guard>(*gd);
  if (auto as = root.find("assertions")) g.assertions = read_conditions<RuntimeAssertion>(*as);
  const auto read_mutations = [&](const char* key, const char* what, auto& into) {
    auto list = root.find(key);
    if (!list) return;
    list->expect_array();
    for (size_t i = 0; i < list->size(); ++i) {
      auto pair = list->at(i);
      pair.expect_array();
      if (pair.size() != 2) pair.fail(std::string("expected [") + what + " name, value id]");
      into.emplace_back(pair.at(0).as_string(), read_id(pair.at(1)));
    }
  };
  read_mutations("mutated_buffers", "buffer", g.mutated_buffers);
  read_mutations("mutated_inputs", "input", g.mutated_inputs);
  if (auto s = root.find("sound")) g.sound = s->as_bool();
  return g;
}

}  // namespace onnxport
