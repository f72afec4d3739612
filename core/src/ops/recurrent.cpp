// Recurrent layers as TorchScript calls them: aten::lstm, aten::gru and
// aten::rnn_tanh / aten::rnn_relu (the .input overloads), and
// onnxport::padded_lstm / padded_gru / padded_rnn_* (the same plus
// per-sequence lengths: what a packed sequence becomes in a captured Graph,
// docs/sequence-models.md "Packed sequences"). Sequence b only runs over its
// first lengths[b] steps: its output is 0 after them and its final state is
// the state at its last step (for the reverse direction, after running from
// step lengths[b]-1 down to 0), as torch's packed kernels and ONNX's
// sequence_lens compute. The .data overloads themselves (packed data +
// batch_sizes) are refused: the tracing engine rewrites them. Inference only: dropout between layers is ignored
// unless `train` is set, which is refused.
//
//   lstm(input, Tensor[] hx = (h0, c0), Tensor[] params, has_biases, num_layers,
//        dropout, train, bidirectional, batch_first) -> (output, h_n, c_n)
//   gru / rnn_*(input, Tensor hx, Tensor[] params, ...same...) -> (output, h_n)
//
// params: per layer, per direction: w_ih [G*H, in], w_hh [G*H, H], then
// b_ih, b_hh when has_biases. G = 4 (lstm), 3 (gru), 1 (rnn).
#include "gemm.hpp"
#include "op_support.hpp"

#include <cmath>

