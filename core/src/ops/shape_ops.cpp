// Shape ops: view/reshape (with -1 and symbolic sizes), flatten/unflatten,
// squeeze/unsqueeze, transpose/t/permute, expand, repeat, cat/stack,
// split/chunk/unbind, flip/roll, identity-like ops (contiguous, clone, detach, dropout
// in eval mode), dtype conversions (to, type_as) and padding.
//
// Metas do the symbolic shape arithmetic; kernels either share storage
// (views of contiguous data) or gather through strides.
#include "op_support.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace onnxport::ops {
namespace {

// ---------------------------------------------------------------- symbolic products

// A product of dims split into a static factor and symbolic factors, so
// that view([batch, 3, 4] -> [batch, -1]) cancels `batch` and infers 12.
struct Factors {
  int64_t fixed = 1;
  std::multiset<std::string> symbols;
};

// Splits "(A*B)" at its top-level operator; nullopt when it is not a product.
std::optional<std::pair<std::string, std::string>> split_product(const std::string& e) {
  if (e.size() < 5 || e.front() != '(' || e.back() != ')') return std::nullopt;
  int depth = 0;
  for (size_t i = 1; i + 1 < e.size(); ++i) {
    const char c = e[i];
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (depth == 0 && std::string_view("+-*/%").find(c) != std::string_view::npos) {
      if (c != '*' || (i + 1 < e.size() && e[i + 1] == '*')) return std::nullopt;  // not a plain product
      return std::make_pair(e.substr(1, i - 1), e.substr(i + 1, e.size() - i - 2));
    }
  }
  return std::nullopt;
}

void add_factor(Factors& f, const std::string& expr) {
  if (auto parts = split_product(expr)) {
    add_factor(f, parts->first);
    add_factor(f, parts->second);
    return;
  }
  const bool is_int = !expr.empty() && expr.find_first_not_of("0123456789", expr[0] == '-' ? 1 : 0) == std::string::npos &&
                      expr != "-";
  if (is_int) f.fixed *= std::stoll(expr);
  else f.symbols.insert(expr);
}

Factors factors_of(const Shape& shape) {
  Factors f;
  for (const Dim& d : shape) {
    if (d.is_static()) f.fixed *= d.value();
    else add_factor(f, d.expr());
  }
  return f;
}

Dim product_dim(int64_t fixed, const std::multiset<std::string>& symbols) {
  Dim out(1);
  for (const std::string& s : symbols) out = dim_mul(out, Dim::symbol(s));
  return dim_mul(out, Dim(fixed));
}

// Removes the symbols both products share.
void cancel_common(Factors& a, Factors& b) {
  for (auto it = b.symbols.begin(); it != b.symbols.end();) {
    auto match = a.symbols.find(*it);
    if (match == a.symbols.end()) {
      ++it;
      continue;
    }
    a.symbols.erase(match);
    it = b.symbols.erase(it);
  }
}

// ---------------------------------------------------------------- view / reshape

// Target shape of view/reshape: one -1 is inferred from the element count.
Shape infer_view_shape(const Shape& input, const std::vector<Dim>& requested) {
  std::optional<size_t> infer_at;
  Shape known;
  for (size_t i = 0; i < requested.size(); ++i) {
    const Dim& d = requested[i];
    if (d.is_static() && d.value() == -1) {
      if (infer_at) fail("only one dimension can be inferred (-1) in shape " + shape_str(requested));
      infer_at = i;
    } else if (d.is_static() && d.value() < 0) {
      fail("invalid size " + d.str() + " in shape " + shape_str(requested));
    } else {
      known.push_back(d);
    }
  }
  Factors in = factors_of(input), target = factors_of(known);
  cancel_common(in, target);
  const std::string mismatch =
      "shape " + shape_str(requested) + " is invalid for input of shape " + shape_str(input) + " (" +
      shape_numel(input).str() + " elements)";
  Shape out(requested.begin(), requested.end());
  if (!infer_at) {
    const bool fully_known = in.symbols.empty() && target.symbols.empty();
    if (fully_known && in.fixed != target.fixed) fail(mismatch);
    return out;
  }
  if (target.symbols.empty()) {
    if (target.fixed == 0) fail(mismatch + ": cannot infer -1 when other sizes are 0");
    if (in.fixed % target.fixed != 0) {
      if (in.symbols.empty()) fail(mismatch);
      out[*infer_at] = dim_floordiv(product_dim(in.fixed, in.symbols), Dim(target.fixed));
    } else {
      out[*infer_at] = product_dim(in.fixed / target.fixed, in.symbols);
    }
  } else {
    out[*infer_at] = dim_floordiv(product_dim(in.fixed, in.symbols), product_dim(target.fixed, target.symbols));
  }
  return out;
}

// The one of `names` that the bound overload's schema has: overloads (and
// ops sharing a meta function) name the same argument differently.
std::string_view named_in(const OpArgs& args, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names)
    if (args.schema().argument_index(name)) return name;
  fail("the schema " + args.schema().text + " has none of the arguments this op reads");
}

// view(Tensor self, SymInt[] size) / reshape(self, SymInt[] shape) / _reshape_alias(self, SymInt[] size, SymInt[] stride)
TensorMeta view_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  return TensorMeta{in.dtype, infer_view_shape(in.shape, args.dims(named_in(args, {"size", "shape"})))};
}

// A contiguous tensor's data seen with a new shape (shares storage).
std::vector<Tensor> reshape_to(const Tensor& t, const Shape& shape) { return {t.reshaped(concrete(shape))}; }

void def_view_like(OpLibrary& lib, const std::string& name, std::function<TensorMeta(const OpArgs&)> meta) {
  define_by_schema(
      lib, name, "shape", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) { return reshape_to(args.data("self"), meta(args).shape); });
}

// flatten.using_ints(Tensor self, int start_dim=0, int end_dim=-1); a 0-d tensor becomes [1].
TensorMeta flatten_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  if (rank == 0) return TensorMeta{in.dtype, Shape{Dim(1)}};
  const int64_t start = normalize_dim(args.i64("start_dim"), rank);
  const int64_t end = normalize_dim(args.i64("end_dim"), rank);
  if (start > end) fail("flatten() has invalid args: start_dim " + std::to_string(start) + " > end_dim " + std::to_string(end));
  Shape out(in.shape.begin(), in.shape.begin() + start);
  out.push_back(shape_numel(Shape(in.shape.begin() + start, in.shape.begin() + end + 1)));
  out.insert(out.end(), in.shape.begin() + end + 1, in.shape.end());
  return TensorMeta{in.dtype, out};
}

