// The tracing engine shared by the built-in strategies, and the reference
// interpreter built on the same evaluator.
//
// The engine is an abstract interpreter over the Program: values are fake
// tensors (dtype + symbolic shape, plus concrete data when evaluating),
// symbolic ints/bools and Python constants. Strategies differ only in policy.
#pragma once

#include <onnxport/strategy.hpp>

#include <exception>
#include <string>
#include <utility>

namespace onnxport {

enum class DataDependentPolicy {
  Error,       // strict / non-strict: fail with the expression and source line
  Rewrite,     // cond-rewrite: emit higher_order::cond / higher_order::loop
  Specialize,  // draft: evaluate on example inputs, take that path, add a runtime assertion
};

struct TracePolicy {
  std::string strategy;  // name used in diagnostics
  DataDependentPolicy data_dependent = DataDependentPolicy::Error;
  // strict, non-strict: a guard that pins a declared dynamic dim (or an int
  // input) is an error; otherwise the dim is specialized with a warning and
  // the graph is not sound (draft, and cond-rewrite's fallback).
  bool refuse_dynamic_dim_guards = false;
  // strict: print/warn are errors; others drop them with a warning.
  bool side_effects_are_errors = false;
  // strict: keep scanning after an error to report every problem at once.
  bool report_all_errors = false;
  // draft: tensors carry concrete data computed by the reference kernels.
  bool evaluate_concretely = false;
};

CaptureResult trace_program(const Program& program, const CaptureOptions& options,
                            const TracePolicy& policy, HostServices& host);

// A strategy that is the tracing engine under one policy: what each built-in
// strategy is, and the starting point for a plugin that only needs another
// policy. capture() never lets an exception out: one becomes an
// "internal-error" diagnostic naming the strategy.
class TracingStrategy : public Strategy {
 public:
  TracingStrategy(std::string name, std::string description, TracePolicy policy)
      : name_(std::move(name)), description_(std::move(description)), policy_(std::move(policy)) {
    if (policy_.strategy.empty()) policy_.strategy = name_;
  }

  std::string_view name() const override { return name_; }
  std::string_view description() const override { return description_; }

  CaptureResult capture(const Program& program, const CaptureOptions& options, HostServices& host) override {
    try {
      return trace_program(program, options, policy_, host);
    } catch (const std::exception& e) {
      CaptureResult failed;
      failed.diagnostics.push_back(
          Diagnostic::error("capture", "internal-error", name_ + " capture failed: " + e.what(), name_));
      return failed;
    }
  }

 private:
  std::string name_;
  std::string description_;
  TracePolicy policy_;
};

// Reference interpreter: evaluates the program eagerly with the reference
// kernels. `inputs` by input name. Returns outputs flattened in order
// (tuples/lists expanded), named "output.0", "output.1", ... unless the
// program declares names. Throws DiagnosticError when it cannot evaluate.
struct RunOutputs {
  std::vector<std::string> names;
  std::vector<Tensor> tensors;
};
RunOutputs run_program(const Program& program, const TensorMap& inputs);

// Seeded random inputs drawn from the program's input specs (symbolic dims
// take `default_dim`). Used by draft and tests when a bundle has no inputs.
TensorMap random_inputs(const Program& program, uint64_t seed, int64_t default_dim = 2);

}  // namespace onnxport
