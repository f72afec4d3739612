#include "const_eval.hpp"

#include "lent_weights.hpp"
#include "transpose_tiles.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

namespace onnxport::onnx_build {
namespace {

using DT = onnx::TensorProto_DataType;

// Folding never creates tensors beyond this many elements: a constant that
// large belongs in the weights, not in a folded shape computation.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 26;

bool is_float_type(int32_t t) { return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE; }

bool is_int_type(int32_t t) {
  switch (t) {
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::BOOL: return true;
    default: return false;
  }
}

bool is_numeric(int32_t t) { return is_float_type(t) || is_int_type(t); }

template <class T>
T load(std::string_view bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes.data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
  return v;
}

template <class T>
void store(std::string& bytes, int64_t i, T v) {
  std::memcpy(bytes.data() + static_cast<size_t>(i) * sizeof(T), &v, sizeof(T));
}

double get_f(const ConstTensor& t, int64_t i) {
  switch (t.elem_type) {
    case onnx::TensorProto::FLOAT: return load<float>(t.data(), i);
    case onnx::TensorProto::DOUBLE: return load<double>(t.data(), i);
    default: break;
  }
  return 0.0;
}

int64_t get_i(const ConstTensor& t, int64_t i) {
  switch (t.elem_type) {
    case onnx::TensorProto::INT8: return load<int8_t>(t.data(), i);
    case onnx::TensorProto::INT16: return load<int16_t>(t.data(), i);
    case onnx::TensorProto::INT32: return load<int32_t>(t.data(), i);
    case onnx::TensorProto::INT64: return load<int64_t>(t.data(), i);
    case onnx::TensorProto::UINT8: return load<uint8_t>(t.data(), i);
    case onnx::TensorProto::UINT16: return load<uint16_t>(t.data(), i);
    case onnx::TensorProto::UINT32: return load<uint32_t>(t.data(), i);
    case onnx::TensorProto::BOOL: return load<uint8_t>(t.data(), i) != 0;
    default: break;
  }
  return 0;
}

void set_f(ConstTensor& t, int64_t i, double v) {
  if (t.elem_type == onnx::TensorProto::FLOAT) store<float>(t.bytes, i, static_cast<float>(v));
  else store<double>(t.bytes, i, v);
}

void set_i(ConstTensor& t, int64_t i, int64_t v) {
  switch (t.elem_type) {
    case onnx::TensorProto::INT8: store<int8_t>(t.bytes, i, static_cast<int8_t>(v)); break;
    case onnx::TensorProto::INT16: store<int16_t>(t.bytes, i, static_cast<int16_t>(v)); break;
    case onnx::TensorProto::INT32: store<int32_t>(t.bytes, i, static_cast<int32_t>(v)); break;
    case onnx::TensorProto::INT64: store<int64_t>(t.bytes, i, v); break;
    case onnx::TensorProto::UINT8: store<uint8_t>(t.bytes, i, static_cast<uint8_t>(v)); break;
    case onnx::TensorProto::UINT16: store<uint16_t>(t.bytes, i, static_cast<uint16_t>(v)); break;
    case onnx::TensorProto::UINT32: store<uint32_t>(t.bytes, i, static_cast<uint32_t>(v)); break;
    case onnx::TensorProto::BOOL: store<uint8_t>(t.bytes, i, v != 0 ? 1 : 0); break;
    default: break;
  }
}

std::optional<int64_t> product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > kMaxFoldedElements / d) return std::nullopt;
    n *= d;
  }
  return n;
}

std::optional<ConstTensor> make_tensor(int32_t elem_type, std::vector<int64_t> dims) {
  const auto n = product(dims);
  const size_t esize = onnx_elem_size(elem_type);
  if (!n || *n > kMaxFoldedElements || esize == 0) return std::nullopt;
  ConstTensor t;
  t.elem_type = elem_type;
  t.dims = std::move(dims);
  t.bytes.assign(static_cast<size_t>(*n) * esize, '\0');
  return t;
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;) s[k - 1] = s[k] * dims[k];
  return s;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::optional<int64_t> attr_int(const onnx::NodeProto& node, const std::string& name) {
  const auto* a = find_attr(node, name);
  if (a == nullptr) return std::nullopt;
  return a->i();
}