// unflatten.int(Tensor self, int dim, int[] sizes)
TensorMeta unflatten_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  if (rank == 0) fail("unflatten expects at least a 1-dimensional tensor, got a 0-dim tensor");
  const int64_t dim = normalize_dim(args.i64("dim"), rank);
  const Shape piece = infer_view_shape(Shape{in.shape[static_cast<size_t>(dim)]}, args.dims("sizes"));
  Shape out(in.shape.begin(), in.shape.begin() + dim);
  out.insert(out.end(), piece.begin(), piece.end());
  out.insert(out.end(), in.shape.begin() + dim + 1, in.shape.end());
  return TensorMeta{in.dtype, out};
}

// squeeze(Tensor self) / squeeze.dim(Tensor self, int dim). A symbolic dim is assumed not to
// be 1 (torch.export assumes the same for dynamic dims) and is kept.
TensorMeta squeeze_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const auto is_one = [](const Dim& d) { return d.is_static() && d.value() == 1; };
  Shape out;
  if (args.schema().argument_index("dim") && args.has("dim")) {
    const int64_t rank = static_cast<int64_t>(in.shape.size());
    std::vector<int64_t> dims = args.ints("dim");
    for (int64_t& d : dims) d = normalize_dim(d, rank);
    for (int64_t i = 0; i < rank; ++i) {
      const bool listed = std::find(dims.begin(), dims.end(), i) != dims.end();
      if (!(listed && is_one(in.shape[static_cast<size_t>(i)]))) out.push_back(in.shape[static_cast<size_t>(i)]);
    }
  } else {
    for (const Dim& d : in.shape)
      if (!is_one(d)) out.push_back(d);
  }
  return TensorMeta{in.dtype, out};
}

// atleast_1d/2d/3d(Tensor self): where size-1 dims go for a lower rank, as
// torch: 0-d -> [1], [1, 1], [1, 1, 1]; [n] -> [1, n], [1, n, 1]; [a, b] -> [a, b, 1].
std::vector<int64_t> atleast_axes(int64_t rank, int64_t n) {
  if (rank >= n) return {};
  if (rank == 0) {
    std::vector<int64_t> all;
    for (int64_t k = 0; k < n; ++k) all.push_back(k);
    return all;
  }
  if (n == 2) return {0};                      // [n] -> [1, n]
  if (rank == 1) return {0, 2};                // [n] -> [1, n, 1]
  return {2};                                  // [a, b] -> [a, b, 1]
}

// atleast_Nd.Sequence(Tensor[] tensors) is refused.
std::function<TensorMeta(const OpArgs&)> atleast_meta(int64_t n) {
  return [n](const OpArgs& args) {
    if (!args.schema().argument_index("self")) fail("only a single tensor is supported (not a list of tensors)");
    const TensorMeta& in = args.tensor("self");
    Shape out = in.shape;
    for (int64_t a : atleast_axes(static_cast<int64_t>(in.shape.size()), n)) out.insert(out.begin() + a, Dim(1));
    return TensorMeta{in.dtype, out};
  };
}

TensorMeta unsqueeze_meta(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  const int64_t dim = normalize_dim(args.i64("dim"), rank + 1);
  Shape out = in.shape;
  out.insert(out.begin() + dim, Dim(1));
  return TensorMeta{in.dtype, out};
}

// ---------------------------------------------------------------- permutations

// The permutation of transpose.int / swapdims(Tensor self, int dim0, int dim1),
// swapaxes(self, int axis0, int axis1), t(self) and permute(self, int[] dims).
std::vector<int64_t> transpose_perm(int64_t rank, int64_t a, int64_t b) {
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) perm[static_cast<size_t>(i)] = i;
  if (rank > 0) std::swap(perm[static_cast<size_t>(normalize_dim(a, rank))], perm[static_cast<size_t>(normalize_dim(b, rank))]);
  else { normalize_dim(a, rank); normalize_dim(b, rank); }
  return perm;
}

