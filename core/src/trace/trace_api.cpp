// Public entry points of the tracing engine (onnxport/trace.hpp):
// trace_program for the strategies, run_program (the reference interpreter)
// and random_inputs.
#include "base/checked_math.hpp"
#include "base/limits.hpp"
#include "dead_code.hpp"
#include "release.hpp"
#include "tracer.hpp"

#include <onnxport/trace.hpp>

#include <functional>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>

#include <pthread.h>

namespace onnxport {

namespace trace {
namespace {

// One release at a time: a release waits for the one before.
class BackgroundRelease {
 public:
  ~BackgroundRelease() { wait(); }
  void release(std::unique_ptr<Tracer> tracer) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable()) thread_.join();
    try {
      thread_ = std::thread([t = std::move(tracer)]() mutable { t.reset(); });
    } catch (const std::system_error&) {
      // No thread could be started: the lambda holding the tracer is
      // destroyed here, and the tracer with it.
    }
  }
  void wait() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::thread thread_;
};

BackgroundRelease& background_release() {
  static BackgroundRelease instance;
  return instance;
}

// Every fork waits for the release in flight (release.hpp): whoever forks.
void wait_before_fork() { background_release().wait(); }
[[maybe_unused]] const bool fork_handler_registered = [] {
  return ::pthread_atfork(&wait_before_fork, nullptr, nullptr) == 0;
}();

}  // namespace

void release_in_background(std::unique_ptr<Tracer> tracer) { background_release().release(std::move(tracer)); }
void wait_for_released_tracers() { background_release().wait(); }

}  // namespace trace

namespace {

using trace::EValue;
using trace::StopScan;
using trace::TraceError;
using trace::Tracer;
using trace::TracerConfig;

Diagnostic internal_error(const TracePolicy& policy, const std::string& what) {
  Diagnostic d;
  d.code = "internal-error";
  d.severity = Severity::Error;
  d.stage = "capture";
  d.plugin = policy.strategy;
  d.message = "the tracing engine failed: " + what;
  return d;
}

std::string text_or_empty(const Graph& g) {
  try {
    return g.to_text();
  } catch (const std::exception&) {
    return {};
  }
}

// The graph as far as it got, shown with a failure (like torch's printout).
// When the engine kept scanning after the first error, the graph at that
// error is the one to show (what came after includes the scan's guesses).
void record_failure(CaptureResult& result, Tracer& tracer) {
  result.graph.reset();
  for (const Diagnostic& d : tracer.diagnostics()) {
    if (d.severity == Severity::Error && d.details.contains("partial_graph")) {
      result.partial_graph = d.details["partial_graph"].get<std::string>();
      return;
    }
    if (d.severity == Severity::Error) break;
  }
  result.partial_graph = text_or_empty(tracer.graph());
}

void finish_success(CaptureResult& result, Tracer& tracer, const TracePolicy& policy) {
  Graph& g = tracer.graph();
  tracer.hand_over_reserved_names();
  trace::remove_dead_nodes(g);
  std::vector<std::string> problems = g.validate();
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += "\n  " + p;
    result.diagnostics.push_back(internal_error(policy, "the captured graph is malformed:" + all));
    record_failure(result, tracer);
    return;
  }
  result.graph = std::move(g);
}

}  // namespace

CaptureResult trace_program(const Program& program, const CaptureOptions& options, const TracePolicy& policy,
                            HostServices& host) {
  CaptureResult result;
  TensorMap random;
  TracerConfig config;
  config.policy = policy;
  std::string inputs_used;
  if (!program.example_inputs.empty()) {
    config.inputs = &program.example_inputs;
    inputs_used = "inputs.safetensors";
  } else if (policy.evaluate_concretely) {
    try {
      random = random_inputs(program, options.seed, config.default_dim);
    } catch (const DiagnosticError& e) {
      result.diagnostics.push_back(e.diagnostic());
      return result;
    }
    config.inputs = &random;
    inputs_used = "random (seed " + std::to_string(options.seed) + ")";
  }
  auto owned_tracer = std::make_unique<Tracer>(program, options, config);
  Tracer& tracer = *owned_tracer;
  try {
    tracer.run();
    if (tracer.has_errors()) record_failure(result, tracer);
    else finish_success(result, tracer, policy);
  } catch (const TraceError& e) {
    tracer.diagnostics().push_back(e.diagnostic());
    record_failure(result, tracer);
  } catch (const StopScan&) {
    record_failure(result, tracer);
  } catch (const DiagnosticError& e) {
    tracer.diagnostics().push_back(e.diagnostic());
    record_failure(result, tracer);
  } catch (const std::exception& e) {
    tracer.diagnostics().push_back(internal_error(policy, e.what()));
    record_failure(result, tracer);
  }
  auto& diags = tracer.diagnostics();
  result.diagnostics.insert(result.diagnostics.end(), diags.begin(), diags.end());
  if (policy.evaluate_concretely) {
    result.details["inputs"] = inputs_used;
    result.details["sound"] = result.graph ? result.graph->sound : false;
  }
  trace::release_in_background(std::move(owned_tracer));  // release.hpp says why
  if (result.graph) {
    host.log(Severity::Note, "[" + policy.strategy + "] captured " + std::to_string(result.graph->node_count()) +
                                 " nodes from `" + program.name + "`");
  }
  return result;
}

