// parse_program: program.json v1 -> Program (docs/program-format.md).
//
// One pass over the document: every field is type-checked where it is read,
// and value names are resolved in program order with block scoping, so an
// error always carries the JSON pointer of the offending field.
#include <onnxport_core/bundle.hpp>

#include "base/json_cursor.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

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

std::vector<std::string> read_strings(const JsonCursor& c) {
  c.expect_array();
  std::vector<std::string> out;
  out.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) out.push_back(c.at(i).as_string());
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
  if (auto f = c.find("file")) loc.file = f->as_string();
  if (auto l = c.find("line")) loc.line = static_cast<int>(l->as_int());
  if (auto k = c.find("col")) loc.col = static_cast<int>(k->as_int());
  if (auto t = c.find("text")) loc.text = t->as_string();
  return loc;
}

// Python constants as program.json encodes them (docs/program-format.md).
void check_constant(const JsonCursor& c) {
  const auto& j = c.json();
  if (j.is_null() || j.is_boolean() || j.is_number() || j.is_string()) return;
  if (j.is_array()) {
    for (size_t i = 0; i < c.size(); ++i) check_constant(c.at(i));
    return;
  }
  if (j.is_object() && j.size() == 1) {
    if (auto d = c.find("dtype")) {
      read_dtype(*d);
      return;
    }
    if (auto d = c.find("device")) {
      d->as_string();
      return;
    }
    if (auto t = c.find("tensor")) {
      t->reject_unknown_keys({"dtype", "shape", "data"});
      read_dtype(t->at("dtype"));
      int64_t numel = 1;
      for (int64_t d : read_sizes(t->at("shape"))) numel *= d;
      const auto data = t->at("data");
      data.expect_array();
      if (static_cast<int64_t>(data.size()) != numel)
        data.fail("tensor constant has " + std::to_string(data.size()) + " values, its shape needs " +
                  std::to_string(numel));
      for (size_t i = 0; i < data.size(); ++i) {
        const auto& v = data.at(i).json();
        if (!v.is_number() && !v.is_boolean()) data.at(i).fail("expected a number, got " + json_type_name(v));
      }
      return;
    }
  }
  c.fail("unsupported constant encoding (expected int, float, bool, str, null, a list, "
         "{\"dtype\": ...}, {\"device\": ...} or {\"tensor\": {...}})");
}

class ProgramParser {
 public:
  ProgramParser(const nlohmann::json& doc, const std::filesystem::path& file)
      : file_(file), root_(doc, file.string()) {}

  Program run() {
    Program p;
    p.program_file = file_;
    p.dir = file_.parent_path();
    root_.expect_object();
    root_.reject_unknown_keys({"format", "version", "name", "producer", "module", "graph", "outputs", "metadata"});
    check_format_and_version();
    if (auto n = root_.find("name")) p.name = n->as_string();
    if (auto pr = root_.find("producer")) p.producer = pr->expect_object().json();
    if (auto m = root_.find("module")) p.module = parse_module(*m);
    parse_graph(root_.at("graph"), p);
    if (auto outs = root_.find("outputs")) p.outputs = parse_output_decls(*outs, p.graph.outputs);
    if (p.name.empty()) p.name = p.module.type.empty() ? "program" : p.module.type;
    return p;
  }