std::optional<std::vector<int64_t>> attr_ints(const onnx::NodeProto& node, const std::string& name) {
  const auto* a = find_attr(node, name);
  if (a == nullptr) return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<int64_t>> int_values(const ConstTensor* t) {
  if (t == nullptr || (t->elem_type != onnx::TensorProto::INT64 && t->elem_type != onnx::TensorProto::INT32))
    return std::nullopt;
  std::vector<int64_t> v(static_cast<size_t>(t->numel()));
  for (int64_t i = 0; i < t->numel(); ++i) v[static_cast<size_t>(i)] = get_i(*t, i);
  return v;
}

std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

// ---------------------------------------------------------------------------
// Data movement (any fixed-size element type)
// ---------------------------------------------------------------------------

std::optional<ConstTensor> transpose(const onnx::NodeProto& node, const ConstTensor& x) {
  const auto rank = static_cast<int64_t>(x.dims.size());
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  if (auto p = attr_ints(node, "perm")) perm = *p;
  else
    for (int64_t k = 0; k < rank; ++k) perm[static_cast<size_t>(k)] = rank - 1 - k;
  if (static_cast<int64_t>(perm.size()) != rank) return std::nullopt;
  std::vector<char> seen(static_cast<size_t>(rank), 0);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) return std::nullopt;
    seen[static_cast<size_t>(p)] = 1;
  }
  std::vector<int64_t> out_dims(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) out_dims[static_cast<size_t>(k)] = x.dims[static_cast<size_t>(perm[static_cast<size_t>(k)])];
  const size_t esize = onnx_elem_size(x.elem_type);
  const bool matrix = rank == 2 && perm[0] == 1;
  // W^T of a lent weight (a Linear on a 3-D input): a lent entry that the
  // writer transposes as it writes, instead of a transposed copy here
  // (lent_weights.hpp, lend_transposed).
  if (matrix && x.lent != 0 && esize != 0 && out_dims[0] * out_dims[1] <= kMaxFoldedElements) {
    if (auto view = lend_transposed(x.lent, x.dims[0], x.dims[1], esize)) {
      ConstTensor out;
      out.elem_type = x.elem_type;
      out.dims = out_dims;
      out.lent = *view;
      return out;
    }
  }
  auto out = make_tensor(x.elem_type, out_dims);
  if (!out) return std::nullopt;
  if (matrix && transpose_columns(reinterpret_cast<const std::byte*>(x.data().data()),
                                  reinterpret_cast<std::byte*>(out->bytes.data()), x.dims[0], x.dims[1], 0,
                                  x.dims[1], esize))
    return out;
  const auto in_strides = strides_of(x.dims);
  // Stride in the input of each output axis; walk the output with a counter.
  std::vector<int64_t> step(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) step[static_cast<size_t>(k)] = in_strides[static_cast<size_t>(perm[static_cast<size_t>(k)])];
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  int64_t src = 0;
  const int64_t n = out->numel();
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(out->bytes.data() + static_cast<size_t>(i) * esize, x.data().data() + static_cast<size_t>(src) * esize,
                esize);
    for (int64_t k = rank - 1; k >= 0; --k) {
      auto uk = static_cast<size_t>(k);
      src += step[uk];
      if (++index[uk] < out_dims[uk]) break;
      src -= step[uk] * out_dims[uk];
      index[uk] = 0;
    }
  }
  return out;
}

std::optional<ConstTensor> with_dims(const ConstTensor& x, std::vector<int64_t> dims) {
  const auto n = product(dims);
  if (!n || *n != x.numel()) return std::nullopt;
  ConstTensor out = x;
  out.dims = std::move(dims);
  return out;
}

