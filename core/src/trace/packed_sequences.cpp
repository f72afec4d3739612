// nn.utils.rnn packed sequences: pack_padded_sequence -> nn.LSTM / nn.GRU /
// nn.RNN -> pad_packed_sequence (docs/sequence-models.md, "Packed sequences").
//
// torch packs a batch into `data` [sum(lengths), features] and `batch_sizes`
// [max(lengths)]; both sizes depend on the lengths' values. The engine does
// not build them: a packed sequence stays the padded batch (time-major) and
// its lengths, which is what ONNX's recurrent ops take (`sequence_lens`).
// What TorchScript's inlined nn.LSTM.forward and pad_packed_sequence ask of
// the packed tensors is answered from that form:
//   data.dim(), data.size(-1)        the packed shape [N, features...]
//   batch_sizes[0]                   the batch size (every length is >= 1)
//   batch_sizes.size(0)              the padded length T (see pad_packed)
//   aten::lstm.data / gru.data / rnn_*.data   onnxport::padded_* on the padded batch
//   aten::_pad_packed_sequence       the padded output, masked past each length
// Any other use of data or batch_sizes (data.sum(), indexing the packed rows,
// a packed tensor in a list...) would see the wrong layout, so it is refused
// with the use and its line. enforce_sorted=False needs nothing here: the
// sort, the index_select by sorted_indices and the unsort are ordinary ops of
// the inlined code, applied to the padded batch.
#include "tracer.hpp"

#include "control_util.hpp"

#include <algorithm>

