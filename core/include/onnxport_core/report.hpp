// The export report (docs/architecture.md §8, docs/reports.md): everything one
// `onnxport export` run learned, as plain data, rendered as report.json (for
// tools) and report.md (for people). The pipeline fills it stage by stage and
// writes it even when the export fails: that is when people need it.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/graph.hpp>
#include <onnxport_core/onnx_build.hpp>
#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/ort.hpp>
#include <onnxport_core/plugin_host.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport {

// Status of a strategy attempt or a stage. `Unsound` is for strategy
// attempts only: a graph was captured but the engine marked it not sound
// (docs/strategies.md, "Sound first"), so the chain went on.
enum class Status { NotRun, Ok, Failed, Unsound };
std::string_view status_name(Status s);  // "not run", "ok", "failed", "unsound"
std::string_view status_mark(Status s);  // "-", "✅", "❌", "⚠"

// Stages with a tri-state status, in pipeline order.
inline constexpr std::string_view kReportStages[] = {
    "capture", "decompose", "translate", "optimize", "check", "runtime", "accuracy", "write"};

struct StageReport {
  std::string name;
  Status status = Status::NotRun;
  double seconds = 0;
  std::string summary;  // one line: "3 nodes rewritten", "folded 2, removed 1 dead, ..."
  std::vector<Diagnostic> diagnostics;
};

struct StrategyAttempt {
  std::string strategy;
  std::string plugin;  // empty when no loaded plugin registers the strategy
  Status status = Status::NotRun;
  double seconds = 0;
  std::string failure;  // one line, when failed
  std::vector<Diagnostic> diagnostics;
  std::string partial_graph;
  nlohmann::json details = nlohmann::json::object();
};

// The first graph a strategy captured unsoundly (docs/reports.md,
// capture.unsound_candidate). Recorded whenever no earlier strategy was
// sound: it is what --allow-unsound uses, or what a refused export names.
struct UnsoundCandidate {
  std::string strategy;
  std::vector<std::string> reasons;            // why not sound, one line each
  std::vector<RuntimeAssertion> assertions;    // what the graph assumes at run time
  bool used = false;                           // allowed (allow_unsound) and exported
};

// One tensor forward updates in place (docs/reports.md, "mutations").
struct MutationRecord {
  std::string kind;    // "buffer" or "input"
  std::string name;    // the buffer's path or the input's name
  std::string output;  // the model output with its new value (`x.updated`), empty when dropped
  SourceLoc loc;       // where forward first updates it (when known)
};

// Parameters, buffers and lifted constants of the captured graph, by dtype.
struct ParameterStats {
  std::string dtype;  // "float32"
  int64_t count = 0;
  int64_t elements = 0;
  int64_t bytes = 0;
};
std::vector<ParameterStats> parameter_stats(const Graph& graph);

struct VerificationReport {
  std::string inputs;     // "inputs.safetensors" or "random inputs (seed 0)"
  std::string reference;  // "expected.safetensors" or "reference interpreter"
  double atol = 0, rtol = 0;
  std::vector<Comparison> outputs;
  std::string problem;    // why it could not run (no ONNX Runtime, runner error, ...)
};

struct ExportReport {
  // What was asked.
  std::string program_name;
  std::string program_dir;
  std::string config_file;
  std::string output;
  int opset = 17;
  bool optimize = true;
  bool verify = false;
  std::vector<std::string> strategies;  // in the order tried
  bool allow_unsound = false;           // config "allow_unsound" / --allow-unsound
  bool mutations_as_outputs = false;    // config "mutations_as_outputs" / --mutations-as-outputs

  // How it ended.
  bool ok = false;
  int exit_code = 0;
  std::string error;          // one line, when it failed
  bool output_written = false;

  std::vector<LoadedPlugin> plugins;
  std::vector<StrategyAttempt> attempts;
  std::string chosen_strategy;
  // Set when a strategy captured an unsound graph before any sound one (or
  // none was sound); `used` says whether it was exported.
  std::optional<UnsoundCandidate> unsound_candidate;

  // The captured graph (present once a strategy succeeded).
  bool has_graph = false;
  bool sound = true;
  std::vector<Guard> guards;
  std::vector<RuntimeAssertion> assertions;
  std::vector<MutationRecord> mutations;  // every in-place update of a buffer or input, kept or dropped
  std::string draft_report;          // format_draft_report() of the chosen capture (may be empty)
  std::string graph_text;            // as captured
  std::string decomposed_graph_text; // after decomposition, when it rewrote something
  int decomposed_nodes = 0;

  // The ONNX model (present once translation succeeded).
  std::string model_text;
  std::vector<std::pair<std::string, int>> op_counts;
  std::vector<ParameterStats> parameters;
  std::vector<MissingTranslator> missing_translators;
  std::vector<std::pair<std::string, std::string>> translators_used;
  std::optional<OptimizeStats> optimize_stats;
  std::optional<VerificationReport> verification;

  std::vector<StageReport> stages;  // one per kReportStages entry
  // Wall time of every step, including loading (config, plugins, program) and "total".
  std::vector<std::pair<std::string, double>> timings;
  // Host-level diagnostics: config, plugin loading, program loading, warnings.
  std::vector<Diagnostic> diagnostics;

  ExportReport();
  StageReport& stage(std::string_view name);
  const StageReport* find_stage(std::string_view name) const;
};

nlohmann::json report_to_json(const ExportReport& report);
std::string report_to_markdown(const ExportReport& report);

// Creates `dir` and writes report.json and/or report.md there, each through a
// temp file and a rename. Throws std::runtime_error naming the file on I/O errors.
void write_report(const ExportReport& report, const std::filesystem::path& dir, bool json = true,
                  bool markdown = true);

// The draft-export report printed after a capture that is not sound or that
// met categorized issues (the seed's "Draft Export report"): issue count,
// soundness, then each issue with its category, occurrences, locations and
// source lines, and what was specialized. Empty when there is nothing to say.
std::string format_draft_report(const Graph& graph, const std::vector<Diagnostic>& diagnostics);

// Writes `text` to `file` through a temp file beside it and a rename.
void write_text_atomic(const std::filesystem::path& file, std::string_view text);

}  // namespace onnxport
