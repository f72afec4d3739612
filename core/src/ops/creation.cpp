// Creation ops: zeros/ones/empty/full (and their _like and new_ forms),
// arange, linspace, logspace, eye, tril/triu_indices, scalar_tensor, tensor,
// fill/zero.
//
// Trailing layout/device/pin_memory/memory_format arguments are accepted and
// ignored: every reference tensor lives on the CPU in one dense layout.
#include "op_support.hpp"

#include <cmath>
#include <type_traits>

namespace onnxport::ops {
namespace {

// Default dtype of a tensor made from a Python scalar: bool, int64 or float32.
DType inferred_dtype(const OpArg& value) {
  const DType d = scalar_arg_dtype(value);
  return d == DType::Float64 ? DType::Float32 : d;
}

Tensor filled(DType dtype, const std::vector<int64_t>& sizes, const OpArg& value) {
  const DType calc = compute_dtype(dtype);
  Tensor out = Tensor::zeros(calc, sizes);
  Tensor v = scalar_tensor(value, calc);
  visit_bytes(calc, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U x = *reinterpret_cast<const U*>(v.bytes());
    U* p = reinterpret_cast<U*>(out.mutable_bytes());
    std::fill(p, p + out.numel(), x);
  });
  return finish(std::move(out), dtype);
}

// A creation op: where its size, fill value and dtype come from. Arguments
// by their schema names: `size` (SymInt[]), `self` (the _like, new_ and fill
// forms), the fill value (`fill_value`, fill's `value`), `dtype` (ScalarType?;
// fill and zero have none).
struct Creation {
  enum class SizeFrom { Arg, LikeSelf } size_from;
  std::optional<double> fill;      // fixed fill (zeros/ones/empty); nullopt = the argument fill_name
  const char* fill_name = nullptr;
  enum class DefaultDtype { Float32, Self, FromFill } default_dtype;
};

TensorMeta creation_meta(const OpArgs& args, const Creation& c) {
  Shape shape = c.size_from == Creation::SizeFrom::LikeSelf ? args.tensor("self").shape : Shape{};
  if (c.size_from == Creation::SizeFrom::Arg) {
    const std::vector<Dim> size = args.dims("size");
    for (const Dim& d : size) {
      if (d.is_static() && d.value() < 0) fail("negative size " + d.str() + " in " + shape_str(size));
      shape.push_back(d);
    }
  }
  std::optional<DType> dtype;  // fill and zero have no dtype argument
  if (args.schema().argument_index("dtype")) dtype = args.dtype("dtype");
  if (!dtype) {
    switch (c.default_dtype) {
      case Creation::DefaultDtype::Float32: dtype = DType::Float32; break;
      case Creation::DefaultDtype::Self: dtype = args.tensor("self").dtype; break;
      case Creation::DefaultDtype::FromFill: dtype = inferred_dtype(args.scalar(c.fill_name)); break;
    }
  }
  return TensorMeta{*dtype, shape};
}

void def_creation(OpLibrary& lib, const std::string& name, Creation c) {
  define_by_schema(
      lib, name, "creation", [c](const OpArgs& args) { return std::vector<TensorMeta>{creation_meta(args, c)}; },
      [c](const OpArgs& args) {
        const TensorMeta m = creation_meta(args, c);
        OpArg fixed;
        fixed.kind = OpArg::Kind::Constant;
        if (c.fill) fixed.constant = *c.fill;
        if (!c.fill) {
          const OpArg& given = args.arg(c.fill_name);
          if (!given.is_tensor()) return std::vector<Tensor>{filled(m.dtype, concrete(m.shape), given)};
          // fill.Tensor: a 0-d tensor value
          const Tensor& t = args.data(c.fill_name);
          if (t.numel() != 1) fail("fill value must be a 0-d tensor, got shape " + sizes_str(t.shape()));
          if (is_floating(t.dtype())) fixed.constant = t.get_double(0);
          else if (t.dtype() == DType::Bool) fixed.constant = t.get_int(0) != 0;
          else fixed.constant = t.get_int(0);
        }
        const OpArg& value = fixed;
        return std::vector<Tensor>{filled(m.dtype, concrete(m.shape), value)};
      });
}

// ---------------------------------------------------------------- ranges

// arange(Scalar end, *, dtype?, layout?, device?, pin_memory?)
// arange.start(Scalar start, Scalar end, *, dtype?, ...)
// arange.start_step(Scalar start, Scalar end, Scalar step=1, *, dtype?, ...)
struct ArangeCall {
  const OpArg* start = nullptr;
  const OpArg* end = nullptr;
  const OpArg* step = nullptr;
};

ArangeCall arange_call(const OpArgs& args) {
  auto bound = [&](std::string_view name) -> const OpArg* {
    return args.schema().argument_index(name) ? &args.arg(name) : nullptr;
  };
  return ArangeCall{bound("start"), &args.arg("end"), bound("step")};
}

Dim bound_dim(const OpArg* a, int64_t fallback) {
  if (!a) return Dim(fallback);
  if (a->kind == OpArg::Kind::SymInt) return a->sym;
  return Dim(a->as_int());
}

TensorMeta arange_meta(const OpArgs& args) {
  const ArangeCall c = arange_call(args);
  bool any_float = false;
  for (const OpArg* a : {c.start, c.end, c.step}) {
    if (a && !is_scalar_arg(*a)) fail("arange bounds must be numbers, got a " + std::string(a->is_tensor() ? "Tensor" : "non-number"));
    if (a && scalar_arg_dtype(*a) == DType::Float64) any_float = true;
  }
  const std::optional<DType> requested = args.dtype("dtype");
  const DType dtype = requested ? *requested : (any_float ? DType::Float32 : DType::Int64);
  Dim length;
  if (any_float) {
    const double start = c.start ? c.start->as_double() : 0.0, end = c.end->as_double(), step = c.step ? c.step->as_double() : 1.0;
    if (step == 0) fail("arange step must be nonzero");
    length = Dim(std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step))));
  } else {
    const int64_t step = c.step ? c.step->as_int() : 1;
    if (step == 0) fail("arange step must be nonzero");
    const Dim start = bound_dim(c.start, 0), end = bound_dim(c.end, 0);
    const Dim span = dim_sub(end, start);
    if (span.is_static()) {
      length = Dim(std::max<int64_t>(0, (span.value() + step - (step > 0 ? 1 : -1)) / step));
    } else {
      if (step < 0) fail("a negative step over symbolic bounds is not supported");
      length = step == 1 ? span : dim_floordiv(dim_add(span, Dim(step - 1)), Dim(step));
    }
  }
  return TensorMeta{dtype, Shape{length}};
}

