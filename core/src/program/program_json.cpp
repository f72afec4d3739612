// parse_program: program.json v1 -> Program (docs/program-format.md).
//
// One pass over the document: every field is type-checked where it is read,
// and value names are resolved in program order with block scoping, so an
// error always carries the JSON pointer of the offending field.
#include <onnxport_core/bundle.hpp>

#include "base/checked_math.hpp"
#include "base/flat_name_map.hpp"
#include "base/json_cursor.hpp"
#include "base/json_file.hpp"
#include "base/json_pull.hpp"
#include "program_constants.hpp"
#include "program_json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace onnxport {

namespace {

constexpr const char* kFormat = "onnxport.program";
constexpr int64_t kVersion = 1;

bool is_symbol_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return true;
}

// Reads the items in place; a cursor (and its pointer string) is made only
// for an item that is not a string, to fail with its place.
std::vector<std::string> read_strings(const JsonCursor& c) {
  c.expect_array();
  std::vector<std::string> out;
  out.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    const nlohmann::json& item = c.json()[i];
    if (!item.is_string()) c.at(i).as_string();  // throws "expected a string, got ..." at /.../i
    out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

DType read_dtype(const JsonCursor& c) {
  const auto name = c.as_string();
  auto dtype = dtype_from_name(name);
  if (!dtype) c.fail("unknown dtype '" + name + "'");
  return *dtype;
}

Shape read_shape(const JsonCursor& c) {
  c.expect_array();
  Shape shape;
  for (size_t i = 0; i < c.size(); ++i) {
    const auto d = c.at(i);
    if (d.json().is_string()) {
      const auto sym = d.as_string();
      if (!is_symbol_name(sym)) d.fail("invalid symbolic dim '" + sym + "' (expected a name like \"batch\")");
      shape.push_back(Dim::symbol(sym));
    } else if (d.json().is_number_integer()) {
      const int64_t v = d.as_int();
      if (v < 0) d.fail("negative dimension " + std::to_string(v));
      shape.push_back(Dim(v));
    } else {
      d.fail("expected a dimension (an integer or a symbol name), got " + json_type_name(d.json()));
    }
  }
  return shape;
}

std::vector<int64_t> read_sizes(const JsonCursor& c) {
  c.expect_array();
  std::vector<int64_t> out;
  for (size_t i = 0; i < c.size(); ++i) {
    const int64_t v = c.at(i).as_int();
    if (v < 0) c.at(i).fail("negative dimension " + std::to_string(v));
    out.push_back(v);
  }
  return out;
}

SourceLoc read_source(const JsonCursor& c) {
  c.expect_object();
  c.reject_unknown_keys({"file", "line", "col", "text"});
  SourceLoc loc;
  if (const std::string* f = c.find_string("file")) loc.file = *f;
  if (auto l = c.find_int_in("line", 0, INT_MAX)) loc.line = static_cast<int>(*l);
  if (auto k = c.find_int_in("col", 0, INT_MAX)) loc.col = static_cast<int>(*k);
  if (const std::string* t = c.find_string("text")) loc.text = *t;
  return loc;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "Tuple[Tensor, List[int]]" -> {"Tensor", "List[int]"}; "List[Tensor]" -> {"Tensor"}.
std::vector<std::string> type_arguments(const std::string& type) {
  std::vector<std::string> out;
  const size_t open = type.find('[');
  if (open == std::string::npos || type.back() != ']') return out;
  int depth = 0;
  std::string current;
  auto flush = [&] {
    const size_t b = current.find_first_not_of(' '), e = current.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(current.substr(b, e - b + 1));
    current.clear();
  };
  for (size_t i = open + 1; i + 1 < type.size(); ++i) {
    const char ch = type[i];
    if (ch == '[') ++depth;
    if (ch == ']') --depth;
    if (ch == ',' && depth == 0) flush();
    else current += ch;
  }
  flush();
  return out;
}

// Whether a value of type `element` may stand where a sequence holds `item`.
bool element_fits(const std::string& element, const std::string& item) {
  if (element == item || item == "Any") return true;
  if (starts_with(item, "Optional[")) return element == "NoneType" || "Optional[" + element + "]" == item;
  return false;
}

// Records, while program.json is parsed, the file order of the keys of every
// module's `children` object (/module/children, /module/children/a/children,
// ...): nlohmann::json sorts object keys, and children are registration-ordered.
class ChildrenOrderRecorder : public JsonParseObserver {
 public:
  void object_start() override { stack_.push_back(child_frame()); }
  void array_start() override { stack_.push_back({Role::Other, "", ""}); }
  void object_end() override { stack_.pop_back(); }
  void array_end() override { stack_.pop_back(); }
  void key(const std::string& key) override {
    Frame& f = stack_.back();
    if (f.role == Role::Other) return;  // graph nodes and the like: nothing to record below them
    f.key = key;
    if (f.role == Role::Children) order_[f.pointer].push_back(key);
  }

  // Keys of the children object at `pointer` in file order, or null if it was not seen.
  const std::vector<std::string>* order_of(const std::string& pointer) const {
    auto it = order_.find(pointer);
    return it == order_.end() ? nullptr : &it->second;
  }

 private:
  enum class Role { Other, Root, Module, Children };
  struct Frame {
    Role role;
    std::string pointer;  // kept for Module and Children frames only
    std::string key;      // the key being read (objects)
  };

  // The frame of an object opening under the current top of the stack.
  Frame child_frame() const {
    if (stack_.empty()) return {Role::Root, "", ""};
    const Frame& parent = stack_.back();
    Role role = Role::Other;
    if (parent.role == Role::Root && parent.key == "module") role = Role::Module;
    else if (parent.role == Role::Module && parent.key == "children") role = Role::Children;
    else if (parent.role == Role::Children) role = Role::Module;
    if (role == Role::Other) return {role, "", ""};
    return {role, parent.pointer + "/" + json_pointer_token(parent.key), ""};
  }

  std::vector<Frame> stack_;
  std::unordered_map<std::string, std::vector<std::string>> order_;
};

// Builds the Program in three steps so that the graph's nodes can be parsed
// while program.json is still being read (see ProgramStream below):
// begin() reads what nodes depend on (format, module tree, graph inputs),
// add_node() one top-level node, finish() the rest. run() does all three on
// a complete document.
class ProgramParser {
 public:
  ProgramParser(const nlohmann::json& doc, const std::filesystem::path& file,
                const ChildrenOrderRecorder* children_order = nullptr)
      : file_(file), root_(doc, file.string()), children_order_(children_order) {
    program_.program_file = file_;
    program_.dir = file_.parent_path();
  }

  const TiedWeights& tied_weights() const { return tied_weights_; }

  Program run() {
    root_.expect_object();
    reject_unknown_root_keys();
    begin();
    const auto nodes = root_.at("graph").at("nodes");
    nodes.expect_array();
    reserve_nodes(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) add_node(nodes.at(i));
    return finish();
  }

  // Whether what the nodes depend on is already in the (partly read)
  // document: format, version, module and graph.inputs, all complete since
  // the reader is inside /graph/nodes. The writers (torch2program,
  // bench/gen_program.py) put these keys first; a file that orders its keys
  // otherwise is parsed after it is read whole, with the same checks.
  bool ready_to_stream() const {
    const nlohmann::json& doc = root_.json();
    if (!doc.is_object() || !doc.contains("format") || !doc.contains("version") || !doc.contains("module"))
      return false;
    const auto graph = doc.find("graph");
    return graph != doc.end() && graph->is_object() && graph->contains("inputs");
  }

  void begin() {
    check_format_and_version();
    if (auto m = root_.find("module")) program_.module = parse_module(*m);
    const auto graph = root_.at("graph");
    graph.expect_object();
    scopes_.emplace_back();
    const auto inputs = graph.at("inputs");
    inputs.expect_array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      program_.inputs.push_back(parse_value_decl(inputs.at(i)));
      define(program_.inputs.back().name, inputs.at(i).at("name"));
    }
  }

  // `c` is the node at /graph/nodes/<i>, in program order.
  // In place: a ProgramNode is a few hundred bytes, and moving each one into
  // the vector (and again on every growth) was a measurable part of loading.
  void add_node(const JsonCursor& c) { parse_node_into(c, program_.graph.nodes.emplace_back()); }

  // Room for `n` top-level nodes before they are read (an upper bound is fine).
  // The definition table gets room for one name per node (most nodes define one).
  void reserve_nodes(size_t n) {
    program_.graph.nodes.reserve(n);
    defined_at_.reserve(n);
  }

  size_t node_count() const { return program_.graph.nodes.size(); }

  Program finish() {
    const auto graph = root_.at("graph");
    graph.reject_unknown_keys({"inputs", "nodes", "outputs"});
    parse_block_outputs(graph, program_.graph);
    if (auto n = root_.find("name")) program_.name = n->as_string();
    if (auto pr = root_.find("producer")) program_.producer = pr->expect_object().json();
    if (auto outs = root_.find("outputs")) program_.outputs = parse_output_decls(*outs, program_.graph.outputs);
    if (auto tied = root_.find("tied_weights")) tied_weights_ = parse_tied_weights(*tied);
    if (program_.name.empty()) program_.name = program_.module.type.empty() ? "program" : program_.module.type;
    return std::move(program_);
  }

  void reject_unknown_root_keys() const {
    root_.reject_unknown_keys(
        {"format", "version", "name", "producer", "module", "graph", "outputs", "metadata", "tied_weights"});
  }

 private:
  // Fills nodes straight from the text, with the same checks (below).
  friend class ProgramTextReader;

  // {"head.weight": "emb.weight"}: dotted names to dotted names; load_program
  // checks them against the module tree and the weights file.
  static TiedWeights parse_tied_weights(const JsonCursor& c) {
    c.expect_object();
    TiedWeights out;
    for (const auto& [name, _] : c.json().items()) {
      const std::string target = c.at(name).as_string();
      if (name.empty() || target.empty()) c.at(name).fail("a tied weight names a parameter or buffer by its dotted name");
      if (target == name) c.at(name).fail("weight '" + name + "' is tied to itself");
      out.emplace_back(name, target);
    }
    return out;
  }

  void check_format_and_version() {
    const auto format = root_.at("format");
    if (format.as_string() != kFormat)
      format.fail("expected \"" + std::string(kFormat) + "\", got \"" + format.as_string() + "\"");
    const auto version = root_.at("version");
    if (version.as_int() != kVersion)
      version.fail("unsupported version " + std::to_string(version.as_int()) + " (this build reads version " +
                   std::to_string(kVersion) + ")");
  }

  ModuleInfo parse_module(const JsonCursor& c) {
    c.expect_object();
    c.reject_unknown_keys({"type", "attributes", "parameters", "buffers", "children", "parameter_shapes"});
    ModuleInfo m;
    m.type = c.at("type").as_string();
    if (auto a = c.find("attributes")) m.attributes = parse_attributes(*a);
    if (auto p = c.find("parameters")) m.parameters = read_strings(*p);
    if (auto b = c.find("buffers")) m.buffers = read_strings(*b);
    if (auto s = c.find("parameter_shapes")) m.parameter_shapes = parse_parameter_shapes(*s, m);
    if (auto ch = c.find("children")) parse_children(*ch, m);
    return m;
  }

  // Children in the file's order when the text was parsed with a recorder,
  // else in key order.
  void parse_children(const JsonCursor& c, ModuleInfo& m) {
    c.expect_object();
    std::vector<std::string> names;
    if (const auto* order = children_order_ ? children_order_->order_of(c.pointer()) : nullptr) {
      names = *order;
    } else {
      for (const auto& [name, value] : c.json().items()) names.push_back(name);
    }
    m.children.reserve(names.size());
    std::unordered_set<std::string> seen;  // a key written twice in the text
    for (const auto& name : names) {
      if (!seen.insert(name).second) c.at(name).fail("duplicate child '" + name + "'");
      m.children.emplace_back(name, parse_module(c.at(name)));
    }
  }

  static nlohmann::json parse_attributes(const JsonCursor& c) {
    c.expect_object();
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : c.json().items()) out[name] = decode_attribute(c.member(name, value));
    return out;
  }

  // Every dotted path a prim::GetAttr may read ("mlp", "mlp.0", "mlp.0.weight",
  // "training"), so "path" attributes resolve in O(1) each. Built on the first
  // "path" attribute: a program without them never needs it.
  bool is_member(const std::string& path) {
    if (!members_indexed_) {
      index_members(program_.module, "");
      members_indexed_ = true;
    }
    return members_.count(path) != 0;
  }

  void index_members(const ModuleInfo& m, const std::string& prefix) {
    for (const auto& name : m.parameters) members_.insert(prefix + name);
    for (const auto& name : m.buffers) members_.insert(prefix + name);
    for (const auto& [name, value] : m.attributes.items()) members_.insert(prefix + name);
    for (const auto& [name, child] : m.children) {
      members_.insert(prefix + name);
      index_members(child, prefix + name + ".");
    }
  }

  static std::vector<std::pair<std::string, std::vector<int64_t>>> parse_parameter_shapes(const JsonCursor& c,
                                                                                        const ModuleInfo& m) {
    c.expect_object();
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    for (const auto& [name, value] : c.json().items()) {
      const auto entry = c.member(name, value);
      const bool declared = std::find(m.parameters.begin(), m.parameters.end(), name) != m.parameters.end() ||
                            std::find(m.buffers.begin(), m.buffers.end(), name) != m.buffers.end();
      if (!declared) entry.fail("shape given for '" + name + "', which is not a parameter or buffer of this module");
      out.emplace_back(name, read_sizes(entry));
    }
    return out;
  }

  ProgramValue parse_value_decl(const JsonCursor& c) {
    c.expect_object();
    c.reject_unknown_keys({"name", "type", "dtype", "shape", "elements"});
    ProgramValue v;
    v.name = c.at("name").as_string();
    if (v.name.empty()) c.at("name").fail("empty value name");
    if (auto t = c.find("type")) v.type = t->as_string();
    if (auto d = c.find("dtype", true)) v.dtype = read_dtype(*d);
    if (auto s = c.find("shape", true)) {
      v.shape = read_shape(*s);
      v.has_shape = true;
      check_static_size(v, *s);
    }
    if (auto e = c.find("elements", true)) v.elements = parse_elements(*e, v);
    return v;
  }

  // The static dims of a declared shape (symbolic ones aside) times the
  // element size must fit in int64: every size computed later from the
  // declaration (drawn inputs, byte counts) would wrap otherwise.
  static void check_static_size(const ProgramValue& v, const JsonCursor& shape) {
    std::vector<int64_t> sizes;
    for (const Dim& d : v.shape)
      if (d.is_static()) sizes.push_back(d.value());
    const DType dtype = v.dtype == DType::Undefined ? DType::Float32 : v.dtype;
    if (!checked_nbytes(sizes, dtype_size(dtype)))
      shape.fail("'" + v.name + "' declares " + std::string(dtype_short_name(dtype)) + shape_str(v.shape) +
                 ", more bytes than fit in 64 bits");
  }

  // The element declarations of a List[...] / Tuple[...] value: named
  // "<name>.<i>" (sequences are flattened in place), typed as the sequence's
  // item (List) or its i-th item (Tuple).
  std::vector<ProgramValue> parse_elements(const JsonCursor& c, const ProgramValue& seq) {
    c.expect_array();
    const bool is_list = starts_with(seq.type, "List[");
    const bool is_tuple = starts_with(seq.type, "Tuple[");
    if (!is_list && !is_tuple)
      c.fail("only List[...] and Tuple[...] values have elements; '" + seq.name + "' is " + seq.type);
    const auto items = type_arguments(seq.type);
    if (is_list && items.size() != 1)
      c.fail("'" + seq.name + "' is " + seq.type + ": a List takes exactly one item type, like List[Tensor]");
    if (is_tuple && items.size() != c.size())
      c.fail("'" + seq.name + "' is " + seq.type + " (" + std::to_string(items.size()) + " items) but declares " +
             std::to_string(c.size()) + " elements");
    std::vector<ProgramValue> out;
    out.reserve(c.size());
    for (size_t i = 0; i < c.size(); ++i) {
      const auto decl = c.at(i);
      out.push_back(parse_value_decl(decl));
      const std::string expected = seq.name + "." + std::to_string(i);
      if (out.back().name != expected)
        decl.at("name").fail("element " + std::to_string(i) + " of '" + seq.name + "' must be named '" + expected +
                             "' (sequences are flattened in place)");
      const std::string& item = is_list ? items.front() : items[i];
      if (!element_fits(out.back().type, item))
        decl.fail("element '" + expected + "' is " + out.back().type + " but " + seq.type + " holds " + item);
    }
    return out;
  }

  std::vector<ProgramValue> parse_output_decls(const JsonCursor& c, const std::vector<std::string>& graph_outputs) {
    c.expect_array();
    if (c.size() != graph_outputs.size())
      c.fail("declares " + std::to_string(c.size()) + " outputs, the graph returns " +
             std::to_string(graph_outputs.size()));
    std::vector<ProgramValue> out;
    for (size_t i = 0; i < c.size(); ++i) {
      out.push_back(parse_value_decl(c.at(i)));
      if (out.back().name != graph_outputs[i])
        c.at(i).at("name").fail("output " + std::to_string(i) + " is '" + graph_outputs[i] + "' in /graph/outputs");
    }
    return out;
  }

  // Reads nodes and outputs of a block whose inputs are already defined.
  void parse_block_body(const JsonCursor& c, ProgramBlock& block) {
    const auto nodes = c.at("nodes");
    nodes.expect_array();
    block.nodes.reserve(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) parse_node_into(nodes.at(i), block.nodes.emplace_back());
    parse_block_outputs(c, block);
  }

  void parse_block_outputs(const JsonCursor& c, ProgramBlock& block) {
    const auto outputs = c.at("outputs");
    block.outputs = read_strings(outputs);
    for (size_t i = 0; i < block.outputs.size(); ++i) use(block.outputs[i], outputs, i, "this block's end");
  }

  ProgramBlock parse_block(const JsonCursor& c) {
    c.expect_object();
    c.reject_unknown_keys({"inputs", "nodes", "outputs"});
    ProgramBlock block;
    scopes_.emplace_back();
    if (auto in = c.find("inputs")) {
      block.inputs = read_strings(*in);
      for (size_t i = 0; i < block.inputs.size(); ++i) define(block.inputs[i], in->at(i));
    }
    parse_block_body(c, block);
    // Values defined inside the block are not visible after it.
    for (const auto& name : scopes_.back()) defined_at_.erase(name);
    scopes_.pop_back();
    return block;
  }

  void parse_node_into(const JsonCursor& c, ProgramNode& n) {
    c.expect_object();
    c.reject_unknown_keys(
        {"kind", "overload", "inputs", "outputs", "attrs", "blocks", "output_types", "source", "scope"});
    n.json_path = c.pointer();
    n.kind = c.string_at("kind");
    if (n.kind.find("::") == std::string::npos)
      c.at("kind").fail("expected a namespaced kind like \"aten::linear\", got \"" + n.kind + "\"");
    const auto inputs = c.at("inputs");
    n.inputs = read_strings(inputs);
    for (size_t i = 0; i < n.inputs.size(); ++i) use(n.inputs[i], inputs, i, "this node");
    if (auto a = c.find("attrs", true)) n.attrs = a->expect_object().json();
    if (n.kind == "prim::Constant")
      if (auto a = c.find("attrs", true); a && a->find("value")) n.attrs["value"] = decode_constant(a->at("value"));
    if (n.kind == "prim::GetAttr") check_get_attr(c.at("attrs"));
    if (auto s = c.find("source", true)) n.source = read_source(*s);
    if (const std::string* s = c.find_string("scope", true)) n.scope = *s;
    // The overload TorchScript resolved the node to ("Tensor" of
    // aten::add.Tensor, "" for the default one). Kept in attrs["overload"]:
    // ProgramNode has no field for it (a new field would change the SDK's
    // C++ layout, docs/plugin-abi.md); the tracer copies it to the Graph node.
    if (auto o = c.find("overload", true)) {
      if (n.kind.rfind("aten::", 0) != 0) o->fail("only aten:: nodes have an overload, this node is " + n.kind);
      if (n.attrs.contains("overload")) o->fail("given twice: as the node's key and in its attrs");
      n.attrs["overload"] = o->as_string();
    }
    if (auto b = c.find("blocks")) {
      b->expect_array();
      for (size_t k = 0; k < b->size(); ++k) n.blocks.push_back(parse_block(b->at(k)));
    }
    const auto outputs = c.at("outputs");
    n.outputs = read_strings(outputs);
    if (auto t = c.find("output_types", true)) {
      n.output_types = read_strings(*t);
      if (n.output_types.size() != n.outputs.size())
        t->fail("has " + std::to_string(n.output_types.size()) + " types for " + std::to_string(n.outputs.size()) +
                " outputs");
    }
    check_control_flow_arity(n, c);
    for (size_t i = 0; i < n.outputs.size(); ++i) define(n.outputs[i], outputs.at(i));
  }

  // prim::GetAttr names the attribute it reads; "path", when given, is its
  // dotted path from self and must resolve in the module tree.
  void check_get_attr(const JsonCursor& attrs) {
    const std::string& name = attrs.string_at("name");
    if (name.empty()) attrs.at("name").fail("empty attribute name");
    const std::string* path = attrs.find_string("path", true);
    if (path == nullptr) return;
    if (*path != name && !ends_with(*path, "." + name))
      attrs.at("path").fail("path '" + *path + "' does not end with the attribute name '" + name + "'");
    if (!is_member(*path))
      attrs.at("path").fail("'" + *path + "' is not a child, parameter, buffer or attribute in the module tree (/module)");
  }

  // prim::If, prim::Loop and higher_order::cond must be well-formed before
  // any strategy walks them.
  static void check_control_flow_arity(const ProgramNode& n, const JsonCursor& c) {
    auto block_count = [&](size_t expected) {
      if (n.blocks.size() != expected)
        c.fail(n.kind + " needs " + std::to_string(expected) + " block(s), has " + std::to_string(n.blocks.size()));
    };
    auto block_at = [&](size_t k) { return c.at("blocks").at(k); };
    auto expect = [&](size_t k, const char* what, size_t got, size_t want) {
      if (got != want)
        block_at(k).fail(n.kind + " block " + std::to_string(k) + " has " + std::to_string(got) + " " + what +
                         ", expected " + std::to_string(want));
    };
    if (n.kind == "prim::If") {
      block_count(2);
      if (n.inputs.size() != 1) c.at("inputs").fail("prim::If takes exactly 1 input (the condition)");
      for (size_t k = 0; k < 2; ++k) {
        expect(k, "inputs", n.blocks[k].inputs.size(), 0);
        expect(k, "outputs", n.blocks[k].outputs.size(), n.outputs.size());
      }
    } else if (n.kind == "higher_order::cond") {
      block_count(2);
      if (n.inputs.empty()) c.at("inputs").fail("higher_order::cond needs a predicate input");
      for (size_t k = 0; k < 2; ++k) {
        expect(k, "inputs", n.blocks[k].inputs.size(), n.inputs.size() - 1);  // one per operand
        expect(k, "outputs", n.blocks[k].outputs.size(), n.outputs.size());
      }
    } else if (n.kind == "prim::Loop") {
      block_count(1);
      if (n.inputs.size() < 2) c.at("inputs").fail("prim::Loop takes (max_trip_count, condition, carried...)");
      const size_t carried = n.inputs.size() - 2;
      expect(0, "inputs", n.blocks[0].inputs.size(), carried + 1);   // (iteration, carried...)
      expect(0, "outputs", n.blocks[0].outputs.size(), carried + 1);  // (condition, carried...)
      if (n.outputs.size() != carried)
        c.at("outputs").fail("prim::Loop has " + std::to_string(n.outputs.size()) + " outputs for " +
                             std::to_string(carried) + " carried values");
    }
  }

  void define(const std::string& name, const JsonCursor& where) {
    if (name.empty()) where.fail("empty value name");
    auto [pointer, inserted] = defined_at_.emplace(name, where.pointer());
    if (!inserted) where.fail("value '" + name + "' is already defined at " + *pointer);
    scopes_.back().push_back(name);
  }

  // `name` is item `index` of the array at `names` (its cursor is made only
  // for the error: every node input would otherwise build a pointer string).
  void use(const std::string& name, const JsonCursor& names, size_t index, const char* before) {
    if (!defined_at_.contains(name)) names.at(index).fail("unknown value '" + name + "' (not defined before " + before + ")");
  }

  std::filesystem::path file_;
  Program program_;
  TiedWeights tied_weights_;  // read by finish(); Program has no place for it (plugins see its layout)
  JsonCursor root_;
  const ChildrenOrderRecorder* children_order_;
  std::unordered_set<std::string> members_;  // dotted paths in the module tree
  bool members_indexed_ = false;
  FlatNameMap<std::string> defined_at_;  // visible value name -> pointer of its definition
  std::vector<std::vector<std::string>> scopes_;             // names defined per open block
};

}  // namespace

