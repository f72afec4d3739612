// Dense CPU tensors: the one data type shared by weights, example inputs,
// reference kernels and initializers.
//
// A Tensor either owns its bytes or borrows them from an owner kept alive by a
// shared_ptr (e.g. a memory-mapped safetensors file), so weights travel from
// disk to the .onnx file with a single copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace onnxport {

enum class DType : uint8_t {
  Undefined,
  Float32,
  Float64,
  Float16,
  BFloat16,
  Int8,
  Int16,
  Int32,
  Int64,
  UInt8,
  Bool,
};

size_t dtype_size(DType dtype);
bool is_floating(DType dtype);
bool is_integral(DType dtype);  // ints and bool
// "float32", "int64", "bool", ...
std::string_view dtype_name(DType dtype);
// Short name used in graph printouts: "f32", "i64", "b8".
std::string_view dtype_short_name(DType dtype);
// Accepts our names ("float32"), torch names ("float", "long", "torch.float32")
// and safetensors names ("F32", "I64", "BOOL").
std::optional<DType> dtype_from_name(std::string_view name);
std::string_view dtype_safetensors_name(DType dtype);
// onnx::TensorProto_DataType value.
int dtype_to_onnx(DType dtype);
std::optional<DType> dtype_from_onnx(int onnx_elem_type);
// c10::ScalarType codes, as TorchScript stores dtype constants (6 = float).
std::optional<DType> dtype_from_torch_code(int64_t code);
int64_t dtype_to_torch_code(DType dtype);
// Type promotion as torch.result_type does for two tensors.
DType promote_types(DType a, DType b);

class Tensor {
 public:
  Tensor() = default;

  // Zero-filled tensor owning its storage.
  static Tensor zeros(DType dtype, std::vector<int64_t> shape);
  // Borrows `data`; `owner` keeps it valid (may be null for static data).
  static Tensor borrow(DType dtype, std::vector<int64_t> shape, const void* data,
                       std::shared_ptr<const void> owner);
  // Copies `bytes` (must be numel * dtype_size bytes).
  static Tensor from_bytes(DType dtype, std::vector<int64_t> shape, std::span<const std::byte> bytes);
  template <class T>
  static Tensor from_vector(DType dtype, std::vector<int64_t> shape, const std::vector<T>& values);
  static Tensor scalar(DType dtype, double value);

  bool defined() const { return dtype_ != DType::Undefined; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  const std::byte* bytes() const { return data_; }
  // Only for tensors created by zeros()/from_bytes()/from_vector(): writes
  // into a borrowed tensor are a bug and throw std::logic_error.
  std::byte* mutable_bytes();
  template <class T>
  const T* data() const { return reinterpret_cast<const T*>(data_); }
  template <class T>
  T* mutable_data() { return reinterpret_cast<T*>(mutable_bytes()); }

  // Element i (flat, row-major) converted to double / int64, any dtype.
  double get_double(int64_t i) const;
  int64_t get_int(int64_t i) const;
  // Writes element i converting from double (owned tensors only).
  void set_double(int64_t i, double v);

  // Same bytes, new shape (numel must match); shares storage.
  Tensor reshaped(std::vector<int64_t> shape) const;
  // Deep copy converted to `dtype`.
  Tensor cast(DType dtype) const;
  // Deep copy that owns its storage.
  Tensor clone() const;
  bool owns_storage() const { return owned_; }

  // "f32[2, 3]"
  std::string type_str() const;
  // Short human-readable rendering of the values (first `limit` elements).
  std::string values_str(int64_t limit = 8) const;

 private:
  DType dtype_ = DType::Undefined;
  std::vector<int64_t> shape_;
  std::shared_ptr<const void> owner_;
  const std::byte* data_ = nullptr;
  bool owned_ = false;
};

template <class T>
Tensor Tensor::from_vector(DType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
  Tensor t = zeros(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel() && i < static_cast<int64_t>(values.size()); ++i)
    t.set_double(i, static_cast<double>(values[static_cast<size_t>(i)]));
  return t;
}

// An ordered name -> tensor map (safetensors files, example inputs, outputs).
class TensorMap {
 public:
  void set(const std::string& name, Tensor tensor);
  const Tensor* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  const std::vector<std::pair<std::string, Tensor>>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  // Transparent hashing so find(string_view) needs no temporary string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::pair<std::string, Tensor>> items_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> index_;  // name -> position in items_
};

}  // namespace onnxport
