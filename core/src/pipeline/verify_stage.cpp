// --verify: ONNX Runtime (through tools/ort-runner) against the reference.
#include "pipeline/verify_stage.hpp"

#include "pipeline/stopwatch.hpp"

#include <onnxport/trace.hpp>
#include <onnxport_core/ort.hpp>

#include <algorithm>
#include <cstdio>

namespace onnxport::pipeline {

namespace {

constexpr uint64_t kVerificationSeed = 0;

std::string format_diff(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// ONNX graph inputs that are not initializers, in order.
std::vector<std::string> model_input_names(const onnx::ModelProto& model) {
  std::vector<std::string> names;
  std::vector<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.push_back(t.name());
  std::sort(initializers.begin(), initializers.end());
  for (const auto& in : model.graph().input())
    if (!std::binary_search(initializers.begin(), initializers.end(), in.name())) names.push_back(in.name());
  return names;
}

// Feeds each model input the example tensor of the same name. The
// translator names ONNX inputs after forward's parameters (lists flattened
// as `lx.0`, `lx.1`), and drops parameters that carry no tensor (None,
// specialized ints): those have no ONNX input and nothing to feed. A model
// whose inputs were renamed falls back to forward's order when the counts
// agree.
TensorMap model_feeds(const onnx::ModelProto& model, const Program& program, const TensorMap& inputs) {
  const std::vector<std::string> names = model_input_names(model);
  TensorMap feeds;
  std::vector<std::string> unmatched;
  for (const std::string& name : names) {
    if (const Tensor* t = inputs.find(name)) feeds.set(name, *t);
    else unmatched.push_back(name);
  }
  if (unmatched.empty()) return feeds;

  const auto user_inputs = program.user_inputs();
  if (names.size() != user_inputs.size()) {
    std::string list;
    for (const std::string& n : unmatched) list += (list.empty() ? "`" : ", `") + n + "`";
    throw std::runtime_error("no example value for model input(s) " + list + " (the model has " +
                             std::to_string(names.size()) + " input(s), the program " +
                             std::to_string(user_inputs.size()) + ")");
  }
  feeds = TensorMap();
  for (size_t i = 0; i < names.size(); ++i) {
    const Tensor* t = inputs.find(user_inputs[i]->name);
    if (t == nullptr) throw std::runtime_error("no value for input `" + user_inputs[i]->name + "`");
    feeds.set(names[i], *t);
  }
  return feeds;
}

}  // namespace

TensorMap verification_inputs(const Program& program, std::string& description) {
  if (!program.example_inputs.empty()) {
    description = "inputs.safetensors";
    return program.example_inputs;
  }
  description = "random inputs (seed " + std::to_string(kVerificationSeed) + ")";
  return random_inputs(program, kVerificationSeed);
}

std::vector<std::pair<std::string, Tensor>> reference_outputs(const Program& program, const TensorMap& inputs,
                                                              std::string& description) {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!program.expected_outputs.empty() && !program.example_inputs.empty()) {
    description = "expected.safetensors";
    out = program.expected_outputs.items();
    return out;
  }
  description = "reference interpreter (run_program)";
  RunOutputs ran = run_program(program, inputs);
  for (size_t i = 0; i < ran.tensors.size(); ++i)
    out.emplace_back(i < ran.names.size() ? ran.names[i] : "output." + std::to_string(i), ran.tensors[i]);
  return out;
}

bool verify_stage(const std::filesystem::path& model_file, const onnx::ModelProto& model, const Program& program,
                  const VerifyOptions& options, StatusPrinter& status, ExportReport& report) {
  StageReport& runtime = report.stage("runtime");
  StageReport& accuracy = report.stage("accuracy");
  VerificationReport verification;
  verification.atol = options.atol;
  verification.rtol = options.rtol;

  const std::string run_subject = "Run the model in ONNX Runtime";
  status.begin(run_subject);
  Stopwatch run_clock;
  TensorMap actual;
  std::vector<std::pair<std::string, Tensor>> expected;
  try {
    TensorMap inputs = verification_inputs(program, verification.inputs);
    expected = reference_outputs(program, inputs, verification.reference);
    if (!find_ort_runner()) throw std::runtime_error("ONNX Runtime not found: " + ort_not_found_reason());
    actual = run_onnxruntime(model_file, model_feeds(model, program, inputs));
    runtime.status = Status::Ok;
  } catch (const std::exception& e) {
    runtime.status = Status::Failed;
    verification.problem = e.what();
    status.detail("  " + verification.problem);
  }
  runtime.seconds = run_clock.seconds();
  runtime.summary = runtime.status == Status::Ok ? "ran on " + verification.inputs : verification.problem;
  status.end(run_subject, runtime.status == Status::Ok, runtime.seconds);
  if (runtime.status != Status::Ok) {
    report.verification = std::move(verification);
    return false;
  }

  const std::string cmp_subject = "Compare the outputs with the " + verification.reference;
  status.begin(cmp_subject);
  Stopwatch cmp_clock;
  bool all_ok = true;
  const auto& onnx_outputs = model.graph().output();
  if (onnx_outputs.size() != static_cast<int>(expected.size())) {
    verification.problem = "the model has " + std::to_string(onnx_outputs.size()) + " output(s), the reference " +
                           std::to_string(expected.size());
    all_ok = false;
  }
  for (int i = 0; i < onnx_outputs.size() && i < static_cast<int>(expected.size()); ++i) {
    const std::string& name = onnx_outputs.Get(i).name();
    const Tensor* got = actual.find(name);
    Comparison c;
    if (got == nullptr) {
      c.name = name;
      c.problem = "ONNX Runtime returned no output `" + name + "`";
    } else {
      c = compare_tensors(name, *got, expected[static_cast<size_t>(i)].second, options.atol, options.rtol);
    }
    all_ok = all_ok && c.ok;
    status.detail("  " + std::string(c.ok ? "✅ " : "❌ ") + c.name + ": max abs diff " + format_diff(c.max_abs) +
                  ", max rel diff " + format_diff(c.max_rel) + (c.problem.empty() ? "" : " (" + c.problem + ")"));
    verification.outputs.push_back(std::move(c));
  }
  accuracy.seconds = cmp_clock.seconds();
  accuracy.status = all_ok ? Status::Ok : Status::Failed;
  accuracy.summary = (all_ok ? "within" : "outside") + std::string(" atol ") + format_diff(options.atol) + ", rtol " +
                     format_diff(options.rtol) + " of the " + verification.reference;
  status.end(cmp_subject, all_ok, accuracy.seconds);
  report.verification = std::move(verification);
  return all_ok;
}

}  // namespace onnxport::pipeline
