#include "scalar_ops.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

namespace onnxport::trace {
namespace {

using json = nlohmann::json;
using Args = std::vector<json>;

bool is_num(const json& v) { return v.is_number() || v.is_boolean(); }
bool is_int(const json& v) { return v.is_number_integer() || v.is_boolean(); }

int64_t to_int(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return static_cast<int64_t>(v.get<double>());
  throw ScalarOpError("expected a number, got " + v.dump());
}

double to_double(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_number()) return v.get<double>();
  throw ScalarOpError("expected a number, got " + v.dump());
}

const json& arg(const Args& a, size_t i, std::string_view kind) {
  if (i >= a.size())
    throw ScalarOpError(std::string(kind) + " expects at least " + std::to_string(i + 1) + " arguments, got " +
                        std::to_string(a.size()));
  return a[i];
}

int64_t floor_div(int64_t a, int64_t b) {
  if (b == 0) throw ScalarOpError("integer division or modulo by zero");
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) {
  if (b == 0) throw ScalarOpError("integer division or modulo by zero");
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double float_mod(double a, double b) {
  if (b == 0.0) throw ScalarOpError("float modulo by zero");
  double r = std::fmod(a, b);
  if (r != 0.0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// Numeric binary op: int op int -> int (when int_op is given), otherwise float.
json numeric(const Args& a, std::string_view kind, const std::function<int64_t(int64_t, int64_t)>& int_op,
             const std::function<double(double, double)>& float_op) {
  const json& x = arg(a, 0, kind);
  const json& y = arg(a, 1, kind);
  if (!is_num(x) || !is_num(y))
    throw ScalarOpError(std::string(kind) + ": unsupported operands " + x.dump() + " and " + y.dump());
  if (int_op && is_int(x) && is_int(y)) return int_op(to_int(x), to_int(y));
  return float_op(to_double(x), to_double(y));
}

json add(const Args& a) {
  const json& x = arg(a, 0, "add");
  const json& y = arg(a, 1, "add");
  if (x.is_string() && y.is_string()) return x.get<std::string>() + y.get<std::string>();
  if (x.is_array() && y.is_array()) {
    json out = x;
    for (const auto& e : y) out.push_back(e);
    return out;
  }
  return numeric(a, "add", std::plus<int64_t>(), std::plus<double>());
}

// sum(list) on Python numbers (TorchScript's aten::sum.int / .float / .bool,
// e.g. torchvision's Swin: `if sum(shift_size) > 0`): ints and bools sum to an
// int, any float makes it a float, the empty list sums to 0. An int64 overflow
// is an error, not a wrapped value.
json sum_list(const Args& a) {
  const json& v = arg(a, 0, "sum");
  if (!v.is_array()) throw ScalarOpError("sum() needs a list of numbers, got " + v.dump());
  bool all_int = true;
  for (const auto& e : v) {
    if (!is_num(e)) throw ScalarOpError("sum(): unsupported operand " + e.dump() + " (a list of numbers is summed)");
    all_int = all_int && is_int(e);
  }
  if (all_int) {
    int64_t total = 0;
    for (const auto& e : v)
      if (__builtin_add_overflow(total, to_int(e), &total)) throw ScalarOpError("sum(): int64 overflow");
    return total;
  }
  double total = 0.0;
  for (const auto& e : v) total += to_double(e);
  return total;
}

int compare_values(const json& x, const json& y, std::string_view kind) {
  if (is_num(x) && is_num(y)) {
    if (is_int(x) && is_int(y)) {
      const int64_t i = to_int(x), j = to_int(y);
      return i < j ? -1 : (i > j ? 1 : 0);
    }
    const double i = to_double(x), j = to_double(y);
    return i < j ? -1 : (i > j ? 1 : 0);
  }
  if (x.is_string() && y.is_string()) return x.get<std::string>().compare(y.get<std::string>());
  throw ScalarOpError(std::string(kind) + ": cannot order " + x.dump() + " and " + y.dump());
}

bool equal_values(const json& x, const json& y) {
  if (is_num(x) && is_num(y)) return compare_values(x, y, "eq") == 0;
  if (x.is_array() && y.is_array()) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!equal_values(x[i], y[i])) return false;
    return true;
  }
  return x == y;
}

json min_max(const Args& a, bool want_max) {
  // prim::min(list) or prim::min(a, b)
  const json* items = nullptr;
  json pair;
  if (a.size() == 1 && a[0].is_array()) {
    items = &a[0];
  } else {
    pair = json::array({arg(a, 0, "min/max"), arg(a, 1, "min/max")});
    items = &pair;
  }
  if (items->empty()) throw ScalarOpError("min/max of an empty sequence");
  json best = (*items)[0];
  for (const auto& v : *items) {
    const int c = compare_values(v, best, "min/max");
    if (want_max ? c > 0 : c < 0) best = v;
  }
  return best;
}

json unary_math(const Args& a, std::string_view kind, double (*f)(double)) {
  return f(to_double(arg(a, 0, kind)));
}

json to_python_int(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size())
      throw ScalarOpError("invalid literal for int(): " + v.dump());
    return out;
  }
  if (v.is_number_float()) return static_cast<int64_t>(std::trunc(v.get<double>()));
  return to_int(v);
}

