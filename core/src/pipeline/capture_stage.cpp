// Capture with fallback. Each attempt stands alone: a strategy that is not
// registered, fails, throws or returns a malformed graph is reported and the
// next one runs. Crashes and hangs are survived only with isolation (each
// attempt in a child process, isolated_capture.cpp).
#include "pipeline/capture_stage.hpp"

#include "pipeline/graph_check.hpp"
#include "pipeline/stopwatch.hpp"
#include "pipeline/trace_specialization.hpp"

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

// What a successful export shows of a strategy that failed: one line with the
// first error's code, place and the first line of its message. The whole
// story (partial graph, every error) is in the report, and on the console
// with -v or when no strategy captured a graph.
std::string failure_summary(const StrategyAttempt& attempt) {
  const Diagnostic* error = first_error(attempt.diagnostics);
  std::string text = "`" + attempt.strategy + "` failed: ";
  if (error == nullptr) return text + attempt.failure;
  text += "error";
  if (!error->code.empty()) text += "[" + error->code + "]";
  if (error->loc.known()) text += " at " + error->loc.str();
  if (!error->loc.text.empty()) text += " `" + error->loc.text + "`";
  constexpr size_t kMaxMessage = 200;
  std::string message = error->message.substr(0, error->message.find('\n'));
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage - 3) + "...";
  text += ": " + message;
  const auto errors = std::count_if(attempt.diagnostics.begin(), attempt.diagnostics.end(),
                                    [](const Diagnostic& d) { return d.severity == Severity::Error; });
  if (errors > 1) text += " (and " + std::to_string(errors - 1) + " more)";
  return text;
}