std::vector<Tensor> arange_kernel(const OpArgs& args) {
  const TensorMeta m = arange_meta(args);
  const ArangeCall c = arange_call(args);
  const int64_t n = concrete(m.shape)[0];
  const DType calc = compute_dtype(m.dtype);
  Tensor out = Tensor::zeros(calc, {n});
  visit_numeric(calc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.mutable_data<T>();
    const bool float_bounds = (c.start && scalar_arg_dtype(*c.start) == DType::Float64) ||
                              scalar_arg_dtype(*c.end) == DType::Float64 ||
                              (c.step && scalar_arg_dtype(*c.step) == DType::Float64);
    if (float_bounds || is_floating(calc)) {
      // torch computes start + i * step in double, then casts.
      const double start = c.start ? c.start->as_double() : 0.0, step = c.step ? c.step->as_double() : 1.0;
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
    } else {
      const int64_t start = c.start ? c.start->as_int() : 0, step = c.step ? c.step->as_int() : 1;
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + i * step);
    }
  });
  return {finish(std::move(out), m.dtype)};
}

// torch 1.13's CPU linspace: start and end converted to the output type T
// first (4.3 -> 4 for int64), the step in T (double for integer T), values
// filled from both ends toward the middle, one step alone is start; integer
// outputs truncate toward zero.
template <typename T>
void linspace_fill(double start_arg, double end_arg, int64_t steps, double* p) {
  using Step = std::conditional_t<std::is_integral_v<T>, double, T>;
  const T start = static_cast<T>(start_arg), end = static_cast<T>(end_arg);
  if (steps == 1) {
    p[0] = static_cast<double>(start);
    return;
  }
  const Step step = (static_cast<Step>(end) - static_cast<Step>(start)) / static_cast<Step>(steps - 1);
  const int64_t halfway = steps / 2;
  for (int64_t i = 0; i < steps; ++i) {
    const Step v = i < halfway ? static_cast<Step>(start) + step * static_cast<Step>(i)
                               : static_cast<Step>(end) - step * static_cast<Step>(steps - i - 1);
    p[i] = static_cast<double>(static_cast<T>(v));
  }
}