std::optional<ConstTensor> reshape(const onnx::NodeProto& node, const ConstTensor& x, const ConstTensor* shape_t) {
  auto shape = int_values(shape_t);
  if (!shape) return std::nullopt;
  const bool allow_zero = attr_int(node, "allowzero").value_or(0) != 0;
  int64_t infer_at = -1, known = 1;
  for (size_t k = 0; k < shape->size(); ++k) {
    int64_t& d = (*shape)[k];
    if (d == 0 && !allow_zero) {
      if (k >= x.dims.size()) return std::nullopt;
      d = x.dims[k];
    }
    if (d == -1) {
      if (infer_at >= 0) return std::nullopt;
      infer_at = static_cast<int64_t>(k);
    } else if (d < 0) {
      return std::nullopt;
    } else {
      known *= d;
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || x.numel() % known != 0) return std::nullopt;
    (*shape)[static_cast<size_t>(infer_at)] = x.numel() / known;
  }
  return with_dims(x, *shape);
}

std::optional<std::vector<int64_t>> axes_of(const onnx::NodeProto& node, const std::vector<const ConstTensor*>& in,
                                            int opset) {
  if (opset >= 13) {
    if (in.size() < 2 || in[1] == nullptr) return std::nullopt;
    return int_values(in[1]);
  }
  return attr_ints(node, "axes");
}

std::optional<ConstTensor> unsqueeze(const onnx::NodeProto& node, const std::vector<const ConstTensor*>& in, int opset) {
  auto axes = axes_of(node, in, opset);
  if (!axes) return std::nullopt;
  const auto out_rank = static_cast<int64_t>(in[0]->dims.size() + axes->size());
  std::vector<char> inserted(static_cast<size_t>(out_rank), 0);
  for (int64_t a : *axes) {
    auto axis = normalize_axis(a, out_rank);
    if (!axis || inserted[static_cast<size_t>(*axis)]) return std::nullopt;
    inserted[static_cast<size_t>(*axis)] = 1;
  }
  std::vector<int64_t> dims;
  size_t next = 0;
  for (int64_t k = 0; k < out_rank; ++k) dims.push_back(inserted[static_cast<size_t>(k)] ? 1 : in[0]->dims[next++]);
  return with_dims(*in[0], dims);
}

std::optional<ConstTensor> squeeze(const onnx::NodeProto& node, const std::vector<const ConstTensor*>& in, int opset) {
  const ConstTensor& x = *in[0];
  const auto rank = static_cast<int64_t>(x.dims.size());
  std::vector<char> drop(static_cast<size_t>(rank), 0);
  const bool has_axes = opset >= 13 ? (in.size() >= 2 && in[1] != nullptr) : find_attr(node, "axes") != nullptr;
  if (has_axes) {
    auto axes = axes_of(node, in, opset);
    if (!axes) return std::nullopt;
    for (int64_t a : *axes) {
      auto axis = normalize_axis(a, rank);
      if (!axis || x.dims[static_cast<size_t>(*axis)] != 1) return std::nullopt;
      drop[static_cast<size_t>(*axis)] = 1;
    }
  } else {
    for (int64_t k = 0; k < rank; ++k) drop[static_cast<size_t>(k)] = x.dims[static_cast<size_t>(k)] == 1;
  }
  std::vector<int64_t> dims;
  for (int64_t k = 0; k < rank; ++k)
    if (!drop[static_cast<size_t>(k)]) dims.push_back(x.dims[static_cast<size_t>(k)]);
  return with_dims(x, dims);
}