std::vector<int64_t> permutation_of(const std::string& op, const OpArgs& args) {
  const int64_t rank = static_cast<int64_t>(args.tensor("self").shape.size());
  if (op == "aten::t") {
    if (rank > 2) fail("t() expects a tensor with <= 2 dimensions, got " + std::to_string(rank));
    return rank == 2 ? std::vector<int64_t>{1, 0} : transpose_perm(rank, 0, 0);
  }
  if (op == "aten::swapaxes") return transpose_perm(rank, args.i64("axis0"), args.i64("axis1"));
  if (op == "aten::transpose" || op == "aten::swapdims") return transpose_perm(rank, args.i64("dim0"), args.i64("dim1"));
  std::vector<int64_t> perm = args.ints("dims");
  if (static_cast<int64_t>(perm.size()) != rank)
    fail("permute dims " + sizes_str(perm) + " do not match the tensor's rank " + std::to_string(rank));
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& p : perm) {
    p = normalize_dim(p, rank);
    if (seen[static_cast<size_t>(p)]) fail("permute dims " + sizes_str(perm) + " repeat dim " + std::to_string(p));
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

void def_permutation(OpLibrary& lib, const std::string& name) {
  define_by_schema(
      lib, name, "shape",
      [name](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        Shape out;
        for (int64_t p : permutation_of(name, args)) out.push_back(in.shape[static_cast<size_t>(p)]);
        return std::vector<TensorMeta>{TensorMeta{in.dtype, out}};
      },
      [name](const OpArgs& args) {
        const Tensor& in = args.data("self");
        const std::vector<int64_t> perm = permutation_of(name, args);
        const std::vector<int64_t> strides = contiguous_strides(in.shape());
        std::vector<int64_t> sizes, out_strides;
        for (int64_t p : perm) {
          sizes.push_back(in.shape()[static_cast<size_t>(p)]);
          out_strides.push_back(strides[static_cast<size_t>(p)]);
        }
        return std::vector<Tensor>{gather_strided(in, sizes, out_strides, 0)};
      });
}

// ---------------------------------------------------------------- expand / repeat

// expand(self, size, implicit=False): -1 keeps a dim; new dims go in front.
Shape expand_shape(const Shape& in, const std::vector<Dim>& size) {
  if (size.size() < in.size())
    fail("the number of sizes " + shape_str(size) + " must be at least the tensor's rank " + std::to_string(in.size()) +
         " (shape " + shape_str(in) + ")");
  const size_t lead = size.size() - in.size();
  Shape out(size.size());
  for (size_t i = 0; i < size.size(); ++i) {
    const Dim& want = size[i];
    const bool keep = want.is_static() && want.value() == -1;
    if (i < lead) {
      if (keep) fail("expanded size -1 is not allowed in a new leading dim (shape " + shape_str(size) + ")");
      out[i] = want;
      continue;
    }
    const Dim& have = in[i - lead];
    if (keep || want == have) out[i] = have;
    else if (have.is_static() && have.value() == 1) out[i] = want;
    else if (have.is_symbolic() || want.is_symbolic()) out[i] = have.is_static() ? have : want;
    else
      fail("cannot expand shape " + shape_str(in) + " to " + shape_str(size) + ": dim " + std::to_string(i) + " is " +
           have.str() + ", not 1");
  }
  return out;
}

Tensor expand_tensor(const Tensor& in, const std::vector<int64_t>& sizes) {
  return gather_strided(in, sizes, broadcast_strides(in.shape(), sizes), 0);
}

// repeat(self, repeats): tiles the tensor; extra repeats add leading dims.
Shape repeat_shape(const Shape& in, const std::vector<Dim>& repeats) {
  if (repeats.size() < in.size())
    fail("repeats " + shape_str(repeats) + " must have at least as many entries as the tensor's rank " +
         std::to_string(in.size()));
  Shape out(repeats.size());
  const size_t lead = repeats.size() - in.size();
  for (size_t i = 0; i < repeats.size(); ++i) out[i] = i < lead ? repeats[i] : dim_mul(in[i - lead], repeats[i]);
  return out;
}

Tensor repeat_tensor(const Tensor& in, const std::vector<int64_t>& repeats) {
  // View the input as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], then merge pairs.
  const size_t lead = repeats.size() - static_cast<size_t>(in.dim());
  std::vector<int64_t> interleaved, expanded, out;
  for (size_t i = 0; i < repeats.size(); ++i) {
    const int64_t s = i < lead ? 1 : in.shape()[i - lead];
    interleaved.insert(interleaved.end(), {1, s});
    expanded.insert(expanded.end(), {repeats[i], s});
    out.push_back(repeats[i] * s);
  }
  return expand_tensor(in.reshaped(interleaved), expanded).reshaped(out);
}

// ---------------------------------------------------------------- cat / stack

// cat / concat / stack(Tensor[] tensors, int dim=0): the tensors.
std::vector<const OpArg*> tensor_list(const OpArgs& args) {
  const OpArg& list = args.arg("tensors");
  if (list.kind != OpArg::Kind::List) fail("tensors must be a list of tensors");
  std::vector<const OpArg*> out;
  for (const OpArg& item : list.items) {
    if (!item.is_tensor()) fail("tensors must contain only tensors");
    out.push_back(&item);
  }
  if (out.empty()) fail("expected a non-empty list of tensors");
  return out;
}

// Legacy torch behaviour: 1-D empty tensors are skipped by cat.
bool skipped_by_cat(const Shape& s) { return s.size() == 1 && s[0].is_static() && s[0].value() == 0; }

TensorMeta cat_meta(const std::vector<const OpArg*>& items, int64_t dim_arg) {
  std::vector<const OpArg*> used;
  for (const OpArg* t : items)
    if (!skipped_by_cat(t->meta.shape)) used.push_back(t);
  const DType dtype = result_type(std::vector<const OpArg*>(items.begin(), items.end()));
  if (used.empty()) return TensorMeta{dtype, items[0]->meta.shape};
  const Shape& first = used[0]->meta.shape;
  const int64_t rank = static_cast<int64_t>(first.size());
  if (rank == 0) fail("zero-dimensional tensors cannot be concatenated");
  const size_t dim = static_cast<size_t>(normalize_dim(dim_arg, rank));
  Shape out = first;
  out[dim] = Dim(0);
  for (const OpArg* t : used) {
    const Shape& s = t->meta.shape;
    bool compatible = static_cast<int64_t>(s.size()) == rank;
    for (size_t d = 0; compatible && d < s.size(); ++d) {
      if (d == dim) continue;
      const bool known_mismatch = s[d].is_static() && first[d].is_static() && s[d].value() != first[d].value();
      compatible = !known_mismatch && (s[d].is_static() || first[d].is_static() || s[d] == first[d]);
    }
    if (!compatible)
      fail("tensors of shapes " + shape_str(first) + " and " + shape_str(s) + " cannot be concatenated along dim " +
           std::to_string(dim));
    out[dim] = dim_add(out[dim], s[dim]);
  }
  return TensorMeta{dtype, out};
}

Tensor cat_tensors(const std::vector<Tensor>& parts, int64_t dim, const TensorMeta& m) {
  const std::vector<int64_t> sizes = concrete(m.shape);
  Tensor out = Tensor::zeros(m.dtype, sizes);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= sizes[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(dim) + 1; d < sizes.size(); ++d) inner *= sizes[d];
  const size_t elem = dtype_size(m.dtype);
  const int64_t out_row = sizes[static_cast<size_t>(dim)] * inner;
  std::byte* dst = out.mutable_bytes();
  int64_t at = 0;  // position along dim
  for (const Tensor& raw : parts) {
    if (skipped_by_cat(shape_of(raw.shape()))) continue;
    Tensor part = converted(raw, m.dtype);
    const int64_t row = part.shape()[static_cast<size_t>(dim)] * inner;
    const std::byte* src = part.bytes();
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * out_row + at * inner) * elem, src + o * row * elem, static_cast<size_t>(row) * elem);
    at += part.shape()[static_cast<size_t>(dim)];
  }
  return out;
}

std::vector<Tensor> list_data(const std::vector<const OpArg*>& items) {
  std::vector<Tensor> out;
  for (const OpArg* t : items) {
    if (!t->data || !t->data->defined()) fail("a tensor in the list has no concrete data");
    out.push_back(*t->data);
  }
  return out;
}

void register_cat_stack(OpLibrary& lib) {
  // concat is cat's alias.
  for (const char* name : {"aten::cat", "aten::concat"})
    define_by_schema(
      lib, name, "shape",
      [](const OpArgs& args) { return std::vector<TensorMeta>{cat_meta(tensor_list(args), args.i64("dim"))}; },
      [](const OpArgs& args) {
        auto items = tensor_list(args);
        const TensorMeta m = cat_meta(items, args.i64("dim"));
        std::vector<Tensor> parts = list_data(items);
        int64_t dim = 0;
        for (const Tensor& p : parts)
          if (!skipped_by_cat(shape_of(p.shape()))) dim = normalize_dim(args.i64("dim"), p.dim());
        return std::vector<Tensor>{cat_tensors(parts, dim, m)};
      });
  // stack(tensors, dim): every tensor gets a new dim of size 1, then cat.
  auto stack_meta = [](const OpArgs& args) {
    auto items = tensor_list(args);
    const Shape& first = items[0]->meta.shape;
    for (const OpArg* t : items)
      if (t->meta.shape.size() != first.size() || broadcast_shapes(t->meta.shape, first) != first ||
          broadcast_shapes(first, t->meta.shape) != t->meta.shape)
        fail("stack expects tensors of equal shapes, got " + shape_str(first) + " and " + shape_str(t->meta.shape));
    const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(first.size()) + 1);
    Shape out = first;
    out.insert(out.begin() + dim, Dim(static_cast<int64_t>(items.size())));
    return std::make_pair(TensorMeta{result_type(items), out}, dim);
  };
  define_by_schema(
      lib, "aten::stack", "shape", [stack_meta](const OpArgs& args) { return std::vector<TensorMeta>{stack_meta(args).first}; },
      [stack_meta](const OpArgs& args) {
        auto [m, dim] = stack_meta(args);
        std::vector<Tensor> parts;
        for (const Tensor& t : list_data(tensor_list(args))) {
          std::vector<int64_t> s = t.shape();
          s.insert(s.begin() + dim, 1);
          parts.push_back(t.reshaped(s));
        }
        return std::vector<Tensor>{cat_tensors(parts, dim, m)};
      });
}

