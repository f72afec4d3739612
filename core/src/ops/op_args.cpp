// OpArg accessors and the public shape helpers of ops.hpp.
#include "op_support.hpp"

#include "ops/broadcast_assumptions.hpp"

#include <limits>

namespace onnxport {
namespace {

std::string_view kind_name(OpArg::Kind k) {
  switch (k) {
    case OpArg::Kind::Tensor: return "Tensor";
    case OpArg::Kind::Constant: return "constant";
    case OpArg::Kind::SymInt: return "SymInt";
    case OpArg::Kind::List: return "list";
    case OpArg::Kind::None: return "None";
  }
  return "?";
}

// "constant 1.5", "SymInt batch", "Tensor f32[2, 3]": what the caller passed.
std::string describe(const OpArg& a) {
  switch (a.kind) {
    case OpArg::Kind::Constant: return "constant " + a.constant.dump();
    case OpArg::Kind::SymInt: return "SymInt " + a.sym.str();
    case OpArg::Kind::Tensor:
      return "Tensor " + std::string(dtype_short_name(a.meta.dtype)) + shape_str(a.meta.shape);
    default: return std::string(kind_name(a.kind));
  }
}

[[noreturn]] void wrong_kind(const OpArg& a, std::string_view wanted) {
  throw OpError("expected " + std::string(wanted) + ", got " + describe(a));
}

int64_t static_sym(const OpArg& a) {
  if (!a.sym.is_static())
    throw OpError("symbolic size '" + a.sym.expr() + "' where a concrete int is needed");
  return a.sym.value();
}

}  // namespace

int64_t OpArg::as_int() const {
  if (kind == Kind::SymInt) return static_sym(*this);
  if (kind == Kind::Constant) {
    if (constant.is_number_integer()) return constant.get<int64_t>();
    if (constant.is_boolean()) return constant.get<bool>() ? 1 : 0;
  }
  wrong_kind(*this, "an int");
}

double OpArg::as_double() const {
  if (kind == Kind::SymInt) return static_cast<double>(static_sym(*this));
  if (kind == Kind::Constant) {
    if (constant.is_number()) return constant.get<double>();
    if (constant.is_boolean()) return constant.get<bool>() ? 1.0 : 0.0;
    // {"float": "inf" | "-inf" | "nan"}: program.json's tagged non-finite float.
    if (constant.is_object() && constant.size() == 1 && constant.contains("float") && constant["float"].is_string()) {
      const std::string s = constant["float"].get<std::string>();
      if (s == "inf") return std::numeric_limits<double>::infinity();
      if (s == "-inf") return -std::numeric_limits<double>::infinity();
      if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    }
  }
  wrong_kind(*this, "a number");
}

bool OpArg::as_bool() const {
  if (kind == Kind::Constant) {
    if (constant.is_boolean()) return constant.get<bool>();
    if (constant.is_number_integer()) return constant.get<int64_t>() != 0;
  }
  wrong_kind(*this, "a bool");
}

std::vector<int64_t> OpArg::as_int_list() const {
  std::vector<int64_t> out;
  if (kind == Kind::List) {
    out.reserve(items.size());
    for (const OpArg& item : items) out.push_back(item.as_int());
    return out;
  }
  if (kind == Kind::Constant && constant.is_array()) {
    for (const auto& v : constant) {
      if (!v.is_number_integer()) throw OpError("expected a list of ints, got constant " + constant.dump());
      out.push_back(v.get<int64_t>());
    }
    return out;
  }
  // int[1] parameters accept a bare int.
  if (kind == Kind::SymInt || (kind == Kind::Constant && constant.is_number_integer())) return {as_int()};
  wrong_kind(*this, "a list of ints");
}

std::vector<Dim> OpArg::as_dim_list() const {
  std::vector<Dim> out;
  if (kind == Kind::List) {
    out.reserve(items.size());
    for (const OpArg& item : items) {
      if (item.kind == Kind::SymInt) out.push_back(item.sym);
      else out.emplace_back(item.as_int());
    }
    return out;
  }
  if (kind == Kind::SymInt) return {sym};
  for (int64_t v : as_int_list()) out.emplace_back(v);
  return out;
}

std::optional<DType> OpArg::as_dtype() const {
  if (kind == Kind::None) return std::nullopt;
  if (kind == Kind::Constant) {
    const nlohmann::json* v = &constant;
    if (constant.is_object() && constant.contains("dtype")) v = &constant["dtype"];
    if (v->is_null()) return std::nullopt;
    std::optional<DType> d;
    if (v->is_number_integer()) d = dtype_from_torch_code(v->get<int64_t>());
    else if (v->is_string()) d = dtype_from_name(v->get<std::string>());
    if (d) return d;
    throw OpError("unknown dtype " + constant.dump());
  }
  wrong_kind(*this, "a dtype");
}

namespace {
thread_local BroadcastAssumptions* current_assumptions = nullptr;
}  // namespace

BroadcastAssumptions::BroadcastAssumptions() : previous_(current_assumptions) { current_assumptions = this; }
BroadcastAssumptions::~BroadcastAssumptions() { current_assumptions = previous_; }

void note_broadcast_assumption(const std::string& dim, int64_t size) {
  if (current_assumptions != nullptr) current_assumptions->taken.push_back(BroadcastAssumption{dim, size});
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align trailing dims; a missing leading dim acts as 1.
    const Dim da = i + a.size() >= rank ? a[i + a.size() - rank] : Dim(1);
    const Dim db = i + b.size() >= rank ? b[i + b.size() - rank] : Dim(1);
    if (da == db || (db.is_static() && db.value() == 1)) {
      out[i] = da;
    } else if (da.is_static() && da.value() == 1) {
      out[i] = db;
    } else if (da.is_symbolic() && db.is_static()) {
      out[i] = db;  // the symbol must equal the static size (or be 1): a guard
      note_broadcast_assumption(da.expr(), db.value());
    } else if (db.is_symbolic() && da.is_static()) {
      out[i] = da;
      note_broadcast_assumption(db.expr(), da.value());
    } else {
      std::string why = da.is_static() && db.is_static() ? "" : " (symbolic dims must be equal, or one of them 1)";
      throw OpError("shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast: dim " +
                    std::to_string(static_cast<int64_t>(i) - static_cast<int64_t>(rank)) + " is " + da.str() +
                    " vs " + db.str() + why);
    }
  }
  return out;
}

int64_t normalize_dim(int64_t dim, int64_t rank) {
  // A 0-d tensor accepts dim 0 and -1, as torch does.
  const int64_t r = std::max<int64_t>(rank, 1);
  if (dim < -r || dim >= r)
    throw OpError("dim " + std::to_string(dim) + " out of range for a tensor of rank " + std::to_string(rank) +
                  " (expected in [" + std::to_string(-r) + ", " + std::to_string(r - 1) + "])");
  return dim < 0 ? dim + r : dim;
}

}  // namespace onnxport