// linspace(Scalar start, Scalar end, int steps, *, dtype?, layout?, device?, pin_memory?)
void register_linspace(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const int64_t steps = args.i64("steps");
    if (steps < 0) fail("number of steps must be non-negative, got " + std::to_string(steps));
    const std::optional<DType> dtype = args.dtype("dtype");
    return TensorMeta{dtype ? *dtype : DType::Float32, Shape{Dim(steps)}};
  };
  define_by_schema(
      lib, "aten::linspace", "creation", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const int64_t steps = args.i64("steps");
        Tensor out = Tensor::zeros(DType::Float64, {steps});
        double* p = out.mutable_data<double>();
        if (m.dtype == DType::Float32) {
          linspace_fill<float>(args.f64("start"), args.f64("end"), steps, p);
        } else if (is_floating(m.dtype)) {
          linspace_fill<double>(args.f64("start"), args.f64("end"), steps, p);
        } else {
          linspace_fill<int64_t>(args.f64("start"), args.f64("end"), steps, p);
        }
        return std::vector<Tensor>{converted(out, m.dtype)};
      });
}

// logspace(Scalar start, Scalar end, int steps, float base=10., *, dtype?, layout?,
// device?, pin_memory?): base ** linspace, as torch 1.13's CPU kernel computes it:
// start and end are first converted to the output dtype (1.2 -> 1 for int64),
// the exponents are filled from both ends, one step alone is base ** start.
void register_logspace(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const int64_t steps = args.i64("steps");
    if (steps < 0) fail("number of steps must be non-negative, got " + std::to_string(steps));
    const std::optional<DType> dtype = args.dtype("dtype");
    if (dtype && *dtype == DType::Bool) fail("dtype bool is not supported");
    return TensorMeta{dtype ? *dtype : DType::Float32, Shape{Dim(steps)}};
  };
  define_by_schema(
      lib, "aten::logspace", "creation", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const int64_t steps = args.i64("steps");
        const double base = args.f64("base");
        // The bounds as the output dtype holds them (integers truncate toward zero).
        auto in_dtype = [&](double v) {
          return is_floating(m.dtype) ? (m.dtype == DType::Float64 ? v : static_cast<double>(static_cast<float>(v)))
                                      : std::trunc(v);
        };
        const double start = in_dtype(args.f64("start")), end = in_dtype(args.f64("end"));
        Tensor out = Tensor::zeros(DType::Float64, {steps});
        double* p = out.mutable_data<double>();
        if (steps == 1) p[0] = std::pow(base, args.f64("start"));
        const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
        const int64_t halfway = steps / 2;
        for (int64_t i = 0; steps > 1 && i < steps; ++i)
          p[i] = std::pow(base, i < halfway ? start + step * static_cast<double>(i)
                                            : end - step * static_cast<double>(steps - i - 1));
        if (!is_floating(m.dtype))
          for (int64_t i = 0; i < steps; ++i) p[i] = std::trunc(p[i]);
        return std::vector<Tensor>{converted(out, m.dtype)};
      });
}

// tril_indices / triu_indices(int row, int col, int offset=0, *, ScalarType? dtype=4 (long), ...):
// the [2, N] row and column indices of the lower (upper) triangle, row-major.
void register_triangle_indices(OpLibrary& lib, const std::string& name, bool lower) {
  auto indices = [lower](const OpArgs& args) {
    const int64_t rows = args.i64("row"), cols = args.i64("col"), offset = args.i64("offset");
    if (rows < 0 || cols < 0) fail("row and col must be non-negative, got " + std::to_string(rows) + " and " + std::to_string(cols));
    std::vector<int64_t> r, c;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        if (lower ? j - i <= offset : j - i >= offset) {
          r.push_back(i);
          c.push_back(j);
        }
    r.insert(r.end(), c.begin(), c.end());
    return r;
  };
  auto dtype = [](const OpArgs& args) {
    const std::optional<DType> d = args.dtype("dtype");
    if (d && *d != DType::Int64 && *d != DType::Int32) fail("dtype must be int64 or int32");
    return d ? *d : DType::Int64;
  };
  define_by_schema(
      lib, name, "creation",
      [indices, dtype](const OpArgs& args) {
        const int64_t n = static_cast<int64_t>(indices(args).size()) / 2;
        return std::vector<TensorMeta>{TensorMeta{dtype(args), Shape{Dim(2), Dim(n)}}};
      },
      [indices, dtype](const OpArgs& args) {
        const std::vector<int64_t> v = indices(args);
        const Tensor t = Tensor::from_vector(DType::Int64, {2, static_cast<int64_t>(v.size()) / 2}, v);
        return std::vector<Tensor>{converted(t, dtype(args))};
      });
}