namespace onnxport::ops {
namespace {

enum class Cell { Lstm, Gru, RnnTanh, RnnRelu };

int64_t gate_count(Cell c) { return c == Cell::Lstm ? 4 : c == Cell::Gru ? 3 : 1; }

struct RnnCall {
  Cell cell;
  bool has_biases = true, bidirectional = false, batch_first = false;
  int64_t layers = 1, directions = 1, hidden = 0;
  std::vector<const OpArg*> params;
};

// lstm.input(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers,
//            float dropout, bool train, bool bidirectional, bool batch_first); gru.input,
// rnn_tanh.input, rnn_relu.input take `Tensor hx`. The .data overloads (packed
// sequences: data, batch_sizes, ...) are refused.
bool is_padded(const OpArgs& args) { return args.schema().name.rfind("onnxport::padded_", 0) == 0; }

RnnCall rnn_call(const OpArgs& args, Cell cell) {
  if (args.schema().overload != "input" && !is_padded(args))
    fail("packed sequences (" + args.schema().qualified_name() + ") are not supported");
  RnnCall c;
  c.cell = cell;
  const TensorMeta& in = args.tensor("input");
  // nn.LSTM & co. add the batch dim of an unbatched input before calling the op.
  if (in.shape.size() != 3) fail("input must be 3-D, got shape " + shape_str(in.shape));
  const OpArg& list = args.arg("params");
  if (list.kind != OpArg::Kind::List) fail("params must be a list of tensors");
  for (const OpArg& p : list.items) {
    if (!p.is_tensor()) fail("params must contain only tensors");
    c.params.push_back(&p);
  }
  c.has_biases = args.boolean("has_biases");
  c.layers = args.i64("num_layers");
  if (args.boolean("train") && args.f64("dropout") > 0) fail("training-mode dropout between layers is not supported");
  c.bidirectional = args.boolean("bidirectional");
  c.batch_first = args.boolean("batch_first");
  c.directions = c.bidirectional ? 2 : 1;
  const size_t per_cell = c.has_biases ? 4 : 2;
  if (c.layers <= 0 || c.params.size() != per_cell * static_cast<size_t>(c.layers * c.directions))
    fail("expected " + std::to_string(per_cell * static_cast<size_t>(std::max<int64_t>(c.layers, 0) * c.directions)) +
         " parameter tensors for " + std::to_string(c.layers) + " layer(s), got " + std::to_string(c.params.size()) +
         " (projections are not supported)");
  if (is_padded(args)) {
    const TensorMeta& lengths = args.tensor("lengths");
    if (lengths.shape.size() != 1 || !is_integral(lengths.dtype))
      fail("lengths must be a 1-D integer tensor, got " + std::string(dtype_name(lengths.dtype)) + shape_str(lengths.shape));
  }
  const Shape& w_hh = c.params[1]->meta.shape;
  if (w_hh.size() != 2 || w_hh[1].is_symbolic()) fail("w_hh must be a static 2-D tensor, got shape " + shape_str(w_hh));
  c.hidden = w_hh[1].value();
  const Dim gates = w_hh[0];
  if (gates.is_static() && gates.value() != gate_count(cell) * c.hidden)
    fail("w_hh of shape " + shape_str(w_hh) + " does not have " + std::to_string(gate_count(cell)) + " gates of size " +
         std::to_string(c.hidden));
  return c;
}

std::vector<TensorMeta> rnn_meta(const OpArgs& args, Cell cell) {
  const RnnCall c = rnn_call(args, cell);
  const TensorMeta& in = args.tensor("input");
  Shape out = in.shape;
  out.back() = Dim(c.directions * c.hidden);
  const Dim batch = c.batch_first ? in.shape[0] : in.shape[1];
  const Shape state{Dim(c.layers * c.directions), batch, Dim(c.hidden)};
  std::vector<TensorMeta> metas{TensorMeta{in.dtype, out}, TensorMeta{in.dtype, state}};
  if (cell == Cell::Lstm) metas.push_back(TensorMeta{in.dtype, state});
  return metas;
}

template <class T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// One direction of one layer over the whole sequence.
// x: [steps, batch, in] contiguous; writes hidden states into out (stride
// out_row between steps/batch rows, at column offset), updates h (and c).
template <class T>
void run_direction(Cell cell, const T* x, int64_t steps, int64_t batch, int64_t in_size, int64_t hidden, const T* w_ih,
                   const T* w_hh, const T* b_ih, const T* b_hh, bool reverse, T* h, T* c, T* out, int64_t out_row,
                   const int64_t* lengths) {
  const int64_t G = gate_count(cell) * hidden;
  // Input projections for every step at once: [steps*batch, G].
  std::vector<T> xg(static_cast<size_t>(steps * batch * G), T(0));
  gemm_accumulate<T>(steps * batch, G, in_size, {x, in_size, 1}, {w_ih, 1, in_size}, xg.data());
  std::vector<T> hg(static_cast<size_t>(batch * G));
  std::vector<T> h_next(static_cast<size_t>(batch * hidden));
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    std::fill(hg.begin(), hg.end(), T(0));
    gemm_accumulate<T>(batch, G, hidden, {h, hidden, 1}, {w_hh, 1, hidden}, hg.data());
    for (int64_t b = 0; b < batch; ++b) {
      if (lengths != nullptr && t >= lengths[b]) {
        // Past this sequence's end: no step, its state is kept and its output stays 0.
        std::copy(h + b * hidden, h + (b + 1) * hidden, h_next.begin() + b * hidden);
        continue;
      }
      const T* gx = xg.data() + (t * batch + b) * G;
      const T* gh = hg.data() + b * G;
      auto gate = [&](int64_t k, int64_t j, bool with_hidden) {
        T v = gx[k * hidden + j] + (b_ih ? b_ih[k * hidden + j] : T(0));
        if (with_hidden) v += gh[k * hidden + j] + (b_hh ? b_hh[k * hidden + j] : T(0));
        return v;
      };
      for (int64_t j = 0; j < hidden; ++j) {
        T next = T(0);
        switch (cell) {
          case Cell::Lstm: {
            const T i = sigmoid(gate(0, j, true)), f = sigmoid(gate(1, j, true));
            const T g = std::tanh(gate(2, j, true)), o = sigmoid(gate(3, j, true));
            T& cell_state = c[b * hidden + j];
            cell_state = f * cell_state + i * g;
            next = o * std::tanh(cell_state);
            break;
          }
          case Cell::Gru: {
            const T r = sigmoid(gate(0, j, true)), z = sigmoid(gate(1, j, true));
            const T hn = gh[2 * hidden + j] + (b_hh ? b_hh[2 * hidden + j] : T(0));
            const T n = std::tanh(gate(2, j, false) + r * hn);
            next = (T(1) - z) * n + z * h[b * hidden + j];
            break;
          }
          case Cell::RnnTanh: next = std::tanh(gate(0, j, true)); break;
          case Cell::RnnRelu: next = std::max(gate(0, j, true), T(0)); break;
        }
        h_next[static_cast<size_t>(b * hidden + j)] = next;
        out[(t * batch + b) * out_row + j] = next;
      }
    }
    std::copy(h_next.begin(), h_next.end(), h);
  }
}

std::vector<Tensor> rnn_kernel(const OpArgs& args, Cell cell) {
  const RnnCall c = rnn_call(args, cell);
  const std::vector<TensorMeta> metas = rnn_meta(args, cell);
  const Tensor& raw = args.data("input");
  const DType calc = compute_dtype(raw.dtype());
  // Work in [steps, batch, features].
  Tensor x = converted(raw, calc);
  if (c.batch_first) x = gather_strided(x, {x.shape()[1], x.shape()[0], x.shape()[2]},
                                             {x.shape()[2], x.shape()[1] * x.shape()[2], 1}, 0);
  const int64_t steps = x.shape()[0], batch = x.shape()[1];
  const int64_t states = c.layers * c.directions;
  std::vector<int64_t> lengths;
  if (is_padded(args)) {
    const Tensor& l = args.data("lengths");
    if (l.numel() != batch)
      fail("lengths holds " + std::to_string(l.numel()) + " values for a batch of " + std::to_string(batch));
    for (int64_t b = 0; b < batch; ++b) {
      lengths.push_back(l.get_int(b));
      if (lengths.back() < 1 || lengths.back() > steps)
        fail("length " + std::to_string(lengths.back()) + " of sequence " + std::to_string(b) + " is not in [1, " +
             std::to_string(steps) + "]");
    }
  }
  // Initial states: hx is a list (h0, c0) for lstm, a tensor otherwise.
  const OpArg& hx = args.arg("hx");
  std::vector<const OpArg*> initial;
  if (hx.kind == OpArg::Kind::List)
    for (const OpArg& t : hx.items) initial.push_back(&t);
  else
    initial.push_back(&hx);
  if (initial.size() != (cell == Cell::Lstm ? 2u : 1u)) fail("unexpected number of initial state tensors");
  std::vector<Tensor> state;
  for (const OpArg* s : initial) {
    if (!s->is_tensor() || !s->data) fail("initial states must be tensors with data");
    if (s->data->numel() != states * batch * c.hidden)
      fail("initial state of shape " + sizes_str(s->data->shape()) + " does not match [" + std::to_string(states) + ", " +
           std::to_string(batch) + ", " + std::to_string(c.hidden) + "]");
    state.push_back(converted(*s->data, calc).clone());
  }
  std::vector<Tensor> weights;
  for (const OpArg* p : c.params) weights.push_back(converted(*p->data, calc));
  Tensor layer_in = x;
  Tensor layer_out;
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t layer = 0; layer < c.layers; ++layer) {
      const int64_t in_size = layer_in.shape()[2];
      layer_out = Tensor::zeros(calc, {steps, batch, c.directions * c.hidden});
      for (int64_t d = 0; d < c.directions; ++d) {
        const size_t base = static_cast<size_t>((layer * c.directions + d) * (c.has_biases ? 4 : 2));
        const Tensor& w_ih = weights[base];
        if (w_ih.shape().size() != 2 || w_ih.shape()[1] != in_size)
          fail("w_ih of shape " + sizes_str(w_ih.shape()) + " does not take inputs of size " + std::to_string(in_size));
        const int64_t slot = layer * c.directions + d;
        T* h = state[0].mutable_data<T>() + slot * batch * c.hidden;
        T* cs = cell == Cell::Lstm ? state[1].mutable_data<T>() + slot * batch * c.hidden : nullptr;
        run_direction<T>(cell, layer_in.data<T>(), steps, batch, in_size, c.hidden, w_ih.data<T>(), weights[base + 1].data<T>(),
                         c.has_biases ? weights[base + 2].data<T>() : nullptr, c.has_biases ? weights[base + 3].data<T>() : nullptr,
                         d == 1, h, cs, layer_out.mutable_data<T>() + d * c.hidden, c.directions * c.hidden,
                         lengths.empty() ? nullptr : lengths.data());
      }
      layer_in = layer_out;
    }
  });
  Tensor out = layer_out;
  if (c.batch_first)
    out = gather_strided(out, {batch, steps, out.shape()[2]}, {out.shape()[2], batch * out.shape()[2], 1}, 0);
  std::vector<Tensor> result{finish(out.reshaped(concrete(metas[0].shape)), raw.dtype())};
  for (size_t i = 0; i < state.size(); ++i) result.push_back(finish(state[i].reshaped(concrete(metas[i + 1].shape)), raw.dtype()));
  return result;
}

