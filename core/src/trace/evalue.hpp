// Values of the tracing engine: what a TorchScript value name is bound to
// while the engine interprets a Program.
//
// Python-level values (ints, strings, module attributes, lists) are resolved
// during the trace and never reach the Graph; tensors and symbolic scalars are
// Graph values. Copying an EValue is cheap: payloads are shared.
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport/program.hpp>
#include <onnxport/tensor.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace onnxport::trace {

struct Quantization;

// A tensor as the engine sees it: the Graph value that computes it, its
// (symbolic) metadata and, when evaluating concretely, its data.
struct FakeTensor {
  ValueId id = kNoValue;
  DType dtype = DType::Float32;
  Shape shape;
  std::optional<Tensor> data;  // concrete mode only
  std::string buffer;          // dotted path when this is (still) a module buffer
};

enum class ScalarType : uint8_t { Int, Float, Bool };

// A Python scalar whose value is not a compile-time constant: a size from a
// symbolic shape ("batch"), or a value read from tensor data ("u0").
struct SymScalar {
  ScalarType type = ScalarType::Int;
  Dim dim;               // Int: the expression as a Dim ("batch", "(batch*2)", "u0")
  std::string expr;      // printable expression ("Ne(u0, 0)", "Gt(batch, 1)", "batch")
  std::string negated;   // Bool: the expression of its negation ("Eq(u0, 0)")
  bool data_dependent = false;
  std::optional<double> hint;  // its value on the example inputs, when known
  ValueId value = kNoValue;    // the 0-d Graph value computing it
  std::string origin;          // what produced it, for messages: "aten::Bool(sum_1)"
};

struct EValue;
using EList = std::vector<EValue>;
struct EDict;

struct EValue {
  enum class Kind : uint8_t {
    Constant,       // json: int, float, bool, str, null, {"device": ..}, lists of those
    Module,         // a module of the module tree
    Tensor,         // a fake tensor
    Sym,            // a SymInt / SymFloat / SymBool
    List,           // a mutable Python list, shared by reference (aten::append)
    Tuple,          // an immutable tuple
    Dict,           // a mutable dict with constant keys, in insertion order
    Uninitialized,  // prim::Uninitialized: must never be read
    Poison,         // result of a node that failed while the engine keeps scanning
  };

  Kind kind = Kind::Constant;
  nlohmann::json constant;                  // Constant
  std::string module_path;                  // Module: "" for the root, "mlp.0"
  const ModuleInfo* module = nullptr;       // Module
  std::shared_ptr<FakeTensor> tensor;       // Tensor
  std::shared_ptr<SymScalar> sym;           // Sym
  std::shared_ptr<EList> items;             // List / Tuple
  std::shared_ptr<EDict> dict;              // Dict
  int list_depth = 0;                       // List / Dict: branch depth it was created at
  // Tensor: set when this is a quantized tensor (quint8, qint8). The Graph
  // value (`tensor->id`, `tensor->dtype`) is then its integer representation
  // and this says how to read it (docs/architecture.md §4b). Ops produce
  // plain tensors; only the quantization rules (quantized_ops.cpp) set it.
  std::shared_ptr<const Quantization> quantization;

  static EValue of_constant(nlohmann::json c);
  static EValue none() { return of_constant(nullptr); }
  static EValue of_module(std::string path, const ModuleInfo* m);
  static EValue of_tensor(FakeTensor t);
  static EValue of_sym(SymScalar s);
  static EValue list(EList items, int depth);
  static EValue tuple(EList items);
  static EValue empty_dict(int depth);
  static EValue uninitialized();
  static EValue poison();

  bool is_constant() const { return kind == Kind::Constant; }
  bool is_none() const { return kind == Kind::Constant && constant.is_null(); }
  bool is_tensor() const { return kind == Kind::Tensor; }
  bool is_sym() const { return kind == Kind::Sym; }
  bool is_sequence() const { return kind == Kind::List || kind == Kind::Tuple; }
  bool is_dict() const { return kind == Kind::Dict; }
  bool is_poison() const { return kind == Kind::Poison; }
};

// How a quantized tensor's integer representation reads as real numbers:
// real = (q - zero_point) * scale, per tensor or per slice of `axis`.
struct Quantization {
  int64_t torch_dtype = 13;  // c10::ScalarType code: 12 qint8, 13 quint8
  EValue scale;              // a float constant, or a float32 tensor (one element, or [C] per channel)
  EValue zero_point;         // an int constant, or a tensor of the representation's dtype
  std::optional<int64_t> axis;  // per channel: the dim the parameters run along
};
// "quint8", "qint8" (messages).
std::string quantized_dtype_name(int64_t torch_dtype);
// The quantization of a tensor value, or nullptr.
const Quantization* quantization_of(const EValue& v);

// A Python dict: constant keys (str, int, ...) in insertion order, with an
// index so lookups stay O(1).
struct EDict {
  std::vector<std::pair<nlohmann::json, EValue>> entries;
  std::unordered_map<std::string, size_t> index;  // key.dump() -> position

  EValue* find(const nlohmann::json& key);
  void set(const nlohmann::json& key, EValue value);
  // Removes the key, keeping the others in insertion order; false if absent.
  bool erase(const nlohmann::json& key);
};

// Python scalars (SymX or numeric constants) and their 0-d Graph form.
bool is_numeric_constant(const EValue& v);  // int, float or bool constant
ScalarType scalar_type_of(const EValue& v);   // of a Sym or a numeric constant
DType scalar_dtype(ScalarType t);             // bool, int64, float64 (Python's own widths)
ValueKind scalar_value_kind(ScalarType t);    // SymBool, SymInt, SymFloat

// "Tensor f32[2, 3]", "int 3", "SymInt batch", "List[3]", "module mlp.0 (Linear)".
std::string describe(const EValue& v);
// True when the value (or anything inside a list/tuple) is a tensor.
bool contains_tensor(const EValue& v);
// A list/tuple made only of constants, as one json array (nullopt otherwise).
std::optional<nlohmann::json> as_constant_json(const EValue& v);
// A constant device value ({"device": "cpu"}).
nlohmann::json device_constant(const std::string& device);
bool is_device_constant(const nlohmann::json& c);

}  // namespace onnxport::trace
