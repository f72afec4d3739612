// Tracer: control flow. prim::If and prim::Loop are resolved while tracing
// when their conditions are known (constants, or shapes with a guard); a
// condition on tensor data goes to the policy: error, rewrite into
// higher_order::cond, or specialize on the example inputs.
#include "tracer.hpp"

#include "control_util.hpp"

#include "scalar_ops.hpp"

#include <onnxport_core/unroll_limit.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

namespace onnxport::trace {

namespace {

// A loop that runs longer than this while unrolling is almost certainly
// unbounded for the traced inputs; stop with a clear error instead of hanging.
constexpr int64_t kMaxUnrolledIterations = 100000;

// However a loop is estimated, unrolling stops with an error once it has
// emitted this many graph nodes, or the config's unroll limit when that is
// higher (an inner trip count the estimate could not see, such as
// `range(x.size(1))` on a static dim).
constexpr int64_t kMaxUnrolledGraphNodes = 50000;

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

// Identifiers in an expression ("Gt((batch*2), 1)" -> batch), to find the
// dynamic dims a guard constrains.
std::vector<std::string> identifiers(const std::string& expr) {
  std::vector<std::string> out;
  for (size_t i = 0; i < expr.size();) {
    const unsigned char c = static_cast<unsigned char>(expr[i]);
    if (std::isalpha(c) || c == '_') {
      size_t j = i;
      while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_' || expr[j] == '.')) ++j;
      out.push_back(expr.substr(i, j - i));
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

std::string bool_text(bool b) { return b ? "True" : "False"; }

}  // namespace

std::vector<EValue> Tracer::run_inline(const ProgramBlock& b, const std::vector<EValue>& args) {
  if (node_->kind == "prim::Loop" && b.outputs.size() != args.size())
    fail("bad-node", "the body of prim::Loop at " + node_->json_path + " returns " + std::to_string(b.outputs.size()) +
                         " values for " + std::to_string(args.size()) + " inputs; it must return (condition, carried...)");
  if (args.size() != b.inputs.size())
    fail("bad-arity", "a block of " + node_->kind + " takes " + std::to_string(b.inputs.size()) + " inputs, got " +
                          std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) bind(b.inputs[i], args[i]);
  const ProgramNode* owner = node_;
  run_block(b);
  node_ = owner;
  std::vector<EValue> outs;
  outs.reserve(b.outputs.size());
  for (const auto& name : b.outputs) outs.push_back(lookup(name, owner));
  return outs;
}

// ------------------------------------------------------------------ deciding conditions

std::vector<std::string> Tracer::dynamic_dims_in(const std::string& expr) const {
  std::vector<std::string> dims;
  for (const auto& id : identifiers(expr))
    if (dynamic_symbols_.count(id) && std::find(dims.begin(), dims.end(), id) == dims.end()) dims.push_back(id);
  return dims;
}

std::string Tracer::example_sizes(const std::vector<std::string>& dims) const {
  std::string sizes;
  for (const auto& d : dims) {
    auto h = std::find_if(hints_.begin(), hints_.end(), [&](const auto& p) { return p.first == d; });
    sizes += (sizes.empty() ? "" : ", ") + d + "=" + (h != hints_.end() ? std::to_string(h->second) : "?");
  }
  return sizes;
}

std::string Tracer::dim_list(const std::vector<std::string>& dims) const {
  std::string list;
  for (const auto& d : dims)
    list += (list.empty() ? "" : ", ") + std::string(scalar_inputs_.count(d) ? "input `" : "dim `") + d + "`";
  return list;
}

bool Tracer::decide_shape(const SymScalar& cond, const ProgramNode& n, std::string_view what, std::string_view fix) {
  if (!cond.hint)
    fail("undecidable-condition", std::string(what) + " depends on `" + cond.expr + "`, which has no example value to decide it");
  const bool value = *cond.hint != 0.0;
  if (config_.eager) return value;
  const std::string holds = value ? cond.expr : cond.negated;
  graph_.guards.push_back(Guard{holds, n.source, std::string(what) + " specialized on the example shapes"});
  const std::vector<std::string> dims = dynamic_dims_in(cond.expr);
  if (dims.empty()) return value;
  const std::string sizes = example_sizes(dims);
  const std::string dim_list = this->dim_list(dims);
  if (config_.policy.refuse_dynamic_dim_guards) {
    // strict and non-strict never pin a declared dynamic dim (torch.export
    // raises a constraint violation in both modes): the graph would be wrong
    // for every other size. cond-rewrite or draft may take it from here.
    Diagnostic d = make_diag(
        "dynamic-dim-guard", Severity::Error,
        std::string(what) + " at " + line_of(n) + quoted_source(n) + " depends on the dynamic " + dim_list + ": `" +
            cond.expr + "` is " + bool_text(value) + " for the example sizes (" + sizes +
            "), and taking that path would pin the dim to `" + holds + "`",
        !fix.empty() ? std::string(fix)
                     : "Use `cond-rewrite`, which turns a branch on a size into an ONNX If that is right for every "
                       "size, or `draft`, which specializes it to `" + holds + "` (the graph is then not sound); or "
                       "make the model independent of this size, or drop the dim from dynamic_shapes (declare it "
                       "static).",
        "guard-added");
    d.details["dims"] = dims;
    d.details["example_sizes"] = sizes;
    d.details["would_pin_to"] = holds;
    report_error(std::move(d));
  } else {
    // The graph is only right while the guard holds, not over the declared
    // dynamic range: not sound, with the guard as its runtime assumption.
    graph_.assertions.push_back(RuntimeAssertion{holds, n.source, std::string(what) + " pins the dynamic " + dim_list});
    graph_.sound = false;
    warn("guard-added", "guard-added",
         std::string(what) + " at " + line_of(n) + quoted_source(n) + " depends on the dynamic " + dim_list + "; it was specialized to `" +
             holds + "` (example sizes " + sizes + "), and the graph is only valid while that holds");
  }
  return value;
}

void Tracer::guard_broadcasts(const ProgramNode& n, const std::string& kind,
                              const std::vector<BroadcastAssumption>& taken) {
  if (config_.eager) return;
  for (const BroadcastAssumption& a : taken) {
    const std::vector<std::string> dims = dynamic_dims_in(a.dim);
    if (dims.empty()) continue;  // an unbacked size from data, not a declared dim
    const std::string holds = "Eq(" + a.dim + ", " + std::to_string(a.size) + ")";
    // Once per node and condition (a node in an unrolled loop meets it again).
    const bool seen = std::any_of(graph_.guards.begin(), graph_.guards.end(), [&](const Guard& g) {
      return g.expr == holds && g.loc.line == n.source.line && g.loc.file == n.source.file;
    });
    if (seen) continue;
    const std::string what = kind + " broadcasts `" + a.dim + "` against a static dim of size " +
                             std::to_string(a.size);
    graph_.guards.push_back(Guard{holds, n.source, what});
    const std::string message = what + " at " + line_of(n) + quoted_source(n) + ": the result only holds when the " +
                                "dynamic " + dim_list(dims) + " makes it " + std::to_string(a.size) +
                                " (or 1), so taking it would pin the dim to `" + holds + "` (example sizes " +
                                example_sizes(dims) + ")";
    if (config_.policy.refuse_dynamic_dim_guards) {
      Diagnostic d = make_diag(
          "dynamic-dim-broadcast", Severity::Error, message,
          "Make the shapes agree for every size (expand or slice the static side to the dynamic size), drop the dim "
          "from dynamic_shapes (declare it static), or use `draft`, which specializes it (the graph is then not "
          "sound).",
          "guard-added");
      d.details["dims"] = dims;
      d.details["example_sizes"] = example_sizes(dims);
      d.details["would_pin_to"] = holds;
      report_error(std::move(d));
    } else {
      graph_.assertions.push_back(RuntimeAssertion{holds, n.source, what + " pins the dynamic " + dim_list(dims)});
      graph_.sound = false;
      warn("guard-added", "guard-added", message + "; the graph is only valid while that holds");
    }
  }
}

void Tracer::record_specialization(const SymScalar& cond, bool value, const ProgramNode& n, std::string_view what) {
  if (config_.eager) return;
  const std::string holds = value ? cond.expr : cond.negated;
  graph_.assertions.push_back(RuntimeAssertion{holds, n.source, std::string(what) + " on " + cond.origin});
  graph_.sound = false;
  const std::string key = n.json_path + "|" + bool_text(value);
  if (auto it = specialization_groups_.find(key); it != specialization_groups_.end()) {
    ++diags_[it->second].occurrences;
    return;
  }
  Diagnostic d = make_diag(
      what.find("loop") != std::string_view::npos ? "data-dependent-loop" : "data-dependent-branch", Severity::Warning,
      "When exporting, the value of `" + cond.expr + "` could not be evaluated symbolically; it was specialized to `" +
          bool_text(value) + "` (the example inputs' value)",
      "Add torch._check(...) to assert this assumption in the model, or rewrite the branch with torch.cond "
      "(the `cond-rewrite` strategy does it for a plain `if`).",
      "data-dependent");
  d.details["expression"] = cond.expr;
  d.details["specialized_to"] = value;
  d.details["origin"] = cond.origin;
  d.details["what"] = std::string(what);
  specialization_groups_[key] = diags_.size();
  diags_.push_back(std::move(d));
}

// Branches call this for shapes and when specializing; a loop condition on
// tensor data under any other policy is an error.
bool Tracer::decide(const SymScalar& cond, const ProgramNode& n, std::string_view what) {
  if (!cond.data_dependent) return decide_shape(cond, n, what);
  if (config_.eager) {
    if (!cond.hint) fail("internal", "no value for `" + cond.expr + "` in concrete evaluation");
    return *cond.hint != 0.0;
  }
  switch (config_.policy.data_dependent) {
    case DataDependentPolicy::Specialize: {
      if (!cond.hint)
        fail("unevaluable-condition",
             std::string(what) + " at " + line_of(n) + quoted_source(n) + " depends on `" + cond.expr + "` (" +
                 cond.origin + "), which has no example value: it is computed by an op without a reference kernel",
             "Add the missing reference kernel (see the missing-kernel warning), or rewrite the branch with torch.cond.");
      const bool value = *cond.hint != 0.0;
      record_specialization(cond, value, n, what);
      return value;
    }
    case DataDependentPolicy::Rewrite:
    case DataDependentPolicy::Error:
      break;
  }
  data_dependent_loop_error(cond, n, what);
}

void Tracer::data_dependent_loop_error(const SymScalar& cond, const ProgramNode& n, std::string_view what) {
  const std::string where = std::string(what) + " at " + line_of(n) + quoted_source(n);
  if (config_.policy.data_dependent == DataDependentPolicy::Rewrite)
    fail("data-dependent-loop",
         "data-dependent loop not supported yet: " + where + " depends on tensor data (`" + cond.expr + "` from " +
             cond.origin + ")",
         "Make the loop independent of tensor data, or use `draft`, which unrolls the observed iterations.");
  if (config_.policy.report_all_errors && already_reported("data-dependent-loop", n)) throw StopScan{};
  Diagnostic d = make_diag("data-dependent-loop", Severity::Error,
                           "Could not guard on data-dependent expression " + cond.expr + ": " + where +
                               " depends on tensor data (" + cond.origin + ")",
                           "Make the loop independent of tensor data, or use `draft`, which unrolls the observed "
                           "iterations.",
                           "data-dependent");
  d.details["expression"] = cond.expr;
  d.details["partial_graph"] = graph_.to_text();
  if (!config_.policy.report_all_errors) throw TraceError(std::move(d));
  record_error(std::move(d));
  throw StopScan{};  // no value to continue the unrolling with
}

// ------------------------------------------------------------------ prim::If

void Tracer::on_if(const ProgramNode& n) {
  EValue c = in(n, 0);
  if (c.is_tensor()) c = data_dependent_scalar("aten::Bool", *c.tensor);
  if (c.is_sym() && c.sym->type != ScalarType::Bool) c = sym_compare("aten::ne", c, EValue::of_constant(0));
  bool taken = false;
  if (c.is_constant()) {
    taken = python_truth_of(c);
  } else if (!c.is_sym()) {
    fail("bad-argument", "prim::If needs a bool condition, got a " + describe(c));
  } else if (auto known = known_condition(c.sym->expr)) {
    taken = *known;  // inside a branch of a rewritten cond on the same condition (branch_facts.cpp)
  } else if (const std::optional<size_t> only = block_that_does_not_raise(n)) {
    skip_raising_branch(*c.sym, *only);
    taken = *only == 0;
  } else if (!c.sym->data_dependent || config_.eager) {
    if (rewrites_shape_branch(*c.sym) && try_rewrite_shape_branch(n, *c.sym)) return;
    taken = decide(*c.sym, n, "the branch");
  } else {
    const SymScalar& s = *c.sym;
    switch (config_.policy.data_dependent) {
      case DataDependentPolicy::Specialize:
        taken = decide(s, n, "the branch");
        break;
      case DataDependentPolicy::Rewrite:
        rewrite_as_cond(n, s.value, s.hint ? std::optional<bool>(*s.hint != 0.0) : std::nullopt, {}, &s);
        return;
      case DataDependentPolicy::Error: {
        if (config_.policy.report_all_errors && already_reported("data-dependent-branch", n)) {
          rewrite_as_cond(n, s.value, std::nullopt, {});  // keep scanning, as the first time
          return;
        }
        Diagnostic d = make_diag(
            "data-dependent-branch", Severity::Error,
            "Could not guard on data-dependent expression " + s.expr + ": prim::If on " + s.origin +
                " depends on tensor data",
            "Rewrite the branch with torch.cond (higher_order::cond), or use the `cond-rewrite` strategy, which "
            "does it for a plain `if`; `draft` specializes it on example inputs instead.",
            "data-dependent");
        d.details["expression"] = s.expr;
        d.details["partial_graph"] = graph_.to_text();
        if (!config_.policy.report_all_errors) throw TraceError(std::move(d));
        // Keep scanning both branches for further problems; the graph is discarded.
        record_error(std::move(d));
        rewrite_as_cond(n, s.value, std::nullopt, {});
        return;
      }
    }
  }
  bind_outputs(n, run_inline(n.blocks.at(taken ? 0 : 1), {}));
}

// An argument check: `if <condition>: raise ValueError(...)`. When exactly
// one of the two blocks raises (a prim::RaiseException at its top level, so
// reaching the block means raising), every input on which eager PyTorch
// returns takes the other block: inputs that make it raise are not valid
// inputs of the program. So the model takes that block for every input, with
// no guard and no assertion, whatever the condition depends on (a dynamic
// dim, tensor data): the capture stays sound. The report notes the assumption.
std::optional<size_t> Tracer::block_that_does_not_raise(const ProgramNode& n) const {
  if (n.blocks.size() != 2) return std::nullopt;
  auto raises = [](const ProgramBlock& b) {
    return std::any_of(b.nodes.begin(), b.nodes.end(), [](const ProgramNode& x) { return x.kind == "prim::RaiseException"; });
  };
  const bool first = raises(n.blocks[0]), second = raises(n.blocks[1]);
  if (first == second) return std::nullopt;
  return first ? size_t{1} : size_t{0};
}

void Tracer::skip_raising_branch(const SymScalar& cond, size_t taken_block) {
  const std::string holds = taken_block == 0 ? cond.expr : "Not(" + cond.expr + ")";
  diags_.push_back(make_diag("raise-branch-skipped", Severity::Note,
                             "the other branch of this `if` raises in eager PyTorch, so every valid input satisfies " +
                                 holds + " and the model takes this path for every input (inputs on which PyTorch "
                                 "raises have no output to match)"));
}

// cond-rewrite: a branch whose condition involves a dynamic dim or an int
// input (`if x.shape[0] == 3:`) becomes higher_order::cond on the symbolic
// comparison (ONNX Shape -> Gather -> Equal -> If), so the model is right for
// every size instead of pinned to the example's path by a guard.
bool Tracer::rewrites_shape_branch(const SymScalar& cond) const {
  if (config_.eager || config_.policy.data_dependent != DataDependentPolicy::Rewrite || cond.value == kNoValue)
    return false;
  for (const auto& id : identifiers(cond.expr))
    if (dynamic_symbols_.count(id)) return true;
  return false;
}

// Traces both branches into a cond; when a branch cannot be rewritten (an
// error in it, outputs of different ranks, a `raise`), everything the attempt
// recorded is undone and the caller falls back to the guard, with a warning
// saying why. Errors inside the attempt are thrown, not recorded, so that one
// in a branch the example never takes does not fail the whole capture.
bool Tracer::try_rewrite_shape_branch(const ProgramNode& n, const SymScalar& cond) {
  const size_t diag_count = diags_.size(), guard_count = graph_.guards.size();
  const size_t assertion_count = graph_.assertions.size();
  const bool sound = graph_.sound;
  std::string why;
  ++shape_branch_attempts_;
  try {
    rewrite_as_cond(n, cond.value, cond.hint ? std::optional<bool>(*cond.hint != 0.0) : std::nullopt, {}, &cond);
    --shape_branch_attempts_;
    return true;
  } catch (const TraceError& e) {
    why = e.diagnostic().message;
  } catch (const StopScan&) {
    why = diags_.size() > diag_count ? diags_.back().message : "an error inside a branch";
  }
  --shape_branch_attempts_;
  diags_.resize(diag_count);
  std::erase_if(error_groups_, [&](const auto& g) { return g.second >= diag_count; });
  std::erase_if(specialization_groups_, [&](const auto& g) { return g.second >= diag_count; });
  graph_.guards.resize(guard_count);
  graph_.assertions.resize(assertion_count);
  graph_.sound = sound;
  warn("shape-branch-not-rewritten", "guard-added",
       "the branch at " + line_of(n) + quoted_source(n) + " on `" + cond.expr +
           "` could not become an ONNX If, so it is specialized with a guard instead: " + why,
       "Make both branches return tensors of the same dtype and rank, without raising, or make the dim static.");
  return false;
}

// ------------------------------------------------------------------ aten::_assert_async

// torch2program writes `aten::_assert_async(aten::eq(t, 8))` after each
// number that torch.jit.trace froze from a 0-d integer tensor (`math.sqrt(E)`
// with E a size; docs/torch2program.md, "Frozen numbers"): the program is
// right only for inputs on which t is still 8. When t is a size the engine
// follows (scalar shadows), the comparison is a SymBool: constant true when
// every valid input shares the size, so there is nothing to check and the
// capture stays sound; otherwise a guard on the declared dynamic dims, which
// decide_shape refuses (strict, non-strict) or specializes (draft, not sound).
// A number read from tensor data is specialized by draft, refused by the others.
void Tracer::on_assert_async(const ProgramNode& n) {
  const EValue& c = in(n, 0);
  if (!c.is_tensor()) fail("bad-argument", "aten::_assert_async needs a tensor, got a " + describe(c));
  const std::string what = "the number torch.jit.trace froze";
  const std::string where = " at " + line_of(n) + quoted_source(n);
  const std::string differs_hint =
      "Make the module scriptable so that torch2program does not trace it (program.json's producer.script_error "
      "says why torch.jit.script failed), or trace it with inputs of these shapes.";
  auto shadow = condition_shadows_.find(c.tensor->id);
  const EValue cond =
      shadow != condition_shadows_.end() ? shadow->second : data_dependent_scalar("aten::Bool", *c.tensor);
  if (cond.is_constant()) {
    if (!python_truth_of(cond))
      fail("trace-value-differs", what + where + " is different for these input shapes than for the example inputs "
                                  "the program was traced with, so the program would compute a wrong result",
           differs_hint);
    return;
  }
  if (!cond.is_sym()) fail("bad-argument", "aten::_assert_async needs a bool condition, got a " + describe(cond));
  const SymScalar& s = *cond.sym;
  if (s.data_dependent && !config_.eager && config_.policy.data_dependent != DataDependentPolicy::Specialize)
    fail("data-dependent-trace-value",
         what + where + " is read from tensor data (" + s.origin + "): the traced program is only right for inputs "
             "whose data gives the example's value",
         "Make the module scriptable so that torch2program does not trace it (program.json's producer.script_error "
         "says why torch.jit.script failed), or use `draft`, which keeps the example's value (the graph is then not "
         "sound).");
  // No strategy can make a frozen number follow the dim: the trace holds only its value.
  const std::string fix =
      "The traced program holds this number as a constant, so no strategy can make it follow the dim: make the "
      "module scriptable so that torch2program does not trace it (program.json's producer.script_error says why "
      "torch.jit.script failed), or drop the dim from dynamic_shapes (declare it static), or use `draft`, which "
      "keeps the number (the graph is then not sound).";
  const bool holds = s.data_dependent ? decide(s, n, what) : decide_shape(s, n, what, fix);
  if (!holds) fail("trace-value-differs", what + where + " does not hold for these inputs", differs_hint);
}

// ------------------------------------------------------------------ higher_order::cond

void Tracer::on_cond(const ProgramNode& n) {
  const EValue& pred = in(n, 0);
  std::vector<EValue> operands;
  for (size_t i = 1; i < n.inputs.size(); ++i) operands.push_back(in(n, i));
  if (pred.is_constant()) {  // torch.cond on a Python bool is just an if
    bind_outputs(n, run_inline(n.blocks.at(python_truth_of(pred) ? 0 : 1), operands));
    return;
  }
  ValueId pred_id = kNoValue;
  std::optional<bool> pred_value;
  if (pred.is_tensor()) {
    const Dim numel = shape_numel(pred.tensor->shape);
    if (numel.is_static() && numel.value() != 1)
      fail("op-error", "higher_order::cond needs a one-element predicate, got a tensor of shape " +
                           shape_str(pred.tensor->shape));
    pred_id = pred.tensor->id;
    if (pred.tensor->data) pred_value = pred.tensor->data->get_double(0) != 0.0;
  } else if (pred.is_sym()) {
    pred_id = pred.sym->value;
    if (pred.sym->hint) pred_value = *pred.sym->hint != 0.0;
  } else {
    fail("bad-argument", "higher_order::cond needs a bool predicate, got a " + describe(pred));
  }
  if (config_.eager) {
    if (!pred_value) fail("internal", "no value for the predicate in concrete evaluation");
    bind_outputs(n, run_inline(n.blocks.at(*pred_value ? 0 : 1), operands));
    return;
  }
  rewrite_as_cond(n, pred_id, pred_value, operands, pred.is_sym() ? &*pred.sym : nullptr);
}

bool Tracer::python_truth_of(const EValue& v) const {
  if (v.is_constant()) return python_truth(v.constant);
  return v.is_sequence() ? !v.items->empty() : true;  // a module, a tensor object
}

// ------------------------------------------------------------------ rewriting into higher_order::cond

namespace {

struct Branch {
  Block block;
  std::vector<EValue> outputs;
  std::vector<std::pair<std::string, EValue>> mutated;  // outer name -> its value at the end of the branch
  std::vector<std::pair<std::string, int64_t>> bindings;  // what the branch's condition pins (branch_facts.cpp)
};

}  // namespace

// Merges what the two branches produce into the cond's outputs: tensors must
// agree on dtype and rank (differing sizes become fresh symbols); scalars
// become data-dependent symbols; equal constants stay constants.
class CondMerger {
 public:
  CondMerger(Tracer& t, const ProgramNode& n, std::optional<bool> pred) : t_(t), n_(n), pred_(pred) {}

  EValue merge(const EValue& a, const EValue& b, const std::string& what);
  std::vector<ValueId> then_ids, else_ids, out_ids;
  // What each branch's condition pins: a size concrete in one branch because
  // of it (3 inside `if x.shape[0] == 3:`) is the other branch's symbolic size.
  std::vector<std::pair<std::string, int64_t>> then_bindings, else_bindings;

 private:
  std::optional<Dim> common_dim(const Dim& a, const Dim& b) const;
  EValue merge_tensors(const FakeTensor& a, const FakeTensor& b, const std::string& what);
  EValue merge_scalars(const EValue& a, const EValue& b, const std::string& what);
  [[noreturn]] void mismatch(const std::string& what, const std::string& why) const;

  Tracer& t_;
  const ProgramNode& n_;
  std::optional<bool> pred_;
};

void CondMerger::mismatch(const std::string& what, const std::string& why) const {
  t_.fail("branch-mismatch", "the branches of the `if` at " + line_of(n_) + quoted_source(n_) +
                                 " cannot become one higher_order::cond: " + what + " " + why,
          "Make both branches return tensors of the same dtype and rank.");
}

EValue CondMerger::merge(const EValue& a, const EValue& b, const std::string& what) {
  if (a.is_constant() && b.is_constant() && a.constant == b.constant) return a;
  // A merged quantized tensor would be a plain integer tensor: later ops
  // would compute on its integer representation (docs/architecture.md §4b).
  if (a.quantization || b.quantization)
    mismatch(what, "is a quantized tensor; a quantized tensor cannot leave a branch the engine rewrites into a "
                   "conditional (dequantize it inside the branch)");
  if (a.is_tensor() && b.is_tensor()) return merge_tensors(*a.tensor, *b.tensor, what);
  if (a.is_sequence() && b.is_sequence() && a.kind == b.kind) {
    if (a.items->size() != b.items->size())
      mismatch(what, "has " + std::to_string(a.items->size()) + " items in one branch and " +
                         std::to_string(b.items->size()) + " in the other");
    EList items;
    for (size_t i = 0; i < a.items->size(); ++i)
      items.push_back(merge((*a.items)[i], (*b.items)[i], what + "[" + std::to_string(i) + "]"));
    return a.kind == EValue::Kind::List ? EValue::list(std::move(items), t_.rewrite_depth_) : EValue::tuple(std::move(items));
  }
  auto is_scalar = [](const EValue& v) { return v.is_sym() || is_numeric_constant(v); };
  if (is_scalar(a) && is_scalar(b)) return merge_scalars(a, b, what);
  mismatch(what, "is a " + describe(a) + " in one branch and a " + describe(b) + " in the other");
}

EValue CondMerger::merge_tensors(const FakeTensor& a, const FakeTensor& b, const std::string& what) {
  if (a.dtype != b.dtype)
    mismatch(what, "is " + std::string(dtype_name(a.dtype)) + " in one branch and " + std::string(dtype_name(b.dtype)) +
                       " in the other");
  if (a.shape.size() != b.shape.size())
    mismatch(what, "has shape " + shape_str(a.shape) + " in one branch and " + shape_str(b.shape) + " in the other");
  Shape shape = a.shape;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (a.shape[i] == b.shape[i]) continue;
    const std::optional<Dim> common = common_dim(a.shape[i], b.shape[i]);
    shape[i] = common ? *common : Dim::symbol("u" + std::to_string(t_.unbacked_++));
  }
  const ValueId id = t_.new_value("cond", a.dtype, shape);
  then_ids.push_back(a.id);
  else_ids.push_back(b.id);
  out_ids.push_back(id);
  FakeTensor out{id, a.dtype, shape, std::nullopt, {}};
  if (pred_) out.data = *pred_ ? a.data : b.data;
  return EValue::of_tensor(std::move(out));
}

// A size that is `c` in the then-branch and `E` in the else-branch is `E` in
// both when the then-branch's condition makes E equal c (and the other way
// round); nullopt when the branches' sizes really differ.
std::optional<Dim> CondMerger::common_dim(const Dim& a, const Dim& b) const {
  auto same_under = [](const Dim& general, const Dim& concrete, const auto& bindings) {
    if (!concrete.is_static() || general.is_static() || bindings.empty()) return false;
    const auto v = dim_eval(general, bindings);
    return v && *v == concrete.value();
  };
  if (same_under(b, a, then_bindings)) return b;
  if (same_under(a, b, else_bindings)) return a;
  return std::nullopt;
}

EValue CondMerger::merge_scalars(const EValue& a, const EValue& b, const std::string& what) {
  if (scalar_type_of(a) != scalar_type_of(b))
    mismatch(what, "is a " + describe(a) + " in one branch and a " + describe(b) + " in the other");
  const ValueId ia = t_.scalar_value_id(a);
  const ValueId ib = t_.scalar_value_id(b);
  SymScalar s;
  s.type = scalar_type_of(a);
  auto int_dim = [](const EValue& v) -> std::optional<Dim> {
    if (v.is_sym()) return v.sym->type == ScalarType::Int ? std::optional<Dim>(v.sym->dim) : std::nullopt;
    if (v.constant.is_number_integer()) return Dim(v.constant.get<int64_t>());
    return std::nullopt;
  };
  const auto da = int_dim(a), db = int_dim(b);
  const std::optional<Dim> common = s.type == ScalarType::Int && da && db ? common_dim(*da, *db) : std::nullopt;
  if (common) {
    // The same size in both branches (x.shape[0] read in each): the cond's
    // output is that size, not a fresh unbacked value.
    const EValue& general = common->str() == da->str() ? a : b;
    s.dim = *common;
    s.expr = common->str();
    s.data_dependent = general.sym->data_dependent;
    s.hint = general.sym->hint;
  } else {
    const std::string u = "u" + std::to_string(t_.unbacked_++);
    s.expr = s.type == ScalarType::Bool ? "Eq(" + u + ", 1)" : u;
    s.negated = s.type == ScalarType::Bool ? "Ne(" + u + ", 1)" : "";
    if (s.type == ScalarType::Int) s.dim = Dim::symbol(u);
    s.data_dependent = true;
    if (pred_) s.hint = t_.hint_of(*pred_ ? a : b);
  }
  s.origin = "higher_order::cond at " + line_of(n_);
  s.value = t_.new_value("cond", scalar_dtype(s.type), {}, scalar_value_kind(s.type));
  then_ids.push_back(ia);
  else_ids.push_back(ib);
  out_ids.push_back(s.value);
  return EValue::of_sym(std::move(s));
}

void Tracer::rewrite_as_cond(const ProgramNode& n, ValueId pred, std::optional<bool> pred_value,
                             const std::vector<EValue>& operands, const SymScalar* cond) {
  if (pred == kNoValue) fail("internal", "higher_order::cond without a predicate value");
  // Values of mutated outer names are read before the frame is undone, so
  // trace each branch with a journal that records them.
  Branch then_branch, else_branch;
  for (int k = 0; k < 2; ++k) {
    Branch& br = k == 0 ? then_branch : else_branch;
    FrameScope scope(*this, &br.block);
    if (cond) assume_branch(*cond, k == 0);
    br.bindings = branch_bindings();
    br.outputs = run_inline(n.blocks.at(static_cast<size_t>(k)), operands);
    std::vector<std::pair<std::string, EValue>> finals;
    for (const auto& name : frames_.back().mutated)
      if (std::none_of(finals.begin(), finals.end(), [&](const auto& p) { return p.first == name; }))
        finals.emplace_back(name, env_.at(name));
    scope.close();
    br.mutated = std::move(finals);
  }
  CondMerger merger(*this, n, pred_value);
  merger.then_bindings = then_branch.bindings;
  merger.else_bindings = else_branch.bindings;
  std::vector<EValue> outs;
  for (size_t i = 0; i < n.outputs.size(); ++i)
    outs.push_back(merger.merge(then_branch.outputs.at(i), else_branch.outputs.at(i), "output " + std::to_string(i)));

  // Outer tensors mutated by in-place ops in either branch become extra
  // outputs: the branch that did not mutate one passes the old value through.
  std::vector<std::pair<std::string, EValue>> mutated_outs;
  std::map<std::pair<ValueId, ValueId>, EValue> merged_pairs;
  auto final_value = [&](const Branch& br, const std::string& name) {
    for (const auto& [m, v] : br.mutated)
      if (m == name) return v;
    return env_.at(name);
  };
  std::vector<std::string> names;
  for (const auto* br : {&then_branch, &else_branch})
    for (const auto& [name, v] : br->mutated)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  for (const auto& name : names) {
    const EValue a = final_value(then_branch, name), b = final_value(else_branch, name);
    if (!a.is_tensor() || !b.is_tensor()) {
      mutated_outs.emplace_back(name, merger.merge(a, b, "mutated `" + name + "`"));
      continue;
    }
    const auto key = std::make_pair(a.tensor->id, b.tensor->id);
    auto it = merged_pairs.find(key);
    if (it == merged_pairs.end()) it = merged_pairs.emplace(key, merger.merge(a, b, "mutated `" + name + "`")).first;
    mutated_outs.emplace_back(name, it->second);
  }

  then_branch.block.outputs = merger.then_ids;
  else_branch.block.outputs = merger.else_ids;
  Node node;
  node.op = "higher_order::cond";
  node.inputs.push_back(Arg::of(pred));
  for (const EValue& op : operands) node.inputs.push_back(to_graph_arg(op));
  node.outputs = merger.out_ids;
  node.blocks.push_back(std::move(then_branch.block));
  node.blocks.push_back(std::move(else_branch.block));
  node.prov = provenance();
  emit(std::move(node));
  bind_outputs(n, outs);
  for (const auto& [name, v] : mutated_outs) {
    const EValue* before = env_.find(name);
    const EValue old = before != nullptr ? *before : EValue();
    bind_raw(name, v, true);
    if (old.is_tensor() && v.is_tensor()) note_merged_mutation(*old.tensor, v);
  }
}

// ------------------------------------------------------------------ prim::Loop

int64_t Tracer::loop_trip_count(const ProgramNode& n, const EValue& max_trip) {
  if (max_trip.is_constant() && max_trip.constant.is_number_integer()) return max_trip.constant.get<int64_t>();
  if (!max_trip.is_sym() || max_trip.sym->type != ScalarType::Int)
    fail("bad-argument", "prim::Loop needs an int trip count, got a " + describe(max_trip));
  const SymScalar& trip = *max_trip.sym;
  if (trip.data_dependent && !config_.eager && config_.policy.data_dependent != DataDependentPolicy::Specialize)
    data_dependent_loop_error(trip, n, "the trip count of the loop");
  if (!trip.hint) fail("undecidable-condition", "the trip count `" + trip.expr + "` of the loop has no example value");
  const int64_t count = static_cast<int64_t>(*trip.hint);
  // Unrolling pins the count: the same decision as a branch on Eq(trip, count).
  SymScalar pinned;
  pinned.type = ScalarType::Bool;
  pinned.expr = "Eq(" + trip.expr + ", " + std::to_string(count) + ")";
  pinned.negated = "Ne(" + trip.expr + ", " + std::to_string(count) + ")";
  pinned.data_dependent = trip.data_dependent;
  pinned.hint = 1.0;
  pinned.origin = trip.origin;
  decide(pinned, n, "the trip count of the loop");
  return count;
}

// A Python bool for a loop condition: a constant, or a SymBool.
EValue Tracer::as_condition(EValue c) {
  if (c.is_tensor()) c = data_dependent_scalar("aten::Bool", *c.tensor);
  if (c.is_sym() && c.sym->type != ScalarType::Bool) c = sym_compare("aten::ne", c, EValue::of_constant(0));
  if (!c.is_constant() && !c.is_sym()) fail("bad-argument", "prim::Loop needs a bool condition, got a " + describe(c));
  return c;
}

// A loop whose trip count is a dynamic dim or an int input (range(x.size(0)),
// range(n)): unrolling would pin it to the example's value for every size.
// cond-rewrite emits higher_order::loop instead; strict and non-strict
// refuse through their guard check and draft unrolls with a warning, in
// loop_trip_count. (A policy that neither refuses guards nor rewrites, and
// errs on data, refuses here with dynamic-dim-loop.)
bool Tracer::loops_over_dynamic_dim(const ProgramNode& n, const EValue& trip) {
  if (!trip.is_sym() || trip.sym->data_dependent || trip.sym->type != ScalarType::Int || config_.eager) return false;
  std::string dims;
  for (const auto& id : identifiers(trip.sym->expr))
    if (dynamic_symbols_.count(id) && dims.find("`" + id + "`") == std::string::npos)
      dims += (dims.empty() ? "`" : ", `") + id + "`";
  if (dims.empty()) return false;
  if (config_.policy.data_dependent == DataDependentPolicy::Rewrite) return true;
  if (config_.policy.data_dependent == DataDependentPolicy::Error && !config_.policy.refuse_dynamic_dim_guards)
    fail("dynamic-dim-loop",
         "the loop at " + line_of(n) + quoted_source(n) + " runs `" + trip.sym->expr + "` times, which depends on " + dims +
             "; unrolling it would specialize the model to the example's " +
             std::to_string(static_cast<int64_t>(trip.sym->hint.value_or(0))) + " iterations",
         "Use `cond-rewrite`, which emits an ONNX Loop, or make the dim static.");
  return false;
}

bool Tracer::rewrites_loop_on(const EValue& v) const {
  return v.is_sym() && v.sym->data_dependent && !config_.eager &&
         config_.policy.data_dependent == DataDependentPolicy::Rewrite;
}

// The trip count of an inner prim::Loop as far as it is known before
// tracing: a constant bound outside, or a prim::Constant in the enclosing
// block; 1 when it is computed (the unrolling cap catches those).
int64_t Tracer::known_trip_count(const ProgramNode& loop, const ProgramBlock& enclosing) const {
  if (loop.inputs.empty()) return 1;
  const std::string& name = loop.inputs[0];
  if (const EValue* v = env_.find(name); v != nullptr && v->is_constant() && v->constant.is_number_integer())
    return std::max<int64_t>(0, v->constant.get<int64_t>());
  for (const ProgramNode& node : enclosing.nodes)
    if (node.kind == "prim::Constant" && node.outputs.size() == 1 && node.outputs[0] == name &&
        node.attrs.contains("value") && node.attrs["value"].is_number_integer())
      return std::max<int64_t>(0, node.attrs["value"].get<int64_t>());
  return 1;
}

// Nodes of a block that reach the graph when it is unrolled (constants do
// not), inner loops multiplied by their trip counts, a branch by its larger side.
int64_t Tracer::unrolled_cost(const ProgramBlock& b) const {
  int64_t cost = 0;
  for (const ProgramNode& node : b.nodes) {
    if (node.kind == "prim::Constant") continue;
    int64_t c = 1;
    if (node.kind == "prim::Loop" && !node.blocks.empty()) {
      c = saturating_add(c, saturating_mul(known_trip_count(node, b), unrolled_cost(node.blocks[0])));
    } else {
      int64_t widest = 0;
      for (const ProgramBlock& inner : node.blocks) widest = std::max(widest, unrolled_cost(inner));
      c = saturating_add(c, widest);
    }
    cost = saturating_add(cost, c);
  }
  return cost;
}

// A loop too large to unroll stays a loop: higher_order::loop with the
// constant trip count, whatever the strategy (it is as sound as unrolling).
// The limit is the config's "unroll_limit": {"nodes"} (unroll_limit_nodes(),
// onnxport_core/unroll_limit.hpp; default 5000): a 2 x 512 loop
// unrolled is tens of thousands of nodes that ONNX Runtime takes minutes to
// load, and torch keeps such loops too. When the body cannot be a loop body
// (the rules of cond-rewrite's loop lowering), the strategy refuses.
void Tracer::keep_as_loop(const ProgramNode& n, int64_t trip, const EValue& cond, const std::vector<EValue>& carried,
                          int64_t estimate) {
  const std::string what = "the loop at " + line_of(n) + quoted_source(n) + " runs " + std::to_string(trip) +
                           " times; unrolled it would be about " + std::to_string(estimate) +
                           " nodes, more than the unroll limit of " + std::to_string(unroll_limit_nodes());
  try {
    rewrite_as_loop(n, EValue::of_constant(trip), cond, carried, 0);
  } catch (const TraceError& e) {
    fail("loop-too-large", what + ", and it cannot stay an ONNX Loop: " + e.diagnostic().message,
         "Carry tensors and Python scalars through the loop (not lists or dicts), make the loop smaller, or raise "
         "the config's \"unroll_limit\": {\"nodes\": N} above " + std::to_string(estimate) + " to unroll it.");
  }
}

// Unrolls while the trip count and the condition are known; under
// cond-rewrite, the iterations from the first one that depends on tensor data
// become a higher_order::loop.
void Tracer::on_loop(const ProgramNode& n) {
  const ProgramBlock& body = n.blocks.at(0);
  const EValue max_trip = in(n, 0);
  std::vector<EValue> carried;
  for (size_t i = 2; i < n.inputs.size(); ++i) carried.push_back(in(n, i));
  if (rewrites_loop_on(max_trip) || loops_over_dynamic_dim(n, max_trip)) {
    rewrite_as_loop(n, max_trip, as_condition(in(n, 1)), carried, 0);
    return;
  }
  const int64_t trip = loop_trip_count(n, max_trip);
  EValue cond = as_condition(in(n, 1));
  if (!config_.eager && trip != std::numeric_limits<int64_t>::max() && trip > 1) {
    const int64_t estimate = saturating_mul(trip, unrolled_cost(body));
    if (estimate > unroll_limit_nodes()) {
      keep_as_loop(n, trip, cond, carried, estimate);
      return;
    }
  }
  const int64_t emitted_before = emitted_nodes_;
  // A config that raises the unroll limit above the cap raises the cap with it.
  const int64_t emitted_limit = std::max(kMaxUnrolledGraphNodes, unroll_limit_nodes());
  for (int64_t i = 0; i < trip; ++i) {
    if (rewrites_loop_on(cond)) {
      // TorchScript's while loops have no trip count (INT64_MAX).
      const EValue remaining =
          trip == std::numeric_limits<int64_t>::max() ? EValue::none() : EValue::of_constant(trip - i);
      rewrite_as_loop(n, remaining, cond, carried, i);
      return;
    }
    if (cond.is_constant() ? !python_truth_of(cond) : !decide(*cond.sym, n, "a loop condition")) break;
    if (i >= kMaxUnrolledIterations)
      fail("loop-too-long", "the loop at " + line_of(n) + " ran " + std::to_string(i) +
                                " iterations while being unrolled; it is probably unbounded for these inputs");
    std::vector<EValue> args{EValue::of_constant(i)};
    args.insert(args.end(), carried.begin(), carried.end());
    std::vector<EValue> outs = run_inline(body, args);
    carried.assign(outs.begin() + 1, outs.end());
    cond = as_condition(outs[0]);
    if (!config_.eager && emitted_nodes_ - emitted_before > emitted_limit)
      fail("loop-too-large", "the loop at " + line_of(n) + quoted_source(n) + " emitted " +
                                 std::to_string(emitted_nodes_ - emitted_before) + " graph nodes in " +
                                 std::to_string(i + 1) + " iterations while being unrolled, more than the limit of " +
                                 std::to_string(emitted_limit),
           "Write the loop so that its trip count is a constant or a dynamic dim (cond-rewrite keeps it as an ONNX "
           "Loop), or make it smaller.");
  }
  bind_outputs(n, carried);
}

}  // namespace onnxport::trace
