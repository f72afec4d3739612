// The op library: for each tensor op the tracing engine knows, a meta function
// (dtype + symbolic shape inference, for fake tensors) and a reference CPU
// kernel (for the reference interpreter and draft captures).
//
// Ops are keyed by TorchScript kind ("aten::linear"). In-place variants
// ("aten::relu_") are functionalized by the engine and looked up without the
// trailing underscore. Python-scalar arithmetic (int + int, ...) is the
// engine's business, not the op library's.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/shape.hpp>
#include <onnxport/tensor.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {

// dtype Undefined marks an output the op leaves undefined for these
// arguments (Python sees None; _native_multi_head_attention's weights when
// need_weights is false). Only trailing outputs may be undefined; the engine
// binds None to them and gives the graph node no value for them, and the
// kernel returns an undefined Tensor there.
struct TensorMeta {
  DType dtype = DType::Float32;
  Shape shape;
};

// One argument of an op call, as the engine resolved it.
struct OpArg {
  enum class Kind : uint8_t { Tensor, Constant, SymInt, List, None };
  Kind kind = Kind::None;
  TensorMeta meta;               // Kind::Tensor
  const Tensor* data = nullptr;  // Kind::Tensor with concrete data (kernels always get it)
  nlohmann::json constant;       // Kind::Constant: int, float, bool, str, {"dtype":..}, {"device":..}
  Dim sym;                       // Kind::SymInt (symbolic or static size)
  std::vector<OpArg> items;      // Kind::List

  bool is_tensor() const { return kind == Kind::Tensor; }
  bool is_none() const { return kind == Kind::None; }
  // Helpers that throw OpError with a clear message on a kind mismatch.
  int64_t as_int() const;
  double as_double() const;
  bool as_bool() const;
  std::vector<int64_t> as_int_list() const;  // static ints only
  std::vector<Dim> as_dim_list() const;      // ints or SymInts
  std::optional<DType> as_dtype() const;     // {"dtype": "float32"} or a torch code; None -> nullopt
};

class OpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Meta: output metas from argument metas. May throw OpError (bad shapes).
using MetaFn = std::function<std::vector<TensorMeta>(const std::vector<OpArg>& args)>;
// Kernel: output tensors from arguments with concrete data.
using KernelFn = std::function<std::vector<Tensor>(const std::vector<OpArg>& args)>;

struct OpDef {
  std::string name;   // "aten::linear"
  MetaFn meta;
  KernelFn kernel;    // may be empty: the op traces but cannot be evaluated
  std::string family; // "elementwise", "reduction", "linear", ... (docs and grouping)
  // Appended fields (a plugin built before them leaves them empty):
  // The schema of a plugin's own op, in TorchScript syntax,
  //   "mylib::swish_clamp(Tensor self, float lo=-1., float hi=1.) -> Tensor",
  // so its meta function, kernel and translators read arguments by name
  // (OpArgs / NodeArgs) with its defaults, and program nodes calling it are
  // checked against it at load. Empty for aten:: ops, which have PyTorch's.
  std::string schema = {};
  // The schema arguments meta function and kernel read by name; checked at
  // load like TranslatorSpec::arguments.
  std::vector<std::string> arguments = {};  // "= {}": omitting it in a designated initializer is not a warning
  // Appended in SDK 0.4. An op the library already defines (a built-in, at
  // priority 0, or another plugin's op) is replaced only by a definition at a
  // higher priority, exactly like translators; the config's plugin "priority"
  // sets it for every op of the plugin. The replacement lasts as long as the
  // host that loaded the plugin, keeps the op's schema, and brings its own
  // kernel (none: the op can no longer be evaluated while capturing). Two
  // plugins at one priority for one op refuse the second
  // (docs/plugin-authoring.md §3, "Overriding an op definition").
  int priority = 0;
};

class OpLibrary {
 public:
  // The process-wide library with every built-in op registered.
  static OpLibrary& instance();
  // Replaces an existing definition of the same name in place (pointers from
  // find() stay valid). Plugins go through Registrar::add_op, which applies
  // priorities; this is for the host and the built-ins.
  void add(OpDef def);
  const OpDef* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  struct Impl;
  OpLibrary();
  ~OpLibrary();
  Impl* impl_;
};

// Helpers for meta functions shared by op families.
Shape broadcast_shapes(const Shape& a, const Shape& b);  // throws OpError
int64_t normalize_dim(int64_t dim, int64_t rank);       // throws OpError

}  // namespace onnxport
