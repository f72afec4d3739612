// The export pipeline (docs/architecture.md §1): config -> plugins -> program ->
// capture (strategies with fallback) -> decompose -> translate -> optimize ->
// check -> [verify] -> write. Each stage is a plain function; run_export only
// sequences them, prints one status line per stage and fills the report.
#pragma once

#include <onnxport_core/report.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {

enum class Verbosity { Quiet, Normal, Verbose };

// Exit codes of `onnxport` commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;      // the export (or a check) failed
inline constexpr int kExitInputError = 2;  // usage, config, program or plugin error

struct ExportRequest {
  std::filesystem::path program_dir;
  std::filesystem::path config_file;
  std::filesystem::path output;          // OUT.onnx
  std::filesystem::path report_dir;      // empty: no report
  std::filesystem::path dump_graph;      // empty: no dump; else the captured graph as JSON
  std::vector<std::filesystem::path> plugin_paths;  // --plugin-path, searched first
  // Overrides of the config (unset: the config decides).
  std::optional<std::vector<std::string>> strategies;
  std::optional<int> opset;
  std::optional<bool> optimize;
  std::optional<bool> verify;
  std::optional<bool> isolate;           // --isolate: each strategy attempt in a child process
  std::optional<double> timeout_s;       // --timeout S: per isolated attempt; 0 = none
  std::optional<bool> allow_unsound;     // --allow-unsound: export an unsound capture when none is sound
  std::optional<bool> mutations_as_outputs;  // --mutations-as-outputs: `<name>.updated` outputs after forward's
  std::optional<bool> external_data;     // --external-data: initializer data in <output>.data at any model size
  std::optional<int64_t> external_data_threshold;  // --external-data-threshold BYTES
  std::optional<bool> durable;           // --durable: fsync the output files before reporting success
  // --dynamic NAME:DIM=SYMBOL (repeatable): merged over the config's
  // dynamic_shapes, a dim named here replacing the config's name for it.
  std::map<std::string, std::map<int, std::string>> dynamic_shapes;
  // --input-names / --output-names: the model's graph inputs and outputs, in
  // order (empty: the names translation gave them). A count that differs from
  // the model's is an input error (exit 2).
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  Verbosity verbosity = Verbosity::Normal;
  std::ostream* log = nullptr;           // status lines; nullptr = std::cerr
  // The onnxport CLI exits right after run_export(): it sets this so the
  // program, graph and model are left to the process's end instead of being
  // freed object by object (millions of small frees over cold memory cost a
  // large export several percent of its time; clang's -disable-free does the
  // same). Embedders that run many exports in one process leave it false.
  bool leave_memory_to_exit = false;
};

struct ExportResult {
  int exit_code = kExitOk;
  // Everything the run learned. graph_text and model_text are filled only
  // when a report directory or verbose output asked for them.
  ExportReport report;
};

// Never throws for bad input: errors are printed ("error: <file>: <place>:
// <message>"), recorded in the report and turned into the exit code. The
// output file is written only when every stage passed, atomically; an
// existing file is never touched otherwise.
ExportResult run_export(const ExportRequest& request);

// Prints "[onnxport] <what>..." and then "[onnxport] <what>... ✅/❌/⚠", like
// the seed's torch.onnx status lines. Silent in quiet mode.
class StatusPrinter {
 public:
  StatusPrinter(std::ostream& out, Verbosity verbosity) : out_(out), verbosity_(verbosity) {}
  void begin(const std::string& what);
  void end(const std::string& what, bool ok, double seconds = -1);
  // The same with another mark: "⚠" for a capture that is not sound.
  void end(const std::string& what, std::string_view mark, double seconds = -1);
  void line(const std::string& text);     // "[onnxport] <text>", unless quiet
  void detail(const std::string& text);   // verbatim block, unless quiet
  void debug(const std::string& text);    // verbatim block, verbose only
  bool verbose() const { return verbosity_ == Verbosity::Verbose; }
  bool quiet() const { return verbosity_ == Verbosity::Quiet; }
  std::ostream& stream() { return out_; }

 private:
  std::ostream& out_;
  Verbosity verbosity_;
};

// The config file used when none is given: config/default.json in the data
// dir, <prefix>/share/onnxport when installed, <build>/share/onnxport in a
// build tree (a copy of the source tree's); nullopt when there is none.
std::optional<std::filesystem::path> default_config_file();

}  // namespace onnxport