RunOutputs run_program(const Program& program, const TensorMap& inputs) {
  TracerConfig config;
  config.policy.strategy = "reference";
  config.policy.data_dependent = DataDependentPolicy::Specialize;
  config.policy.evaluate_concretely = true;
  config.eager = true;
  config.inputs = &inputs;
  Tracer tracer(program, CaptureOptions{}, config);
  std::vector<EValue> outputs;
  try {
    outputs = tracer.run();
  } catch (const TraceError& e) {
    Diagnostic d = e.diagnostic();
    d.stage = "run";
    throw DiagnosticError(std::move(d));
  }
  RunOutputs run;
  std::function<void(const EValue&)> flatten = [&](const EValue& v) {
    switch (v.kind) {
      case EValue::Kind::Tensor: run.tensors.push_back(*v.tensor->data); break;
      case EValue::Kind::Sym:
        run.tensors.push_back(Tensor::scalar(trace::scalar_dtype(v.sym->type), v.sym->hint.value_or(0.0)));
        break;
      case EValue::Kind::Constant:
        if (v.constant.is_boolean()) run.tensors.push_back(Tensor::scalar(DType::Bool, v.constant.get<bool>()));
        else if (v.constant.is_number_integer()) run.tensors.push_back(Tensor::scalar(DType::Int64, v.constant.get<double>()));
        else if (v.constant.is_number()) run.tensors.push_back(Tensor::scalar(DType::Float64, v.constant.get<double>()));
        break;
      case EValue::Kind::List:
      case EValue::Kind::Tuple:
        for (const EValue& item : *v.items) flatten(item);
        break;
      case EValue::Kind::Dict:
        for (const auto& entry : v.dict->entries) flatten(entry.second);
        break;
      default: break;
    }
  };
  for (const EValue& v : outputs) flatten(v);
  const bool named = program.outputs.size() == run.tensors.size();
  for (size_t i = 0; i < run.tensors.size(); ++i)
    run.names.push_back(named && !program.outputs[i].name.empty() ? program.outputs[i].name
                                                                  : "output." + std::to_string(i));
  return run;
}

namespace {

struct RandomSource {
  std::mt19937_64 rng;
  std::normal_distribution<double> normal{0.0, 1.0};
  std::uniform_int_distribution<int64_t> small_int{0, 9};
};

// Draws one tensor input (floats ~ N(0, 1), ints in [0, 10), bools 0/1), or
// each element of a list/tuple input ("lx.0", "lx.1", ...).
// `pointer`: where `in` is declared in program.json ("/graph/inputs/1").
void draw_input(const Program& program, const ProgramValue& in, const std::string& pointer, RandomSource& source,
                int64_t default_dim, TensorMap& out) {
  if (!in.elements.empty()) {
    for (size_t k = 0; k < in.elements.size(); ++k)
      draw_input(program, in.elements[k], pointer + "/elements/" + std::to_string(k), source, default_dim, out);
    return;
  }
  if (in.type != "Tensor" && in.type != "Optional[Tensor]") return;
  if (!in.has_shape) {
    Diagnostic d;
    d.code = "missing-input-shape";
    d.stage = "capture";
    d.message = "input `" + in.name + "` declares no shape, so no random example can be drawn for it";
    d.hint = "Declare its shape in program.json or provide inputs.safetensors.";
    throw DiagnosticError(std::move(d));
  }
  std::vector<int64_t> sizes;
  for (const Dim& d : in.shape) sizes.push_back(d.is_static() ? d.value() : default_dim);
  const DType dtype = in.dtype == DType::Undefined ? DType::Float32 : in.dtype;
  // Refused before anything is allocated: a few bytes of program.json can
  // declare terabytes, and an example input is drawn whole.
  const auto bytes = checked_nbytes(sizes, dtype_size(dtype));
  if (!bytes || *bytes > limits::max_tensor_bytes()) {
    Diagnostic d;
    d.code = "input-too-large";
    d.stage = "capture";
    d.message = program.program_file.string() + ": " + pointer + "/shape: input `" + in.name + "` is " +
                std::string(dtype_short_name(dtype)) + shape_str(shape_of(sizes)) + ", " +
                (bytes ? std::to_string(*bytes) + " bytes" : std::string("more bytes than fit in 64 bits")) +
                ", above the limit of " + limits::bytes_text(limits::max_tensor_bytes()) +
                " for one tensor, so no random example can be drawn for it";
    d.hint = "Provide inputs.safetensors with a smaller example, declare a symbolic dim, or raise the limit with "
             "ONNXPORT_MAX_TENSOR_BYTES (docs/limits.md).";
    throw DiagnosticError(std::move(d));
  }
  Tensor t = Tensor::zeros(dtype, sizes);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (is_floating(dtype)) t.set_double(i, source.normal(source.rng));
    else if (dtype == DType::Bool) t.set_double(i, static_cast<double>(source.rng() & 1));
    else t.set_double(i, static_cast<double>(source.small_int(source.rng)));
  }
  out.set(in.name, std::move(t));
}

}  // namespace

TensorMap random_inputs(const Program& program, uint64_t seed, int64_t default_dim) {
  RandomSource source{std::mt19937_64(seed)};
  TensorMap out;
  for (const ProgramValue* in : program.user_inputs())
    draw_input(program, *in, "/graph/inputs/" + std::to_string(in - program.inputs.data()), source, default_dim, out);
  return out;
}

}  // namespace onnxport
