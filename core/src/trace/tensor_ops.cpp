// Tracer: tensor ops through the op library (meta, and kernels in concrete
// mode), Graph emission, parameters and lifted constants.
#include "tracer.hpp"

#include "ops/broadcast_assumptions.hpp"

#include <algorithm>
#include <cstdint>

namespace onnxport::trace {

namespace {

// "aten::linear" -> "linear", "aten::__and__" -> "and": readable value names.
std::string name_base(std::string_view op) {
  const size_t colon = op.rfind("::");
  std::string_view base = colon == std::string_view::npos ? op : op.substr(colon + 2);
  while (!base.empty() && base.front() == '_') base.remove_prefix(1);
  while (!base.empty() && base.back() == '_') base.remove_suffix(1);
  return base.empty() ? "v" : std::string(base);
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Kernels may return tensors that borrow their inputs' storage; the engine
// keeps them as they are (Tensor copies share storage).
std::string op_error_message(const std::string& kind, const std::string& what) {
  return starts_with(what, kind) ? what : kind + ": " + what;
}

}  // namespace

// ------------------------------------------------------------------ Graph emission

Provenance Tracer::provenance(std::string original_kind) const {
  Provenance p;
  if (node_ != nullptr) {
    p.loc = node_->source;
    p.scope = node_->scope;
    p.original_kind = original_kind.empty() ? node_->kind : std::move(original_kind);
  }
  return p;
}

ValueId Tracer::new_value(const std::string& base, DType dtype, Shape shape, ValueKind kind) {
  Value v;
  v.name = unique_name(base);
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.kind = kind;
  return add_value(std::move(v));
}

void Tracer::emit(Node node) {
  block_->nodes.push_back(std::move(node));
  ++emitted_nodes_;
}

// ------------------------------------------------------------------ arguments

OpArg Tracer::to_op_arg(const EValue& v, bool for_kernel) const {
  OpArg a;
  switch (v.kind) {
    case EValue::Kind::Tensor:
      a.kind = OpArg::Kind::Tensor;
      // A meta sees the sizes a rewritten branch's condition pins (branch_facts.cpp).
      a.meta = TensorMeta{v.tensor->dtype, for_kernel ? v.tensor->shape : known_shape(v.tensor->shape)};
      if (for_kernel) {
        if (!v.tensor->data) fail("internal", "tensor without data in concrete evaluation");
        a.data = &*v.tensor->data;
        a.meta.shape = shape_of(v.tensor->data->shape());
      }
      return a;
    case EValue::Kind::Constant:
      if (v.constant.is_null()) {
        a.kind = OpArg::Kind::None;
      } else {
        a.kind = OpArg::Kind::Constant;
        a.constant = v.constant;
      }
      return a;
    case EValue::Kind::Sym: {
      const SymScalar& s = *v.sym;
      if (s.type == ScalarType::Int && !for_kernel) {
        const Dim d = known_dim(s.dim);
        if (d.is_static()) {
          a.kind = OpArg::Kind::Constant;
          a.constant = d.value();
          return a;
        }
        a.kind = OpArg::Kind::SymInt;
        a.sym = d;
        return a;
      }
      // Kernels need the value; metas of float/bool scalars only need the type.
      a.kind = OpArg::Kind::Constant;
      if (for_kernel && !s.hint) fail("internal", "symbolic scalar `" + s.expr + "` has no value in concrete evaluation");
      const double h = s.hint.value_or(1.0);
      if (s.type == ScalarType::Int) a.constant = static_cast<int64_t>(h);
      else if (s.type == ScalarType::Bool) a.constant = h != 0.0;
      else a.constant = h;
      return a;
    }
    case EValue::Kind::List:
    case EValue::Kind::Tuple:
      if (const StackedList* s = stacked(v)) fail_stacked_use(*s, "passing it to a tensor op");
      a.kind = OpArg::Kind::List;
      for (const EValue& item : *v.items) a.items.push_back(to_op_arg(item, for_kernel));
      return a;
    default:
      fail("bad-argument", "a " + describe(v) + " cannot be passed to a tensor op");
  }
}

Arg Tracer::to_graph_arg(const EValue& v) {
  switch (v.kind) {
    case EValue::Kind::Tensor: return Arg::of(v.tensor->id);
    case EValue::Kind::Constant: return Arg::of_constant(v.constant);
    case EValue::Kind::Sym:
      if (v.sym->value == kNoValue) fail("internal", "symbolic scalar `" + v.sym->expr + "` has no graph value");
      return Arg::of(v.sym->value);
    case EValue::Kind::List:
    case EValue::Kind::Tuple: {
      if (auto c = as_constant_json(v)) return Arg::of_constant(*c);
      std::vector<Arg> items;
      items.reserve(v.items->size());
      for (const EValue& item : *v.items) items.push_back(to_graph_arg(item));
      return Arg::list(std::move(items));
    }
    default:
      fail("bad-argument", "a " + describe(v) + " cannot be an argument of a graph node");
  }
}

// ------------------------------------------------------------------ op calls

// squeeze() drops a dim when it is 1 at run time. The meta keeps a symbolic
// dim (a declared dynamic dim is assumed at least 2, as in torch.export); a
// size only data determines (nonzero's count, u0) may well be 1, and the
// graph could not follow, so squeezing one is refused.
void Tracer::refuse_squeeze_of_data_dependent_size(const std::vector<EValue>& args) {
  if (args.empty() || !args[0].is_tensor()) return;
  const Shape& shape = args[0].tensor->shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> squeezed(shape.size(), args.size() < 2);
  if (args.size() >= 2) {
    const std::optional<nlohmann::json> dims = as_constant_json(args[1]);
    if (!dims) return;  // the meta names a bad dim argument
    for (const nlohmann::json& d : dims->is_array() ? *dims : nlohmann::json::array({*dims})) {
      if (!d.is_number_integer()) return;
      const int64_t k = d.get<int64_t>() < 0 ? d.get<int64_t>() + rank : d.get<int64_t>();
      if (k >= 0 && k < rank) squeezed[static_cast<size_t>(k)] = true;
    }
  }
  for (size_t i = 0; i < shape.size(); ++i)
    if (squeezed[i] && shape[i].is_symbolic() && !dim_eval(shape[i], hints_))
      fail("data-dependent-shape",
           "aten::squeeze of dim " + std::to_string(i) + " of shape " + shape_str(shape) + ": its size " + shape[i].str() +
               " is known only when the model runs (it comes from tensor data), and PyTorch removes the dim exactly "
               "when it is 1, which the exported graph cannot decide",
           "Name the dims to squeeze, or index or reshape explicitly (x[:, 0], x.reshape(-1)).");
}

std::vector<EValue> Tracer::call_tensor_op(const ProgramNode& n, const std::string& kind,
                                           const std::vector<EValue>& args) {
  if (kind == "aten::squeeze") refuse_squeeze_of_data_dependent_size(args);
  const OpDef* def = OpLibrary::instance().find(kind);
  if (def == nullptr) {
    const std::string what = kind == n.kind ? kind : kind + " (for " + n.kind + ")";
    fail("unsupported-op", what + " is not in the op library, so it cannot be traced",
         "Add a meta function (and a reference kernel) for it in core/src/ops, or avoid the op in the model.");
  }
  std::vector<OpArg> meta_args;
  meta_args.reserve(args.size());
  for (const EValue& a : args) meta_args.push_back(to_op_arg(a, false));
  std::vector<TensorMeta> metas;
  std::vector<BroadcastAssumption> assumed;  // sizes the meta's broadcasting gave symbolic dims
  {
    BroadcastAssumptions collector;
    try {
      metas = def->meta(meta_args);
    } catch (const OpError& e) {
      fail("op-error", op_error_message(kind, e.what()));
    }
    assumed = std::move(collector.taken);
  }
  guard_broadcasts(n, kind, assumed);
  std::vector<Tensor> results;
  const bool evaluate = concrete() && kernel_available(*def, kind) && has_data(args);
  if (evaluate) {
    std::vector<OpArg> kernel_args;
    kernel_args.reserve(args.size());
    for (const EValue& a : args) kernel_args.push_back(to_op_arg(a, true));
    try {
      results = def->kernel(kernel_args);
    } catch (const OpError& e) {
      fail("op-error", op_error_message(kind, e.what()));
    }
    if (results.size() != metas.size())
      fail("internal", kind + ": the kernel returned " + std::to_string(results.size()) + " tensors, the meta " +
                           std::to_string(metas.size()));
  }
  Node node;
  node.op = kind;
  node.prov = provenance();
  // The overload the program recorded for this node (program.json's
  // "overload"): translators bind to it before resolving by argument kinds.
  // Only when the emitted op is the program node's own op.
  if (node_ != nullptr && node_->kind == kind)
    if (auto it = node_->attrs.find("overload"); it != node_->attrs.end() && it->is_string())
      node.attrs["overload"] = *it;
  node.inputs.reserve(args.size());
  for (const EValue& a : args) node.inputs.push_back(to_graph_arg(a));
  std::vector<EValue> outs;
  const std::string base = name_base(kind);
  for (size_t i = 0; i < metas.size(); ++i) {
    if (metas[i].dtype == DType::Undefined) {  // None in Python; the node has no value for it
      for (size_t k = i; k < metas.size(); ++k)
        if (metas[k].dtype != DType::Undefined)
          fail("internal", kind + ": output " + std::to_string(i) + " is undefined but output " + std::to_string(k) +
                               " is not (only trailing outputs may be undefined)");
      outs.push_back(EValue::none());
      continue;
    }
    for (Dim& d : metas[i].shape) d = settled_dim(d);
    const ValueId id = new_value(base, metas[i].dtype, metas[i].shape);
    node.outputs.push_back(id);
    FakeTensor t{id, metas[i].dtype, metas[i].shape, std::nullopt, {}};
    if (evaluate) t.data = std::move(results[i]);
    outs.push_back(EValue::of_tensor(std::move(t)));
  }
  emit(std::move(node));
  record_scalar_shadow(n, kind, args, outs);
  return outs;
}

// True when every tensor among the arguments carries data (after an op
// without a kernel, its results and what depends on them have none).
bool Tracer::has_data(const std::vector<EValue>& args) const {
  for (const EValue& a : args) {
    if (a.is_tensor() && !a.tensor->data) return false;
    if (a.is_sym() && !a.sym->hint) return false;
    if (a.is_sequence() && !has_data(*a.items)) return false;
  }
  return true;
}

// The reference interpreter needs every kernel. A draft capture goes on
// without one: the op's results have no data, which only matters if a
// data-dependent decision later needs them (that is then the error).
bool Tracer::kernel_available(const OpDef& def, const std::string& kind) {
  if (def.kernel) return true;
  if (config_.eager)
    throw TraceError(make_diag("missing-kernel", Severity::Error,
                               kind + " has a meta function but no reference kernel, so it cannot be evaluated",
                               "Add a reference kernel for it in core/src/ops.", "missing-kernel"));
  const std::string key = "missing-kernel|" + kind;
  if (auto it = specialization_groups_.find(key); it != specialization_groups_.end()) {
    ++diags_[it->second].occurrences;
    return false;
  }
  specialization_groups_[key] = diags_.size();
  warn("missing-kernel", "missing-kernel",
       kind + " has no reference kernel: its results were traced without example values",
       "Add a reference kernel for it in core/src/ops; a branch on data computed from it cannot be specialized.");
  return false;
}

void Tracer::on_tensor_op(const ProgramNode& n) {
  const std::vector<EValue> args = inputs_of(n);
  std::vector<EValue> outs = call_tensor_op(n, n.kind, args);
  record_view(n.kind, args, outs);
  bind_op_results(n, std::move(outs));
}

void Tracer::bind_op_results(const ProgramNode& n, std::vector<EValue> outs) {
  const std::string out_type = n.output_types.empty() ? "" : n.output_types[0];
  if (n.outputs.size() == 1 && (starts_with(out_type, "List[") || (out_type.empty() && outs.size() != 1))) {
    bind(n.outputs[0], EValue::list(std::move(outs), rewrite_depth_));
    return;
  }
  if (n.outputs.size() == 1 && starts_with(out_type, "Tuple[") && outs.size() != 1) {
    bind(n.outputs[0], EValue::tuple(std::move(outs)));
    return;
  }
  bind_outputs(n, outs);
}

// In-place ops are functionalized (mutation.cpp): compute the out-of-place
// value, then make every name of the mutated tensor (the buffer or input it
// is, and the tensor it views) mean the result.
void Tracer::on_inplace_op(const ProgramNode& n) {
  std::vector<EValue> args = inputs_of(n);
  if (args.empty() || !args[0].is_tensor())
    fail("bad-argument", n.kind + " mutates its first argument, which must be a tensor (got " +
                             (args.empty() ? std::string("nothing") : describe(args[0])) + ")");
  const FakeTensor self = *args[0].tensor;
  if (rewrite_depth_ > 0 && !self.buffer.empty())
    fail("unsupported-mutation",
         n.kind + " mutates buffer `" + self.buffer + "` inside a data-dependent branch; a rewritten branch cannot update a buffer",
         "Move the buffer update out of the branch.");
  EValue result = updated_value(n, args);
  commit_mutation(n, self, result);
  bind_all_outputs(n, current_value(self.id, result));
}

// ------------------------------------------------------------------ parameters and constants

// A module reads its weights in about the order of the weights file
// (registration order, which the reader keeps: file offsets), so the item
// after the last one found is tried first: one compare with an item next to
// the last, where TensorMap's hash index chases a bucket, a node and the key,
// all cold in a large program (perf: TensorMap::find 3 -> 44 samples for 4x
// the layers of bench/scaling).
const Tensor* Tracer::find_weight(std::string_view path) {
  const auto& items = program_.weights.items();
  if (weight_hint_ < items.size() && items[weight_hint_].first == path) return &items[weight_hint_++].second;
  const Tensor* w = program_.weights.find(path);
  if (w != nullptr) {
    // find() points into items(), a vector: the item's position from the addresses.
    const auto offset = reinterpret_cast<uintptr_t>(w) - reinterpret_cast<uintptr_t>(&items.front().second);
    weight_hint_ = offset / sizeof(items.front()) + 1;
  }
  return w;
}

EValue Tracer::parameter(const std::string& path, ValueRole role) {
  auto& cache = role == ValueRole::Buffer ? buffers_ : params_;
  if (const EValue* cached = cache.find(path)) return *cached;
  const Tensor* w = find_weight(path);
  if (w == nullptr)
    fail("missing-weight", std::string(role == ValueRole::Buffer ? "buffer" : "parameter") + " `" + path +
                               "` is declared by the module tree but the weights file has no tensor of that name");
  Value v;
  v.name = path;  // reserved up front, so it is free
  v.dtype = w->dtype();
  v.shape = shape_of(w->shape());
  v.role = role;
  v.data = *w;
  const ValueId id = add_value(std::move(v));
  graph_.params.push_back(id);
  FakeTensor t{id, w->dtype(), shape_of(w->shape()), std::nullopt, {}};
  if (concrete()) t.data = *w;
  if (role == ValueRole::Buffer) t.buffer = path;
  EValue ev = EValue::of_tensor(std::move(t));
  cache.set(path, ev);
  return ev;
}

EValue Tracer::lift_constant_tensor(Tensor t, const std::string& base) {
  Value v;
  v.name = unique_name(base);
  v.dtype = t.dtype();
  v.shape = shape_of(t.shape());
  v.role = ValueRole::Constant;
  v.data = t;
  const ValueId id = add_value(std::move(v));
  graph_.params.push_back(id);
  return EValue::of_tensor(FakeTensor{id, t.dtype(), shape_of(t.shape()), t, {}});
}

}  // namespace onnxport::trace