// ---------------------------------------------------------------- one step: the *_cell ops
//
// nn.RNNCell / LSTMCell / GRUCell call one step of a layer (a 1-D input gets
// its batch dim before the call):
//   rnn_tanh_cell / rnn_relu_cell / gru_cell(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh,
//                                            Tensor? b_ih=None, Tensor? b_hh=None) -> Tensor
//   lstm_cell(Tensor input, Tensor[] hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None,
//             Tensor? b_hh=None) -> (Tensor, Tensor)
// The kernel is run_direction over a sequence of one step.

// The cell's hidden size, checked against input [batch, in], the weights and hx.
int64_t cell_hidden(const OpArgs& a, Cell cell, const std::vector<const TensorMeta*>& states) {
  const TensorMeta& in = a.tensor("input");
  if (in.shape.size() != 2) fail("input must be 2-D [batch, input_size], got shape " + shape_str(in.shape));
  const TensorMeta& w_ih = a.tensor("w_ih");
  const TensorMeta& w_hh = a.tensor("w_hh");
  if (w_hh.shape.size() != 2 || w_hh.shape[1].is_symbolic())
    fail("w_hh must be a static 2-D tensor, got shape " + shape_str(w_hh.shape));
  const int64_t hidden = w_hh.shape[1].value();
  const Dim gates(gate_count(cell) * hidden);
  if (!(w_hh.shape[0] == gates) || w_ih.shape.size() != 2 || !(w_ih.shape[0] == gates) ||
      (w_ih.shape[1].is_static() && in.shape[1].is_static() && w_ih.shape[1].value() != in.shape[1].value()))
    fail("weights of shapes " + shape_str(w_ih.shape) + " and " + shape_str(w_hh.shape) + " do not make " +
         std::to_string(gate_count(cell)) + " gates of size " + std::to_string(hidden) + " from inputs of shape " +
         shape_str(in.shape));
  for (const char* name : {"b_ih", "b_hh"})
    if (const OpArg* b = a.optional_tensor(name); b != nullptr && !(b->meta.shape == Shape{gates}))
      fail(std::string(name) + " must have shape " + shape_str(Shape{gates}) + ", got " + shape_str(b->meta.shape));
  for (const TensorMeta* s : states) {
    const bool fits = s->shape.size() == 2 && s->shape[1] == Dim(hidden) &&
                      (s->shape[0] == in.shape[0] || s->shape[0].is_symbolic() || in.shape[0].is_symbolic());
    if (!fits)
      fail("hx of shape " + shape_str(s->shape) + " does not match [" + in.shape[0].str() + ", " +
           std::to_string(hidden) + "]");
  }
  return hidden;
}