// ---------------------------------------------------------------- split / chunk / unbind

// More outputs than any real split has; bounds the output list of a crafted
// split (a dim of 10^12 split by 1) before it is built.
constexpr int64_t kMaxPieces = int64_t{1} << 20;

void check_piece_count(int64_t count, const char* what) {
  if (count > kMaxPieces)
    fail(std::string(what) + " would make " + std::to_string(count) + " pieces, more than the limit of " +
         std::to_string(kMaxPieces));
}

// Sizes of the pieces a dim of `len` splits into, pieces of `size` (last one smaller).
std::vector<int64_t> even_pieces(int64_t len, int64_t size) {
  if (size <= 0 && len > 0) fail("split size must be positive, got " + std::to_string(size));
  std::vector<int64_t> out;
  if (len == 0) return {0};
  check_piece_count(len / size + (len % size != 0), "split");
  for (int64_t at = 0; at < len; at += size) out.push_back(std::min(size, len - at));
  return out;
}

int64_t static_len(const Dim& d, const char* what) {
  if (d.is_symbolic()) fail(std::string(what) + " of a symbolic dim (" + d.expr() + ") has a data-dependent number of outputs");
  return d.value();
}

// split.Tensor(Tensor self, int split_size, int dim=0) | split.sizes(self, int[] split_size, dim)
// | split / split_with_sizes(self, int[] split_sizes, dim) -> piece sizes (static) along the normalized dim.
std::pair<std::vector<Dim>, int64_t> split_plan(const OpArgs& args, bool force_sizes) {
  const TensorMeta& in = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  if (rank == 0) fail("split expects at least a 1-dimensional tensor, got a 0-dim tensor");
  const int64_t dim = normalize_dim(args.i64("dim"), rank);
  const Dim len = in.shape[static_cast<size_t>(dim)];
  const std::string_view spec_name = named_in(args, {"split_size", "split_sizes"});
  const OpArg& spec = args.arg(spec_name);
  const bool is_list = force_sizes || spec.kind == OpArg::Kind::List || (spec.kind == OpArg::Kind::Constant && spec.constant.is_array());
  std::vector<Dim> pieces;
  if (is_list) {
    pieces = args.dims(spec_name);
    Dim total(0);
    for (const Dim& p : pieces) {
      if (p.is_static() && p.value() < 0) fail("split sizes " + shape_str(pieces) + " must be non-negative");
      total = dim_add(total, p);
    }
    if (total.is_static() && len.is_static() && total.value() != len.value())
      fail("split sizes " + shape_str(pieces) + " do not sum to the dim's size " + len.str() + " (shape " + shape_str(in.shape) + ")");
  } else {
    for (int64_t p : even_pieces(static_len(len, "split"), args.i64(spec_name))) pieces.emplace_back(p);
  }
  return {pieces, dim};
}

std::vector<TensorMeta> pieces_meta(const TensorMeta& in, const std::vector<Dim>& pieces, int64_t dim, bool drop_dim) {
  std::vector<TensorMeta> out;
  for (const Dim& p : pieces) {
    Shape s = in.shape;
    if (drop_dim) s.erase(s.begin() + dim);
    else s[static_cast<size_t>(dim)] = p;
    out.push_back(TensorMeta{in.dtype, s});
  }
  return out;
}

std::vector<Tensor> cut_pieces(const Tensor& in, const std::vector<Dim>& pieces, int64_t dim, bool drop_dim) {
  std::vector<Tensor> out;
  int64_t at = 0;
  for (const Dim& p : pieces) {
    const int64_t len = p.value();
    Tensor piece = slice_tensor(in, dim, at, len);
    if (drop_dim) {
      std::vector<int64_t> s = piece.shape();
      s.erase(s.begin() + dim);
      piece = piece.reshaped(s);
    }
    out.push_back(piece);
    at += len;
  }
  return out;
}

// chunk(self, int chunks, int dim=0): ceil(len / chunks)-sized pieces.
std::pair<std::vector<Dim>, int64_t> chunk_plan(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t chunks = args.i64("chunks");
  if (chunks <= 0) fail("chunk expects a positive number of chunks, got " + std::to_string(chunks));
  if (in.shape.empty()) fail("chunk expects at least a 1-dimensional tensor, got a 0-dim tensor");
  const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
  const Dim& length = in.shape[static_cast<size_t>(dim)];
  if (length.is_symbolic()) {
    // A symbolic length that `chunks` divides exactly ((2*batch) in 2, as
    // RAFT splits its stacked feature maps) gives `chunks` pieces of
    // length/chunks for every value of the symbols, 0 included (torch makes
    // `chunks` empty pieces of an empty dim). Any other symbolic length has a
    // piece count that depends on the size, so it is refused.
    check_piece_count(chunks, "chunk");
    const Dim remainder = dim_mod(length, Dim(chunks));
    if (remainder.is_static() && remainder.value() == 0)
      return {std::vector<Dim>(static_cast<size_t>(chunks), dim_floordiv(length, Dim(chunks))), dim};
  }
  const int64_t len = static_len(length, "chunk");
  // torch.chunk of an empty dim gives `chunks` empty pieces (split gives one).
  if (len == 0) return {std::vector<Dim>(static_cast<size_t>(chunks), Dim(0)), dim};
  std::vector<Dim> pieces;
  for (int64_t p : even_pieces(len, (len + chunks - 1) / chunks)) pieces.emplace_back(p);
  return {pieces, dim};
}

