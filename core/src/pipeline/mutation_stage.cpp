// The host's mutation policy, applied to whatever graph a strategy returned:
// strategies always capture the new values of mutated buffers and inputs as
// `<name>.updated` outputs (as torch.export's graph signature lists them);
// whether the model keeps them is the config's choice (mutations_as_outputs).
#include "pipeline/mutation_stage.hpp"

#include "trace/dead_code.hpp"

#include <algorithm>
#include <unordered_set>

namespace onnxport::pipeline {

namespace {

// Where forward first updates the tensor: the engine puts it on the node that
// makes the `.updated` value.
SourceLoc site_of(const Graph& graph, ValueId id) {
  for (const Node& node : graph.body.nodes)
    if (std::find(node.outputs.begin(), node.outputs.end(), id) != node.outputs.end()) return node.prov.loc;
  return {};
}

std::string where(const SourceLoc& loc) {
  if (!loc.known()) return "";
  return " (at " + loc.str() + (loc.text.empty() ? "" : ": " + loc.text) + ")";
}

Diagnostic dropped(const MutationRecord& m, const std::string& updated_name) {
  Diagnostic d;
  d.stage = "capture";
  d.loc = m.loc;
  d.details["mutated"] = m.kind;
  d.details["name"] = m.name;
  const std::string how = "pass --mutations-as-outputs (or set \"mutations_as_outputs\": true in the config) to add "
                          "it as the output `" + updated_name + "`, after forward's outputs";
  if (m.kind == "input") {
    d.code = "mutated-input-dropped";
    d.severity = Severity::Warning;
    d.message = "forward updates its input `" + m.name + "` in place" + where(m.loc) +
                "; the model's outputs are forward's own, so the new value of `" + m.name + "` is dropped";
  } else {
    d.code = "mutated-buffer-dropped";
    d.severity = Severity::Note;
    d.message = "forward updates the buffer `" + m.name + "` in place" + where(m.loc) +
                "; the model's outputs are forward's own, so its new value is not one of them";
  }
  d.hint = how;
  return d;
}

}  // namespace

void apply_mutation_policy(Graph& graph, bool as_outputs, StatusPrinter& status, ExportReport& report) {
  report.mutations_as_outputs = as_outputs;
  std::vector<std::pair<MutationRecord, ValueId>> found;
  for (const auto& [name, id] : graph.mutated_buffers) found.push_back({{"buffer", name, "", {}}, id});
  for (const auto& [name, id] : graph.mutated_inputs) found.push_back({{"input", name, "", {}}, id});
  for (auto& [m, id] : found) {
    m.loc = site_of(graph, id);
    if (as_outputs) m.output = graph.value(id).name;
  }
  if (!as_outputs && !found.empty()) {
    std::unordered_set<ValueId> mutation_outputs;
    for (const auto& [m, id] : found) mutation_outputs.insert(id);
    std::vector<ValueId> kept;
    for (ValueId id : graph.body.outputs)
      if (!mutation_outputs.count(id)) kept.push_back(id);
    if (kept.empty()) {
      Diagnostic d = dropped(found.front().first, graph.value(found.front().second).name);
      d.code = "no-outputs-without-mutations";
      d.severity = Severity::Error;
      d.message = "forward returns no tensor; all it does is update `" + found.front().first.name +
                  "` in place, and without its new value the model would have no output";
      throw DiagnosticError(std::move(d));
    }
    for (const auto& [m, id] : found) {
      Diagnostic d = dropped(m, graph.value(id).name);
      if (d.severity == Severity::Warning) status.line("warning: " + d.message + "; " + d.hint);
      else status.debug("note: " + d.message);
      report.diagnostics.push_back(std::move(d));
    }
    graph.body.outputs = std::move(kept);
    graph.mutated_buffers.clear();
    graph.mutated_inputs.clear();
    trace::remove_dead_nodes(graph);
  }
  for (auto& [m, id] : found) report.mutations.push_back(std::move(m));
}

}  // namespace onnxport::pipeline
