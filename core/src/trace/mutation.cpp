// Tracer: functionalization of in-place updates.
//
// An in-place op computes its out-of-place value, then every name of the
// mutated tensor is rebound to the result. When the mutated tensor is a view
// (x[:2, :3], x[0], x.view(-1)), the update is written back into the tensor it
// views, recursively, with ops the translators know (slice + cat, reshape_as,
// transpose), so `x[:2, :3] = 1` changes x as it does in eager PyTorch. A
// mutated buffer or user input is remembered: its final value becomes an
// extra graph output named `<name>.updated` (set_graph_outputs).
#include "tracer.hpp"

#include "control_util.hpp"
#include "scalar_ops.hpp"

#include <algorithm>
#include <limits>

namespace onnxport::trace {

namespace {

// Ops whose result shares storage with their first argument and whose update
// the engine can write back.
bool is_tracked_view(const std::string& kind) {
  static const std::set<std::string> kinds = {
      "aten::slice",   "aten::select",   "aten::view",       "aten::reshape", "aten::flatten",
      "aten::unsqueeze", "aten::squeeze", "aten::view_as",   "aten::reshape_as", "aten::detach",
      "aten::contiguous", "aten::alias",  "aten::transpose", "aten::swapaxes", "aten::t",
      "aten::permute", "aten::narrow"};
  return kinds.count(kind) > 0;
}

bool is_const_int(const EValue& v, int64_t value) {
  return v.is_constant() && v.constant.is_number_integer() && v.constant.get<int64_t>() == value;
}

bool is_open_end(const EValue& v) {
  return v.is_none() || (v.is_constant() && v.constant.is_number_integer() &&
                         v.constant.get<int64_t>() >= std::numeric_limits<int32_t>::max());
}

}  // namespace

void Tracer::record_view(const std::string& kind, const std::vector<EValue>& args, const std::vector<EValue>& outs) {
  if (!is_tracked_view(kind) || outs.size() != 1 || !outs[0].is_tensor() || args.empty() || !args[0].is_tensor())
    return;
  views_[outs[0].tensor->id] = ViewInfo{args[0].tensor->id, kind, args};
}

EValue Tracer::current_value(ValueId id, const EValue& fallback) const {
  EValue v = fallback;
  for (auto it = superseded_.find(id); it != superseded_.end(); it = superseded_.find(v.tensor->id)) v = it->second;
  return v;
}

// The in-place op's out-of-place value, in the mutated tensor's dtype.
EValue Tracer::updated_value(const ProgramNode& n, const std::vector<EValue>& args) {
  const FakeTensor& self = *args[0].tensor;
  EValue result;
  if (n.kind == "aten::copy_") {
    result = copy_value(n, args);
  } else if (n.kind == "aten::index_put_") {
    result = index_put_value(n, args);
  } else {
    const std::string base_kind = n.kind.substr(0, n.kind.size() - 1);
    std::vector<EValue> outs = call_tensor_op(n, base_kind, args);
    if (outs.size() != 1) fail("internal", base_kind + " returned " + std::to_string(outs.size()) + " tensors");
    result = outs[0];
  }
  if (result.tensor->shape.size() != self.shape.size())
    fail("op-error", n.kind + " would change the shape of its argument from " + shape_str(self.shape) + " to " +
                         shape_str(result.tensor->shape));
  if (result.tensor->dtype != self.dtype) {
    // In-place ops keep the mutated tensor's dtype (x.add_(0.5) on an int tensor stays int).
    result = call_tensor_op(n, "aten::to", {result, EValue::of_constant(dtype_to_torch_code(self.dtype))})[0];
  }
  return result;
}

// self.copy_(src): src in self's dtype, broadcast to self's shape.
EValue Tracer::copy_value(const ProgramNode& n, const std::vector<EValue>& args) {
  if (args.size() < 2 || !args[1].is_tensor())
    fail("bad-argument", "aten::copy_ copies from a tensor (got " + (args.size() < 2 ? std::string("nothing") : describe(args[1])) + ")");
  EValue src = args[1];
  if (src.tensor->dtype != args[0].tensor->dtype)
    src = call_tensor_op(n, "aten::to", {src, EValue::of_constant(dtype_to_torch_code(args[0].tensor->dtype))})[0];
  return call_tensor_op(n, "aten::expand_as", {src, args[0]})[0];
}

// x[mask] = v (aten::index_put_ with one boolean index, after leading `:`s):
// where(mask, v, x), the mask shaped to broadcast against x. Integer index
// tensors and a v with one value per selected element are not supported.
EValue Tracer::index_put_value(const ProgramNode& n, const std::vector<EValue>& args) {
  if (args.size() < 3 || !args[1].is_sequence())
    fail("bad-argument", "aten::index_put_ takes (self, indices, values, accumulate)");
  const FakeTensor& self = *args[0].tensor;
  const EList& indices = *args[1].items;
  size_t leading = 0;
  while (leading < indices.size() && indices[leading].is_none()) ++leading;
  const bool one_mask = leading + 1 == indices.size() && indices[leading].is_tensor() &&
                        (indices[leading].tensor->dtype == DType::Bool || indices[leading].tensor->dtype == DType::UInt8);
  if (!one_mask)
    fail("unsupported-mutation",
         "aten::index_put_ at " + line_of(n) + ": only an assignment through one boolean mask (x[mask] = v, x[:, mask] = v) "
         "is functionalized; integer index tensors are not supported",
         "Write it out of place, e.g. with torch.where or torch.scatter.");
  EValue mask = indices[leading];
  if (mask.tensor->dtype != DType::Bool)
    mask = call_tensor_op(n, "aten::to", {mask, EValue::of_constant(dtype_to_torch_code(DType::Bool))})[0];
  const size_t mask_rank = mask.tensor->shape.size();
  if (leading + mask_rank > self.shape.size())
    fail("op-error", "aten::index_put_: a mask of rank " + std::to_string(mask_rank) + " after " + std::to_string(leading) +
                         " full slices does not fit a tensor of rank " + std::to_string(self.shape.size()));
  for (size_t i = 0; i < leading; ++i) mask = call_tensor_op(n, "aten::unsqueeze", {mask, EValue::of_constant(0)})[0];
  while (mask.tensor->shape.size() < self.shape.size())
    mask = call_tensor_op(n, "aten::unsqueeze", {mask, EValue::of_constant(-1)})[0];
  const EValue& values = args[2];
  const Dim count = values.is_tensor() ? shape_numel(values.tensor->shape) : Dim(1);
  if (!values.is_tensor() || !count.is_static() || count.value() != 1)
    fail("unsupported-mutation",
         "aten::index_put_ at " + line_of(n) + ": x[mask] = v is functionalized for one value v, not one value per "
         "selected element (v has shape " + (values.is_tensor() ? shape_str(values.tensor->shape) : describe(values)) + ")",
         "Use torch.where(mask, v, x) with v shaped like x.");
  EValue v = values;
  if (v.tensor->shape.size() > 0) v = call_tensor_op(n, "aten::reshape", {v, EValue::of_constant(nlohmann::json::array())})[0];
  const bool accumulate = args.size() > 3 && args[3].is_constant() && args[3].constant.is_boolean() && args[3].constant.get<bool>();
  if (accumulate) v = call_tensor_op(n, "aten::add", {args[0], v})[0];
  return call_tensor_op(n, "aten::where", {mask, v, args[0]})[0];
}

// The tensor a view was taken from, with `new_view` written into it.
EValue Tracer::write_back(const ProgramNode& n, const ViewInfo& view, const EValue& base, const EValue& new_view) {
  const std::vector<EValue>& a = view.args;
  auto op = [&](const std::string& kind, std::vector<EValue> args) { return call_tensor_op(n, kind, std::move(args))[0]; };
  const EValue none = EValue::none();
  if (view.kind == "aten::slice" || view.kind == "aten::narrow" || view.kind == "aten::select") {
    const EValue dim = a.size() > 1 ? a[1] : EValue::of_constant(0);
    EValue start, end, piece = new_view;
    if (view.kind == "aten::slice") {
      start = a.size() > 2 ? a[2] : none;
      end = a.size() > 3 ? a[3] : none;
      if (a.size() > 4 && !a[4].is_none() && !is_const_int(a[4], 1))
        fail("unsupported-mutation", "an in-place update of a strided slice (step " + python_str(*as_constant_json(a[4])) +
                                         ") at " + line_of(n) + " is not supported");
    } else if (view.kind == "aten::narrow") {
      if (!a.at(2).is_constant() || !a.at(3).is_constant())
        fail("unsupported-mutation", "an in-place update of a narrow() with a symbolic start or length at " + line_of(n) +
                                         " is not supported");
      start = a[2];
      end = EValue::of_constant(a[2].constant.get<int64_t>() + a[3].constant.get<int64_t>());
    } else {
      if (!a.at(2).is_constant() || !a.at(2).constant.is_number_integer())
        fail("unsupported-mutation", "an in-place update of x[i] with a symbolic index i at " + line_of(n) + " is not supported");
      const int64_t i = a[2].constant.get<int64_t>();
      start = EValue::of_constant(i);
      end = i == -1 ? none : EValue::of_constant(i + 1);
      piece = op("aten::unsqueeze", {new_view, dim});
    }
    EList parts;
    if (!start.is_none() && !is_const_int(start, 0)) parts.push_back(op("aten::slice", {base, dim, none, start, EValue::of_constant(1)}));
    parts.push_back(piece);
    if (!is_open_end(end)) parts.push_back(op("aten::slice", {base, dim, end, none, EValue::of_constant(1)}));
    if (parts.size() == 1) return op("aten::reshape_as", {piece, base});
    return op("aten::cat", {EValue::list(std::move(parts), rewrite_depth_), dim});
  }
  if (view.kind == "aten::transpose" || view.kind == "aten::swapaxes") return op("aten::transpose", {new_view, a.at(1), a.at(2)});
  if (view.kind == "aten::t") return op("aten::t", {new_view});
  if (view.kind == "aten::permute") {
    const auto dims = as_constant_json(a.at(1));
    if (!dims || !dims->is_array()) fail("unsupported-mutation", "an in-place update of a permute with symbolic dims is not supported");
    const int64_t rank = static_cast<int64_t>(dims->size());
    nlohmann::json inverse = nlohmann::json::array();
    for (int64_t i = 0; i < rank; ++i) inverse.push_back(0);
    for (int64_t i = 0; i < rank; ++i) {
      int64_t d = (*dims)[static_cast<size_t>(i)].get<int64_t>();
      if (d < 0) d += rank;
      inverse[static_cast<size_t>(d)] = i;
    }
    return op("aten::permute", {new_view, EValue::of_constant(inverse)});
  }
  // Views that keep the elements in row-major order: view, reshape, flatten, (un)squeeze, detach, ...
  return op("aten::reshape_as", {new_view, base});
}

// After a rewritten cond: a tensor mutated in a branch now means the cond's
// output, for the input it is and for views taken of it before.
void Tracer::note_merged_mutation(const FakeTensor& old, const EValue& merged) {
  superseded_[old.id] = merged;
  auto input = input_of_.find(old.id);
  if (input == input_of_.end()) return;
  const std::string name = input->second;
  input_of_[merged.tensor->id] = name;
  note_mutated(mutated_inputs_, name, SourceLoc{});
  input_values_[name] = merged;
}

void Tracer::note_mutated(std::vector<std::string>& order, const std::string& name, const SourceLoc& where) {
  if (std::find(order.begin(), order.end(), name) != order.end()) return;
  order.push_back(name);
  mutation_sites_.emplace(name, where);
}

// Makes `result` the new value of the mutated tensor `self`: its names, the
// buffer or input it is, and (through views) the tensors it views.
void Tracer::commit_mutation(const ProgramNode& n, const FakeTensor& self, EValue result) {
  if (!self.buffer.empty()) {
    result.tensor->buffer = self.buffer;
    note_mutated(mutated_buffers_, self.buffer, n.source);
    buffers_.set(self.buffer, result);
  }
  if (auto input = input_of_.find(self.id); input != input_of_.end()) {
    const std::string name = input->second;
    input_of_[result.tensor->id] = name;
    note_mutated(mutated_inputs_, name, n.source);
    input_values_[name] = result;
  }
  superseded_[self.id] = result;
  rebind_mutated(self.id, result);
  auto view = views_.find(self.id);
  if (view == views_.end()) return;
  const ViewInfo info = view->second;
  const EValue& recorded_base = info.args[0];
  const EValue base = current_value(info.base, recorded_base);
  if (rewrite_depth_ > 0 && !base.tensor->buffer.empty())
    fail("unsupported-mutation", n.kind + " at " + line_of(n) + " updates buffer `" + base.tensor->buffer +
                                     "` through a view inside a data-dependent branch; a rewritten branch cannot update a buffer");
  EValue new_base = write_back(n, info, base, result);
  if (new_base.tensor->dtype != base.tensor->dtype)
    new_base = call_tensor_op(n, "aten::to", {new_base, EValue::of_constant(dtype_to_torch_code(base.tensor->dtype))})[0];
  const FakeTensor base_tensor = *base.tensor;
  commit_mutation(n, base_tensor, new_base);
}

}  // namespace onnxport::trace
