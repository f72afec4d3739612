// report.json: the machine-readable export report (docs/reports.md documents
// every field). Plain data in, JSON out; no field depends on another stage.
#include <onnxport_core/report.hpp>

namespace onnxport {

namespace {

using nlohmann::json;

json loc_json(const SourceLoc& loc) {
  json j = json::object();
  if (!loc.file.empty()) j["file"] = loc.file;
  if (loc.line > 0) j["line"] = loc.line;
  if (loc.col > 0) j["col"] = loc.col;
  if (!loc.text.empty()) j["text"] = loc.text;
  return j;
}

json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  json out = json::array();
  for (const auto& d : diagnostics) out.push_back(d.to_json());
  return out;
}

json status_block(const ExportReport& r) {
  json stages = json::object();
  for (const auto& s : r.stages) stages[s.name] = status_name(s.status);
  json strategies = json::object();
  for (const auto& a : r.attempts) strategies[a.strategy] = status_name(a.status);
  return {{"ok", r.ok},
          {"exit_code", r.exit_code},
          {"error", r.error},
          {"output_written", r.output_written},
          {"chosen_strategy", r.chosen_strategy},
          {"sound", r.has_graph ? json(r.sound) : json(nullptr)},
          {"strategies", strategies},
          {"stages", stages}};
}

json request_json(const ExportReport& r) {
  return {{"program", r.program_name}, {"program_dir", r.program_dir}, {"config", r.config_file},
          {"output", r.output},        {"opset", r.opset},             {"optimize", r.optimize},
          {"verify", r.verify},        {"strategies", r.strategies},    {"allow_unsound", r.allow_unsound},
          {"mutations_as_outputs", r.mutations_as_outputs}};
}

json plugins_json(const std::vector<LoadedPlugin>& plugins) {
  json out = json::array();
  for (const auto& p : plugins) {
    out.push_back({{"name", p.name},
                   {"version", p.version},
                   {"description", p.description},
                   {"file", p.file.string()},
                   {"loaded", p.loaded},
                   {"error", p.error},
                   {"strategies", p.strategies},
                   {"translators", p.translators},
                   {"decompositions", p.decompositions}});
  }
  return out;
}

json attempts_json(const std::vector<StrategyAttempt>& attempts) {
  json out = json::array();
  for (const auto& a : attempts) {
    out.push_back({{"strategy", a.strategy},
                   {"plugin", a.plugin},
                   {"status", status_name(a.status)},
                   {"seconds", a.seconds},
                   {"failure", a.failure},
                   {"diagnostics", diagnostics_json(a.diagnostics)},
                   {"partial_graph", a.partial_graph},
                   {"details", a.details}});
  }
  return out;
}

json assertions_json(const std::vector<RuntimeAssertion>& assertions) {
  json out = json::array();
  for (const auto& a : assertions) out.push_back({{"expr", a.expr}, {"loc", loc_json(a.loc)}, {"note", a.note}});
  return out;
}

// null when every capture that ran was sound (or none captured anything).
json unsound_candidate_json(const ExportReport& r) {
  if (!r.unsound_candidate) return nullptr;
  const UnsoundCandidate& c = *r.unsound_candidate;
  std::string hint;
  if (!c.used && r.chosen_strategy.empty())
    hint = "pass --allow-unsound or set \"allow_unsound\": true in the config (config/torch-compatible.json does) "
           "to export this graph anyway; the model is then only right while its runtime assertions hold";
  return {{"strategy", c.strategy},
          {"used", c.used},
          {"reasons", c.reasons},
          {"runtime_assertions", assertions_json(c.assertions)},
          {"hint", hint}};
}

json mutations_json(const std::vector<MutationRecord>& mutations) {
  json out = json::array();
  for (const auto& m : mutations)
    out.push_back({{"kind", m.kind},
                   {"name", m.name},
                   {"output", m.output.empty() ? json(nullptr) : json(m.output)},
                   {"loc", loc_json(m.loc)}});
  return out;
}

json soundness_json(const ExportReport& r) {
  json guards = json::array();
  for (const auto& g : r.guards) guards.push_back({{"expr", g.expr}, {"loc", loc_json(g.loc)}, {"note", g.note}});
  json asserts = assertions_json(r.assertions);
  std::string note;
  if (r.has_graph)
    note = r.sound ? "the graph is sound"
                   : "the graph is not sound: it is only right when every runtime assertion holds";
  return {{"sound", r.has_graph ? json(r.sound) : json(nullptr)},
          {"note", note},
          {"draft_report", r.draft_report},
          {"guards", guards},
          {"runtime_assertions", asserts}};
}

json analysis_json(const ExportReport& r) {
  json ops = json::array();
  for (const auto& [op, n] : r.op_counts) ops.push_back({{"op", op}, {"count", n}});
  json params = json::array();
  for (const auto& p : r.parameters)
    params.push_back({{"dtype", p.dtype}, {"count", p.count}, {"elements", p.elements}, {"bytes", p.bytes}});
  json missing = json::array();
  for (const auto& m : r.missing_translators)
    missing.push_back({{"op", m.op}, {"count", m.count}, {"example", m.example_node}, {"loc", loc_json(m.example_loc)}});
  json used = json::array();
  for (const auto& [op, by] : r.translators_used) used.push_back({{"op", op}, {"translator", by}});
  return {{"op_counts", ops},
          {"parameters", params},
          {"missing_translators", missing},
          {"translators_used", used}};
}

json optimize_json(const std::optional<OptimizeStats>& s) {
  if (!s) return nullptr;
  return {{"folded", s->folded},
          {"removed_dead", s->removed_dead},
          {"removed_noop", s->removed_noop},
          {"removed_initializers", s->removed_initializers},
          {"nodes_before", s->nodes_before},
          {"nodes_after", s->nodes_after}};
}

json verification_json(const std::optional<VerificationReport>& v) {
  if (!v) return nullptr;
  json outputs = json::array();
  for (const auto& c : v->outputs) {
    json hist = json::array();
    for (const auto& [bound, count] : c.histogram) hist.push_back({{"upper", bound}, {"count", count}});
    outputs.push_back({{"name", c.name},
                       {"ok", c.ok},
                       {"max_abs", c.max_abs},
                       {"max_rel", c.max_rel},
                       {"histogram", hist},
                       {"problem", c.problem}});
  }
  return {{"inputs", v->inputs}, {"reference", v->reference}, {"atol", v->atol},
          {"rtol", v->rtol},     {"outputs", outputs},        {"problem", v->problem}};
}

json stages_json(const std::vector<StageReport>& stages) {
  json out = json::array();
  for (const auto& s : stages) {
    out.push_back({{"name", s.name},
                   {"status", status_name(s.status)},
                   {"seconds", s.seconds},
                   {"summary", s.summary},
                   {"diagnostics", diagnostics_json(s.diagnostics)}});
  }
  return out;
}

json timings_json(const std::vector<std::pair<std::string, double>>& timings) {
  json out = json::object();
  for (const auto& [name, seconds] : timings) out[name] = seconds;
  return out;
}

}  // namespace

nlohmann::json report_to_json(const ExportReport& r) {
  json j;
  j["format"] = "onnxport.report";
  j["version"] = 1;
  j["status"] = status_block(r);
  j["request"] = request_json(r);
  j["plugins"] = plugins_json(r.plugins);
  j["capture"] = {{"chosen_strategy", r.chosen_strategy},
                  {"attempts", attempts_json(r.attempts)},
                  {"unsound_candidate", unsound_candidate_json(r)}};
  j["soundness"] = soundness_json(r);
  j["mutations"] = mutations_json(r.mutations);
  j["graph"] = {{"text", r.graph_text},
                {"decomposed_nodes", r.decomposed_nodes},
                {"decomposed_text", r.decomposed_graph_text}};
  j["model"] = {{"text", r.model_text}};
  j["analysis"] = analysis_json(r);
  j["optimize"] = optimize_json(r.optimize_stats);
  j["verification"] = verification_json(r.verification);
  j["stages"] = stages_json(r.stages);
  j["timings"] = timings_json(r.timings);
  j["diagnostics"] = diagnostics_json(r.diagnostics);
  return j;
}

}  // namespace onnxport
