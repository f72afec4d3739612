// Fuzz target: a whole program bundle through the host, as `onnxport export`
// runs it: the input is program.json, beside a small fixed weights file
// (whole_program.weights.safetensors: every parameter the seed bundles
// declare). The bundle is loaded, captured by the tracing engine under the
// strict policy and under the draft policy (concrete evaluation on seeded
// random inputs), and every captured graph is decomposed and translated by
// the translators-aten plugin.
//
// Findings besides crashes and sanitizer reports: an exception other than an
// InputError out of load_program; an "internal-error" diagnostic from the
// engine (an exception that was not a diagnosed user error, or a malformed
// graph); a translator or the translation itself failing with an unexpected
// exception on a graph the engine accepted.
#include "fuzz_support.hpp"

#include <onnxport/trace.hpp>
#include <onnxport_core/bundle.hpp>
#include <onnxport_core/onnx_build.hpp>
#include <onnxport_core/plugin_host.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>

#ifndef ONNXPORT_FUZZ_WEIGHTS
#error "ONNXPORT_FUZZ_WEIGHTS must name the fixed weights file"
#endif
#ifndef ONNXPORT_TRANSLATORS_PLUGIN
#error "ONNXPORT_TRANSLATORS_PLUGIN must name the built translators-aten plugin"
#endif

using namespace onnxport;

namespace {

class SilentHost final : public HostServices {
 public:
  void log(Severity, std::string_view) override {}
};

const TranslatorRegistry& translators() {
  static PluginHost* host = [] {
    auto* h = new PluginHost();  // never unloaded: translator code lives in the plugin
    const LoadedPlugin& plugin = h->load(ONNXPORT_TRANSLATORS_PLUGIN);
    if (!plugin.loaded) fuzz::finding("cannot load " + plugin.file.string() + ": " + plugin.error);
    return h;
  }();
  return host->registry();
}

const std::filesystem::path& bundle_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = fuzz::scratch().path() / "bundle";
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(ONNXPORT_FUZZ_WEIGHTS, d / "weights.safetensors");
    return d;
  }();
  return dir;
}

TracePolicy strict_policy() {
  TracePolicy p;
  p.strategy = "strict";
  p.data_dependent = DataDependentPolicy::Error;
  p.refuse_dynamic_dim_guards = true;
  p.side_effects_are_errors = true;
  p.report_all_errors = true;
  return p;
}

TracePolicy draft_policy() {
  TracePolicy p;
  p.strategy = "draft";
  p.data_dependent = DataDependentPolicy::Specialize;
  p.evaluate_concretely = true;
  p.report_all_errors = true;
  return p;
}

void fail_on_internal_errors(const std::vector<Diagnostic>& diagnostics, const std::string& stage) {
  for (const Diagnostic& d : diagnostics) {
    const bool internal = d.code == "internal-error" || d.code == "translate-failed" ||
                          (d.code == "translator-failed" && d.message.find("unexpected exception") != std::string::npos);
    if (internal) fuzz::finding(stage + ": " + d.code + ": " + d.message);
  }
}

void translate(Graph graph, const std::string& policy) {
  const TranslatorRegistry& registry = translators();
  std::vector<Diagnostic> diagnostics;
  try {
    run_decompositions(graph, registry, 17, diagnostics);
  } catch (const DiagnosticError&) {
    return;  // a diagnosed failure: the export stops here, as decompose_stage does
  } catch (const std::exception& e) {
    fuzz::finding(policy + " decompose: " + typeid(e).name() + ": " + e.what());
  }
  fail_on_internal_errors(diagnostics, policy + " decompose");
  try {
    TranslateOptions options;
    options.opset = 17;
    const TranslationResult result = translate_graph(graph, registry, options);
    fail_on_internal_errors(result.diagnostics, policy + " translate");
  } catch (const DiagnosticError&) {
    // translate_stage reports it as the stage's failure
  } catch (const std::exception& e) {
    fuzz::finding(policy + " translate: " + typeid(e).name() + ": " + e.what());
  }
}

void capture_and_translate(const Program& program, const TracePolicy& policy) {
  SilentHost host;
  CaptureOptions options;
  options.seed = 1;
  CaptureResult result;
  try {
    result = trace_program(program, options, policy, host);
  } catch (const std::exception& e) {
    fuzz::finding(policy.strategy + " capture: " + typeid(e).name() + ": " + e.what());
  }
  fail_on_internal_errors(result.diagnostics, policy.strategy + " capture");
  const bool failed = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                                  [](const Diagnostic& d) { return d.severity == Severity::Error; });
  if (result.graph && !failed) translate(std::move(*result.graph), policy.strategy);
}

}  // namespace

// Loads the plugin before fuzzing starts, so libFuzzer counts its coverage
// from the first input. One tensor is limited to 1 MiB (the host's
// configurable limit, docs/limits.md): the limit itself is what is checked,
// and evaluating gigabyte tensors concretely would make every input a hang.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("ONNXPORT_MAX_TENSOR_BYTES", "1048576", /*overwrite=*/0);
  (void)translators();
  (void)bundle_dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& dir = bundle_dir();
  fuzz::write_file(dir / "program.json", data, size);
  std::optional<Program> program;
  fuzz::expect_input_errors_only("load_program", [&] { program.emplace(load_program(dir)); });
  if (!program) return 0;
  capture_and_translate(*program, strict_policy());
  capture_and_translate(*program, draft_policy());
  return 0;
}