// eye(int n, *, dtype?, ...) | eye.m(int n, int m, *, dtype?, ...); n and m may be SymInts.
Dim size_dim(const OpArg& a) { return a.kind == OpArg::Kind::SymInt ? a.sym : Dim(a.as_int()); }

void register_eye(OpLibrary& lib) {
  auto meta = [](const OpArgs& args) {
    const Dim n = size_dim(args.arg("n"));
    const Dim m = args.schema().argument_index("m") ? size_dim(args.arg("m")) : n;
    const std::optional<DType> dtype = args.dtype("dtype");
    return TensorMeta{dtype ? *dtype : DType::Float32, Shape{n, m}};
  };
  define_by_schema(
      lib, "aten::eye", "creation", [meta](const OpArgs& args) { return std::vector<TensorMeta>{meta(args)}; },
      [meta](const OpArgs& args) {
        const TensorMeta m = meta(args);
        const std::vector<int64_t> sizes = concrete(m.shape);
        Tensor out = Tensor::zeros(DType::Float64, sizes);
        for (int64_t i = 0; i < std::min(sizes[0], sizes[1]); ++i) out.mutable_data<double>()[i * sizes[1] + i] = 1.0;
        return std::vector<Tensor>{converted(out, m.dtype)};
      });
}

// tensor(t[] data, *, dtype?, device?, requires_grad): nested lists of numbers.
void collect_values(const nlohmann::json& v, size_t depth, std::vector<int64_t>& shape, std::vector<nlohmann::json>& flat) {
  if (!v.is_array()) {
    if (depth != shape.size()) fail("tensor() data is ragged (inconsistent nesting)");
    flat.push_back(v);
    return;
  }
  if (depth == shape.size()) shape.push_back(static_cast<int64_t>(v.size()));
  else if (depth > shape.size() || shape[depth] != static_cast<int64_t>(v.size())) fail("tensor() data is ragged (inconsistent lengths)");
  for (const auto& item : v) collect_values(item, depth + 1, shape, flat);
}

// The data as JSON. A meta function needs only shape and dtype, so a
// symbolic SymInt (`torch.tensor([x.size(0)])`) stands in as 0 there.
nlohmann::json tensor_data_json(const OpArg& a, bool for_meta) {
  if (a.kind == OpArg::Kind::Constant) return a.constant;
  if (a.kind == OpArg::Kind::SymInt) return for_meta && !a.sym.is_static() ? 0 : a.as_int();
  if (a.kind == OpArg::Kind::List) {
    nlohmann::json out = nlohmann::json::array();
    for (const OpArg& item : a.items) out.push_back(tensor_data_json(item, for_meta));
    return out;
  }
  fail("tensor() data must be numbers or nested lists of numbers");
}

// tensor(t[] data, ...) / tensor.float|int|bool(t, ...), as_tensor.list(t[] data, ...) /
// as_tensor.float|int|bool(t, ...): the data argument's schema name.
const char* literal_data(const OpArgs& args) { return args.schema().argument_index("data") ? "data" : "t"; }

// (dtype, shape, flat values) of tensor()'s data: nested lists of numbers.
auto parse_tensor_literal(const OpArgs& args, bool for_meta) {
    const nlohmann::json data = tensor_data_json(args.arg(literal_data(args)), for_meta);
    std::vector<int64_t> shape;
    std::vector<nlohmann::json> flat;
    collect_values(data, 0, shape, flat);
    DType inferred = DType::Bool;
    for (const auto& v : flat) {
      if (v.is_number_float()) inferred = DType::Float32;
      else if (v.is_number_integer() && inferred == DType::Bool) inferred = DType::Int64;
      else if (!v.is_number() && !v.is_boolean()) fail("tensor() data must be numbers, got " + v.dump());
    }
    if (flat.empty()) inferred = DType::Float32;
    const std::optional<DType> dtype = args.dtype("dtype");
    return std::make_tuple(dtype ? *dtype : inferred, shape, flat);
}

std::vector<TensorMeta> tensor_literal_meta(const OpArgs& args) {
  auto [dtype, shape, flat] = parse_tensor_literal(args, true);
  return {TensorMeta{dtype, shape_of(shape)}};
}

std::vector<Tensor> tensor_literal_kernel(const OpArgs& args) {
  auto [dtype, shape, flat] = parse_tensor_literal(args, false);
  Tensor out = Tensor::zeros(dtype, shape);
  for (size_t i = 0; i < flat.size(); ++i) {
    OpArg v;
    v.kind = OpArg::Kind::Constant;
    v.constant = flat[i];
    Tensor one = scalar_tensor(v, dtype);
    std::copy_n(one.bytes(), dtype_size(dtype), out.mutable_bytes() + i * dtype_size(dtype));
  }
  return {out};
}

