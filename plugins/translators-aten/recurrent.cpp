// Recurrent layers: aten::lstm, aten::gru, aten::rnn_tanh, aten::rnn_relu (the
// `.input` overloads nn.LSTM / nn.GRU / nn.RNN call) -> one ONNX LSTM / GRU /
// RNN node per layer, each over both directions at once.
//
//   lstm(input, Tensor[] hx=(h0, c0), Tensor[] params, has_biases, num_layers,
//        dropout, train, bidirectional, batch_first) -> (output, h_n, c_n)
//   gru / rnn_*(input, Tensor hx, Tensor[] params, ...same...) -> (output, h_n)
//
// params: per layer, per direction: w_ih [G*H, in], w_hh [G*H, H], then
// b_ih, b_hh when has_biases.
//
// The ONNX ops compute the same cells; what differs is layout:
// - gate order: torch stacks LSTM gates i,f,g,o and GRU gates r,z,n; ONNX
//   wants i,o,f,c and z,r,h. The weight rows are sliced and re-concatenated
//   (on parameters, so the optimizer folds this into the initializers).
// - bias: ONNX takes one [num_dir, 2*G*H] tensor, Wb then Rb.
// - GRU: torch applies the reset gate after the recurrent matmul, which is
//   ONNX's linear_before_reset=1.
// - Y is [seq, num_dir, batch, H]; torch's output is [seq, batch, num_dir*H]:
//   Transpose to [seq, batch, num_dir, H], then merge the last two dims.
// onnxport::padded_lstm / padded_gru / padded_rnn_* (what the tracing engine
// makes of a packed sequence, docs/sequence-models.md "Packed sequences") are
// the same call plus per-sequence lengths, which become every layer's
// `sequence_lens` (int32): ONNX then runs sequence b over its first
// lengths[b] steps in both directions and returns its state there as Y_h / Y_c,
// as torch's packed kernels do.
// The ONNX `layout` attribute (opset 14) is not used, so one translation
// serves opsets 13-18: batch_first inputs are transposed around the stack.
//
// Arguments are read by name, bound to the op's schema (NodeArgs,
// docs/architecture.md §4a).
#include "families.hpp"

#include <onnxport/op_schema.hpp>

