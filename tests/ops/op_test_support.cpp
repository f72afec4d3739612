#include "op_test_support.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace onnxport::test {

OpArg tensor_arg(ArgStore& store, Tensor t) {
  store.tensors.push_back(std::move(t));
  OpArg a;
  a.kind = OpArg::Kind::Tensor;
  a.data = &store.tensors.back();
  a.meta = TensorMeta{a.data->dtype(), shape_of(a.data->shape())};
  return a;
}

OpArg meta_arg(DType dtype, Shape shape) {
  OpArg a;
  a.kind = OpArg::Kind::Tensor;
  a.meta = TensorMeta{dtype, std::move(shape)};
  return a;
}

OpArg const_arg(nlohmann::json value) {
  OpArg a;
  a.kind = OpArg::Kind::Constant;
  a.constant = std::move(value);
  return a;
}

OpArg sym_arg(Dim d) {
  OpArg a;
  a.kind = OpArg::Kind::SymInt;
  a.sym = std::move(d);
  return a;
}

OpArg list_arg(std::vector<OpArg> items) {
  OpArg a;
  a.kind = OpArg::Kind::List;
  a.items = std::move(items);
  return a;
}

OpArg none_arg() { return OpArg{}; }

namespace {

double decode_number(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    throw std::runtime_error("bad number in fixture: " + s);
  }
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  return v.get<double>();
}

}  // namespace

Tensor decode_tensor(const nlohmann::json& j) {
  const auto dtype = dtype_from_name(j.at("dtype").get<std::string>());
  if (!dtype) throw std::runtime_error("unknown dtype in fixture: " + j.at("dtype").dump());
  Tensor t = Tensor::zeros(*dtype, j.at("shape").get<std::vector<int64_t>>());
  const auto& data = j.at("data");
  if (static_cast<int64_t>(data.size()) != t.numel()) throw std::runtime_error("fixture tensor data size mismatch");
  for (size_t i = 0; i < data.size(); ++i) {
    if (*dtype == DType::Int64 && data[i].is_number_integer())
      t.mutable_data<int64_t>()[i] = data[i].get<int64_t>();  // exact beyond 2^53
    else
      t.set_double(static_cast<int64_t>(i), decode_number(data[i]));
  }
  return t;
}

OpArg decode_arg(ArgStore& store, const nlohmann::json& j) {
  if (j.is_null()) return none_arg();
  if (j.is_object() && j.contains("tensor")) return tensor_arg(store, decode_tensor(j["tensor"]));
  if (j.is_object() && j.contains("list")) {
    std::vector<OpArg> items;
    for (const auto& item : j["list"]) items.push_back(decode_arg(store, item));
    return list_arg(std::move(items));
  }
  if (j.is_object() && j.contains("float")) return const_arg(decode_number(j["float"]));
  return const_arg(j);  // numbers, bools, strings, {"dtype": ..}, {"device": ..}
}

std::vector<TensorMeta> run_meta(const std::string& op, const std::vector<OpArg>& args) {
  const OpDef* def = OpLibrary::instance().find(op);
  if (!def) throw std::runtime_error("op not registered: " + op);
  return def->meta(args);
}

std::vector<Tensor> run_kernel(const std::string& op, const std::vector<OpArg>& args) {
  const OpDef* def = OpLibrary::instance().find(op);
  if (!def) throw std::runtime_error("op not registered: " + op);
  if (!def->kernel) throw std::runtime_error("op has no kernel: " + op);
  return def->kernel(args);
}

}  // namespace onnxport::test
