// Dtype tables and the dense CPU Tensor (sdk/include/onnxport/tensor.hpp).
#include <onnxport/tensor.hpp>

#include "base/checked_math.hpp"
#include "base/half.hpp"
#include "base/limits.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace onnxport {

// ---------------------------------------------------------------------------
// DType tables

namespace {

struct DTypeInfo {
  DType dtype;
  size_t size;
  std::string_view name;         // ours: "float32"
  std::string_view short_name;   // printouts: "f32"
  std::string_view safetensors;  // "F32"
  int onnx;                      // onnx::TensorProto_DataType
  int64_t torch_code;            // c10::ScalarType
};

// One row per defined dtype; the single source of truth for every mapping.
constexpr DTypeInfo kDTypes[] = {
    {DType::Float32, 4, "float32", "f32", "F32", 1, 6},
    {DType::Float64, 8, "float64", "f64", "F64", 11, 7},
    {DType::Float16, 2, "float16", "f16", "F16", 10, 5},
    {DType::BFloat16, 2, "bfloat16", "bf16", "BF16", 16, 15},
    {DType::Int8, 1, "int8", "i8", "I8", 3, 1},
    {DType::Int16, 2, "int16", "i16", "I16", 5, 2},
    {DType::Int32, 4, "int32", "i32", "I32", 6, 3},
    {DType::Int64, 8, "int64", "i64", "I64", 7, 4},
    {DType::UInt8, 1, "uint8", "u8", "U8", 2, 0},
    {DType::Bool, 1, "bool", "b8", "BOOL", 9, 11},
};

const DTypeInfo* info(DType dtype) {
  for (const auto& row : kDTypes)
    if (row.dtype == dtype) return &row;
  return nullptr;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Torch spellings (torch.float, torch.long, ScalarType names) -> dtype.
std::optional<DType> dtype_from_torch_alias(std::string_view lower) {
  struct Alias {
    std::string_view name;
    DType dtype;
  };
  static constexpr Alias kAliases[] = {
      {"float", DType::Float32},   {"double", DType::Float64}, {"half", DType::Float16},
      {"long", DType::Int64},      {"int", DType::Int32},      {"short", DType::Int16},
      {"char", DType::Int8},       {"byte", DType::UInt8},     {"boolean", DType::Bool},
  };
  for (const auto& a : kAliases)
    if (a.name == lower) return a.dtype;
  return std::nullopt;
}

}  // namespace

size_t dtype_size(DType dtype) {
  const auto* row = info(dtype);
  return row ? row->size : 0;
}

bool is_floating(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 || dtype == DType::Float16 ||
         dtype == DType::BFloat16;
}

bool is_integral(DType dtype) {
  return dtype == DType::Int8 || dtype == DType::Int16 || dtype == DType::Int32 ||
         dtype == DType::Int64 || dtype == DType::UInt8 || dtype == DType::Bool;
}

std::string_view dtype_name(DType dtype) {
  const auto* row = info(dtype);
  return row ? row->name : "undefined";
}

std::string_view dtype_short_name(DType dtype) {
  const auto* row = info(dtype);
  return row ? row->short_name : "?";
}

std::optional<DType> dtype_from_name(std::string_view name) {
  std::string lower = lowercase(name);
  if (lower.starts_with("torch.")) lower = lower.substr(6);
  for (const auto& row : kDTypes) {
    if (lower == row.name || lower == row.short_name || lower == lowercase(row.safetensors))
      return row.dtype;
  }
  return dtype_from_torch_alias(lower);
}

std::string_view dtype_safetensors_name(DType dtype) {
  const auto* row = info(dtype);
  return row ? row->safetensors : "";
}

int dtype_to_onnx(DType dtype) {
  const auto* row = info(dtype);
  return row ? row->onnx : 0;
}

std::optional<DType> dtype_from_onnx(int onnx_elem_type) {
  for (const auto& row : kDTypes)
    if (row.onnx == onnx_elem_type) return row.dtype;
  return std::nullopt;
}

std::optional<DType> dtype_from_torch_code(int64_t code) {
  for (const auto& row : kDTypes)
    if (row.torch_code == code) return row.dtype;
  return std::nullopt;
}

int64_t dtype_to_torch_code(DType dtype) {
  const auto* row = info(dtype);
  return row ? row->torch_code : -1;
}

namespace {

// torch's promotion lattice: bool < integers < floating types.
int category(DType d) {
  if (d == DType::Bool) return 0;
  if (is_floating(d)) return 2;
  return 1;
}

DType promote_integers(DType a, DType b) {
  // uint8 with a signed type needs the next signed width that holds both.
  if (a == DType::UInt8 && b == DType::Int8) return DType::Int16;
  if (b == DType::UInt8 && a == DType::Int8) return DType::Int16;
  if (a == DType::UInt8) return b;
  if (b == DType::UInt8) return a;
  return dtype_size(a) >= dtype_size(b) ? a : b;
}

DType promote_floats(DType a, DType b) {
  // float16 and bfloat16 have no common 16-bit type.
  if ((a == DType::Float16 && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Float16))
    return DType::Float32;
  return dtype_size(a) >= dtype_size(b) ? a : b;
}

}  // namespace

DType promote_types(DType a, DType b) {
  if (a == DType::Undefined) return b;
  if (b == DType::Undefined) return a;
  if (a == b) return a;
  int ca = category(a), cb = category(b);
  if (ca != cb) return ca > cb ? a : b;  // the higher category's operand wins
  if (ca == 1) return promote_integers(a, b);
  if (ca == 2) return promote_floats(a, b);
  return DType::Bool;
}

// ---------------------------------------------------------------------------
// Tensor

namespace {

std::string sizes_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// numel of a shape about to become a tensor: dims non-negative, the element
// count and the byte count representable (a wrapped count would make the
// allocation small and every loop over the elements run past it).
int64_t validated_numel(const std::vector<int64_t>& shape, DType dtype = DType::Undefined) {
  for (int64_t d : shape)
    if (d < 0) throw std::invalid_argument("tensor shape " + sizes_text(shape) + " has a negative dimension");
  const auto n = checked_numel(std::span<const int64_t>(shape));
  const size_t element = dtype == DType::Undefined ? 1 : dtype_size(dtype);
  if (!n || !checked_mul(*n, static_cast<int64_t>(element)))
    throw std::invalid_argument("tensor shape " + sizes_text(shape) + " has more elements than fit in 64 bits");
  return *n;
}

// Bytes for a tensor the host allocates, within limits::max_tensor_bytes().
size_t allocation_bytes(DType dtype, const std::vector<int64_t>& shape) {
  const int64_t bytes = validated_numel(shape, dtype) * static_cast<int64_t>(dtype_size(dtype));
  if (bytes > limits::max_tensor_bytes())
    throw std::length_error("a " + std::string(dtype_name(dtype)) + sizes_text(shape) + " tensor needs " +
                            std::to_string(bytes) + " bytes, above the limit of " +
                            limits::bytes_text(limits::max_tensor_bytes()) +
                            " for one tensor (ONNXPORT_MAX_TENSOR_BYTES raises it)");
  return static_cast<size_t>(bytes);
}

// Owned storage: a heap block kept alive by the same shared_ptr mechanism as
// borrowed data, so copies of a Tensor share it cheaply.
std::shared_ptr<std::byte[]> allocate(size_t nbytes) {
  auto block = std::shared_ptr<std::byte[]>(new std::byte[std::max<size_t>(nbytes, 1)]);
  std::memset(block.get(), 0, std::max<size_t>(nbytes, 1));
  return block;
}

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class T>
void store(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Float -> integer conversion that saturates instead of invoking UB.
template <class T>
T saturate(double v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

}  // namespace

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

Tensor Tensor::zeros(DType dtype, std::vector<int64_t> shape) {
  if (dtype == DType::Undefined) throw std::invalid_argument("Tensor::zeros: undefined dtype");
  Tensor t;
  t.dtype_ = dtype;
  const size_t nbytes = allocation_bytes(dtype, shape);
  t.shape_ = std::move(shape);
  auto block = allocate(nbytes);
  t.data_ = block.get();
  t.owner_ = std::shared_ptr<const void>(block, block.get());
  t.owned_ = true;
  return t;
}

Tensor Tensor::borrow(DType dtype, std::vector<int64_t> shape, const void* data,
                      std::shared_ptr<const void> owner) {
  if (dtype == DType::Undefined) throw std::invalid_argument("Tensor::borrow: undefined dtype");
  validated_numel(shape, dtype);
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = static_cast<const std::byte*>(data);
  t.owner_ = std::move(owner);
  t.owned_ = false;
  return t;
}

Tensor Tensor::from_bytes(DType dtype, std::vector<int64_t> shape, std::span<const std::byte> bytes) {
  Tensor t = zeros(dtype, std::move(shape));
  if (bytes.size() != t.nbytes())
    throw std::invalid_argument("Tensor::from_bytes: got " + std::to_string(bytes.size()) +
                                " bytes, " + t.type_str() + " needs " + std::to_string(t.nbytes()));
  if (!bytes.empty()) std::memcpy(t.mutable_bytes(), bytes.data(), bytes.size());
  return t;
}

Tensor Tensor::scalar(DType dtype, double value) {
  Tensor t = zeros(dtype, {});
  t.set_double(0, value);
  return t;
}

std::byte* Tensor::mutable_bytes() {
  if (!owned_)
    throw std::logic_error("write into a borrowed (read-only) tensor " + type_str() +
                           "; clone() it first");
  return const_cast<std::byte*>(data_);
}

double Tensor::get_double(int64_t i) const {
  if (i < 0 || i >= numel()) throw std::out_of_range("tensor element index out of range");
  const std::byte* p = data_ + static_cast<size_t>(i) * dtype_size(dtype_);
  switch (dtype_) {
    case DType::Float32: return load<float>(p);
    case DType::Float64: return load<double>(p);
    case DType::Float16: return half_bits_to_float(load<uint16_t>(p));
    case DType::BFloat16: return bfloat16_bits_to_float(load<uint16_t>(p));
    case DType::Int8: return load<int8_t>(p);
    case DType::Int16: return load<int16_t>(p);
    case DType::Int32: return load<int32_t>(p);
    case DType::Int64: return static_cast<double>(load<int64_t>(p));
    case DType::UInt8: return load<uint8_t>(p);
    case DType::Bool: return load<uint8_t>(p) != 0 ? 1.0 : 0.0;
    case DType::Undefined: break;
  }
  throw std::logic_error("get_double on an undefined tensor");
}

int64_t Tensor::get_int(int64_t i) const {
  // int64 is read directly: going through double would lose precision above 2^53.
  if (dtype_ == DType::Int64) {
    if (i < 0 || i >= numel()) throw std::out_of_range("tensor element index out of range");
    return load<int64_t>(data_ + static_cast<size_t>(i) * 8);
  }
  return saturate<int64_t>(get_double(i));
}

void Tensor::set_double(int64_t i, double v) {
  if (i < 0 || i >= numel()) throw std::out_of_range("tensor element index out of range");
  std::byte* p = mutable_bytes() + static_cast<size_t>(i) * dtype_size(dtype_);
  switch (dtype_) {
    case DType::Float32: store<float>(p, static_cast<float>(v)); return;
    case DType::Float64: store<double>(p, v); return;
    case DType::Float16: store<uint16_t>(p, float_to_half_bits(static_cast<float>(v))); return;
    case DType::BFloat16: store<uint16_t>(p, float_to_bfloat16_bits(static_cast<float>(v))); return;
    case DType::Int8: store<int8_t>(p, saturate<int8_t>(v)); return;
    case DType::Int16: store<int16_t>(p, saturate<int16_t>(v)); return;
    case DType::Int32: store<int32_t>(p, saturate<int32_t>(v)); return;
    case DType::Int64: store<int64_t>(p, saturate<int64_t>(v)); return;
    case DType::UInt8: store<uint8_t>(p, saturate<uint8_t>(v)); return;
    case DType::Bool: store<uint8_t>(p, v != 0.0 ? 1 : 0); return;
    case DType::Undefined: break;
  }
  throw std::logic_error("set_double on an undefined tensor");
}

Tensor Tensor::reshaped(std::vector<int64_t> shape) const {
  if (validated_numel(shape) != numel())
    throw std::invalid_argument("reshaped: cannot view " + type_str() + " with " +
                                std::to_string(validated_numel(shape)) + " elements");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::cast(DType dtype) const {
  Tensor out = zeros(dtype, shape_);
  if (dtype == dtype_) {
    if (nbytes() > 0) std::memcpy(out.mutable_bytes(), data_, nbytes());
    return out;
  }
  const int64_t n = numel();
  if (dtype_ == DType::Int64 && dtype == DType::Int32) {
    for (int64_t i = 0; i < n; ++i) out.mutable_data<int32_t>()[i] = static_cast<int32_t>(get_int(i));
    return out;
  }
  for (int64_t i = 0; i < n; ++i) out.set_double(i, get_double(i));
  return out;
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  return cast(dtype_);
}

std::string Tensor::type_str() const {
  std::string s(dtype_short_name(dtype_));
  s += '[';
  for (size_t i = 0; i < shape_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape_[i]);
  }
  s += ']';
  return s;
}

namespace {

std::string format_element(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::Bool) return t.get_double(i) != 0 ? "True" : "False";
  if (!is_floating(t.dtype())) return std::to_string(t.get_int(i));
  std::ostringstream os;
  os.precision(6);
  os << t.get_double(i);
  return os.str();
}

// Renders the values nested by shape ("[[1, 2], [3, 4]]"), stopping after
// `budget` elements with "...".
void render_values(const Tensor& t, size_t axis, int64_t offset, int64_t& budget, std::string& out) {
  const auto& shape = t.shape();
  if (axis == shape.size()) {
    out += format_element(t, offset);
    --budget;
    return;
  }
  int64_t stride = 1;
  for (size_t k = axis + 1; k < shape.size(); ++k) stride *= shape[k];
  out += '[';
  for (int64_t j = 0; j < shape[axis]; ++j) {
    if (j) out += ", ";
    if (budget <= 0) {
      out += "...";
      break;
    }
    render_values(t, axis + 1, offset + j * stride, budget, out);
  }
  out += ']';
}

}  // namespace

std::string Tensor::values_str(int64_t limit) const {
  if (!defined()) return "<undefined>";
  if (!data_ && numel() > 0) return "<no data>";
  std::string out;
  int64_t budget = std::max<int64_t>(limit, 1);
  render_values(*this, 0, 0, budget, out);
  return out;
}

// ---------------------------------------------------------------------------
// TensorMap

void TensorMap::set(const std::string& name, Tensor tensor) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    items_[it->second].second = std::move(tensor);
    return;
  }
  index_.emplace(name, items_.size());
  items_.emplace_back(name, std::move(tensor));
}

const Tensor* TensorMap::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

}  // namespace onnxport
