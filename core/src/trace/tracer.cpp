// Tracer: setup (inputs, names), the environment, node dispatch, diagnostics.
#include "tracer.hpp"

#include "scalar_ops.hpp"

#include <algorithm>
#include <functional>
#include <iterator>

namespace onnxport::trace {

namespace {

// Python builtins that FX never uses as value names; reserving them makes the
// first aten::sum output "sum_1", as in torch's printouts.
constexpr std::string_view kReservedNames[] = {"sum",   "min",  "max",   "abs",   "all",  "any", "pow",
                                               "round", "len",  "slice", "input", "list", "str", "int",
                                               "float", "bool", "range", "type",  "id",   "map", "zip"};

void collect_weights(const ModuleInfo& m, const std::string& prefix, FlatNameMap<ValueRole>& out) {
  for (const auto& p : m.parameters) out.emplace(prefix + p, ValueRole::Parameter);
  for (const auto& b : m.buffers) out.emplace(prefix + b, ValueRole::Buffer);
  for (const auto& [name, child] : m.children) collect_weights(child, prefix + name + ".", out);
}

constexpr size_t kNoPosition = static_cast<size_t>(-1);  // list elements have no "args.N" name

bool is_sequence_type(const std::string& type) { return type.rfind("List[", 0) == 0 || type.rfind("Tuple[", 0) == 0; }

}  // namespace

Tracer::Tracer(const Program& program, const CaptureOptions& options, TracerConfig config)
    : program_(program), options_(options), config_(std::move(config)) {
  graph_.name = program.name;
  block_ = &graph_.body;
}

bool Tracer::has_errors() const {
  return std::any_of(diags_.begin(), diags_.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::vector<EValue> Tracer::run() {
  refuse_packed_sequence_inputs();
  bind_inputs();
  reserve_names();
  // Room for the graph's values before they are made: one per weight and one
  // per top-level node (most nodes make one value; a hint, not a bound).
  // Growing by doubling instead moved every value made so far, into fresh
  // memory each time (perf: page faults under add_value, 9 -> 47 samples for
  // 4x the layers of bench/scaling).
  graph_.values.reserve(graph_.values.size() + weight_roles_.size() + program_.graph.nodes.size());
  // The same for the graph's nodes: at most about one per top-level node of
  // the program (its GetAttr and constant nodes emit none, so this is often
  // more than needed; pages of the reservation that no node reaches are
  // never touched). Growing by doubling moved every node made so far into
  // fresh memory, the last time megabytes of them (perf, bench/scaling:
  // 19 -> 119 samples for 4x the layers; bench/README.md, "Decompose,
  // optimize, capture at 16,384 layers").
  graph_.body.nodes.reserve(graph_.body.nodes.size() + program_.graph.nodes.size());
  run_block(program_.graph);
  std::vector<EValue> outputs;
  outputs.reserve(program_.graph.outputs.size());
  for (const auto& name : program_.graph.outputs) outputs.push_back(lookup(name, nullptr));
  if (!has_errors()) set_graph_outputs(outputs);  // after errors the graph is discarded (outputs may be poison)
  return outputs;
}

// ------------------------------------------------------------------ setup

void Tracer::reserve_names() {
  // Parameter and buffer names must stay exactly their dotted paths.
  collect_weights(program_.module, "", weight_roles_);
  // The tables of every name, sized once (hints: about one name per weight
  // and per top-level node of the program). Grown by doubling instead, each
  // growth moved or re-placed every name so far, cold on a large program
  // (perf, bench/scaling: the name set's inserts 12 -> 169 samples for 4x
  // the layers; bench/README.md, "Decompose, optimize, capture at 16,384
  // layers").
  const size_t nodes = program_.graph.nodes.size();
  names_.reserve(weight_roles_.size() + nodes + std::size(kReservedNames));
  env_.reserve(program_.inputs.size() + nodes);
  params_.reserve(weight_roles_.size());
  weight_roles_.for_each([&](const std::string& path, ValueRole) { unique_name(path); });
  // The builtins are reserved in the graph too, now, while it holds only the
  // inputs: reserving them at the end would make the graph index every
  // value's name (Graph::sync_used_names), which only decomposition needs.
  // A name free in names_ is free in the graph (its names are a subset).
  for (std::string_view r : kReservedNames) graph_.unique_name(unique_name(std::string(r)));
}

void Tracer::hand_over_reserved_names() {
  // Weights no node read (rare: a real module reads all of its weights).
  weight_roles_.for_each([&](const std::string& path, ValueRole role) {
    if ((role == ValueRole::Buffer ? buffers_ : params_).find(path) == nullptr) graph_.unique_name(path);
  });
}

ValueId Tracer::add_value(Value v) {
  graph_.values.push_back(std::move(v));
  return static_cast<ValueId>(graph_.values.size() - 1);
}

const Tensor* Tracer::example_input(const ProgramValue& in, size_t position) const {
  if (config_.inputs == nullptr) return nullptr;
  if (const Tensor* t = config_.inputs->find(in.name)) return t;
  if (position == kNoPosition) return nullptr;
  return config_.inputs->find("args." + std::to_string(position));
}

void Tracer::bind_inputs() {
  size_t position = 0;
  for (const ProgramValue& in : program_.inputs) {
    if (in.type == "Module") {
      bind(in.name, EValue::of_module("", &program_.module));
      continue;
    }
    const size_t pos = position++;
    if (in.type == "Tensor" || in.type == "Optional[Tensor]") {
      if (in.type == "Optional[Tensor]" && !in.has_shape && example_input(in, pos) == nullptr) {
        bind(in.name, EValue::none());
        continue;
      }
      bind(in.name, bind_tensor_input(in, pos));
      continue;
    }
    if (in.type == "NoneType") {
      bind(in.name, EValue::none());
      continue;
    }
    if (is_sequence_type(in.type)) {
      bind(in.name, bind_sequence_input(in));
      continue;
    }
    bind(in.name, bind_scalar_input(in, pos));
  }
  check_dynamic_shape_names();
}

// A dynamic_shapes entry (config or --dynamic) for a name that is no tensor
// input is a mistake to report, not to ignore: the dim would stay static.
void Tracer::check_dynamic_shape_names() const {
  std::string unknown;
  for (const auto& [name, dims] : options_.dynamic_shapes)
    if (!tensor_inputs_.count(name)) unknown += (unknown.empty() ? "`" : ", `") + name + "`";
  if (unknown.empty()) return;
  std::string known;
  for (const auto& name : tensor_inputs_) known += (known.empty() ? "" : ", ") + name;
  fail("bad-dynamic-shape", "dynamic_shapes names " + unknown + ", which is not a tensor input of the program (tensor inputs: " +
                                (known.empty() ? std::string("none") : known) + ")");
}

// A Python int or float input stays an input: a 0-d graph input (int64 or
// float64) bound to a backed symbol named after it, with the example value as
// its hint. Shapes computed from it stay symbolic; a branch on it is a guard,
// which `strict` refuses and the others specialize with a warning, exactly
// like a dynamic dim. A bool input, and any scalar in the reference
// interpreter, is its example value.
EValue Tracer::bind_scalar_input(const ProgramValue& in, size_t position) {
  const Tensor* example = example_input(in, position);
  if (example == nullptr || example->numel() != 1)
    fail("unsupported-input",
         "input `" + in.name + "` has type " + in.type +
             "; a Python scalar input needs an example value in inputs.safetensors");
  nlohmann::json value;
  if (in.type == "int") value = example->get_int(0);
  else if (in.type == "bool") value = example->get_int(0) != 0;
  else value = example->get_double(0);
  if (config_.eager) return EValue::of_constant(value);
  if (in.type != "int" && in.type != "float") {
    warn("input-specialized", "guard-added",
         "input `" + in.name + "` (" + in.type + ") was specialized to its example value " + python_str(value) +
             "; it is not an input of the exported graph");
    return EValue::of_constant(value);
  }
  SymScalar s;
  s.type = in.type == "int" ? ScalarType::Int : ScalarType::Float;
  s.expr = in.name;
  if (s.type == ScalarType::Int) s.dim = Dim::symbol(in.name);
  s.hint = value.get<double>();
  s.origin = "input `" + in.name + "`";
  Value v;
  v.name = unique_name(in.name);
  v.dtype = scalar_dtype(s.type);
  v.role = ValueRole::Input;
  v.kind = scalar_value_kind(s.type);
  s.value = add_value(std::move(v));
  graph_.inputs.push_back(s.value);
  hints_.emplace_back(in.name, static_cast<int64_t>(*s.hint));
  dynamic_symbols_.insert(in.name);
  scalar_inputs_.insert(in.name);
  return EValue::of_sym(std::move(s));
}

// A list or tuple input: one graph input per element ("lx.0", "lx.1", ...,
// flattened in place as torch2program names them), from the program's
// element declarations, or from the example tensors when it has none.
EValue Tracer::bind_sequence_input(const ProgramValue& in) {
  EList items;
  if (!in.elements.empty()) {
    for (const ProgramValue& element : in.elements) {
      if (is_sequence_type(element.type)) items.push_back(bind_sequence_input(element));
      else if (element.type == "NoneType") items.push_back(EValue::none());
      else items.push_back(bind_tensor_input(element, kNoPosition));
    }
  } else {
    for (size_t i = 0;; ++i) {
      const std::string element = in.name + "." + std::to_string(i);
      const Tensor* example = config_.inputs ? config_.inputs->find(element) : nullptr;
      if (example == nullptr) break;
      ProgramValue spec;
      spec.name = element;
      spec.dtype = example->dtype();
      spec.shape = shape_of(example->shape());
      spec.has_shape = true;
      items.push_back(bind_tensor_input(spec, kNoPosition));
    }
    if (items.empty())
      fail("unsupported-input", "input `" + in.name + "` (" + in.type + ") declares no elements and the example inputs have no `" +
                                    in.name + ".0`, `" + in.name + ".1`, ...");
  }
  if (in.type.rfind("Tuple[", 0) == 0) return EValue::tuple(std::move(items));
  return EValue::list(std::move(items), 0);
}

EValue Tracer::bind_tensor_input(const ProgramValue& in, size_t position) {
  const Tensor* example = example_input(in, position);
  if (concrete() && example == nullptr)
    fail("missing-input", "no value for input `" + in.name + "` (concrete evaluation needs every input)");
  Shape shape = in.shape;
  if (!in.has_shape) {
    if (example == nullptr)
      fail("missing-input-shape", "input `" + in.name + "` declares no shape and there is no example input to take it from");
    shape = shape_of(example->shape());
  }
  auto dyn = options_.dynamic_shapes.find(in.name);
  if (dyn != options_.dynamic_shapes.end()) {
    for (const auto& [index, symbol] : dyn->second) {
      const int rank = static_cast<int>(shape.size());
      const int i = index < 0 ? index + rank : index;
      if (i < 0 || i >= rank)
        fail("bad-dynamic-shape", "dynamic_shapes: input `" + in.name + "` has rank " + std::to_string(rank) +
                                      ", it has no dim " + std::to_string(index));
      shape[static_cast<size_t>(i)] = Dim::symbol(symbol);
    }
  }
  if (example != nullptr) {
    if (example->dim() != static_cast<int64_t>(shape.size()))
      fail("input-mismatch", "example input `" + in.name + "` has shape " + shape_str(shape_of(example->shape())) +
                                 " but the program declares rank " + std::to_string(shape.size()));
    for (size_t i = 0; i < shape.size(); ++i) {
      const int64_t actual = example->shape()[i];
      if (shape[i].is_static() && shape[i].value() != actual)
        fail("input-mismatch", "example input `" + in.name + "` has size " + std::to_string(actual) + " at dim " +
                                   std::to_string(i) + " where the program declares " + shape[i].str());
    }
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!shape[i].is_symbolic()) continue;
    const std::string& symbol = shape[i].expr();
    const int64_t hint = example ? example->shape()[i] : config_.default_dim;
    auto known = std::find_if(hints_.begin(), hints_.end(), [&](const auto& h) { return h.first == symbol; });
    if (known == hints_.end()) {
      hints_.emplace_back(symbol, hint);
      dynamic_symbols_.insert(symbol);
      // Assumed >= 2 as torch.export does, unless the example contradicts it.
      if (hint >= 2) symbol_bounds_.emplace(symbol, 2);
    } else if (known->second != hint) {
      fail("input-mismatch", "dim `" + symbol + "` is " + std::to_string(known->second) +
                                 " in one example input and " + std::to_string(hint) + " in `" + in.name + "`");
    }
  }
  DType dtype = in.dtype;
  if (dtype == DType::Undefined) dtype = example ? example->dtype() : DType::Float32;
  if (example != nullptr && example->dtype() != dtype)
    fail("input-mismatch", "example input `" + in.name + "` is " + std::string(dtype_name(example->dtype())) +
                               " but the program declares " + std::string(dtype_name(dtype)));
  Value v;
  v.name = unique_name(in.name);
  v.dtype = dtype;
  v.shape = shape;
  v.role = ValueRole::Input;
  const ValueId id = add_value(std::move(v));
  graph_.inputs.push_back(id);
  input_of_[id] = in.name;
  tensor_inputs_.insert(in.name);
  FakeTensor t{id, dtype, shape, std::nullopt, {}};
  if (concrete()) t.data = *example;
  return EValue::of_tensor(std::move(t));
}

void Tracer::set_graph_outputs(const std::vector<EValue>& outputs) {
  std::vector<ValueId> ids;
  std::function<void(const EValue&)> flatten = [&](const EValue& v) {
    switch (v.kind) {
      case EValue::Kind::Tensor:
        if (v.quantization)  // a graph output is a plain tensor (docs/architecture.md §4b)
          fail("unsupported-quantized-op",
               "the program returns a quantized tensor (" + describe(v) + "), which an ONNX output cannot hold",
               "Return x.dequantize() (real values) or x.int_repr() (the integers) instead.");
        if (const PackedUse* use = packed_use(v))
          fail("unsupported-packed-sequence",
               "forward returns a PackedSequence (packed at " + use->batch->origin +
                   "): only pad_packed_sequence of a packed recurrent layer's output can be exported",
               "Return pad_packed_sequence(output, batch_first=..., total_length=...) instead.");
        ids.push_back(v.tensor->id);
        break;
      case EValue::Kind::Sym: ids.push_back(v.sym->value); break;
      case EValue::Kind::List:
      case EValue::Kind::Tuple:
        if (const StackedList* s = stacked(v)) fail_stacked_use(*s, "returning it from forward");
        for (const EValue& item : *v.items) flatten(item);
        break;
      case EValue::Kind::Dict:  // values in insertion order, as torch2program writes them
        for (const auto& entry : v.dict->entries) flatten(entry.second);
        break;
      case EValue::Kind::Constant:
        if (v.constant.is_null()) break;
        ids.push_back(scalar_value_id(v));
        break;
      default:
        fail("bad-output", "the program returns a " + describe(v) + ", which cannot be a graph output");
    }
  };
  for (const EValue& v : outputs) flatten(v);
  // Functionalized buffer updates become extra outputs.
  for (const auto& path : mutated_buffers_) {
    const ValueId id = mutation_output(path, buffers_.at(path));
    graph_.mutated_buffers.emplace_back(path, id);
    ids.push_back(id);
  }
  // And so do functionalized updates of user inputs (after the buffers, as
  // torch.export's graph signature lists them).
  for (const auto& name : mutated_inputs_) {
    const ValueId id = mutation_output(name, input_values_.at(name));
    graph_.mutated_inputs.emplace_back(name, id);
    ids.push_back(id);
  }
  graph_.body.outputs = std::move(ids);
}

// The final value of a mutated buffer or input as its own value named
// `<name>.updated` (an aten::clone of it), so the ONNX output is named after
// what it updates even when the same value is also a user output.
ValueId Tracer::mutation_output(const std::string& name, const EValue& final_value) {
  const FakeTensor& t = *final_value.tensor;
  const ValueId id = new_value(name + ".updated", t.dtype, t.shape);
  Node node;
  node.op = "aten::clone";
  node.inputs = {Arg::of(t.id), Arg::of_constant(nullptr)};
  node.outputs = {id};
  node.prov.original_kind = "aten::clone";
  if (auto site = mutation_sites_.find(name); site != mutation_sites_.end()) node.prov.loc = site->second;
  emit(std::move(node));
  return id;
}

// ------------------------------------------------------------------ environment

const EValue& Tracer::lookup(const std::string& name, const ProgramNode* where) const {
  const EValue* v = env_.find(name);
  if (v == nullptr) {
    const std::string place = where ? " at " + where->json_path : "";
    fail("undefined-value", "value `" + name + "` is used" + place + " but never defined");
  }
  return *v;
}

const EValue& Tracer::in(const ProgramNode& n, size_t i) const {
  if (i >= n.inputs.size())
    fail("bad-arity", n.kind + " at " + n.json_path + " expects at least " + std::to_string(i + 1) +
                          " inputs, got " + std::to_string(n.inputs.size()));
  return lookup(n.inputs[i], &n);
}

std::vector<EValue> Tracer::inputs_of(const ProgramNode& n) const {
  std::vector<EValue> out;
  out.reserve(n.inputs.size());
  for (const auto& name : n.inputs) out.push_back(lookup(name, &n));
  return out;
}

void Tracer::bind_raw(const std::string& name, EValue v, bool mutation) {
  if (!frames_.empty()) {
    Frame& f = frames_.back();
    const EValue* old = env_.find(name);
    f.undo.emplace_back(name, old ? std::optional<EValue>(*old) : std::nullopt);
    if (!mutation) f.defined.insert(name);
    else if (!f.defined.count(name)) f.mutated.push_back(name);
  }
  if (v.is_tensor()) note_alias(v.tensor->id, name);
  env_.set(name, std::move(v));
}

void Tracer::note_alias(ValueId id, const std::string& name) {
  if (id < 0) return;  // not a value of the graph: nothing can mutate it
  if (static_cast<size_t>(id) >= aliases_.size()) aliases_.resize(static_cast<size_t>(id) + 1);
  aliases_[static_cast<size_t>(id)].push_back(name);
}

void Tracer::bind(const std::string& name, EValue v) { bind_raw(name, std::move(v), false); }

void Tracer::bind_outputs(const ProgramNode& n, const std::vector<EValue>& values) {
  if (values.size() != n.outputs.size())
    fail("bad-arity", n.kind + " at " + n.json_path + " produces " + std::to_string(values.size()) +
                          " values but the node names " + std::to_string(n.outputs.size()) + " outputs");
  for (size_t i = 0; i < values.size(); ++i) bind(n.outputs[i], values[i]);
}

void Tracer::bind_all_outputs(const ProgramNode& n, const EValue& v) {
  for (const auto& name : n.outputs) bind(name, v);
}

void Tracer::rebind_mutated(ValueId old_id, const EValue& v) {
  if (old_id < 0 || static_cast<size_t>(old_id) >= aliases_.size()) return;
  const std::vector<std::string> names = std::move(aliases_[static_cast<size_t>(old_id)]);
  aliases_[static_cast<size_t>(old_id)].clear();
  for (const auto& name : names) {
    const EValue* cur = env_.find(name);
    // A name may have been rebound since; only names still meaning the old tensor change.
    if (cur != nullptr && cur->is_tensor() && cur->tensor->id == old_id)
      bind_raw(name, v, true);
  }
}

// ------------------------------------------------------------------ dispatch

void Tracer::run_block(const ProgramBlock& b) {
  for (const ProgramNode& n : b.nodes) run_node(n);
}

void Tracer::run_node(const ProgramNode& n) {
  const ProgramNode* saved = node_;
  node_ = &n;
  try {
    dispatch(n);
  } catch (const TraceError& e) {
    if (!config_.policy.report_all_errors || shape_branch_attempts_ > 0) {
      node_ = saved;
      throw;
    }
    // Keep scanning: the node's results are poison, nodes using them are skipped.
    record_error(e.diagnostic());
    bind_all_outputs(n, EValue::poison());
  }
  node_ = saved;
}

void Tracer::dispatch(const ProgramNode& n) {
  for (const auto& name : n.inputs) {
    if (lookup(name, &n).is_poison()) {
      if (!n.blocks.empty()) throw StopScan{};  // cannot choose a path through a failed value
      bind_all_outputs(n, EValue::poison());
      return;
    }
  }
  if (!packed_.empty() && on_packed_use(n)) return;
  if (is_quantized_rule(n.kind)) {
    on_quantized(n);
    return;
  }
  if (requantize_same_qparams(n)) return;
  refuse_quantized_inputs(n);
  auto it = handlers().find(n.kind);
  if (it != handlers().end()) {
    (this->*(it->second))(n);
    return;
  }
  if (is_composite(n.kind)) {
    on_composite(n);
    return;
  }
  run_generic(n);
}

namespace {
// `aten::add_` mutates its first argument; `aten::__and__` is not in-place.
bool is_inplace_kind(const std::string& kind) {
  return kind.size() > 1 && kind.back() == '_' && kind.substr(kind.size() - 2) != "__";
}
}  // namespace

bool Tracer::has_rule_for(const std::string& kind) {
  if (handlers().count(kind) != 0 || is_composite(kind) || is_quantized_rule(kind)) return true;
  const OpLibrary& lib = OpLibrary::instance();
  if (is_inplace_kind(kind))
    return kind == "aten::copy_" || kind == "aten::index_put_" || lib.find(kind.substr(0, kind.size() - 1)) != nullptr;
  return is_scalar_op(kind) || lib.find(kind) != nullptr;
}

void Tracer::run_generic(const ProgramNode& n) {
  const std::vector<EValue> args = inputs_of(n);
  if (is_inplace_kind(n.kind)) {
    on_inplace_op(n);
    return;
  }
  if (std::any_of(args.begin(), args.end(), contains_tensor)) {
    on_tensor_op(n);
    return;
  }
  // Python-level op, or a tensor factory (aten::zeros([2, 3])).
  const bool any_sym = std::any_of(args.begin(), args.end(), [](const EValue& v) { return v.is_sym(); });
  const bool foldable = is_scalar_op(n.kind);
  if (foldable || (any_sym && OpLibrary::instance().find(n.kind) == nullptr)) {
    bind_outputs(n, {scalar_op(n, n.kind, args)});
    return;
  }
  if (OpLibrary::instance().find(n.kind) != nullptr) {
    on_tensor_op(n);
    return;
  }
  fail("unsupported-op", n.kind + " is not supported: the tracing engine has no rule and the op library no definition for it",
       "Add a meta function (and a reference kernel) for it in the op library, or rewrite the model to avoid it.");
}

const std::unordered_map<std::string, Tracer::Handler>& Tracer::handlers() {
  static const std::unordered_map<std::string, Handler> table = {
      {"prim::Constant", &Tracer::on_constant},
      {"prim::GetAttr", &Tracer::on_get_attr},
      {"prim::SetAttr", &Tracer::on_set_attr},
      {"prim::isinstance", &Tracer::on_isinstance},
      {"aten::add", &Tracer::on_add},
      {"aten::add_", &Tracer::on_extend},
      {"aten::extend", &Tracer::on_extend},
      {"aten::copy", &Tracer::on_copy},
      {"aten::eq", &Tracer::on_compare},
      {"aten::ne", &Tracer::on_compare},
      {"prim::ListConstruct", &Tracer::on_list_construct},
      {"prim::ListUnpack", &Tracer::on_list_unpack},
      {"prim::TupleConstruct", &Tracer::on_tuple_construct},
      {"prim::TupleUnpack", &Tracer::on_list_unpack},
      {"prim::TupleIndex", &Tracer::on_tuple_index},
      {"aten::__getitem__", &Tracer::on_getitem},
      {"aten::len", &Tracer::on_len},
      {"aten::append", &Tracer::on_append},
      {"aten::list", &Tracer::on_list_copy},
      {"aten::slice", &Tracer::on_slice},
      {"prim::DictConstruct", &Tracer::on_dict_construct},
      {"aten::dict", &Tracer::on_dict_construct},
      {"aten::_set_item", &Tracer::on_set_item},
      {"aten::insert", &Tracer::on_list_insert},
      {"aten::pop", &Tracer::on_pop},
      {"aten::Delete", &Tracer::on_delete},
      {"aten::keys", &Tracer::on_dict_view},
      {"aten::values", &Tracer::on_dict_view},
      {"aten::items", &Tracer::on_dict_view},
      {"aten::get", &Tracer::on_dict_get},
      {"aten::__contains__", &Tracer::on_contains},
      {"prim::If", &Tracer::on_if},
      {"prim::Loop", &Tracer::on_loop},
      {"higher_order::cond", &Tracer::on_cond},
      {"prim::RaiseException", &Tracer::on_raise},
      {"aten::_assert_async", &Tracer::on_assert_async},
      {"prim::Uninitialized", &Tracer::on_uninitialized},
      {"prim::unchecked_cast", &Tracer::on_identity},
      {"prim::data", &Tracer::on_identity},
      {"aten::warn", &Tracer::on_side_effect},
      {"prim::Print", &Tracer::on_side_effect},
      {"prim::CreateObject", &Tracer::on_create_object},
      {"prim::Enter", &Tracer::on_context_manager},
      {"prim::Exit", &Tracer::on_context_manager},
      {"aten::__is__", &Tracer::on_is},
      {"aten::__isnot__", &Tracer::on_is},
      {"aten::format", &Tracer::on_format},
      {"aten::str", &Tracer::on_format},
      {"aten::is_grad_enabled", &Tracer::on_false_query},
      {"aten::is_autocast_enabled", &Tracer::on_false_query},
      {"aten::is_autocast_cpu_enabled", &Tracer::on_false_query},
      {"prim::is_cuda", &Tracer::on_false_query},
      {"prim::is_nested", &Tracer::on_false_query},
      {"prim::is_sparse", &Tracer::on_false_query},
      {"prim::is_mkldnn", &Tracer::on_false_query},
      {"prim::is_quantized", &Tracer::on_false_query},
      {"prim::is_meta", &Tracer::on_false_query},
      {"prim::is_xpu", &Tracer::on_false_query},
      {"prim::is_mps", &Tracer::on_false_query},
      {"prim::requires_grad", &Tracer::on_false_query},
      {"aten::is_complex", &Tracer::on_false_query},
      {"prim::device", &Tracer::on_device},
      {"prim::dtype", &Tracer::on_dtype},
      {"prim::layout", &Tracer::on_layout},
      {"aten::is_floating_point", &Tracer::on_is_floating_point},
      {"aten::size", &Tracer::on_size},
      {"aten::nonzero", &Tracer::on_nonzero},
      {"aten::stack", &Tracer::on_stack_or_cat},
      {"aten::cat", &Tracer::on_stack_or_cat},
      {"aten::index", &Tracer::on_index},
      {"aten::masked_select", &Tracer::on_masked_select},
      {"aten::dim", &Tracer::on_dim},
      {"aten::numel", &Tracer::on_numel},
      {"aten::Bool", &Tracer::on_scalar_conversion},
      {"aten::Int", &Tracer::on_scalar_conversion},
      {"aten::Float", &Tracer::on_scalar_conversion},
      {"aten::item", &Tracer::on_scalar_conversion},
      {"aten::is_nonzero", &Tracer::on_scalar_conversion},
      {"aten::ScalarImplicit", &Tracer::on_scalar_conversion},
      {"prim::NumToTensor", &Tracer::on_num_to_tensor},
      {"aten::_pack_padded_sequence", &Tracer::on_pack_padded_sequence},
      {"aten::_pad_packed_sequence", &Tracer::on_pad_unpacked},
  };
  return table;
}

// ------------------------------------------------------------------ diagnostics

Diagnostic Tracer::make_diag(std::string code, Severity sev, std::string message, std::string hint,
                             std::string category) const {
  Diagnostic d;
  d.code = std::move(code);
  d.severity = sev;
  d.stage = "capture";
  d.plugin = config_.policy.strategy;
  d.message = std::move(message);
  d.hint = std::move(hint);
  d.category = std::move(category);
  if (node_ != nullptr) {
    d.loc = node_->source;
    if (!node_->json_path.empty()) d.details["node"] = node_->json_path;
    d.details["kind"] = node_->kind;
    if (!node_->scope.empty()) d.details["scope"] = node_->scope;
  }
  return d;
}

void Tracer::fail(std::string code, std::string message, std::string hint) const {
  throw TraceError(make_diag(std::move(code), Severity::Error, std::move(message), std::move(hint)));
}

void Tracer::report_error(Diagnostic d) {
  if (!config_.policy.report_all_errors || shape_branch_attempts_ > 0) throw TraceError(std::move(d));
  record_error(std::move(d));
}

// The same error at the same node (a loop body unrolled N times) is one
// diagnostic with N occurrences.
std::string Tracer::error_key(const std::string& code, const ProgramNode* n) {
  return code + "|" + (n ? n->json_path : std::string());
}

void Tracer::record_error(Diagnostic d) {
  const std::string key = error_key(d.code, node_);
  auto [it, fresh] = error_groups_.try_emplace(key, diags_.size());
  if (!fresh) {
    ++diags_[it->second].occurrences;
    return;
  }
  diags_.push_back(std::move(d));
}

bool Tracer::already_reported(const std::string& code, const ProgramNode& n) {
  auto it = error_groups_.find(error_key(code, &n));
  if (it == error_groups_.end()) return false;
  ++diags_[it->second].occurrences;
  return true;
}

void Tracer::warn(std::string code, std::string category, std::string message, std::string hint) {
  if (config_.eager) return;
  diags_.push_back(make_diag(std::move(code), Severity::Warning, std::move(message), std::move(hint), std::move(category)));
}

}  // namespace onnxport::trace
