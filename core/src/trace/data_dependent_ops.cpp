// Tracer: ops whose output size depends on tensor data. nonzero() gets a fresh
// unbacked size symbol (u0, u1, ...), as torch.export gives it; a boolean mask
// index (x[mask], x[:, mask]) and masked_select are rewritten into nonzero and
// an integer index, so the size stays symbolic and later tensor ops keep it.
// (Concrete mode computes the indices from the example data.)
#include "tracer.hpp"

#include "control_util.hpp"

#include <algorithm>

namespace onnxport::trace {

namespace {

bool is_mask(const EValue& v) {
  return v.is_tensor() && (v.tensor->dtype == DType::Bool || v.tensor->dtype == DType::UInt8);
}

// Row-major positions of the non-zero elements of `t`, as a [count, rank] int64 tensor.
Tensor nonzero_indices(const Tensor& t) {
  const std::vector<int64_t>& shape = t.shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> out;
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  const int64_t total = t.numel();
  for (int64_t flat = 0; flat < total; ++flat) {
    if (t.get_double(flat) != 0.0) out.insert(out.end(), index.begin(), index.end());
    for (int64_t d = rank - 1; d >= 0; --d) {  // next row-major index
      if (++index[static_cast<size_t>(d)] < shape[static_cast<size_t>(d)]) break;
      index[static_cast<size_t>(d)] = 0;
    }
  }
  const int64_t count = rank == 0 ? (total == 1 && t.get_double(0) != 0.0 ? 1 : 0) : static_cast<int64_t>(out.size()) / rank;
  return Tensor::from_vector(DType::Int64, {count, rank}, out);
}

}  // namespace

EValue Tracer::nonzero_value(const EValue& x) {
  const std::string u = "u" + std::to_string(unbacked_++);
  const int64_t rank = static_cast<int64_t>(x.tensor->shape.size());
  Shape shape{Dim::symbol(u), Dim(rank)};
  const ValueId id = new_value("nonzero", DType::Int64, shape);
  Node node;
  node.op = "aten::nonzero";
  node.inputs = {Arg::of(x.tensor->id)};
  node.outputs = {id};
  node.prov = provenance();
  emit(std::move(node));
  FakeTensor t{id, DType::Int64, shape, std::nullopt, {}};
  if (concrete() && x.tensor->data) {
    t.data = nonzero_indices(*x.tensor->data);  // the shape stays symbolic: the count is data, not a guard
  }
  return EValue::of_tensor(std::move(t));
}

void Tracer::on_nonzero(const ProgramNode& n) {
  const EValue& x = in(n, 0);
  if (!x.is_tensor()) fail("bad-argument", "aten::nonzero needs a tensor, got a " + describe(x));
  bind_outputs(n, {nonzero_value(x)});
}

// x[mask] with `leading` full slices before the mask: flatten the masked dims,
// take the positions of the mask's true elements, and gather them.
EValue Tracer::mask_index(const ProgramNode& n, const EValue& x, size_t leading, const EValue& mask) {
  auto op = [&](const std::string& kind, std::vector<EValue> args) { return call_tensor_op(n, kind, std::move(args))[0]; };
  const int64_t k = static_cast<int64_t>(mask.tensor->shape.size());
  const int64_t p = static_cast<int64_t>(leading);
  if (k == 0 || p + k > static_cast<int64_t>(x.tensor->shape.size()))
    fail("op-error", n.kind + ": a mask of rank " + std::to_string(k) + " after " + std::to_string(p) +
                         " full slices does not fit a tensor of shape " + shape_str(x.tensor->shape));
  EValue flat_x = k == 1 ? x : op("aten::flatten", {x, EValue::of_constant(p), EValue::of_constant(p + k - 1)});
  EValue flat_mask = k == 1 ? mask : op("aten::reshape", {mask, EValue::of_constant(nlohmann::json::array({-1}))});
  const EValue positions = op("aten::select", {nonzero_value(flat_mask), EValue::of_constant(1), EValue::of_constant(0)});
  EList indices(leading, EValue::none());
  indices.push_back(positions);
  return op("aten::index", {flat_x, EValue::list(std::move(indices), rewrite_depth_)});
}

void Tracer::on_index(const ProgramNode& n) {
  const std::vector<EValue> args = inputs_of(n);
  if (args.size() < 2 || !args[0].is_tensor() || !args[1].is_sequence() ||
      std::none_of(args[1].items->begin(), args[1].items->end(), is_mask)) {
    on_tensor_op(n);
    return;
  }
  const EList& indices = *args[1].items;
  size_t leading = 0;
  while (leading < indices.size() && indices[leading].is_none()) ++leading;
  if (leading + 1 != indices.size() || !is_mask(indices[leading]))
    fail("unsupported-op", "aten::index at " + line_of(n) + ": a boolean mask is supported alone or after full slices "
                           "(x[mask], x[:, mask]), not mixed with other indices");
  bind_outputs(n, {mask_index(n, args[0], leading, indices[leading])});
}

void Tracer::on_masked_select(const ProgramNode& n) {
  const EValue& x = in(n, 0);
  EValue mask = in(n, 1);
  if (!x.is_tensor() || !is_mask(mask)) fail("bad-argument", "aten::masked_select takes a tensor and a boolean mask");
  EValue flat_x = call_tensor_op(n, "aten::reshape", {x, EValue::of_constant(nlohmann::json::array({-1}))})[0];
  if (mask.tensor->shape != x.tensor->shape) mask = call_tensor_op(n, "aten::expand_as", {mask, x})[0];
  EValue flat_mask = call_tensor_op(n, "aten::reshape", {mask, EValue::of_constant(nlohmann::json::array({-1}))})[0];
  bind_outputs(n, {mask_index(n, flat_x, 0, flat_mask)});
}

}  // namespace onnxport::trace