std::optional<ConstTensor> concat(const onnx::NodeProto& node, const std::vector<const ConstTensor*>& in) {
  if (in.empty()) return std::nullopt;
  for (const auto* t : in)
    if (t == nullptr || t->elem_type != in[0]->elem_type || t->dims.size() != in[0]->dims.size()) return std::nullopt;
  const auto rank = static_cast<int64_t>(in[0]->dims.size());
  auto axis_attr = attr_int(node, "axis");
  if (!axis_attr) return std::nullopt;
  auto axis = normalize_axis(*axis_attr, rank);
  if (!axis) return std::nullopt;
  const auto ax = static_cast<size_t>(*axis);
  std::vector<int64_t> dims = in[0]->dims;
  dims[ax] = 0;
  for (const auto* t : in) {
    for (size_t k = 0; k < dims.size(); ++k)
      if (k != ax && t->dims[k] != dims[k]) return std::nullopt;
    dims[ax] += t->dims[ax];
  }
  auto out = make_tensor(in[0]->elem_type, dims);
  if (!out) return std::nullopt;
  // outer = product of dims before the axis; each input contributes a block per outer index.
  int64_t outer = 1;
  for (size_t k = 0; k < ax; ++k) outer *= dims[k];
  size_t offset = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (const auto* t : in) {
      const size_t block = t->data().size() / static_cast<size_t>(std::max<int64_t>(outer, 1));
      std::memcpy(out->bytes.data() + offset, t->data().data() + static_cast<size_t>(o) * block, block);
      offset += block;
    }
  }
  return out;
}

std::optional<ConstTensor> shape_of(const onnx::NodeProto& node, const std::vector<int64_t>& dims) {
  const auto rank = static_cast<int64_t>(dims.size());
  int64_t start = attr_int(node, "start").value_or(0);
  int64_t end = attr_int(node, "end").value_or(rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  const int64_t n = std::max<int64_t>(end - start, 0);
  auto out = make_tensor(onnx::TensorProto::INT64, {n});
  for (int64_t i = 0; i < n; ++i) set_i(*out, i, dims[static_cast<size_t>(start + i)]);
  return out;
}

std::optional<ConstTensor> gather(const onnx::NodeProto& node, const ConstTensor& data, const ConstTensor* indices_t) {
  auto indices = int_values(indices_t);
  if (!indices) return std::nullopt;
  const auto rank = static_cast<int64_t>(data.dims.size());
  auto axis = normalize_axis(attr_int(node, "axis").value_or(0), rank);
  if (!axis) return std::nullopt;
  const auto ax = static_cast<size_t>(*axis);
  const int64_t extent = data.dims[ax];
  for (int64_t& i : *indices) {
    if (i < -extent || i >= extent) return std::nullopt;
    if (i < 0) i += extent;
  }
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + static_cast<ptrdiff_t>(ax));
  dims.insert(dims.end(), indices_t->dims.begin(), indices_t->dims.end());
  dims.insert(dims.end(), data.dims.begin() + static_cast<ptrdiff_t>(ax) + 1, data.dims.end());
  auto out = make_tensor(data.elem_type, dims);
  if (!out) return std::nullopt;
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < ax; ++k) outer *= data.dims[k];
  for (size_t k = ax + 1; k < data.dims.size(); ++k) inner *= data.dims[k];
  const size_t chunk = static_cast<size_t>(inner) * onnx_elem_size(data.elem_type);
  size_t offset = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t idx : *indices) {
      std::memcpy(out->bytes.data() + offset,
                  data.data().data() + (static_cast<size_t>(o * extent + idx)) * chunk, chunk);
      offset += chunk;
    }
  return out;
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

std::optional<ConstTensor> cast(const onnx::NodeProto& node, const ConstTensor& x) {
  auto to = attr_int(node, "to");
  if (!to || !is_numeric(x.elem_type) || !is_numeric(static_cast<int32_t>(*to))) return std::nullopt;
  auto out = make_tensor(static_cast<int32_t>(*to), x.dims);
  if (!out) return std::nullopt;
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (is_float_type(x.elem_type)) {
      const double v = get_f(x, i);
      if (is_float_type(out->elem_type)) {
        set_f(*out, i, v);
      } else if (out->elem_type == onnx::TensorProto::BOOL) {
        set_i(*out, i, v != 0.0);
      } else {
        // Float -> integer truncates toward zero; NaN or out-of-range values
        // are implementation-defined, so such a node is not folded.
        if (!std::isfinite(v) || std::fabs(v) >= 9.2e18) return std::nullopt;
        set_i(*out, i, static_cast<int64_t>(v));
      }
    } else {
      const int64_t v = get_i(x, i);
      if (is_float_type(out->elem_type)) set_f(*out, i, static_cast<double>(v));
      else set_i(*out, i, v);
    }
  }
  return out;
}

