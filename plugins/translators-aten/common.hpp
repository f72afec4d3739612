// Shared helpers of the aten translators: reading TorchScript arguments,
// torch's type promotion, and small ONNX idioms every family needs.
//
// Translators read their arguments by name, bound to the op's schema with its
// defaults (`NodeArgs a(ctx)`, docs/architecture.md §4a); the helpers below
// that take `(a, "name")` read through that binding. Python scalars arrive as
// constant Args; tensors and SymInts as values. The helpers that take a
// position `i` remain for ops without an aten schema (prim::, onnxport::),
// listed in docs/plugin-authoring.md.
#pragma once

#include <onnxport/op_schema.hpp>
#include <onnxport/registrar.hpp>
#include <onnxport/translator.hpp>

#include <climits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport::aten {

// Target opsets this plugin was written and tested for.
constexpr int kMinOpset = 13;
constexpr int kOpenEnded = INT_MAX;

// Registers `fn` for `op` over [since, until].
void add(Registrar& r, std::string op, TranslateFn fn, int since = kMinOpset, int until = kOpenEnded,
         std::string description = "");

// ---- errors ---------------------------------------------------------------

// Throws a TranslateError naming the node's op: "aten::slice: <message>".
[[noreturn]] void fail(TranslateContext& ctx, const std::string& message, std::string hint = "");

// ---- reading arguments ----------------------------------------------------

bool is_constant(TranslateContext& ctx, size_t i);      // constant (not None)
bool is_value(TranslateContext& ctx, size_t i);         // a graph value (tensor or Sym*)
bool is_tensor_value(TranslateContext& ctx, size_t i);  // a graph value of kind Tensor

// Constant scalars; a missing or None argument gives the default when one is
// passed, otherwise an error naming the argument.
int64_t int_arg(TranslateContext& ctx, size_t i, std::string_view what);
int64_t int_arg(TranslateContext& ctx, size_t i, std::string_view what, int64_t fallback);
double float_arg(TranslateContext& ctx, size_t i, std::string_view what);
double float_arg(TranslateContext& ctx, size_t i, std::string_view what, double fallback);
bool bool_arg(TranslateContext& ctx, size_t i, std::string_view what, bool fallback);
std::optional<std::string> str_arg(TranslateContext& ctx, size_t i);
// int[] as constants (an int alone counts as a one-element list, as int[1]
// parameters accept). nullopt for None or a missing argument.
std::optional<std::vector<int64_t>> ints_arg(TranslateContext& ctx, size_t i, std::string_view what);
std::optional<std::vector<double>> floats_arg(TranslateContext& ctx, size_t i, std::string_view what);
// ScalarType? argument: torch code, dtype name or {"dtype": ...}; None -> nullopt.
std::optional<DType> dtype_arg(TranslateContext& ctx, size_t i);

// ---- reading arguments by name ---------------------------------------------
// Each reads the argument the schema calls `name` (given, or the schema's
// default). Errors name the argument and the schema.

// The name of the bound schema's argument k: for ops whose overloads name the
// same operand differently (`self`/`other` on tensors, `a`/`b` on Python
// numbers: add.Tensor, add.int). An error when the schema has fewer.
std::string_view schema_arg_name(TranslateContext& ctx, const NodeArgs& a, size_t k);

bool is_value(const NodeArgs& a, std::string_view name);                              // a graph value
bool is_tensor_value(TranslateContext& ctx, const NodeArgs& a, std::string_view name);  // of kind Tensor
bool is_constant(const NodeArgs& a, std::string_view name);                            // a constant, not None
// float[] (or one float) as constants; nullopt for None.
std::optional<std::vector<double>> floats_arg(TranslateContext& ctx, const NodeArgs& a, std::string_view name);
// Rank of a tensor argument (0 for a Python scalar).
int64_t rank_of(TranslateContext& ctx, const NodeArgs& a, std::string_view name);
// Static size of dim `d` of a tensor argument, nullopt when symbolic.
std::optional<int64_t> static_dim(TranslateContext& ctx, const NodeArgs& a, std::string_view name, int64_t d);
// The argument's dtype: a value's dtype, or int64/float32/bool for a constant.
DType arg_dtype(TranslateContext& ctx, const NodeArgs& a, std::string_view name);
// torch.result_type over the named arguments (None ones are skipped).
DType result_type(TranslateContext& ctx, const NodeArgs& a, const std::vector<std::string_view>& names);
// The argument as an ONNX tensor of `dtype` (a defaulted Scalar too).
std::string input_as(TranslateContext& ctx, const NodeArgs& a, std::string_view name, DType dtype);
// int[] / SymInt[] argument as a 1-D int64 tensor.
std::string int_list_tensor(TranslateContext& ctx, const NodeArgs& a, std::string_view name);
// int / SymInt argument as a 1-element int64 tensor, and as a 0-d one.
std::string int_as_1d(TranslateContext& ctx, const NodeArgs& a, std::string_view name);
std::string int_as_scalar(TranslateContext& ctx, const NodeArgs& a, std::string_view name);

