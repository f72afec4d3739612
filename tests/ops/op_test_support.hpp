// Helpers for the op-library tests: building OpArgs by hand and from the
// JSON encoding written by make_fixtures.py.
#pragma once

#include <onnxport/ops.hpp>

#include <deque>
#include <string>
#include <vector>

namespace onnxport::test {

// Keeps the tensors that OpArgs point to alive.
struct ArgStore {
  std::deque<Tensor> tensors;
};

OpArg tensor_arg(ArgStore& store, Tensor t);
// A meta-only tensor argument (no data), e.g. with symbolic dims.
OpArg meta_arg(DType dtype, Shape shape);
OpArg const_arg(nlohmann::json value);
OpArg sym_arg(Dim d);
OpArg list_arg(std::vector<OpArg> items);
OpArg none_arg();

// make_fixtures.py encodings (see its docstring).
Tensor decode_tensor(const nlohmann::json& j);
OpArg decode_arg(ArgStore& store, const nlohmann::json& j);

// Runs an op's meta function / kernel; fails the test when the op is missing.
std::vector<TensorMeta> run_meta(const std::string& op, const std::vector<OpArg>& args);
std::vector<Tensor> run_kernel(const std::string& op, const std::vector<OpArg>& args);

}  // namespace onnxport::test