std::optional<std::vector<int64_t>> broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t da = k + a.size() >= rank ? a[k + a.size() - rank] : 1;
    const int64_t db = k + b.size() >= rank ? b[k + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[k] = da == 1 ? db : da;
  }
  return out;
}

// Strides of `dims` seen from an output of rank `rank` (0 on broadcast axes).
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& dims, size_t rank) {
  std::vector<int64_t> s(rank, 0);
  const auto own = strides_of(dims);
  for (size_t k = 0; k < dims.size(); ++k)
    if (dims[k] != 1) s[rank - dims.size() + k] = own[k];
  return s;
}

std::optional<ConstTensor> binary(const std::string& op, const ConstTensor& a, const ConstTensor& b) {
  if (a.elem_type != b.elem_type || !is_numeric(a.elem_type) || a.elem_type == onnx::TensorProto::BOOL)
    return std::nullopt;
  auto dims = broadcast_dims(a.dims, b.dims);
  if (!dims) return std::nullopt;
  auto out = make_tensor(a.elem_type, *dims);
  if (!out) return std::nullopt;
  const size_t rank = dims->size();
  const auto sa = broadcast_strides(a.dims, rank), sb = broadcast_strides(b.dims, rank);
  std::vector<int64_t> index(rank, 0);
  int64_t ia = 0, ib = 0;
  const bool floating = is_float_type(a.elem_type);
  const int64_t n = out->numel();
  for (int64_t i = 0; i < n; ++i) {
    if (floating) {
      // +,-,*,/ in double then rounded once to float give the float result.
      const double x = get_f(a, ia), y = get_f(b, ib);
      double r = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      set_f(*out, i, r);
    } else {
      const int64_t x = get_i(a, ia), y = get_i(b, ib);
      int64_t r = 0;
      if (op == "Div") {
        if (y == 0) return std::nullopt;
        r = x / y;
      } else {
        r = op == "Add" ? x + y : op == "Sub" ? x - y : x * y;
      }
      set_i(*out, i, r);
    }
    for (size_t k = rank; k-- > 0;) {
      ia += sa[k];
      ib += sb[k];
      if (++index[k] < (*dims)[k]) break;
      ia -= sa[k] * (*dims)[k];
      ib -= sb[k] * (*dims)[k];
      index[k] = 0;
    }
  }
  return out;
}

std::optional<ConstTensor> unary(const std::string& op, const ConstTensor& x) {
  const bool floating = is_float_type(x.elem_type);
  if (!is_numeric(x.elem_type) || x.elem_type == onnx::TensorProto::BOOL) return std::nullopt;
  if (!floating && op != "Neg") return std::nullopt;
  auto out = make_tensor(x.elem_type, x.dims);
  if (!out) return std::nullopt;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (!floating) {
      set_i(*out, i, -get_i(x, i));
      continue;
    }
    const double v = get_f(x, i);
    set_f(*out, i, op == "Neg" ? -v : op == "Sqrt" ? std::sqrt(v) : 1.0 / v);
  }
  return out;
}

}  // namespace

int64_t ConstTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

size_t ConstTensor::nbytes() const { return static_cast<size_t>(numel()) * onnx_elem_size(elem_type); }

std::string_view ConstTensor::data() const {
  if (lent == 0) return bytes;
  return borrowed.empty() ? lent_bytes(lent) : borrowed;
}

