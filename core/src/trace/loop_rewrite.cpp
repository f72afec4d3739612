// Tracer: a prim::Loop whose trip count or condition depends on tensor data,
// rewritten (cond-rewrite) into higher_order::loop, which becomes ONNX Loop.
//
// The body is traced once with symbolic carried values. What the first trace
// assumed may not hold: a Python constant carried through the loop may change
// (n = n + 1), a tensor may change size (x = cat([x, y])). Those slots are
// widened — the constant becomes a loop-carried scalar, the size a fresh
// symbol — and the body is traced again, until the assumptions hold.
#include "tracer.hpp"

#include "control_util.hpp"

#include <cctype>

namespace onnxport::trace {

namespace {

// Widening converges fast: a slot goes constant -> variant once, and each dim
// static -> symbolic once; a few passes cover real loops.
constexpr int kMaxLoopPasses = 4;

// "x.5" -> "x": TorchScript's debug name, as a readable base for graph names.
std::string readable_base(const std::string& name, const std::string& fallback) {
  const std::string base = name.substr(0, name.find('.'));
  if (base.empty() || !(std::isalpha(static_cast<unsigned char>(base[0])) || base[0] == '_')) return fallback;
  return base;
}

}  // namespace

// Per carried value: whether it changes across iterations (and so is a
// loop-carried graph value), and for tensors the widened shape.
struct Tracer::LoopSlots {
  std::vector<bool> variant;
  std::vector<Shape> shapes;
  std::vector<std::vector<bool>> widened;  // per tensor dim: replaced by a fresh symbol
};

// A symbolic stand-in for a carried value inside the body (a block input).
EValue Tracer::loop_carried_input(const EValue& initial, const Shape& shape, const std::string& name) {
  if (initial.is_tensor()) {
    if (initial.quantization)  // the carried value would lose it (docs/architecture.md §4b)
      fail("unsupported-quantized-op", "the loop-carried `" + name + "` is a quantized tensor, which a loop the engine "
                                       "keeps as a loop cannot carry",
           "Dequantize it before the loop and quantize it again inside.");
    const ValueId id = new_value(readable_base(name, "carried"), initial.tensor->dtype, shape);
    return EValue::of_tensor(FakeTensor{id, initial.tensor->dtype, shape, std::nullopt, {}});
  }
  SymScalar s;
  s.type = scalar_type_of(initial);
  const std::string u = "u" + std::to_string(unbacked_++);
  s.expr = s.type == ScalarType::Bool ? "Eq(" + u + ", 1)" : u;
  s.negated = s.type == ScalarType::Bool ? "Ne(" + u + ", 1)" : "";
  if (s.type == ScalarType::Int) s.dim = Dim::symbol(u);
  s.data_dependent = true;
  s.origin = "the loop-carried `" + name + "`";
  s.value = new_value(readable_base(name, "carried"), scalar_dtype(s.type), {}, scalar_value_kind(s.type));
  return EValue::of_sym(std::move(s));
}

// Traces the body once into `body`; returns (condition, carried...) as the
// body leaves them, the condition already a constant or SymBool.
std::vector<EValue> Tracer::trace_loop_body(const ProgramNode& n, const std::vector<EValue>& carried,
                                            const LoopSlots& slots, int64_t offset, Block& body,
                                            std::vector<ScanAppend>& scans) {
  const ProgramBlock& pb = n.blocks.at(0);
  FrameScope scope(*this, &body);
  frames_.back().loop_body = true;
  SymScalar iter;
  iter.type = ScalarType::Int;
  const std::string u = "u" + std::to_string(unbacked_++);
  iter.expr = u;
  iter.dim = Dim::symbol(u);
  symbol_bounds_.emplace(u, 0);  // counts 0, 1, ...
  iter.data_dependent = true;
  iter.origin = "the iteration number of the loop at " + line_of(n);
  iter.value = new_value("iter", DType::Int64, {}, ValueKind::SymInt);
  body.inputs.push_back(iter.value);
  EValue i = EValue::of_sym(std::move(iter));
  // Iterations unrolled before the loop shift its counter.
  if (offset > 0) i = sym_arith("aten::add", i, EValue::of_constant(offset));
  std::vector<EValue> args{i};
  for (size_t k = 0; k < carried.size(); ++k) {
    if (!slots.variant[k]) {
      args.push_back(carried[k]);
      continue;
    }
    EValue input = loop_carried_input(carried[k], slots.shapes[k], pb.inputs.at(k + 1));
    body.inputs.push_back(input.is_tensor() ? input.tensor->id : input.sym->value);
    args.push_back(std::move(input));
  }
  std::vector<EValue> outs = run_inline(pb, args);
  outs[0] = as_condition(outs[0]);  // emitted inside the body, where it is computed
  if (!frames_.back().mutated.empty())
    fail("unsupported-mutation",
         "the loop at " + line_of(n) + quoted_source(n) + " depends on tensor data and mutates `" +
             frames_.back().mutated.front() + "` (defined outside it) in place; higher_order::loop cannot express that",
         "Carry the tensor through the loop (x = x + 1 instead of x.add_(1)).");
  scans = std::move(frames_.back().scans);
  scope.close();
  return outs;
}

// Widens the slots the last trace got wrong; true when another pass is needed.
bool Tracer::update_loop_slots(const ProgramNode& n, const std::vector<EValue>& carried,
                               const std::vector<EValue>& outs, LoopSlots& slots) {
  bool again = false;
  for (size_t k = 0; k < carried.size(); ++k) {
    const EValue& before = carried[k];
    const EValue& after = outs.at(k + 1);
    const std::string what = "carried value " + std::to_string(k) + " of the loop at " + line_of(n);
    if (before.is_tensor()) {
      if (!after.is_tensor() || after.tensor->dtype != before.tensor->dtype ||
          after.tensor->shape.size() != before.tensor->shape.size())
        fail("loop-carried-mismatch", what + " enters as a " + describe(before) + " and leaves as a " + describe(after),
             "A loop on tensor data must keep each carried tensor's dtype and rank.");
      Shape& shape = slots.shapes[k];
      std::vector<bool>& widened = slots.widened[k];
      for (size_t d = 0; d < shape.size(); ++d) {
        // A widened dim is a fresh symbol: any size the body leaves is consistent with it.
        if (widened[d] || after.tensor->shape[d] == shape[d]) continue;
        shape[d] = Dim::symbol("u" + std::to_string(unbacked_++));
        widened[d] = true;
        again = true;
      }
      continue;
    }
    const bool before_scalar = before.is_sym() || is_numeric_constant(before);
    const bool after_scalar = after.is_sym() || is_numeric_constant(after);
    if (before_scalar && after_scalar && scalar_type_of(before) == scalar_type_of(after)) {
      if (!slots.variant[k] && !(after.is_constant() && after.constant == before.constant)) {
        slots.variant[k] = true;  // a Python scalar that changes becomes loop-carried
        again = true;
      }
      continue;
    }
    if (!slots.variant[k] && before.is_constant() && after.is_constant() && before.constant == after.constant) continue;
    fail("loop-carried-mismatch", what + " enters as a " + describe(before) + " and leaves as a " + describe(after),
         "A loop on tensor data can carry tensors and Python scalars of a fixed type.");
  }
  return again;
}

// Each list appended to once per iteration gets a scan output (the appended
// values stacked along a new dim 0) and becomes a stacked list. The count is
// the trip count when the loop runs all of it, else a fresh symbol.
void Tracer::add_scan_outputs(const ProgramNode& n, const EValue& trip, const EValue& cond, const EValue& next_cond,
                              const std::vector<ScanAppend>& scans, Block& body, Node& node) {
  // A `for` loop without `break` starts and continues with the constant True.
  const bool runs_full_trip = cond.is_constant() && python_truth_of(cond) && next_cond.is_constant() &&
                              python_truth_of(next_cond);
  for (const ScanAppend& scan : scans) {
    Dim count = Dim::symbol("u" + std::to_string(unbacked_++));
    if (runs_full_trip && trip.is_sym() && trip.sym->type == ScalarType::Int) count = trip.sym->dim;
    else if (runs_full_trip && trip.is_constant() && trip.constant.is_number_integer()) count = Dim(trip.constant.get<int64_t>());
    const FakeTensor& item = *scan.item.tensor;
    Shape shape{count};
    shape.insert(shape.end(), item.shape.begin(), item.shape.end());
    body.outputs.push_back(item.id);
    const ValueId id = new_value("stacked", item.dtype, shape);
    node.outputs.push_back(id);
    stacked_lists_[scan.list.get()] = StackedList{EValue::of_tensor(FakeTensor{id, item.dtype, shape, std::nullopt, {}}), line_of(n)};
  }
}

void Tracer::rewrite_as_loop(const ProgramNode& n, const EValue& trip, const EValue& cond,
                             const std::vector<EValue>& carried, int64_t offset) {
  LoopSlots slots;
  for (const EValue& c : carried) {
    if (!c.is_tensor() && !c.is_sym() && !c.is_constant())
      fail("unsupported-loop", "the loop at " + line_of(n) + quoted_source(n) +
                                   " depends on tensor data and carries a " + describe(c) +
                                   "; higher_order::loop carries only tensors and Python scalars",
           "Carry tensors (torch.stack a list) or use `draft`, which unrolls the observed iterations.");
    slots.variant.push_back(!c.is_constant());
    slots.shapes.push_back(c.is_tensor() ? c.tensor->shape : Shape{});
    slots.widened.emplace_back(slots.shapes.back().size(), false);
  }
  for (int pass = 0; pass < kMaxLoopPasses; ++pass) {
    Block body;
    std::vector<ScanAppend> scans;
    std::vector<EValue> outs = trace_loop_body(n, carried, slots, offset, body, scans);
    if (update_loop_slots(n, carried, outs, slots)) continue;  // the values it emitted are dropped unused

    body.outputs.push_back(scalar_value_id(outs[0]));
    Node node;
    node.op = "higher_order::loop";
    node.inputs.push_back(trip.is_sym() ? Arg::of(trip.sym->value) : Arg::of_constant(trip.constant));
    node.inputs.push_back(cond.is_sym() ? Arg::of(cond.sym->value) : Arg::of_constant(cond.constant));
    std::vector<EValue> results = carried;
    const ProgramBlock& pb = n.blocks.at(0);
    for (size_t k = 0; k < carried.size(); ++k) {
      if (!slots.variant[k]) continue;
      node.inputs.push_back(Arg::of(scalar_value_id(carried[k])));
      body.outputs.push_back(scalar_value_id(outs[k + 1]));
      EValue out = loop_carried_input(carried[k], slots.shapes[k], pb.outputs.at(k + 1));
      if (out.is_sym()) out.sym->origin = "higher_order::loop at " + line_of(n);
      node.outputs.push_back(out.is_tensor() ? out.tensor->id : out.sym->value);
      results[k] = std::move(out);
    }
    add_scan_outputs(n, trip, cond, outs[0], scans, body, node);
    node.blocks.push_back(std::move(body));
    node.prov = provenance();
    emit(std::move(node));
    bind_outputs(n, results);
    return;
  }
  fail("loop-not-converged",
       "the loop at " + line_of(n) + quoted_source(n) + " depends on tensor data and its carried values keep changing "
       "type or shape across iterations",
       "Use `draft`, which unrolls the observed iterations.");
}

}  // namespace onnxport::trace