// ---- values ---------------------------------------------------------------

// Rank of tensor argument i (from the graph metadata).
int64_t rank_of(TranslateContext& ctx, size_t i);
// Static size of dim `d` of argument i, nullopt when symbolic.
std::optional<int64_t> static_dim(TranslateContext& ctx, size_t i, int64_t d);
// Wraps a negative dim; errors when out of range.
int64_t normalize_dim(TranslateContext& ctx, int64_t dim, int64_t rank);

// The dtype argument i has: a value's dtype, or int64/float32/bool for a
// Python constant.
DType arg_dtype(TranslateContext& ctx, size_t i);
// torch.result_type over the given arguments: dimensioned tensors first,
// then zero-dim tensors, then Python scalars (which only raise the category).
DType result_type(TranslateContext& ctx, const std::vector<size_t>& args);

// Argument i as an ONNX tensor of `dtype` (constants are created with that
// dtype directly; values are Cast when needed).
std::string input_as(TranslateContext& ctx, size_t i, DType dtype);
// Any Arg (e.g. a list item) as an ONNX tensor of `dtype`.
std::string arg_as(TranslateContext& ctx, const Arg& arg, DType dtype);
// Casts an ONNX value when `from` differs from `to`.
std::string cast(TranslateContext& ctx, const std::string& name, DType from, DType to);
std::string cast_to(TranslateContext& ctx, const std::string& name, DType to);  // always emits Cast

// 1-D int64 tensor from an int[] argument whose items may be SymInt values
// (Concat of the constants and the Unsqueezed scalars).
std::string int_list_tensor(TranslateContext& ctx, size_t i);
std::string int_list_tensor_of(TranslateContext& ctx, const Arg& list);  // any int-list Arg
// 1-D int64 tensor of one element from an int argument that may be a SymInt.
std::string int_as_1d(TranslateContext& ctx, size_t i, int64_t fallback);
// 0-d int64 tensor from an int argument that may be a SymInt.
std::string int_as_scalar(TranslateContext& ctx, size_t i);

// ONNX helpers.
std::string shape_of(TranslateContext& ctx, const std::string& name);
std::string unsqueeze(TranslateContext& ctx, const std::string& name, const std::vector<int64_t>& axes);
std::string squeeze(TranslateContext& ctx, const std::string& name, const std::vector<int64_t>& axes);
std::string reshape(TranslateContext& ctx, const std::string& name, const std::vector<int64_t>& shape);
// Reshapes to a 0-d tensor (the ONNX form of a Python scalar).
std::string to_scalar(TranslateContext& ctx, const std::string& name);
// A tensor of `shape` (static) filled with `value`.
std::string filled(TranslateContext& ctx, const std::vector<int64_t>& shape, double value, DType dtype);

// Emits a Reduce* op; `axes` empty means all axes. `axes_as_input` picks the
// opset-18 form (axes as an input) or the attribute form of opsets < 18
// (ReduceSum has taken axes as an input since 13).
std::string reduce(TranslateContext& ctx, std::string_view op, const std::string& x,
                   const std::vector<int64_t>& axes, bool keepdims, bool axes_as_input);

// Binds output i of the node to `name`.
void bind_output(TranslateContext& ctx, size_t i, const std::string& name);
// Output 0 (the common single-output case).
void set_result(TranslateContext& ctx, const std::string& name);

// The dtype of the node's output i (strategies fill it from the op's meta).
DType output_dtype(TranslateContext& ctx, size_t i = 0);

}  // namespace onnxport::aten