json to_python_float(const json& v) {
  if (v.is_string()) {
    try {
      return std::stod(v.get<std::string>());
    } catch (const std::exception&) {
      throw ScalarOpError("could not convert string to float: " + v.dump());
    }
  }
  return to_double(v);
}

json getitem(const Args& a) {
  const json& seq = arg(a, 0, "__getitem__");
  const json& key = arg(a, 1, "__getitem__");
  if (seq.is_object()) {
    const std::string k = key.is_string() ? key.get<std::string>() : key.dump();
    if (!seq.contains(k)) throw ScalarOpError("KeyError: " + key.dump());
    return seq[k];
  }
  const int64_t n = seq.is_string() ? static_cast<int64_t>(seq.get<std::string>().size())
                                     : static_cast<int64_t>(seq.size());
  int64_t i = to_int(key);
  if (i < 0) i += n;
  if (i < 0 || i >= n) throw ScalarOpError("index " + key.dump() + " out of range for length " + std::to_string(n));
  if (seq.is_string()) return std::string(1, seq.get<std::string>()[static_cast<size_t>(i)]);
  if (!seq.is_array()) throw ScalarOpError("object is not subscriptable: " + seq.dump());
  return seq[static_cast<size_t>(i)];
}

json contains(const Args& a) {
  const json& container = arg(a, 0, "__contains__");
  const json& item = arg(a, 1, "__contains__");
  if (container.is_string() && item.is_string())
    return container.get<std::string>().find(item.get<std::string>()) != std::string::npos;
  if (container.is_object()) return container.contains(item.is_string() ? item.get<std::string>() : item.dump());
  if (container.is_array()) {
    for (const auto& e : container)
      if (equal_values(e, item)) return true;
    return false;
  }
  throw ScalarOpError("argument of type " + container.dump() + " is not iterable");
}

json len(const Args& a) {
  const json& v = arg(a, 0, "len");
  if (v.is_string()) return static_cast<int64_t>(v.get<std::string>().size());
  if (v.is_array() || v.is_object()) return static_cast<int64_t>(v.size());
  throw ScalarOpError("object has no len(): " + v.dump());
}

// range(lo, hi, step) length, as TorchScript's for-loops compute trip counts.
json range_length(const Args& a) {
  const int64_t lo = to_int(arg(a, 0, "__range_length")), hi = to_int(arg(a, 1, "__range_length"));
  const int64_t step = to_int(arg(a, 2, "__range_length"));
  if (step == 0) throw ScalarOpError("range() arg 3 must not be zero");
  if (step > 0 && lo < hi) return 1 + (hi - 1 - lo) / step;
  if (step < 0 && lo > hi) return 1 + (lo - 1 - hi) / (-step);
  return int64_t{0};
}

json find(const Args& a) {
  const std::string s = arg(a, 0, "find").get<std::string>();
  const std::string sub = arg(a, 1, "find").get<std::string>();
  const int64_t start = a.size() > 2 ? to_int(a[2]) : 0;
  const size_t pos = s.find(sub, static_cast<size_t>(std::max<int64_t>(start, 0)));
  return pos == std::string::npos ? int64_t{-1} : static_cast<int64_t>(pos);
}

using Folder = std::function<json(const Args&)>;