// tensor_split.sections(self, SymInt sections, int dim=0): the first len % n
// pieces have len // n + 1 elements, the rest len // n.
// tensor_split.indices(self, SymInt[] indices, int dim=0): self[:i0],
// self[i0:i1], ..., self[ik:], each index a Python slice bound (negative counts
// from the end, clamped to the dim). Indices that go back down would make
// overlapping pieces, which this sequential cut cannot express: refused.
std::pair<std::vector<Dim>, int64_t> tensor_split_plan(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  if (in.shape.empty()) fail("tensor_split expects at least a 1-dimensional tensor, got a 0-dim tensor");
  const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
  const int64_t len = static_len(in.shape[static_cast<size_t>(dim)], "tensor_split");
  const std::string_view spec_name = named_in(args, {"sections", "indices", "tensor_indices_or_sections"});
  const OpArg& spec = args.arg(spec_name);
  std::vector<Dim> pieces;
  if (spec.kind == OpArg::Kind::List || (spec.kind == OpArg::Kind::Constant && spec.constant.is_array())) {
    std::vector<int64_t> bounds;
    for (int64_t i : args.ints(spec_name)) bounds.push_back(std::clamp(i < 0 ? i + len : i, int64_t{0}, len));
    check_piece_count(static_cast<int64_t>(bounds.size()) + 1, "tensor_split");
    int64_t at = 0;
    for (int64_t b : bounds) {
      if (b < at) fail("tensor_split indices " + sizes_str(args.ints(spec_name)) + " go back down (overlapping pieces are not supported)");
      pieces.emplace_back(b - at);
      at = b;
    }
    pieces.emplace_back(len - at);
  } else {
    const int64_t n = args.i64(spec_name);
    if (n <= 0) fail("tensor_split expects a positive number of sections, got " + std::to_string(n));
    check_piece_count(n, "tensor_split");
    for (int64_t k = 0; k < n; ++k) pieces.emplace_back(len / n + (k < len % n ? 1 : 0));
  }
  return {pieces, dim};
}

// unbind(self, int dim=0): one piece per index, the dim removed.
std::pair<std::vector<Dim>, int64_t> unbind_plan(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t dim = normalize_dim(args.i64("dim"), static_cast<int64_t>(in.shape.size()));
  if (in.shape.empty()) fail("unbind needs at least one dimension");
  check_piece_count(static_len(in.shape[static_cast<size_t>(dim)], "unbind"), "unbind");
  return {std::vector<Dim>(static_cast<size_t>(static_len(in.shape[static_cast<size_t>(dim)], "unbind")), Dim(1)), dim};
}

// ---------------------------------------------------------------- meshgrid

// meshgrid(Tensor[] tensors) / meshgrid.indexing(Tensor[] tensors, *, str indexing):
// output i holds input i (a 0-d or 1-d tensor) along its own axis, repeated
// along the others. "ij" puts input k on axis k; "xy" swaps the first two axes.
struct MeshgridPlan {
  Shape shape;                // of every output
  std::vector<int64_t> axis;  // the axis input i runs along
};

MeshgridPlan meshgrid_plan(const OpArgs& args) {
  const OpArg& list = args.arg("tensors");
  if (list.kind != OpArg::Kind::List || list.items.empty()) fail("meshgrid expects a non-empty list of tensors");
  std::string indexing = "ij";
  if (args.schema().argument_index("indexing")) indexing = args.str("indexing");
  if (indexing != "ij" && indexing != "xy") fail("meshgrid indexing must be \"ij\" or \"xy\", got \"" + indexing + "\"");
  MeshgridPlan plan;
  for (const OpArg& t : list.items) {
    if (!t.is_tensor()) fail("meshgrid expects a list of tensors");
    if (t.meta.shape.size() > 1)
      fail("meshgrid expects 0-d or 1-d tensors, got shape " + shape_str(t.meta.shape));
    if (t.meta.dtype != list.items[0].meta.dtype) fail("meshgrid expects tensors of one dtype");
    plan.shape.push_back(t.meta.shape.empty() ? Dim(1) : t.meta.shape[0]);
  }
  for (size_t i = 0; i < list.items.size(); ++i) plan.axis.push_back(static_cast<int64_t>(i));
  if (indexing == "xy" && list.items.size() >= 2) {
    std::swap(plan.shape[0], plan.shape[1]);
    std::swap(plan.axis[0], plan.axis[1]);
  }
  return plan;
}

void register_meshgrid(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::meshgrid", "shape",
      [](const OpArgs& args) {
        const MeshgridPlan plan = meshgrid_plan(args);
        return std::vector<TensorMeta>(plan.axis.size(), TensorMeta{args.arg("tensors").items[0].meta.dtype, plan.shape});
      },
      [](const OpArgs& args) {
        const MeshgridPlan plan = meshgrid_plan(args);
        const std::vector<int64_t> sizes = concrete(plan.shape);
        std::vector<Tensor> out;
        for (size_t i = 0; i < plan.axis.size(); ++i) {
          const Tensor& t = *args.arg("tensors").items[i].data;
          std::vector<int64_t> along(sizes.size(), 1);
          along[static_cast<size_t>(plan.axis[i])] = t.numel();
          const Tensor line = t.reshaped(along);
          out.push_back(gather_strided(line, sizes, broadcast_strides(along, sizes), 0));
        }
        return out;
      });
}

void def_pieces(OpLibrary& lib, const std::string& name,
                std::function<std::pair<std::vector<Dim>, int64_t>(const OpArgs&)> plan, bool drop_dim) {
  define_by_schema(
      lib, name, "shape",
      [plan, drop_dim](const OpArgs& args) {
        auto [pieces, dim] = plan(args);
        return pieces_meta(args.tensor("self"), pieces, dim, drop_dim);
      },
      [plan, drop_dim](const OpArgs& args) {
        auto [pieces, dim] = plan(args);
        return cut_pieces(args.data("self"), pieces, dim, drop_dim);
      });
}

// ---------------------------------------------------------------- identity-like and casts

void def_identity(OpLibrary& lib, const std::string& name) {
  define_by_schema(
      lib, name, "shape", [](const OpArgs& args) { return std::vector<TensorMeta>{args.tensor("self")}; },
      [](const OpArgs& args) { return std::vector<Tensor>{args.data("self")}; });
}

// dropout(input, float p, bool train) and friends: identity in eval mode.
void def_dropout(OpLibrary& lib, const std::string& name) {
  define_by_schema(
      lib, name, "shape", [](const OpArgs& args) { return std::vector<TensorMeta>{args.tensor("input")}; },
      [](const OpArgs& args) {
        if (args.boolean("train") && args.f64("p") > 0.0)
          fail("training-mode dropout is random and has no reference result; export the module in eval mode");
        return std::vector<Tensor>{args.data("input")};
      });
}

