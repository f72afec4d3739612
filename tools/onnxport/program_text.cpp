#include "program_text.hpp"

#include <sstream>

namespace onnxport::cli {

namespace {

std::string value_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "%" : ", %") + n;
  return out;
}

std::string value_type(const ProgramValue& v) {
  if (v.type != "Tensor") return v.type;
  std::string s(dtype_short_name(v.dtype));
  return v.has_shape ? s + shape_str(v.shape) : s + "[?]";
}

// prim::Constant values and other attributes, compactly: [value=2], [name="mlp"].
std::string attrs_text(const nlohmann::json& attrs) {
  if (!attrs.is_object() || attrs.empty()) return "";
  std::string out;
  for (const auto& [key, val] : attrs.items()) out += (out.empty() ? "" : ", ") + key + "=" + val.dump();
  return "[" + out + "]";
}

class Printer {
 public:
  explicit Printer(std::ostringstream& out) : out_(out) {}

  void block(const ProgramBlock& b, int depth) {
    for (const auto& n : b.nodes) node(n, depth);
  }

 private:
  // A "# File: ..., code: ..." line each time the source changes, as FX prints.
  void source_comment(const ProgramNode& n, int depth) {
    if (!n.source.known()) return;
    const std::string where = n.source.str() + (n.scope.empty() ? "" : " in " + n.scope);
    if (where == last_source_) return;
    last_source_ = where;
    out_ << "\n" << indent(depth) << "# File: " << where;
    if (!n.source.text.empty()) out_ << ", code: " << n.source.text;
    out_ << "\n";
  }

  void node(const ProgramNode& n, int depth) {
    source_comment(n, depth);
    out_ << indent(depth);
    if (!n.outputs.empty()) out_ << value_list(n.outputs) << " = ";
    out_ << n.kind << attrs_text(n.attrs) << "(" << value_list(n.inputs) << ")\n";
    for (size_t i = 0; i < n.blocks.size(); ++i) {
      const ProgramBlock& b = n.blocks[i];
      out_ << indent(depth + 1) << "block" << i << "(" << value_list(b.inputs) << "):\n";
      block(b, depth + 2);
      out_ << indent(depth + 2) << "-> (" << value_list(b.outputs) << ")\n";
    }
  }

  static std::string indent(int depth) { return std::string(static_cast<size_t>(depth) * 2, ' '); }

  std::ostringstream& out_;
  std::string last_source_;
};

void module_tree(std::ostringstream& out, const std::string& name, const ModuleInfo& m, int depth) {
  out << std::string(static_cast<size_t>(depth) * 2 + 2, ' ') << (name.empty() ? "" : name + ": ") << m.type;
  std::string members;
  for (const auto& p : m.parameters) members += (members.empty() ? "" : ", ") + p;
  for (const auto& b : m.buffers) members += (members.empty() ? "" : ", ") + b + " (buffer)";
  if (!members.empty()) out << "  [" << members << "]";
  if (m.attributes.is_object() && !m.attributes.empty()) out << "  " << m.attributes.dump();
  out << "\n";
  for (const auto& [child_name, child] : m.children) module_tree(out, child_name, child, depth + 1);
}

}  // namespace

std::string tensors_to_text(const TensorMap& tensors, int64_t values_limit) {
  std::ostringstream out;
  for (const auto& [name, t] : tensors.items())
    out << "  " << name << ": " << t.type_str() << " = " << t.values_str(values_limit) << "\n";
  return out.str();
}

std::string program_to_text(const Program& program) {
  std::ostringstream out;
  out << "program `" << program.name << "`";
  if (!program.program_file.empty()) out << " (" << program.program_file.string() << ")";
  out << "\n";
  if (program.producer.is_object() && !program.producer.empty()) out << "producer: " << program.producer.dump() << "\n";
  out << "\nmodule tree:\n";
  module_tree(out, "", program.module, 0);
  out << "\ninputs:\n";
  for (const ProgramValue* v : program.user_inputs()) out << "  " << v->name << ": " << value_type(*v) << "\n";
  if (!program.weights.empty()) out << "\nweights:\n" << tensors_to_text(program.weights, 4);
  if (!program.example_inputs.empty()) out << "\nexample inputs:\n" << tensors_to_text(program.example_inputs);
  if (!program.expected_outputs.empty()) out << "\nexpected outputs:\n" << tensors_to_text(program.expected_outputs);
  out << "\ngraph(";
  std::string params;
  for (const auto& v : program.inputs) params += (params.empty() ? "%" : ", %") + v.name + ": " + value_type(v);
  out << params << "):\n";
  Printer printer(out);
  printer.block(program.graph, 1);
  out << "  return (" << value_list(program.graph.outputs) << ")\n";
  return out.str();
}

}  // namespace onnxport::cli
