// Capture with fallback. Each attempt stands alone: a strategy that is not
// registered, fails, throws or returns a malformed graph is reported and the
// next one runs. Crashes and hangs are survived only with isolation (each
// attempt in a child process, isolated_capture.cpp).
#include "pipeline/capture_stage.hpp"

#include "pipeline/graph_check.hpp"
#include "pipeline/stopwatch.hpp"

#include <algorithm>
#include <sstream>

namespace onnxport::pipeline {

namespace {

// Strategies log through the host; warnings reach the user as status lines,
// notes only in verbose mode.
class PrintingHostServices final : public HostServices {
 public:
  explicit PrintingHostServices(StatusPrinter& status) : status_(status) {}
  void log(Severity severity, std::string_view message) override {
    if (severity == Severity::Note) status_.debug(std::string(message));
    else status_.line(std::string(severity_name(severity)) + ": " + std::string(message));
  }

 private:
  StatusPrinter& status_;
};

std::string status_subject(const Program& program, const std::string& strategy) {
  return "Obtain model graph for `" + program.name + "` with `" + strategy + "`";
}

std::string plugin_of(const PluginHost& host, const std::string& strategy) {
  for (const auto& [name, plugin] : host.strategies())
    if (name == strategy) return plugin;
  return {};
}

std::string registered_strategies(const PluginHost& host) {
  std::string out;
  for (const auto& [name, plugin] : host.strategies()) out += (out.empty() ? "" : ", ") + name + " (" + plugin + ")";
  return out.empty() ? "none" : out;
}

Diagnostic unknown_strategy(const PluginHost& host, const std::string& strategy) {
  Diagnostic d;
  d.code = "unknown-strategy";
  d.stage = "capture";
  d.message = "no loaded plugin registers a strategy named `" + strategy + "` (registered: " +
              registered_strategies(host) + ")";
  d.hint = "add the plugin that provides it to the config's \"plugins\", or fix the name in \"strategies\"";
  return d;
}

const Diagnostic* first_error(const std::vector<Diagnostic>& diagnostics) {
  auto it = std::find_if(diagnostics.begin(), diagnostics.end(),
                         [](const Diagnostic& d) { return d.severity == Severity::Error; });
  return it == diagnostics.end() ? nullptr : &*it;
}

// The graph captured up to the failure: the result's own, else the one an
// error diagnostic carries in its details.
std::string partial_graph_of(const CaptureResult& result) {
  if (!result.partial_graph.empty()) return result.partial_graph;
  for (const auto& d : result.diagnostics) {
    auto it = d.details.find("partial_graph");
    if (it != d.details.end() && it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  }
  return {};
}

// What the user sees between "..." and "... ❌": the partial graph, then
// every error, like the seed prints the graph and then the exception.
void print_failure(StatusPrinter& status, const StrategyAttempt& attempt) {
  if (!attempt.partial_graph.empty()) status.detail("\n" + attempt.partial_graph);
  std::string text;
  for (const auto& d : attempt.diagnostics)
    if (d.severity == Severity::Error) text += d.to_text();
  status.detail(text);
}

// Warnings that are not part of the draft report (no category).
void print_uncategorized_warnings(StatusPrinter& status, const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics)
    if (d.severity == Severity::Warning && d.category.empty()) text += d.to_text();
  status.detail(text);
}

// The strategy's graph is checked before anyone translates it; a malformed
// one fails the attempt with every problem listed.
void reject_if_malformed(CaptureResult& result, const std::string& strategy, const std::string& plugin) {
  if (!result.graph) return;
  const std::vector<std::string> problems = check_captured_graph(*result.graph);
  if (problems.empty()) return;
  Diagnostic d;
  d.code = "strategy-malformed-graph";
  d.stage = "capture";
  d.plugin = plugin;
  d.message = "strategy '" + strategy + "' (plugin " + plugin + ") returned a malformed graph (" +
              std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems") + "):";
  for (const std::string& p : problems) d.message += "\n  - " + p;
  d.hint = "the plugin's strategy has a bug; the graph was not translated";
  d.details["problems"] = problems;
  result.diagnostics.push_back(std::move(d));
  result.graph.reset();
}

CaptureResult capture_once(Strategy& strategy, const Program& program, const CaptureOptions& options,
                           HostServices& services, const std::string& plugin, const IsolationOptions& isolation) {
  if (isolation.enabled) return isolated_capture(strategy, program, options, services, plugin, isolation.timeout_s);
  return safe_capture(strategy, program, options, services, plugin);
}

StrategyAttempt run_attempt(const Program& program, const PluginHost& host, const std::string& name,
                            const CaptureOptions& options, const IsolationOptions& isolation, StatusPrinter& status,
                            std::optional<Graph>& graph) {
  StrategyAttempt attempt;
  attempt.strategy = name;
  Stopwatch clock;
  Strategy* strategy = host.strategy(name);
  if (strategy == nullptr) {
    attempt.diagnostics.push_back(unknown_strategy(host, name));
  } else {
    attempt.plugin = plugin_of(host, name);
    PrintingHostServices services(status);
    CaptureResult result = capture_once(*strategy, program, options, services, attempt.plugin, isolation);
    reject_if_malformed(result, name, attempt.plugin);
    attempt.partial_graph = partial_graph_of(result);
    attempt.diagnostics = std::move(result.diagnostics);
    attempt.details = std::move(result.details);
    // A graph that comes with an error diagnostic is not trusted.
    if (result.graph && first_error(attempt.diagnostics) == nullptr) graph = std::move(result.graph);
  }
  attempt.seconds = clock.seconds();
  attempt.status = graph ? Status::Ok : Status::Failed;
  if (!graph) {
    const Diagnostic* error = first_error(attempt.diagnostics);
    attempt.failure = error != nullptr ? error->message : "the strategy returned no graph";
  }
  return attempt;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::optional<Graph> capture_with_fallback(const Program& program, const PluginHost& host,
                                           const std::vector<std::string>& order, const CaptureOptions& options,
                                           StatusPrinter& status, ExportReport& report,
                                           const IsolationOptions& isolation) {
  StageReport& stage = report.stage("capture");
  Stopwatch clock;
  std::optional<Graph> graph;
  if (!isolation.enabled && isolation.timeout_s > 0)
    status.line("warning: timeout_s (" + (std::ostringstream() << isolation.timeout_s).str() +
                " s) has no effect without isolation (a running strategy can only be stopped in its own process); "
                "use --isolate or \"isolate\": true");
  for (const std::string& name : order) {
    const std::string subject = status_subject(program, name);
    status.begin(subject);
    StrategyAttempt attempt = run_attempt(program, host, name, options, isolation, status, graph);
    if (graph) {
      report.draft_report = format_draft_report(*graph, attempt.diagnostics);
      if (!report.draft_report.empty()) {
        status.line("Draft Export report:");
        status.detail(report.draft_report);
      }
      print_uncategorized_warnings(status, attempt.diagnostics);
      report.chosen_strategy = name;
    } else {
      print_failure(status, attempt);
    }
    status.end(subject, graph.has_value(), attempt.seconds);
    report.attempts.push_back(std::move(attempt));
    if (graph) break;
  }
  stage.seconds = clock.seconds();
  stage.status = graph ? Status::Ok : Status::Failed;
  if (graph) {
    stage.summary = "captured by `" + report.chosen_strategy + "` (" + std::to_string(graph->node_count()) + " nodes)";
  } else {
    stage.summary = order.empty() ? "no strategy configured" : "every strategy failed: " + join(order);
  }
  return graph;
}

}  // namespace onnxport::pipeline
