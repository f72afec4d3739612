// report.md: the export report for people. Same content as report.json, in
// the order someone debugging an export reads it: verdict, stages, why each
// strategy failed, soundness, the graph, the model, analysis, numbers.
#include <onnxport_core/report.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace onnxport {

namespace {

// A table cell: no line breaks, no unescaped pipes.
std::string cell(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}

std::string code(const std::string& text) {
  if (text.empty()) return "";
  return "`" + text + "`";
}

// A fenced block whose fence is longer than any backtick run in `text`.
void fenced(std::ostringstream& out, const std::string& text, const char* lang = "text") {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = (c == '`') ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<size_t>(3, longest + 1), '`');
  out << fence << lang << "\n" << text;
  if (!text.empty() && text.back() != '\n') out << "\n";
  out << fence << "\n\n";
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string status_cell(Status s) {
  return std::string(status_mark(s)) + " " + std::string(status_name(s));
}

void write_summary(std::ostringstream& out, const ExportReport& r) {
  out << "# onnxport export report: `" << (r.program_name.empty() ? "?" : r.program_name) << "`\n\n";
  if (r.ok && r.has_graph && !r.sound)
    out << "**Result: ⚠ exported, not sound** to `" << r.output << "`\n\n";
  else if (r.ok)
    out << "**Result: ✅ exported** to `" << r.output << "`\n\n";
  else
    out << "**Result: ❌ failed** (exit code " << r.exit_code << "): " << r.error << "\n\n";
  out << "| | |\n|---|---|\n";
  out << "| program | `" << r.program_dir << "` |\n";
  out << "| config | `" << r.config_file << "` |\n";
  out << "| output | `" << r.output << "`" << (r.output_written ? " (written)" : " (not written)") << " |\n";
  out << "| opset | " << r.opset << " |\n";
  out << "| optimize | " << (r.optimize ? "yes" : "no") << " |\n";
  // The configured order and the attempts that actually ran are two facts:
  // fallback stops at the first sound capture, so later strategies never run.
  std::string order;
  for (const auto& s : r.strategies) order += (order.empty() ? "" : ", ") + s;
  out << "| strategies configured | " << cell(order) << " |\n";
  std::string tried;
  for (const auto& a : r.attempts)
    tried += (tried.empty() ? "" : ", ") + code(a.strategy) + " " + std::string(status_mark(a.status));
  out << "| strategies tried | " << (tried.empty() ? std::string("none") : tried) << " |\n";
  out << "| chosen strategy | " << (r.chosen_strategy.empty() ? "none" : code(r.chosen_strategy)) << " |\n";
  if (r.has_graph)
    out << "| sound | " << (r.sound ? "yes" : "**no**: the graph is not sound (see Soundness)") << " |\n";
  out << "\n";
}

void write_stages(std::ostringstream& out, const ExportReport& r) {
  out << "## Status\n\n| stage | status | seconds | summary |\n|---|---|---|---|\n";
  for (const auto& a : r.attempts)
    out << "| strategy " << code(a.strategy) << " | " << status_cell(a.status) << " | " << seconds(a.seconds)
        << " | " << cell(a.failure) << " |\n";
  for (const auto& s : r.stages)
    out << "| " << s.name << " | " << status_cell(s.status) << " | " << seconds(s.seconds) << " | "
        << cell(s.summary) << " |\n";
  out << "\n";
}

void write_diagnostics(std::ostringstream& out, const std::vector<Diagnostic>& diagnostics) {
  if (diagnostics.empty()) return;
  std::string text;
  for (const auto& d : diagnostics) text += d.to_text() + "\n";
  fenced(out, text);
}

void write_attempts(std::ostringstream& out, const ExportReport& r) {
  if (r.attempts.empty()) return;
  out << "## Strategies\n\n";
  for (const auto& a : r.attempts) {
    out << "### " << status_mark(a.status) << " `" << a.strategy << "`";
    if (!a.plugin.empty()) out << " (plugin `" << a.plugin << "`)";
    out << ", " << seconds(a.seconds) << " s\n\n";
    if (!a.failure.empty()) out << a.failure << "\n\n";
    if (a.details.is_object() && !a.details.empty()) {
      for (const auto& [key, value] : a.details.items())
        out << "- " << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
      out << "\n";
    }
    write_diagnostics(out, a.diagnostics);
    if (!a.partial_graph.empty()) {
      out << "Graph captured up to the failure:\n\n";
      fenced(out, a.partial_graph);
    }
  }
}

void write_assertions(std::ostringstream& out, const std::vector<RuntimeAssertion>& assertions) {
  if (assertions.empty()) return;
  out << "| runtime assertion | location | source | note |\n|---|---|---|---|\n";
  for (const auto& a : assertions)
    out << "| " << code(a.expr) << " | " << cell(a.loc.str()) << " | " << code(a.loc.text) << " | " << cell(a.note)
        << " |\n";
  out << "\n";
}

// The first unsound capture: exported (allow_unsound), passed over for a
// later sound one, or refused with the way to allow it.
void write_unsound_candidate(std::ostringstream& out, const ExportReport& r) {
  if (!r.unsound_candidate) return;
  const UnsoundCandidate& c = *r.unsound_candidate;
  out << "## Unsound candidate\n\n";
  if (c.used)
    out << "No strategy captured a sound graph; ⚠ `" << c.strategy
        << "`'s unsound graph was exported because allow_unsound is on.\n\n";
  else if (!r.chosen_strategy.empty())
    out << "`" << c.strategy << "` captured a graph that is not sound; it was held while later strategies tried, and `"
        << r.chosen_strategy << "` captured a sound one.\n\n";
  else
    out << "**No strategy captured a sound graph.** The first unsound capture, ⚠ `" << c.strategy
        << "`'s, was not exported: allow_unsound is off.\n\n";
  out << "Why it is not sound:\n\n";
  for (const std::string& reason : c.reasons) out << "- " << reason << "\n";
  out << "\n";
  if (!c.used) write_assertions(out, c.assertions);
  if (!c.used && r.chosen_strategy.empty())
    out << "To export it anyway (the model is then only right while these runtime assertions hold), pass "
           "`--allow-unsound` or set `\"allow_unsound\": true` in the config (`config/torch-compatible.json` "
           "does).\n\n";
}

void write_soundness(std::ostringstream& out, const ExportReport& r) {
  if (!r.has_graph) return;
  out << "## Soundness\n\n";
  out << (r.sound ? "The graph is sound.\n\n"
                  : "**The graph is not sound**: it is only right when every runtime assertion below holds.\n\n");
  if (!r.draft_report.empty()) {
    out << "Issues met by `" << r.chosen_strategy << "`:\n\n";
    fenced(out, r.draft_report);
  }
  write_assertions(out, r.assertions);
  if (!r.guards.empty()) {
    out << "| guard | location | source | note |\n|---|---|---|---|\n";
    for (const auto& g : r.guards)
      out << "| " << code(g.expr) << " | " << cell(g.loc.str()) << " | " << code(g.loc.text) << " | " << cell(g.note)
          << " |\n";
    out << "\n";
  }
}

void write_mutations(std::ostringstream& out, const ExportReport& r) {
  if (r.mutations.empty()) return;
  out << "## Mutations\n\n";
  out << (r.mutations_as_outputs
              ? "forward updates these in place; their new values are outputs of the model, after forward's "
                "(mutations_as_outputs).\n\n"
              : "forward updates these in place; the model's outputs are forward's own, so their new values are "
                "dropped (`--mutations-as-outputs` adds them as `<name>.updated` outputs).\n\n");
  out << "| kind | name | model output | first updated at | source |\n|---|---|---|---|---|\n";
  for (const auto& m : r.mutations)
    out << "| " << m.kind << " | " << code(m.name) << " | " << (m.output.empty() ? "dropped" : code(m.output))
        << " | " << cell(m.loc.known() ? m.loc.str() : "") << " | " << code(m.loc.text) << " |\n";
  out << "\n";
}

void write_graphs(std::ostringstream& out, const ExportReport& r) {
  if (!r.graph_text.empty()) {
    out << "## Captured graph\n\n";
    fenced(out, r.graph_text);
  }
  if (!r.decomposed_graph_text.empty()) {
    out << "## Graph after decomposition (" << r.decomposed_nodes << " nodes rewritten)\n\n";
    fenced(out, r.decomposed_graph_text);
  }
  if (!r.model_text.empty()) {
    out << "## ONNX model\n\n";
    fenced(out, r.model_text);
  }
}

void write_analysis(std::ostringstream& out, const ExportReport& r) {
  if (r.op_counts.empty() && r.parameters.empty() && r.missing_translators.empty()) return;
  out << "## Analysis\n\n";
  if (!r.op_counts.empty()) {
    out << "### ONNX nodes by op type\n\n| op | count |\n|---|---|\n";
    for (const auto& [op, n] : r.op_counts) out << "| " << op << " | " << n << " |\n";
    out << "\n";
  }
  if (!r.parameters.empty()) {
    out << "### Parameters by dtype\n\n| dtype | tensors | elements | bytes |\n|---|---|---|---|\n";
    for (const auto& p : r.parameters)
      out << "| " << p.dtype << " | " << p.count << " | " << p.elements << " | " << p.bytes << " |\n";
    out << "\n";
  }
  if (!r.missing_translators.empty()) {
    out << "### Missing translators\n\n| op | nodes | example | location |\n|---|---|---|---|\n";
    for (const auto& m : r.missing_translators)
      out << "| " << code(m.op) << " | " << m.count << " | " << code(m.example_node) << " | "
          << cell(m.example_loc.str() + (m.example_loc.text.empty() ? "" : ": " + m.example_loc.text)) << " |\n";
    out << "\n";
  }
  if (!r.translators_used.empty()) {
    out << "### Translators used\n\n| op | translator |\n|---|---|\n";
    for (const auto& [op, by] : r.translators_used) out << "| " << code(op) << " | " << cell(by) << " |\n";
    out << "\n";
  }
}

void write_optimize(std::ostringstream& out, const ExportReport& r) {
  if (!r.optimize_stats) return;
  const auto& s = *r.optimize_stats;
  out << "## Optimization\n\n| | |\n|---|---|\n";
  out << "| nodes | " << s.nodes_before << " → " << s.nodes_after << " |\n";
  out << "| folded into constants | " << s.folded << " |\n";
  out << "| dead nodes removed | " << s.removed_dead << " |\n";
  out << "| no-op nodes removed | " << s.removed_noop << " |\n";
  out << "| unused initializers removed | " << s.removed_initializers << " |\n\n";
}

void write_verification(std::ostringstream& out, const ExportReport& r) {
  if (!r.verification) return;
  const auto& v = *r.verification;
  out << "## Verification (ONNX Runtime)\n\n";
  out << "Inputs: " << v.inputs << ". Reference: " << v.reference << ". Tolerance: atol " << number(v.atol)
      << ", rtol " << number(v.rtol) << ".\n\n";
  if (!v.problem.empty()) out << "**Problem:** " << v.problem << "\n\n";
  if (v.outputs.empty()) return;
  out << "| output | ok | max abs diff | max rel diff | histogram of abs diff |\n|---|---|---|---|---|\n";
  for (const auto& c : v.outputs) {
    std::string hist;
    for (const auto& [bound, count] : c.histogram) hist += (hist.empty() ? "" : ", ") + std::string("≤") + number(bound) + ": " + std::to_string(count);
    out << "| " << c.name << " | " << (c.ok ? "✅" : "❌") << " | " << number(c.max_abs) << " | " << number(c.max_rel)
        << " | " << cell(c.problem.empty() ? hist : c.problem) << " |\n";
  }
  out << "\n";
}

void write_timings(std::ostringstream& out, const ExportReport& r) {
  if (r.timings.empty()) return;
  out << "## Timings\n\n| step | seconds |\n|---|---|\n";
  for (const auto& [name, s] : r.timings) out << "| " << name << " | " << seconds(s) << " |\n";
  out << "\n";
}

void write_plugins(std::ostringstream& out, const ExportReport& r) {
  if (r.plugins.empty()) return;
  out << "## Plugins\n\n| plugin | version | status | strategies | translators | file |\n|---|---|---|---|---|---|\n";
  for (const auto& p : r.plugins) {
    std::string strategies;
    for (const auto& s : p.strategies) strategies += (strategies.empty() ? "" : ", ") + s;
    out << "| " << p.name << " | " << p.version << " | "
        << (p.loaded ? std::string("✅ loaded") : "❌ refused: " + cell(p.error)) << " | " << cell(strategies) << " | "
        << p.translators << " | `" << p.file.string() << "` |\n";
  }
  out << "\n";
}

void write_host_diagnostics(std::ostringstream& out, const ExportReport& r) {
  if (r.diagnostics.empty()) return;
  out << "## Other diagnostics\n\n";
  write_diagnostics(out, r.diagnostics);
}

}  // namespace

std::string report_to_markdown(const ExportReport& r) {
  std::ostringstream out;
  write_summary(out, r);
  write_stages(out, r);
  write_attempts(out, r);
  write_unsound_candidate(out, r);
  write_soundness(out, r);
  write_mutations(out, r);
  write_graphs(out, r);
  write_analysis(out, r);
  write_optimize(out, r);
  write_verification(out, r);
  write_timings(out, r);
  write_plugins(out, r);
  write_host_diagnostics(out, r);
  return out.str();
}

void write_report(const ExportReport& report, const std::filesystem::path& dir, bool json, bool markdown) {
  if (json) write_text_atomic(dir / "report.json", report_to_json(report).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (markdown) write_text_atomic(dir / "report.md", report_to_markdown(report));
}

}  // namespace onnxport
