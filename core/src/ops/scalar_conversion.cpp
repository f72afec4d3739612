// Tensor -> Python scalar conversions: aten::Bool, aten::is_nonzero,
// aten::Int, aten::Float, aten::item, aten::ScalarImplicit.
//
// They are where data-dependent control flow starts (`if x.sum():`), so the
// engine treats their outputs specially; here they are ordinary ops with a
// 0-d output: bool, int64 or float64 (a Python float is a double).
#include "op_support.hpp"

#include <cmath>

namespace onnxport::ops {
namespace {

enum class Target { Bool, Int, Float, Item };

DType target_dtype(Target t, DType input) {
  switch (t) {
    case Target::Bool: return DType::Bool;
    case Target::Int: return DType::Int64;
    case Target::Float: return DType::Float64;
    case Target::Item:
      if (input == DType::Bool) return DType::Bool;
      return is_floating(input) ? DType::Float64 : DType::Int64;
  }
  return DType::Undefined;
}

std::string_view target_name(Target t) {
  switch (t) {
    case Target::Bool: return "bool";
    case Target::Int: return "int";
    case Target::Float: return "float";
    case Target::Item: return "a Python scalar";
  }
  return "";
}

// A tensor converts to a Python scalar only when it has exactly one element.
// A symbolic shape may still have one; the kernel checks the real one.
void check_single_element(const Shape& shape, Target t) {
  for (const Dim& d : shape) {
    if (d.is_static() && d.value() != 1)
      fail("a Tensor with " + shape_numel(shape).str() + " elements (shape " + shape_str(shape) +
           ") cannot be converted to " + std::string(target_name(t)) + ": it must have exactly one element");
  }
}

// The tensor converted: `Tensor a` (Bool.Tensor, Int.Tensor, Float.Tensor,
// ScalarImplicit) or `Tensor self` (is_nonzero, item). The overloads taking a
// number (Int.float, ...) are the tracer's scalar arithmetic, not this op's.
const char* converted_tensor(const OpArgs& args) { return args.schema().argument_index("self") ? "self" : "a"; }

std::vector<TensorMeta> conversion_meta(const OpArgs& args, Target t) {
  const TensorMeta& in = args.tensor(converted_tensor(args));
  check_single_element(in.shape, t);
  return {TensorMeta{target_dtype(t, in.dtype), Shape{}}};
}

std::vector<Tensor> conversion_kernel(const OpArgs& args, Target t) {
  const Tensor& in = args.data(converted_tensor(args));
  check_single_element(shape_of(in.shape()), t);
  const DType out_dtype = target_dtype(t, in.dtype());
  Tensor out = Tensor::zeros(out_dtype, {});
  if (out_dtype == DType::Bool) {
    out.mutable_data<bool>()[0] = is_floating(in.dtype()) ? in.get_double(0) != 0.0 : in.get_int(0) != 0;
  } else if (out_dtype == DType::Int64) {
    int64_t v = 0;
    if (is_floating(in.dtype())) {
      const double d = in.get_double(0);
      if (!std::isfinite(d)) fail("cannot convert " + std::to_string(d) + " to int");
      v = static_cast<int64_t>(std::trunc(d));
    } else {
      v = in.get_int(0);
    }
    out.mutable_data<int64_t>()[0] = v;
  } else {
    out.mutable_data<double>()[0] = is_floating(in.dtype()) ? in.get_double(0) : static_cast<double>(in.get_int(0));
  }
  return {out};
}

void def_conversion(OpLibrary& lib, const std::string& name, Target t) {
  define_by_schema(
      lib, name, "scalar_conversion", [t](const OpArgs& args) { return conversion_meta(args, t); },
      [t](const OpArgs& args) { return conversion_kernel(args, t); });
}

}  // namespace

void register_scalar_conversion_ops(OpLibrary& lib) {
  def_conversion(lib, "aten::Bool", Target::Bool);
  def_conversion(lib, "aten::is_nonzero", Target::Bool);
  def_conversion(lib, "aten::Int", Target::Int);
  def_conversion(lib, "aten::Float", Target::Float);
  def_conversion(lib, "aten::item", Target::Item);
  def_conversion(lib, "aten::ScalarImplicit", Target::Item);
}

}  // namespace onnxport::ops
