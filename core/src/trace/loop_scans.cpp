// Tracer: per-iteration values of a rewritten loop (cond-rewrite).
//
// `outs.append(h)` inside a loop on tensor data (or over a dynamic dim)
// appends once per iteration to a list created before the loop. The body
// cannot mutate the list, so the append becomes a scan output of the ONNX
// Loop: the values of every iteration stacked along a new first dim. After the
// loop the list is a *stacked list*: the items it held before, then that
// stacked tensor. torch.stack / torch.cat / len / indexing with a constant
// read it; anything else is an error naming the loop.
#include "tracer.hpp"

#include "control_util.hpp"

namespace onnxport::trace {

namespace {

int64_t normalize_dim(int64_t dim, int64_t rank) { return dim < 0 ? dim + rank : dim; }

}  // namespace

bool Tracer::record_scan_append(const ProgramNode& n, const EValue& list, const EValue& item) {
  if (frames_.empty() || !frames_.back().loop_body || list.list_depth != rewrite_depth_ - 1) return false;
  if (!item.is_tensor())
    fail("unsupported-loop", "the loop at " + line_of(n) + " appends a " + describe(item) +
                                 " to a list created before it; a rewritten loop can collect tensors only");
  auto& scans = frames_.back().scans;
  for (const auto& s : scans)
    if (s.list == list.items)
      fail("unsupported-loop", "the loop at " + line_of(n) + quoted_source(n) +
                                   " appends to the same list twice per iteration; a rewritten loop collects one value "
                                   "per iteration and list",
           "Append a tuple's worth of values to separate lists, or use `draft`.");
  scans.push_back(ScanAppend{list.items, item});
  return true;
}

const Tracer::StackedList* Tracer::stacked(const EValue& v) const {
  if (v.kind != EValue::Kind::List || !v.items) return nullptr;
  auto it = stacked_lists_.find(v.items.get());
  return it == stacked_lists_.end() ? nullptr : &it->second;
}

void Tracer::fail_stacked_use(const StackedList& s, const std::string& what) const {
  fail("unsupported-loop", what + ": the list holds the per-iteration values of the loop at " + s.loop_line +
                               ", whose count is known only at run time; only torch.stack, torch.cat, len() and "
                               "indexing with a constant can read it",
       "Stack the list right after the loop (torch.stack(outs)), or use `draft`, which unrolls the loop.");
}

// The list's items stacked along a new dim 0: [prefix items..., scanned...].
EValue Tracer::stacked_items(const ProgramNode& n, const EValue& list) {
  const StackedList& s = *stacked(list);
  if (list.items->empty()) return s.scanned;
  EValue prefix = call_tensor_op(n, "aten::stack", {EValue::list(*list.items, rewrite_depth_), EValue::of_constant(0)})[0];
  EList parts{prefix, s.scanned};
  return call_tensor_op(n, "aten::cat", {EValue::list(std::move(parts), rewrite_depth_), EValue::of_constant(0)})[0];
}

// A permutation moving dim 0 of a rank-`rank` tensor to `to`.
static nlohmann::json move_first_dim_perm(int64_t rank, int64_t to) {
  nlohmann::json perm = nlohmann::json::array();
  for (int64_t d = 1; d <= to; ++d) perm.push_back(d);
  perm.push_back(0);
  for (int64_t d = to + 1; d < rank; ++d) perm.push_back(d);
  return perm;
}

void Tracer::on_stack_or_cat(const ProgramNode& n) {
  const EValue& list = in(n, 0);
  if (stacked(list) == nullptr) {
    on_tensor_op(n);
    return;
  }
  const EValue dim_arg = n.inputs.size() > 1 ? in(n, 1) : EValue::of_constant(0);
  if (!dim_arg.is_constant() || !dim_arg.constant.is_number_integer())
    fail_stacked_use(*stacked(list), n.kind + " with a non-constant dim");
  EValue all = stacked_items(n, list);  // [count, item dims...]
  const int64_t item_rank = static_cast<int64_t>(all.tensor->shape.size()) - 1;
  const bool stack = n.kind == "aten::stack";
  const int64_t dim = normalize_dim(dim_arg.constant.get<int64_t>(), stack ? item_rank + 1 : item_rank);
  if (dim < 0 || dim > (stack ? item_rank : item_rank - 1))
    fail("op-error", n.kind + ": dim " + dim_arg.constant.dump() + " out of range for items of rank " + std::to_string(item_rank));
  if (dim != 0)
    all = call_tensor_op(n, "aten::permute", {all, EValue::of_constant(move_first_dim_perm(item_rank + 1, dim))})[0];
  if (!stack)
    all = call_tensor_op(n, "aten::flatten", {all, EValue::of_constant(dim), EValue::of_constant(dim + 1)})[0];
  bind_outputs(n, {all});
}

EValue Tracer::stacked_len(const EValue& list) {
  EValue count = sym_size(*stacked(list)->scanned.tensor, 0);
  if (list.items->empty()) return count;
  return sym_arith("aten::add", count, EValue::of_constant(static_cast<int64_t>(list.items->size())));
}

EValue Tracer::stacked_getitem(const ProgramNode& n, const EValue& list, const EValue& key) {
  if (!key.is_constant() || !key.constant.is_number_integer()) fail_stacked_use(*stacked(list), "indexing with " + describe(key));
  const int64_t i = key.constant.get<int64_t>();
  const int64_t prefix = static_cast<int64_t>(list.items->size());
  if (i >= 0 && i < prefix) return (*list.items)[static_cast<size_t>(i)];
  const EValue& scanned = stacked(list)->scanned;
  const int64_t index = i >= 0 ? i - prefix : i;  // negative: from the end, which the scan holds
  return call_tensor_op(n, "aten::select", {scanned, EValue::of_constant(0), EValue::of_constant(index)})[0];
}

}  // namespace onnxport::trace