const std::unordered_map<std::string_view, Folder>& folders() {
  static const std::unordered_map<std::string_view, Folder> table = {
      {"aten::add", add},
      {"aten::sub", [](const Args& a) { return numeric(a, "sub", std::minus<int64_t>(), std::minus<double>()); }},
      {"aten::mul", [](const Args& a) {
         const json& x = arg(a, 0, "mul");
         const json& y = arg(a, 1, "mul");
         if ((x.is_array() || x.is_string()) && is_int(y)) {  // [0] * 3, "ab" * 2
           json out = x.is_array() ? json::array() : json(std::string());
           for (int64_t i = 0; i < to_int(y); ++i) {
             if (x.is_array()) for (const auto& e : x) out.push_back(e);
             else out = out.get<std::string>() + x.get<std::string>();
           }
           return out;
         }
         return numeric(a, "mul", std::multiplies<int64_t>(), std::multiplies<double>());
       }},
      {"aten::div", [](const Args& a) {
         return numeric(a, "div", nullptr, [](double x, double y) {
           if (y == 0.0) throw ScalarOpError("division by zero");
           return x / y;
         });
       }},
      {"aten::floordiv", [](const Args& a) {
         return numeric(a, "floordiv", floor_div, [](double x, double y) {
           if (y == 0.0) throw ScalarOpError("float floor division by zero");
           return std::floor(x / y);
         });
       }},
      {"aten::remainder", [](const Args& a) { return numeric(a, "remainder", floor_mod, float_mod); }},
      {"aten::__mod__", [](const Args& a) { return numeric(a, "__mod__", floor_mod, float_mod); }},
      {"aten::pow", [](const Args& a) {
         const json& x = arg(a, 0, "pow");
         const json& y = arg(a, 1, "pow");
         if (is_int(x) && is_int(y) && to_int(y) >= 0) {
           int64_t r = 1;
           for (int64_t i = 0; i < to_int(y); ++i) r *= to_int(x);
           return json(r);
         }
         return json(std::pow(to_double(x), to_double(y)));
       }},
      {"aten::neg", [](const Args& a) {
         const json& x = arg(a, 0, "neg");
         return is_int(x) ? json(-to_int(x)) : json(-to_double(x));
       }},
      {"aten::abs", [](const Args& a) {
         const json& x = arg(a, 0, "abs");
         return is_int(x) ? json(std::abs(to_int(x))) : json(std::fabs(to_double(x)));
       }},
      {"aten::eq", [](const Args& a) { return json(equal_values(arg(a, 0, "eq"), arg(a, 1, "eq"))); }},
      {"aten::ne", [](const Args& a) { return json(!equal_values(arg(a, 0, "ne"), arg(a, 1, "ne"))); }},
      {"aten::lt", [](const Args& a) { return json(compare_values(arg(a, 0, "lt"), arg(a, 1, "lt"), "lt") < 0); }},
      {"aten::le", [](const Args& a) { return json(compare_values(arg(a, 0, "le"), arg(a, 1, "le"), "le") <= 0); }},
      {"aten::gt", [](const Args& a) { return json(compare_values(arg(a, 0, "gt"), arg(a, 1, "gt"), "gt") > 0); }},
      {"aten::ge", [](const Args& a) { return json(compare_values(arg(a, 0, "ge"), arg(a, 1, "ge"), "ge") >= 0); }},
      {"aten::__not__", [](const Args& a) { return json(!python_truth(arg(a, 0, "__not__"))); }},
      {"aten::__and__", [](const Args& a) {
         const json& x = arg(a, 0, "__and__");
         const json& y = arg(a, 1, "__and__");
         if (x.is_boolean() && y.is_boolean()) return json(x.get<bool>() && y.get<bool>());
         return json(to_int(x) & to_int(y));
       }},
      {"aten::__or__", [](const Args& a) {
         const json& x = arg(a, 0, "__or__");
         const json& y = arg(a, 1, "__or__");
         if (x.is_boolean() && y.is_boolean()) return json(x.get<bool>() || y.get<bool>());
         return json(to_int(x) | to_int(y));
       }},
      {"aten::__xor__", [](const Args& a) {
         const json& x = arg(a, 0, "__xor__");
         const json& y = arg(a, 1, "__xor__");
         if (x.is_boolean() && y.is_boolean()) return json(x.get<bool>() != y.get<bool>());
         return json(to_int(x) ^ to_int(y));
       }},
      {"aten::__is__", [](const Args& a) { return json(arg(a, 0, "__is__") == arg(a, 1, "__is__")); }},
      {"aten::__isnot__", [](const Args& a) { return json(arg(a, 0, "__isnot__") != arg(a, 1, "__isnot__")); }},
      {"aten::__contains__", contains},
      {"aten::__getitem__", getitem},
      {"aten::len", len},
      {"aten::str", [](const Args& a) { return json(python_str(arg(a, 0, "str"))); }},
      // device.type: "cpu" of Device("cpu:0") (pack_padded_sequence checks batch_sizes.device.type).
      {"prim::type", [](const Args& a) {
         const json& d = arg(a, 0, "type");
         if (!d.is_object() || !d.contains("device") || !d["device"].is_string()) throw ScalarOpError("prim::type needs a device, got " + d.dump());
         const std::string name = d["device"].get<std::string>();
         return json(name.substr(0, name.find(':')));
       }},
      {"aten::Int", [](const Args& a) { return to_python_int(arg(a, 0, "Int")); }},
      {"aten::Float", [](const Args& a) { return to_python_float(arg(a, 0, "Float")); }},
      {"aten::Bool", [](const Args& a) { return json(python_truth(arg(a, 0, "Bool"))); }},
      {"aten::ScalarImplicit", [](const Args& a) { return arg(a, 0, "ScalarImplicit"); }},
      {"aten::floor", [](const Args& a) { return json(static_cast<int64_t>(std::floor(to_double(arg(a, 0, "floor"))))); }},
      {"aten::ceil", [](const Args& a) { return json(static_cast<int64_t>(std::ceil(to_double(arg(a, 0, "ceil"))))); }},
      {"aten::sqrt", [](const Args& a) { return unary_math(a, "sqrt", [](double x) { return std::sqrt(x); }); }},
      {"aten::exp", [](const Args& a) { return unary_math(a, "exp", [](double x) { return std::exp(x); }); }},
      {"aten::log", [](const Args& a) { return unary_math(a, "log", [](double x) { return std::log(x); }); }},
      {"prim::min", [](const Args& a) { return min_max(a, false); }},
      {"prim::max", [](const Args& a) { return min_max(a, true); }},
      {"aten::min", [](const Args& a) { return min_max(a, false); }},
      {"aten::max", [](const Args& a) { return min_max(a, true); }},
      {"prim::abs", [](const Args& a) {
         const json& x = arg(a, 0, "abs");
         return is_int(x) ? json(std::abs(to_int(x))) : json(std::fabs(to_double(x)));
       }},
      {"aten::__range_length", range_length},
      {"aten::__derive_index", [](const Args& a) {
         // start + index * step
         return json(to_int(arg(a, 1, "__derive_index")) + to_int(arg(a, 0, "__derive_index")) * to_int(arg(a, 2, "__derive_index")));
       }},
      {"aten::find", find},
      {"aten::all", [](const Args& a) {  // all(list) / any(list) on Python values
         const json& v = arg(a, 0, "all");
         if (!v.is_array()) throw ScalarOpError("all() needs a list, got " + v.dump());
         return json(std::all_of(v.begin(), v.end(), [](const json& e) { return python_truth(e); }));
       }},
      {"aten::sum", sum_list},
      {"aten::any", [](const Args& a) {
         const json& v = arg(a, 0, "any");
         if (!v.is_array()) throw ScalarOpError("any() needs a list, got " + v.dump());
         return json(std::any_of(v.begin(), v.end(), [](const json& e) { return python_truth(e); }));
       }},
      {"aten::format", [](const Args& a) {
         const std::string fmt = arg(a, 0, "format").get<std::string>();
         std::vector<std::string> rest;
         for (size_t i = 1; i < a.size(); ++i) rest.push_back(python_str(a[i]));
         return json(python_format(fmt, rest));
       }},
  };
  return table;
}