// The dtype aten::to converts to, by overload:
//   to.other(self, Tensor other, ...)                   -> other's dtype
//   to.dtype(self, ScalarType dtype, ...), to.device(self, Device device, ScalarType dtype, ...),
//   to.dtype_layout(self, *, ScalarType? dtype=None, ...), to.prim_Device(self, Device? device,
//   int? dtype=None, ...), to.prim_dtype(self, int? dtype=None, ...) -> dtype (None keeps self's)
//   to.prim_other(self, bool non_blocking=False, bool copy=False)     -> self's dtype
DType to_target(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  if (args.schema().argument_index("other")) return args.tensor("other").dtype;
  if (!args.schema().argument_index("dtype")) return in.dtype;
  return args.dtype("dtype").value_or(in.dtype);
}

// copy(self, src, non_blocking=False): the functional form of self.copy_(src):
// src broadcast to self's shape and converted to self's dtype.
TensorMeta copy_meta(const OpArgs& args) {
  const TensorMeta& self = args.tensor("self");
  const TensorMeta& src = args.tensor("src");
  if (broadcast_shapes(src.shape, self.shape) != self.shape)
    fail("source of shape " + shape_str(src.shape) + " does not broadcast to the destination shape " + shape_str(self.shape));
  return self;
}

// bernoulli(self, *, generator) / bernoulli.p(self, float p, *, generator): random, so
// it traces (same shape and dtype) but has no reference kernel.
void register_random(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::bernoulli", "random", [](const OpArgs& args) { return std::vector<TensorMeta>{args.tensor("self")}; }, nullptr);
}

void register_casts(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::copy", "shape", [](const OpArgs& args) { return std::vector<TensorMeta>{copy_meta(args)}; },
      [](const OpArgs& args) {
        const TensorMeta m = copy_meta(args);
        return std::vector<Tensor>{expand_tensor(converted(args.data("src"), m.dtype), concrete(m.shape))};
      });
  define_by_schema(
      lib, "aten::to", "shape",
      [](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{to_target(args), args.tensor("self").shape}}; },
      [](const OpArgs& args) { return std::vector<Tensor>{converted(args.data("self"), to_target(args))}; });
  define_by_schema(
      lib, "aten::type_as", "shape",
      [](const OpArgs& args) { return std::vector<TensorMeta>{TensorMeta{args.tensor("other").dtype, args.tensor("self").shape}}; },
      [](const OpArgs& args) { return std::vector<Tensor>{converted(args.data("self"), args.tensor("other").dtype)}; });
  define_by_schema(
      lib, "aten::clone", "shape", [](const OpArgs& args) { return std::vector<TensorMeta>{args.tensor("self")}; },
      [](const OpArgs& args) { return std::vector<Tensor>{args.data("self").clone()}; });
}

// ---------------------------------------------------------------- padding

// pad(self, int[] pad, str mode="constant", float? value) and
// constant_pad_nd(self, int[] pad, Scalar value=0). `pad` lists (before, after)
// pairs starting from the last dim; negative amounts crop.
Shape padded_shape(const Shape& in, const std::vector<int64_t>& pad) {
  if (pad.size() % 2 != 0) fail("padding length must be even, got " + sizes_str(pad));
  if (pad.size() / 2 > in.size())
    fail("padding " + sizes_str(pad) + " covers more dims than the input has (shape " + shape_str(in) + ")");
  Shape out = in;
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    Dim& d = out[in.size() - 1 - i];
    d = dim_add(d, Dim(pad[2 * i] + pad[2 * i + 1]));
    if (d.is_static() && d.value() < 0)
      fail("padding " + sizes_str(pad) + " makes a dim negative for input shape " + shape_str(in));
  }
  return out;
}

enum class PadMode { Constant, Reflect, Replicate, Circular };

// pad(Tensor self, int[] pad, str mode="constant", float? value=None) /
// constant_pad_nd(Tensor self, int[] pad, Scalar value=0) (constant_only).
PadMode pad_mode(const OpArgs& args, bool constant_only) {
  if (constant_only) return PadMode::Constant;
  const std::string mode = args.str("mode");
  if (mode == "constant") return PadMode::Constant;
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "replicate") return PadMode::Replicate;
  if (mode == "circular") return PadMode::Circular;
  fail("unknown padding mode '" + mode + "' (expected constant, reflect, replicate or circular)");
}

// Source index along one dim for an output index, or -1 for the fill value.
int64_t pad_source(PadMode mode, int64_t out_index, int64_t before, int64_t len) {
  int64_t i = out_index - before;
  if (i >= 0 && i < len) return i;
  switch (mode) {
    case PadMode::Constant: return -1;
    case PadMode::Replicate: return i < 0 ? 0 : len - 1;
    case PadMode::Reflect: {
      if (len == 1) return 0;
      const int64_t period = 2 * (len - 1);
      i = ((i % period) + period) % period;
      return i < len ? i : period - i;
    }
    case PadMode::Circular: return ((i % len) + len) % len;
  }
  return -1;
}

Tensor pad_tensor(const Tensor& in, const std::vector<int64_t>& pad, PadMode mode, const OpArg* value, const TensorMeta& m) {
  const std::vector<int64_t> out_sizes = concrete(m.shape);
  const size_t rank = out_sizes.size();
  // Per dim and output index: the source index (or -1).
  std::vector<std::vector<int64_t>> source(rank);
  for (size_t d = 0; d < rank; ++d) {
    const size_t pair = rank - 1 - d;
    const int64_t before = pair < pad.size() / 2 ? pad[2 * pair] : 0;
    if (mode != PadMode::Constant && before > in.shape()[d]) fail("padding is larger than the input dim for mode reflect/circular");
    for (int64_t o = 0; o < out_sizes[d]; ++o) source[d].push_back(pad_source(mode, o, before, in.shape()[d]));
  }
  const DType calc = compute_dtype(in.dtype());
  Tensor src = converted(in, calc);
  OpArg zero = int_arg(0);
  Tensor fill = scalar_tensor(value ? *value : zero, calc);
  Tensor out = Tensor::zeros(calc, out_sizes);
  const std::vector<int64_t> in_strides = contiguous_strides(in.shape());
  visit_bytes(calc, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* ps = reinterpret_cast<const U*>(src.bytes());
    const U fv = *reinterpret_cast<const U*>(fill.bytes());
    U* po = reinterpret_cast<U*>(out.mutable_bytes());
    std::vector<int64_t> index(rank, 0);
    const int64_t n = numel_of(out_sizes);
    for (int64_t flat = 0; flat < n; ++flat) {
      int64_t offset = 0;
      bool inside = true;
      for (size_t d = 0; d < rank && inside; ++d) {
        const int64_t s = source[d][static_cast<size_t>(index[d])];
        inside = s >= 0;
        offset += s * in_strides[d];
      }
      po[flat] = inside ? ps[offset] : fv;
      for (size_t d = rank; d-- > 0;) {  // advance the multi-index
        if (++index[d] < out_sizes[d]) break;
        index[d] = 0;
      }
    }
  });
  return finish(std::move(out), in.dtype());
}