// The full diagnostics of the strategies that failed, after the chain, for an
// export that captured nothing (a failed export shows everything).
void print_deferred_failures(StatusPrinter& status, const std::vector<StrategyAttempt>& attempts) {
  for (const StrategyAttempt& attempt : attempts) {
    if (attempt.status != Status::Failed) continue;
    status.line("Why `" + attempt.strategy + "` failed:");
    print_failure(status, attempt);
  }
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
  attempt.status = !graph ? Status::Failed : graph->sound ? Status::Ok : Status::Unsound;
  if (!graph) {
    const Diagnostic* error = first_error(attempt.diagnostics);
    attempt.failure = error != nullptr ? error->message : "the strategy returned no graph";
  } else if (!graph->sound) {
    attempt.failure = "captured a graph that is not sound";
  }
  return attempt;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Why a graph is not sound, one line each: what it assumes at run time (the
// engine records a runtime assertion for every guard on a declared dynamic
// dim, specialized data-dependent branch and unrolled data-dependent loop),
// else the strategy's categorized warnings, else the bare fact.
std::vector<std::string> unsound_reasons(const Graph& graph, const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> reasons;
  for (const RuntimeAssertion& a : graph.assertions) {
    std::string line = "assumes `" + a.expr + "`";
    if (!a.note.empty()) line += ": " + a.note;
    if (a.loc.known()) line += " (at " + a.loc.str() + (a.loc.text.empty() ? "" : ": " + a.loc.text) + ")";
    reasons.push_back(std::move(line));
  }
  if (!reasons.empty()) return reasons;
  for (const Diagnostic& d : diagnostics)
    if (d.severity == Severity::Warning && !d.category.empty()) reasons.push_back(d.message);
  if (reasons.empty()) reasons.push_back("the strategy marked its graph not sound");
  return reasons;
}

// The reason line of one value that torch.jit.trace fixed (trace_specialization.hpp).
std::string traced_reason(const std::string& warning) {
  return "the program was captured by torch.jit.trace, which fixed a value of the example inputs: " + warning;
}

UnsoundCandidate candidate_of(const std::string& strategy, const Graph& graph,
                              const std::vector<Diagnostic>& diagnostics,
                              const std::vector<std::string>& traced_specializations, bool strategy_found_it_sound) {
  UnsoundCandidate c;
  c.strategy = strategy;
  for (const std::string& w : traced_specializations) c.reasons.push_back(traced_reason(w));
  // The strategy's own reasons only when it had any: a graph it marked sound
  // is unsound only because of the trace.
  if (!strategy_found_it_sound)
    for (std::string& r : unsound_reasons(graph, diagnostics)) c.reasons.push_back(std::move(r));
  c.assertions = graph.assertions;
  return c;
}

// A graph of a program that the trace specialized is not sound, whatever the
// strategy found (trace_specialization.hpp).
void mark_unsound_by_trace(Graph& graph, StrategyAttempt& attempt) {
  graph.sound = false;
  attempt.status = Status::Unsound;
  attempt.failure = "captured a graph that is not sound: the program was captured by torch.jit.trace, which fixed "
                    "values of the example inputs";
}

std::string nodes_text(const Graph& graph) { return std::to_string(graph.node_count()) + " nodes"; }

}  // namespace

std::string allow_unsound_hint() {
  return "to export the unsound graph anyway (the model is then only right while its runtime assertions hold), "
         "pass --allow-unsound or set \"allow_unsound\": true in the config (config/torch-compatible.json does, "
         "as torch.onnx.export would); to get a sound graph, make the model independent of the specialized "
         "values, or drop the dim from the dynamic shapes";
}

std::optional<Graph> capture_with_fallback(const Program& program, const PluginHost& host,
                                           const std::vector<std::string>& order, const CaptureOptions& options,
                                           StatusPrinter& status, ExportReport& report,
                                           const IsolationOptions& isolation, bool allow_unsound) {
  StageReport& stage = report.stage("capture");
  Stopwatch clock;
  std::optional<Graph> sound;      // the first sound graph: it ends the chain
  std::optional<Graph> candidate;  // the first unsound one, held while later strategies try
  std::string candidate_draft_report;
  const std::vector<std::string> traced_specializations = trace_specializations(program);
  if (!isolation.enabled && isolation.timeout_s > 0)
    status.line("warning: timeout_s (" + (std::ostringstream() << isolation.timeout_s).str() +
                " s) has no effect without isolation (a running strategy can only be stopped in its own process); "
                "use --isolate or \"isolate\": true");
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& name = order[i];
    const std::string subject = status_subject(program, name);
    status.begin(subject);
    std::optional<Graph> graph;
    StrategyAttempt attempt = run_attempt(program, host, name, options, isolation, status, graph);
    const bool strategy_found_it_sound = graph && graph->sound;
    if (graph && !traced_specializations.empty()) mark_unsound_by_trace(*graph, attempt);
    std::string draft_report;
    if (graph) {
      draft_report = format_draft_report(*graph, attempt.diagnostics);
      if (!draft_report.empty()) {
        status.line("Draft Export report:");
        status.detail(draft_report);
      }
      print_uncategorized_warnings(status, attempt.diagnostics);
    } else if (status.verbose()) {
      print_failure(status, attempt);
    }
    status.end(subject, status_mark(attempt.status), attempt.seconds);
    if (!graph && !status.verbose()) status.line(failure_summary(attempt));
    const bool last = i + 1 == order.size();
    if (graph && graph->sound) {
      report.chosen_strategy = name;
      report.draft_report = std::move(draft_report);
      sound = std::move(graph);
    } else if (graph && !candidate) {
      report.unsound_candidate =
          candidate_of(name, *graph, attempt.diagnostics, traced_specializations, strategy_found_it_sound);
      if (!traced_specializations.empty() && !last) {
        // The specialization is in the program: no later strategy can capture what the trace dropped.
        status.line("The graph of `" + name + "` is not sound: torch.jit.trace fixed values of the example inputs " +
                    "when the program was captured, and no later strategy can undo that; they are not tried");
        candidate = std::move(graph);
        candidate_draft_report = std::move(draft_report);
        report.attempts.push_back(std::move(attempt));
        break;
      }
      if (!last)
        status.line("The graph of `" + name + "` is not sound; it is held, and `" + order[i + 1] +
                    "` is tried next for a sound one");
      candidate = std::move(graph);
      candidate_draft_report = std::move(draft_report);
    } else if (graph) {
      status.line("The graph of `" + name + "` is not sound either; `" + report.unsound_candidate->strategy +
                  "`'s stays the candidate");
    }
    report.attempts.push_back(std::move(attempt));
    if (sound) break;
  }
  stage.seconds = clock.seconds();
  if (sound) {
    stage.status = Status::Ok;
    stage.summary = "captured by `" + report.chosen_strategy + "` (" + nodes_text(*sound) + ")";
    if (report.unsound_candidate)
      stage.summary += "; `" + report.unsound_candidate->strategy + "` was not sound";
    return sound;
  }
  if (candidate && allow_unsound) {
    UnsoundCandidate& used = *report.unsound_candidate;
    used.used = true;
    report.chosen_strategy = used.strategy;
    report.draft_report = std::move(candidate_draft_report);
    stage.status = Status::Ok;
    stage.summary = "captured by `" + used.strategy + "` (" + nodes_text(*candidate) +
                    "), not sound: no strategy was, and allow_unsound is on";
    status.line("No strategy captured a sound graph; `" + used.strategy +
                "`'s is used (allow_unsound): the model is only right while its runtime assertions hold");
    return candidate;
  }
  stage.status = Status::Failed;
  if (!status.verbose()) print_deferred_failures(status, report.attempts);
  if (candidate) {
    const UnsoundCandidate& held = *report.unsound_candidate;
    stage.summary = "no strategy captured a sound graph; the first unsound capture, by `" + held.strategy +
                    "`, was not exported (allow_unsound is off)";
    Diagnostic d;
    d.code = "unsound-capture-refused";
    d.stage = "capture";
    d.message = "no strategy captured a sound graph of `" + program.name + "`; `" + held.strategy +
                "` captured one that is not sound:";
    for (const std::string& reason : held.reasons) d.message += "\n  - " + reason;
    d.hint = allow_unsound_hint();
    if (!traced_specializations.empty())
      d.hint += "; a traced program keeps only the branches its example inputs took: make the module scriptable "
                "(torch2program's `script_error` in program.json says why torch.jit.script failed) so that "
                "torch2program does not fall back to tracing";
    d.details["strategy"] = held.strategy;
    d.details["reasons"] = held.reasons;
    stage.diagnostics.push_back(std::move(d));
  } else {
    stage.summary = order.empty() ? "no strategy configured" : "every strategy failed: " + join(order);
  }
  return std::nullopt;
}

}  // namespace onnxport::pipeline