namespace onnxport::aten {
namespace {

enum class Cell { Lstm, Gru, RnnTanh, RnnRelu };

// Index of each ONNX gate in torch's stacking, in ONNX order.
std::vector<int64_t> torch_gates_in_onnx_order(Cell cell) {
  switch (cell) {
    case Cell::Lstm: return {0, 3, 1, 2};  // i,o,f,c from i,f,g,o
    case Cell::Gru: return {1, 0, 2};      // z,r,h from r,z,n
    default: return {0};
  }
}

const char* onnx_op(Cell cell) {
  return cell == Cell::Lstm ? "LSTM" : cell == Cell::Gru ? "GRU" : "RNN";
}

struct RecurrentCall {
  Cell cell;
  DType dtype;
  bool has_biases = true, bidirectional = false, batch_first = false;
  int64_t layers = 1, directions = 1, hidden = 0;
  std::vector<const Arg*> params;
};

// lstm.input / gru.input / rnn_*.input(Tensor input, Tensor[] hx | Tensor hx, Tensor[] params,
//   bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first)
// (the .data overloads of packed sequences are not handled here).
RecurrentCall read_call(TranslateContext& ctx, const NodeArgs& a, Cell cell) {
  RecurrentCall c;
  c.cell = cell;
  if (!a.schema().argument_index("batch_first"))
    fail(ctx, "the packed-sequence overload " + a.schema().qualified_name() + " is not supported");
  if (rank_of(ctx, a, "input") != 3) fail(ctx, "input must be 3-D (batched)");
  c.dtype = arg_dtype(ctx, a, "input");
  const Arg& list = a.arg("params");
  if (!list.is_list()) fail(ctx, "params must be a list of tensors");
  for (const Arg& p : list.items) {
    if (!p.is_value()) fail(ctx, "params must contain only tensors");
    c.params.push_back(&p);
  }
  c.has_biases = a.boolean("has_biases");
  c.layers = a.i64("num_layers");
  if (a.boolean("train") && a.f64("dropout") > 0)
    fail(ctx, "training-mode dropout between layers cannot be exported", "call model.eval() before capturing");
  c.bidirectional = a.boolean("bidirectional");
  c.batch_first = a.boolean("batch_first");
  c.directions = c.bidirectional ? 2 : 1;
  const size_t per_direction = c.has_biases ? 4 : 2;
  if (c.layers <= 0 || c.params.size() != per_direction * static_cast<size_t>(c.layers * c.directions))
    fail(ctx, "expected " + std::to_string(per_direction) + " parameter tensors per layer and direction for " +
                  std::to_string(c.layers) + " layer(s), got " + std::to_string(c.params.size()),
         "LSTM projections (proj_size) are not supported");
  const Value& w_hh = ctx.graph().value(c.params[1]->value);
  if (w_hh.shape.size() != 2 || !w_hh.shape[1].is_static())
    fail(ctx, "w_hh must be a 2-D tensor with a static hidden size, got " + w_hh.type_str());
  c.hidden = w_hh.shape[1].value();
  return c;
}

// Rows of a [G*H, ...] weight or [G*H] bias re-stacked in ONNX gate order.
std::string reorder_gates(TranslateContext& ctx, const RecurrentCall& c, const std::string& w) {
  const std::vector<int64_t> order = torch_gates_in_onnx_order(c.cell);
  if (order.size() == 1) return w;
  std::vector<std::string> gates;
  for (int64_t g : order)
    gates.push_back(ctx.op("Slice", {w, ctx.const_i64({g * c.hidden}), ctx.const_i64({(g + 1) * c.hidden}),
                                     ctx.const_i64({0})}));
  return ctx.op("Concat", gates, {{"axis", int64_t{0}}});
}

// Parameter k (0 w_ih, 1 w_hh, 2 b_ih, 3 b_hh) of one layer and direction.
std::string param(TranslateContext& ctx, const RecurrentCall& c, int64_t layer, int64_t direction, size_t k) {
  const size_t per_direction = c.has_biases ? 4 : 2;
  const size_t index = static_cast<size_t>(layer * c.directions + direction) * per_direction + k;
  return arg_as(ctx, *c.params[index], c.dtype);
}

// ONNX W, R and B of one layer: [num_dir, G*H, in], [num_dir, G*H, H],
// [num_dir, 2*G*H] ("" when the layer has no biases).
struct LayerWeights {
  std::string w, r, b;
};

LayerWeights layer_weights(TranslateContext& ctx, const RecurrentCall& c, int64_t layer) {
  std::vector<std::string> ws, rs, bs;
  for (int64_t d = 0; d < c.directions; ++d) {
    ws.push_back(unsqueeze(ctx, reorder_gates(ctx, c, param(ctx, c, layer, d, 0)), {0}));
    rs.push_back(unsqueeze(ctx, reorder_gates(ctx, c, param(ctx, c, layer, d, 1)), {0}));
    if (c.has_biases) {
      std::string b = ctx.op("Concat", {reorder_gates(ctx, c, param(ctx, c, layer, d, 2)),
                                        reorder_gates(ctx, c, param(ctx, c, layer, d, 3))},
                             {{"axis", int64_t{0}}});
      bs.push_back(unsqueeze(ctx, b, {0}));
    }
  }
  auto stack = [&](const std::vector<std::string>& parts) {
    return parts.size() == 1 ? parts[0] : ctx.op("Concat", parts, {{"axis", int64_t{0}}});
  };
  return {stack(ws), stack(rs), c.has_biases ? stack(bs) : std::string()};
}

// The initial states of one layer: rows [layer*D, (layer+1)*D) of a
// [num_layers*D, batch, H] state; "" when the op got none.
std::string layer_state(TranslateContext& ctx, const RecurrentCall& c, const std::string& state, int64_t layer) {
  if (state.empty()) return state;
  return ctx.op("Slice", {state, ctx.const_i64({layer * c.directions}), ctx.const_i64({(layer + 1) * c.directions}),
                          ctx.const_i64({0})});
}

// h0 (and c0 for LSTM) from hx: a list (h0, c0) for LSTM, a tensor otherwise.
std::vector<std::string> initial_states(TranslateContext& ctx, const NodeArgs& a, const RecurrentCall& c) {
  const size_t count = c.cell == Cell::Lstm ? 2 : 1;
  if (!a.has("hx")) return std::vector<std::string>(count);
  const Arg& hx = a.arg("hx");
  std::vector<std::string> states;
  if (hx.is_list()) {
    for (const Arg& s : hx.items) states.push_back(arg_as(ctx, s, c.dtype));
  } else {
    states.push_back(input_as(ctx, a, "hx", c.dtype));
  }
  if (states.size() != count)
    fail(ctx, "hx must hold " + std::to_string(count) + " initial state tensor(s), got " +
                  std::to_string(states.size()));
  return states;
}

OnnxAttrs cell_attrs(const RecurrentCall& c) {
  OnnxAttrs attrs{{"hidden_size", c.hidden},
                  {"direction", std::string(c.bidirectional ? "bidirectional" : "forward")}};
  if (c.cell == Cell::Gru) attrs.push_back({"linear_before_reset", int64_t{1}});
  if (c.cell == Cell::RnnTanh || c.cell == Cell::RnnRelu) {
    const std::string f = c.cell == Cell::RnnTanh ? "Tanh" : "Relu";
    attrs.push_back({"activations", std::vector<std::string>(static_cast<size_t>(c.directions), f)});
  }
  return attrs;
}

void translate_recurrent(TranslateContext& ctx, Cell cell) {
  const NodeArgs a(ctx);
  const RecurrentCall c = read_call(ctx, a, cell);
  const std::vector<std::string> initial = initial_states(ctx, a, c);
  const size_t state_count = initial.size();
  std::string x = cast(ctx, a.input("input"), arg_dtype(ctx, a, "input"), c.dtype);
  if (c.batch_first) x = ctx.op("Transpose", {x}, {{"perm", std::vector<int64_t>{1, 0, 2}}});
  std::string lengths;  // sequence_lens, "" for the .input overloads
  if (a.schema().argument_index("lengths")) {
    if (rank_of(ctx, a, "lengths") != 1) fail(ctx, "lengths must be 1-D [batch]");
    lengths = cast(ctx, a.input("lengths"), arg_dtype(ctx, a, "lengths"), DType::Int32);
  }
  std::vector<std::vector<std::string>> final_states(state_count);  // per state, per layer
  for (int64_t layer = 0; layer < c.layers; ++layer) {
    const LayerWeights lw = layer_weights(ctx, c, layer);
    std::vector<std::string> inputs{x, lw.w, lw.r, lw.b, lengths};
    for (const std::string& s : initial) inputs.push_back(layer_state(ctx, c, s, layer));
    while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
    const std::vector<std::string> out = ctx.op_n(onnx_op(cell), inputs, 1 + state_count, cell_attrs(c));
    // Y [seq, D, batch, H] -> [seq, batch, D*H], the next layer's input.
    std::string y = ctx.op("Transpose", {out[0]}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
    x = reshape(ctx, y, {0, 0, -1});
    for (size_t s = 0; s < state_count; ++s) final_states[s].push_back(out[1 + s]);
  }
  if (c.batch_first) x = ctx.op("Transpose", {x}, {{"perm", std::vector<int64_t>{1, 0, 2}}});
  bind_output(ctx, 0, x);
  for (size_t s = 0; s < state_count && s + 1 < ctx.node().outputs.size(); ++s) {
    const std::vector<std::string>& per_layer = final_states[s];
    bind_output(ctx, s + 1,
                per_layer.size() == 1 ? per_layer[0] : ctx.op("Concat", per_layer, {{"axis", int64_t{0}}}));
  }
}

// ---------------------------------------------------------------- one step: the *_cell ops
//
// rnn_tanh_cell / rnn_relu_cell / gru_cell(input, hx, w_ih, w_hh, b_ih?, b_hh?) -> h'
// lstm_cell(input, Tensor[] hx = (h, c), w_ih, w_hh, b_ih?, b_hh?) -> (h', c')
// One step is two Gemms (input and hidden projections, transB=1, biases as
// C) and the cell's gate arithmetic on [batch, H] column blocks, in torch's
// gate order (i,f,g,o; r,z,n); no layout change is needed, so the ops are
// the same at every opset.

// Column block k of a [batch, G*H] gate matrix.
std::string gate_block(TranslateContext& ctx, const std::string& gates, int64_t k, int64_t hidden) {
  return ctx.op("Slice", {gates, ctx.const_i64({k * hidden}), ctx.const_i64({(k + 1) * hidden}), ctx.const_i64({1})});
}

void translate_cell(TranslateContext& ctx, Cell cell) {
  const NodeArgs a(ctx);
  const DType d = arg_dtype(ctx, a.index("input"));
  if (a.value("input").shape.size() != 2) fail(ctx, "input must be 2-D [batch, input_size]");
  const Value& w_hh = a.value("w_hh");
  if (w_hh.shape.size() != 2 || !w_hh.shape[1].is_static())
    fail(ctx, "w_hh must be a 2-D tensor with a static hidden size, got " + w_hh.type_str());
  const int64_t hidden = w_hh.shape[1].value();
  auto tensor = [&](const char* name) { return input_as(ctx, a.index(name), d); };
  std::vector<std::string> states;
  const Arg& hx = a.arg("hx");
  if (hx.is_list()) {
    for (const Arg& s : hx.items) states.push_back(arg_as(ctx, s, d));
  } else {
    states.push_back(tensor("hx"));
  }
  if (states.size() != (cell == Cell::Lstm ? 2u : 1u)) fail(ctx, "hx holds the wrong number of state tensors");
  const OnnxAttrs trans_b{{"transB", int64_t{1}}};
  auto projection = [&](const std::string& v, const char* w, const char* b) {
    std::vector<std::string> in{v, tensor(w)};
    if (a.has(b)) in.push_back(tensor(b));
    return ctx.op("Gemm", in, trans_b);
  };
  const std::string gi = projection(tensor("input"), "w_ih", "b_ih");
  const std::string gh = projection(states[0], "w_hh", "b_hh");
  switch (cell) {
    case Cell::RnnTanh:
    case Cell::RnnRelu:
      set_result(ctx, ctx.op(cell == Cell::RnnTanh ? "Tanh" : "Relu", {ctx.op("Add", {gi, gh})}));
      return;
    case Cell::Lstm: {
      const std::string g = ctx.op("Add", {gi, gh});
      const std::string i = ctx.op("Sigmoid", {gate_block(ctx, g, 0, hidden)});
      const std::string f = ctx.op("Sigmoid", {gate_block(ctx, g, 1, hidden)});
      const std::string c = ctx.op("Tanh", {gate_block(ctx, g, 2, hidden)});
      const std::string o = ctx.op("Sigmoid", {gate_block(ctx, g, 3, hidden)});
      const std::string c_next = ctx.op("Add", {ctx.op("Mul", {f, states[1]}), ctx.op("Mul", {i, c})});
      bind_output(ctx, 0, ctx.op("Mul", {o, ctx.op("Tanh", {c_next})}));
      bind_output(ctx, 1, c_next);
      return;
    }
    case Cell::Gru: {
      // torch applies the reset gate after the hidden projection (ONNX's linear_before_reset=1).
      const std::string r = ctx.op("Sigmoid", {ctx.op("Add", {gate_block(ctx, gi, 0, hidden), gate_block(ctx, gh, 0, hidden)})});
      const std::string z = ctx.op("Sigmoid", {ctx.op("Add", {gate_block(ctx, gi, 1, hidden), gate_block(ctx, gh, 1, hidden)})});
      const std::string n = ctx.op("Tanh", {ctx.op("Add", {gate_block(ctx, gi, 2, hidden),
                                                          ctx.op("Mul", {r, gate_block(ctx, gh, 2, hidden)})})});
      // (1 - z) * n + z * h = n + z * (h - n)
      set_result(ctx, ctx.op("Add", {n, ctx.op("Mul", {z, ctx.op("Sub", {states[0], n})})}));
      return;
    }
  }
}

void translate_lstm_cell(TranslateContext& ctx) { translate_cell(ctx, Cell::Lstm); }
void translate_gru_cell(TranslateContext& ctx) { translate_cell(ctx, Cell::Gru); }
void translate_rnn_tanh_cell(TranslateContext& ctx) { translate_cell(ctx, Cell::RnnTanh); }
void translate_rnn_relu_cell(TranslateContext& ctx) { translate_cell(ctx, Cell::RnnRelu); }

void translate_lstm(TranslateContext& ctx) { translate_recurrent(ctx, Cell::Lstm); }
void translate_gru(TranslateContext& ctx) { translate_recurrent(ctx, Cell::Gru); }
void translate_rnn_tanh(TranslateContext& ctx) { translate_recurrent(ctx, Cell::RnnTanh); }
void translate_rnn_relu(TranslateContext& ctx) { translate_recurrent(ctx, Cell::RnnRelu); }

}  // namespace

void register_recurrent(Registrar& r) {
  add(r, "aten::lstm", translate_lstm, kMinOpset, kOpenEnded, "ONNX LSTM per layer (gates i,f,g,o -> i,o,f,c)");
  add(r, "aten::gru", translate_gru, kMinOpset, kOpenEnded, "ONNX GRU per layer, linear_before_reset=1");
  add(r, "aten::rnn_tanh", translate_rnn_tanh, kMinOpset, kOpenEnded, "ONNX RNN per layer, Tanh");
  add(r, "aten::rnn_relu", translate_rnn_relu, kMinOpset, kOpenEnded, "ONNX RNN per layer, Relu");
  add(r, "onnxport::padded_lstm", translate_lstm, kMinOpset, kOpenEnded,
      "ONNX LSTM per layer with sequence_lens (a packed sequence)");
  add(r, "onnxport::padded_gru", translate_gru, kMinOpset, kOpenEnded,
      "ONNX GRU per layer with sequence_lens (a packed sequence)");
  add(r, "onnxport::padded_rnn_tanh", translate_rnn_tanh, kMinOpset, kOpenEnded,
      "ONNX RNN per layer with sequence_lens, Tanh (a packed sequence)");
  add(r, "onnxport::padded_rnn_relu", translate_rnn_relu, kMinOpset, kOpenEnded,
      "ONNX RNN per layer with sequence_lens, Relu (a packed sequence)");
  add(r, "aten::lstm_cell", translate_lstm_cell, kMinOpset, kOpenEnded, "one LSTM step: two Gemms and the gates");
  add(r, "aten::gru_cell", translate_gru_cell, kMinOpset, kOpenEnded, "one GRU step: two Gemms and the gates");
  add(r, "aten::rnn_tanh_cell", translate_rnn_tanh_cell, kMinOpset, kOpenEnded, "one RNN step: two Gemms, Tanh");
  add(r, "aten::rnn_relu_cell", translate_rnn_relu_cell, kMinOpset, kOpenEnded, "one RNN step: two Gemms, Relu");
}

}  // namespace onnxport::aten