Program parse_program(const nlohmann::json& doc, const std::filesystem::path& file) {
  return ProgramParser(doc, file).run();
}

// Watches program.json being read and hands each top-level node to the
// parser as soon as it is complete, so that the nodes (nearly all of a large
// program) never form one document: each is parsed and freed while it is
// still in the cache. Also records the children order.
class ProgramStream : public JsonParseObserver {
 public:
  ProgramStream(ProgramParser& parser, ChildrenOrderRecorder& children_order, std::string file)
      : parser_(parser), children_order_(children_order), file_(std::move(file)) {}

  void object_start() override {
    children_order_.object_start();
    open_.push_back({true, ""});
  }
  void array_start() override {
    children_order_.array_start();
    open_.push_back({false, ""});
  }
  void object_end() override {
    children_order_.object_end();
    open_.pop_back();
  }
  void array_end() override {
    children_order_.array_end();
    open_.pop_back();
  }
  void key(const std::string& key) override {
    children_order_.key(key);
    if (open_.size() <= 2) open_.back().key = key;  // only the keys on the way to /graph/nodes matter
  }

  bool take_array_element(nlohmann::json& element) override {
    if (!in_graph_nodes() || state_ == State::Declined) return false;
    if (state_ == State::NotStarted) {
      if (!parser_.ready_to_stream()) {
        state_ = State::Declined;
        return false;
      }
      parser_.begin();
      state_ = State::Streaming;
    }
    parser_.add_node(JsonCursor(element, file_, "/graph/nodes/" + std::to_string(parser_.node_count())));
    return true;
  }