// hx: one tensor, or lstm_cell's list (h, c).
std::vector<const OpArg*> cell_states(const OpArgs& a, Cell cell) {
  const OpArg& hx = a.arg("hx");
  std::vector<const OpArg*> states;
  if (hx.kind == OpArg::Kind::List) {
    for (const OpArg& t : hx.items) states.push_back(&t);
  } else {
    states.push_back(&hx);
  }
  const size_t want = cell == Cell::Lstm ? 2 : 1;
  if (states.size() != want) fail("hx must hold " + std::to_string(want) + " tensor(s), got " + std::to_string(states.size()));
  for (const OpArg* s : states)
    if (!s->is_tensor()) fail("hx must hold tensors");
  return states;
}

std::vector<TensorMeta> cell_meta(const OpArgs& a, Cell cell) {
  std::vector<const TensorMeta*> metas;
  for (const OpArg* s : cell_states(a, cell)) metas.push_back(&s->meta);
  const int64_t hidden = cell_hidden(a, cell, metas);
  const TensorMeta& in = a.tensor("input");
  const TensorMeta out{in.dtype, Shape{in.shape[0], Dim(hidden)}};
  return cell == Cell::Lstm ? std::vector<TensorMeta>{out, out} : std::vector<TensorMeta>{out};
}