// reflection_pad{1,2,3}d / replication_pad{1,2,3}d(self, SymInt[] padding):
// F.pad's reflect and replicate modes under their own names.
void def_named_pad(OpLibrary& lib, const std::string& name, PadMode mode) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    return TensorMeta{in.dtype, padded_shape(in.shape, args.ints("padding"))};
  };
  define_by_schema(
      lib, name, "shape", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta, mode](const OpArgs& args) {
        return std::vector<Tensor>{pad_tensor(args.data("self"), args.ints("padding"), mode, nullptr, meta(args))};
      });
}

void def_pad(OpLibrary& lib, const std::string& name, bool constant_only) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    return TensorMeta{in.dtype, padded_shape(in.shape, args.ints("pad"))};
  };
  define_by_schema(
      lib, name, "shape", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta, constant_only](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const PadMode mode = pad_mode(args, constant_only);
        const OpArg* value = args.has("value") ? &args.arg("value") : nullptr;
        return std::vector<Tensor>{pad_tensor(args.data("self"), args.ints("pad"), mode, value, m)};
      });
}

// ---------------------------------------------------------------- flip / roll

// flip(self, int[] dims): reads the flipped dims with negative strides.
Tensor flip_tensor(const Tensor& in, std::vector<int64_t> dims) {
  std::vector<int64_t> strides = contiguous_strides(in.shape());
  int64_t offset = 0;
  for (int64_t& d : dims) {
    d = normalize_dim(d, in.dim());
    if (in.dim() == 0) continue;
    const size_t i = static_cast<size_t>(d);
    if (in.shape()[i] > 0) offset += (in.shape()[i] - 1) * strides[i];
    strides[i] = -strides[i];
  }
  return gather_strided(in, in.shape(), strides, offset);
}

// roll(self, int[1] shifts, int[1] dims=[]): no dims rolls the flattened tensor.
Tensor roll_tensor(const Tensor& in, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  if (dims.empty()) {
    if (shifts.size() != 1) fail("roll without dims takes exactly one shift, got " + sizes_str(shifts));
    return roll_tensor(in.reshaped({in.numel()}), shifts, {0}).reshaped(in.shape());
  }
  if (shifts.size() != dims.size()) fail("shifts " + sizes_str(shifts) + " and dims " + sizes_str(dims) + " differ in length");
  Tensor out = in;
  for (size_t k = 0; k < dims.size(); ++k) {
    const int64_t d = normalize_dim(dims[k], in.dim());
    const int64_t len = in.dim() == 0 ? 1 : in.shape()[static_cast<size_t>(d)];
    if (len == 0 || in.dim() == 0) continue;
    const int64_t s = ((shifts[k] % len) + len) % len;
    if (s == 0) continue;
    // The last s entries move to the front.
    std::vector<Tensor> parts{slice_tensor(out, d, len - s, s), slice_tensor(out, d, 0, len - s)};
    out = cat_tensors(parts, d, TensorMeta{out.dtype(), shape_of(out.shape())});
  }
  return out;
}

void register_flip_roll(OpLibrary& lib) {
  define_by_schema(
      lib, "aten::flip", "shape",
      [](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        for (int64_t d : args.ints("dims")) normalize_dim(d, static_cast<int64_t>(in.shape.size()));
        return std::vector<TensorMeta>{in};
      },
      [](const OpArgs& args) { return std::vector<Tensor>{flip_tensor(args.data("self"), args.ints("dims"))}; });
  define_by_schema(
      lib, "aten::roll", "shape",
      [](const OpArgs& args) {
        const TensorMeta& in = args.tensor("self");
        const std::vector<int64_t> shifts = args.ints("shifts"), dims = args.ints("dims");
        if (dims.empty() ? shifts.size() != 1 : shifts.size() != dims.size())
          fail("shifts " + sizes_str(shifts) + " do not match dims " + sizes_str(dims));
        for (int64_t d : dims) normalize_dim(d, static_cast<int64_t>(in.shape.size()));
        return std::vector<TensorMeta>{in};
      },
      [](const OpArgs& args) {
        return std::vector<Tensor>{
            roll_tensor(args.data("self"), args.ints("shifts"), args.ints("dims"))};
      });
}

// ---------------------------------------------------------------- diagonal / repeat_interleave

// diagonal(self, int offset=0, int dim1=0, int dim2=1): the other dims in
// order, then the diagonal; dim1 and dim2 must be static.
struct DiagonalPlan {
  int64_t dim1, dim2, offset, length;
};

DiagonalPlan diagonal_plan(const OpArgs& args) {
  const TensorMeta& in = args.tensor("self");
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  if (rank < 2) fail("diagonal needs at least 2 dims, got " + std::to_string(rank));
  DiagonalPlan p{normalize_dim(args.i64("dim1"), rank), normalize_dim(args.i64("dim2"), rank), args.i64("offset"), 0};
  if (p.dim1 == p.dim2) fail("diagonal dimensions cannot be identical " + std::to_string(p.dim1) + ", " + std::to_string(p.dim2));
  const int64_t n1 = static_len(in.shape[static_cast<size_t>(p.dim1)], "diagonal");
  const int64_t n2 = static_len(in.shape[static_cast<size_t>(p.dim2)], "diagonal");
  p.length = std::max<int64_t>(0, p.offset >= 0 ? std::min(n1, n2 - p.offset) : std::min(n1 + p.offset, n2));
  return p;
}

void register_diagonal(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    const DiagonalPlan p = diagonal_plan(args);
    Shape out;
    for (int64_t k = 0; k < static_cast<int64_t>(in.shape.size()); ++k)
      if (k != p.dim1 && k != p.dim2) out.push_back(in.shape[static_cast<size_t>(k)]);
    out.emplace_back(p.length);
    return TensorMeta{in.dtype, out};
  };
  define_by_schema(
      lib, "aten::diagonal", "shape", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const Tensor& in = args.data("self");
        const DiagonalPlan p = diagonal_plan(args);
        const std::vector<int64_t> in_strides = contiguous_strides(in.shape());
        std::vector<int64_t> strides;
        for (int64_t k = 0; k < in.dim(); ++k)
          if (k != p.dim1 && k != p.dim2) strides.push_back(in_strides[static_cast<size_t>(k)]);
        const int64_t s1 = in_strides[static_cast<size_t>(p.dim1)], s2 = in_strides[static_cast<size_t>(p.dim2)];
        strides.push_back(s1 + s2);
        const int64_t start = p.length == 0 ? 0 : p.offset >= 0 ? p.offset * s2 : -p.offset * s1;
        return std::vector<Tensor>{gather_strided(in, concrete(meta(args).shape), strides, start)};
      });
}