size_t onnx_elem_size(int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return 4;
    case onnx::TensorProto::UINT8: return 1;
    case onnx::TensorProto::INT8: return 1;
    case onnx::TensorProto::UINT16: return 2;
    case onnx::TensorProto::INT16: return 2;
    case onnx::TensorProto::INT32: return 4;
    case onnx::TensorProto::INT64: return 8;
    case onnx::TensorProto::BOOL: return 1;
    case onnx::TensorProto::FLOAT16: return 2;
    case onnx::TensorProto::DOUBLE: return 8;
    case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::UINT64: return 8;
    case onnx::TensorProto::COMPLEX64: return 8;
    case onnx::TensorProto::COMPLEX128: return 16;
    case onnx::TensorProto::BFLOAT16: return 2;
    default: return 0;
  }
}

std::optional<ConstTensor> const_from_proto(const onnx::TensorProto& proto) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
  ConstTensor t;
  t.elem_type = proto.data_type();
  t.dims.assign(proto.dims().begin(), proto.dims().end());
  const size_t esize = onnx_elem_size(t.elem_type);
  const auto n = product(t.dims);
  if (esize == 0 || !n) return std::nullopt;
  const size_t nbytes = static_cast<size_t>(*n) * esize;
  if (auto id = lent_id(proto)) {
    // Read in place from the mapped weights: no copy of the input. A
    // transposed entry stays unmade until an evaluation reads data().
    t.lent = *id;
    if (lent_size(*id) != nbytes) return std::nullopt;
    if (!lent_is_deferred(*id)) t.borrowed = lent_bytes(*id);
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != nbytes) return std::nullopt;
    t.bytes = proto.raw_data();
    return t;
  }
  t.bytes.assign(nbytes, '\0');
  auto fill = [&](const auto& field, auto convert) -> bool {
    if (static_cast<int64_t>(field.size()) != *n) return false;
    for (int64_t i = 0; i < *n; ++i) convert(i, field.Get(static_cast<int>(i)));
    return true;
  };
  switch (t.elem_type) {
    case onnx::TensorProto::FLOAT:
      if (!fill(proto.float_data(), [&](int64_t i, float v) { store<float>(t.bytes, i, v); })) return std::nullopt;
      break;
    case onnx::TensorProto::DOUBLE:
      if (!fill(proto.double_data(), [&](int64_t i, double v) { store<double>(t.bytes, i, v); })) return std::nullopt;
      break;
    case onnx::TensorProto::INT64:
      if (!fill(proto.int64_data(), [&](int64_t i, int64_t v) { store<int64_t>(t.bytes, i, v); })) return std::nullopt;
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      if (!fill(proto.uint64_data(), [&](int64_t i, uint64_t v) {
            std::memcpy(t.bytes.data() + static_cast<size_t>(i) * esize, &v, esize);  // little-endian low bytes
          }))
        return std::nullopt;
      break;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      // int32_data holds these (float16 as its bit pattern); keep the low bytes.
      if (!fill(proto.int32_data(), [&](int64_t i, int32_t v) {
            std::memcpy(t.bytes.data() + static_cast<size_t>(i) * esize, &v, esize);
          }))
        return std::nullopt;
      break;
    default: return std::nullopt;
  }
  return t;
}

void const_to_proto(const ConstTensor& tensor, const std::string& name, onnx::TensorProto& out) {
  out.Clear();
  out.set_name(name);
  out.set_data_type(tensor.elem_type);
  for (int64_t d : tensor.dims) out.add_dims(d);
  const std::string_view data = tensor.data();
  out.set_raw_data(data.data(), data.size());
}