 private:
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
    if (auto a = c.find("attributes")) m.attributes = a->expect_object().json();
    if (auto p = c.find("parameters")) m.parameters = read_strings(*p);
    if (auto b = c.find("buffers")) m.buffers = read_strings(*b);
    if (auto s = c.find("parameter_shapes")) m.parameter_shapes = parse_parameter_shapes(*s, m);
    if (auto ch = c.find("children")) {
      ch->expect_object();
      for (const auto& [name, value] : ch->json().items()) m.children.emplace_back(name, parse_module(ch->at(name)));
    }
    return m;
  }

  static std::vector<std::pair<std::string, std::vector<int64_t>>> parse_parameter_shapes(const JsonCursor& c,
                                                                                        const ModuleInfo& m) {
    c.expect_object();
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    for (const auto& [name, value] : c.json().items()) {
      const auto entry = c.at(name);
      const bool declared = std::find(m.parameters.begin(), m.parameters.end(), name) != m.parameters.end() ||
                            std::find(m.buffers.begin(), m.buffers.end(), name) != m.buffers.end();
      if (!declared) entry.fail("shape given for '" + name + "', which is not a parameter or buffer of this module");
      out.emplace_back(name, read_sizes(entry));
    }
    return out;
  }

  ProgramValue parse_value_decl(const JsonCursor& c) {
    c.expect_object();
    c.reject_unknown_keys({"name", "type", "dtype", "shape"});
    ProgramValue v;
    v.name = c.at("name").as_string();
    if (v.name.empty()) c.at("name").fail("empty value name");
    if (auto t = c.find("type")) v.type = t->as_string();
    if (auto d = c.find("dtype", true)) v.dtype = read_dtype(*d);
    if (auto s = c.find("shape", true)) {
      v.shape = read_shape(*s);
      v.has_shape = true;
    }
    return v;
  }

  void parse_graph(const JsonCursor& c, Program& p) {
    c.expect_object();
    c.reject_unknown_keys({"inputs", "nodes", "outputs"});
    scopes_.emplace_back();
    const auto inputs = c.at("inputs");
    inputs.expect_array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      p.inputs.push_back(parse_value_decl(inputs.at(i)));
      define(p.inputs.back().name, inputs.at(i).at("name"));
    }
    parse_block_body(c, p.graph);
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
    for (size_t i = 0; i < nodes.size(); ++i) block.nodes.push_back(parse_node(nodes.at(i)));
    const auto outputs = c.at("outputs");
    block.outputs = read_strings(outputs);
    for (size_t i = 0; i < block.outputs.size(); ++i) use(block.outputs[i], outputs.at(i), "this block's end");
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

  ProgramNode parse_node(const JsonCursor& c) {
    c.expect_object();
    c.reject_unknown_keys({"kind", "inputs", "outputs", "attrs", "blocks", "output_types", "source", "scope"});
    ProgramNode n;
    n.json_path = c.pointer();
    n.kind = c.at("kind").as_string();
    if (n.kind.find("::") == std::string::npos)
      c.at("kind").fail("expected a namespaced kind like \"aten::linear\", got \"" + n.kind + "\"");
    const auto inputs = c.at("inputs");
    n.inputs = read_strings(inputs);
    for (size_t i = 0; i < n.inputs.size(); ++i) use(n.inputs[i], inputs.at(i), "this node");
    if (auto a = c.find("attrs", true)) n.attrs = a->expect_object().json();
    if (n.kind == "prim::Constant")
      if (auto a = c.find("attrs", true); a && a->find("value")) check_constant(a->at("value"));
    if (auto s = c.find("source", true)) n.source = read_source(*s);
    if (auto s = c.find("scope", true)) n.scope = s->as_string();
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
    return n;
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
    auto [it, inserted] = defined_at_.emplace(name, where.pointer());
    if (!inserted) where.fail("value '" + name + "' is already defined at " + it->second);
    scopes_.back().push_back(name);
  }

  void use(const std::string& name, const JsonCursor& where, const char* before) {
    if (!defined_at_.count(name)) where.fail("unknown value '" + name + "' (not defined before " + before + ")");
  }

  std::filesystem::path file_;
  JsonCursor root_;
  std::unordered_map<std::string, std::string> defined_at_;  // visible value name -> pointer of its definition
  std::vector<std::vector<std::string>> scopes_;             // names defined per open block
};

}  // namespace

Program parse_program(const nlohmann::json& doc, const std::filesystem::path& file) {
  return ProgramParser(doc, file).run();
}

}  // namespace onnxport