std::string python_float_str(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string s(buf, p);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

bool is_scalar_op(std::string_view kind) { return folders().count(kind) > 0; }

nlohmann::json eval_scalar_op(std::string_view kind, const std::vector<nlohmann::json>& args) {
  auto it = folders().find(kind);
  if (it == folders().end()) throw ScalarOpError("no constant folder for " + std::string(kind));
  try {
    return it->second(args);
  } catch (const nlohmann::json::exception& e) {
    throw ScalarOpError(std::string(kind) + ": unsupported operands (" + e.what() + ")");
  }
}

std::string python_str(const nlohmann::json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return python_float_str(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("device")) return python_str(v["device"]);
  if (v.is_object() && v.contains("dtype")) return "torch." + python_str(v["dtype"]);
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ", ";
      out += v[i].is_string() ? "'" + v[i].get<std::string>() + "'" : python_str(v[i]);
    }
    return out + "]";
  }
  return v.dump();
}

bool python_truth(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

std::string python_format(const std::string& fmt, const std::vector<std::string>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const size_t close = fmt.find('}', i);
      if (close == std::string::npos) throw ScalarOpError("format: single '{' in " + fmt);
      const std::string field = fmt.substr(i + 1, close - i - 1);
      size_t index = next++;
      if (!field.empty() && std::isdigit(static_cast<unsigned char>(field[0]))) index = std::stoul(field);
      if (index >= args.size()) throw ScalarOpError("format: replacement index " + std::to_string(index) + " out of range");
      out += args[index];
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace onnxport::trace