  bool streamed() const { return state_ == State::Streaming; }

 private:
  enum class State { NotStarted, Streaming, Declined };
  struct Open {
    bool is_object;
    std::string key;  // the key being read (objects on the way to /graph/nodes)
  };

  // The innermost open container is the array at /graph/nodes.
  bool in_graph_nodes() const {
    return open_.size() == 3 && open_[0].is_object && open_[0].key == "graph" && open_[1].is_object &&
           open_[1].key == "nodes" && !open_[2].is_object;
  }

  ProgramParser& parser_;
  ChildrenOrderRecorder& children_order_;
  std::string file_;
  std::vector<Open> open_;
  State state_ = State::NotStarted;
};

// How many times `"kind"` occurs in the text: at least the number of nodes at
// any depth, so a bound for the top-level ones. Counting is one memmem scan,
// far cheaper than growing a vector of nodes by doubling.
size_t count_kind_keys(std::string_view text) {
  static constexpr std::string_view kKey = "\"kind\"";
  size_t count = 0;
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  while (p < end) {
    const void* hit = memmem(p, static_cast<size_t>(end - p), kKey.data(), kKey.size());
    if (hit == nullptr) break;
    ++count;
    p = static_cast<const char*>(hit) + kKey.size();
  }
  return count;
}

namespace {

// The fast path of parse_program_text: reads program.json with a JsonPull
// and fills each graph node straight from the text, with no document for the
// nodes (nearly all of a large program) and no JSON pointer built per field.
// Everything else (format, module tree, inputs, outputs) becomes a document
// as in the checked reader and goes through the same ProgramParser code.
//
// It reports nothing: at any text or field that the checked reader would
// refuse, and at anything it does not read itself (keys out of the order
// writers use, a repeated key, a node's error raised by a shared check), it
// throws JsonPull::Declined and parse_program_text reads the text again the
// checked way, which gives the error with its place. Both readers give the
// same Program for every text the fast one accepts (tests/hostile,
// "ProgramReaders"; fuzz_program_json compares them too).
class ProgramTextReader {
 public:
  ProgramTextReader(std::string_view text, const std::filesystem::path& file)
      : in_(text), file_(file), parser_(doc_, file, &children_order_) {
    parser_.reserve_nodes(std::min(count_kind_keys(text), text.size() / 40));
  }