std::vector<Tensor> cell_kernel(const OpArgs& a, Cell cell) {
  const std::vector<TensorMeta> metas = cell_meta(a, cell);
  const Tensor& raw = a.data("input");
  const DType calc = compute_dtype(raw.dtype());
  const Tensor x = converted(raw, calc);
  const int64_t batch = x.shape()[0], in_size = x.shape()[1];
  const int64_t hidden = metas[0].shape[1].value();
  std::vector<Tensor> state;
  for (const OpArg* s : cell_states(a, cell)) {
    if (!s->data) fail("hx must be tensors with data");
    state.push_back(converted(*s->data, calc).clone());
  }
  const Tensor w_ih = converted(a.data("w_ih"), calc), w_hh = converted(a.data("w_hh"), calc);
  const Tensor b_ih = a.has("b_ih") ? converted(a.data("b_ih"), calc) : Tensor{};
  const Tensor b_hh = a.has("b_hh") ? converted(a.data("b_hh"), calc) : Tensor{};
  Tensor out = Tensor::zeros(calc, {batch, hidden});
  visit_floating(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_direction<T>(cell, x.data<T>(), 1, batch, in_size, hidden, w_ih.data<T>(), w_hh.data<T>(),
                     a.has("b_ih") ? b_ih.data<T>() : nullptr, a.has("b_hh") ? b_hh.data<T>() : nullptr, false,
                     state[0].mutable_data<T>(), cell == Cell::Lstm ? state[1].mutable_data<T>() : nullptr,
                     out.mutable_data<T>(), hidden, nullptr);
  });
  std::vector<Tensor> result{finish(std::move(out), raw.dtype())};
  if (cell == Cell::Lstm) result.push_back(finish(std::move(state[1]), raw.dtype()));
  return result;
}

void register_recurrent_cells(OpLibrary& lib) {
  for (auto [name, cell] : {std::pair{"aten::lstm_cell", Cell::Lstm}, std::pair{"aten::gru_cell", Cell::Gru},
                            std::pair{"aten::rnn_tanh_cell", Cell::RnnTanh},
                            std::pair{"aten::rnn_relu_cell", Cell::RnnRelu}}) {
    define_by_schema(
        lib, name, "recurrent", [cell = cell](const OpArgs& a) { return cell_meta(a, cell); },
        [cell = cell](const OpArgs& a) { return cell_kernel(a, cell); });
  }
}

}  // namespace

void register_recurrent_ops(OpLibrary& lib) {
  register_recurrent_cells(lib);
  for (auto [name, cell] : {std::pair{"aten::lstm", Cell::Lstm}, std::pair{"aten::gru", Cell::Gru},
                            std::pair{"aten::rnn_tanh", Cell::RnnTanh}, std::pair{"aten::rnn_relu", Cell::RnnRelu}}) {
    define_by_schema(
        lib, name, "recurrent", [cell = cell](const OpArgs& args) { return rnn_meta(args, cell); },
        [cell = cell](const OpArgs& args) { return rnn_kernel(args, cell); });
  }
  for (auto [name, cell] : {std::pair{"onnxport::padded_lstm", Cell::Lstm}, std::pair{"onnxport::padded_gru", Cell::Gru},
                            std::pair{"onnxport::padded_rnn_tanh", Cell::RnnTanh},
                            std::pair{"onnxport::padded_rnn_relu", Cell::RnnRelu}}) {
    define_by_schema(
        lib, name, "recurrent", [cell = cell](const OpArgs& args) { return rnn_meta(args, cell); },
        [cell = cell](const OpArgs& args) { return rnn_kernel(args, cell); });
  }
}

}  // namespace onnxport::ops
