// rename_model_io: the names a user gives the model's inputs and outputs
// (--input-names / --output-names, torch.onnx.export's input_names and
// output_names).
//
// Names are unique across the whole model (main graph and subgraphs, which
// capture outer names), so a rename is one simultaneous substitution applied
// to every place a value name occurs. A requested name that some other value
// already has moves that value to a fresh name first.
#include <onnxport_core/onnx_passes.hpp>

#include <onnxport/diagnostics.hpp>

#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace onnxport {

namespace {

using NameMap = std::unordered_map<std::string, std::string>;

void collect_names(const onnx::GraphProto& g, std::unordered_set<std::string>& names) {
  for (const auto& v : g.input()) names.insert(v.name());
  for (const auto& v : g.output()) names.insert(v.name());
  for (const auto& v : g.value_info()) names.insert(v.name());
  for (const auto& t : g.initializer()) names.insert(t.name());
  for (const auto& n : g.node()) {
    for (const auto& s : n.input()) names.insert(s);
    for (const auto& s : n.output()) names.insert(s);
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_names(a.g(), names);
      for (const auto& sub : a.graphs()) collect_names(sub, names);
    }
  }
}

void rename_in(const NameMap& map, std::string* name) {
  if (name->empty()) return;  // an omitted optional input stays omitted
  if (auto it = map.find(*name); it != map.end()) *name = it->second;
}

void rename_in(const NameMap& map, onnx::GraphProto& g) {
  for (auto& v : *g.mutable_input()) rename_in(map, v.mutable_name());
  for (auto& v : *g.mutable_output()) rename_in(map, v.mutable_name());
  for (auto& v : *g.mutable_value_info()) rename_in(map, v.mutable_name());
  for (auto& t : *g.mutable_initializer()) rename_in(map, t.mutable_name());
  for (auto& n : *g.mutable_node()) {
    for (auto& s : *n.mutable_input()) rename_in(map, &s);
    for (auto& s : *n.mutable_output()) rename_in(map, &s);
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_g()) rename_in(map, *a.mutable_g());
      for (auto& sub : *a.mutable_graphs()) rename_in(map, sub);
    }
  }
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "`" : ", `") + n + "`";
  return out;
}

void check_names(const char* option, const std::vector<std::string>& given, const std::vector<std::string>& current,
                 const char* what) {
  if (given.size() != current.size())
    throw InputError(option, "",
                     std::to_string(given.size()) + " name(s) given, the model has " + std::to_string(current.size()) +
                         " " + what + "(s): " + (current.empty() ? std::string("none") : quoted_list(current)));
  std::set<std::string> seen;
  for (size_t i = 0; i < given.size(); ++i) {
    if (given[i].empty()) throw InputError(option, "", "name " + std::to_string(i + 1) + " is empty");
    if (!seen.insert(given[i]).second) throw InputError(option, "", "`" + given[i] + "` is given twice");
  }
}

}  // namespace

void rename_model_io(onnx::ModelProto& model, const std::vector<std::string>& input_names,
                     const std::vector<std::string>& output_names) {
  if (input_names.empty() && output_names.empty()) return;
  onnx::GraphProto& g = *model.mutable_graph();

  std::unordered_set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  std::vector<std::string> inputs, outputs;
  for (const auto& v : g.input())
    if (!initializers.count(v.name())) inputs.push_back(v.name());
  for (const auto& v : g.output()) outputs.push_back(v.name());
  if (!input_names.empty()) check_names("--input-names", input_names, inputs, "input");
  if (!output_names.empty()) check_names("--output-names", output_names, outputs, "output");
  for (const auto& name : output_names)
    for (const auto& in : input_names)
      if (name == in) throw InputError("--output-names", "", "`" + name + "` is also an input name");

  // Old name -> new name; applied all at once, so swapping two names works.
  NameMap renames;
  std::unordered_set<std::string> wanted;  // every name the user asked for
  for (size_t i = 0; i < input_names.size(); ++i) {
    renames[inputs[i]] = input_names[i];
    wanted.insert(input_names[i]);
  }
  // An output can be renamed in place only when it is a value of its own:
  // produced by a node, not an input or initializer, listed once.
  std::unordered_map<std::string, int> output_uses;
  for (const auto& o : outputs) ++output_uses[o];
  std::unordered_set<std::string> graph_inputs;
  for (const auto& v : g.input()) graph_inputs.insert(v.name());
  std::vector<std::pair<size_t, std::string>> identities;  // (output index, new name)
  for (size_t i = 0; i < output_names.size(); ++i) {
    const std::string& old = outputs[i];
    wanted.insert(output_names[i]);
    if (old == output_names[i]) continue;
    if (graph_inputs.count(old) || initializers.count(old) || output_uses[old] > 1) identities.emplace_back(i, output_names[i]);
    else renames[old] = output_names[i];
  }

  // A value that keeps its name but holds one the user wants moves aside.
  std::unordered_set<std::string> used;
  collect_names(g, used);
  for (const auto& name : used) {
    if (!wanted.count(name) || renames.count(name)) continue;
    bool kept_on_purpose = false;  // the user gave a value its current name
    for (size_t i = 0; i < input_names.size(); ++i) kept_on_purpose |= inputs[i] == name && input_names[i] == name;
    for (size_t i = 0; i < output_names.size(); ++i) kept_on_purpose |= outputs[i] == name && output_names[i] == name;
    if (kept_on_purpose) continue;
    std::string fresh;
    for (int k = 1;; ++k) {
      fresh = name + "_" + std::to_string(k);
      if (!used.count(fresh) && !wanted.count(fresh)) break;
    }
    used.insert(fresh);
    renames[name] = fresh;
  }
  rename_in(renames, g);

  for (const auto& [index, name] : identities) {
    onnx::ValueInfoProto* out = g.mutable_output(static_cast<int>(index));
    onnx::NodeProto* id = g.add_node();
    id->set_op_type("Identity");
    id->set_name("output_name_" + name);
    id->add_input(out->name());
    id->add_output(name);
    out->set_name(name);
  }
}

}  // namespace onnxport