void const_to_proto(ConstTensor&& tensor, const std::string& name, onnx::TensorProto& out) {
  out.Clear();
  out.set_name(name);
  out.set_data_type(tensor.elem_type);
  for (int64_t d : tensor.dims) out.add_dims(d);
  // A fold that only changed the dims of a lent weight (Reshape, Flatten,
  // Squeeze) lends the same bytes again instead of copying them; so does a
  // fold that made a lent entry (a transposed weight).
  if (tensor.is_lent_view() || (tensor.lent != 0 && tensor.borrowed.data() == lent_bytes(tensor.lent).data() &&
                                tensor.borrowed.size() == lent_bytes(tensor.lent).size())) {
    lend_again(tensor.lent, out);
    return;
  }
  if (tensor.lent != 0) {
    out.set_raw_data(tensor.borrowed.data(), tensor.borrowed.size());
    return;
  }
  out.set_raw_data(std::move(tensor.bytes));
}

std::optional<ConstTensor> constant_node_value(const onnx::NodeProto& node) {
  if (node.attribute_size() != 1) return std::nullopt;
  const auto& a = node.attribute(0);
  auto filled = [](int32_t type, std::vector<int64_t> dims, auto values, auto setter) -> std::optional<ConstTensor> {
    auto t = make_tensor(type, std::move(dims));
    if (!t) return std::nullopt;
    for (int64_t i = 0; i < t->numel(); ++i) setter(*t, i, values(i));
    return t;
  };
  if (a.name() == "value" && a.has_t()) return const_from_proto(a.t());
  if (a.name() == "value_float")
    return filled(onnx::TensorProto::FLOAT, {}, [&](int64_t) { return double{a.f()}; }, set_f);
  if (a.name() == "value_int")
    return filled(onnx::TensorProto::INT64, {}, [&](int64_t) { return a.i(); }, set_i);
  if (a.name() == "value_floats")
    return filled(onnx::TensorProto::FLOAT, {a.floats_size()},
                  [&](int64_t i) { return double{a.floats(static_cast<int>(i))}; }, set_f);
  if (a.name() == "value_ints")
    return filled(onnx::TensorProto::INT64, {a.ints_size()}, [&](int64_t i) { return a.ints(static_cast<int>(i)); },
                  set_i);
  return std::nullopt;
}

bool all_elements_equal(const ConstTensor& t, double value) {
  if (!is_numeric(t.elem_type)) return false;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = is_float_type(t.elem_type) ? get_f(t, i) : static_cast<double>(get_i(t, i));
    if (v != value) return false;
  }
  return true;
}

bool is_foldable_op(const std::string& op) {
  static const char* const kOps[] = {"Identity", "Cast", "Transpose", "Reshape", "Unsqueeze", "Squeeze",
                                     "Concat",   "Shape", "Gather",   "Add",     "Sub",       "Mul",
                                     "Div",      "Neg",  "Sqrt",      "Reciprocal"};
  return std::any_of(std::begin(kOps), std::end(kOps), [&](const char* k) { return op == k; });
}

std::optional<ConstTensor> evaluate_node(const onnx::NodeProto& node, const std::vector<const ConstTensor*>& in,
                                         int opset) {
  const std::string& op = node.op_type();
  if (in.empty() || in[0] == nullptr) return std::nullopt;
  const ConstTensor& x = *in[0];
  if (op == "Identity") return x;
  if (op == "Cast") return cast(node, x);
  if (op == "Transpose") return transpose(node, x);
  if (op == "Reshape") return in.size() >= 2 ? reshape(node, x, in[1]) : std::nullopt;
  if (op == "Unsqueeze") return unsqueeze(node, in, opset);
  if (op == "Squeeze") return squeeze(node, in, opset);
  if (op == "Concat") return concat(node, in);
  if (op == "Shape") return shape_of(node, x.dims);
  if (op == "Gather") return in.size() >= 2 ? gather(node, x, in[1]) : std::nullopt;
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div")
    return in.size() == 2 && in[1] != nullptr ? binary(op, x, *in[1]) : std::nullopt;
  if (op == "Neg" || op == "Sqrt" || op == "Reciprocal") return unary(op, x);
  return std::nullopt;
}

}  // namespace onnxport::onnx_build