namespace onnxport::trace {

namespace {

EValue c(nlohmann::json v) { return EValue::of_constant(std::move(v)); }

// Kinds that only pass a value along or read what the packed shape answers.
bool passes_packed_through(const std::string& kind) {
  static const std::set<std::string> kinds = {"prim::TupleConstruct", "prim::TupleUnpack", "prim::TupleIndex",
                                              "prim::unchecked_cast", "aten::__is__",      "aten::__isnot__",
                                              "prim::dtype",          "prim::device",      "aten::dim"};
  return kinds.count(kind) != 0;
}

const char* padded_op(const std::string& kind) {
  if (kind == "aten::lstm") return "onnxport::padded_lstm";
  if (kind == "aten::gru") return "onnxport::padded_gru";
  if (kind == "aten::rnn_tanh") return "onnxport::padded_rnn_tanh";
  if (kind == "aten::rnn_relu") return "onnxport::padded_rnn_relu";
  return nullptr;
}

// The node of `block` (or a nested block) that defines `name`.
const ProgramNode* defining_node(const ProgramBlock& block, const std::string& name) {
  for (const ProgramNode& n : block.nodes) {
    if (std::find(n.outputs.begin(), n.outputs.end(), name) != n.outputs.end()) return &n;
    for (const ProgramBlock& b : n.blocks)
      if (const ProgramNode* found = defining_node(b, name)) return found;
  }
  return nullptr;
}

}  // namespace

const Tracer::PackedUse* Tracer::packed_use(const EValue& v) const {
  if (!v.is_tensor()) return nullptr;
  auto it = packed_.find(v.tensor.get());
  return it == packed_.end() ? nullptr : &it->second;
}

EValue Tracer::packed_value(PackedRole role, const std::shared_ptr<const PackedBatch>& batch, DType dtype,
                            Shape shape) {
  // The id is the padded batch's (or the lengths'): a valid Graph value, never
  // read as this shape, since every use that would read it is refused.
  const EValue& carrier = role == PackedRole::Data ? batch->padded : batch->lengths;
  EValue v = EValue::of_tensor(FakeTensor{carrier.tensor->id, dtype, std::move(shape), std::nullopt, {}});
  packed_.emplace(v.tensor.get(), PackedUse{role, batch});
  return v;
}

[[noreturn]] void Tracer::fail_packed_use(const ProgramNode& n, const PackedUse& use, const std::string& what) const {
  fail("unsupported-packed-sequence",
       n.kind + " at " + line_of(n) + quoted_source(n) + " uses a PackedSequence's " +
           (use.role == PackedRole::Data ? "data" : "batch_sizes") + " (packed at " + use.batch->origin + ")" +
           (what.empty() ? "" : ": " + what) +
           "; onnxport exports a packed sequence only through nn.RNN / nn.LSTM / nn.GRU and pad_packed_sequence",
       "Call pad_packed_sequence on the recurrent layer's output and work on the padded tensor.");
}

// aten::_pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first) -> (Tensor data, Tensor batch_sizes)
void Tracer::on_pack_padded_sequence(const ProgramNode& n) {
  const std::vector<EValue> args = inputs_of(n);
  if (args.size() != 3 || !args[0].is_tensor() || !args[1].is_tensor() || !args[2].is_constant() ||
      !args[2].constant.is_boolean())
    fail("bad-argument", n.kind + " takes (Tensor input, Tensor lengths, bool batch_first)");
  const FakeTensor& input = *args[0].tensor;
  const FakeTensor& lengths = *args[1].tensor;
  if (input.shape.size() < 2)
    fail("bad-argument", n.kind + ": input must have a batch and a time dim, got shape " + shape_str(input.shape));
  if (lengths.shape.size() != 1 || lengths.dtype != DType::Int64)
    fail("bad-argument", n.kind + ": lengths must be a 1-D int64 tensor, got " + describe(args[1]));
  auto batch = std::make_shared<PackedBatch>();
  batch->padded = args[2].constant.get<bool>() ? call_tensor_op(n, "aten::transpose", {args[0], c(0), c(1)})[0] : args[0];
  batch->lengths = args[1];
  batch->origin = line_of(n) + quoted_source(n);
  const Shape& padded = batch->padded.tensor->shape;
  Shape data_shape{Dim::symbol("packed_rows")};
  data_shape.insert(data_shape.end(), padded.begin() + 2, padded.end());
  EValue data = packed_value(PackedRole::Data, batch, input.dtype, std::move(data_shape));
  EValue batch_sizes = packed_value(PackedRole::BatchSizes, batch, DType::Int64, Shape{Dim::symbol("packed_steps")});
  bind_outputs(n, {data, batch_sizes});
}

void Tracer::on_pad_unpacked(const ProgramNode& n) {
  fail("unsupported-packed-sequence",
       n.kind + " at " + line_of(n) + quoted_source(n) +
           " takes tensors that are not a sequence packed in forward: torch's packed layout is not represented",
       "Call pack_padded_sequence inside forward on the padded batch and its lengths.");
}

bool Tracer::on_packed_use(const ProgramNode& n) {
  const std::vector<EValue> args = inputs_of(n);
  const PackedUse* first = nullptr;
  for (const EValue& a : args) {
    if ((first = packed_use(a)) != nullptr) break;
    if (a.kind == EValue::Kind::List)
      for (const EValue& item : *a.items)
        if (const PackedUse* inside = packed_use(item)) fail_packed_use(n, *inside, "inside a list");
  }
  if (first == nullptr) return false;
  if (passes_packed_through(n.kind)) return false;
  const PackedUse* second = args.size() > 1 ? packed_use(args[1]) : nullptr;
  const bool data_then_sizes = packed_use(args[0]) == first && first->role == PackedRole::Data && second != nullptr &&
                               second->role == PackedRole::BatchSizes;
  if (padded_op(n.kind) != nullptr && data_then_sizes) {
    packed_recurrent(n, *first, *second);
    return true;
  }
  if (n.kind == "aten::_pad_packed_sequence" && data_then_sizes) {
    pad_packed(n, *first, *second);
    return true;
  }
  const auto constant_int = [&](size_t i) -> std::optional<int64_t> {
    if (i < args.size() && args[i].is_constant() && args[i].constant.is_number_integer())
      return args[i].constant.get<int64_t>();
    return std::nullopt;
  };
  if (n.kind == "aten::size" && args.size() == 2 && packed_use(args[0]) == first) {
    const std::optional<int64_t> dim = constant_int(1);
    const int64_t rank = static_cast<int64_t>(args[0].tensor->shape.size());
    if (dim && first->role == PackedRole::Data && *dim != 0 && *dim != -rank && *dim >= -rank && *dim < rank)
      return false;  // a feature dim: the packed shape answers it
    if (dim && first->role == PackedRole::BatchSizes && (*dim == 0 || *dim == -1)) {
      // batch_sizes.size(0) is max(lengths); the padded length T stands for it,
      // which only pad_packed_sequence reads, and only with total_length given.
      bind_all_outputs(n, sym_size(*first->batch->padded.tensor, 0));
      packed_max_lengths_.insert(n.outputs.begin(), n.outputs.end());
      return true;
    }
    fail_packed_use(n, *first, "its number of packed rows depends on the lengths' values");
  }
  if (n.kind == "aten::select" && first->role == PackedRole::BatchSizes && packed_use(args[0]) == first &&
      constant_int(1) == 0 && constant_int(2) == 0) {
    // batch_sizes[0]: the number of sequences with at least one step, the batch size.
    const EValue count = sym_size(*first->batch->padded.tensor, 1);
    if (count.is_constant()) {
      bind_all_outputs(n, lift_constant_tensor(Tensor::scalar(DType::Int64, count.constant.get<double>()), "_tensor_constant"));
      return true;
    }
    FakeTensor t{scalar_value_id(count), DType::Int64, {}, std::nullopt, {}};
    if (concrete() && count.sym->hint) t.data = Tensor::scalar(DType::Int64, *count.sym->hint);
    scalar_shadows_[t.id] = count;
    bind_all_outputs(n, EValue::of_tensor(std::move(t)));
    return true;
  }
  fail_packed_use(n, *first, "");
}

// aten::lstm.data(Tensor data, Tensor batch_sizes, Tensor[] hx, Tensor[] params, bool has_biases,
//   int num_layers, float dropout, bool train, bool bidirectional) -> (Tensor, Tensor, Tensor);
// gru.data / rnn_*.data take `Tensor hx` and return (Tensor, Tensor).
void Tracer::packed_recurrent(const ProgramNode& n, const PackedUse& data, const PackedUse& batch_sizes) {
  if (data.batch != batch_sizes.batch && data.batch->lengths.tensor->id != batch_sizes.batch->lengths.tensor->id)
    fail_packed_use(n, data, "its data and batch_sizes come from different packed sequences");
  std::vector<EValue> args = inputs_of(n);
  if (args.size() != 9) fail("bad-argument", n.kind + " on a packed sequence takes 9 arguments, got " + std::to_string(args.size()));
  std::vector<EValue> padded_args{data.batch->padded, data.batch->lengths};
  padded_args.insert(padded_args.end(), args.begin() + 2, args.end());
  padded_args.push_back(c(false));  // batch_first: the padded batch is time-major
  std::vector<EValue> outs = call_tensor_op(n, padded_op(n.kind), padded_args);
  auto result = std::make_shared<PackedBatch>();
  result->padded = outs[0];
  result->lengths = data.batch->lengths;
  result->origin = data.batch->origin;
  const Shape& y = outs[0].tensor->shape;  // [T, B, dirs*H]
  outs[0] = packed_value(PackedRole::Data, result, outs[0].tensor->dtype, Shape{Dim::symbol("packed_rows"), y.back()});
  bind_outputs(n, outs);
}

// Whether pad_packed_sequence's total_length argument is the caller's, not
// batch_sizes.size(0): TorchScript's inlined pad_packed_sequence passes
// `total_length if total_length is not None else batch_sizes.size(0)`.
bool Tracer::total_length_given(const ProgramNode& pad) const {
  const std::string& name = pad.inputs[4];
  if (packed_max_lengths_.count(name) != 0) return false;
  const ProgramNode* def = defining_node(program_.graph, name);
  if (def == nullptr || def->kind != "prim::If" || def->blocks.size() != 2 || def->inputs.empty()) return true;
  const auto slot = static_cast<size_t>(std::find(def->outputs.begin(), def->outputs.end(), name) - def->outputs.begin());
  const EValue& cond = lookup(def->inputs[0], &pad);
  for (size_t b = 0; b < 2; ++b) {
    const ProgramBlock& block = def->blocks[b];
    if (slot >= block.outputs.size() || packed_max_lengths_.count(block.outputs[slot]) == 0) continue;
    // This branch passes max(lengths) on: total_length was None when it was taken.
    const bool taken = cond.is_constant() && cond.constant.is_boolean() && cond.constant.get<bool>() == (b == 0);
    const bool other_taken = cond.is_constant() && cond.constant.is_boolean() && cond.constant.get<bool>() != (b == 0);
    if (taken || !other_taken) return false;
  }
  return true;
}

// aten::_pad_packed_sequence(Tensor data, Tensor batch_sizes, bool batch_first, Scalar padding_value,
//   int total_length) -> (Tensor output, Tensor lengths)
void Tracer::pad_packed(const ProgramNode& n, const PackedUse& data, const PackedUse& batch_sizes) {
  const std::vector<EValue> args = inputs_of(n);
  if (args.size() != 5 || !args[2].is_constant() || !args[2].constant.is_boolean())
    fail("bad-argument", n.kind + " takes (data, batch_sizes, bool batch_first, padding_value, int total_length)");
  if (data.batch->lengths.tensor->id != batch_sizes.batch->lengths.tensor->id)
    fail_packed_use(n, data, "its data and batch_sizes come from different packed sequences");
  if (!total_length_given(n))
    fail("unsupported-packed-sequence",
         "pad_packed_sequence at " + line_of(n) + quoted_source(n) +
             " without total_length: its output has max(lengths) steps, a size only the lengths' values decide",
         "Pass total_length= (the padded length of the input to pack_padded_sequence) to pad_packed_sequence.");
  const EValue& padded = data.batch->padded;  // [T, B, F...]
  const EValue& lengths = data.batch->lengths;
  const EValue steps = sym_size(*padded.tensor, 0);
  const EValue none = EValue::none();
  // mask[t, b] = t < lengths[b], broadcast over the feature dims.
  EValue times = call_tensor_op(n, "aten::arange", {steps, c(4), none, none, none})[0];
  EValue mask = call_tensor_op(n, "aten::lt", {call_tensor_op(n, "aten::unsqueeze", {times, c(1)})[0],
                                              call_tensor_op(n, "aten::unsqueeze", {lengths, c(0)})[0]})[0];
  for (size_t d = 2; d < padded.tensor->shape.size(); ++d) mask = call_tensor_op(n, "aten::unsqueeze", {mask, c(-1)})[0];
  EValue out = call_tensor_op(n, "aten::where", {mask, padded, args[3]})[0];
  // total_length: the caller's; torch pads (or, when it is shorter than T, keeps) that many steps.
  const EValue& total = args[4];
  if (total.is_constant() && total.constant.is_number_integer() && steps.is_constant()) {
    const int64_t want = total.constant.get<int64_t>(), have = steps.constant.get<int64_t>();
    if (want < have) out = call_tensor_op(n, "aten::slice", {out, c(0), c(0), c(want), c(1)})[0];
    if (want > have) {
      nlohmann::json pad = nlohmann::json::array();
      // constant_pad_nd pads the last dim first: (0, 0) for every dim after time, then (0, want - have).
      for (size_t d = 1; d < padded.tensor->shape.size(); ++d) {
        pad.push_back(0);
        pad.push_back(0);
      }
      pad.push_back(0);
      pad.push_back(want - have);
      out = call_tensor_op(n, "aten::constant_pad_nd", {out, c(pad), args[3]})[0];
    }
  } else if (!(total.is_sym() && steps.is_sym() && total.sym->expr == steps.sym->expr)) {
    fail("unsupported-packed-sequence",
         "pad_packed_sequence at " + line_of(n) + quoted_source(n) + ": total_length " + describe(total) +
             " and the padded length " + describe(steps) + " of the packed input are not known to compare",
         "Pass a total_length equal to the padded input's time dim.");
  }
  if (args[2].constant.get<bool>()) out = call_tensor_op(n, "aten::transpose", {out, c(0), c(1)})[0];
  bind_outputs(n, {out, lengths});
}

}  // namespace onnxport::trace
