// run_export: sequences the stages of docs/architecture.md §1 and turns what
// happens into status lines, a report and an exit code. Stages are plain
// functions (capture_stage, model_stages, verify_stage); this file only
// decides what runs next.
#include <onnxport_core/pipeline.hpp>

#include "trace/release.hpp"
#include "base/mapped_files.hpp"
#include "onnx/lent_weights.hpp"
#include "onnx/schema_warmup.hpp"
#include "pipeline/capture_stage.hpp"
#include "pipeline/model_stages.hpp"
#include "pipeline/mutation_stage.hpp"
#include "pipeline/stopwatch.hpp"
#include "pipeline/verify_stage.hpp"

#include <onnxport_core/bundle.hpp>
#include <onnxport_core/config.hpp>
#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/plugin_host.hpp>
#include <onnxport_core/unroll_limit.hpp>

#include <cstdio>
#include <iostream>
#include <system_error>

#include <unistd.h>

namespace onnxport {

namespace {

namespace fs = std::filesystem;
using pipeline::Stopwatch;

// The outcome of the sequence; the report carries the rest.
struct Outcome {
  int exit_code = kExitOk;
  std::string error;               // one line when failed
  std::vector<std::string> notes;  // printed under the error line (not in the one-line report error)
};

Outcome failed(std::string why) { return {kExitFailed, std::move(why), {}}; }

// Runs `f` and records its wall time under `name`.
template <class F>
auto timed(ExportReport& report, const char* name, F&& f) {
  Stopwatch clock;
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    report.timings.emplace_back(name, clock.seconds());
  } else {
    auto result = f();
    report.timings.emplace_back(name, clock.seconds());
    return result;
  }
}

void apply_overrides(const ExportRequest& request, Config& config) {
  if (request.strategies) config.strategies = *request.strategies;
  if (request.opset) {
    if (std::string why = unsupported_opset_reason(*request.opset); !why.empty()) throw InputError("--opset", "", why);
    config.opset = *request.opset;
  }
  if (request.optimize) config.optimize = *request.optimize;
  if (request.verify) config.verify.enabled = *request.verify;
  if (request.isolate) config.isolate = *request.isolate;
  if (request.timeout_s) config.timeout_s = *request.timeout_s;
  if (request.allow_unsound) config.allow_unsound = *request.allow_unsound;
  if (request.mutations_as_outputs) config.mutations_as_outputs = *request.mutations_as_outputs;
  if (request.external_data) config.external_data.always = *request.external_data;
  if (request.external_data_threshold) config.external_data.threshold = *request.external_data_threshold;
  if (request.durable) config.durable = *request.durable;
  for (const auto& [input, dims] : request.dynamic_shapes)
    for (const auto& [dim, symbol] : dims) config.dynamic_shapes[input][dim] = symbol;
}

void record_request(const ExportRequest& request, const Config& config, ExportReport& report) {
  report.config_file = config.file.empty() ? request.config_file.string() : config.file.string();
  report.opset = config.opset;
  report.optimize = config.optimize;
  report.verify = config.verify.enabled;
  report.strategies = config.strategies;
  report.allow_unsound = config.allow_unsound;
}

// Every plugin the config names must load: a refused one is an input error
// (it names the config entry and the file), reported all at once.
Outcome check_plugins(const PluginHost& host, StatusPrinter& status, ExportReport& report) {
  report.plugins = host.plugins();
  int refused = 0;
  for (const Diagnostic& d : host.diagnostics()) {
    report.diagnostics.push_back(d);
    if (d.severity != Severity::Error) {
      status.line(std::string(severity_name(d.severity)) + ": " + d.message);
      continue;
    }
    ++refused;
    std::string where;
    if (auto it = d.details.find("config"); it != d.details.end() && it->is_string()) where += it->get<std::string>();
    if (auto it = d.details.find("json_pointer"); it != d.details.end() && it->is_string())
      where += (where.empty() ? "" : ": ") + it->get<std::string>();
    status.stream() << "error: " << (where.empty() ? "" : where + ": ") << d.message << "\n";
    if (!d.hint.empty()) status.stream() << "  hint: " << d.hint << "\n";
  }
  for (const LoadedPlugin& p : host.plugins())
    if (!p.loaded && refused == 0) ++refused;  // a refusal without a diagnostic still counts
  if (refused == 0) return {};
  return {kExitInputError, std::to_string(refused) + " plugin(s) of the config could not be loaded", {}};
}

// A config that names its own plugins replaces the built-in ones; when none of
// its strategies is registered by what it loads, no attempt can succeed: a
// config error, said before any work, with the way to keep the built-ins.
// (Strategies given with --strategies are tried and reported one by one.)
void check_strategies_registered(const PluginHost& host, const Config& config, bool from_command_line) {
  if (from_command_line) return;
  std::string registered;
  for (const auto& [name, plugin] : host.strategies()) registered += (registered.empty() ? "" : ", ") + name;
  for (const std::string& name : config.strategies)
    if (host.strategy(name) != nullptr) return;
  std::string wanted;
  for (const std::string& name : config.strategies) wanted += (wanted.empty() ? "`" : ", `") + name + "`";
  std::string message = "no loaded plugin registers any of the strategies " + wanted +
                        " (registered: " + (registered.empty() ? "none" : registered) + ")";
  if (config.extends.empty())
    message += "; a config's \"plugins\" replace the built-in ones: add \"extends\": \"default\" to keep the "
               "built-in plugins and strategies and add yours to them, or list in \"strategies\" the ones your "
               "plugins register";
  else
    message += "; list in \"strategies\" the ones the loaded plugins register";
  throw InputError(config.file.string(), "/strategies", message);
}

void dump_graph(const Graph& graph, const fs::path& file, StatusPrinter& status) {
  write_text_atomic(file, graph.to_json(false).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  status.line("Captured graph written to `" + file.string() + "`");
}

// The graph and model texts cost a full print each (a tenth of an export):
// only made when a report or verbose output will show them.
bool wants_texts(const ExportRequest& request) {
  return !request.report_dir.empty() || request.verbosity == Verbosity::Verbose;
}

void record_graph(const Graph& graph, bool with_text, ExportReport& report) {
  report.has_graph = true;
  report.sound = graph.sound;
  report.guards = graph.guards;
  report.assertions = graph.assertions;
  if (with_text) report.graph_text = graph.to_text();
  report.parameters = parameter_stats(graph);
}

void record_model(const onnx::ModelProto& model, bool with_text, ExportReport& report) {
  report.op_counts = count_op_types(model);
  if (with_text) report.model_text = model_to_text(model);
}

// One line per failed attempt: what failed and where, so the last lines of
// the output say why without scrolling back.
// The error line names program.json and the node the last strategy failed
// at (every strategy usually fails at the same node), so that a program
// without source locations still points at the place to look.
Outcome capture_failure(const Program& program, const ExportReport& report) {
  std::vector<std::string> notes;
  std::string node;
  for (const StrategyAttempt& a : report.attempts) {
    std::string note = a.strategy + ": " + a.failure;
    for (const Diagnostic& d : a.diagnostics) {
      if (d.severity != Severity::Error || d.message != a.failure) continue;
      if (d.loc.known()) note += " (at " + d.loc.str() + ")";
      if (auto it = d.details.find("node"); it != d.details.end() && it->is_string()) node = it->get<std::string>();
    }
    notes.push_back(std::move(note));
  }
  const std::string where = node.empty() || program.program_file.empty() ? "" : program.program_file.string() + ": " + node + ": ";
  Outcome o = failed(where + "no strategy could capture `" + program.name + "`: " + report.find_stage("capture")->summary);
  o.notes = std::move(notes);
  return o;
}

// A capture that only an unsound strategy achieved, refused because the
// config does not allow it: what each strategy did, why the candidate is not
// sound, and how to allow it.
Outcome unsound_capture_refused(const Program& program, const ExportReport& report) {
  const UnsoundCandidate& held = *report.unsound_candidate;
  std::vector<std::string> notes;
  for (const StrategyAttempt& a : report.attempts) {
    if (a.status != Status::Unsound) {
      notes.push_back(a.strategy + ": " + a.failure);
      continue;
    }
    notes.push_back(a.strategy + ": not sound" + (a.strategy == held.strategy ? " (the candidate):" : ""));
    if (a.strategy != held.strategy) continue;
    for (const std::string& reason : held.reasons) notes.push_back("  - " + reason);
  }
  // The capture stage's refusal carries the hint for this case (a traced program adds to it).
  std::string hint = pipeline::allow_unsound_hint();
  if (const StageReport* capture = report.find_stage("capture"))
    for (const Diagnostic& d : capture->diagnostics)
      if (d.code == "unsound-capture-refused" && !d.hint.empty()) hint = d.hint;
  notes.push_back("hint: " + hint);
  Outcome o = failed("no strategy captured a sound graph of `" + program.name + "`; `" + held.strategy +
                     "`'s graph is not sound and allow_unsound is off, so no model was written");
  o.notes = std::move(notes);
  return o;
}

std::string byte_size(int64_t bytes) {
  if (bytes < 1000000) return std::to_string(bytes) + " bytes";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// Writes the model (and its external data file, docs/large-models.md) to a
// staging folder beside `output`, checks the written files, verifies the
// staged model when the config asks, and only then moves it into place.
// `program` is needed (and non-null) only when the config asks for verification.
Outcome write_stage(onnx::ModelProto& model, const Program* program, const Config& config, const fs::path& output,
                    StatusPrinter& status, ExportReport& report) {
  StageReport& write = report.stage("write");
  const std::string subject = "Save the model to `" + output.string() + "`";
  // Without verification the status line spans the writing (the long part
  // for a large model); with it, the line comes after the verification.
  if (!config.verify.enabled) status.begin(subject);
  Stopwatch clock;
  // Destroying `staged` removes whatever was not committed.
  StagedModel staged(model, output, config.external_data, config.durable ? Durability::Synced : Durability::Written);
  if (staged.data_file()) {
    // The checker on the files as written: each location resolved relative
    // to the model, as ONNX Runtime will. (The in-memory check ran before.)
    std::vector<Diagnostic> problems = check_model_file(staged.model_file());
    if (!problems.empty()) {
      const std::string why = problems.front().message;
      for (Diagnostic& d : problems) write.diagnostics.push_back(std::move(d));
      write.status = Status::Failed;
      write.summary = why;
      if (!config.verify.enabled) status.end(subject, false, clock.seconds());
      return failed("the written model does not pass the ONNX checker: " + why);
    }
  }
  double seconds = clock.seconds();
  if (config.verify.enabled) {
    if (!pipeline::verify_stage(staged.model_file(), model, *program, config.verify, status, report))
      return failed(report.verification && !report.verification->problem.empty()
                        ? "verification failed: " + report.verification->problem
                        : "verification failed: the outputs differ from the " +
                              (report.verification ? report.verification->reference : std::string("reference")));
    status.begin(subject);
  }
  clock = Stopwatch();
  staged.commit();
  write.seconds = seconds + clock.seconds();
  write.status = Status::Ok;
  write.summary = output.string();
  if (const auto data = staged.data_file())
    write.summary += " + " + data->string() + " (external data: " + std::to_string(staged.external_tensors()) +
                     " initializer(s), " + byte_size(staged.external_bytes()) + ")";
  report.output_written = true;
  status.end(subject, true, write.seconds);
  if (const auto data = staged.data_file())
    status.line("External data: `" + data->string() + "` (" + std::to_string(staged.external_tensors()) +
                " initializer(s), " + byte_size(staged.external_bytes()) + ")");
  return {};
}

// Frees `value` now, or, when the process is about to exit anyway
// (ExportRequest::leave_memory_to_exit), moves it to a heap object that is
// never destroyed: moving protobuf messages, vectors and maps is a pointer
// swap, and the process's exit returns the pages at once.
template <class T>
void release(std::optional<T>& value, bool leave_to_exit) {
  if (!value) return;
  if (leave_to_exit) static_cast<void>(new T(std::move(*value)));
  value.reset();
}

// --output-names may name forward's outputs only: the `.updated` outputs
// that --mutations-as-outputs adds after them then keep their names.
std::vector<std::string> output_names_for(const onnx::ModelProto& model, std::vector<std::string> names,
                                          const ExportReport& report) {
  size_t kept = 0;
  for (const MutationRecord& m : report.mutations) kept += m.output.empty() ? 0 : 1;
  const auto outputs = static_cast<size_t>(model.graph().output_size());
  if (names.empty() || kept == 0 || names.size() + kept != outputs) return names;
  for (size_t i = names.size(); i < outputs; ++i) names.push_back(model.graph().output(static_cast<int>(i)).name());
  return names;
}

// The stages after loading; returns at the first failure.
Outcome export_program(std::optional<Program>& program, const PluginHost& host, const Config& config,
                       const ExportRequest& request, StatusPrinter& status, ExportReport& report) {
  CaptureOptions options;
  options.dynamic_shapes = config.dynamic_shapes;
  options.opset = config.opset;
  const UnrollLimitScope unroll_limit(config.unroll_limit_nodes);  // for the captures below
  const pipeline::IsolationOptions isolation{config.isolate, config.timeout_s};
  std::optional<Graph> graph = pipeline::capture_with_fallback(*program, host, config.strategies, options, status,
                                                               report, isolation, config.allow_unsound);
  if (!graph && report.unsound_candidate) return unsound_capture_refused(*program, report);
  if (!graph) return capture_failure(*program, report);
  // Only verification reads the program again. The graph's weights borrow
  // the mapped file through their own owner, so they outlive the program;
  // freeing it keeps the later stages in a smaller heap.
  if (!config.verify.enabled) release(program, request.leave_memory_to_exit);
  pipeline::apply_mutation_policy(*graph, config.mutations_as_outputs, status, report);
  record_graph(*graph, wants_texts(request), report);
  status.debug(report.graph_text);
  if (!request.dump_graph.empty()) dump_graph(*graph, request.dump_graph, status);

  if (!pipeline::decompose_stage(*graph, host.registry(), config.opset, status, report))
    return failed("decomposition failed");
  // From translation to the write, large weights stay in the mapped
  // safetensors file: the model lends them (onnx/lent_weights.hpp), constant
  // folding reads them in place and the writer writes them from the mapping.
  onnx_build::LendingScope lending;
  std::optional<onnx::ModelProto> model = pipeline::translate_stage(*graph, host.registry(), config.opset, status, report);
  if (!model) return failed("translation failed: " + report.stage("translate").summary);
  rename_model_io(*model, request.input_names, output_names_for(*model, request.output_names, report));
  // Nothing after translation reads the graph (the report already has what
  // it needs): free it so optimize and check work in a smaller heap.
  release(graph, request.leave_memory_to_exit);
  if (config.optimize) {
    pipeline::optimize_stage(*model, status, report);
    if (report.stage("optimize").status == Status::Failed) return failed(report.stage("optimize").summary);
  }
  const bool checked = pipeline::check_stage(*model, status, report);
  record_model(*model, wants_texts(request), report);
  status.debug(report.model_text);
  if (!checked) return failed("the ONNX checker or shape inference rejected the model");
  // Stop before the long write when a weights file shrank meanwhile (what
  // was read from it since are zeros: core/src/base/mapped_files.hpp).
  throw_if_a_mapped_file_shrank();
  Outcome written = write_stage(*model, program ? &*program : nullptr, config, request.output, status, report);
  release(model, request.leave_memory_to_exit);
  return written;
}

// The output path is checked before any work, so that an -o whose folder
// cannot exist (a parent that is a file) or that names a folder fails at
// once with the path, not as a file system exception after the export.
void check_output_path(const fs::path& output) {
  if (output.empty()) return;
  std::error_code ec;
  if (fs::is_directory(output, ec))
    throw InputError(output.string(), "", "is a folder; -o takes the path of the .onnx file to write");
  for (fs::path parent = output.parent_path(); !parent.empty(); parent = parent.parent_path()) {
    const fs::file_status st = fs::status(parent, ec);
    if (fs::exists(st)) {
      if (!fs::is_directory(st))
        throw InputError(output.string(), "", "cannot be written: '" + parent.string() + "' is a file, not a folder");
      break;
    }
    if (parent == parent.parent_path()) break;
  }
}

Outcome run_sequence(const ExportRequest& request, StatusPrinter& status, ExportReport& report, Config& config) {
  check_output_path(request.output);
  onnx_build::OnnxSchemaWarmup onnx_schemas;  // joined below, before capture may fork
  config = timed(report, "load config", [&] { return load_config(request.config_file); });
  apply_overrides(request, config);
  record_request(request, config, report);

  PluginHost host;
  timed(report, "load plugins", [&] { host.load_all(config, plugin_search_path(request.plugin_paths)); });
  if (Outcome o = check_plugins(host, status, report); o.exit_code != kExitOk) return o;
  check_strategies_registered(host, config, request.strategies.has_value());

  std::optional<Program> program = timed(report, "load program", [&] { return load_program(request.program_dir); });
  report.program_name = program->name;
  onnx_schemas.join();
  return export_program(program, host, config, request, status, report);
}

void print_timings(StatusPrinter& status, const ExportReport& report) {
  if (!status.verbose()) return;
  std::string text = "Timings:\n";
  char buf[96];
  for (const auto& s : report.attempts) {
    std::snprintf(buf, sizeof buf, "  %-24s %9.3f s\n", ("strategy " + s.strategy).c_str(), s.seconds);
    text += buf;
  }
  for (const auto& s : report.stages) {
    if (s.status == Status::NotRun) continue;
    std::snprintf(buf, sizeof buf, "  %-24s %9.3f s\n", s.name.c_str(), s.seconds);
    text += buf;
  }
  for (const auto& [name, seconds] : report.timings) {
    std::snprintf(buf, sizeof buf, "  %-24s %9.3f s\n", name.c_str(), seconds);
    text += buf;
  }
  status.debug(text);
}

void save_report(const ExportRequest& request, const Config& config, StatusPrinter& status, ExportResult& result) {
  if (request.report_dir.empty()) return;
  try {
    write_report(result.report, request.report_dir, config.report_json, config.report_markdown);
    status.line("Report written to `" + request.report_dir.string() + "`");
  } catch (const std::exception& e) {
    status.stream() << "error: cannot write the report: " << e.what() << "\n";
    if (result.exit_code == kExitOk) result.exit_code = kExitFailed;
  }
}

}  // namespace

ExportResult run_export(const ExportRequest& request) {
  std::ostream& out = request.log != nullptr ? *request.log : std::cerr;
  StatusPrinter status(out, request.verbosity);
  ExportResult result;
  ExportReport& report = result.report;
  report.program_dir = request.program_dir.string();
  report.config_file = request.config_file.string();
  report.output = request.output.string();

  forget_unmapped_file_problems();  // what an earlier export in this process left is not this one's
  Config config;  // defaults until the config file is read
  Stopwatch total;
  Outcome outcome;
  try {
    outcome = run_sequence(request, status, report, config);
  } catch (const InputError& e) {
    outcome = {kExitInputError, e.what(), {}};
  } catch (const DiagnosticError& e) {
    report.diagnostics.push_back(e.diagnostic());
    outcome = failed(e.diagnostic().to_text());
  } catch (const std::exception& e) {
    outcome = failed(e.what());
  }
  trace::wait_for_released_tracers();  // capture's tracers, destroyed beside the later stages (trace/release.hpp)
  // A weights file that shrank during the export explains whatever failed
  // after it (a write's EFAULT, a folded value, a verification computed from
  // zero pages): that is the error reported, as bad input. No output was
  // moved into place (StagedModel::commit checks it too).
  try {
    throw_if_a_mapped_file_shrank();
  } catch (const InputError& e) {
    outcome = {kExitInputError, e.what(), {}};
    report.output_written = false;
  }
  report.timings.emplace_back("total", total.seconds());
  report.exit_code = result.exit_code = outcome.exit_code;
  report.ok = outcome.exit_code == kExitOk;
  report.error = outcome.error;
  if (!report.ok) {
    // Errors are printed even in quiet mode: they are the one thing a script needs.
    out << "error: " << outcome.error << "\n";
    for (const auto& note : outcome.notes) out << "  " << note << "\n";
    out.flush();
  }
  print_timings(status, report);
  save_report(request, config, status, result);
  return result;
}

}  // namespace onnxport