void register_tensor_literal(OpLibrary& lib) {
  define_by_schema(lib, "aten::tensor", "creation", tensor_literal_meta, tensor_literal_kernel);
  // as_tensor(Tensor data, *, ScalarType? dtype, Device? device): the tensor,
  // converted when a dtype is given; as_tensor.list(t[] data, ...) and the
  // number overloads: a new tensor from the numbers, as tensor().
  auto from_tensor = [](const OpArgs& args) { return args.schema().overload.empty(); };
  define_by_schema(
      lib, "aten::as_tensor", "creation",
      [from_tensor](const OpArgs& args) {
        if (!from_tensor(args)) return tensor_literal_meta(args);
        const std::optional<DType> dtype = args.dtype("dtype");
        const TensorMeta& in = args.tensor("data");
        return std::vector<TensorMeta>{TensorMeta{dtype ? *dtype : in.dtype, in.shape}};
      },
      [from_tensor](const OpArgs& args) {
        if (!from_tensor(args)) return tensor_literal_kernel(args);
        const std::optional<DType> dtype = args.dtype("dtype");
        const Tensor& in = args.data("data");
        return std::vector<Tensor>{converted(in, dtype ? *dtype : in.dtype()).clone()};
      });
}

}  // namespace

void register_creation_ops(OpLibrary& lib) {
  using S = Creation::SizeFrom;
  using D = Creation::DefaultDtype;
  // zeros(SymInt[] size, *, dtype?, layout?, device?, pin_memory?)
  def_creation(lib, "aten::zeros", {S::Arg, 0.0, nullptr, D::Float32});
  def_creation(lib, "aten::ones", {S::Arg, 1.0, nullptr, D::Float32});
  def_creation(lib, "aten::empty", {S::Arg, 0.0, nullptr, D::Float32});  // deterministic: zeros
  // full(SymInt[] size, Scalar fill_value, *, dtype?, ...): dtype follows the fill value
  def_creation(lib, "aten::full", {S::Arg, std::nullopt, "fill_value", D::FromFill});
  // zeros_like(Tensor self, *, dtype?, layout?, device?, pin_memory?, memory_format?)
  def_creation(lib, "aten::zeros_like", {S::LikeSelf, 0.0, nullptr, D::Self});
  def_creation(lib, "aten::ones_like", {S::LikeSelf, 1.0, nullptr, D::Self});
  def_creation(lib, "aten::empty_like", {S::LikeSelf, 0.0, nullptr, D::Self});
  def_creation(lib, "aten::full_like", {S::LikeSelf, std::nullopt, "fill_value", D::Self});
  // new_zeros(Tensor self, SymInt[] size, *, dtype?, ...)
  def_creation(lib, "aten::new_zeros", {S::Arg, 0.0, nullptr, D::Self});
  def_creation(lib, "aten::new_ones", {S::Arg, 1.0, nullptr, D::Self});
  def_creation(lib, "aten::new_empty", {S::Arg, 0.0, nullptr, D::Self});
  def_creation(lib, "aten::new_full", {S::Arg, std::nullopt, "fill_value", D::Self});
  // fill.Scalar / fill.Tensor(Tensor self, value) / zero(Tensor self): functional forms of fill_ / zero_
  def_creation(lib, "aten::fill", {S::LikeSelf, std::nullopt, "value", D::Self});
  def_creation(lib, "aten::zero", {S::LikeSelf, 0.0, nullptr, D::Self});
  // scalar_tensor(Scalar s, *, dtype?, ...)
  define_by_schema(
      lib, "aten::scalar_tensor", "creation",
      [](const OpArgs& args) {
        const std::optional<DType> d = args.dtype("dtype");
        args.scalar("s");
        return std::vector<TensorMeta>{TensorMeta{d ? *d : DType::Float32, Shape{}}};
      },
      [](const OpArgs& args) {
        const std::optional<DType> d = args.dtype("dtype");
        return std::vector<Tensor>{filled(d ? *d : DType::Float32, {}, args.scalar("s"))};
      });
  define_by_schema(
      lib, "aten::arange", "creation", [](const OpArgs& args) { return std::vector<TensorMeta>{arange_meta(args)}; },
      arange_kernel);
  register_linspace(lib);
  register_logspace(lib);
  register_triangle_indices(lib, "aten::tril_indices", true);
  register_triangle_indices(lib, "aten::triu_indices", false);
  register_eye(lib);
  register_tensor_literal(lib);
}

}  // namespace onnxport::ops