  Program read(TiedWeights& tied_weights) {
    try {
      read_root();
      parser_.reject_unknown_root_keys();
      Program program = parser_.finish();
      tied_weights = parser_.tied_weights();
      return program;
    } catch (const InputError&) {
      // A check shared with the checked reader failed: that reader reports it.
      throw JsonPull::Declined{};
    } catch (const nlohmann::json::exception&) {
      throw JsonPull::Declined{};
    }
  }

 private:
  // Bits of the node keys seen, to decline a key given twice.
  enum NodeKey : unsigned {
    kKind = 1, kInputs = 2, kOutputs = 4, kAttrs = 8, kBlocks = 16, kOutputTypes = 32, kSource = 64,
    kScope = 128, kOverload = 256,
  };

  [[noreturn]] static void decline() { throw JsonPull::Declined{}; }

  // `parent` + `member` + `index`, in one allocation.
  static std::string child_path(std::string_view parent, std::string_view member, size_t index) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, index).ptr;
    std::string path;
    path.reserve(parent.size() + member.size() + static_cast<size_t>(end - digits));
    path.append(parent).append(member).append(digits, end);
    return path;
  }

  void read_root() {
    if (in_.peek() != '{') decline();
    in_.begin_object();
    doc_ = nlohmann::json::object();
    children_order_.object_start();
    std::unordered_set<std::string> seen;
    std::string key;
    while (in_.next_key(key)) {
      if (!seen.insert(key).second) decline();
      children_order_.key(key);
      if (key == "graph") read_graph();
      else doc_[key] = in_.read_value(&children_order_);
    }
    children_order_.object_end();
    in_.end();
    if (!nodes_read_) decline();
  }

  void read_graph() {
    if (in_.peek() != '{') decline();
    in_.begin_object();
    nlohmann::json& graph = doc_["graph"] = nlohmann::json::object();
    children_order_.object_start();
    std::unordered_set<std::string> seen;
    std::string key;
    while (in_.next_key(key)) {
      if (!seen.insert(key).second) decline();
      children_order_.key(key);
      if (key != "nodes") {
        graph[key] = in_.read_value(&children_order_);
        continue;
      }
      // The nodes use what the keys before them declare (the order writers use).
      if (!parser_.ready_to_stream()) decline();
      parser_.begin();
      if (in_.peek() != '[') decline();
      in_.begin_array();
      children_order_.array_start();
      while (in_.next_element()) {
        ProgramNode& node = parser_.program_.graph.nodes.emplace_back();
        read_node(node, child_path("/graph", "/nodes/", parser_.program_.graph.nodes.size() - 1));
      }
      children_order_.array_end();
      nodes_read_ = true;
    }
    children_order_.object_end();
  }

  // ProgramParser::parse_node_into, read from the text.
  void read_node(ProgramNode& n, std::string path) {
    n.json_path = std::move(path);
    if (in_.peek() != '{') decline();
    in_.begin_object();
    unsigned seen = 0;
    std::string overload;
    auto first_time = [&](NodeKey k) {
      if (seen & k) decline();
      seen |= k;
    };
    std::string key;
    while (in_.next_key(key)) {
      const std::string_view k = key;  // compares the length first
      if (k == "kind") {
        first_time(kKind);
        in_.read_string(n.kind);
      } else if (k == "inputs") {
        first_time(kInputs);
        in_.read_strings(n.inputs);
      } else if (k == "outputs") {
        first_time(kOutputs);
        in_.read_strings(n.outputs);
      } else if (k == "output_types") {
        first_time(kOutputTypes);
        if (in_.read_null()) seen &= ~kOutputTypes;  // null is absent
        else in_.read_strings(n.output_types);
      } else if (k == "attrs") {
        first_time(kAttrs);
        if (in_.read_null()) {
          seen &= ~kAttrs;
        } else {
          if (in_.peek() != '{') decline();
          n.attrs = in_.read_value();
        }
      } else if (k == "source") {
        first_time(kSource);
        if (!in_.read_null()) read_source(n.source);
      } else if (k == "scope") {
        first_time(kScope);
        if (!in_.read_null()) in_.read_string(n.scope);
      } else if (k == "overload") {
        first_time(kOverload);
        if (in_.read_null()) seen &= ~kOverload;
        else in_.read_string(overload);
      } else if (k == "blocks") {
        first_time(kBlocks);
        if (in_.peek() != '[') decline();
        in_.begin_array();
        while (in_.next_element()) {
          const std::string block_path = child_path(n.json_path, "/blocks/", n.blocks.size());
          read_block(n.blocks.emplace_back(), block_path);
        }
      } else {
        decline();
      }
    }
    if ((seen & (kKind | kInputs | kOutputs)) != (kKind | kInputs | kOutputs)) decline();
    finish_node(n, seen, overload);
  }

  // The checks parse_node_into makes once the node is read. The blocks'
  // names went out of scope with them, so the inputs see what they would
  // have seen before the blocks.
  void finish_node(ProgramNode& n, unsigned seen, std::string& overload) {
    if (n.kind.find("::") == std::string::npos) decline();
    for (const auto& name : n.inputs)
      if (!parser_.defined_at_.contains(name)) decline();
    if (n.kind == "prim::Constant" && (seen & kAttrs) && n.attrs.contains("value"))
      n.attrs["value"] = decode_constant(JsonCursor(n.attrs["value"], file_.string(), n.json_path + "/attrs/value"));
    if (n.kind == "prim::GetAttr") {
      if (!(seen & kAttrs)) decline();
      parser_.check_get_attr(JsonCursor(n.attrs, file_.string(), n.json_path + "/attrs"));
    }
    if (seen & kOverload) {
      if (n.kind.rfind("aten::", 0) != 0 || n.attrs.contains("overload")) decline();
      n.attrs["overload"] = std::move(overload);
    }
    if ((seen & kOutputTypes) && n.output_types.size() != n.outputs.size()) decline();
    // Throws (an InputError: read() declines) where the checked reader would
    // fail; the cursor is only for that reader's messages.
    ProgramParser::check_control_flow_arity(n, JsonCursor(kNoFields, file_.string()));
    for (const auto& name : n.outputs) define(name);
  }

  // ProgramParser::parse_block: inputs, then nodes, then outputs (the order
  // writers use; a block written otherwise is declined).
  void read_block(ProgramBlock& block, const std::string& path) {
    if (in_.peek() != '{') decline();
    in_.begin_object();
    parser_.scopes_.emplace_back();
    bool has_inputs = false, has_nodes = false, has_outputs = false;
    std::string key;
    while (in_.next_key(key)) {
      const std::string_view k = key;
      if (k == "inputs" && !has_inputs && !has_nodes) {
        has_inputs = true;
        in_.read_strings(block.inputs);
        for (const auto& name : block.inputs) define(name);
      } else if (k == "nodes" && !has_nodes) {
        has_nodes = true;
        if (in_.peek() != '[') decline();
        in_.begin_array();
        while (in_.next_element()) {
          ProgramNode& node = block.nodes.emplace_back();
          read_node(node, child_path(path, "/nodes/", block.nodes.size() - 1));
        }
      } else if (k == "outputs" && !has_outputs) {
        has_outputs = true;
        in_.read_strings(block.outputs);
      } else {
        decline();
      }
    }
    if (!has_nodes || !has_outputs) decline();
    for (const auto& name : block.outputs)
      if (!parser_.defined_at_.contains(name)) decline();
    for (const auto& name : parser_.scopes_.back()) parser_.defined_at_.erase(name);
    parser_.scopes_.pop_back();
  }

  // ProgramParser's read_source: file and text strings, line and col
  // integers in [0, INT_MAX], nothing else.
  void read_source(SourceLoc& loc) {
    if (in_.peek() != '{') decline();
    in_.begin_object();
    std::string key;
    while (in_.next_key(key)) {
      const std::string_view k = key;
      if (k == "file") {
        in_.read_string(loc.file);
      } else if (k == "text") {
        in_.read_string(loc.text);
      } else if (k == "line" || k == "col") {
        const nlohmann::json v = in_.read_value();
        int64_t i = -1;
        if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(INT_MAX))
          i = static_cast<int64_t>(v.get<uint64_t>());
        else if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= INT_MAX)
          i = v.get<int64_t>();
        if (i < 0) decline();
        (k == "line" ? loc.line : loc.col) = static_cast<int>(i);
      } else {
        decline();
      }
    }
  }

  // ProgramParser::define without the pointer of the definition, which only
  // the checked reader's error message shows.
  void define(const std::string& name) {
    if (name.empty() || !parser_.defined_at_.emplace(name, std::string()).second) decline();
    parser_.scopes_.back().push_back(name);
  }

  static inline const nlohmann::json kNoFields = nlohmann::json::object();

  JsonPull in_;
  const std::filesystem::path& file_;
  nlohmann::json doc_;  // everything but the graph's nodes, read by parser_ as it grows
  ChildrenOrderRecorder children_order_;
  ProgramParser parser_;
  bool nodes_read_ = false;
};

}  // namespace

