// A Program as text that shows every field the program.json readers fill,
// with the type of every JSON scalar (5 unsigned and 5 signed, 1 and 1.0
// differ; floats by their bits, so NaN equals itself): two readers agree on
// a text when their Programs describe alike. Shared by the readers' test
// (tests/hostile/test_program_readers.cpp) and fuzz_program_json.
#pragma once

#include <onnxport/program.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace onnxport::test {

inline void describe_json(const nlohmann::json& j, std::string& out) {
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      out += '{';
      for (const auto& [key, value] : j.items()) {
        out += nlohmann::json(key).dump() + ':';
        describe_json(value, out);
        out += ',';
      }
      out += '}';
      return;
    case nlohmann::json::value_t::array:
      out += '[';
      for (const auto& item : j) {
        describe_json(item, out);
        out += ',';
      }
      out += ']';
      return;
    case nlohmann::json::value_t::number_unsigned: out += "u" + std::to_string(j.get<uint64_t>()); return;
    case nlohmann::json::value_t::number_integer: out += "i" + std::to_string(j.get<int64_t>()); return;
    case nlohmann::json::value_t::number_float: {
      const double d = j.get<double>();
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      out += "f" + std::to_string(bits);
      return;
    }
    default: out += j.dump(); return;  // strings, booleans, null
  }
}

inline void describe_strings(const char* field, const std::vector<std::string>& items, std::string& out) {
  out += field;
  out += '=';
  for (const auto& s : items) out += nlohmann::json(s).dump() + ',';
  out += ';';
}

inline void describe_value(const ProgramValue& v, std::string& out) {
  out += "value(" + nlohmann::json(v.name).dump() + ' ' + nlohmann::json(v.type).dump() + ' ' +
         std::to_string(static_cast<int>(v.dtype)) + (v.has_shape ? " shape" : " noshape") + '[';
  for (const Dim& d : v.shape) out += (d.is_static() ? "s" : "y") + d.str() + ',';
  out += "] elements[";
  for (const auto& e : v.elements) describe_value(e, out);
  out += "])";
}

inline void describe_block(const ProgramBlock& b, std::string& out);

inline void describe_node(const ProgramNode& n, std::string& out) {
  out += "node(" + n.kind + ' ' + n.json_path + ' ';
  describe_strings("in", n.inputs, out);
  describe_strings("out", n.outputs, out);
  describe_strings("types", n.output_types, out);
  out += "attrs=";
  describe_json(n.attrs, out);
  out += " source=" + nlohmann::json(n.source.file).dump() + ':' + std::to_string(n.source.line) + ':' +
         std::to_string(n.source.col) + ':' + nlohmann::json(n.source.text).dump() + " scope=" +
         nlohmann::json(n.scope).dump() + " blocks[";
  for (const auto& b : n.blocks) describe_block(b, out);
  out += "])\n";
}

inline void describe_block(const ProgramBlock& b, std::string& out) {
  out += "block(";
  describe_strings("in", b.inputs, out);
  for (const auto& n : b.nodes) describe_node(n, out);
  describe_strings("out", b.outputs, out);
  out += ")";
}

inline void describe_module(const ModuleInfo& m, std::string& out) {
  out += "module(" + nlohmann::json(m.type).dump() + " attributes=";
  describe_json(m.attributes, out);
  describe_strings(" parameters", m.parameters, out);
  describe_strings(" buffers", m.buffers, out);
  out += " shapes=";
  for (const auto& [name, sizes] : m.parameter_shapes) {
    out += name + '[';
    for (int64_t s : sizes) out += std::to_string(s) + ',';
    out += ']';
  }
  out += " children[";
  for (const auto& [name, child] : m.children) {
    out += name + '=';
    describe_module(child, out);
  }
  out += "])\n";
}

// Everything parse_program_text fills (weights and example tensors are
// load_program's, not the readers').
inline std::string describe_program(const Program& p, const std::vector<std::pair<std::string, std::string>>& tied) {
  std::string out = "name=" + nlohmann::json(p.name).dump() + " producer=";
  describe_json(p.producer, out);
  out += " dir=" + p.dir.string() + " file=" + p.program_file.string() + '\n';
  describe_module(p.module, out);
  out += "inputs[";
  for (const auto& v : p.inputs) describe_value(v, out);
  out += "]\noutputs[";
  for (const auto& v : p.outputs) describe_value(v, out);
  out += "]\n";
  describe_block(p.graph, out);
  out += "\ntied[";
  for (const auto& [name, target] : tied) out += name + "->" + target + ',';
  out += "]";
  return out;
}

}  // namespace onnxport::test
