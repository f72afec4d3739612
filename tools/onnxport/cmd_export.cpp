// onnxport export PROGRAM_DIR -c CONFIG -o OUT.onnx [--report DIR] [options]
#include "cli_common.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <variant>

namespace onnxport::cli {

namespace {

struct DynamicDim {
  std::string input;
  int dim = 0;
  std::string symbol;
};

bool is_symbol(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "x:0=batch" (the input may itself hold dots or colons: "lx.1:0=n"); the
// error text says what is wrong, for CLI11 to print.
std::variant<DynamicDim, std::string> parse_dynamic_dim(const std::string& spec) {
  const std::string usage = "--dynamic '" + spec + "' must be NAME:DIM=SYMBOL, e.g. x:0=batch";
  const auto eq = spec.rfind('=');
  if (eq == std::string::npos) return usage;
  const auto colon = spec.rfind(':', eq);
  if (colon == std::string::npos || colon == 0) return usage;
  DynamicDim d{spec.substr(0, colon), 0, spec.substr(eq + 1)};
  const std::string dim = spec.substr(colon + 1, eq - colon - 1);
  if (dim.empty() || dim.size() > 5 || !std::all_of(dim.begin(), dim.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return "--dynamic '" + spec + "': dim '" + dim + "' is not an axis number (0, 1, ...)";
  d.dim = std::stoi(dim);
  if (!is_symbol(d.symbol)) return "--dynamic '" + spec + "': '" + d.symbol + "' is not a symbol name like batch";
  return d;
}

struct ExportArgs {
  std::string program_dir;
  std::string config;
  std::string output;
  std::string report_dir;
  std::string dump_graph;
  std::vector<std::string> strategies;
  std::vector<std::string> plugin_paths;
  std::vector<std::string> dynamic;  // NAME:DIM=SYMBOL
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  int opset = 0;
  bool optimize = false;
  bool no_optimize = false;
  bool verify = false;
  bool isolate = false;
  bool allow_unsound = false;
  bool no_allow_unsound = false;
  bool mutations_as_outputs = false;
  bool external_data = false;
  int64_t external_data_threshold = 0;
  bool durable = false;
  double timeout_s = 0;
  bool verbose = false;
  bool quiet = false;
};

ExportRequest to_request(const ExportArgs& a, const CLI::App& cmd) {
  ExportRequest r;
  r.program_dir = a.program_dir;
  r.config_file = resolve_config(a.config);
  r.output = a.output;
  r.report_dir = a.report_dir;
  r.dump_graph = a.dump_graph;
  for (const auto& p : a.plugin_paths) r.plugin_paths.emplace_back(p);
  if (cmd.count("--strategies") > 0) r.strategies = a.strategies;
  if (cmd.count("--opset") > 0) r.opset = a.opset;
  if (a.optimize) r.optimize = true;
  if (a.no_optimize) r.optimize = false;
  if (a.verify) r.verify = true;
  if (a.isolate) r.isolate = true;
  if (a.allow_unsound) r.allow_unsound = true;
  if (a.no_allow_unsound) r.allow_unsound = false;
  if (a.mutations_as_outputs) r.mutations_as_outputs = true;
  if (a.external_data) r.external_data = true;
  if (cmd.count("--external-data-threshold") > 0) r.external_data_threshold = a.external_data_threshold;
  if (a.durable) r.durable = true;
  if (cmd.count("--timeout") > 0) r.timeout_s = a.timeout_s;
  for (const auto& spec : a.dynamic) {
    // Validated by the option's check, so this is a DynamicDim.
    const auto d = std::get<DynamicDim>(parse_dynamic_dim(spec));
    r.dynamic_shapes[d.input][d.dim] = d.symbol;
  }
  r.input_names = a.input_names;
  r.output_names = a.output_names;
  r.verbosity = a.quiet ? Verbosity::Quiet : a.verbose ? Verbosity::Verbose : Verbosity::Normal;
  r.leave_memory_to_exit = true;  // the process ends right after the export
  return r;
}

}  // namespace

void add_export_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Export a program bundle to an ONNX model");
  cmd->add_option("PROGRAM_DIR", args->program_dir, "Program bundle folder (program.json + weights.safetensors)")
      ->required();
  cmd->add_option("-c,--config", args->config,
                  "Config file (default: the installed or source tree's config/default.json)");
  cmd->add_option("-o,--output", args->output, "Where to write the .onnx model (only when the export succeeds)")
      ->required();
  cmd->add_option("--report", args->report_dir, "Folder for report.json and report.md (written even on failure)");
  cmd->add_option("--strategies", args->strategies, "Strategies to try, in order (overrides the config): a,b,c")
      ->delimiter(',');
  cmd->add_option("--opset", args->opset,
                  "Target ONNX opset, 13 to 18 (overrides the config; above what the installed ONNX checker knows, "
                  "the export warns that the check could not cover it)")
      ->check(check_opset);
  auto* opt = cmd->add_flag("--optimize", args->optimize, "Optimize the model (overrides the config)");
  auto* no_opt = cmd->add_flag("--no-optimize", args->no_optimize, "Keep the raw translation (overrides the config)");
  opt->excludes(no_opt);
  cmd->add_option("--dump-graph", args->dump_graph, "Write the captured graph as JSON (see `onnxport inspect`)");
  cmd->add_option("--dynamic", args->dynamic,
                  "Make a dim of an input dynamic: NAME:DIM=SYMBOL, e.g. x:0=batch (repeatable; overrides the "
                  "config's dynamic_shapes for that dim)")
      ->check([](const std::string& spec) {
        const auto parsed = parse_dynamic_dim(spec);
        return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : std::string();
      });
  cmd->add_option("--input-names", args->input_names,
                  "Names of the model's inputs, in forward's order: a,b (as torch.onnx.export's input_names)")
      ->delimiter(',');
  cmd->add_option("--output-names", args->output_names,
                  "Names of the model's outputs, in order: a,b (as torch.onnx.export's output_names)")
      ->delimiter(',');
  cmd->add_option("--plugin-path", args->plugin_paths, "Folder searched first for plugins (repeatable)");
  cmd->add_flag("--isolate", args->isolate,
                "Run each strategy attempt in a child process: a crash or a hang fails only that attempt "
                "(overrides the config's \"isolate\")");
  cmd->add_option("--timeout", args->timeout_s,
                  "With --isolate, kill a strategy attempt after S seconds and go on with the next strategy "
                  "(overrides the config's \"timeout_s\"; 0 = no limit)")
      ->option_text("S")
      ->check([](const std::string& text) {
        // CLI::NonNegativeNumber's message prints DBL_MAX in full.
        char* end = nullptr;
        const double s = std::strtod(text.c_str(), &end);
        return end != text.c_str() && *end == '\0' && s >= 0
                   ? std::string()
                   : "--timeout takes a number of seconds >= 0 (0 = no limit), got '" + text + "'";
      });
  auto* unsound = cmd->add_flag("--allow-unsound", args->allow_unsound,
                                "When no strategy captures a sound graph, export the first unsound one (marked ⚠) "
                                "instead of failing (overrides the config's \"allow_unsound\")");
  auto* no_unsound = cmd->add_flag("--no-allow-unsound", args->no_allow_unsound,
                                   "When no strategy captures a sound graph, fail with exit 1 even if the config "
                                   "allows an unsound one (overrides the config's \"allow_unsound\", e.g. "
                                   "config/torch-compatible.json's)");
  unsound->excludes(no_unsound);
  cmd->add_flag("--mutations-as-outputs", args->mutations_as_outputs,
                "Add the new values of buffers and inputs that forward updates in place as extra outputs "
                "<name>.updated, after forward's (overrides the config's \"mutations_as_outputs\")");
  cmd->add_flag("--external-data", args->external_data,
                "Write the large initializers to OUT.onnx.data beside the model (ONNX external data) at any model "
                "size; a model over protobuf's 2 GB limit gets it anyway (overrides the config's "
                "\"external_data\": {\"always\"})");
  cmd->add_option("--external-data-threshold", args->external_data_threshold,
                  "Initializers of at least BYTES bytes go to the data file, smaller ones stay in the model "
                  "(default 1024; overrides the config's \"external_data\": {\"threshold\"})")
      ->option_text("BYTES")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--durable", args->durable,
                "fsync the model (and its data file) and the output folder before reporting success, so the files "
                "survive a power loss; slower for large models (overrides the config's \"durable\")");
  cmd->add_flag("--verify", args->verify, "Run the model in ONNX Runtime and compare with the reference outputs");
  auto* verbose = cmd->add_flag("-v,--verbose", args->verbose, "Also print the graphs and per-stage timings");
  auto* quiet = cmd->add_flag("-q,--quiet", args->quiet, "Print errors only");
  verbose->excludes(quiet);
  cmd->callback([&action, args, cmd] {
    action = [args, cmd] { return run_export(to_request(*args, *cmd)).exit_code; };
  });
}

}  // namespace onnxport::cli