// repeat_interleave(self, int repeats, int? dim=None, *, int? output_size): each
// element repeated `repeats` times along dim (of the flattened input when None).
void register_repeat_interleave(OpLibrary& lib) {
  auto plan = [](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    if (!is_scalar_arg(args.arg("repeats")))
      fail("only an int number of repeats is supported (a tensor of repeats gives a data-dependent size)");
    const int64_t repeats = args.i64("repeats");
    if (repeats < 0) fail("repeats must be non-negative, got " + std::to_string(repeats));
    const bool flat = !args.has("dim");
    const int64_t dim = flat ? 0 : normalize_dim(args.i64("dim"), std::max<int64_t>(static_cast<int64_t>(in.shape.size()), 1));
    return std::make_tuple(repeats, dim, flat);
  };
  auto meta = [plan](const OpArgs& args) {
    const TensorMeta& in = args.tensor("self");
    auto [repeats, dim, flat] = plan(args);
    Shape shape = flat ? Shape{shape_numel(in.shape)} : (in.shape.empty() ? Shape{Dim(1)} : in.shape);
    shape[static_cast<size_t>(dim)] = Dim(static_len(shape[static_cast<size_t>(dim)], "repeat_interleave") * repeats);
    return TensorMeta{in.dtype, shape};
  };
  define_by_schema(
      lib, "aten::repeat_interleave", "shape", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta, plan](const OpArgs& args) {
        auto [repeats, dim, flat] = plan(args);
        const Tensor& raw = args.data("self");
        const std::vector<int64_t> in_sizes =
            flat ? std::vector<int64_t>{raw.numel()} : (raw.dim() == 0 ? std::vector<int64_t>{1} : raw.shape());
        const Tensor in = raw.reshaped(in_sizes);
        // View the input as [outer, n, 1, inner], expand to [outer, n, repeats, inner].
        int64_t outer = 1, inner = 1;
        for (int64_t k = 0; k < dim; ++k) outer *= in_sizes[static_cast<size_t>(k)];
        for (size_t k = static_cast<size_t>(dim) + 1; k < in_sizes.size(); ++k) inner *= in_sizes[k];
        const int64_t n = in_sizes[static_cast<size_t>(dim)];
        Tensor out = gather_strided(in, {outer, n, repeats, inner}, {n * inner, inner, 0, 1}, 0);
        return std::vector<Tensor>{out.reshaped(concrete(meta(args).shape))};
      });
}

}  // namespace

void register_shape_ops(OpLibrary& lib) {
  def_view_like(lib, "aten::view", view_meta);
  def_view_like(lib, "aten::reshape", view_meta);
  def_view_like(lib, "aten::_reshape_alias", view_meta);
  // view_as / reshape_as(Tensor self, Tensor other)
  auto as_other = [](const OpArgs& args) {
    return TensorMeta{args.tensor("self").dtype, infer_view_shape(args.tensor("self").shape, args.tensor("other").shape)};
  };
  def_view_like(lib, "aten::view_as", as_other);
  def_view_like(lib, "aten::reshape_as", as_other);
  def_view_like(lib, "aten::flatten", flatten_meta);
  def_view_like(lib, "aten::unflatten", unflatten_meta);
  def_view_like(lib, "aten::squeeze", squeeze_meta);
  def_view_like(lib, "aten::unsqueeze", unsqueeze_meta);
  def_view_like(lib, "aten::atleast_1d", atleast_meta(1));
  def_view_like(lib, "aten::atleast_2d", atleast_meta(2));
  def_view_like(lib, "aten::atleast_3d", atleast_meta(3));
  for (const char* name : {"aten::transpose", "aten::swapaxes", "aten::swapdims", "aten::t", "aten::permute"})
    def_permutation(lib, name);

  // expand(Tensor self, SymInt[] size, *, bool implicit=False); expand_as(Tensor self, Tensor other)
  auto expand_meta = [](const OpArgs& args) {
    return TensorMeta{args.tensor("self").dtype, expand_shape(args.tensor("self").shape, args.dims("size"))};
  };
  auto expand_as_meta = [](const OpArgs& args) {
    return TensorMeta{args.tensor("self").dtype, expand_shape(args.tensor("self").shape, args.tensor("other").shape)};
  };
  for (auto [name, meta] : {std::pair{"aten::expand", std::function<TensorMeta(const OpArgs&)>(expand_meta)},
                            std::pair{"aten::expand_as", std::function<TensorMeta(const OpArgs&)>(expand_as_meta)}}) {
    define_by_schema(
        lib, name, "shape", [meta = meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
        [meta = meta](const OpArgs& args) { return std::vector<Tensor>{expand_tensor(args.data("self"), concrete(meta(args).shape))}; });
  }
  // repeat(Tensor self, SymInt[] repeats)
  define_by_schema(
      lib, "aten::repeat", "shape",
      [](const OpArgs& args) {
        return std::vector<TensorMeta>{TensorMeta{args.tensor("self").dtype, repeat_shape(args.tensor("self").shape, args.dims("repeats"))}};
      },
      [](const OpArgs& args) {
        repeat_shape(args.tensor("self").shape, args.dims("repeats"));
        return std::vector<Tensor>{repeat_tensor(args.data("self"), args.ints("repeats"))};
      });

  register_cat_stack(lib);
  def_pieces(lib, "aten::split", [](const OpArgs& args) { return split_plan(args, false); }, false);
  def_pieces(lib, "aten::split_with_sizes", [](const OpArgs& args) { return split_plan(args, true); }, false);
  def_pieces(lib, "aten::chunk", chunk_plan, false);
  def_pieces(lib, "aten::unbind", unbind_plan, true);
  def_pieces(lib, "aten::tensor_split", tensor_split_plan, false);
  register_meshgrid(lib);

  for (const char* name : {"aten::contiguous", "aten::detach", "aten::alias", "aten::lift_fresh", "aten::positive"})
    def_identity(lib, name);
  for (const char* name : {"aten::dropout", "aten::feature_dropout", "aten::alpha_dropout", "aten::feature_alpha_dropout"})
    def_dropout(lib, name);
  register_casts(lib);
  def_pad(lib, "aten::pad", false);
  def_pad(lib, "aten::constant_pad_nd", true);
  for (const char* n : {"aten::reflection_pad1d", "aten::reflection_pad2d", "aten::reflection_pad3d"})
    def_named_pad(lib, n, PadMode::Reflect);
  for (const char* n : {"aten::replication_pad1d", "aten::replication_pad2d", "aten::replication_pad3d"})
    def_named_pad(lib, n, PadMode::Replicate);
  register_flip_roll(lib);
  register_random(lib);
  register_diagonal(lib);
  register_repeat_interleave(lib);
}

}  // namespace onnxport::ops