std::optional<Program> read_program_text_fast(std::string_view text, const std::filesystem::path& file,
                                              TiedWeights& tied_weights) {
  try {
    return ProgramTextReader(text, file).read(tied_weights);
  } catch (const JsonPull::Declined&) {
    return std::nullopt;
  }
}

Program parse_program_text(std::string_view text, const std::filesystem::path& file) {
  TiedWeights ignored;
  return parse_program_text(text, file, ignored);
}

Program parse_program_text(std::string_view text, const std::filesystem::path& file, TiedWeights& tied_weights) {
  if (auto program = read_program_text_fast(text, file, tied_weights)) return std::move(*program);
  return read_program_text_checked(text, file, tied_weights);
}

Program read_program_text_checked(std::string_view text, const std::filesystem::path& file, TiedWeights& tied_weights) {
  ChildrenOrderRecorder children_order;
  nlohmann::json doc;  // the parser reads it while it grows
  ProgramParser parser(doc, file, &children_order);
  // Every node object takes at least 40 bytes of text ({"kind":"a::b",
  // "inputs":[],"outputs":[]}), which bounds the reservation when "kind"
  // occurs in other places too (attribute values of a crafted file).
  parser.reserve_nodes(std::min(count_kind_keys(text), text.size() / 40));
  ProgramStream stream(parser, children_order, file.string());
  parse_json_text_into(doc, text, file, stream);
  Program program;
  if (!stream.streamed()) {
    program = parser.run();
  } else {
    parser.reject_unknown_root_keys();
    program = parser.finish();
  }
  tied_weights = parser.tied_weights();
  return program;
}

}  // namespace onnxport
