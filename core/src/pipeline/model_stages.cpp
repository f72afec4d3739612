// Decompose, translate, optimize, check: thin wrappers that time each stage,
// print its status lines and record what it found.
#include "pipeline/model_stages.hpp"

#include "pipeline/stopwatch.hpp"

#include <onnxport/version.hpp>
#include <onnxport_core/onnx_build.hpp>
#include <onnxport_core/onnx_passes.hpp>

#include <algorithm>

namespace onnxport::pipeline {

namespace {

bool has_error(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::string diagnostics_text(const std::vector<Diagnostic>& diagnostics, Severity at_least) {
  std::string text;
  for (const auto& d : diagnostics)
    if (d.severity >= at_least) text += d.to_text();
  return text;
}

std::string missing_translators_text(const std::vector<MissingTranslator>& missing) {
  std::string text = "No translator at this opset for " + std::to_string(missing.size()) + " op(s):\n";
  for (const auto& m : missing) {
    text += "  " + m.op + ": " + std::to_string(m.count) + " node" + (m.count == 1 ? "" : "s");
    if (!m.example_node.empty()) text += ", e.g. `" + m.example_node + "`";
    if (m.example_loc.known()) text += " at " + m.example_loc.str();
    text += "\n";
    if (!m.example_loc.text.empty()) text += "      | " + m.example_loc.text + "\n";
  }
  return text;
}

}  // namespace

bool decompose_stage(Graph& graph, const TranslatorRegistry& registry, int opset, StatusPrinter& status,
                     ExportReport& report) {
  StageReport& stage = report.stage("decompose");
  const std::string subject = "Run decomposition";
  status.begin(subject);
  Stopwatch clock;
  std::vector<Diagnostic> diagnostics;
  try {
    report.decomposed_nodes = run_decompositions(graph, registry, opset, diagnostics);
  } catch (const DiagnosticError& e) {
    diagnostics.push_back(e.diagnostic());
  }
  stage.seconds = clock.seconds();
  const bool ok = !has_error(diagnostics);
  stage.status = ok ? Status::Ok : Status::Failed;
  stage.summary = std::to_string(report.decomposed_nodes) + " node(s) rewritten";
  status.detail(diagnostics_text(diagnostics, Severity::Warning));
  stage.diagnostics = std::move(diagnostics);
  if (ok && report.decomposed_nodes > 0) report.decomposed_graph_text = graph.to_text();
  status.end(subject, ok, stage.seconds);
  return ok;
}

std::optional<onnx::ModelProto> translate_stage(const Graph& graph, const TranslatorRegistry& registry, int opset,
                                                StatusPrinter& status, ExportReport& report) {
  StageReport& stage = report.stage("translate");
  const std::string subject = "Translate the graph into ONNX";
  status.begin(subject);
  Stopwatch clock;
  TranslateOptions options;
  options.opset = opset;
  options.producer_version = ONNXPORT_SDK_VERSION;
  TranslationResult result;
  try {
    result = translate_graph(graph, registry, options);
  } catch (const DiagnosticError& e) {
    result.ok = false;
    result.diagnostics.push_back(e.diagnostic());
  }
  stage.seconds = clock.seconds();
  const bool ok = result.ok && !has_error(result.diagnostics);
  stage.status = ok ? Status::Ok : Status::Failed;
  report.missing_translators = result.missing;
  report.translators_used = result.used;
  if (!result.missing.empty()) status.detail(missing_translators_text(result.missing));
  status.detail(diagnostics_text(result.diagnostics, ok ? Severity::Warning : Severity::Error));
  if (ok) {
    stage.summary = std::to_string(result.model.graph().node_size()) + " ONNX node(s) at opset " + std::to_string(opset);
  } else {
    stage.summary = result.missing.empty()
                        ? "translation failed"
                        : std::to_string(result.missing.size()) + " op(s) without a translator";
  }
  stage.diagnostics = std::move(result.diagnostics);
  status.end(subject, ok, stage.seconds);
  if (!ok) return std::nullopt;
  return std::move(result.model);
}

void optimize_stage(onnx::ModelProto& model, StatusPrinter& status, ExportReport& report) {
  StageReport& stage = report.stage("optimize");
  const std::string subject = "Optimize the model";
  status.begin(subject);
  Stopwatch clock;
  try {
    OptimizeStats stats = optimize_model(model);
    stage.status = Status::Ok;
    stage.summary = "nodes " + std::to_string(stats.nodes_before) + " -> " + std::to_string(stats.nodes_after) +
                    ": folded " + std::to_string(stats.folded) + ", removed " + std::to_string(stats.removed_dead) +
                    " dead, " + std::to_string(stats.removed_noop) + " no-op, " +
                    std::to_string(stats.removed_initializers) + " unused initializer(s)";
    report.optimize_stats = stats;
    status.detail("  " + stage.summary);
  } catch (const std::exception& e) {
    // The optimizer works on a model that already passed translation; when it
    // fails the model is left as the optimizer left it, so the export fails.
    stage.status = Status::Failed;
    stage.summary = std::string("optimizer failed: ") + e.what();
    status.detail("  " + stage.summary);
  }
  stage.seconds = clock.seconds();
  status.end(subject, stage.status == Status::Ok, stage.seconds);
}

namespace {

// A model newer than the linked ONNX's schemas is checked against the older
// ones: nodes whose op changed since then are judged by their old definition
// and ops added since then are unknown. Say so wherever the result shows.
Diagnostic opset_not_covered(int opset, int checker_max) {
  Diagnostic d;
  d.severity = Severity::Warning;
  d.code = "opset-not-checked";
  d.stage = "check";
  d.message = "the model targets opset " + std::to_string(opset) + " but the installed ONNX checker knows opsets up to " +
              std::to_string(checker_max) + ": the checker and shape inference judged it with opset-" +
              std::to_string(checker_max) + " schemas and cannot vouch for what changed in opset " +
              std::to_string(opset);
  d.hint = "export with --opset " + std::to_string(checker_max) +
           " for a fully checked model, or add --verify to run it in ONNX Runtime";
  return d;
}

}  // namespace

bool check_stage(onnx::ModelProto& model, StatusPrinter& status, ExportReport& report) {
  StageReport& stage = report.stage("check");
  const int opset = model_default_opset(model);
  const int checker_max = onnx_checker_max_opset();
  const bool covered = opset <= checker_max;
  const std::string subject = covered ? "Check the model (onnx checker + shape inference)"
                                      : "Check the model (onnx checker + shape inference, opset-" +
                                            std::to_string(checker_max) + " schemas only)";
  status.begin(subject);
  Stopwatch clock;
  std::vector<Diagnostic> problems = check_model(model);
  stage.seconds = clock.seconds();
  const bool ok = !has_error(problems);
  if (!covered) {
    for (Diagnostic& d : problems)
      if (d.severity == Severity::Error && d.hint.empty())
        d.hint = "opset " + std::to_string(opset) + " is newer than the checker (" + std::to_string(checker_max) +
                 "): the problem may be an op that changed since; try --opset " + std::to_string(checker_max);
    problems.push_back(opset_not_covered(opset, checker_max));
  }
  stage.status = ok ? Status::Ok : Status::Failed;
  if (!ok) stage.summary = std::to_string(problems.size() - (covered ? 0 : 1)) + " problem(s)";
  else if (covered) stage.summary = "passed";
  else stage.summary = "not fully checked: no problem found with the opset-" + std::to_string(checker_max) +
                       " schemas, opset " + std::to_string(opset) + " is newer than the installed ONNX checker";
  status.detail(diagnostics_text(problems, Severity::Warning));
  stage.diagnostics = std::move(problems);
  status.end(subject, ok, stage.seconds);
  return ok;
}

}  // namespace onnxport::pipeline
